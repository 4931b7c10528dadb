package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"lapak/db"
	"lapak/netzme"
	"lapak/snap/nicepay"
	"lapak/views"
)

// Issue 13 §9: the smaller findings, one test each.

// The PIN page offers "Buat PIN" only until a PIN is known to exist and
// "Lupa PIN" only once it is.
func TestPINPageOffersWhatTheShopCanDo(t *testing.T) {
	m := newMoneyApp(t)
	owner, _, _ := m.loginAs(t, db.RoleOwner)
	forms := func() (create, forgot int, state string) {
		res := owner.get("/pin").wantStatus(t, http.StatusOK)
		return res.count("pin-form"), res.count("pin-forgot-form"), res.doc.Find(`[data-testid=pin-state]`).AttrOr("data-state", "")
	}
	if c, f, _ := forms(); c != 1 || f != 0 {
		t.Fatalf("before any PIN: %d create, %d forgot forms; want only Buat PIN", c, f)
	}
	// Lupa PIN before a PIN: Netzme says there is none; still only Buat PIN.
	owner.post("/pin", url.Values{"action": {"forgot"}}).wantStatus(t, http.StatusUnprocessableEntity)
	if c, f, s := forms(); c != 1 || f != 0 || s != "missing" {
		t.Errorf("after 'no PIN exists': %d create, %d forgot, state %q", c, f, s)
	}
	owner.post("/pin", url.Values{"action": {"create"}, "pin": {"135790"}, "pin2": {"135790"}}).wantStatus(t, http.StatusSeeOther)
	if c, f, s := forms(); c != 0 || f != 1 || s != "set" {
		t.Errorf("after creating the PIN: %d create, %d forgot, state %q; want only Lupa PIN", c, f, s)
	}
	owner.post("/pin", url.Values{"action": {"forgot"}}).wantStatus(t, http.StatusSeeOther)
	if c, f, _ := forms(); c != 0 || f != 1 {
		t.Errorf("after Lupa PIN: %d create, %d forgot", c, f)
	}

	// A shop whose PIN was made elsewhere (the Netzme app): "Buat PIN" is
	// refused as existing, and from then on Lupa PIN is offered with the why.
	m2 := newMoneyApp(t)
	if _, err := m2.handler.netzme.CreatePIN(t.Context(), netzme.CreatePINRequest{PartnerReferenceNo: "ELSEWHERE1",
		CustIDMerchant: m2.demo.CustID, PIN: "111111"}); err != nil {
		t.Fatal(err)
	}
	o2, _, _ := m2.loginAs(t, db.RoleOwner)
	res := o2.post("/pin", url.Values{"action": {"create"}, "pin": {"222222"}, "pin2": {"222222"}}).wantStatus(t, http.StatusUnprocessableEntity)
	if res.count("pin-form") != 0 || res.count("pin-forgot-form") != 1 || !strings.Contains(res.text("error-pin"), "Lupa PIN") {
		t.Errorf("after 'a PIN exists': %d create, %d forgot, message %q", res.count("pin-form"), res.count("pin-forgot-form"), res.text("error-pin"))
	}
}

