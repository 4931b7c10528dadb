package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"lapak/db"
)

// restart replaces the app's Handler with a new one on the same database and
// clock, as a process restart would: nothing kept in memory survives.
func (a *testApp) restart() {
	sessions := newSessionManager(db.NewSessionStore(a.DB, 0), false)
	a.handler = New(Deps{DB: a.DB, Sessions: sessions, Logger: slog.New(slog.NewJSONHandler(a.logs, nil)), Now: a.clock})
	a.routes = a.handler.Routes()
}

func (a *testApp) hasAudit(t *testing.T, action string) db.AuditEntry {
	t.Helper()
	for _, e := range a.auditActions(t) {
		if e.Action == action {
			return e
		}
	}
	t.Fatalf("no audit line %q", action)
	return db.AuditEntry{}
}

// --- Throttling ---------------------------------------------------------

// A stranger hammering an owner's account from their own address never
// stops the owner signing in at the counter.
func TestStrangerCannotLockOwnerOut(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	m := app.newMerchant(t, "Toko Uji")
	owner := app.newUser(t, "pemilik@uji.test", false, m.ID, db.RoleOwner)
	stranger := app.client()
	stranger.remoteAddr = "203.0.113.66:5555"
	refused := 0
	for i := range 40 {
		res := stranger.login(owner.Email, "tebak-"+itoa(i))
		switch res.Code {
		case http.StatusUnprocessableEntity:
		case http.StatusTooManyRequests:
			refused++
		default:
			t.Fatalf("guess %d: status %d", i, res.Code)
		}
		app.advance(200 * time.Millisecond)
	}
	if refused == 0 {
		t.Fatal("40 quick guesses were never slowed down")
	}
	counter := app.client() // the owner's own address
	counter.login(owner.Email, testPassword).wantStatus(t, http.StatusSeeOther)
	counter.get("/").wantStatus(t, http.StatusOK)
}

// After the free failures each attempt waits 1 s, 2 s, 4 s … after the last
// failure, capped at 15 minutes; the message says how long.
func TestThrottleDelaysGrowAndCap(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	u := app.newUser(t, "budi@uji.test", false, 0, "")
	c := app.client()
	for i := range 5 {
		c.login(u.Email, "salah-"+itoa(i)).wantStatus(t, http.StatusUnprocessableEntity)
	}
	want := 1
	for step := range 14 {
		res := c.login(u.Email, testPassword).wantStatus(t, http.StatusTooManyRequests)
		if got := res.Header.Get("Retry-After"); got != strconv.Itoa(want) {
			t.Fatalf("step %d: Retry-After = %s, want %d", step, got, want)
		}
		app.advance(time.Duration(want)*time.Second - time.Millisecond)
		c.login(u.Email, testPassword).wantStatus(t, http.StatusTooManyRequests)
		app.advance(time.Millisecond)
		c.login(u.Email, "salah-lagi").wantStatus(t, http.StatusUnprocessableEntity)
		want = min(want*2, 900)
	}
	res := c.login(u.Email, testPassword).wantStatus(t, http.StatusTooManyRequests)
	if got := res.Header.Get("Retry-After"); got != "900" {
		t.Errorf("capped Retry-After = %s, want 900", got)
	}
	if got := res.text("login-error"); !strings.Contains(got, "15 menit") {
		t.Errorf("capped message = %q, want 15 menit", got)
	}
	app.advance(15 * time.Minute)
	c.login(u.Email, testPassword).wantStatus(t, http.StatusSeeOther)
	// A success forgets the account's failures from this address.
	var rows int
	if err := app.DB.SQL().QueryRow(`SELECT count(*) FROM login_throttle WHERE key LIKE 'acct:%'`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("account keys after a success: %d, %v", rows, err)
	}
}

