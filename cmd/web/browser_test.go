package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds the Debian Chromium. Browser tests skip without it on a
// developer machine, but fail under CI=true: CI installs it, so its absence
// there is a broken pipeline, not a reason to pass.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium not found at /usr/bin/chromium; CI must install it (apt-get install chromium)")
	}
	t.Skip("Chromium not installed (apt-get install chromium); browser test skipped outside CI")
	return ""
}

// newBrowser starts a headless Chromium with the flags this closed network
// needs (no background networking) and a fresh profile, and returns a tab
// context. The browser starts without a deadline (a deadline on the first run
// would bound the whole browser); bound each step with within.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// within runs steps in the browser tab with a time limit, failing the test
// with what was being done.
func within(t *testing.T, ctx context.Context, what string, d time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// text reads the visible text of the first element matching the CSS selector.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// login fills the real login form and submits it.
func login(email, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`)),
		chromedp.Clear(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.Clear(chromedp.CSS(`#password`)),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
	)
}

// menu opens a menu group and follows one of its links, as a person does:
// on a wide window the group is a drop-down ("Jualan", "Uang", "Toko").
func menu(group, item string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Click(chromedp.CSS(`[data-testid=navgroup-`+group+`] > summary`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=nav-`+item+`]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=nav-`+item+`]`)),
	)
}

// screenshot saves the page as docs material when LAPAK_SCREENSHOTS names a
// folder; the README's pictures are made this way.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("LAPAK_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(dir+"/"+name+".png", png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserLoginLandsOnDashboardInIndonesian(t *testing.T) {
	a := startTestApp(t, nil)
	ctx := newBrowser(t)
	type css = chromedp.CSS

	// Not logged in: the login page, in Bahasa Indonesia.
	within(t, ctx, "open login page", 20*time.Second,
		chromedp.Navigate(a.URL+"/"),
		chromedp.WaitVisible(css(`[data-testid=login-heading]`)),
	)
	lang, err := chromedp.Run(ctx, chromedp.AttributeValue(css(`html`), "lang"))
	if err != nil || lang.Value != "id" {
		t.Errorf("login page lang = %+v, %v; want id", lang, err)
	}
	screenshot(t, ctx, "login")

	// A wrong password first: a clear error on the form.
	within(t, ctx, "wrong password", 20*time.Second,
		login(testAdminEmail, "salah-password"),
		chromedp.WaitVisible(css(`[data-testid=login-error]`)),
	)
	if msg := text(t, ctx, `[data-testid=login-error]`); !strings.Contains(msg, "salah") {
		t.Errorf("wrong-password message = %q, want the Indonesian 'salah' message", msg)
	}

	within(t, ctx, "log in", 20*time.Second,
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
	)
	if h := text(t, ctx, `[data-testid=dashboard-heading]`); h != "Toko Contoh" {
		t.Errorf("dashboard heading = %q, want the demo merchant Toko Contoh", h)
	}
	if role := text(t, ctx, `[data-testid=dashboard-role]`); !strings.Contains(role, "Pemilik") {
		t.Errorf("dashboard role line = %q, want the owner role in Indonesian (Pemilik)", role)
	}
	if nav := text(t, ctx, `[data-testid=nav]`); !strings.Contains(nav, "Dasbor") || !strings.Contains(nav, "Admin") {
		t.Errorf("navigation = %q, want Dasbor and Admin", nav)
	}
	screenshot(t, ctx, "dashboard")

	// Logging out lands back on the login page, and the dashboard is closed again.
	within(t, ctx, "log out", 20*time.Second,
		chromedp.Click(css(`[data-testid=logout]`)),
		chromedp.WaitVisible(css(`[data-testid=login-heading]`)),
		chromedp.Navigate(a.URL+"/"),
		chromedp.WaitVisible(css(`[data-testid=login-heading]`)),
	)
}