// Cashiers see sales only — no deposit top-ups — and no fee or net amount,
// in the list, the detail page and the CSV; owners see everything.
func TestCashiersSeeSalesWithoutFees(t *testing.T) {
	m := newMoneyApp(t)
	owner, _, _ := m.loginAs(t, db.RoleOwner)
	cashier, _, _ := m.loginAs(t, db.RoleCashier)
	sale := m.createInvoice(t, owner, invoiceForm("amount", "30.000", "description", "Bakso"))
	topRes := owner.post("/deposits/topup", url.Values{"amount": {"50.000"}, "method": {"QRIS"}}).wantStatus(t, http.StatusSeeOther)
	topID, _ := parseID(strings.TrimPrefix(topRes.Header.Get("Location"), "/invoices/"))
	top, err := m.DB.MerchantInvoice(t.Context(), m.merchant.ID, topID)
	if err != nil || top.Purpose != "topup_deposit" {
		t.Fatalf("top-up: %+v %v", top, err)
	}
	for _, iv := range []db.Invoice{sale, top} {
		if _, err := m.sb.Sandbox.PayInvoice(t.Context(), iv.NetzmeTrxID, 0); err != nil {
			t.Fatal(err)
		}
		owner.post("/invoices/"+itoa(int(iv.ID))+"/refresh", nil).wantStatus(t, http.StatusSeeOther)
	}

	list := cashier.get("/invoices").wantStatus(t, http.StatusOK)
	if list.count("invoice-row") != 1 || strings.Contains(list.Body, top.PartnerReferenceNo) {
		t.Errorf("cashier's list: %d rows (top-up shown: %v)", list.count("invoice-row"), strings.Contains(list.Body, top.PartnerReferenceNo))
	}
	cashier.get("/invoices/"+itoa(int(top.ID))).wantStatus(t, http.StatusNotFound)
	cashier.get("/invoices/"+itoa(int(top.ID))+"/receipt").wantStatus(t, http.StatusNotFound)
	if owner.get("/invoices").count("invoice-row") != 2 {
		t.Error("the owner does not see both invoices")
	}

	read := func(c *client) (map[string]int, [][]string) {
		res := c.get("/invoices.csv").wantStatus(t, http.StatusOK)
		rows := csvRecords(t, res.Body)
		if len(rows) == 0 {
			t.Fatal("CSV without a header")
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		return col, rows[1:]
	}
	col, rows := read(cashier)
	if _, fee := col["fee"]; fee || len(rows) != 1 || rows[0][col["partner_reference_no"]] != sale.PartnerReferenceNo {
		t.Errorf("cashier's CSV: header %v, %d rows", col, len(rows))
	}
	if _, net := col["net"]; net {
		t.Error("cashier's CSV has the net column")
	}
	if rows[0][col["paid_amount"]] != "30000.00" {
		t.Errorf("cashier's CSV paid amount %q", rows[0][col["paid_amount"]])
	}
	col, rows = read(owner)
	_, fee := col["fee"]
	_, net := col["net"]
	if !fee || !net || len(rows) != 2 {
		t.Errorf("owner's CSV: header %v, %d rows", col, len(rows))
	}
}

// A SpeedCash check of another number is kept under that number and never
// becomes the shop's status; the shop's status comes from its own number.
func TestSpeedCashStatusIsPerPhone(t *testing.T) {
	o := newOtherSNAPApp(t, nicepay.VariantDocumented)
	owner, _, m := o.loginAs(t, db.RoleOwner)
	// Not linked yet: no number of its own, no shop status, whatever is checked.
	owner.post("/merchant-status", url.Values{"phone": {"081200261231"}}).wantStatus(t, http.StatusSeeOther)
	page := owner.get("/merchant-status")
	if page.count("ms-nophone") != 1 || page.count("ms-status") != 0 {
		t.Errorf("unlinked shop: nophone %d, status %q", page.count("ms-nophone"), page.text("ms-status"))
	}

	// The shop's own number is ...1230 (pending at SpeedCash).
	if _, err := o.DB.SQL().ExecContext(t.Context(), o.DB.Rebind(`UPDATE merchants SET phone = '6281200261230' WHERE id = ?`), m.ID); err != nil {
		t.Fatal(err)
	}
	owner.post("/merchant-status", url.Values{"phone": {"0812-0026-1230"}}).wantStatus(t, http.StatusSeeOther)
	if s := owner.get("/merchant-status").text("ms-status"); s != "Belum disetujui" {
		t.Fatalf("shop status %q, want Belum disetujui", s)
	}
	// Someone checks other numbers, accepted and rejected ones.
	for _, p := range []string{"081200261231", "081200261232"} {
		owner.post("/merchant-status", url.Values{"phone": {p}}).wantStatus(t, http.StatusSeeOther)
	}
	page = owner.get("/merchant-status")
	if s := page.text("ms-status"); s != "Belum disetujui" {
		t.Errorf("after checking other numbers the shop's status = %q, want still Belum disetujui", s)
	}
	if !strings.Contains(page.text("ms-shopphone"), "6281200261230") {
		t.Errorf("shop number line %q", page.text("ms-shopphone"))
	}
	// Every result is kept under its number; others are marked as not the shop's.
	if page.count("ms-row") != 4 || page.count("ms-otherphone") != 3 {
		t.Errorf("history: %d rows, %d marked as other numbers; want 4 and 3", page.count("ms-row"), page.count("ms-otherphone"))
	}
	for _, p := range []string{"6281200261231", "6281200261232"} {
		if c, err := o.DB.LastKnownMerchantStatusOf(t.Context(), m.ID, p); err != nil || c.Phone != p {
			t.Errorf("result of %s: %+v, %v", p, c, err)
		}
	}
}

// /link never shows a Netzme merchant another Lapak shop is linked to.
func TestLinkHidesAShopLinkedElsewhere(t *testing.T) {
	m := newMoneyApp(t) // the demo merchant is linked to m.merchant
	shop := m.newMerchant(t, "Toko Penyusup")
	m.seq++
	u := m.newUser(t, "penyusup@uji.test", false, shop.ID, db.RoleOwner)
	c := m.client()
	c.mustLogin(t, u.Email)
	res := c.post("/link", url.Values{"action": {"lookup"}, "phone": {"0812-3456-7890"}}).wantStatus(t, http.StatusUnprocessableEntity)
	if res.count("link-found") != 0 || strings.Contains(res.Body, m.demo.CustID) || strings.Contains(res.Body, m.demo.Name) ||
		strings.Contains(res.Body, m.demo.NMID) {
		t.Error("the lookup shows the other shop's identity")
	}
	if !strings.Contains(res.text("error-phone"), "toko lain") {
		t.Errorf("message %q", res.text("error-phone"))
	}
	c.post("/link", url.Values{"action": {"save"}, "phone": {"0812-3456-7890"}, "cust_id": {m.demo.CustID}}).
		wantStatus(t, http.StatusUnprocessableEntity)
	if got, _ := m.DB.Merchant(t.Context(), shop.ID); got.NetzmeCustID != "" {
		t.Error("linked to a Netzme merchant that belongs to another shop")
	}
	// The shop it belongs to still looks itself up.
	own, _, _ := m.loginAs(t, db.RoleOwner)
	if r := own.post("/link", url.Values{"action": {"lookup"}, "phone": {"0812-3456-7890"}}); r.Code != http.StatusOK ||
		r.text("found-custid") != m.demo.CustID {
		t.Errorf("own lookup: %d %q", r.Code, r.text("found-custid"))
	}
}

// Whole rupiah, at least Rp 1, and the same upper limit on every form:
// nothing reaches Netzme or the books.
func TestAmountRulesOnEveryForm(t *testing.T) {
	m := newMoneyApp(t)
	owner, _, _ := m.loginAs(t, db.RoleOwner)
	ctx := context.Background()
	tests := []struct {
		path  string
		form  url.Values
		field string
		key   string
	}{
		{"/invoices", invoiceForm("amount", "0,01"), "amount", "err.amount.whole"},
		{"/invoices", invoiceForm("amount", "25.000,50"), "amount", "err.amount.whole"},
		{"/invoices", invoiceForm("amount", "10.000.001"), "amount", "err.amount.max"},
		{"/invoices", invoiceForm("amount", "100.000.001", "method", "BANK_TRANSFER"), "amount", "err.amount.max"},
		{"/qris", url.Values{"action": {"dynamic"}, "amount": {"0,01"}}, "amount", "err.amount.whole"},
		{"/qris", url.Values{"action": {"dynamic"}, "amount": {"10.000.001"}}, "amount", "err.amount.max"},
		{"/qris", url.Values{"action": {"convert"}, "amount": {"0,01"}}, "amount", "err.amount.whole"},
		{"/kasir", url.Values{"mode": {"static"}, "amount": {"10.000.001"}}, "amount", "err.amount.max"},
		{"/deposits/topup", url.Values{"amount": {"0,01"}, "method": {"QRIS"}}, "amount", "err.amount.whole"},
		{"/deposits/topup", url.Values{"amount": {"100.000.001"}, "method": {"BANK_TRANSFER"}}, "amount", "err.amount.max"},
		{"/cvs", url.Values{"name": {"Budi"}, "phone": {"081234567890"}, "email": {"b@c.id"}, "goods": {"Kopi"},
			"amount": {"100.000.001"}, "expiry": {"24"}}, "amount", "cvs.err.amount"},
		{"/cvs", url.Values{"name": {"Budi"}, "phone": {"081234567890"}, "email": {"b@c.id"}, "goods": {"Kopi"},
			"amount": {"0,01"}, "expiry": {"24"}}, "amount", "cvs.err.amount"},
	}
	for _, tt := range tests {
		res := owner.post(tt.path, tt.form)
		if res.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s %v: %d, want 422", tt.path, tt.form.Get("amount"), res.Code)
			continue
		}
		if got, want := res.text("error-"+tt.field), views.T(ctx, tt.key); !strings.Contains(got, want) {
			t.Errorf("%s %v: message %q, want %q", tt.path, tt.form.Get("amount"), got, want)
		}
	}
	for _, r := range m.sb.Sandbox.Requests() {
		// The deposits page reads its balance when shown again; nothing
		// may be created.
		if r.Endpoint == string(netzme.EndpointCreateInvoiceTransaction) || r.Endpoint == string(netzme.EndpointTopupDeposit) {
			t.Errorf("Netzme asked to create for a refused amount: %s %s", r.Endpoint, r.RequestBody)
		}
	}
	if page, _ := m.DB.Invoices(t.Context(), m.merchant.ID, db.InvoiceFilter{}, "", 10); len(page.Rows) != 0 {
		t.Errorf("%d invoices written", len(page.Rows))
	}
	if page, _ := m.DB.CVSBills(t.Context(), m.merchant.ID, "", 10); len(page.Rows) != 0 {
		t.Errorf("%d CVS bills written", len(page.Rows))
	}
}

