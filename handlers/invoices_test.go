package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"lapak/db"
	"lapak/internal/clocktest"
	"lapak/money"
	"lapak/netzme"
	"lapak/netzme/qris"
	"lapak/netzme/sandbox"
	"lapak/netzme/sandbox/sandboxtest"
)

// moneyApp is a testApp whose Netzme client talks HTTP to an in-process
// sandbox, with the app's merchant linked to the sandbox's demo merchant.
type moneyApp struct {
	*testApp
	sb   *sandboxtest.Server
	demo sandbox.Merchant
}

func newMoneyApp(t *testing.T, opts ...testOption) *moneyApp {
	t.Helper()
	m := &moneyApp{}
	m.testApp = newTestApp(t, append(opts, withSandbox(m))...)
	return m
}

// withSandbox talks to a fresh Netzme sandbox over HTTP, with the app's
// merchant linked to the sandbox's demo merchant; m receives both.
func withSandbox(m *moneyApp) testOption {
	return func(t testing.TB, a *testApp, d *Deps) func() {
		// The sandbox (and the client, which shares its clock) starts at the
		// base time and runs on, so its own delays (withdrawals settle after
		// 300 ms) still pass; the app's clock stays at the base time unless
		// advanced.
		m.sb = sandboxtest.NewServer(t, func(o *sandbox.Options) { o.Now = clocktest.Running(t) })
		cfg := m.sb.Config()
		// Short: fault-injected timeouts must not slow the suite.
		cfg.HTTPClient = &http.Client{Timeout: 1500 * time.Millisecond}
		cfg.Observer = money.Recorder{DB: a.DB, Now: a.clock}
		nz, err := netzme.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		d.Netzme, d.CallbackToken = nz, m.sb.Sandbox.Identity().CallbackToken
		m.demo = m.sb.Sandbox.DemoMerchant()
		a.merchant, err = a.DB.CreateMerchant(t.Context(), db.NewMerchant{Name: m.demo.Name, NetzmeCustID: m.demo.CustID,
			City: m.demo.City, NMID: m.demo.NMID, Phone: m.demo.Phone, StaticQRIS: m.demo.StaticQRIS})
		if err != nil {
			t.Fatal(err)
		}
		return nil
	}
}

