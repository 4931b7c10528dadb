package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"lapak/db"
	"lapak/netzme"
	"lapak/netzme/sandbox"
	"lapak/views"
)

func TestPINCreateAndForgot(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleOwner)
	c.get("/pin").wantStatus(t, http.StatusOK)

	for _, tt := range []struct {
		name, pin, pin2, field string
	}{
		{"too short", "12345", "12345", "pin"},
		{"letters", "12a456", "12a456", "pin"},
		{"seven digits", "1234567", "1234567", "pin"},
		{"differ", "123456", "123457", "pin2"},
	} {
		res := c.post("/pin", url.Values{"action": {"create"}, "pin": {tt.pin}, "pin2": {tt.pin2}})
		if res.Code != http.StatusUnprocessableEntity || res.count("error-"+tt.field) != 1 {
			t.Errorf("%s: %d, message on %s: %d", tt.name, res.Code, tt.field, res.count("error-"+tt.field))
		}
	}
	if n := len(m.sb.Sandbox.Requests()); n != 0 {
		t.Errorf("invalid PINs reached Netzme (%d requests)", n)
	}

	res := c.post("/pin", url.Values{"action": {"create"}, "pin": {"246810"}, "pin2": {"246810"}}).wantStatus(t, http.StatusSeeOther)
	if res = c.get(res.Header.Get("Location")); !strings.Contains(res.text("flash"), "PIN berhasil") {
		t.Errorf("flash %q", res.text("flash"))
	}
	// A different PIN now: Netzme says one exists (4040020), shown in Indonesian.
	res = c.post("/pin", url.Values{"action": {"create"}, "pin": {"135791"}, "pin2": {"135791"}}).wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(res.text("error-pin"), "sudah punya PIN") {
		t.Errorf("existing-PIN message %q", res.text("error-pin"))
	}
	c.post("/pin", url.Values{"action": {"forgot"}}).wantStatus(t, http.StatusSeeOther)
	if sms := m.sb.Sandbox.LastSMS(t.Context(), m.demo.CustID); sms == "" {
		t.Error("forgot PIN sent no SMS")
	}
	res = c.post("/pin", url.Values{"action": {"forgot"}}).wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(res.text("error-forgot"), "Tunggu") {
		t.Errorf("cool-down message %q", res.text("error-forgot"))
	}

	// The PIN never reaches our logs, audit, api_calls or pages.
	for _, pin := range []string{"246810", "135791"} {
		if strings.Contains(m.logs.String(), pin) {
			t.Errorf("PIN %s in the log", pin)
		}
		for _, e := range m.auditActions(t) {
			if strings.Contains(e.Detail, pin) {
				t.Errorf("PIN %s in audit %s", pin, e.Action)
			}
		}
		calls, _ := m.DB.APICalls(t.Context(), m.merchant.ID, 100)
		for _, c := range calls {
			if strings.Contains(c.RequestBody, pin) || strings.Contains(c.RequestBody, netzme.PINHash(m.sb.Sandbox.Identity().ClientID, m.demo.CustID, pin)) {
				t.Errorf("PIN %s (or its hash) in api_calls", pin)
			}
		}
	}
	acts, _ := m.DB.NetzmeActions(t.Context(), m.merchant.ID, 10)
	if len(acts) != 4 {
		t.Errorf("%d PIN intents recorded, want 4", len(acts))
	}
}

func TestPINNetzmeDownKeepsIntentUnknown(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleOwner)
	m.sb.Sandbox.InjectFault(string(netzme.EndpointCreatePIN), sandbox.Fault{Kind: sandbox.Fault500})
	res := c.post("/pin", url.Values{"action": {"create"}, "pin": {"246810"}, "pin2": {"246810"}}).wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(res.text("error-pin"), "tidak dapat dihubungi") {
		t.Errorf("message %q", res.text("error-pin"))
	}
	acts, _ := m.DB.NetzmeActions(t.Context(), m.merchant.ID, 10)
	if len(acts) != 1 || acts[0].Status != db.ActionUnknown {
		t.Errorf("actions = %+v, want one unknown intent", acts)
	}
}

