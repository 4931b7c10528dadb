package handlers

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/views"
)

// section is one navigation destination. Ready says whether its pages exist:
// the layout links only to ready sections, so nobody clicks into a 404. The
// issue that adds a section's pages flips Ready to true (and
// TestReadySectionsAnswer then checks that the link works). IfRoute sections
// are added by other work in parallel: they show once the router answers GET
// on their Href, with no edit here.
type section struct {
	ID, Key, Href string
	// Group is the menu group the section belongs to ("" = the bar itself).
	Group string
	// Roles may see the section for their current merchant; nil = everyone
	// signed in.
	Roles []db.Role
	// Admin sections are for installation administrators only.
	Admin   bool
	Ready   bool
	IfRoute bool

	// AdminToo sections are also shown to administrators without the role
	// (their pages show every merchant's data to them).
	AdminToo bool
}

var (
	ownerCashier  = []db.Role{db.RoleOwner, db.RoleCashier}
	ownerAuditor  = []db.Role{db.RoleOwner, db.RoleAuditor}
	ownerOnly     = []db.Role{db.RoleOwner}
	readersOfBook = []db.Role{db.RoleOwner, db.RoleCashier, db.RoleAuditor}
)

// navGroups are the menu groups in order, with their catalogue keys. A group
// shows when at least one of its sections does.
var navGroups = []struct{ ID, Key string }{
	{"", ""},
	{"sales", "nav.group.sales"},
	{"money", "nav.group.money"},
	{"shop", "nav.group.shop"},
	{"admin", "nav.group.admin"},
}

// sections is the one list of Lapak's sections, in menu order within their
// group. The role rules are the routes' own (see each *Routes function).
var sections = []section{
	{ID: "dashboard", Key: "nav.dashboard", Href: "/", Ready: true},

	// Jualan: what the counter does all day.
	{ID: "kasir", Key: "nav.kasir", Href: "/kasir", Group: "sales", Roles: ownerCashier, IfRoute: true},
	{ID: "invoices", Key: "nav.invoices", Href: "/invoices", Group: "sales", Roles: readersOfBook, Ready: true},
	{ID: "qris", Key: "nav.qris", Href: "/qris", Group: "sales", Roles: ownerCashier, Ready: true},
	{ID: "cvs", Key: "nav.cvs", Href: "/cvs", Group: "sales", Roles: readersOfBook, Ready: true},

	// Uang: balances and the books. Cashiers never see balances.
	{ID: "balance", Key: "nav.balance", Href: "/balance", Group: "money", Roles: ownerAuditor, Ready: true},
	{ID: "history", Key: "nav.history", Href: "/history", Group: "money", Roles: ownerAuditor, Ready: true},
	// Reconciliation: owners resolve, auditors read, administrators both.
	{ID: "reconciliation", Key: "nav.reconciliation", Href: "/reconciliation", Group: "money", Roles: ownerAuditor, AdminToo: true, Ready: true},
	{ID: "settlement", Key: "nav.settlement", Href: "/settlement", Group: "money", Roles: ownerAuditor, AdminToo: true, Ready: true},
	// Auditors read withdrawals and CVS bills (issue 13 §9).
	{ID: "withdrawals", Key: "nav.withdrawals", Href: "/withdrawals", Group: "money", Roles: ownerAuditor, Ready: true},
	{ID: "deposits", Key: "nav.deposits", Href: "/deposits", Group: "money", Roles: ownerAuditor, Ready: true},
	// Netzme's callbacks: owners and auditors see their shop's, admins all.
	{ID: "notifications", Key: "nav.notifications", Href: "/notifications", Group: "money", Roles: ownerAuditor, AdminToo: true, Ready: true},

	// Toko: the shop's people and its link to Netzme and SpeedCash.
	{ID: "members", Key: "nav.members", Href: "/members", Group: "shop", Roles: ownerOnly, Ready: true},
	{ID: "pin", Key: "nav.pin", Href: "/pin", Group: "shop", Roles: ownerOnly, Ready: true},
	{ID: "link", Key: "nav.link", Href: "/link", Group: "shop", Roles: ownerOnly, Ready: true},
	{ID: "merchantstatus", Key: "nav.merchantstatus", Href: "/merchant-status", Group: "shop", Roles: ownerOnly, Ready: true},
	// Auditors read the log; owners see who did what in their shop.
	{ID: "audit", Key: "nav.audit", Href: "/audit", Group: "shop", Roles: ownerAuditor, Ready: true},

	// Admin: the installation.
	{ID: "admin", Key: "nav.admin.merchants", Href: "/admin/merchants", Group: "admin", Admin: true, Ready: true},
	{ID: "adminusers", Key: "nav.admin.users", Href: "/admin/users", Group: "admin", Admin: true, Ready: true},
	{ID: "adminaudit", Key: "nav.admin.audit", Href: "/admin/audit", Group: "admin", Admin: true, Ready: true},
}

// quickActions are the dashboard's tiles per role, most used first: the
// counter's work for cashiers, money for owners, the books for auditors.
// Sections the user may not see (or whose pages do not exist yet) drop out;
// at most maxQuickActions are shown.
var quickActions = map[db.Role][]string{
	db.RoleCashier: {"kasir", "invoices", "qris", "cvs"},
	db.RoleOwner:   {"kasir", "invoices", "qris", "balance", "withdrawals"},
	db.RoleAuditor: {"history", "reconciliation", "balance", "audit", "notifications"},
}

