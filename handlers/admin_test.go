package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"lapak/db"
)

func TestAdminActionsWriteAudit(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	admin, me := app.loginAdmin(t)

	res := admin.get("/admin/merchants").wantStatus(t, http.StatusOK)
	if res.count("empty") != 1 {
		t.Error("no empty state on an empty merchant list")
	}
	admin.post("/admin/merchants", url.Values{"name": {""}}).wantStatus(t, http.StatusUnprocessableEntity)
	admin.post("/admin/merchants", url.Values{"name": {"Kopi Kenangan Senja"}, "netzme_cust_id": {"M_TB1NMLig"}, "city": {"Bandung"}}).
		wantStatus(t, http.StatusSeeOther)
	list := admin.get("/admin/merchants")
	if list.text("merchant-name") != "Kopi Kenangan Senja" || list.text("flash") != "Toko Kopi Kenangan Senja ditambahkan." {
		t.Errorf("merchants page: %q / flash %q", list.text("merchant-name"), list.text("flash"))
	}
	res = admin.post("/admin/merchants", url.Values{"name": {"Kembar"}, "netzme_cust_id": {"M_TB1NMLig"}}).wantStatus(t, http.StatusUnprocessableEntity)
	if res.text("error-netzme_cust_id") == "" {
		t.Error("duplicate custIdMerchant not reported on the field")
	}
	ms, _ := app.DB.Merchants(t.Context())
	shop := ms[0]
	other := app.newMerchant(t, "Lain")

	admin.post("/admin/users", url.Values{"email": {"x"}, "name": {""}, "password": {"1"}, "role": {"owner"}, "merchant_id": {"999"}}).
		wantStatus(t, http.StatusUnprocessableEntity)
	admin.post("/admin/users", url.Values{
		"email": {"pemilik@kopi.test"}, "name": {"Pemilik Kopi"}, "password": {"rahasia-panjang"},
		"merchant_id": {itoa(int(shop.ID))}, "role": {"owner"},
	}).wantStatus(t, http.StatusSeeOther)
	res = admin.post("/admin/users", url.Values{
		"email": {"pemilik@kopi.test"}, "name": {"Lagi"}, "password": {"rahasia-panjang"}, "merchant_id": {"0"}, "role": {"owner"},
	}).wantStatus(t, http.StatusUnprocessableEntity)
	if res.text("error-email") != "Email ini sudah terdaftar." {
		t.Errorf("duplicate e-mail message %q", res.text("error-email"))
	}
	u, err := app.DB.UserByEmail(t.Context(), "pemilik@kopi.test")
	if err != nil {
		t.Fatal(err)
	}
	uid := itoa(int(u.ID))
	page := admin.get("/admin/users/"+uid).wantStatus(t, http.StatusOK)
	if page.count("membership-row") != 1 {
		t.Errorf("memberships shown: %d", page.count("membership-row"))
	}
	admin.get("/admin/users/999999").wantStatus(t, http.StatusNotFound)

	admin.post("/admin/users/"+uid+"/memberships", url.Values{"merchant_id": {itoa(int(shop.ID))}, "role": {"auditor"}}).wantStatus(t, http.StatusSeeOther)
	admin.post("/admin/users/"+uid+"/memberships", url.Values{"merchant_id": {itoa(int(other.ID))}, "role": {"cashier"}}).wantStatus(t, http.StatusSeeOther)
	admin.post("/admin/users/"+uid+"/memberships", url.Values{"merchant_id": {"424242"}, "role": {"cashier"}}).wantStatus(t, http.StatusUnprocessableEntity)
	admin.post("/admin/users/"+uid+"/disable", nil).wantStatus(t, http.StatusSeeOther)
	admin.post("/admin/users/"+uid+"/enable", nil).wantStatus(t, http.StatusSeeOther)
	admin.post("/admin/users/"+uid+"/memberships/"+itoa(int(other.ID))+"/remove", nil).wantStatus(t, http.StatusSeeOther)
	admin.post("/admin/users/"+uid+"/memberships/"+itoa(int(other.ID))+"/remove", nil).wantStatus(t, http.StatusNotFound)
	// Administrators cannot lock themselves out.
	admin.post("/admin/users/"+itoa(int(me.ID))+"/disable", nil).wantStatus(t, http.StatusSeeOther)
	if self, _ := app.DB.User(t.Context(), me.ID); self.Disabled {
		t.Error("administrator disabled themselves")
	}

	want := []struct {
		action   string
		merchant int64
	}{
		{"user.login", 0},
		{"merchant.create", shop.ID},
		{"user.create", shop.ID},
		{"membership.set", shop.ID},
		{"membership.set", other.ID},
		{"user.disable", 0},
		{"user.enable", 0},
		{"membership.remove", other.ID},
	}
	es := app.auditActions(t)
	if len(es) != len(want) {
		var got []string
		for _, e := range es {
			got = append(got, e.Action)
		}
		t.Fatalf("audit = %v", got)
	}
	for i, w := range want {
		e := es[i]
		if e.Action != w.action || e.MerchantID != w.merchant || e.UserID != me.ID || e.UserEmail != me.Email ||
			e.RemoteAddr != "192.0.2.10" || e.RequestID == "" || e.At.IsZero() {
			t.Errorf("audit[%d] = %+v, want %s for merchant %d by %d", i, e, w.action, w.merchant, me.ID)
		}
		var detail map[string]any
		if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
			t.Errorf("audit[%d] detail not JSON: %q", i, e.Detail)
		}
		if strings.Contains(e.Detail, "rahasia") || strings.Contains(e.Detail, "argon2") {
			t.Errorf("audit[%d] leaks a password: %s", i, e.Detail)
		}
	}
	if m, _ := app.DB.Membership(t.Context(), u.ID, shop.ID); m.Role != db.RoleAuditor {
		t.Errorf("role after admin change = %s", m.Role)
	}
}

func TestAdminUsersList(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	admin, _ := app.loginAdmin(t)
	shop := app.newMerchant(t, "Toko Daftar")
	u := app.newUser(t, "zaenal@uji.test", false, shop.ID, db.RoleCashier)
	if err := app.DB.SetUserDisabled(t.Context(), u.ID, true); err != nil {
		t.Fatal(err)
	}
	res := admin.get("/admin/users").wantStatus(t, http.StatusOK)
	if n := res.count("user-row"); n != 2 {
		t.Fatalf("user rows = %d", n)
	}
	row := res.doc.Find(`[data-testid="user-row"]`).Last()
	if !strings.Contains(row.Text(), "Toko Daftar (Kasir)") || row.Find(`[data-testid="status-disabled"]`).Length() != 1 {
		t.Errorf("row = %q", row.Text())
	}
}
