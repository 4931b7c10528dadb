package sandbox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"lapak/netzme"
	"lapak/netzme/sandbox"
)

// noRedirect keeps 303s visible.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func getPage(t *testing.T, u string) (*goquery.Document, *http.Response) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc, resp
}

func postForm(t *testing.T, u string, form url.Values, site string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", site)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestSandboxPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *sandbox.Options) { o.WithdrawSettleDelay = -1 })
	ctx := ctxT(t)
	exact := e.qrisInvoice(t, 2_500_000)
	other := e.qrisInvoice(t, 3_000_000)
	failing := e.qrisInvoice(t, 4_000_000)

	doc, resp := getPage(t, e.srv.URL+"/sandbox/")
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP = %q", csp)
	}
	if doc.Find("script, [style], [onclick]").Length() != 0 {
		t.Error("page has script or inline style/handlers")
	}
	if n := doc.Find(`[data-testid="open-invoice"]`).Length(); n != 3 {
		t.Errorf("open invoices listed = %d, want 3", n)
	}
	if got := doc.Find(`[data-testid="cust-id"]`).Text(); got != e.demo.CustID {
		t.Errorf("demo merchant = %q", got)
	}

	// A cross-site form post is refused (no CSRF from other origins).
	if r := postForm(t, e.srv.URL+"/sandbox/pay/"+exact.TrxID, url.Values{"action": {"pay"}}, "cross-site"); r.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post = %d, want 403", r.StatusCode)
	}
	if r := postForm(t, e.srv.URL+"/sandbox/pay/"+exact.TrxID, url.Values{"action": {"pay"}}, "same-origin"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("pay = %d", r.StatusCode)
	}
	postForm(t, e.srv.URL+"/sandbox/pay/"+other.TrxID, url.Values{"action": {"other"}, "amount": {"Rp 29.000"}}, "same-origin")
	postForm(t, e.srv.URL+"/sandbox/pay/"+failing.TrxID, url.Values{"action": {"fail"}}, "same-origin")
	postForm(t, e.srv.URL+"/sandbox/qris", url.Values{"amount": {"15.000"}}, "same-origin")

	for _, tc := range []struct {
		trx, status string
		paid        int64
	}{{exact.TrxID, "SUCCESS", 2_500_000}, {other.TrxID, "SUCCESS", 2_900_000}, {failing.TrxID, "CLOSED", 0}} {
		tr, err := e.sb.InvoiceTransaction(ctx, tc.trx)
		if err != nil || tr.Status != tc.status || tr.PaidAmountMinor != tc.paid {
			t.Errorf("%s: %s paid %d, want %s %d (%v)", tc.trx, tr.Status, tr.PaidAmountMinor, tc.status, tc.paid, err)
		}
	}
	qs, _ := e.sb.QRISPayments(ctx)
	static := 0
	for _, q := range qs {
		if q.TrxID == "" && q.AmountMinor == 1_500_000 {
			static++
		}
	}
	if static != 1 {
		t.Errorf("static QRIS payments of Rp 15.000 = %d", static)
	}
	if err := e.sb.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	doc, _ = getPage(t, e.srv.URL+"/sandbox/")
	if n := doc.Find(`[data-testid="open-invoice"]`).Length(); n != 0 {
		t.Errorf("open invoices after paying = %d", n)
	}
	if n := doc.Find(`[data-testid="delivery"]`).Length(); n != 3 {
		t.Errorf("deliveries listed = %d, want 3 (2 invoice + 1 QRIS)", n)
	}

	// The payment page the paymentUrl points to, with its QR image.
	pending := e.qrisInvoice(t, 1_000_000)
	doc, resp = getPage(t, pending.PaymentURL)
	if resp.StatusCode != 200 || doc.Find(`[data-testid="amount"]`).Text() != "Rp 10.000" {
		t.Errorf("pay page: %d amount %q", resp.StatusCode, doc.Find(`[data-testid="amount"]`).Text())
	}
	src, _ := doc.Find(`[data-testid="qr"]`).Attr("src")
	img, err := http.Get(e.srv.URL + src)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Body.Close()
	if img.Header.Get("Content-Type") != "image/png" {
		t.Errorf("QR image type %q", img.Header.Get("Content-Type"))
	}

	// Fault form: the next transaction-list call answers 500.
	postForm(t, e.srv.URL+"/sandbox/faults", url.Values{"endpoint": {string(netzme.EndpointBalanceDetail)}, "kind": {"500"}, "count": {"1"}}, "same-origin")
	if _, err := e.c.BalanceDetail(ctx, netzme.BalanceRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID}); err == nil {
		t.Error("fault from the page did not apply")
	}
	if _, err := e.c.BalanceDetail(ctx, netzme.BalanceRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID}); err != nil {
		t.Errorf("fault applied twice: %v", err)
	}
}

func TestSandboxPageSettlesWithdrawal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *sandbox.Options) { o.WithdrawSettleDelay = -1 })
	ctx := ctxT(t)
	cust := e.demo.CustID
	e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust, PIN: "102030"})
	e.fund(t, 2_000_000)
	inq, _ := e.c.WithdrawInquiry(ctx, netzme.WithdrawInquiryRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust})
	res, err := e.c.WithdrawProcess(ctx, inq.Withdrawal(ref(), cust, "102030"))
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := getPage(t, e.srv.URL+"/sandbox/")
	if doc.Find(`[data-testid="settle-success"]`).Length() != 1 {
		t.Fatal("no settle button for the pending withdrawal")
	}
	postForm(t, e.srv.URL+"/sandbox/withdrawals/"+res.ReferenceNo, url.Values{"result": {"success"}}, "same-origin")
	st, err := e.c.WithdrawInformation(ctx, netzme.WithdrawInformationRequest{PartnerReferenceNo: ref(), ReferenceNo: res.ReferenceNo})
	if err != nil || st.Status != "SUCCESS" {
		t.Errorf("after page settle: %+v %v", st, err)
	}
}
