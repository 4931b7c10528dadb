package handlers

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-chi/chi/v5"

	"lapak/db"
)

// The menu is grouped, each group holds only what the role may open, and
// the dashboard offers the few things the role does most.
func TestNavGroupsAndQuickActionsPerRole(t *testing.T) {
	app := newTestApp(t)
	tests := []struct {
		role   db.Role
		groups []string
		quick  []string
		hidden []string
	}{
		{db.RoleCashier, []string{"sales"}, []string{"kasir", "invoices", "qris", "cvs"},
			[]string{"balance", "withdrawals", "members", "audit", "admin"}},
		{db.RoleOwner, []string{"sales", "money", "shop"}, []string{"kasir", "invoices", "qris", "balance"},
			[]string{"admin"}},
		// Auditors read withdrawals and CVS bills (issue 13 §9), never the
		// till; the reconciliation is theirs to check (issue 12 §3).
		{db.RoleAuditor, []string{"sales", "money", "shop"}, []string{"history", "reconciliation", "balance", "audit"},
			[]string{"kasir", "qris", "members", "pin", "admin"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			c, _, _ := app.loginAs(t, tt.role)
			res := c.get("/").wantStatus(t, http.StatusOK)
			var groups []string
			res.doc.Find(`[data-testid^=navgroup-]`).Each(func(_ int, s *goquery.Selection) {
				groups = append(groups, strings.TrimPrefix(s.AttrOr("data-testid", ""), "navgroup-"))
			})
			if !slices.Equal(groups, tt.groups) {
				t.Errorf("groups %v, want %v", groups, tt.groups)
			}
			var quick []string
			res.doc.Find(`[data-testid^=action-]`).Each(func(_ int, s *goquery.Selection) {
				quick = append(quick, strings.TrimPrefix(s.AttrOr("data-testid", ""), "action-"))
			})
			if !slices.Equal(quick, tt.quick) {
				t.Errorf("dashboard actions %v, want %v", quick, tt.quick)
			}
			for _, id := range tt.hidden {
				if res.count("nav-"+id) != 0 {
					t.Errorf("%s sees nav-%s", tt.role, id)
				}
			}
			if res.count("nav-dashboard") != 1 {
				t.Error("no dashboard link")
			}
		})
	}
}

// The page being shown is marked in the menu, and so is its group.
func TestNavMarksCurrentPage(t *testing.T) {
	app := newTestApp(t)
	c, _, _ := app.loginAs(t, db.RoleOwner)
	for path, id := range map[string]string{"/members": "members", "/audit": "audit", "/": "dashboard"} {
		res := c.get(path).wantStatus(t, http.StatusOK)
		cur := res.doc.Find(`[data-testid=nav] a[aria-current=page]`)
		if cur.Length() != 1 || cur.AttrOr("data-testid", "") != "nav-"+id {
			t.Errorf("%s: current item %v (%d), want nav-%s", path, cur.AttrOr("data-testid", ""), cur.Length(), id)
		}
		if id != "dashboard" && res.doc.Find(`[data-testid=navgroup-shop] > summary.active`).Length() != 1 {
			t.Errorf("%s: its group is not marked", path)
		}
	}
}

// Sections built elsewhere in parallel (the till, reconciliation) appear in
// the menu as soon as the router serves their page, and not before.
func TestIfRouteSectionsFollowTheRouter(t *testing.T) {
	h := &Handler{}
	h.markRoutable(chi.NewRouter())
	for _, s := range sections {
		if s.IfRoute && h.ready(s) {
			t.Errorf("%s ready without a route", s.ID)
		}
	}
	mux := chi.NewRouter()
	mux.Group(func(r chi.Router) { r.Get("/kasir", func(http.ResponseWriter, *http.Request) {}) })
	h.markRoutable(mux)
	for _, s := range sections {
		if want := s.Ready || s.ID == "kasir"; h.ready(s) != want {
			t.Errorf("%s ready = %v, want %v", s.ID, h.ready(s), want)
		}
	}
}

// The sandbox link opens the sandbox's page, not its root (a 404).
func TestSandboxLinkOpensSandboxPage(t *testing.T) {
	app := newTestApp(t)
	app.handler.sandboxURL = "http://127.0.0.1:9999"
	c, _, _ := app.loginAs(t, db.RoleOwner)
	res := c.get("/").wantStatus(t, http.StatusOK)
	if got := res.doc.Find(`[data-testid=nav-sandbox]`).AttrOr("href", ""); got != "http://127.0.0.1:9999/sandbox/" {
		t.Errorf("sandbox link %q, want http://127.0.0.1:9999/sandbox/", got)
	}
}
