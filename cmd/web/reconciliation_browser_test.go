package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lapak/db"
)

// A cashier shows a fixed-amount QRIS with its unique tail; an owner finds
// the payment whose callback was lost on /reconciliation — the balance
// proof says by how much the books differ and which exception explains it
// — and resolves it with a note and an adjustment; the proof then reads
// "Buku cocok".
func TestBrowserReconciliationResolve(t *testing.T) {
	w := newReconWalk(t)
	ctx := newBrowser(t)
	type css = chromedp.CSS
	cust := w.sandbox.DemoMerchant().CustID

	within(t, ctx, "log in", 20*time.Second,
		chromedp.Navigate(w.URL+"/login"),
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
	)
	// The counter: Rp 25.000 from the static QRIS, with its unique tail
	// (ticked by default), said plainly on the screen.
	within(t, ctx, "fixed amount with a unique tail", 30*time.Second,
		chromedp.Navigate(w.URL+"/kasir"),
		chromedp.WaitVisible(css(`[data-testid=kasir-keypad]`)),
		chromedp.Click(css(`[data-testid=key-2]`)),
		chromedp.Click(css(`[data-testid=key-5]`)),
		chromedp.Click(css(`[data-testid=key-000]`)),
		chromedp.Click(css(`[data-testid=mode-static]`)),
		chromedp.Click(css(`[data-testid=kasir-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=kasir-unique-note]`)),
	)
	note := text(t, ctx, `[data-testid=kasir-unique-note]`)
	shown := text(t, ctx, `[data-testid=kasir-amount]`)
	if !strings.Contains(note, "Harga Rp 25.000 + kode unik Rp ") || !strings.Contains(note, "tepat "+shown) || shown == "Rp 25.000" {
		t.Errorf("counter screen %q, note %q", shown, note)
	}
	screenshot(t, ctx, "kasir-unique")
	codes, err := w.db.QRISCodes(t.Context(), w.m.ID, 1)
	if err != nil || len(codes) != 1 {
		t.Fatalf("codes %v %v", codes, err)
	}
	if _, err := w.sandbox.PayStaticQRIS(t.Context(), cust, codes[0].AmountMinor); err != nil {
		t.Fatal(err)
	}
	within(t, ctx, "LUNAS", 15*time.Second, chromedp.WaitVisible(css(`[data-testid=kasir-lunas]`)))

	// A sale paid normally, and one whose callback is lost; then a sync.
	w.sale(t, "/invoices", url.Values{"amount": {"Rp 50.000"}, "description": {"Beras 5 kg"}, "method": {"QRIS"}}, false)
	lost := w.sale(t, "/invoices", url.Values{"amount": {"12.000"}, "description": {"Gula"}, "method": {"QRIS"}}, true)
	time.Sleep(1200 * time.Millisecond)
	w.sync(t)
	waitFor(t, "the exception", func() bool {
		rows, _ := w.page(t)
		return len(rows) == 3
	})

	within(t, ctx, "open reconciliation", 20*time.Second,
		chromedp.Navigate(w.URL+"/"),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
		menu("money", "reconciliation"),
		chromedp.WaitVisible(css(`[data-testid=balance-proof]`)),
	)
	if s := text(t, ctx, `[data-testid=balance-proof-state]`); s != "Selisih Rp 11.916" {
		t.Errorf("proof before resolving: %q", s)
	}
	if s := text(t, ctx, `[data-testid=balance-proof-explained]`); !strings.Contains(s, "1 pengecualian terbuka menjelaskan seluruh selisih") {
		t.Errorf("explanation: %q", s)
	}
	row := `[data-testid=recon-row][data-outcome=netzme_only]`
	if s := text(t, ctx, row+` [data-testid=recon-reason]`); !strings.Contains(s, "hanya di Netzme") {
		t.Errorf("exception reason %q", s)
	}
	if got := attr(t, ctx, row, "data-netzme-id"); got != lost.NetzmeTrxID {
		t.Errorf("exception is %q, want the lost payment %s", got, lost.NetzmeTrxID)
	}
	screenshot(t, ctx, "reconciliation")

	within(t, ctx, "resolve", 20*time.Second,
		chromedp.Click(css(row+` [data-testid=recon-resolve] summary`)),
		chromedp.WaitVisible(css(row+` [data-testid=recon-note]`)),
		chromedp.SendKeys(css(row+` [data-testid=recon-note]`), "Pelanggan sudah bayar (bukti di ponselnya); callback Netzme hilang"),
		chromedp.SendKeys(css(row+` [data-testid=recon-adjust]`), "11.916"),
		chromedp.Click(css(row+` [data-testid=recon-resolve-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=flash]`)),
		chromedp.WaitVisible(css(`[data-testid=recon-resolution]`)),
	)
	if s := text(t, ctx, `[data-testid=recon-resolution]`); !strings.Contains(s, "callback Netzme hilang") || !strings.Contains(s, "penyesuaian") {
		t.Errorf("resolution shown %q", s)
	}
	if s := text(t, ctx, `[data-testid=balance-proof-state]`); s != "Buku cocok" {
		t.Errorf("proof after resolving: %q", s)
	}
	if d := attr(t, ctx, `[data-testid=balance-proof]`, "data-difference"); d != "0" {
		t.Errorf("data-difference %q after resolving", d)
	}
	screenshot(t, ctx, "reconciliation-resolved")

	// The resolution stays through another sync.
	w.sync(t)
	items, err := w.db.ReconItems(t.Context(), w.m.ID, db.ReconFilter{Outcome: db.OutcomeNetzmeOnly}, "", 10)
	if err != nil || len(items.Rows) != 1 || !items.Rows[0].Resolved {
		t.Errorf("after another sync: %+v %v", items.Rows, err)
	}
	within(t, ctx, "dashboard", 20*time.Second,
		chromedp.Navigate(w.URL+"/"),
		chromedp.WaitVisible(css(`[data-testid=balance-proof]`)),
	)
	if s := text(t, ctx, `[data-testid=balance-proof-state]`); s != "Buku cocok" {
		t.Errorf("dashboard proof %q", s)
	}
}
