package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"lapak/db"
	"lapak/money"
	"lapak/netzme"
)

// TestBrowserHistoryFiltersAndXLSX: payments made on the sandbox reach the
// books by real signed callbacks; in a real browser the owner opens the
// history from the menu (one row per payment, the adjustment going out),
// narrows it with the type select and a search, moves between date presets,
// downloads the filter as XLSX — opened here with excelize, the rows the
// page showed — and opens the settlement summary.
func TestBrowserHistoryFiltersAndXLSX(t *testing.T) {
	a := startTestApp(t, nil)
	ctx := t.Context()
	demo := a.sandbox.DemoMerchant()
	m, err := a.db.MerchantByNetzmeCustID(ctx, demo.CustID)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := a.db.UserByEmail(ctx, testAdminEmail)
	if err != nil {
		t.Fatal(err)
	}
	owner := money.Actor{UserID: admin.ID, MerchantID: m.ID}
	pay := func(purpose money.Purpose, amount int64, what string) {
		t.Helper()
		res, err := a.money.CreateInvoice(ctx, owner, money.InvoiceInput{Purpose: purpose, AmountMinor: amount,
			Method: netzme.PayQRIS, Description: what})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.sandbox.PayInvoice(ctx, res.Invoice.NetzmeTrxID, 0); err != nil {
			t.Fatal(err)
		}
	}
	pay(money.PurposeSale, 3_500_000, "Nasi goreng")
	pay(money.PurposeSale, 1_250_000, "Es teh manis")
	pay(money.PurposeTopup, 20_000_000, "Top up deposit")
	if _, err := a.sandbox.PayStaticQRIS(ctx, demo.CustID, 2_750_000); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "four payments booked", func() bool {
		chk, err := a.db.VerifyLedger(ctx)
		return err == nil && chk.Transactions == 4
	})
	if _, err := a.money.Adjust(ctx, owner, money.AdjustInput{Account: db.AccountNetzmeBalance, AmountMinor: -50_000,
		Reason: "Selisih kas"}); err != nil {
		t.Fatal(err)
	}

	type css = chromedp.CSS
	bctx := newBrowser(t)
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('`+sel+`').length`))
		if err != nil {
			t.Fatalf("count %s: %v", sel, err)
		}
		return n
	}
	// waitURL waits until the page's address is one ok accepts (each step
	// below moves to an address the one before did not have).
	waitURL := func(what string, ok func(loc string) bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			loc, err := chromedp.Run(bctx, chromedp.Location())
			if err == nil && ok(loc) {
				within(t, bctx, what, 10*time.Second, chromedp.WaitVisible(css(`[data-testid=history-count]`)))
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the page is still at %s", what, loc)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	has := func(parts ...string) func(string) bool {
		return func(loc string) bool {
			return !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(loc, p) })
		}
	}
	within(t, bctx, "log in and open the history from the menu", 30*time.Second,
		chromedp.Navigate(a.URL+"/login"),
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
		menu("money", "history"),
		chromedp.WaitVisible(css(`[data-testid=history-table]`)),
	)
	if n := count(`[data-testid=history-row]`); n != 5 {
		t.Fatalf("history shows %d rows, want 5 (four payments, one adjustment): one row per money event", n)
	}
	if n := count(`[data-testid=history-row][data-direction=out]`); n != 1 {
		t.Errorf("%d rows going out, want the adjustment", n)
	}
	if got := text(t, bctx, `[data-testid=total-in]`); got != "Rp 275.000" {
		t.Errorf("money in %q, want Rp 275.000", got)
	}
	screenshot(t, bctx, "history")

	// The type select, applied with the form.
	within(t, bctx, "filter sales", 20*time.Second,
		chromedp.SetValue(css(`[data-testid=history-filter-type]`), "sale"),
		chromedp.Click(css(`[data-testid=history-apply]`)),
	)
	waitURL("sales listed", has("type=sale"))
	if n, sales := count(`[data-testid=history-row]`), count(`[data-testid=history-row][data-type=sale]`); n != 3 || sales != 3 {
		t.Errorf("type=sale: %d rows, %d of them sales; want the two invoices and the static QRIS", n, sales)
	}
	if got := text(t, bctx, `[data-testid=total-in]`); got != "Rp 75.000" {
		t.Errorf("sales in %q, want Rp 75.000 (not the top-up)", got)
	}
	// Kemarin: nothing yet; Hari ini: the sales again, the type kept.
	today := a.now().In(jakartaLoc(t))
	yesterday := today.AddDate(0, 0, -1).Format("2006-01-02")
	within(t, bctx, "yesterday", 20*time.Second, chromedp.Click(css(`[data-testid=preset-yesterday]`)))
	waitURL("yesterday listed", has("type=sale", "from="+yesterday+"&to="+yesterday))
	if count(`[data-testid=history-row]`) != 0 || count(`[data-testid=empty]`) != 1 {
		t.Errorf("yesterday lists %d rows", count(`[data-testid=history-row]`))
	}
	within(t, bctx, "today", 20*time.Second, chromedp.Click(css(`[data-testid=preset-today]`)))
	waitURL("today listed", has("type=sale", "from="+today.Format("2006-01-02")+"&to="+today.Format("2006-01-02")))
	if count(`[data-testid=history-row]`) != 3 {
		t.Errorf("today with type=sale lists %d rows, want 3", count(`[data-testid=history-row]`))
	}
	// A search within the filter.
	within(t, bctx, "search", 20*time.Second,
		chromedp.SendKeys(css(`#q`), "nasi goreng"),
		chromedp.Click(css(`[data-testid=history-apply]`)),
	)
	waitURL("search listed", has("q=nasi"))
	if n := count(`[data-testid=history-row]`); n != 1 || !strings.Contains(text(t, bctx, `[data-testid=history-table]`), "Nasi goreng") {
		t.Errorf("search lists %d rows", n)
	}
	within(t, bctx, "clear the search", 20*time.Second,
		chromedp.Clear(css(`#q`)),
		chromedp.Click(css(`[data-testid=history-apply]`)),
	)
	waitURL("search cleared", func(loc string) bool { return strings.Contains(loc, "type=sale") && strings.HasSuffix(loc, "&q=") })
	shown := count(`[data-testid=history-row]`)

	// Download the filter as XLSX and open it.
	dir := t.TempDir()
	dctx, cancel := context.WithTimeout(bctx, 30*time.Second)
	defer cancel()
	progress := chromedp.BrowserEvents(dctx, browser.DownloadProgress)
	within(t, bctx, "download the XLSX", 20*time.Second,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: ptr(true)})
			return err
		}),
		chromedp.Click(css(`[data-testid=history-xlsx]`)),
	)
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			file = filepath.Join(dir, ev.GUID)
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatalf("download %s", ev.State)
		}
	}
	if file == "" {
		t.Fatal("the download did not complete")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("the downloaded XLSX does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("history", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"occurred_at", "type", "direction", "method", "reference", "netzme_id", "description", "amount", "fee", "net", "status", "match"}
	if len(rows) != shown+1 || !slices.Equal(rows[0], want) {
		t.Fatalf("workbook: %d rows, header %v; want the %d rows the page showed", len(rows)-1, rows[0], shown)
	}
	var sum float64
	for _, r := range rows[1:] {
		v, err := strconv.ParseFloat(r[7], 64)
		if err != nil || r[1] != "sale" || r[2] != "in" {
			t.Errorf("workbook row %v", r)
		}
		sum += v
	}
	if sum != 75_000 {
		t.Errorf("the workbook's amounts add up to %v, want 75000", sum)
	}

	// The settlement summary of this month, from the menu.
	within(t, bctx, "settlement", 30*time.Second,
		menu("money", "settlement"),
		chromedp.WaitVisible(css(`[data-testid=settlement-table]`)),
	)
	if got := text(t, bctx, `[data-testid=settlement-month-gross]`); got != "Rp 75.000" {
		t.Errorf("month's gross sales %q, want Rp 75.000", got)
	}
	screenshot(t, bctx, "settlement")
}

func ptr[T any](v T) *T { return &v }

// jakartaLoc is Asia/Jakarta.
func jakartaLoc(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