func TestThrottleSurvivesRestart(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	u := app.newUser(t, "rina@uji.test", false, 0, "")
	c := app.client()
	for i := range 7 {
		c.login(u.Email, "salah-"+itoa(i)).wantStatus(t, http.StatusUnprocessableEntity)
		app.advance(time.Duration(1<<max(i-4, 0)) * time.Second)
	}
	// Seven failures: the next attempt must wait 4 s after the last one.
	app.advance(-4 * time.Second)
	app.restart()
	res := c.login(u.Email, testPassword).wantStatus(t, http.StatusTooManyRequests)
	if got := res.Header.Get("Retry-After"); got != "4" {
		t.Errorf("Retry-After after restart = %s, want 4", got)
	}
	app.advance(4 * time.Second)
	c.login(u.Email, testPassword).wantStatus(t, http.StatusSeeOther)
}

// An address spraying one password over many accounts is slowed down, and
// an hour of quiet forgets its failures.
func TestThrottleAddressAndForgetting(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	u := app.newUser(t, "dewi@uji.test", false, 0, "")
	c := app.client()
	spray := func(round int) {
		for i := range 20 {
			c.login("orang"+itoa(round)+"-"+itoa(i)+"@uji.test", "rahasia123").wantStatus(t, http.StatusUnprocessableEntity)
		}
		c.login(u.Email, testPassword).wantStatus(t, http.StatusTooManyRequests)
	}
	spray(1)
	app.advance(time.Hour + time.Second)
	// Forgotten: twenty fresh failures before the address must wait again.
	spray(2)
	app.advance(time.Second)
	c.login(u.Email, testPassword).wantStatus(t, http.StatusSeeOther)
}

// --- Changing one's own password -----------------------------------------

func TestChangePassword(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c, u, _ := app.loginAs(t, db.RoleCashier)
	elsewhere := app.client()
	elsewhere.remoteAddr = "198.51.100.20:1"
	elsewhere.mustLogin(t, u.Email)

	page := c.get("/").wantStatus(t, http.StatusOK)
	if href, _ := page.doc.Find(`[data-testid="nav-account"]`).Attr("href"); href != "/account" {
		t.Fatalf("no account link in the header: %q", href)
	}
	acct := c.get("/account").wantStatus(t, http.StatusOK)
	if acct.count("password-form") != 1 {
		t.Fatal("no change-password form")
	}
	if acct.count("twofactor") != 0 {
		t.Error("a cashier is offered two-step verification")
	}

	const newPW = "kata-sandi-baru-77"
	for _, tt := range []struct {
		name, current, pw, confirm, field, want string
	}{
		{"short", testPassword, "pendek", "pendek", "new_password", "Kata sandi minimal 10 karakter."},
		{"mismatch", testPassword, newPW, newPW + "x", "new_password_confirm", "Kedua kata sandi baru tidak sama."},
		{"wrong current", "bukan-sandi-ini", newPW, newPW, "current_password", "Kata sandi salah."},
	} {
		res := c.post("/account/password", url.Values{"current_password": {tt.current}, "new_password": {tt.pw}, "new_password_confirm": {tt.confirm}}).
			wantStatus(t, http.StatusUnprocessableEntity)
		if got := res.text("error-" + tt.field); got != tt.want {
			t.Errorf("%s: %s error = %q, want %q", tt.name, tt.field, got, tt.want)
		}
	}

	before := c.session()
	res := c.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {newPW}, "new_password_confirm": {newPW}}).
		wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/account" {
		t.Fatalf("redirect to %q", loc)
	}
	if c.session() == before || c.session() == "" {
		t.Error("the session token was not renewed")
	}
	if got := c.get("/account").wantStatus(t, http.StatusOK).text("flash"); !strings.Contains(got, "Kata sandi diganti") {
		t.Errorf("flash = %q", got)
	}
	// The other session, signed in with the old password, is over.
	if res := elsewhere.get("/"); res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Errorf("the other session still works: %d", res.Code)
	}
	stored, err := app.DB.User(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$") {
		t.Errorf("stored hash %.12q is not argon2id", stored.PasswordHash)
	}
	app.client().login(u.Email, testPassword).wantStatus(t, http.StatusUnprocessableEntity)
	app.client().login(u.Email, newPW).wantStatus(t, http.StatusSeeOther)
	if e := app.hasAudit(t, "user.password.change"); e.UserID != u.ID || strings.Contains(e.Detail, newPW) {
		t.Errorf("audit line %+v", e)
	}
}

