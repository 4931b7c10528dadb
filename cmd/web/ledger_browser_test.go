package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lapak/db"
	"lapak/money"
	"lapak/netzme"
)

// TestBrowserDashboardChartFromTheBooks: payments made on the sandbox reach
// Lapak by real signed callbacks; the owner's dashboard, in a real browser
// under the real CSP, shows today's sales (not the deposit top-up) and the
// 30-day chart drawn by the server, with today's bar visibly drawn; and the
// books verify.
func TestBrowserDashboardChartFromTheBooks(t *testing.T) {
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
	pay := func(purpose money.Purpose, amount int64) {
		t.Helper()
		res, err := a.money.CreateInvoice(ctx, owner, money.InvoiceInput{Purpose: purpose, AmountMinor: amount,
			Method: netzme.PayQRIS, Description: "Nasi goreng"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.sandbox.PayInvoice(ctx, res.Invoice.NetzmeTrxID, 0); err != nil {
			t.Fatal(err)
		}
	}
	pay(money.PurposeSale, 3_500_000)
	pay(money.PurposeSale, 1_250_000)
	pay(money.PurposeTopup, 20_000_000)
	if _, err := a.sandbox.PayStaticQRIS(ctx, demo.CustID, 2_750_000); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "four payments booked", func() bool {
		chk, err := a.db.VerifyLedger(ctx)
		return err == nil && chk.Transactions == 4
	})

	bctx := newBrowser(t)
	within(t, bctx, "log in to the dashboard", 30*time.Second,
		chromedp.Navigate(a.URL+"/login"),
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=sales-chart] svg`)),
	)
	if got := text(t, bctx, `[data-testid=today-total]`); got != "Rp 75.000" {
		t.Errorf("today's sales %q, want Rp 75.000 (two invoices and the static QRIS; not the top-up)", got)
	}
	eval := func(what string, out any, js string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 10*time.Second)
		defer cancel()
		var err error
		switch p := out.(type) {
		case *int:
			*p, err = chromedp.Run(ctx, chromedp.Evaluate[int](js))
		case *float64:
			*p, err = chromedp.Run(ctx, chromedp.Evaluate[float64](js))
		case *string:
			*p, err = chromedp.Run(ctx, chromedp.Evaluate[string](js))
		}
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	var bars int
	var todayHeight float64
	var fill string
	eval("count the bars", &bars, `document.querySelectorAll('[data-testid=sales-chart] rect[data-testid=chart-bar]').length`)
	eval("measure today's bar", &todayHeight, `document.querySelector('[data-testid=sales-chart] rect.chart-bar-today').getBoundingClientRect().height`)
	eval("today's bar colour", &fill, `getComputedStyle(document.querySelector('rect.chart-bar-today')).fill`)
	if bars != 30 || todayHeight < 20 {
		t.Errorf("chart: %d bars, today's drawn %.1f px tall; want 30 and a visible bar", bars, todayHeight)
	}
	if fill == "" || fill == "rgb(0, 0, 0)" {
		t.Errorf("today's bar fill %q: the stylesheet did not reach the SVG", fill)
	}
	screenshot(t, bctx, "dashboard-sales-chart")

	var out bytes.Buffer
	if err := verifyLedger(ctx, a.db, "lapak.db", &out); err != nil || !strings.Contains(out.String(), "BUKU SEIMBANG") {
		t.Errorf("ledger verify: %v\n%s", err, out.String())
	}
	if b, err := a.db.LedgerBalance(ctx, m.ID, db.AccountIncomeSales); err != nil || b != -7_500_000 {
		t.Errorf("income:sales = %d %v, want -7500000", b, err)
	}
}
