package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lapak/netzme/sandbox"
	"lapak/views"
)

// An owner presses "Sinkronkan sekarang" for a long range and watches the
// figures move without reloading (app.js polls /sync/status), then sees the
// finished run.
func TestBrowserSyncShowsProgressAsItGoes(t *testing.T) {
	a := startTestApp(t, nil)
	ctx := newBrowser(t)
	type css = chromedp.CSS

	demo := a.app.sandbox.DemoMerchant()
	today := a.app.now().In(views.Jakarta)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, views.Jakarta)
	const days, perDay = 365, 40
	var moves []sandbox.Movement
	for d := days; d >= 1; d-- {
		for i := range perDay {
			moves = append(moves, sandbox.Movement{Kind: sandbox.MoveStaticQRIS, At: today.AddDate(0, 0, -d).Add(time.Duration(8*60+i*17) * time.Minute),
				AmountMinor: int64(1_500_000 + 100*i)})
		}
	}
	if err := a.app.sandbox.SeedHistory(t.Context(), demo.CustID, moves); err != nil {
		t.Fatal(err)
	}

	within(t, ctx, "log in", 20*time.Second,
		chromedp.Navigate(a.URL+"/login"),
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
	)
	from := today.AddDate(0, 0, -days).Format(time.DateOnly)
	within(t, ctx, "start a sync", 20*time.Second,
		chromedp.Navigate(a.URL+"/sync"),
		chromedp.WaitVisible(css(`[data-testid=sync-form]`)),
		chromedp.SetValue(css(`#from`), from),
		chromedp.SetValue(css(`#to`), today.Format(time.DateOnly)),
		chromedp.Click(css(`[data-testid=sync-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=sync-state]`)),
		// A mark on this page: a reload would wipe it.
		chromedp.Evaluate[chromedp.Void](`window.lapakMark = 1`),
	)
	// The figures move while the page stays the same page.
	var moved bool
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		mark, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.lapakMark === 1`))
		if err != nil || !mark {
			break // the page reloaded itself: the run ended
		}
		done, err := chromedp.Run(ctx, chromedp.Text(css(`[data-sync-field=days_done]`)))
		if err != nil {
			break
		}
		if n, _ := strconv.Atoi(done); n > 0 && n < days+1 {
			moved = true
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !moved {
		t.Error("the days done never moved on the page while the sync ran")
	}
	screenshot(t, ctx, "sync-running")
	// When the run ends the page shows it finished.
	within(t, ctx, "sync finishes", 90*time.Second,
		chromedp.WaitVisible(css(`[data-testid=sync-run][data-status=done]`)),
	)
	if got, want := text(t, ctx, `[data-testid=sync-days]`), strconv.Itoa(days+1)+" / "+strconv.Itoa(days+1); got != want {
		t.Errorf("days = %q, want %q", got, want)
	}
	if got := text(t, ctx, `[data-testid=sync-lines]`); got != strconv.Itoa(len(moves)) {
		t.Errorf("lines = %q, want %d", got, len(moves))
	}
	screenshot(t, ctx, "sync")
}
