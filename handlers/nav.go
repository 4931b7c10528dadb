package handlers

import (
	"net/http"
	"strings"

	"lapak/db"
	"lapak/views"
)

// section is one navigation destination. Ready says whether its pages exist:
// the layout links only to ready sections, so nobody clicks into a 404. The
// issue that adds a section's pages flips Ready to true (and
// TestReadySectionsAnswer then checks that the link works).
type section struct {
	ID, Key, Href string
	// Roles may see the section for their current merchant; nil = everyone
	// signed in.
	Roles []db.Role
	// Admin sections are for installation administrators only.
	Admin bool
	Ready bool

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

// sections is the one list of Lapak's sections, in menu order.
var sections = []section{
	{ID: "dashboard", Key: "nav.dashboard", Href: "/", Ready: true},
	{ID: "kasir", Key: "nav.kasir", Href: "/kasir", Roles: ownerCashier, Ready: true},
	{ID: "invoices", Key: "nav.invoices", Href: "/invoices", Roles: readersOfBook, Ready: true},
	{ID: "qris", Key: "nav.qris", Href: "/qris", Roles: ownerCashier, Ready: true},
	// Cashiers never see balances.
	{ID: "balance", Key: "nav.balance", Href: "/balance", Roles: ownerAuditor, Ready: true},
	// Money in (issue 4): history for the books; link and PIN for owners.
	{ID: "history", Key: "nav.history", Href: "/history", Roles: ownerAuditor, Ready: true},
	{ID: "link", Key: "nav.link", Href: "/link", Roles: ownerOnly, Ready: true},
	{ID: "pin", Key: "nav.pin", Href: "/pin", Roles: ownerOnly, Ready: true},
	// Auditors read withdrawals and CVS bills (issue 13 §9).
	{ID: "withdrawals", Key: "nav.withdrawals", Href: "/withdrawals", Roles: ownerAuditor, Ready: true},
	{ID: "deposits", Key: "nav.deposits", Href: "/deposits", Roles: ownerAuditor, Ready: true},
	{ID: "members", Key: "nav.members", Href: "/members", Roles: ownerOnly, Ready: true},
	// Auditors read the log; owners see who did what in their shop.
	{ID: "audit", Key: "nav.audit", Href: "/audit", Roles: ownerAuditor, Ready: true},
	// Issue 7: convenience-store bills (NICEPAY) and SpeedCash merchant status.
	{ID: "cvs", Key: "nav.cvs", Href: "/cvs", Roles: readersOfBook, Ready: true},
	{ID: "merchantstatus", Key: "nav.merchantstatus", Href: "/merchant-status", Roles: ownerOnly, Ready: true},
	// Netzme's callbacks: owners and auditors see their shop's, admins all.
	{ID: "notifications", Key: "nav.notifications", Href: "/notifications", Roles: ownerAuditor, AdminToo: true, Ready: true},
	{ID: "admin", Key: "nav.admin", Href: "/admin/merchants", Admin: true, Ready: true},
}

// visible reports whether a may see s.
func (s section) visible(a *account) bool {
	switch {
	case !s.Ready || a == nil:
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

// navFor returns the navigation items a may see, marking the one path is in.
func navFor(a *account, path string) []views.NavItem {
	var out []views.NavItem
	for _, s := range sections {
		if !s.visible(a) {
			continue
		}
		active := path == s.Href || (s.Href != "/" && (path == sectionRoot(s.Href) || strings.HasPrefix(path, sectionRoot(s.Href)+"/")))
		out = append(out, views.NavItem{ID: s.ID, Key: s.Key, Href: s.Href, Active: active})
	}
	return out
}

// sectionRoot is the first path segment of href ("/admin/merchants" →
// "/admin"): every page under it belongs to the section.
func sectionRoot(href string) string {
	if i := strings.IndexByte(href[1:], '/'); i >= 0 {
		return href[:i+1]
	}
	return href
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
	p.Nav = navFor(a, r.URL.Path)
	p.SandboxURL = h.sandboxURL
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
	var v views.DashboardView
	for _, n := range p.Nav {
		if n.ID != "dashboard" && n.ID != "admin" {
			v.Actions = append(v.Actions, views.NavItem{ID: n.ID, Key: n.Key, Href: n.Href})
		}
	}
	if a.User.IsAdmin {
		v.AdminLinks = []views.NavItem{
			{ID: "merchants", Key: "admin.merchants", Href: "/admin/merchants"},
			{ID: "users", Key: "admin.users", Href: "/admin/users"},
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
	}
	h.render(w, r, http.StatusOK, views.DashboardPage(p, v))
}