// "Tambah pengguna" asks for the shop and the role: nothing is preselected,
// and a form without them is refused.
func TestAddUserAsksForShopAndRole(t *testing.T) {
	a := newTestApp(t)
	admin, _ := a.loginAdmin(t)
	shop := a.newMerchant(t, "Toko Kopi")
	page := admin.get("/admin/users").wantStatus(t, http.StatusOK)
	if v := page.doc.Find(`[data-testid=user-role] option[selected]`).AttrOr("value", "x"); v != "" {
		t.Errorf("role preselected: %q", v)
	}
	if v := page.doc.Find(`[data-testid=user-merchant] option[selected]`).AttrOr("value", "x"); v != "" {
		t.Errorf("shop preselected: %q", v)
	}
	res := admin.post("/admin/users", url.Values{"email": {"baru@kopi.test"}, "name": {"Baru"}, "password": {"rahasia-panjang-1"},
		"merchant_id": {""}, "role": {""}}).wantStatus(t, http.StatusUnprocessableEntity)
	if res.count("error-merchant_id") != 1 {
		t.Error("no message asking for the shop")
	}
	res = admin.post("/admin/users", url.Values{"email": {"baru@kopi.test"}, "name": {"Baru"}, "password": {"rahasia-panjang-1"},
		"merchant_id": {itoa(int(shop.ID))}, "role": {""}}).wantStatus(t, http.StatusUnprocessableEntity)
	if res.count("error-role") != 1 {
		t.Error("no message asking for the role")
	}
	if _, err := a.DB.UserByEmail(t.Context(), "baru@kopi.test"); err == nil {
		t.Fatal("user created without shop or role")
	}
	// Chosen explicitly, it works — "no shop" is a choice too.
	admin.post("/admin/users", url.Values{"email": {"baru@kopi.test"}, "name": {"Baru"}, "password": {"rahasia-panjang-1"},
		"merchant_id": {itoa(int(shop.ID))}, "role": {"cashier"}}).wantStatus(t, http.StatusSeeOther)
	admin.post("/admin/users", url.Values{"email": {"lepas@kopi.test"}, "name": {"Lepas"}, "password": {"rahasia-panjang-1"},
		"merchant_id": {"0"}, "role": {""}}).wantStatus(t, http.StatusSeeOther)
	u, _ := a.DB.UserByEmail(t.Context(), "baru@kopi.test")
	if mem, err := a.DB.Membership(t.Context(), u.ID, shop.ID); err != nil || mem.Role != db.RoleCashier {
		t.Errorf("membership %+v, %v; want cashier", mem, err)
	}

	// The owner's form: the role is chosen, never defaulted.
	owner, _, _ := a.loginAs(t, db.RoleOwner)
	mp := owner.get("/members").wantStatus(t, http.StatusOK)
	if v := mp.doc.Find(`[data-testid=member-role-select] option[selected]`).AttrOr("value", "x"); v != "" {
		t.Errorf("owner's form preselects role %q", v)
	}
	owner.post("/members", url.Values{"email": {"kasir@kopi.test"}, "name": {"Kasir"}, "password": {"rahasia-panjang-1"}}).
		wantStatus(t, http.StatusUnprocessableEntity)
}