// Guessing the current password through a signed-in session is throttled
// like a login.
func TestChangePasswordThrottled(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c, _, _ := app.loginAs(t, db.RoleOwner)
	form := func(cur string) url.Values {
		return url.Values{"current_password": {cur}, "new_password": {"kata-sandi-baru-1"}, "new_password_confirm": {"kata-sandi-baru-1"}}
	}
	for i := range 5 {
		c.post("/account/password", form("tebak-"+itoa(i))).wantStatus(t, http.StatusUnprocessableEntity)
	}
	res := c.post("/account/password", form(testPassword)).wantStatus(t, http.StatusTooManyRequests)
	if got := res.text("error-current_password"); !strings.Contains(got, "Terlalu banyak") {
		t.Errorf("error = %q", got)
	}
}

// --- Reset links ------------------------------------------------------------

// Without a public URL the link is built from the request's Host, which
// httptest sets to example.com.
var resetLinkRE = regexp.MustCompile(`^http://example\.com/password/reset\?token=([A-Za-z0-9_-]{43})$`)

// makeResetLink has admin make a reset link for u and returns its token.
func makeResetLink(t *testing.T, admin *client, u db.User) string {
	t.Helper()
	res := admin.post("/admin/users/"+itoa(int(u.ID))+"/password-reset", nil).wantStatus(t, http.StatusOK)
	m := resetLinkRE.FindStringSubmatch(res.text("reset-link"))
	if m == nil {
		t.Fatalf("reset link = %q", res.text("reset-link"))
	}
	return m[1]
}

