package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"lapak/db"
)

func TestCrossMerchantIsolation(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	ownerA, _, shopA := app.loginAs(t, db.RoleOwner)
	shopB := app.newMerchant(t, "Toko Sebelah")
	userB := app.newUser(t, "kasir@sebelah.test", false, shopB.ID, db.RoleCashier)
	path := "/members/" + itoa(int(userB.ID))

	ownerA.get(path).wantStatus(t, http.StatusNotFound)
	ownerA.post(path+"/role", url.Values{"role": {"owner"}}).wantStatus(t, http.StatusNotFound)
	ownerA.post(path+"/remove", nil).wantStatus(t, http.StatusNotFound)
	m, err := app.DB.Membership(t.Context(), userB.ID, shopB.ID)
	if err != nil || m.Role != db.RoleCashier {
		t.Fatalf("merchant B's membership changed from merchant A: %+v %v", m, err)
	}
	if _, err := app.DB.Membership(t.Context(), userB.ID, shopA.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("user of B became a member of A: %v", err)
	}
	if strings.Contains(ownerA.get("/members").Body, userB.Email) {
		t.Error("merchant A's users page lists a user of merchant B")
	}

	// Switching to a merchant one does not belong to fails and changes nothing.
	ownerA.post("/merchant/switch", url.Values{"merchant_id": {itoa(int(shopB.ID))}}).wantStatus(t, http.StatusNotFound)
	ownerA.post("/merchant/switch", url.Values{"merchant_id": {"abc"}}).wantStatus(t, http.StatusNotFound)
	if got := ownerA.get("/").text("dashboard-heading"); got != shopA.Name {
		t.Errorf("current merchant is %q after a refused switch", got)
	}
}

func TestMerchantSwitch(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	a := app.newMerchant(t, "Apotek Andalas")
	b := app.newMerchant(t, "Bakso Barokah")
	u := app.newUser(t, "dua@uji.test", false, a.ID, db.RoleCashier)
	if err := app.DB.SetMembership(t.Context(), u.ID, b.ID, db.RoleOwner); err != nil {
		t.Fatal(err)
	}
	c := app.client()
	c.mustLogin(t, u.Email)
	dash := c.get("/")
	if got := dash.text("dashboard-heading"); got != "Apotek Andalas" {
		t.Fatalf("first merchant = %q, want the first by name", got)
	}
	if dash.count("merchant-switcher") != 1 || dash.count("nav-members") != 0 {
		t.Fatal("switcher missing or cashier sees owner pages")
	}
	c.get("/members").wantStatus(t, http.StatusForbidden)

	before := c.session()
	c.post("/merchant/switch", url.Values{"merchant_id": {itoa(int(b.ID))}}).wantStatus(t, http.StatusSeeOther)
	if c.session() == before {
		t.Error("switching merchant (and role) did not renew the session token")
	}
	dash = c.get("/")
	if got := dash.text("dashboard-heading"); got != "Bakso Barokah" {
		t.Errorf("after switch: %q", got)
	}
	if got := dash.text("flash"); got != "Sekarang bekerja di Bakso Barokah." {
		t.Errorf("flash = %q", got)
	}
	// The role follows the merchant: owner in B.
	c.get("/members").wantStatus(t, http.StatusOK)
	es := app.auditActions(t)
	if last := es[len(es)-1]; last.Action != "merchant.switch" || last.MerchantID != b.ID {
		t.Errorf("last audit = %+v", last)
	}
}

func TestOwnerManagesMembers(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	owner, me, shop := app.loginAs(t, db.RoleOwner)
	existing := app.newUser(t, "ada@uji.test", false, 0, "")

	// Validation: 422 with field messages, nothing created.
	res := owner.post("/members", url.Values{"email": {"bukan-email"}, "role": {"raja"}}).wantStatus(t, http.StatusUnprocessableEntity)
	if res.text("error-email") != "Alamat email tidak valid." || res.text("error-role") != "Pilih peran yang valid." {
		t.Errorf("field errors: email %q role %q", res.text("error-email"), res.text("error-role"))
	}
	res = owner.post("/members", url.Values{"email": {"baru@uji.test"}, "name": {"Baru"}, "password": {"pendek"}, "role": {"cashier"}}).
		wantStatus(t, http.StatusUnprocessableEntity)
	if res.text("error-password") == "" {
		t.Error("short password accepted")
	}

	// A new user is created with the membership.
	owner.post("/members", url.Values{"email": {"Baru@Uji.test"}, "name": {"Kasir Baru"}, "password": {"cukup-panjang-1"}, "role": {"cashier"}}).
		wantStatus(t, http.StatusSeeOther)
	nu, err := app.DB.UserByEmail(t.Context(), "baru@uji.test")
	if err != nil {
		t.Fatal(err)
	}
	if nu.IsAdmin {
		t.Error("owner created an administrator")
	}
	if m, err := app.DB.Membership(t.Context(), nu.ID, shop.ID); err != nil || m.Role != db.RoleCashier {
		t.Fatalf("new member: %+v %v", m, err)
	}
	app.client().login("baru@uji.test", "cukup-panjang-1").wantStatus(t, http.StatusSeeOther)

	// An existing account joins with the chosen role (its password untouched).
	owner.post("/members", url.Values{"email": {existing.Email}, "role": {"auditor"}}).wantStatus(t, http.StatusSeeOther)
	if m, err := app.DB.Membership(t.Context(), existing.ID, shop.ID); err != nil || m.Role != db.RoleAuditor {
		t.Fatalf("existing user: %+v %v", m, err)
	}
	res = owner.post("/members", url.Values{"email": {existing.Email}, "role": {"owner"}}).wantStatus(t, http.StatusUnprocessableEntity)
	if res.text("error-email") != "Pengguna ini sudah anggota toko ini." {
		t.Errorf("duplicate member message %q", res.text("error-email"))
	}

	list := owner.get("/members").wantStatus(t, http.StatusOK)
	if n := list.count("member-row"); n != 3 {
		t.Errorf("members listed: %d, want 3", n)
	}

	// Change a role, then remove.
	owner.get("/members/"+itoa(int(nu.ID))).wantStatus(t, http.StatusOK)
	owner.post("/members/"+itoa(int(nu.ID))+"/role", url.Values{"role": {"auditor"}}).wantStatus(t, http.StatusSeeOther)
	if m, _ := app.DB.Membership(t.Context(), nu.ID, shop.ID); m.Role != db.RoleAuditor {
		t.Errorf("role after change: %s", m.Role)
	}
	owner.post("/members/"+itoa(int(nu.ID))+"/remove", nil).wantStatus(t, http.StatusSeeOther)
	if _, err := app.DB.Membership(t.Context(), nu.ID, shop.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("member not removed: %v", err)
	}

	// The last owner can neither step down nor leave.
	res = owner.post("/members/"+itoa(int(me.ID))+"/role", url.Values{"role": {"cashier"}}).wantStatus(t, http.StatusUnprocessableEntity)
	if res.text("error-role") != "Toko harus tetap punya setidaknya satu pemilik." {
		t.Errorf("last-owner message %q", res.text("error-role"))
	}
	owner.post("/members/"+itoa(int(me.ID))+"/remove", nil).wantStatus(t, http.StatusUnprocessableEntity)

	var got []string
	for _, e := range app.auditActions(t) {
		if e.MerchantID == shop.ID {
			got = append(got, e.Action)
		}
	}
	if s := strings.Join(got, ","); s != "user.create,membership.add,membership.role,membership.remove" {
		t.Errorf("merchant audit = %s", s)
	}
}
