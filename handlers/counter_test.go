package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"lapak/db"
	"lapak/snap/nicepay"
	"lapak/views"
)

// kasirCode follows POST /kasir's 303 to /kasir/qris/{id} and loads the code.
func (m *moneyApp) kasirCode(t *testing.T, res *response) db.QRISCode {
	t.Helper()
	res.wantStatus(t, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	id, ok := parseID(strings.TrimPrefix(loc, "/kasir/qris/"))
	if !ok {
		t.Fatalf("redirect to %q, want /kasir/qris/{id}", loc)
	}
	c, err := m.DB.MerchantQRISCode(t.Context(), m.merchant.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type liveStatus struct {
	Status    string `json:"status"`
	PaidAt    string `json:"paid_at"`
	Receipt   string `json:"receipt"`
	ReceiptWA string `json:"receipt_wa"`
}

// status reads a live-status endpoint.
func (c *client) status(t *testing.T, path string) liveStatus {
	t.Helper()
	res := c.get(path).wantStatus(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s Content-Type %q", path, ct)
	}
	var s liveStatus
	if err := json.Unmarshal([]byte(res.Body), &s); err != nil {
		t.Fatalf("%s: %v in %q", path, err, res.Body)
	}
	return s
}

func TestCounterModeDynamicQRISTurnsPaid(t *testing.T) {
	m := newMoneyApp(t)
	cashier, _, _ := m.loginAs(t, db.RoleCashier)

	if cashier.get("/").count("nav-kasir") != 1 {
		t.Error("the cashier's menu has no Kasir")
	}
	page := cashier.get("/kasir").wantStatus(t, http.StatusOK)
	if page.count("kasir-keypad") != 1 || page.count("kasir-form") != 1 {
		t.Fatal("counter mode lacks the keypad or the form")
	}
	if n := page.doc.Find(`[data-testid=kasir-keypad] [data-key]`).Length(); n != 12 {
		t.Errorf("keypad has %d keys, want 0–9, 000 and ⌫", n)
	}
	if im := page.doc.Find(`#amount`).AttrOr("inputmode", ""); im != "numeric" {
		t.Errorf("amount inputmode %q", im)
	}
	if strings.Contains(page.Body, "<script>") {
		t.Error("inline script on the counter page")
	}
	if page.doc.Find(`script[src^="/static/kasir.js"]`).Length() != 1 {
		t.Error("counter page does not load static/kasir.js")
	}

	// The amount rules of every form: no sen, nothing below Rp 1, the QRIS cap.
	for amount, key := range map[string]string{"0,01": "err.amount.whole", "0": "err.amount.zero", "10.000.001": "err.amount.max",
		"abc": "err.amount"} {
		res := cashier.post("/kasir", url.Values{"amount": {amount}, "mode": {"dynamic"}}).wantStatus(t, http.StatusUnprocessableEntity)
		if got, want := res.text("error-amount"), views.T(context.Background(), key); got != want {
			t.Errorf("amount %q: message %q, want %q", amount, got, want)
		}
		if res.doc.Find(`#amount`).AttrOr("value", "") != amount {
			t.Errorf("amount %q not shown again", amount)
		}
	}
	if n := len(m.sb.Sandbox.Requests()); n != 0 {
		t.Fatalf("%d Netzme calls for refused amounts", n)
	}

	code := m.kasirCode(t, cashier.post("/kasir", url.Values{"amount": {"25.000"}, "mode": {"dynamic"}}))
	if code.Kind != db.QRISInvoice || code.AmountMinor != 2_500_000 {
		t.Fatalf("counter code %+v, want the dynamic code of a Rp 25.000 invoice", code)
	}
	iv, err := m.DB.MerchantInvoice(t.Context(), m.merchant.ID, code.InvoiceID)
	if err != nil || iv.Method != "QRIS" || iv.Purpose != "sale" || iv.Status != db.InvoicePending {
		t.Fatalf("invoice behind the code: %+v, %v", iv, err)
	}
	screen := cashier.get("/kasir/qris/"+itoa(int(code.ID))).wantStatus(t, http.StatusOK)
	if screen.text("kasir-amount") != "Rp 25.000" || screen.text("kasir-merchant") != m.merchant.Name ||
		screen.doc.Find(`[data-testid=kasir-qr] svg`).Length() != 1 {
		t.Errorf("QR screen: amount %q shop %q", screen.text("kasir-amount"), screen.text("kasir-merchant"))
	}
	live := screen.doc.Find(`[data-testid=kasir-screen]`)
	statusURL := live.AttrOr("data-status-url", "")
	if live.AttrOr("data-status", "") != "pending" || statusURL != "/kasir/qris/"+itoa(int(code.ID))+"/status" {
		t.Errorf("live status attributes: %q %q", live.AttrOr("data-status", ""), statusURL)
	}
	if screen.doc.Find(`[data-testid=kasir-paid][hidden]`).Length() != 1 {
		t.Error("LUNAS shown before any payment")
	}
	if s := cashier.status(t, statusURL); s.Status != "pending" || s.Receipt != "" {
		t.Errorf("status before payment: %+v", s)
	}

	// Paid at Netzme; the status flips as soon as Lapak knows (here through
	// "Perbarui status"; in the app the callback does it).
	if _, err := m.sb.Sandbox.PayInvoice(t.Context(), iv.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	cashier.post("/invoices/"+itoa(int(iv.ID))+"/refresh", nil).wantStatus(t, http.StatusSeeOther)
	s := cashier.status(t, statusURL)
	if s.Status != "paid" || s.Receipt != "/invoices/"+itoa(int(iv.ID))+"/receipt" || !strings.HasSuffix(s.PaidAt, "WIB") {
		t.Fatalf("status after payment: %+v", s)
	}
	wa, err := url.Parse(s.ReceiptWA)
	if err != nil || wa.Host != "wa.me" || !strings.Contains(wa.Query().Get("text"), iv.PartnerReferenceNo) ||
		!strings.Contains(wa.Query().Get("text"), "Rp 25.000") {
		t.Errorf("Bagikan struk link %q", s.ReceiptWA)
	}
	screen = cashier.get("/kasir/qris/" + itoa(int(code.ID)))
	if screen.doc.Find(`[data-testid=kasir-paid]:not([hidden])`).Length() != 1 || screen.count("kasir-receipt") != 1 {
		t.Error("a paid code's screen does not show LUNAS with the receipt")
	}
	if screen.doc.Find(`noscript meta[http-equiv=refresh]`).Length() != 0 {
		t.Error("a paid screen still reloads itself")
	}

	// Auditors read the books but do not sell; another shop's code is not found.
	aud, _, _ := m.loginAs(t, db.RoleAuditor)
	aud.get("/kasir").wantStatus(t, http.StatusForbidden)
	aud.post("/kasir", url.Values{"amount": {"1000"}}).wantStatus(t, http.StatusForbidden)
	other, _ := m.otherMerchant(t)
	other.get("/kasir/qris/"+itoa(int(code.ID))).wantStatus(t, http.StatusNotFound)
	other.get(statusURL).wantStatus(t, http.StatusNotFound)
	// The chime is a real WAV made by Lapak.
	if res := cashier.get("/kasir/lunas.wav"); res.Code != 200 || res.Header.Get("Content-Type") != "audio/wav" ||
		!strings.HasPrefix(res.Body, "RIFF") || !strings.Contains(res.Body[:16], "WAVE") {
		t.Errorf("chime: %d %q", res.Code, res.Header.Get("Content-Type"))
	}
}

// A fixed-amount code shown at the counter turns LUNAS when the static-QRIS
// payment of exactly its amount arrives; two waiting codes with the same
// amount cannot be told apart, so neither is matched and the cashier is
// told; a printed code never waits.
func TestCounterModeFixedAmountMatchesStaticPayment(t *testing.T) {
	m := newMoneyApp(t)
	m.handler.callbackToken = testCallbackToken
	cashier, _, _ := m.loginAs(t, db.RoleCashier)

	code := m.kasirCode(t, cashier.post("/kasir", url.Values{"amount": {"12.000"}, "mode": {"static"}}))
	if code.Kind != db.QRISConverted || code.AmountMinor != 1_200_000 || code.AwaitingUntil.IsZero() {
		t.Fatalf("fixed-amount counter code %+v", code)
	}
	statusURL := "/kasir/qris/" + itoa(int(code.ID)) + "/status"
	screen := cashier.get("/kasir/qris/"+itoa(int(code.ID))).wantStatus(t, http.StatusOK)
	if !strings.Contains(screen.text("kasir-static-note"), "nominal") {
		t.Errorf("fixed-amount note %q", screen.text("kasir-static-note"))
	}
	// A different amount is not its payment.
	m.sendCallback("qris", qrisBody("RRNOTHER0001", m.demo.CustID, 1_100_000, 7_700))
	if s := cashier.status(t, statusURL); s.Status != "pending" {
		t.Fatalf("after another amount: %+v", s)
	}
	m.sendCallback("qris", qrisBody("RRNKASIR0001", m.demo.CustID, 1_200_000, 8_400))
	s := cashier.status(t, statusURL)
	if s.Status != "paid" || !strings.HasPrefix(s.Receipt, "/payments/") {
		t.Fatalf("after the static payment: %+v", s)
	}
	rec := cashier.get(s.Receipt).wantStatus(t, http.StatusOK)
	if rec.text("receipt-reference") != "RRNKASIR0001" || rec.text("receipt-amount") != "Rp 12.000" ||
		!strings.Contains(rec.text("receipt-method"), "QRIS statis") {
		t.Errorf("static receipt: %q %q %q", rec.text("receipt-reference"), rec.text("receipt-amount"), rec.text("receipt-method"))
	}
	// The same payment announced again matches nothing else.
	m.sendCallback("qris", qrisBody("RRNKASIR0001", m.demo.CustID, 1_200_000, 8_400))

	// Two codes waiting for Rp 15.000: a payment of Rp 15.000 is nobody's.
	a := m.kasirCode(t, cashier.post("/kasir", url.Values{"amount": {"15000"}, "mode": {"static"}}))
	b := m.kasirCode(t, cashier.post("/kasir", url.Values{"amount": {"15000"}, "mode": {"static"}}))
	if txt := cashier.get("/kasir/qris/" + itoa(int(b.ID))).text("kasir-static-note"); !strings.Contains(txt, "tidak bisa dicocokkan") {
		t.Errorf("second same-amount code does not warn: %q", txt)
	}
	m.sendCallback("qris", qrisBody("RRNTWIN00001", m.demo.CustID, 1_500_000, 10_500))
	for _, c := range []db.QRISCode{a, b} {
		if s := cashier.status(t, "/kasir/qris/"+itoa(int(c.ID))+"/status"); s.Status != "pending" {
			t.Errorf("ambiguous payment matched code %d: %+v", c.ID, s)
		}
	}
	// A code stops waiting after its window.
	m.advance(16 * time.Minute)
	if s := cashier.status(t, "/kasir/qris/"+itoa(int(a.ID))+"/status"); s.Status != "expired" {
		t.Errorf("after the wait: %+v", s)
	}
	// A printed fixed-amount code is not a counter screen.
	printed := m.qrisCodeFromRedirect(t, cashier.post("/qris", url.Values{"action": {"convert"}, "amount": {"12.000"}}))
	cashier.get("/kasir/qris/"+itoa(int(printed.ID))).wantStatus(t, http.StatusNotFound)
	// The owner sees the matched payment under review with the code named.
	cbs := m.callbacks(t)
	matched := 0
	for _, c := range cbs {
		if strings.Contains(c.Note, "counter code #"+itoa(int(code.ID))) {
			matched++
		}
	}
	if matched != 1 {
		t.Errorf("%d callbacks name the matched counter code, want 1", matched)
	}
}

// payLinkOf opens an invoice page as a seller and returns the pay-page
// path from its share box.
func payLinkOf(t *testing.T, c *client, page string) (path, waText string) {
	t.Helper()
	res := c.get(page).wantStatus(t, http.StatusOK)
	u := res.doc.Find(`[data-testid=share-url]`).AttrOr("href", "")
	pu, err := url.Parse(u)
	if err != nil || !strings.HasPrefix(pu.Path, "/p/") {
		t.Fatalf("%s: share URL %q", page, u)
	}
	wa, err := url.Parse(res.doc.Find(`[data-testid=share-whatsapp]`).AttrOr("href", ""))
	if err != nil || wa.Scheme != "https" || wa.Host != "wa.me" {
		t.Fatalf("%s: WhatsApp link %v", page, wa)
	}
	if cp := res.doc.Find(`[data-testid=share-copy]`).AttrOr("data-copy", ""); cp != u {
		t.Errorf("%s: Salin tautan copies %q, want %q", page, cp, u)
	}
	return pu.Path, wa.Query().Get("text")
}

func TestPayPageShowsOnlyWhatACustomerNeeds(t *testing.T) {
	m := newMoneyApp(t)
	owner, _, _ := m.loginAs(t, db.RoleOwner)
	iv := m.createInvoice(t, owner, invoiceForm("amount", "18.500", "description", "Nasi goreng rahasia",
		"customer_name", "Budi Santoso", "customer_phone", "081234567890", "customer_email", "budi@contoh.id"))
	other := m.createInvoice(t, owner, invoiceForm("amount", "99.000", "description", "Pesanan lain"))
	path, text := payLinkOf(t, owner, "/invoices/"+itoa(int(iv.ID)))
	otherPath, _ := payLinkOf(t, owner, "/invoices/"+itoa(int(other.ID)))
	if path == otherPath {
		t.Fatal("two invoices share one pay link")
	}
	if again, _ := payLinkOf(t, owner, "/invoices/"+itoa(int(iv.ID))); again != path {
		t.Errorf("the pay link changed between visits: %s, then %s", path, again)
	}
	// A dynamic QRIS code's page offers its invoice's pay page.
	dyn := m.qrisCodeFromRedirect(t, owner.post("/qris", url.Values{"action": {"dynamic"}, "amount": {"5.000"}}))
	viaCode, _ := payLinkOf(t, owner, "/qris/"+itoa(int(dyn.ID)))
	if viaInvoice, _ := payLinkOf(t, owner, "/invoices/"+itoa(int(dyn.InvoiceID))); viaCode != viaInvoice {
		t.Errorf("QRIS page shares %s, its invoice %s", viaCode, viaInvoice)
	}
	token := strings.TrimPrefix(path, "/p/")
	if len(token) < 22 { // 128 bits in base64url
		t.Errorf("token %q is shorter than 128 bits", token)
	}
	// The WhatsApp text is Indonesian and carries the pay page (built from
	// the request's host: no public URL is set in this test).
	if !strings.Contains(text, "http://example.com"+path) || !strings.Contains(text, "silakan bayar Rp 18.500") {
		t.Errorf("WhatsApp text %q", text)
	}

	// The customer, without any session.
	cust := m.client()
	cust.remoteAddr = "198.51.100.7:40000"
	res := cust.get(path).wantStatus(t, http.StatusOK)
	if res.text("pay-amount") != "Rp 18.500" || res.text("pay-merchant") != m.merchant.Name ||
		res.doc.Find(`[data-testid=pay-qr] svg`).Length() != 1 || !strings.Contains(res.text("pay-expires"), "WIB") {
		t.Errorf("pay page: amount %q shop %q expires %q", res.text("pay-amount"), res.text("pay-merchant"), res.text("pay-expires"))
	}
	if res.doc.Find(`[data-testid=pay-page]`).AttrOr("data-status", "") != "pending" {
		t.Error("pay page not pending")
	}
	if res.Header.Get("X-Robots-Tag") != "noindex, nofollow" || res.doc.Find(`meta[name=robots][content*=noindex]`).Length() != 1 {
		t.Errorf("pay page is indexable: header %q", res.Header.Get("X-Robots-Tag"))
	}
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("pay page headers: %q %q", res.Header.Get("Cache-Control"), res.Header.Get("Referrer-Policy"))
	}
	// Nothing that names Lapak's records, the customer, or anything else.
	for what, s := range map[string]string{
		"reference": iv.PartnerReferenceNo, "trxId": iv.NetzmeTrxID, "Netzme invoice id": iv.NetzmeInvoiceID,
		"custIdMerchant": m.demo.CustID, "description": "Nasi goreng rahasia", "customer name": "Budi Santoso",
		"customer phone": "81234567890", "customer e-mail": "budi@contoh.id", "the QR payload": iv.QRISPayload[:40],
		"the other invoice's amount": "99.000", "the other invoice": other.PartnerReferenceNo,
		"the invoice page": "/invoices/", "the merchant id": "merchant_id",
	} {
		if strings.Contains(res.Body, s) {
			t.Errorf("pay page shows %s (%q)", what, s)
		}
	}
	if strings.Contains(res.Body, "/invoices/"+itoa(int(iv.ID))) || res.doc.Find(`a[href^="/"]:not([href^="/static"])`).Length() != 0 {
		t.Error("pay page links into the back office")
	}
	if cust.status(t, path+"/status").Status != "pending" {
		t.Error("status endpoint not pending")
	}
	// Another invoice's token shows that invoice only.
	if o := cust.get(otherPath); o.text("pay-amount") != "Rp 99.000" || strings.Contains(o.Body, "18.500") {
		t.Errorf("other token shows %q", o.text("pay-amount"))
	}
	// Guessed or altered tokens are not found.
	for _, bad := range []string{"/p/" + strings.ToUpper(token), "/p/" + token[:len(token)-1] + "A", "/p/AAAAAAAAAAAAAAAAAAAAAAAA",
		"/p/" + itoa(int(iv.ID)), "/p/" + iv.PartnerReferenceNo, "/p/x", "/p/" + token + "%27--"} {
		if bad == path {
			continue
		}
		if r := cust.get(bad); r.Code != http.StatusNotFound {
			t.Errorf("%s = %d, want 404", bad, r.Code)
		}
	}

	// Paid: the page and its status say LUNAS, still nothing more.
	if _, err := m.sb.Sandbox.PayInvoice(t.Context(), iv.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	owner.post("/invoices/"+itoa(int(iv.ID))+"/refresh", nil).wantStatus(t, http.StatusSeeOther)
	if s := cust.status(t, path+"/status"); s.Status != "paid" || s.Receipt != "" || s.ReceiptWA != "" {
		t.Errorf("paid status for the customer: %+v", s)
	}
	res = cust.get(path)
	if res.doc.Find(`[data-testid=pay-paid]`).Length() != 1 || res.doc.Find(`[data-testid=pay-how][hidden]`).Length() != 1 {
		t.Error("paid pay page does not say LUNAS or still offers the QR")
	}
	if strings.Contains(res.Body, iv.PartnerReferenceNo) {
		t.Error("paid pay page shows the reference")
	}
	// A paid invoice is no longer offered for sharing.
	if owner.get("/invoices/"+itoa(int(iv.ID))).count("share") != 0 {
		t.Error("a paid invoice still offers its pay link")
	}
}

func TestPayPageIsRateLimitedPerAddress(t *testing.T) {
	m := newMoneyApp(t)
	owner, _, _ := m.loginAs(t, db.RoleOwner)
	iv := m.createInvoice(t, owner, invoiceForm())
	path, _ := payLinkOf(t, owner, "/invoices/"+itoa(int(iv.ID)))

	scanner := m.client()
	scanner.remoteAddr = "203.0.113.50:1234"
	for i := range payMisses {
		scanner.get("/p/AAAAAAAAAAAAAAAAAAAAAA"+strconv.Itoa(10+i)).wantStatus(t, http.StatusNotFound)
	}
	// Past the misses even a valid token is refused to that address…
	if r := scanner.get(path); r.Code != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("after %d misses: %d, want 429 with Retry-After", payMisses, r.Code)
	}
	// …but not to the customer's phone.
	cust := m.client()
	cust.remoteAddr = "198.51.100.8:1234"
	cust.get(path).wantStatus(t, http.StatusOK)
	// Polling: the request cap of a minute, then 429, then fine again.
	for range payRequests - 1 {
		cust.get(path+"/status").wantStatus(t, http.StatusOK)
	}
	cust.get(path+"/status").wantStatus(t, http.StatusTooManyRequests)
	m.advance(payRequestsWindow)
	cust.get(path+"/status").wantStatus(t, http.StatusOK)
	m.advance(payMissesWindow)
	scanner.get(path).wantStatus(t, http.StatusOK)
}

// CVS bills get a pay page too: the store payment number, amount, expiry.
func TestCVSBillPayPageAndReceipt(t *testing.T) {
	o := newOtherSNAPApp(t, nicepay.VariantDocumented)
	cashier, _, m := o.loginAs(t, db.RoleCashier)
	res := cashier.post("/cvs", url.Values{"name": {"Budi"}, "phone": {"081234567890"}, "email": {"budi@contoh.id"},
		"goods": {"Kopi 1 kg"}, "amount": {"75.000"}, "expiry": {"24"}}).wantStatus(t, http.StatusSeeOther)
	billPage := res.Header.Get("Location")
	path, text := payLinkOf(t, cashier, billPage)
	bills, err := o.DB.CVSBills(t.Context(), m.ID, 10)
	if err != nil || len(bills) != 1 {
		t.Fatal(bills, err)
	}
	b := bills[0]
	if !strings.Contains(text, path) || !strings.Contains(text, "Rp 75.000") {
		t.Errorf("WhatsApp text %q", text)
	}
	cust := o.client()
	pay := cust.get(path).wantStatus(t, http.StatusOK)
	if pay.text("pay-payno") != b.PayNo || pay.text("pay-amount") != "Rp 75.000" {
		t.Errorf("CVS pay page: %q %q", pay.text("pay-payno"), pay.text("pay-amount"))
	}
	for _, s := range []string{b.PartnerReferenceNo, "Budi", "081234567890", "Kopi 1 kg"} {
		if strings.Contains(pay.Body, s) {
			t.Errorf("CVS pay page shows %q", s)
		}
	}
	// No receipt before it is paid; after the store pays, one.
	cashier.get(billPage+"/receipt").wantStatus(t, http.StatusNotFound)
	cashier.post(billPage+"/simulate", url.Values{"step": {"pay"}}).wantStatus(t, http.StatusSeeOther)
	if s := cust.status(t, path+"/status"); s.Status != "paid" {
		t.Fatalf("CVS pay page after payment: %+v", s)
	}
	rec := cashier.get(billPage+"/receipt").wantStatus(t, http.StatusOK)
	if rec.text("receipt-reference") != b.PayNo || rec.text("receipt-amount") != "Rp 75.000" ||
		rec.doc.Find(`[data-testid=receipt-qr] svg`).Length() != 1 || rec.doc.Find(`button[data-print]`).Length() != 1 {
		t.Errorf("CVS receipt: %q %q", rec.text("receipt-reference"), rec.text("receipt-amount"))
	}
}

func TestReceiptsOfPaidInvoices(t *testing.T) {
	m := newMoneyApp(t)
	cashier, _, _ := m.loginAs(t, db.RoleCashier)
	iv := m.createInvoice(t, cashier, invoiceForm("amount", "40.000", "description", "Sate 10 tusuk"))
	recURL := "/invoices/" + itoa(int(iv.ID)) + "/receipt"
	cashier.get(recURL).wantStatus(t, http.StatusNotFound) // not paid yet
	if _, err := m.sb.Sandbox.PayInvoice(t.Context(), iv.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	cashier.post("/invoices/"+itoa(int(iv.ID))+"/refresh", nil).wantStatus(t, http.StatusSeeOther)
	if p := cashier.get("/invoices/" + itoa(int(iv.ID))); p.doc.Find(`[data-testid=invoice-receipt]`).AttrOr("href", "") != recURL {
		t.Error("the paid invoice page does not link its receipt")
	}
	for size, want := range map[string]string{"": "58mm", "?size=58mm": "58mm", "?size=a6": "a6", "?size=x": "58mm"} {
		rec := cashier.get(recURL+size).wantStatus(t, http.StatusOK)
		if got := rec.doc.Find(`[data-testid=receipt]`).AttrOr("data-size", ""); got != want {
			t.Errorf("size %q: %q", size, got)
		}
		if rec.doc.Find(`[aria-current=page][data-testid=size-`+strings.TrimSuffix(want, "mm")+`]`).Length() != 1 {
			t.Errorf("size %q: the shown size is not marked", size)
		}
		if rec.doc.Find(`button[data-print]`).Length() != 1 || strings.Contains(rec.Body, "Ctrl+P") {
			t.Errorf("size %q: no Cetak button", size)
		}
		if rec.text("receipt-merchant") != m.merchant.Name || rec.text("receipt-amount") != "Rp 40.000" ||
			rec.text("receipt-method") != "QRIS" || rec.text("receipt-reference") != iv.PartnerReferenceNo ||
			!strings.HasSuffix(rec.text("receipt-time"), "WIB") || rec.doc.Find(`[data-testid=receipt-qr] svg`).Length() != 1 {
			t.Errorf("receipt facts: %q %q %q %q %q", rec.text("receipt-merchant"), rec.text("receipt-amount"),
				rec.text("receipt-method"), rec.text("receipt-reference"), rec.text("receipt-time"))
		}
	}
	other, _ := m.otherMerchant(t)
	other.get(recURL).wantStatus(t, http.StatusNotFound)
	other.get("/payments/1/receipt").wantStatus(t, http.StatusNotFound)
}

func TestShiftsOpenCloseAndReport(t *testing.T) {
	m := newMoneyApp(t)
	m.handler.callbackToken = testCallbackToken
	ani, aniUser, _ := m.loginAs(t, db.RoleCashier)
	budi, _, _ := m.loginAs(t, db.RoleCashier)
	owner, _, _ := m.loginAs(t, db.RoleOwner)

	ani.get("/kasir/shift").wantStatus(t, http.StatusOK)
	ani.post("/kasir/shift/open", nil).wantStatus(t, http.StatusSeeOther)
	if res := ani.post("/kasir/shift/open", nil); res.Code != http.StatusSeeOther {
		t.Fatalf("second open: %d", res.Code)
	}
	if f := ani.get("/kasir/shift").text("flash"); !strings.Contains(f, "sudah terbuka") {
		t.Errorf("second open says %q", f)
	}
	sh, err := m.DB.OpenShiftOf(t.Context(), m.merchant.ID, aniUser.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := m.DB.Shifts(t.Context(), m.merchant.ID, aniUser.ID, 10); len(n) != 1 {
		t.Fatalf("%d shifts after opening twice, want 1", len(n))
	}
	if page := ani.get("/kasir"); page.count("kasir-shift") != 1 || page.count("kasir-noshift") != 0 {
		t.Error("counter mode does not show the open shift")
	}

	// Ani sells by dynamic QRIS and a fixed-amount code; Budi sells too.
	pay := func(c *client, amount string) {
		t.Helper()
		iv := m.createInvoice(t, c, invoiceForm("amount", amount))
		if _, err := m.sb.Sandbox.PayInvoice(t.Context(), iv.NetzmeTrxID, 0); err != nil {
			t.Fatal(err)
		}
		c.post("/invoices/"+itoa(int(iv.ID))+"/refresh", nil).wantStatus(t, http.StatusSeeOther)
	}
	pay(ani, "25.000")
	pay(ani, "10.000")
	pay(budi, "7.000")
	m.kasirCode(t, ani.post("/kasir", url.Values{"amount": {"12.000"}, "mode": {"static"}}))
	m.sendCallback("qris", qrisBody("RRNSHIFT0001", m.demo.CustID, 1_200_000, 8_400))
	m.sendCallback("qris", qrisBody("RRNSHIFT0002", m.demo.CustID, 3_000_000, 21_000)) // nobody's

	m.advance(time.Minute) // the shift ran a minute
	shiftURL := "/kasir/shifts/" + itoa(int(sh.ID))
	// Budi may neither see nor close Ani's shift.
	budi.get(shiftURL).wantStatus(t, http.StatusNotFound)
	budi.post(shiftURL+"/close", nil).wantStatus(t, http.StatusNotFound)

	ani.post(shiftURL+"/close", nil).wantStatus(t, http.StatusSeeOther)
	rep := ani.get(shiftURL).wantStatus(t, http.StatusOK)
	if rep.text("shift-own-count") != "3" || rep.text("shift-own-total") != "Rp 47.000" {
		t.Errorf("Ani's shift: %s sales, %s; want 3 and Rp 47.000", rep.text("shift-own-count"), rep.text("shift-own-total"))
	}
	rows := rep.doc.Find(`[data-testid=shift-own-row]`)
	if rows.Length() != 2 || !strings.Contains(rows.Text(), "QRIS statis") || !strings.Contains(rows.Text(), "Rp 35.000") {
		t.Errorf("Ani's shift by method: %q", rows.Text())
	}
	if rep.count("shift-shop") != 0 {
		t.Error("a cashier sees the whole shop's totals")
	}
	if !strings.Contains(rep.text("shift-unmatched"), "1 pembayaran") {
		t.Errorf("unmatched static payments: %q", rep.text("shift-unmatched"))
	}
	if rep.count("shift-close") != 0 {
		t.Error("a closed shift offers to close again")
	}
	pr := ani.get(shiftURL+"/print").wantStatus(t, http.StatusOK)
	if pr.text("shift-print-total") != "Rp 47.000" || pr.doc.Find(`[data-testid=shift-sheet][data-size="58mm"]`).Length() != 1 ||
		pr.doc.Find(`button[data-print]`).Length() != 1 {
		t.Errorf("printed shift: %q", pr.text("shift-print-total"))
	}

	// The owner sees every shift and the shop's totals beside Ani's.
	list := owner.get("/kasir/shift").wantStatus(t, http.StatusOK)
	if list.doc.Find(`[data-testid=shifts-all] [data-testid=shift-row]`).Length() != 1 {
		t.Error("the owner does not see Ani's shift")
	}
	orep := owner.get(shiftURL).wantStatus(t, http.StatusOK)
	if orep.text("shift-shop-total") != "Rp 84.000" || orep.text("shift-shop-count") != "5" {
		t.Errorf("shop during the shift: %s sales, %s; want 5 and Rp 84.000", orep.text("shift-shop-count"), orep.text("shift-shop-total"))
	}
	// An owner closes a cashier's forgotten shift; a cashier cannot close
	// someone else's.
	budi.post("/kasir/shift/open", nil).wantStatus(t, http.StatusSeeOther)
	bs, _ := m.DB.Shifts(t.Context(), m.merchant.ID, 0, 10)
	var budiShift db.Shift
	for _, s := range bs {
		if s.Open() {
			budiShift = s
		}
	}
	ani.post("/kasir/shifts/"+itoa(int(budiShift.ID))+"/close", nil).wantStatus(t, http.StatusNotFound)
	owner.post("/kasir/shifts/"+itoa(int(budiShift.ID))+"/close", nil).wantStatus(t, http.StatusSeeOther)
	if s, _ := m.DB.MerchantShift(t.Context(), m.merchant.ID, budiShift.ID); s.Open() {
		t.Error("the owner could not close Budi's shift")
	}
	aud, _, _ := m.loginAs(t, db.RoleAuditor)
	aud.get(shiftURL).wantStatus(t, http.StatusOK)
	aud.post("/kasir/shift/open", nil).wantStatus(t, http.StatusForbidden)
	other, _ := m.otherMerchant(t)
	other.get(shiftURL).wantStatus(t, http.StatusNotFound)
	var opens, closes int
	for _, e := range m.auditActions(t) {
		switch e.Action {
		case "shift.open":
			opens++
		case "shift.close":
			closes++
		}
	}
	if opens != 2 || closes != 2 {
		t.Errorf("audit: %d shift.open, %d shift.close; want 2 and 2", opens, closes)
	}
}
