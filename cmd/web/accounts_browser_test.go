package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lapak/db"
	"lapak/handlers"
)

// authenticatorCode is what an authenticator app shows for a base32 secret
// at step (RFC 6238: HMAC-SHA-1, 6 digits, 30 s) — written here again on
// purpose, so the browser test does not trust Lapak's own implementation.
func authenticatorCode(t *testing.T, secret string, step int64) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(secret, " ", ""))
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[19] & 0x0f
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:off+4])&0x7fffffff)%1_000_000)
}

// fill types value into the input matching sel (after clearing it).
func fill(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), value))
}

// logout presses the header's logout button and waits for the login form.
func logout(t *testing.T, ctx context.Context) {
	t.Helper()
	within(t, ctx, "log out", 20*time.Second,
		chromedp.Click(chromedp.CSS(`[data-testid=logout]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`)),
	)
}

func TestBrowserChangePassword(t *testing.T) {
	a := startTestApp(t, nil)
	ctx := newBrowser(t)
	type css = chromedp.CSS
	const newPW = "sandi-baru-di-browser-1"
	within(t, ctx, "log in and open the account page", 20*time.Second,
		chromedp.Navigate(a.URL+"/login"),
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
		chromedp.Click(css(`[data-testid=nav-account]`)),
		chromedp.WaitVisible(css(`[data-testid=password-form]`)),
	)
	within(t, ctx, "change the password", 20*time.Second,
		fill(`#current_password`, testAdminPassword),
		fill(`#new_password`, newPW),
		fill(`#new_password_confirm`, newPW),
		chromedp.Click(css(`[data-testid=password-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=flash]`)),
	)
	if got := text(t, ctx, `[data-testid=flash]`); !strings.Contains(got, "Kata sandi diganti") {
		t.Errorf("flash = %q", got)
	}
	screenshot(t, ctx, "account")
	logout(t, ctx)
	within(t, ctx, "old password refused", 20*time.Second,
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=login-error]`)),
	)
	within(t, ctx, "new password signs in", 20*time.Second,
		login(testAdminEmail, newPW),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
	)
}

func TestBrowserAdminResetLinkUsedByUser(t *testing.T) {
	a := startTestApp(t, nil)
	hash, err := handlers.HashPassword("lupa-sandi-ini-123")
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.db.CreateUser(t.Context(), db.NewUser{Email: "kasir@toko.test", Name: "Kasir Lupa", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	type css = chromedp.CSS
	within(t, ctx, "admin makes a reset link", 20*time.Second,
		chromedp.Navigate(a.URL+"/login"),
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
		chromedp.Navigate(fmt.Sprintf("%s/admin/users/%d", a.URL, u.ID)),
		chromedp.Click(css(`[data-testid=user-reset-link]`)),
		chromedp.WaitVisible(css(`[data-testid=reset-link]`)),
	)
	link := text(t, ctx, `[data-testid=reset-link]`)
	if !strings.HasPrefix(link, a.URL+"/password/reset?token=") {
		t.Fatalf("link = %q", link)
	}
	screenshot(t, ctx, "reset-link")
	logout(t, ctx)

	const newPW = "sandi-dari-tautan-22"
	within(t, ctx, "the user opens the link and sets a password", 20*time.Second,
		chromedp.Navigate(link),
		chromedp.WaitVisible(css(`[data-testid=reset-form]`)),
		fill(`#new_password`, newPW),
		fill(`#new_password_confirm`, newPW),
		chromedp.Click(css(`[data-testid=reset-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=flash]`)),
	)
	if got := text(t, ctx, `[data-testid=flash]`); !strings.Contains(got, "Kata sandi baru disimpan") {
		t.Errorf("flash = %q", got)
	}
	within(t, ctx, "the user signs in", 20*time.Second,
		login(u.Email, newPW),
		chromedp.WaitVisible(css(`[data-testid=user-email]`)),
	)
	if got := text(t, ctx, `[data-testid=user-email]`); got != "Kasir Lupa" {
		t.Errorf("signed in as %q", got)
	}
	within(t, ctx, "the link works once", 20*time.Second,
		chromedp.Navigate(link),
		chromedp.WaitVisible(css(`[data-testid=reset-invalid]`)),
	)
}

func TestBrowserTwoFactorLoginWithCodeAndRecoveryCode(t *testing.T) {
	a := startTestApp(t, nil)
	ctx := newBrowser(t)
	type css = chromedp.CSS
	within(t, ctx, "open the two-step set-up", 20*time.Second,
		chromedp.Navigate(a.URL+"/login"),
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
		chromedp.Click(css(`[data-testid=nav-account]`)),
		chromedp.Click(css(`[data-testid=twofactor-setup]`)),
		chromedp.WaitVisible(css(`[data-testid=twofactor-qr] svg`)),
	)
	secret := text(t, ctx, `[data-testid=twofactor-secret]`)
	screenshot(t, ctx, "twofactor-setup")
	enrolStep := a.now().Unix() / 30 // the authenticator keeps the app's time
	within(t, ctx, "confirm with the app's code", 20*time.Second,
		fill(`#code`, authenticatorCode(t, secret, enrolStep)),
		chromedp.Click(css(`[data-testid=twofactor-confirm]`)),
		chromedp.WaitVisible(css(`[data-testid=recovery-codes]`)),
	)
	codes := strings.Fields(text(t, ctx, `[data-testid=recovery-codes]`))
	if len(codes) != 10 {
		t.Fatalf("recovery codes = %q", codes)
	}
	within(t, ctx, "back to the account page", 20*time.Second,
		chromedp.Click(css(`[data-testid=account-back]`)),
		chromedp.WaitVisible(css(`[data-testid=twofactor-disable-form]`)),
	)
	logout(t, ctx)

	// Password, then the code of a step after the one the set-up used.
	within(t, ctx, "password step", 20*time.Second,
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=twofactor-form]`)),
	)
	step := max(a.now().Unix()/30, enrolStep+1)
	within(t, ctx, "code step", 20*time.Second,
		fill(`#code`, authenticatorCode(t, secret, step)),
		chromedp.Click(css(`[data-testid=twofactor-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
	)
	logout(t, ctx)

	within(t, ctx, "sign in with a recovery code", 20*time.Second,
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=twofactor-form]`)),
		fill(`#code`, codes[0]),
		chromedp.Click(css(`[data-testid=twofactor-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=dashboard-heading]`)),
	)
	if got := text(t, ctx, `[data-testid=flash]`); !strings.Contains(got, "kode pemulihan") || !strings.Contains(got, "9") {
		t.Errorf("flash = %q", got)
	}
	logout(t, ctx)
	within(t, ctx, "a used recovery code is refused", 20*time.Second,
		login(testAdminEmail, testAdminPassword),
		chromedp.WaitVisible(css(`[data-testid=twofactor-form]`)),
		fill(`#code`, codes[0]),
		chromedp.Click(css(`[data-testid=twofactor-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=login-error]`)),
	)
}