func TestLinkMerchantByPhone(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	shop := m.newMerchant(t, "Toko Baru")
	m.seq++
	u := m.newUser(t, "baru@uji.test", false, shop.ID, db.RoleOwner)
	c := m.client()
	c.mustLogin(t, u.Email)
	// The demo merchant is linked to m.merchant already; register another one.
	nm, err := m.sb.Sandbox.AddMerchant(t.Context(), sandbox.Merchant{Name: "Warung Baru", Phone: "6285711112222", City: "BOGOR"})
	if err != nil {
		t.Fatal(err)
	}
	if res := c.get("/link").wantStatus(t, http.StatusOK); res.count("link-state") != 1 {
		t.Error("unlinked state not shown")
	}
	c.post("/link", url.Values{"phone": {"abc"}}).wantStatus(t, http.StatusUnprocessableEntity)
	res := c.post("/link", url.Values{"phone": {"0899 0000 0000"}}).wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(res.text("error-phone"), "tidak menemukan") {
		t.Errorf("unknown phone message %q", res.text("error-phone"))
	}

	res = c.post("/link", url.Values{"action": {"lookup"}, "phone": {"0857-1111-2222"}}).wantStatus(t, http.StatusOK)
	if res.text("found-name") != "Warung Baru" || res.text("found-custid") != nm.CustID || res.text("found-nmid") != nm.NMID {
		t.Fatalf("found: %q %q %q", res.text("found-name"), res.text("found-custid"), res.text("found-nmid"))
	}
	if got, _ := m.DB.Merchant(t.Context(), shop.ID); got.NetzmeCustID != "" {
		t.Fatal("lookup saved before confirmation")
	}
	// A tampered confirmation (another custId) is refused.
	c.post("/link", url.Values{"action": {"save"}, "phone": {"0857-1111-2222"}, "cust_id": {m.demo.CustID}}).
		wantStatus(t, http.StatusUnprocessableEntity)
	c.post("/link", url.Values{"action": {"save"}, "phone": {"0857-1111-2222"}, "cust_id": {nm.CustID}}).
		wantStatus(t, http.StatusSeeOther)
	got, _ := m.DB.Merchant(t.Context(), shop.ID)
	if got.NetzmeCustID != nm.CustID || got.Name != "Warung Baru" || got.NMID != nm.NMID || got.StaticQRIS != nm.StaticQRIS {
		t.Errorf("merchant after link = %+v", got)
	}
	// The demo merchant is already linked to another Lapak merchant.
	res = c.post("/link", url.Values{"action": {"save"}, "phone": {m.demo.Phone}, "cust_id": {m.demo.CustID}}).
		wantStatus(t, http.StatusUnprocessableEntity)
	if res.count("error-phone") != 1 {
		t.Error("conflict not explained")
	}
	var linked bool
	for _, e := range m.auditActions(t) {
		linked = linked || (e.Action == "merchant.link" && e.MerchantID == shop.ID)
	}
	if !linked {
		t.Error("link not audited")
	}
}

func TestBalancePage(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleOwner)
	iv := m.createInvoice(t, c, invoiceForm("amount", "50.000"))
	if _, err := m.sb.Sandbox.PayInvoice(t.Context(), iv.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	c.post("/invoices/"+itoa(int(iv.ID))+"/refresh", nil).wantStatus(t, http.StatusSeeOther)
	bal, err := m.sb.Sandbox.Balances(t.Context(), m.demo.CustID)
	if err != nil {
		t.Fatal(err)
	}
	res := c.get("/balance").wantStatus(t, http.StatusOK)
	if res.text("balance-total") != views.IDR(bal.TotalMinor) || res.text("balance-deposit") != views.IDR(bal.DepositMinor) {
		t.Errorf("balance %q deposit %q; sandbox %d / %d", res.text("balance-total"), res.text("balance-deposit"), bal.TotalMinor, bal.DepositMinor)
	}
	if res.text("today-total") != "Rp 50.000" || res.count("recent-row") != 1 {
		t.Errorf("today %q, recent %d", res.text("today-total"), res.count("recent-row"))
	}
	m.sb.Sandbox.InjectFault(string(netzme.EndpointBalanceDetail), sandbox.Fault{Kind: sandbox.Fault500})
	res = c.get("/balance").wantStatus(t, http.StatusOK)
	if res.count("balance-total-unavailable") != 1 || res.text("today-total") != "Rp 50.000" {
		t.Error("Netzme failure not shown in place of the balance")
	}

	auditor, _, _ := m.loginAs(t, db.RoleAuditor)
	auditor.get("/balance").wantStatus(t, http.StatusOK)
	cashier, _, _ := m.loginAs(t, db.RoleCashier)
	cashier.get("/balance").wantStatus(t, http.StatusForbidden)
	if res := cashier.get("/"); res.count("nav-balance") != 0 {
		t.Error("cashier sees the balance link")
	}
	other, _ := m.otherMerchant(t)
	if res := other.get("/balance"); res.text("today-total") != "Rp 0" || res.count("recent-row") != 0 {
		t.Error("another merchant sees our takings")
	}
}

func TestOwnerOnlyPages(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	for _, role := range []db.Role{db.RoleCashier, db.RoleAuditor} {
		c, _, _ := m.loginAs(t, role)
		for _, p := range []string{"/pin", "/link"} {
			c.get(p).wantStatus(t, http.StatusForbidden)
			c.post(p, url.Values{"action": {"forgot"}, "phone": {"081234567890"}}).wantStatus(t, http.StatusForbidden)
		}
	}
	if n := len(m.sb.Sandbox.Requests()); n != 0 {
		t.Errorf("refused requests reached Netzme (%d)", n)
	}
}