func TestAdminResetLink(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	admin, adm := app.loginAdmin(t)
	userC, u, _ := app.loginAs(t, db.RoleOwner)
	// A member cannot make links.
	userC.post("/admin/users/"+itoa(int(u.ID))+"/password-reset", nil).wantStatus(t, http.StatusForbidden)

	page := admin.get("/admin/users/"+itoa(int(u.ID))).wantStatus(t, http.StatusOK)
	if page.count("user-reset-link") != 1 {
		t.Fatal("no reset button on the user's page")
	}
	old := makeResetLink(t, admin, u)
	token := makeResetLink(t, admin, u) // the newer link ends the older one
	if old == token {
		t.Fatal("two links with one token")
	}
	// Only the hash is stored.
	var stored int
	sum := sha256.Sum256([]byte(token))
	if err := app.DB.SQL().QueryRow(app.DB.Rebind(`SELECT count(*) FROM password_resets WHERE token_hash = ?`), hex.EncodeToString(sum[:])).Scan(&stored); err != nil || stored != 1 {
		t.Fatalf("stored by hash: %d, %v", stored, err)
	}
	if err := app.DB.SQL().QueryRow(app.DB.Rebind(`SELECT count(*) FROM password_resets WHERE token_hash = ?`), token).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("token stored in clear: %d, %v", stored, err)
	}
	if e := app.hasAudit(t, "user.password.reset_link"); e.UserID != adm.ID || strings.Contains(e.Detail, token) || !strings.Contains(e.Detail, u.Email) {
		t.Errorf("audit line %+v", e)
	}
	if strings.Contains(app.logs.String(), token) {
		t.Error("the token reached the log")
	}

	visitor := app.client()
	visitor.remoteAddr = "198.51.100.30:1"
	visitor.get("/password/reset?token="+url.QueryEscape(old)).wantStatus(t, http.StatusNotFound)
	form := visitor.get("/password/reset?token="+url.QueryEscape(token)).wantStatus(t, http.StatusOK)
	if form.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Error("the reset page may leak its URL in a Referer")
	}
	if got := form.text("reset-email"); !strings.Contains(got, u.Email) {
		t.Errorf("reset page names %q", got)
	}
	// Opening the link twice uses nothing up; a short password is refused
	// and the link still works.
	visitor.get("/password/reset?token="+url.QueryEscape(token)).wantStatus(t, http.StatusOK)
	visitor.post("/password/reset", url.Values{"token": {token}, "new_password": {"pendek"}, "new_password_confirm": {"pendek"}}).
		wantStatus(t, http.StatusUnprocessableEntity)

	const newPW = "sandi-dari-tautan-9"
	res := visitor.post("/password/reset", url.Values{"token": {token}, "new_password": {newPW}, "new_password_confirm": {newPW}}).
		wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/login" {
		t.Fatalf("redirect to %q", loc)
	}
	if got := visitor.get("/login").text("flash"); !strings.Contains(got, "Kata sandi baru disimpan") {
		t.Errorf("flash = %q", got)
	}
	// Single use.
	again := visitor.post("/password/reset", url.Values{"token": {token}, "new_password": {"lagi-lagi-123"}, "new_password_confirm": {"lagi-lagi-123"}}).
		wantStatus(t, http.StatusNotFound)
	if again.count("reset-invalid") != 1 {
		t.Error("no 'link invalid' message")
	}
	visitor.get("/password/reset?token="+url.QueryEscape(token)).wantStatus(t, http.StatusNotFound)
	// The user's earlier session is over; the new password signs in.
	if res := userC.get("/"); res.Code != http.StatusSeeOther {
		t.Errorf("session from before the reset still works: %d", res.Code)
	}
	app.client().login(u.Email, testPassword).wantStatus(t, http.StatusUnprocessableEntity)
	app.client().login(u.Email, newPW).wantStatus(t, http.StatusSeeOther)
	if e := app.hasAudit(t, "user.password.reset"); e.UserID != u.ID || e.RemoteAddr != "198.51.100.30" {
		t.Errorf("audit line %+v", e)
	}
}

func TestResetLinkExpires(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	admin, _ := app.loginAdmin(t)
	_, u, _ := app.loginAs(t, db.RoleCashier)
	token := makeResetLink(t, admin, u)
	visitor := app.client()
	app.advance(24*time.Hour - time.Second)
	visitor.get("/password/reset?token="+url.QueryEscape(token)).wantStatus(t, http.StatusOK)
	app.advance(time.Second)
	visitor.get("/password/reset?token="+url.QueryEscape(token)).wantStatus(t, http.StatusNotFound)
	visitor.post("/password/reset", url.Values{"token": {token}, "new_password": {"terlambat-123"}, "new_password_confirm": {"terlambat-123"}}).
		wantStatus(t, http.StatusNotFound)
	app.client().login(u.Email, testPassword).wantStatus(t, http.StatusSeeOther)
	for _, bad := range []string{"", "x", strings.Repeat("A", 43)} {
		visitor.get("/password/reset?token="+bad).wantStatus(t, http.StatusNotFound)
	}
}

// --- Two-step verification --------------------------------------------------

