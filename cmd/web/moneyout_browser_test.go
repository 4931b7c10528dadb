package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lapak/views"
)

// attr reads an attribute of the first element matching sel.
func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		t.Fatalf("read %s[%s]: %v", sel, name, err)
	}
	return res.Value
}

// navigate opens url and waits for waitSel. The page being left may be one
// that reloads itself (a pending invoice or withdrawal); its reload can abort
// the navigation, so a person would simply try again — and so does this.
func navigate(t *testing.T, ctx context.Context, url, waitSel string) {
	t.Helper()
	var err error
	for range 3 {
		nctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err = chromedp.Do(nctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(waitSel)))
		cancel()
		if err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("open %s: %v", url, err)
}

// reloadUntil reloads url until cond holds or d passes, as a person pressing
// F5 would; the pages under test also refresh themselves.
func reloadUntil(t *testing.T, ctx context.Context, url, waitSel string, d time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		navigate(t, ctx, url, waitSel)
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// payOpenInvoiceInSandbox plays the customer on the sandbox page: "Bayar" on
// the newest open invoice.
func payOpenInvoiceInSandbox(t *testing.T, ctx context.Context, a *testApp) {
	t.Helper()
	navigate(t, ctx, a.sandboxURL+"/sandbox/", `[data-testid=open-invoice] [data-testid=pay]`)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.Click(chromedp.CSS(`[data-testid=open-invoice] [data-testid=pay]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=message]`))); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("pay in sandbox: %v (at %s)", err, loc)
	}
}

