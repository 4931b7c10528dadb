package handlers

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"lapak/db"
	"lapak/netzme/qris"
	"lapak/netzme/sandbox"
)

// qrisCodeFromRedirect follows a 303 to /qris/{id} and loads the code.
func (m *moneyApp) qrisCodeFromRedirect(t *testing.T, res *response) db.QRISCode {
	t.Helper()
	res.wantStatus(t, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	id, ok := parseID(strings.TrimPrefix(loc, "/qris/"))
	if !ok {
		t.Fatalf("redirect to %q, want /qris/{id}", loc)
	}
	c, err := m.DB.MerchantQRISCode(t.Context(), m.merchant.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// upload posts an image file as the sticker-check form.
func (c *client) upload(path, field, name string, data []byte) *response {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if data != nil {
		fw, _ := mw.CreateFormFile(field, name)
		fw.Write(data)
	}
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func TestQRISStaticAndConversion(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleOwner)
	res := c.get("/qris").wantStatus(t, http.StatusOK)
	if got := res.doc.Find(`[data-testid=qris-static] [data-testid=qris-nmid]`).Text(); got != m.demo.NMID {
		t.Errorf("static NMID = %q, want %q", got, m.demo.NMID)
	}
	if res.doc.Find(`[data-testid=qris-static] svg`).Length() != 1 {
		t.Error("static QR not drawn")
	}
	if res.count("qris-convert-warning") != 1 {
		t.Error("conversion not labelled as not tied to an invoice")
	}

	code := m.qrisCodeFromRedirect(t, c.post("/qris", url.Values{"action": {"convert"}, "amount": {"Rp 15.000"}, "label": {"Es teh"}}))
	if code.Kind != db.QRISConverted || code.AmountMinor != 1_500_000 || code.InvoiceID != 0 {
		t.Fatalf("converted code = %+v", code)
	}
	p, err := qris.Parse(code.Payload)
	if err != nil || !p.IsDynamic() || p.AmountMinor != 1_500_000 || p.NMID != m.demo.NMID || p.Accounts[0].PAN != m.demo.MPAN {
		t.Fatalf("converted payload %q: %+v %v", code.Payload, p, err)
	}
	page := c.get("/qris/"+itoa(int(code.ID))).wantStatus(t, http.StatusOK)
	if page.count("qris-not-invoice") != 1 || page.text("qris-amount") != "Rp 15.000" {
		t.Errorf("converted page: warning %d, amount %q", page.count("qris-not-invoice"), page.text("qris-amount"))
	}
	if n, _ := m.DB.CountInvoices(t.Context(), m.merchant.ID, db.InvoiceFilter{}); n != 0 {
		t.Error("a conversion created an invoice")
	}
	if len(m.sb.Sandbox.Requests()) != 0 {
		t.Error("a conversion called Netzme")
	}

	for _, tt := range []struct{ amount, field string }{
		{"0", "amount"}, {"lima ribu", "amount"}, {"15.000,50", "amount"}, {"Rp 10.000.001", "amount"},
	} {
		res := c.post("/qris", url.Values{"action": {"convert"}, "amount": {tt.amount}})
		if res.Code != http.StatusUnprocessableEntity || res.count("error-amount") != 1 {
			t.Errorf("convert %q: %d, message %d", tt.amount, res.Code, res.count("error-amount"))
		}
	}
}

func TestQRISDynamicIsAnInvoice(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleCashier)
	code := m.qrisCodeFromRedirect(t, c.post("/qris", url.Values{"action": {"dynamic"}, "amount": {"25.000"}}))
	if code.Kind != db.QRISInvoice || code.InvoiceID == 0 {
		t.Fatalf("dynamic code = %+v", code)
	}
	iv, err := m.DB.MerchantInvoice(t.Context(), m.merchant.ID, code.InvoiceID)
	if err != nil || iv.Method != "QRIS" || iv.AmountMinor != 2_500_000 || iv.QRISPayload != code.Payload {
		t.Fatalf("invoice of the code: %+v, %v", iv, err)
	}
	page := c.get("/qris/"+itoa(int(code.ID))).wantStatus(t, http.StatusOK)
	if page.doc.Find(`[data-testid=qris-invoice]`).AttrOr("href", "") != "/invoices/"+itoa(int(iv.ID)) {
		t.Error("dynamic code does not link its invoice")
	}
	if res := c.post("/qris", url.Values{"action": {"dynamic"}, "amount": {""}}); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("dynamic without amount: %d", res.Code)
	}
}

func TestQRISCheckPayload(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleOwner)
	static := m.demo.StaticQRIS
	// Change the merchant name's first letter: the CRC no longer matches.
	i := strings.Index(static, "59"+twoDigitLen(m.demo.Name)+m.demo.Name) + 4
	if i < 4 {
		t.Fatalf("merchant name not found in %q", static)
	}
	tampered := static[:i] + "X" + static[i+1:]
	tests := []struct {
		name, payload string
		code          int
		msg           string
	}{
		{"valid", static, http.StatusOK, ""},
		{"tampered", tampered, http.StatusUnprocessableEntity, "CRC"},
		{"truncated", static[:40], http.StatusUnprocessableEntity, ""},
		{"not qris", "https://example.com", http.StatusUnprocessableEntity, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.post("/qris", url.Values{"action": {"check"}, "payload": {tt.payload}})
			if res.Code != tt.code {
				t.Fatalf("status %d, want %d", res.Code, tt.code)
			}
			if tt.code == http.StatusOK {
				if res.count("qris-check-ok") != 1 || res.doc.Find(`[data-testid=qris-check-ok] ~ dl [data-testid=qris-nmid]`).Text() != m.demo.NMID {
					t.Error("valid payload not shown with its NMID")
				}
				return
			}
			if res.count("error-payload") != 1 || !strings.Contains(res.text("error-payload"), tt.msg) {
				t.Errorf("message %q, want one mentioning %q", res.text("error-payload"), tt.msg)
			}
		})
	}
}