// Owners acknowledge their shop's static-QRIS payments themselves; anything
// else under review stays the administrators'.
func TestOwnerAcknowledgesStaticQRISPayments(t *testing.T) {
	a := callbackApp(t)
	a.sendCallback("qris", qrisBody("ACKRRN000001", "M_TOKO0001", 2_000_000, 14_000))
	iv := a.pendingInvoice(t, a.merchant.ID, "LPKACK1", "TRXACK1", 1_000_000, "on_seller")
	a.sendCallback("invoice", invoiceBody("TRXACK1", "LPKACK1", "M_TOKO0001", 999_900, 7_000, a.clock())) // wrong amount
	var static, mismatch db.Callback
	for _, c := range a.callbacks(t) {
		switch c.Reason {
		case "static_qris":
			static = c
		case "amount_mismatch":
			mismatch = c
		}
	}
	if static.ID == 0 || mismatch.ID == 0 || mismatch.InvoiceID != iv.ID {
		t.Fatalf("callbacks under review: static %d, mismatch %d", static.ID, mismatch.ID)
	}
	owner, _, _ := a.loginAs(t, db.RoleOwner)
	page := owner.get("/notifications/"+itoa(int(static.ID))).wantStatus(t, http.StatusOK)
	if page.count("notif-ack") != 1 {
		t.Fatal("the owner is not offered to mark the static payment received")
	}
	if owner.get("/notifications/"+itoa(int(mismatch.ID))).count("notif-ack") != 0 {
		t.Error("the owner is offered to close an amount mismatch")
	}
	owner.post("/notifications/"+itoa(int(mismatch.ID))+"/resolve", url.Values{"note": {"ok"}}).wantStatus(t, http.StatusForbidden)
	aud, _, _ := a.loginAs(t, db.RoleAuditor)
	aud.post("/notifications/"+itoa(int(static.ID))+"/resolve", nil).wantStatus(t, http.StatusForbidden)

	owner.post("/notifications/"+itoa(int(static.ID))+"/resolve", nil).wantStatus(t, http.StatusSeeOther)
	got, err := a.DB.Callback(t.Context(), 0, static.ID)
	if err != nil || got.Status != db.CallbackResolved || got.ResolutionNote != "Diterima oleh pemilik" {
		t.Errorf("after the owner's acknowledgement: %+v, %v", got, err)
	}
	if n, _ := a.DB.Callback(t.Context(), 0, mismatch.ID); n.Status != db.CallbackNeedsReview {
		t.Error("the mismatch was closed too")
	}
	acts := a.auditActions(t)
	if !slices.ContainsFunc(acts, func(e db.AuditEntry) bool { return e.Action == "callback.resolve" && e.MerchantID == a.merchant.ID }) {
		t.Error("no audit line for the acknowledgement")
	}
	// Another shop's owner cannot see or close it.
	other := a.newMerchant(t, "Toko Lain")
	a.seq++
	ou := a.newUser(t, "lain@uji.test", false, other.ID, db.RoleOwner)
	oc := a.client()
	oc.mustLogin(t, ou.Email)
	oc.post("/notifications/"+itoa(int(static.ID))+"/resolve", nil).wantStatus(t, http.StatusNotFound)
}