// enrol turns TOTP on for the signed-in c through the pages and returns the
// secret and the recovery codes.
func enrol(t *testing.T, app *testApp, c *client) ([]byte, []string) {
	t.Helper()
	acct := c.get("/account").wantStatus(t, http.StatusOK)
	if acct.count("twofactor-setup") != 1 {
		t.Fatal("no two-factor set-up link")
	}
	setup := c.get("/account/2fa").wantStatus(t, http.StatusOK)
	secret, err := b32.DecodeString(strings.ReplaceAll(setup.text("twofactor-secret"), " ", ""))
	if err != nil || len(secret) != 20 {
		t.Fatalf("secret on the page: %q (%v)", setup.text("twofactor-secret"), err)
	}
	if setup.doc.Find(`[data-testid="twofactor-qr"] svg path`).Length() != 1 {
		t.Error("no QR code")
	}
	// Reloading keeps the same secret until it is confirmed.
	if again := c.get("/account/2fa").text("twofactor-secret"); again != setup.text("twofactor-secret") {
		t.Error("the secret changed on reload")
	}
	wrong := c.post("/account/2fa", url.Values{"code": {wrongCode(secret, app.clock(), 0)}}).wantStatus(t, http.StatusUnprocessableEntity)
	if wrong.text("error-code") == "" {
		t.Error("no error for a wrong code")
	}
	done := c.post("/account/2fa", url.Values{"code": {totpCode(secret, totpStep(app.clock()))}}).wantStatus(t, http.StatusOK)
	var codes []string
	done.doc.Find(`[data-testid="recovery-code"]`).Each(func(_ int, s *goquery.Selection) {
		codes = append(codes, strings.TrimSpace(s.Text()))
	})
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10", len(codes))
	}
	return secret, codes
}

func TestTwoFactorLogin(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c, u, _ := app.loginAs(t, db.RoleOwner)
	secret, codes := enrol(t, app, c)
	if got := c.get("/account").text("twofactor-status"); !strings.Contains(got, "Aktif") {
		t.Errorf("status = %q", got)
	}
	for _, code := range codes {
		if strings.Contains(app.logs.String(), code) {
			t.Fatal("a recovery code reached the log")
		}
	}
	if strings.Contains(app.logs.String(), b32.EncodeToString(secret)) {
		t.Fatal("the secret reached the log")
	}
	app.hasAudit(t, "user.2fa.enable")

	// The password alone now leads to the code step, and that half-signed-in
	// session opens nothing.
	b := app.client()
	res := b.login(u.Email, testPassword).wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/login/2fa" {
		t.Fatalf("after the password: %q", loc)
	}
	for _, p := range []string{"/", "/account", "/invoices", "/members"} {
		if res := b.get(p); res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Errorf("half-signed-in %s: %d %s", p, res.Code, res.Header.Get("Location"))
		}
	}
	b.get("/login/2fa").wantStatus(t, http.StatusOK)
	// The code that confirmed the set-up is used up.
	reused := b.post("/login/2fa", url.Values{"code": {totpCode(secret, totpStep(app.clock()))}}).wantStatus(t, http.StatusUnprocessableEntity)
	if got := reused.text("login-error"); !strings.Contains(got, "sudah dipakai") {
		t.Errorf("reused code message = %q", got)
	}
	app.advance(30 * time.Second)
	code := totpCode(secret, totpStep(app.clock()))
	res = b.post("/login/2fa", url.Values{"code": {code[:3] + " " + code[3:]}}).wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/" {
		t.Fatalf("after the code: %q", loc)
	}
	b.get("/").wantStatus(t, http.StatusOK)
	es := app.auditActions(t)
	if e := es[len(es)-1]; e.Action != "user.login" || e.UserID != u.ID || !strings.Contains(e.Detail, `"totp"`) {
		t.Errorf("login audit %+v", e)
	}

	// The same code again, within its window, is refused.
	d := app.client()
	d.login(u.Email, testPassword).wantStatus(t, http.StatusSeeOther)
	d.post("/login/2fa", url.Values{"code": {code}}).wantStatus(t, http.StatusUnprocessableEntity)
	// A code one step ahead (a fast phone) is accepted.
	d.post("/login/2fa", url.Values{"code": {totpCode(secret, totpStep(app.clock())+1)}}).wantStatus(t, http.StatusSeeOther)

	// A recovery code works once, in any case and with or without dashes.
	e := app.client()
	e.login(u.Email, testPassword).wantStatus(t, http.StatusSeeOther)
	e.post("/login/2fa", url.Values{"code": {strings.ToUpper(strings.ReplaceAll(codes[3], "-", ""))}}).wantStatus(t, http.StatusSeeOther)
	if got := e.get("/").text("flash"); !strings.Contains(got, "kode pemulihan") || !strings.Contains(got, "9") {
		t.Errorf("recovery flash = %q", got)
	}
	f := app.client()
	f.login(u.Email, testPassword).wantStatus(t, http.StatusSeeOther)
	f.post("/login/2fa", url.Values{"code": {codes[3]}}).wantStatus(t, http.StatusUnprocessableEntity)
	f.post("/login/2fa", url.Values{"code": {codes[4]}}).wantStatus(t, http.StatusSeeOther)
	if got := f.get("/account").text("recovery-left"); !strings.Contains(got, "8") {
		t.Errorf("recovery codes left = %q", got)
	}
}

