package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lapak/netzme/qris"
)

// phone makes the tab a 390×844 phone (touch, mobile viewport).
func phone(t *testing.T, ctx context.Context) {
	t.Helper()
	within(t, ctx, "phone viewport", 10*time.Second,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
}

// fitsWidth fails when the page is wider than the viewport (sideways scroll).
func fitsWidth(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if w > 0 {
		t.Errorf("%s is %d px wider than the screen", what, w)
	}
}

// TestBrowserCounterModeOnPhone is issue 13's counter at 390×844, as a
// cashier uses it with one thumb: open a shift, tap Rp 25.000 on the keypad,
// Enter shows the QR; the customer pays in the sandbox and "LUNAS" appears
// by itself within 3 s; the receipt prints and its QR reads back to the
// reference it shows. Then a fixed-amount code turns LUNAS the same way
// when its static-QRIS payment arrives, and closing the shift counts both.
func TestBrowserCounterModeOnPhone(t *testing.T) {
	a := startTestApp(t, nil)
	ctx := newBrowser(t)
	type css = chromedp.CSS
	phone(t, ctx)

	within(t, ctx, "log in", 20*time.Second,
		chromedp.Navigate(a.URL+"/login"),
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
	)
	within(t, ctx, "open a shift", 20*time.Second,
		chromedp.Navigate(a.URL+"/kasir/shift"),
		chromedp.Click(css(`[data-testid=shift-open]`)),
		chromedp.WaitVisible(css(`[data-testid=shift-current]`)),
	)

	// The keypad: 2, 5, 000 — the display groups it as the cashier taps.
	within(t, ctx, "counter mode", 20*time.Second,
		chromedp.Navigate(a.URL+"/kasir"),
		chromedp.WaitVisible(css(`[data-testid=kasir-keypad]`)),
		chromedp.Click(css(`[data-testid=key-2]`)),
		chromedp.Click(css(`[data-testid=key-5]`)),
		chromedp.Click(css(`[data-testid=key-000]`)),
	)
	if v, _ := chromedp.Run(ctx, chromedp.Value(css(`#amount`))); v != "25.000" {
		t.Errorf("amount after 2, 5, 000 = %q, want 25.000", v)
	}
	fitsWidth(t, ctx, "counter mode")
	// One thumb: the keypad and the button sit in the screen's lower part,
	// all on the first screen.
	var png []byte
	bottom, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("[data-testid=kasir-submit]").getBoundingClientRect().bottom`))
	if err != nil || bottom > 844 {
		t.Errorf("the 'Tampilkan QR' button ends at %v px, below the 844 px screen (%v)", bottom, err)
	}
	screenshot(t, ctx, "kasir")

	// Enter shows the QR (typing works as well as the keypad).
	within(t, ctx, "enter", 30*time.Second,
		chromedp.SendKeys(css(`#amount`), "\r"),
		chromedp.WaitVisible(css(`[data-testid=kasir-qr] svg`)),
	)
	if got := text(t, ctx, `[data-testid=kasir-amount]`); got != "Rp 25.000" {
		t.Errorf("QR screen amount %q", got)
	}
	if got := text(t, ctx, `[data-testid=kasir-merchant]`); got != "Toko Contoh" {
		t.Errorf("QR screen shop %q", got)
	}
	qrBottom, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("[data-testid=kasir-qr]").getBoundingClientRect().bottom`))
	if qrBottom > 844 {
		t.Errorf("the QR ends at %v px, below the first screen", qrBottom)
	}
	fitsWidth(t, ctx, "the QR screen")
	screenshot(t, ctx, "kasir-qr")
	kasirURL, _ := chromedp.Run(ctx, chromedp.Location())

	// The customer pays: the sandbox's own "Bayar" form, posted as the
	// customer's phone would while the counter screen stays open.
	var trx string
	if err := a.db.SQL().QueryRowContext(t.Context(), `SELECT netzme_trx_id FROM invoices ORDER BY id DESC LIMIT 1`).Scan(&trx); err != nil {
		t.Fatal(err)
	}
	res, err := http.PostForm(a.sandboxURL+"/sandbox/pay/"+trx, url.Values{"action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if msg := res.Request.URL.Query().Get("msg"); res.StatusCode != http.StatusOK || !strings.HasPrefix(msg, "Dibayar") {
		t.Fatalf("sandbox Bayar: %d %q", res.StatusCode, msg)
	}
	paidAt := time.Now()
	within(t, ctx, "LUNAS by itself", 10*time.Second,
		chromedp.WaitVisible(css(`[data-testid=kasir-lunas]`)),
	)
	if d := time.Since(paidAt); d > 3*time.Second {
		t.Errorf("LUNAS showed %v after the payment, want within 3 s", d)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != kasirURL {
		t.Errorf("the page was reloaded or left (%s); the status must update in place", loc)
	}
	if got := text(t, ctx, `[data-testid=kasir-lunas]`); !strings.Contains(got, "LUNAS") {
		t.Errorf("paid screen says %q", got)
	}
	wa := attr(t, ctx, `[data-testid=kasir-receipt-share]`, "href")
	if !strings.HasPrefix(wa, "https://wa.me/?text=") {
		t.Errorf("Bagikan struk = %q, want a wa.me link", wa)
	}
	screenshot(t, ctx, "kasir-lunas")

	// Cetak struk: the 58 mm receipt, its QR decodes to the reference shown.
	within(t, ctx, "receipt", 20*time.Second,
		chromedp.Click(css(`[data-testid=kasir-receipt]`)),
		chromedp.WaitVisible(css(`[data-testid=receipt-qr] svg`)),
	)
	if s := attr(t, ctx, `[data-testid=receipt]`, "data-size"); s != "58mm" {
		t.Errorf("receipt size %q, want 58mm", s)
	}
	if b := text(t, ctx, `[data-testid=print-button]`); b != "Cetak" {
		t.Errorf("print button says %q", b)
	}
	ref := text(t, ctx, `[data-testid=receipt-reference]`)
	var want string
	if err := a.db.SQL().QueryRowContext(t.Context(), `SELECT partner_reference_no FROM invoices WHERE status = 'paid' ORDER BY id DESC LIMIT 1`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if ref != want {
		t.Errorf("receipt reference %q, want the paid invoice's %q", ref, want)
	}
	if got := text(t, ctx, `[data-testid=receipt-amount]`); got != "Rp 25.000" {
		t.Errorf("receipt amount %q", got)
	}
	if got := text(t, ctx, `[data-testid=receipt-time]`); !strings.HasSuffix(got, "WIB") {
		t.Errorf("receipt time %q, want WIB", got)
	}
	media(t, ctx, "print")
	png, err = chromedp.Run(ctx, chromedp.Screenshot(css(`[data-testid=receipt]`)))
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "receipt-58mm")
	got, err := qris.DecodeImage(bytes.NewReader(png))
	if err != nil || got != ref {
		t.Errorf("printed receipt QR decodes to %q (%v), want the reference %q", got, err, ref)
	}
	media(t, ctx, "")

	// A fixed-amount code from the static QRIS: LUNAS when the static
	// payment of that amount arrives.
	within(t, ctx, "fixed amount", 30*time.Second,
		chromedp.Navigate(a.URL+"/kasir"),
		chromedp.WaitVisible(css(`[data-testid=kasir-keypad]`)),
		chromedp.Click(css(`[data-testid=key-1]`)),
		chromedp.Click(css(`[data-testid=key-2]`)),
		chromedp.Click(css(`[data-testid=key-000]`)),
		chromedp.Click(css(`[data-testid=mode-static]`)),
		chromedp.Click(css(`[data-testid=kasir-unique]`)), // without the unique tail (reconciliation's browser test has it)
		chromedp.Click(css(`[data-testid=kasir-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=kasir-qr] svg`)),
	)
	if n := text(t, ctx, `[data-testid=kasir-static-note]`); !strings.Contains(n, "nominal") {
		t.Errorf("fixed-amount note %q", n)
	}
	if _, err := a.sandbox.PayStaticQRIS(t.Context(), a.sandbox.DemoMerchant().CustID, 1_200_000); err != nil {
		t.Fatal(err)
	}
	paidAt = time.Now()
	within(t, ctx, "fixed amount LUNAS", 10*time.Second, chromedp.WaitVisible(css(`[data-testid=kasir-lunas]`)))
	if d := time.Since(paidAt); d > 3*time.Second {
		t.Errorf("fixed-amount LUNAS after %v, want within 3 s", d)
	}

	// Closing the shift counts both sales, by method, and prints on 58 mm.
	within(t, ctx, "close the shift", 20*time.Second,
		chromedp.Navigate(a.URL+"/kasir/shift"),
		chromedp.WaitVisible(css(`[data-testid=shift-current]`)),
	)
	if c := text(t, ctx, `[data-testid=shift-own-count]`); c != "2" {
		t.Errorf("shift so far counts %q sales, want 2", c)
	}
	// The close form asks first (data-confirm); the cashier says yes.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(window.confirm = () => true, true)`)); err != nil {
		t.Fatal(err)
	}
	within(t, ctx, "close", 20*time.Second,
		chromedp.Click(css(`[data-testid=shift-close]`)),
		chromedp.WaitVisible(css(`[data-testid=shift-report]`)),
	)
	if total := text(t, ctx, `[data-testid=shift-own-total]`); total != "Rp 37.000" {
		t.Errorf("shift total %q, want Rp 37.000", total)
	}
	rows := text(t, ctx, `[data-testid=shift-own]`)
	if !strings.Contains(rows, "QRIS statis") || !strings.Contains(rows, "Rp 12.000") || !strings.Contains(rows, "Rp 25.000") {
		t.Errorf("shift by method: %q", rows)
	}
	fitsWidth(t, ctx, "the shift report")
	screenshot(t, ctx, "shift-report")
	within(t, ctx, "shift print", 20*time.Second,
		chromedp.Click(css(`[data-testid=shift-print]`)),
		chromedp.WaitVisible(css(`[data-testid=shift-sheet]`)),
	)
	if total := text(t, ctx, `[data-testid=shift-print-total]`); total != "Rp 37.000" {
		t.Errorf("printed shift total %q", total)
	}

	// The same counter on a 1280 px counter PC: nothing scrolls sideways,
	// the keypad column stays narrow and centred.
	within(t, ctx, "counter PC", 20*time.Second,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(a.URL+"/kasir"),
		chromedp.WaitVisible(css(`[data-testid=kasir-keypad]`)),
	)
	fitsWidth(t, ctx, "counter mode at 1280 px")
	if w, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("[data-testid=kasir-keypad]").getBoundingClientRect().width`)); w > 480 {
		t.Errorf("keypad is %v px wide on a counter PC", w)
	}
	screenshot(t, ctx, "kasir-1280")
}

// TestBrowserPayPageLiveAndShared: the invoice page offers the customer's
// pay page by WhatsApp (the link carries the pay-page URL) and by "Salin
// tautan"; the pay page, opened on a phone without signing in, shows the
// shop, amount and QR, and turns LUNAS by itself when the invoice is paid.
func TestBrowserPayPageLiveAndShared(t *testing.T) {
	a := startTestApp(t, nil)
	ctx := newBrowser(t)
	type css = chromedp.CSS
	phone(t, ctx)

	within(t, ctx, "log in", 20*time.Second,
		chromedp.Navigate(a.URL+"/login"),
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
	)
	within(t, ctx, "create invoice", 30*time.Second,
		chromedp.Navigate(a.URL+"/invoices"),
		chromedp.WaitVisible(css(`[data-testid=invoice-form]`)),
		chromedp.SendKeys(css(`#amount`), "18.500"),
		chromedp.SendKeys(css(`#description`), "Nasi goreng"),
		chromedp.Click(css(`[data-testid=invoice-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=share-whatsapp]`)),
	)
	payURL := text(t, ctx, `[data-testid=share-url]`)
	if !strings.HasPrefix(payURL, a.URL+"/p/") {
		t.Fatalf("pay-page URL %q, want under %s/p/", payURL, a.URL)
	}
	wa := attr(t, ctx, `[data-testid=share-whatsapp]`, "href")
	u, err := url.Parse(wa)
	if err != nil || u.Host != "wa.me" || !strings.Contains(u.Query().Get("text"), payURL) {
		t.Errorf("WhatsApp link %q does not carry the pay page %s", wa, payURL)
	}
	if !strings.Contains(u.Query().Get("text"), "Rp 18.500") || !strings.Contains(u.Query().Get("text"), "bayar") {
		t.Errorf("WhatsApp text %q, want the amount in Indonesian", u.Query().Get("text"))
	}
	if c := attr(t, ctx, `[data-testid=share-copy]`, "data-copy"); c != payURL {
		t.Errorf("Salin tautan copies %q, want %q", c, payURL)
	}
	screenshot(t, ctx, "invoice-share")

	// The customer opens the link in a fresh browser (no session).
	cust := newBrowser(t)
	phone(t, cust)
	within(t, cust, "pay page", 20*time.Second,
		chromedp.Navigate(payURL),
		chromedp.WaitVisible(css(`[data-testid=pay-qr] svg`)),
	)
	if st := attr(t, cust, `[data-testid=pay-page]`, "data-status"); st != "pending" {
		t.Errorf("pay page status %q, want pending", st)
	}
	if got := text(t, cust, `[data-testid=pay-amount]`); got != "Rp 18.500" {
		t.Errorf("pay page amount %q", got)
	}
	if got := text(t, cust, `[data-testid=pay-merchant]`); got != "Toko Contoh" {
		t.Errorf("pay page shop %q", got)
	}
	fitsWidth(t, cust, "the pay page")
	screenshot(t, cust, "pay-page")

	var trx string
	if err := a.db.SQL().QueryRowContext(t.Context(), `SELECT netzme_trx_id FROM invoices ORDER BY id DESC LIMIT 1`).Scan(&trx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.sandbox.PayInvoice(t.Context(), trx, 0); err != nil {
		t.Fatal(err)
	}
	within(t, cust, "pay page turns paid", 10*time.Second,
		chromedp.WaitVisible(css(`[data-testid=pay-paid]`)),
	)
	if st := attr(t, cust, `[data-testid=pay-page]`, "data-status"); st != "paid" {
		t.Errorf("pay page status %q after payment", st)
	}
	screenshot(t, cust, "pay-page-paid")
}