// otherMerchant creates a second merchant with an owner and one invoice row
// of its own, for isolation tests; it returns the owner's client and the
// invoice id.
func (m *moneyApp) otherMerchant(t *testing.T) (*client, db.Invoice) {
	t.Helper()
	other := m.newMerchant(t, "Toko Lain")
	m.seq++
	u := m.newUser(t, "lain"+itoa(m.seq)+"@uji.test", false, other.ID, db.RoleOwner)
	c := m.client()
	c.mustLogin(t, u.Email)
	iv, err := m.DB.CreateInvoiceIntent(t.Context(), db.NewInvoice{MerchantID: other.ID, PartnerReferenceNo: "OTHER-" + itoa(m.seq),
		Method: "QRIS", AmountMinor: 1_000_000, Description: "rahasia toko lain", ExpiresAt: m.clock().Add(time.Hour)}, db.AuditEntry{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return c, iv
}

func invoiceForm(kv ...string) url.Values {
	f := url.Values{"amount": {"Rp 25.000"}, "description": {"Kopi susu"}, "method": {"QRIS"}}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "<none>" {
			f.Del(kv[i])
		} else {
			f.Set(kv[i], kv[i+1])
		}
	}
	return f
}

// createInvoice posts the form and returns the new invoice (from the 303).
func (m *moneyApp) createInvoice(t *testing.T, c *client, form url.Values) db.Invoice {
	t.Helper()
	res := c.post("/invoices", form).wantStatus(t, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	id, ok := parseID(strings.TrimPrefix(loc, "/invoices/"))
	if !ok {
		t.Fatalf("redirect to %q, want /invoices/{id}", loc)
	}
	iv, err := m.DB.MerchantInvoice(t.Context(), m.merchant.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return iv
}

func TestParseRupiah(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		err  string
	}{
		{"20000", 2_000_000, ""},
		{"20.000", 2_000_000, ""},
		{"Rp 20.000", 2_000_000, ""},
		{"Rp20.000", 2_000_000, ""},
		{"rp. 20.000", 2_000_000, ""},
		{" 1.250.000 ", 125_000_000, ""},
		{"20.000,00", 2_000_000, ""},
		{"20000,0", 2_000_000, ""},
		{"25000.00", 2_500_000, ""},
		// Whole rupiah only (issue 13 §9): no sen, nothing below Rp 1.
		{"20.000,50", 0, "err.amount.whole"},
		{"20000,5", 0, "err.amount.whole"},
		{"15.5", 0, "err.amount.whole"},
		{"0,01", 0, "err.amount.whole"},
		{"", 0, "err.required"},
		{"0", 0, "err.amount.zero"},
		{"Rp 0", 0, "err.amount.zero"},
		{"0,00", 0, "err.amount.zero"},
		{"-5000", 0, "err.amount"},
		{"20.00.0", 0, "err.amount"},
		{"2.0000", 0, "err.amount"},
		{"abc", 0, "err.amount"},
		{"1e6", 0, "err.amount"},
		{"20 000", 0, "err.amount"},
		{"9999999999999999999", 0, "err.amount.max"},
	}
	for _, tt := range tests {
		got, err := parseRupiah(tt.in)
		if got != tt.want || err != tt.err {
			t.Errorf("parseRupiah(%q) = %d, %q; want %d, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestCreateInvoiceValidation(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleCashier)
	tests := []struct {
		name, field string
		form        url.Values
	}{
		{"bad amount", "amount", invoiceForm("amount", "dua puluh ribu")},
		{"zero amount", "amount", invoiceForm("amount", "0")},
		{"missing amount", "amount", invoiceForm("amount", "<none>")},
		{"QRIS above Rp 10 juta", "amount", invoiceForm("amount", "Rp 10.000.001")},
		{"any method above Rp 100 juta", "amount", invoiceForm("amount", "100.000.001", "method", "BANK_TRANSFER")},
		{"missing description", "description", invoiceForm("description", "  ")},
		{"long description", "description", invoiceForm("description", strings.Repeat("x", 201))},
		{"unknown method", "method", invoiceForm("method", "BITCOIN")},
		{"digits in name", "customer_name", invoiceForm("customer_name", "Budi 2")},
		{"bad phone", "customer_phone", invoiceForm("customer_phone", "12345")},
		{"bad e-mail", "customer_email", invoiceForm("customer_email", "budi@")},
		{"expiry zero", "expiry_minutes", invoiceForm("expiry_minutes", "0")},
		{"expiry words", "expiry_minutes", invoiceForm("expiry_minutes", "sejam")},
		{"fee type", "fee_type", invoiceForm("fee_type", "on_netzme")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.post("/invoices", tt.form).wantStatus(t, http.StatusUnprocessableEntity)
			if res.count("error-"+tt.field) != 1 {
				t.Errorf("no message for %s; errors: %q", tt.field, res.text("form-error"))
			}
			if got := res.doc.Find(`#`+tt.field).AttrOr("aria-invalid", ""); tt.field != "method" && tt.field != "fee_type" && got != "true" {
				t.Errorf("field %s not marked invalid", tt.field)
			}
		})
	}
	// 10.000.000 exactly is allowed for QRIS: the limit is inclusive.
	if n, _ := m.DB.CountInvoices(t.Context(), m.merchant.ID, db.InvoiceFilter{}); n != 0 {
		t.Fatalf("%d invoices written by invalid forms, want 0", n)
	}
	iv := m.createInvoice(t, c, invoiceForm("amount", "Rp 10.000.000", "customer_phone", "0812-3456-7890", "customer_name", "Budi Santoso"))
	if iv.AmountMinor != 1_000_000_000 || iv.CustomerPhone != "+6281234567890" {
		t.Errorf("invoice = %d sen, phone %q; want 1_000_000_000 and +6281234567890", iv.AmountMinor, iv.CustomerPhone)
	}
}

func TestCreateInvoiceNeedsLinkedMerchant(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	if err := m.DB.UpdateMerchantNetzme(t.Context(), m.merchant.ID, "", m.merchant.Name, "", "", "", ""); err != nil {
		t.Fatal(err)
	}
	c, _, _ := m.loginAs(t, db.RoleOwner)
	if res := c.get("/invoices").wantStatus(t, http.StatusOK); res.count("not-linked") != 1 {
		t.Error("unlinked shop: no hint on the invoices page")
	}
	res := c.post("/invoices", invoiceForm()).wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(res.text("error-amount"), "Netzme") {
		t.Errorf("message %q, want one about linking Netzme", res.text("error-amount"))
	}
	if len(m.sb.Sandbox.Requests()) != 0 {
		t.Error("Netzme was called for an unlinked merchant")
	}
}

func TestQRISInvoicePaidThroughRefresh(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	c, user, _ := m.loginAs(t, db.RoleCashier)
	iv := m.createInvoice(t, c, invoiceForm("customer_name", "Budi", "customer_email", "budi@contoh.id"))

	if iv.Status != db.InvoicePending || iv.AmountMinor != 2_500_000 || iv.NetzmeTrxID == "" || iv.CreatedBy != user.ID {
		t.Fatalf("invoice after create = %+v", iv)
	}
	trx, err := m.sb.Sandbox.InvoiceTransaction(t.Context(), iv.NetzmeTrxID)
	if err != nil {
		t.Fatal(err)
	}
	if trx.AmountMinor != 2_500_000 || trx.PartnerReferenceNo != iv.PartnerReferenceNo || trx.PayMethod != "QRIS" {
		t.Errorf("Netzme got %d sen, ref %q, method %q", trx.AmountMinor, trx.PartnerReferenceNo, trx.PayMethod)
	}
	// The QR we draw is the payload Netzme's PNG carried, and it is a valid
	// dynamic QRIS for Rp 25.000 of this merchant.
	p, err := qris.Parse(iv.QRISPayload)
	if err != nil || !p.IsDynamic() || p.AmountMinor != 2_500_000 || p.NMID != m.demo.NMID {
		t.Fatalf("stored payload %q: %+v, %v", iv.QRISPayload, p, err)
	}

	res := c.get("/invoices/"+itoa(int(iv.ID))).wantStatus(t, http.StatusOK)
	if got := res.doc.Find(`[data-testid=invoice-status]`).AttrOr("data-status", ""); got != "pending" {
		t.Errorf("status on page = %q, want pending", got)
	}
	if res.count("auto-refresh") != 1 || res.doc.Find(`[data-refresh]`).Length() != 1 {
		t.Error("pending invoice page does not refresh itself")
	}
	if strings.Contains(res.Body, "<script>") || strings.Contains(res.Body, "http-equiv") {
		t.Error("self-refresh must not use inline script")
	}
	if res.doc.Find(`[data-testid=invoice-qr] svg`).Length() != 1 {
		t.Error("no QR drawn on a QRIS invoice")
	}
	print := res.doc.Find(`[data-testid=invoice-print]`).AttrOr("href", "")
	if !strings.HasPrefix(print, "/qris/") || !strings.HasSuffix(print, "/print") {
		t.Errorf("print link = %q, want /qris/{id}/print", print)
	}
	if res.text("flash") == "" || !strings.Contains(res.text("flash"), iv.PartnerReferenceNo) {
		t.Errorf("flash = %q, want the creation message with the reference", res.text("flash"))
	}

	// Still unpaid: a refresh says so and changes nothing.
	res = c.post("/invoices/"+itoa(int(iv.ID))+"/refresh", nil).wantStatus(t, http.StatusSeeOther)
	res = c.get(res.Header.Get("Location"))
	if !strings.Contains(res.text("flash"), "menunggu") {
		t.Errorf("flash after refresh of unpaid = %q", res.text("flash"))
	}

	if _, err := m.sb.Sandbox.PayInvoice(t.Context(), iv.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	c.post("/invoices/"+itoa(int(iv.ID))+"/refresh", nil).wantStatus(t, http.StatusSeeOther)
	res = c.get("/invoices/"+itoa(int(iv.ID))).wantStatus(t, http.StatusOK)
	if got := res.doc.Find(`[data-testid=invoice-status]`).AttrOr("data-status", ""); got != "paid" {
		t.Fatalf("status after payment + refresh = %q, want paid", got)
	}
	if res.count("auto-refresh") != 0 || res.count("invoice-refresh") != 0 {
		t.Error("a paid invoice still refreshes itself or offers a refresh")
	}
	paid, _ := m.DB.MerchantInvoice(t.Context(), m.merchant.ID, iv.ID)
	if paid.PaidAmountMinor.Int64 != 2_500_000 || !paid.FeeMinor.Valid || paid.NetMinor.Int64 != 2_500_000-paid.FeeMinor.Int64 {
		t.Errorf("paid amounts = %+v / %+v / %+v", paid.PaidAmountMinor, paid.FeeMinor, paid.NetMinor)
	}
	// The cashier sees what the customer paid, not Netzme's fee or the net
	// (issue 13 §9); the owner sees both.
	if res.text("invoice-paid") != "Rp 25.000" || res.count("invoice-net") != 0 || res.count("invoice-fee") != 0 {
		t.Errorf("cashier's page amounts: paid %q, net shown %d, fee shown %d", res.text("invoice-paid"),
			res.count("invoice-net"), res.count("invoice-fee"))
	}
	owner, _, _ := m.loginAs(t, db.RoleOwner)
	if res := owner.get("/invoices/" + itoa(int(iv.ID))); res.text("invoice-net") == "" || res.text("invoice-fee") == "" {
		t.Errorf("owner's page lacks net %q / fee %q", res.text("invoice-net"), res.text("invoice-fee"))
	}
	if n := res.count("invoice-event"); n < 3 {
		t.Errorf("timeline has %d steps, want intent, created, paid", n)
	}
	var actions []string
	for _, e := range m.auditActions(t) {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"invoice.create", "invoice.answer", "invoice.refresh"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit %v lacks %s", actions, want)
		}
	}
	calls, err := m.DB.APICalls(t.Context(), m.merchant.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 3 {
		t.Errorf("%d api_calls for the merchant, want create + 2 refreshes", len(calls))
	}
}

func TestInvoiceCreationFaultsResolveByRefresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault sandbox.Fault
		want  db.InvoiceStatus // after "Perbarui status"
	}{
		{"500 not applied", sandbox.Fault{Kind: sandbox.Fault500}, db.InvoiceFailed},
		{"500 applied", sandbox.Fault{Kind: sandbox.Fault500, Apply: true}, db.InvoicePending},
		{"timeout applied", sandbox.Fault{Kind: sandbox.FaultTimeout, Apply: true}, db.InvoicePending},
		{"timeout not applied", sandbox.Fault{Kind: sandbox.FaultTimeout}, db.InvoiceFailed},
		{"garbage applied", sandbox.Fault{Kind: sandbox.FaultGarbage, Apply: true}, db.InvoicePending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMoneyApp(t)
			c, _, _ := m.loginAs(t, db.RoleOwner)
			m.sb.Sandbox.InjectFault(string(netzme.EndpointCreateInvoiceTransaction), tt.fault)
			iv := m.createInvoice(t, c, invoiceForm())
			if iv.Status != db.InvoiceUnknown {
				t.Fatalf("status after %s = %s, want unknown", tt.name, iv.Status)
			}
			res := c.get("/invoices/"+itoa(int(iv.ID))).wantStatus(t, http.StatusOK)
			if !strings.Contains(res.text("flash"), "Netzme tidak menjawab dengan jelas") || res.count("invoice-unknown-help") != 1 {
				t.Errorf("unclear answer not explained: flash %q", res.text("flash"))
			}
			// The owner sees the row in the list.
			if list := c.get("/invoices?status=unknown"); list.count("invoice-row") != 1 {
				t.Error("unknown invoice not listed under its status")
			}
			if tt.want == db.InvoiceFailed {
				// Right after the timeout, "no such transaction" is no proof the
				// request never arrived: the invoice stays unknown.
				c.post("/invoices/"+itoa(int(iv.ID))+"/refresh", nil).wantStatus(t, http.StatusSeeOther)
				if got, _ := m.DB.MerchantInvoice(t.Context(), m.merchant.ID, iv.ID); got.Status != db.InvoiceUnknown {
					t.Fatalf("refresh inside the grace period: %s, want unknown", got.Status)
				}
				m.advance(3 * time.Minute)
			}
			c.post("/invoices/"+itoa(int(iv.ID))+"/refresh", nil).wantStatus(t, http.StatusSeeOther)
			got, _ := m.DB.MerchantInvoice(t.Context(), m.merchant.ID, iv.ID)
			if got.Status != tt.want {
				t.Fatalf("after refresh: %s, want %s", got.Status, tt.want)
			}
			if tt.want == db.InvoicePending && got.NetzmeTrxID == "" {
				t.Error("resolved invoice has no Netzme trxId")
			}
			res = c.get("/invoices/" + itoa(int(iv.ID)))
			if tt.want == db.InvoiceFailed && !strings.Contains(res.text("flash"), "tidak jadi dibuat") {
				t.Errorf("failed resolution flash = %q", res.text("flash"))
			}
		})
	}
}

// TestUnknownInvoiceResolvesByItself: nobody presses "Perbarui status"; the
// background resolver's pass (what cmd/web runs at start-up and every 15 s)
// settles an invoice whose creation timed out, both when Netzme made it and
// when it never arrived.
func TestUnknownInvoiceResolvesByItself(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		apply bool
		want  db.InvoiceStatus
	}{{true, db.InvoicePending}, {false, db.InvoiceFailed}} {
		m := newMoneyApp(t)
		c, _, _ := m.loginAs(t, db.RoleOwner)
		m.sb.Sandbox.InjectFault(string(netzme.EndpointCreateInvoiceTransaction), sandbox.Fault{Kind: sandbox.FaultTimeout, Apply: tc.apply})
		iv := m.createInvoice(t, c, invoiceForm())
		if iv.Status != db.InvoiceUnknown {
			t.Fatalf("after timeout: %s, want unknown", iv.Status)
		}
		if !tc.apply {
			m.handler.money.ResolveOpen(t.Context())
			if got, _ := m.DB.MerchantInvoice(t.Context(), m.merchant.ID, iv.ID); got.Status != db.InvoiceUnknown {
				t.Fatalf("first pass inside the grace period: %s, want unknown", got.Status)
			}
			m.advance(3 * time.Minute)
		}
		if open := m.handler.money.ResolveOpen(t.Context()); open < 0 {
			t.Fatal("resolver pass failed")
		}
		got, _ := m.DB.MerchantInvoice(t.Context(), m.merchant.ID, iv.ID)
		if got.Status != tc.want {
			t.Fatalf("apply=%v: after the resolver pass %s, want %s", tc.apply, got.Status, tc.want)
		}
		if tc.apply && got.NetzmeTrxID == "" {
			t.Error("resolved invoice has no Netzme trxId")
		}
	}
}

func TestInvoiceRefusedByNetzmeIsFailed(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	// A merchant Netzme does not know: a definite refusal, not an unknown outcome.
	if err := m.DB.UpdateMerchantNetzme(t.Context(), m.merchant.ID, "M_NOSUCH1", m.merchant.Name, "", "", "", ""); err != nil {
		t.Fatal(err)
	}
	c, _, _ := m.loginAs(t, db.RoleOwner)
	iv := m.createInvoice(t, c, invoiceForm())
	if iv.Status != db.InvoiceFailed || iv.FailureReason == "" {
		t.Fatalf("invoice = %s %q, want failed with a reason", iv.Status, iv.FailureReason)
	}
	res := c.get("/invoices/" + itoa(int(iv.ID)))
	if !strings.Contains(res.text("flash"), "menolak") || res.text("invoice-failure") == "" {
		t.Errorf("refusal not shown: flash %q, reason %q", res.text("flash"), res.text("invoice-failure"))
	}
	if res.count("invoice-refresh") != 0 {
		t.Error("a failed invoice offers a refresh")
	}
}

func TestInvoiceRolesAndIsolation(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	owner, _, _ := m.loginAs(t, db.RoleOwner)
	iv := m.createInvoice(t, owner, invoiceForm())
	ivPath := "/invoices/" + itoa(int(iv.ID))

	auditor, _, _ := m.loginAs(t, db.RoleAuditor)
	res := auditor.get("/invoices").wantStatus(t, http.StatusOK)
	if res.count("invoice-form") != 0 || res.count("invoice-row") != 1 {
		t.Errorf("auditor list: form %d rows %d; want read-only list", res.count("invoice-form"), res.count("invoice-row"))
	}
	if res := auditor.get(ivPath).wantStatus(t, http.StatusOK); res.count("invoice-refresh") != 0 {
		t.Error("auditor offered Perbarui status")
	}
	auditor.get("/invoices.csv").wantStatus(t, http.StatusOK)
	auditor.post("/invoices", invoiceForm()).wantStatus(t, http.StatusForbidden)
	auditor.post(ivPath+"/refresh", nil).wantStatus(t, http.StatusForbidden)

	cashier, _, _ := m.loginAs(t, db.RoleCashier)
	cashier.get(ivPath).wantStatus(t, http.StatusOK)
	cashier.post(ivPath+"/refresh", nil).wantStatus(t, http.StatusSeeOther)

	// A user without a merchant, and the owner of another merchant.
	noShop := m.client()
	u := m.newUser(t, "tanpa-toko@uji.test", false, 0, "")
	noShop.mustLogin(t, u.Email)
	noShop.get("/invoices").wantStatus(t, http.StatusForbidden)
	noShop.get(ivPath).wantStatus(t, http.StatusForbidden)

	other, otherIv := m.otherMerchant(t)
	other.get(ivPath).wantStatus(t, http.StatusNotFound)
	other.post(ivPath+"/refresh", nil).wantStatus(t, http.StatusNotFound)
	if res := other.get("/invoices"); res.count("invoice-row") != 1 || strings.Contains(res.Body, iv.PartnerReferenceNo) {
		t.Error("another merchant's list shows our invoice")
	}
	if res := other.get("/invoices.csv"); strings.Contains(res.Body, iv.PartnerReferenceNo) {
		t.Error("another merchant's CSV holds our invoice")
	}
	otherPath := "/invoices/" + itoa(int(otherIv.ID))
	owner.get(otherPath).wantStatus(t, http.StatusNotFound)
	owner.post(otherPath+"/refresh", nil).wantStatus(t, http.StatusNotFound)
	if res := owner.get("/invoices.csv"); strings.Contains(res.Body, "rahasia toko lain") {
		t.Error("our CSV holds another merchant's invoice")
	}
	// Signed out: to the login page.
	if res := m.client().get("/invoices"); res.Code != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("anonymous /invoices = %d %s", res.Code, res.Header.Get("Location"))
	}
}