// The new-user walk: set the PIN, top up the deposit and pay it in
// the sandbox, sell something, withdraw the balance with the PIN, and see the
// withdrawal turn successful with the balance down by exactly that amount.
func TestBrowserDepositTopupAndWithdrawalWithPIN(t *testing.T) {
	a := startTestApp(t, nil)
	ctx := newBrowser(t)
	type css = chromedp.CSS
	demo := a.sandbox.DemoMerchant()

	within(t, ctx, "log in", 20*time.Second,
		chromedp.Navigate(a.URL+"/login"),
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
	)
	within(t, ctx, "create PIN", 30*time.Second,
		chromedp.Navigate(a.URL+"/pin"),
		chromedp.WaitVisible(css(`[data-testid=pin-form]`)),
		chromedp.SendKeys(css(`#pin`), "246810"),
		chromedp.SendKeys(css(`#pin2`), "246810"),
		chromedp.Click(css(`[data-testid=pin-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=flash]`)),
	)

	// Top up the deposit with Rp 100.000 and pay the top-up invoice.
	within(t, ctx, "top up deposit", 30*time.Second,
		chromedp.Navigate(a.URL+"/deposits"),
		chromedp.WaitVisible(css(`[data-testid=topup-form]`)),
		chromedp.SendKeys(css(`[data-testid=topup-form] #amount`), "Rp 100.000"),
		chromedp.Click(css(`[data-testid=topup-submit]`)),
		// The top-up's invoice page, not page-heading: /deposits has one too,
		// and waiting on it let the test leave before the form was posted.
		chromedp.WaitVisible(css(`[data-testid=invoice-status]`)),
	)
	payOpenInvoiceInSandbox(t, ctx, a)
	// The callback lands; Netzme credits the top-up less its MDR, and Lapak
	// shows Netzme's figure.
	waitFor(t, "deposit credited at Netzme", func() bool {
		b, _ := a.sandbox.Balances(t.Context(), demo.CustID)
		return b.DepositMinor > 0
	})
	deposit, _ := a.sandbox.Balances(t.Context(), demo.CustID)
	if deposit.DepositMinor <= 9_000_000 || deposit.DepositMinor > 10_000_000 {
		t.Errorf("deposit after a Rp 100.000 top-up = %d sen", deposit.DepositMinor)
	}
	if !reloadUntil(t, ctx, a.URL+"/deposits", `[data-testid=page-heading]`, 20*time.Second, func() bool {
		return text(t, ctx, `[data-testid=deposit-balance]`) == views.IDR(deposit.DepositMinor)
	}) {
		t.Fatalf("deposit page shows %q, want %s", text(t, ctx, `[data-testid=deposit-balance]`), views.IDR(deposit.DepositMinor))
	}
	screenshot(t, ctx, "deposits")

	// A sale of Rp 200.000, paid by the customer in the sandbox.
	navigate(t, ctx, a.URL+"/invoices", `[data-testid=invoice-form]`)
	within(t, ctx, "create invoice", 30*time.Second,
		chromedp.SendKeys(css(`#amount`), "200.000"),
		chromedp.SendKeys(css(`#description`), "Paket nasi kotak"),
		chromedp.Click(css(`[data-testid=invoice-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=invoice-status]`)),
	)
	payOpenInvoiceInSandbox(t, ctx, a)
	waitFor(t, "sale credited at Netzme", func() bool {
		b, _ := a.sandbox.Balances(t.Context(), demo.CustID)
		return b.SettledMinor > 0
	})
	before, err := a.sandbox.Balances(t.Context(), demo.CustID)
	if err != nil {
		t.Fatal(err)
	}

	// Withdraw: inquiry → confirmation with the amount → PIN → request.
	navigate(t, ctx, a.URL+"/withdrawals", `[data-testid=withdraw-inquiry]`)
	within(t, ctx, "withdraw inquiry", 30*time.Second,
		chromedp.Click(css(`[data-testid=withdraw-inquiry]`)),
		chromedp.WaitVisible(css(`[data-testid=withdraw-confirm-form]`)),
	)
	shown := text(t, ctx, `[data-testid=withdraw-amount]`)
	if want := views.IDR(before.SettledMinor); shown != want {
		t.Errorf("confirmation shows %q, want the withdrawable %s", shown, want)
	}
	if acct := text(t, ctx, `[data-testid=withdraw-account]`); strings.Contains(acct, demo.BankAccountNumber) {
		t.Errorf("bank account shown unmasked: %q", acct)
	}
	screenshot(t, ctx, "withdraw-confirm")
	within(t, ctx, "withdraw with PIN", 30*time.Second,
		chromedp.SendKeys(css(`[data-testid=withdraw-pin]`), "246810"),
		chromedp.Click(css(`[data-testid=withdraw-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=withdrawal-status]`)),
	)
	withdrawalURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !reloadUntil(t, ctx, withdrawalURL, `[data-testid=withdrawal-status]`, 30*time.Second, func() bool {
		return attr(t, ctx, `[data-testid=withdrawal-status]`, "data-status") == "success"
	}) {
		t.Fatalf("withdrawal status = %q, want success", attr(t, ctx, `[data-testid=withdrawal-status]`, "data-status"))
	}
	screenshot(t, ctx, "withdrawal-success")

	after, err := a.sandbox.Balances(t.Context(), demo.CustID)
	if err != nil {
		t.Fatal(err)
	}
	if got := before.TotalMinor - after.TotalMinor; got != before.SettledMinor {
		t.Errorf("balance dropped by %d sen, want exactly the withdrawn %d", got, before.SettledMinor)
	}
	if after.DepositMinor != deposit.DepositMinor {
		t.Errorf("deposit after the withdrawal = %d sen, want it untouched at %d", after.DepositMinor, deposit.DepositMinor)
	}
	// The owner's balance page shows Netzme's new figure.
	within(t, ctx, "balance page", 20*time.Second, chromedp.Navigate(a.URL+"/balance"),
		chromedp.WaitVisible(css(`[data-testid=balance-settled]`)))
	if got := text(t, ctx, `[data-testid=balance-settled]`); got != "Rp 0" {
		t.Errorf("withdrawable balance after withdrawing everything = %q, want Rp 0", got)
	}
	// The PIN never reached Lapak's records in any form.
	calls, _ := a.db.APICalls(t.Context(), 0, 200)
	for _, c := range calls {
		if strings.Contains(c.RequestBody, "246810") {
			t.Errorf("api_calls row %d holds the clear PIN", c.ID)
		}
	}
}