// Wrong codes are throttled per account from anywhere (whoever is guessing
// knows the password), and the half-signed-in state expires.
func TestTwoFactorThrottleAndExpiry(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c, u, _ := app.loginAs(t, db.RoleOwner)
	secret, _ := enrol(t, app, c)
	app.advance(30 * time.Second)
	for i := range 5 {
		g := app.client()
		g.remoteAddr = "203.0.113." + itoa(10+i) + ":1"
		g.login(u.Email, testPassword).wantStatus(t, http.StatusSeeOther)
		g.post("/login/2fa", url.Values{"code": {wrongCode(secret, app.clock(), i)}}).wantStatus(t, http.StatusUnprocessableEntity)
	}
	h := app.client()
	h.remoteAddr = "203.0.113.99:1"
	h.login(u.Email, testPassword).wantStatus(t, http.StatusSeeOther)
	res := h.post("/login/2fa", url.Values{"code": {totpCode(secret, totpStep(app.clock()))}}).wantStatus(t, http.StatusTooManyRequests)
	if got := res.text("login-error"); !strings.Contains(got, "detik") {
		t.Errorf("message = %q", got)
	}
	app.advance(time.Second)
	h.post("/login/2fa", url.Values{"code": {totpCode(secret, totpStep(app.clock()))}}).wantStatus(t, http.StatusSeeOther)

	late := app.client()
	late.login(u.Email, testPassword).wantStatus(t, http.StatusSeeOther)
	app.advance(5*time.Minute + 31*time.Second)
	res = late.post("/login/2fa", url.Values{"code": {totpCode(secret, totpStep(app.clock()))}}).wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/login" {
		t.Errorf("expired second step goes to %q", loc)
	}
	if got := late.get("/login").text("flash"); !strings.Contains(got, "habis") {
		t.Errorf("flash = %q", got)
	}
}

func TestTwoFactorDisable(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c, u, _ := app.loginAs(t, db.RoleOwner)
	enrol(t, app, c)
	res := c.post("/account/2fa/disable", url.Values{"current_password": {"salah-sekali"}}).wantStatus(t, http.StatusUnprocessableEntity)
	if got := res.text("error-current_password"); got != "Kata sandi salah." {
		t.Errorf("error = %q", got)
	}
	c.post("/account/2fa/disable", url.Values{"current_password": {testPassword}}).wantStatus(t, http.StatusSeeOther)
	if got := c.get("/account").text("twofactor-status"); !strings.Contains(got, "Tidak aktif") {
		t.Errorf("status = %q", got)
	}
	app.hasAudit(t, "user.2fa.disable")
	app.client().mustLogin(t, u.Email)

	// Cashiers are not offered it; the set-up page is forbidden to them.
	cashier, _, _ := app.loginAs(t, db.RoleCashier)
	cashier.get("/account/2fa").wantStatus(t, http.StatusForbidden)
	cashier.post("/account/2fa", url.Values{"code": {"123456"}}).wantStatus(t, http.StatusForbidden)
}

