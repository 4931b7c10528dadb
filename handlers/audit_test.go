package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"lapak/db"
)

func TestAuditLogPages(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	owner, _, _ := app.loginAs(t, db.RoleOwner)
	auditor, _, _ := app.loginAs(t, db.RoleAuditor)
	cashier, _, _ := app.loginAs(t, db.RoleCashier)
	other := app.newMerchant(t, "Toko Rahasia")
	admin, _ := app.loginAdmin(t)

	owner.post("/members", url.Values{"email": {"baru@uji.test"}, "name": {"Baru"}, "password": {"cukup-panjang-1"}, "role": {"cashier"}}).
		wantStatus(t, http.StatusSeeOther)
	admin.post("/admin/users", url.Values{"email": {"lain@rahasia.test"}, "name": {"Lain"}, "password": {"cukup-panjang-1"},
		"merchant_id": {itoa(int(other.ID))}, "role": {"owner"}}).wantStatus(t, http.StatusSeeOther)

	res := auditor.get("/audit").wantStatus(t, http.StatusOK)
	if got := res.doc.Find(`[data-testid=audit-action]`).Map(func(_ int, s *goquery.Selection) string {
		return s.AttrOr("data-action", "") + "=" + s.Text()
	}); len(got) != 1 || got[0] != "user.create=Menambah pengguna" {
		t.Errorf("auditor sees actions %q, want only this merchant's user.create, as a sentence", got)
	}
	if strings.Contains(res.Body, "lain@rahasia.test") {
		t.Error("merchant audit log shows another merchant's entry")
	}
	if res.count("nav-audit") != 1 {
		t.Error("auditor has no audit link")
	}
	owner.get("/audit").wantStatus(t, http.StatusOK)
	cashier.get("/audit").wantStatus(t, http.StatusForbidden)
	owner.get("/admin/audit").wantStatus(t, http.StatusForbidden)

	all := admin.get("/admin/audit").wantStatus(t, http.StatusOK)
	if !strings.Contains(all.Body, "lain@rahasia.test") || !strings.Contains(all.Body, "baru@uji.test") || !strings.Contains(all.Body, "Toko Rahasia") {
		t.Error("administrator's audit log misses entries")
	}
	if all.count("pager-next") != 0 {
		t.Error("pager offers a next page for a short log")
	}
}

func TestAuditLogPaging(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	admin, u := app.loginAdmin(t)
	for range auditPageSize + 5 {
		if err := app.DB.Audit(t.Context(), db.AuditEntry{UserID: u.ID, UserEmail: u.Email, Action: "test.entry"}); err != nil {
			t.Fatal(err)
		}
	}
	first := admin.get("/admin/audit").wantStatus(t, http.StatusOK)
	if n := first.count("audit-row"); n != auditPageSize || first.count("pager-next") != 1 {
		t.Fatalf("page 1: %d rows, next link %d", n, first.count("pager-next"))
	}
	second := admin.get("/admin/audit?page=2").wantStatus(t, http.StatusOK)
	// 55 test entries + the login = 56 rows; page 2 holds 6.
	if n := second.count("audit-row"); n != 6 || second.count("pager-prev") != 1 || second.count("pager-next") != 0 {
		t.Errorf("page 2: %d rows", n)
	}
}