// The fixed-amount page does not send a cashier to History (403 for
// cashiers); it offers counter mode, where LUNAS shows.
func TestFixedAmountPageKeepsTheCashierAtTheCounter(t *testing.T) {
	m := newMoneyApp(t)
	cashier, _, _ := m.loginAs(t, db.RoleCashier)
	code := m.qrisCodeFromRedirect(t, cashier.post("/qris", url.Values{"action": {"convert"}, "amount": {"20.000"}}))
	page := cashier.get("/qris/"+itoa(int(code.ID))).wantStatus(t, http.StatusOK)
	if strings.Contains(page.text("qris-not-invoice"), "Riwayat") || page.doc.Find(`a[href^="/history"]`).Length() != 0 {
		t.Errorf("the fixed-amount page points the cashier to History: %q", page.text("qris-not-invoice"))
	}
	cashier.get("/history").wantStatus(t, http.StatusForbidden)
	form := page.doc.Find(`[data-testid=qris-kasir-form]`)
	if form.Length() != 1 {
		t.Fatal("no way to show the amount at the counter")
	}
	vals := url.Values{}
	form.Find("input").Each(func(_ int, s *goquery.Selection) { vals.Set(s.AttrOr("name", ""), s.AttrOr("value", "")) })
	k := m.kasirCode(t, cashier.post("/kasir", vals))
	if k.Kind != db.QRISConverted || k.AmountMinor != 2_000_000 || k.AwaitingUntil.IsZero() {
		t.Errorf("counter code from the fixed-amount page: %+v", k)
	}
}