func TestQRISPrintAndDownloads(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleOwner)
	code := m.qrisCodeFromRedirect(t, c.post("/qris", url.Values{"action": {"convert"}, "amount": {"20000"}}))
	base := "/qris/" + itoa(int(code.ID))

	for _, size := range []string{"", "?size=58mm"} {
		res := c.get(base+"/print"+size).wantStatus(t, http.StatusOK)
		if res.text("print-merchant") != m.demo.Name || !strings.Contains(res.text("print-nmid"), m.demo.NMID) ||
			res.text("print-amount") != "Rp 20.000" || res.doc.Find(`[data-testid=print-qr] svg`).Length() != 1 {
			t.Errorf("print%s: merchant %q nmid %q amount %q", size, res.text("print-merchant"), res.text("print-nmid"), res.text("print-amount"))
		}
		if res.count("nav") != 0 {
			t.Errorf("print%s page carries the navigation", size)
		}
	}
	if got := c.get(base+"/print?size=58mm").doc.Find(`[data-testid=qris-sheet]`).AttrOr("data-size", ""); got != "58mm" {
		t.Errorf("58 mm variant: data-size %q", got)
	}

	res := c.get(base+".png").wantStatus(t, http.StatusOK)
	if res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("png Content-Type %q", res.Header.Get("Content-Type"))
	}
	if got, err := qris.DecodeImage(strings.NewReader(res.Body)); err != nil || got != code.Payload {
		t.Errorf("PNG decodes to %q, %v; want the payload", got, err)
	}
	res = c.get(base+".svg").wantStatus(t, http.StatusOK)
	if res.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(res.Body, "<svg") {
		t.Errorf("svg: %q %.40q", res.Header.Get("Content-Type"), res.Body)
	}
}

func TestStickerCheck(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleCashier)
	ours, _ := qris.PNG(m.demo.StaticQRIS, 8)
	other, err := m.sb.Sandbox.AddMerchant(t.Context(), sandbox.Merchant{Name: "Toko Sebelah", City: "BANDUNG"})
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := qris.PNG(other.StaticQRIS, 8)
	blank := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	blank.Set(10, 10, color.Black)
	var noQR bytes.Buffer
	png.Encode(&noQR, blank)

	tests := []struct {
		name    string
		data    []byte
		code    int
		verdict string
		errKey  string
	}{
		{"our sticker", ours, http.StatusOK, "ours", ""},
		{"swapped sticker", foreign, http.StatusOK, "foreign", ""},
		{"no code in photo", noQR.Bytes(), http.StatusUnprocessableEntity, "", "Tidak ada kode QR"},
		{"not an image", []byte("hello"), http.StatusUnprocessableEntity, "", "tidak dapat dibaca"},
		{"no file", nil, http.StatusUnprocessableEntity, "", "wajib"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.upload("/qris/check", "image", "stiker.png", tt.data)
			if res.Code != tt.code {
				t.Fatalf("status %d, want %d: %.300s", res.Code, tt.code, res.Body)
			}
			if tt.verdict != "" {
				if got := res.doc.Find(`[data-testid=sticker-verdict]`).AttrOr("data-verdict", ""); got != tt.verdict {
					t.Errorf("verdict %q, want %q", got, tt.verdict)
				}
				return
			}
			if !strings.Contains(strings.ToLower(res.text("error-image")), strings.ToLower(tt.errKey)) {
				t.Errorf("message %q, want %q", res.text("error-image"), tt.errKey)
			}
		})
	}
	var checks int
	for _, e := range m.auditActions(t) {
		if e.Action == "qris.sticker_check" {
			checks++
		}
	}
	if checks != 2 {
		t.Errorf("%d sticker checks audited, want 2", checks)
	}
}

func TestQRISRolesAndIsolation(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	owner, _, _ := m.loginAs(t, db.RoleOwner)
	code := m.qrisCodeFromRedirect(t, owner.post("/qris", url.Values{"action": {"convert"}, "amount": {"20000"}}))
	base := "/qris/" + itoa(int(code.ID))
	paths := []string{base, base + "/print", base + "/print?size=58mm", base + ".png", base + ".svg"}

	auditor, _, _ := m.loginAs(t, db.RoleAuditor)
	auditor.get("/qris").wantStatus(t, http.StatusForbidden)
	auditor.post("/qris", url.Values{"action": {"convert"}, "amount": {"1000"}}).wantStatus(t, http.StatusForbidden)
	auditor.upload("/qris/check", "image", "x.png", []byte("x")).wantStatus(t, http.StatusForbidden)
	for _, p := range paths {
		auditor.get(p).wantStatus(t, http.StatusForbidden)
	}
	cashier, _, _ := m.loginAs(t, db.RoleCashier)
	for _, p := range paths {
		cashier.get(p).wantStatus(t, http.StatusOK)
	}
	other, _ := m.otherMerchant(t)
	for _, p := range paths {
		if res := other.get(p); res.Code != http.StatusNotFound {
			t.Errorf("other merchant GET %s = %d, want 404", p, res.Code)
		}
	}
	if res := other.get("/qris"); strings.Contains(res.Body, m.demo.NMID) {
		t.Error("another merchant's QRIS page shows our NMID")
	}
}

func twoDigitLen(s string) string {
	if len(s) < 10 {
		return "0" + itoa(len(s))
	}
	return itoa(len(s))
}