const maxQuickActions = 4

// markRoutable records which IfRoute sections the router answers; Routes fills
// it once, before serving.
func (h *Handler) markRoutable(mux chi.Routes) {
	h.routable = map[string]bool{}
	for _, s := range sections {
		if s.IfRoute && mux.Match(chi.NewRouteContext(), http.MethodGet, s.Href) {
			h.routable[s.ID] = true
		}
	}
}

// ready reports whether s has pages to link to.
func (h *Handler) ready(s section) bool {
	return s.Ready || (s.IfRoute && h.routable[s.ID])
}

// visible reports whether a may see s.
func (h *Handler) visible(s section, a *account) bool {
	switch {
	case !h.ready(s) || a == nil:
		return false
	case s.Admin:
		return a.User.IsAdmin
	case s.AdminToo && a.User.IsAdmin:
		return true
	case s.Roles == nil:
		return true
	default:
		return a.hasRole(s.Roles...)
	}
}

// isCurrent reports whether path is in section s (its page or one below it).
func (s section) isCurrent(path string) bool {
	if s.Href == "/" {
		return path == "/"
	}
	return path == s.Href || strings.HasPrefix(path, s.Href+"/")
}

// navFor returns the groups of navigation items a may see, marking the item
// (and group) that path is in.
func (h *Handler) navFor(a *account, path string) []views.NavGroup {
	var out []views.NavGroup
	for _, g := range navGroups {
		ng := views.NavGroup{ID: g.ID, Key: g.Key}
		for _, s := range sections {
			if s.Group != g.ID || !h.visible(s, a) {
				continue
			}
			active := s.isCurrent(path)
			ng.Active = ng.Active || active
			ng.Items = append(ng.Items, views.NavItem{ID: s.ID, Key: s.Key, Href: s.Href, Active: active})
		}
		if len(ng.Items) > 0 {
			out = append(out, ng)
		}
	}
	return out
}

// quickActionsFor returns the dashboard tiles for a's role in the current
// merchant.
func (h *Handler) quickActionsFor(a *account) []views.NavItem {
	var out []views.NavItem
	for _, id := range quickActions[a.Current.Role] {
		for _, s := range sections {
			if s.ID == id && h.visible(s, a) && len(out) < maxQuickActions {
				out = append(out, views.NavItem{ID: s.ID, Key: s.Key, Href: s.Href, Hint: "quick." + s.ID})
			}
		}
	}
	return out
}

// page builds the layout model for a signed-in request.
func (h *Handler) page(r *http.Request, title string) views.Page {
	p := h.barePage(r, title)
	a := accountFrom(r.Context())
	if a == nil {
		return p
	}
	p.Signed = true
	p.UserName, p.UserEmail, p.IsAdmin = a.User.Name, a.User.Email, a.User.IsAdmin
	if p.UserName == "" {
		p.UserName = a.User.Email
	}
	p.MerchantID, p.MerchantName, p.Role = a.Current.MerchantID, a.Current.MerchantName, string(a.Current.Role)
	for _, m := range a.Memberships {
		p.Merchants = append(p.Merchants, views.MerchantOption{ID: m.MerchantID, Name: m.MerchantName, Role: string(m.Role)})
	}
	p.Nav = h.navFor(a, r.URL.Path)
	if h.sandboxURL != "" {
		// The sandbox serves its page under /sandbox/; its root is a 404.
		p.SandboxURL = strings.TrimSuffix(h.sandboxURL, "/") + "/sandbox/"
	}
	p.Flash = h.popFlash(r.Context())
	return p
}

// barePage builds the layout model for pages without a signed-in user.
func (h *Handler) barePage(r *http.Request, title string) views.Page {
	return views.Page{Title: title, Path: r.URL.Path, Assets: h.assets}
}

// showDashboard is the landing page: the current merchant and role with
// quick actions, or a "no merchant yet" page.
func (h *Handler) showDashboard(w http.ResponseWriter, r *http.Request) {
	a := accountFrom(r.Context())
	p := h.page(r, views.T(r.Context(), "dashboard.title"))
	v := views.DashboardView{Actions: h.quickActionsFor(a)}
	if a.User.IsAdmin {
		v.AdminLinks = []views.NavItem{
			{ID: "merchants", Key: "admin.merchants", Href: "/admin/merchants", Hint: "quick.adminmerchants"},
			{ID: "users", Key: "admin.users", Href: "/admin/users", Hint: "quick.adminusers"},
		}
	}
	if a.Current.MerchantID == 0 {
		h.render(w, r, http.StatusOK, views.NoMerchantPage(p, v))
		return
	}
	// Owners and auditors see the balance at a glance; cashiers never do.
	if a.hasRole(db.RoleOwner, db.RoleAuditor) {
		m, err := h.currentMerchant(r)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		b, err := h.balanceSummary(r, m)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		v.Balance = &b
		// The balance proof, compact (issue 12 §4).
		if v.Proof, err = h.dashboardProof(r, m.ID); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, views.DashboardPage(p, v))
}
