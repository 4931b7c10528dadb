package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserCVSBillSlipInquiryAndMerchantStatus is issue 7 tried as a new
// owner would, on the default configuration (NICEPAY and SpeedCash
// simulated): create a convenience-store bill, open its printable slip, let
// the store simulator inquire over HTTP, see the inquiry on the bill's log,
// then check the SpeedCash merchant status.
func TestBrowserCVSBillSlipInquiryAndMerchantStatus(t *testing.T) {
	a := startTestApp(t, nil)
	ctx := newBrowser(t)
	type css = chromedp.CSS

	within(t, ctx, "log in", 20*time.Second,
		chromedp.Navigate(a.URL+"/"),
		login(testAdminEmail, testAdminPassword),
		menu("sales", "cvs"),
		chromedp.WaitVisible(css(`[data-testid=cvs-form]`)),
	)
	within(t, ctx, "create bill", 20*time.Second,
		chromedp.SendKeys(css(`#name`), "Siti Aminah"),
		chromedp.SendKeys(css(`#phone`), "0812 3456 7890"),
		chromedp.SendKeys(css(`#email`), "siti@contoh.id"),
		chromedp.SendKeys(css(`#goods`), "Paket sembako"),
		chromedp.SendKeys(css(`#amount`), "125.000"),
		chromedp.Click(css(`[data-testid=cvs-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=cvs-detail-payno]`)),
	)
	payNo := text(t, ctx, `[data-testid=cvs-detail-payno]`)
	if len(payNo) != 12 || !strings.HasPrefix(payNo, "7015") {
		t.Fatalf("payNo = %q, want 12 digits starting with the simulator's prefix 7015", payNo)
	}
	if amt := text(t, ctx, `[data-testid=cvs-detail-amount]`); !strings.Contains(amt, "125.000") {
		t.Errorf("amount = %q", amt)
	}
	screenshot(t, ctx, "cvs-bill")

	within(t, ctx, "open slip", 20*time.Second,
		chromedp.Click(css(`[data-testid=cvs-slip-link]`)),
		chromedp.WaitVisible(css(`[data-testid=cvs-slip]`)),
	)
	if got := text(t, ctx, `[data-testid=slip-payno]`); got != payNo {
		t.Errorf("slip payNo = %q, want %q", got, payNo)
	}
	if name := text(t, ctx, `[data-testid=slip-name]`); name != "Siti Aminah" {
		t.Errorf("slip name = %q", name)
	}
	screenshot(t, ctx, "cvs-slip")

	within(t, ctx, "simulated inquiry", 30*time.Second,
		chromedp.NavigateBack(),
		chromedp.WaitVisible(css(`[data-testid=cvs-simulate-inquiry]`)),
		chromedp.Click(css(`[data-testid=cvs-simulate-inquiry]`)),
		chromedp.WaitVisible(css(`[data-testid=cvs-log-row]`)),
	)
	if kind := text(t, ctx, `[data-testid=cvs-log-kind]`); kind != "Cek tagihan" {
		t.Errorf("log kind = %q", kind)
	}
	if code := text(t, ctx, `[data-testid=cvs-log-code]`); !strings.HasPrefix(code, "berhasil") || !strings.Contains(code, "2000000") {
		t.Errorf("log answer = %q, want the words (berhasil) first and the code 2000000 after them", code)
	}
	screenshot(t, ctx, "cvs-log")

	// The shop's own number is the sandbox demo's; a check of SpeedCash's
	// test number is kept under that number and is not the shop's status
	// (issue 13 §9).
	within(t, ctx, "merchant status", 30*time.Second,
		menu("shop", "merchantstatus"),
		chromedp.WaitVisible(css(`[data-testid=ms-form]`)),
		chromedp.Clear(css(`#phone`)),
		chromedp.SendKeys(css(`#phone`), "0812 0026 1231"),
		chromedp.Click(css(`[data-testid=ms-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=ms-row]`)),
	)
	if s := text(t, ctx, `[data-testid=ms-row-result]`); s != "Diterima" {
		t.Errorf("result of 0812 0026 1231 = %q, want Diterima", s)
	}
	if n := text(t, ctx, `[data-testid=ms-otherphone]`); n == "" {
		t.Error("the other number's result is not marked as not the shop's")
	}
	if s := text(t, ctx, `[data-testid=ms-last]`); strings.Contains(s, "Diterima") {
		t.Errorf("another number's result became the shop's status: %q", s)
	}
	screenshot(t, ctx, "merchant-status")
}