func TestInvoiceListFilterSearchPaging(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	c, u, _ := m.loginAs(t, db.RoleOwner)
	for i := range invoicePageSize + 2 {
		desc := "Nasi goreng"
		if i == 3 {
			desc = "Es teh manis"
		}
		if _, err := m.DB.CreateInvoiceIntent(t.Context(), db.NewInvoice{MerchantID: m.merchant.ID,
			PartnerReferenceNo: "REF" + itoa(i), Method: "QRIS", AmountMinor: int64(i+1) * 100_000, Description: desc,
			ExpiresAt: m.clock().Add(time.Hour), CreatedBy: u.ID}, db.AuditEntry{Action: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	res := c.get("/invoices").wantStatus(t, http.StatusOK)
	if res.count("invoice-row") != invoicePageSize || res.count("pager-next") != 1 {
		t.Fatalf("first page: %d rows, next %d", res.count("invoice-row"), res.count("pager-next"))
	}
	next := res.doc.Find(`[data-testid=pager-next]`).AttrOr("href", "")
	if res := c.get(next); res.count("invoice-row") != 2 || res.count("pager-prev") != 1 {
		t.Errorf("second page %s: %d rows", next, res.count("invoice-row"))
	}
	if res := c.get("/invoices?q=teh"); res.count("invoice-row") != 1 || !strings.Contains(res.text("invoice-row"), "Es teh manis") {
		t.Errorf("search teh: %d rows", res.count("invoice-row"))
	}
	if res := c.get("/invoices?status=paid"); res.count("invoice-row") != 0 || res.count("empty") != 1 {
		t.Errorf("status=paid: %d rows", res.count("invoice-row"))
	}
	if res := c.get("/invoices?status=unknown&q=goreng"); res.count("invoice-row") != invoicePageSize {
		t.Errorf("unknown+goreng: %d rows", res.count("invoice-row"))
	}
}

func TestInvoicesCSV(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleOwner)
	iv := m.createInvoice(t, c, invoiceForm("amount", "25.000", "description", "=HYPERLINK(\"x\")"))
	if _, err := m.sb.Sandbox.PayInvoice(t.Context(), iv.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	c.post("/invoices/"+itoa(int(iv.ID))+"/refresh", nil).wantStatus(t, http.StatusSeeOther)
	m.createInvoice(t, c, invoiceForm("amount", "1000"))

	res := c.get("/invoices.csv").wantStatus(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	rows := csvRecords(t, res.Body)
	if len(rows) != 3 {
		t.Fatalf("%d CSV rows, want header + 2", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"partner_reference_no", "netzme_trx_id", "amount", "status", "paid_amount", "created_at", "paid_at"} {
		if _, ok := col[h]; !ok {
			t.Errorf("header %v lacks %s", rows[0], h)
		}
	}
	var paid []string
	for _, r := range rows[1:] {
		if r[col["partner_reference_no"]] == iv.PartnerReferenceNo {
			paid = r
		}
	}
	if paid == nil {
		t.Fatal("paid invoice not exported")
	}
	if paid[col["amount"]] != "25000.00" || paid[col["paid_amount"]] != "25000.00" || paid[col["status"]] != "paid" ||
		paid[col["netzme_trx_id"]] != iv.NetzmeTrxID {
		t.Errorf("row = %v", paid)
	}
	for _, h := range []string{"created_at", "paid_at"} {
		ts, err := time.Parse(time.RFC3339, paid[col[h]])
		if err != nil || !strings.HasSuffix(paid[col[h]], "+07:00") {
			t.Errorf("%s = %q (%v), want ISO-8601 with +07:00", h, paid[col[h]], err)
		}
		if d := ts.Sub(m.clock()); d < -time.Hour || d > time.Hour {
			t.Errorf("%s = %v, not within the hour of the app's clock %v", h, ts, m.clock())
		}
	}
	if !strings.HasPrefix(paid[col["description"]], "'=") {
		t.Errorf("formula not defused: %q", paid[col["description"]])
	}
	// The status filter applies to the export too.
	res = c.get("/invoices.csv?status=paid")
	if rows := csvRecords(t, res.Body); len(rows) != 2 {
		t.Errorf("status=paid export: %d rows, want header + 1", len(rows))
	}
}