// An administrator turns off a user's lost second factor.
func TestAdminDisablesTwoFactor(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c, u, _ := app.loginAs(t, db.RoleOwner)
	enrol(t, app, c)
	admin, _ := app.loginAdmin(t)
	page := admin.get("/admin/users/"+itoa(int(u.ID))).wantStatus(t, http.StatusOK)
	if page.count("user-twofactor-off") != 1 {
		t.Fatal("no turn-off button for the administrator")
	}
	admin.post("/admin/users/"+itoa(int(u.ID))+"/2fa/disable", nil).wantStatus(t, http.StatusSeeOther)
	app.client().mustLogin(t, u.Email)
	if e := app.hasAudit(t, "user.2fa.disable"); !strings.Contains(e.Detail, u.Email) {
		t.Errorf("audit %+v", e)
	}
}

// wrongCode returns the i-th 6-digit code that is not valid for secret
// around at.
func wrongCode(secret []byte, at time.Time, i int) string {
	for n := 123450 + i; ; n += 10 {
		c := strconv.Itoa(n % 1_000_000)
		if _, ok := checkTOTP(secret, c, at, 0); !ok && len(c) == 6 {
			return c
		}
	}
}

// --- TOTP building blocks -----------------------------------------------------

// RFC 6238 Appendix B, SHA-1, the last 6 of its 8 digits.
func TestTOTPVectors(t *testing.T) {
	t.Parallel()
	secret := []byte("12345678901234567890")
	for _, tt := range []struct {
		unix int64
		want string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		at := time.Unix(tt.unix, 0)
		if got := totpCode(secret, totpStep(at)); got != tt.want {
			t.Errorf("T=%d: %s, want %s", tt.unix, got, tt.want)
		}
		if _, ok := checkTOTP(secret, tt.want, at.Add(30*time.Second), 0); !ok {
			t.Errorf("T=%d: not accepted one step late", tt.unix)
		}
		if _, ok := checkTOTP(secret, tt.want, at.Add(61*time.Second), 0); ok {
			t.Errorf("T=%d: accepted two steps late", tt.unix)
		}
		if _, ok := checkTOTP(secret, tt.want, at, totpStep(at)); ok {
			t.Errorf("T=%d: accepted for a used step", tt.unix)
		}
	}
}

// The set-up QR code, drawn as SVG, reads back as the otpauth:// URI.
func TestTOTPQRCodeReads(t *testing.T) {
	t.Parallel()
	uri := totpURI("pemilik+1@uji.test", []byte("12345678901234567890"))
	if want := "otpauth://totp/Lapak:pemilik+1@uji.test?algorithm=SHA1&digits=6&issuer=Lapak&period=30&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; uri != want {
		t.Errorf("uri = %s\nwant %s", uri, want)
	}
	svg, err := qrSVG(uri)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`viewBox="0 0 (\d+) \d+"`).FindStringSubmatch(svg)
	n, _ := strconv.Atoi(m[1])
	const px = 4
	img := image.NewGray(image.Rect(0, 0, n*px, n*px))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for _, r := range regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1`).FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		for yy := y * px; yy < (y+1)*px; yy++ {
			for xx := x * px; xx < (x+w)*px; xx++ {
				img.SetGray(xx, yy, color.Gray{})
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("QR does not read: %v", err)
	}
	if res.GetText() != uri {
		t.Errorf("QR reads %q", res.GetText())
	}
}

// Two browsers sending the same link at once: exactly one sets the password.
func TestResetLinkConcurrentUse(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	admin, _ := app.loginAdmin(t)
	_, u, _ := app.loginAs(t, db.RoleCashier)
	token := makeResetLink(t, admin, u)
	codes := make(chan int, 2)
	for i := range 2 {
		go func() {
			pw := "sandi-paralel-" + itoa(i)
			codes <- app.client().post("/password/reset", url.Values{"token": {token}, "new_password": {pw}, "new_password_confirm": {pw}}).Code
		}()
	}
	got := map[int]int{<-codes: 1}
	got[<-codes]++
	if got[http.StatusSeeOther] != 1 || got[http.StatusNotFound] != 1 {
		t.Errorf("two uses of one link: %v, want one 303 and one 404", got)
	}
}
