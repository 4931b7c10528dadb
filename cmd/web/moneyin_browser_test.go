package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"lapak/netzme/qris"
)

// TestBrowserInvoicePaidInSandboxAndPrintedQRDecodes walks the cashier's
// day as a new user would: create a QRIS invoice for Rp 25.000, print its
// QR and read the printed code back to the exact payload, pay it on the
// sandbox page, watch the invoice page turn paid by itself (its QR now
// stamped LUNAS); then the balance and history pages show the payment.
func TestBrowserInvoicePaidInSandboxAndPrintedQRDecodes(t *testing.T) {
	a := startTestApp(t, nil)
	ctx := newBrowser(t)
	type css = chromedp.CSS

	within(t, ctx, "log in", 20*time.Second,
		chromedp.Navigate(a.URL+"/login"),
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
	)
	within(t, ctx, "create invoice", 30*time.Second,
		menu("sales", "invoices"),
		chromedp.WaitVisible(css(`[data-testid=invoice-form]`)),
		chromedp.SendKeys(css(`#amount`), "Rp 25.000"),
		chromedp.SendKeys(css(`#description`), "Kopi susu 2 gelas"),
		chromedp.SendKeys(css(`#customer_name`), "Budi"),
		chromedp.Click(css(`[data-testid=invoice-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=invoice-qr] svg`)),
	)
	invoiceURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if st := status(t, ctx); st != "pending" {
		t.Fatalf("new invoice status %q, want pending", st)
	}
	if amt := text(t, ctx, `[data-testid=invoice-amount]`); amt != "Rp 25.000" {
		t.Errorf("amount on page %q", amt)
	}
	screenshot(t, ctx, "invoice-pending")

	// While it waits, print the QR (print media, A6 sheet) for the buyer and
	// decode the printed image.
	within(t, ctx, "print page", 20*time.Second,
		chromedp.Click(css(`[data-testid=invoice-print]`)),
		chromedp.WaitVisible(css(`[data-testid=print-a6][aria-current=page]`)),
		chromedp.WaitVisible(css(`[data-testid=print-qr] svg`)),
	)
	media(t, ctx, "print")
	png, err := chromedp.Run(ctx, chromedp.Screenshot(css(`[data-testid=qris-sheet]`)))
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "qris-print")
	got, err := qris.DecodeImage(bytes.NewReader(png))
	if err != nil {
		t.Fatalf("decode printed QR: %v", err)
	}
	id := invoiceURL[strings.LastIndex(invoiceURL, "/")+1:]
	var want string
	if err := a.db.SQL().QueryRowContext(t.Context(), `SELECT qris_payload FROM invoices WHERE id = ?`, id).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if got != want || want == "" {
		t.Fatalf("printed QR decodes to %q, want the invoice payload %q", got, want)
	}
	if name := text(t, ctx, `[data-testid=print-merchant]`); name != "Toko Contoh" {
		t.Errorf("print merchant %q", name)
	}
	printURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	within(t, ctx, "58 mm variant", 20*time.Second,
		chromedp.Navigate(printURL+"?size=58mm"),
		chromedp.WaitVisible(css(`[data-testid=qris-sheet][data-size="58mm"] svg`)),
		// print media hides the tools; the link is there, marked
		chromedp.WaitReady(css(`[data-testid=print-58][aria-current=page]`)),
	)
	png, err = chromedp.Run(ctx, chromedp.Screenshot(css(`[data-testid=qris-sheet]`)))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := qris.DecodeImage(bytes.NewReader(png)); err != nil || got != want {
		t.Errorf("58 mm print decodes to %q, %v", got, err)
	}
	screenshot(t, ctx, "qris-print-58mm")
	media(t, ctx, "")

	// The payer pays on the sandbox's own page ("Bayar").
	payOpenInvoiceInSandbox(t, ctx, a)
	// Back at the counter: the page refreshes itself until the callback has
	// marked it paid. Press "Perbarui status" only if that has not happened.
	within(t, ctx, "open invoice again", 20*time.Second, chromedp.Navigate(invoiceURL),
		chromedp.WaitVisible(css(`[data-testid=invoice-status]`)))
	deadline := time.Now().Add(25 * time.Second)
	for status(t, ctx) != "paid" && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	if st := status(t, ctx); st != "paid" {
		t.Logf("not paid by callback within 25 s (status %s); using Perbarui status", st)
		within(t, ctx, "refresh status", 20*time.Second,
			chromedp.Click(css(`[data-testid=invoice-refresh]`)),
			chromedp.WaitVisible(css(`[data-testid=invoice-status][data-status=paid]`)),
		)
	}
	if paid := text(t, ctx, `[data-testid=invoice-paid]`); paid != "Rp 25.000" {
		t.Errorf("paid amount %q", paid)
	}
	screenshot(t, ctx, "invoice-paid")

	// Paid: the QR now prints greyed under a LUNAS stamp, with a warning.
	within(t, ctx, "print the paid QR", 20*time.Second,
		chromedp.Navigate(printURL),
		chromedp.WaitVisible(css(`[data-testid=print-qr] [data-testid=qr-stamp]`)),
	)
	if stamp := text(t, ctx, `[data-testid=print-qr] [data-testid=qr-stamp]`); stamp != "LUNAS" {
		t.Errorf("stamp over the paid QR %q, want LUNAS", stamp)
	}
	if w := attr(t, ctx, `[data-testid=print-button]`, "data-print-warn"); !strings.Contains(w, "LUNAS") {
		t.Errorf("the Cetak button does not warn: %q", w)
	}
	screenshot(t, ctx, "qris-print-paid")

	within(t, ctx, "balance", 20*time.Second,
		chromedp.Navigate(a.URL+"/balance"),
		chromedp.WaitVisible(css(`[data-testid=today-total]`)),
	)
	if today := text(t, ctx, `[data-testid=today-total]`); today != "Rp 25.000" {
		t.Errorf("paid today %q, want Rp 25.000", today)
	}
	screenshot(t, ctx, "balance")
	within(t, ctx, "history", 30*time.Second,
		chromedp.Navigate(a.URL+"/history"),
		chromedp.WaitVisible(css(`[data-testid=history-table]`)),
	)
	if h := text(t, ctx, `[data-testid=history-table]`); !strings.Contains(h, "Kopi susu") {
		t.Errorf("history lacks the invoice: %q", h)
	}
	screenshot(t, ctx, "history")
	within(t, ctx, "qris page", 20*time.Second,
		chromedp.Navigate(a.URL+"/qris"),
		chromedp.WaitVisible(css(`[data-testid=qris-static] svg`)),
	)
	screenshot(t, ctx, "qris")
}

// status reads the invoice page's status word (data-status).
func status(t *testing.T, ctx context.Context) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`[data-testid=invoice-status]`), "data-status"))
	if err != nil {
		t.Fatalf("read status: %v", err)
	}
	return res.Value
}

// media emulates a CSS media type ("print", or "" for the screen again).
func media(t *testing.T, ctx context.Context, m string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m}); err != nil {
		t.Fatalf("emulate media %q: %v", m, err)
	}
}
