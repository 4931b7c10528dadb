package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"lapak/db"
)

func TestLoginLogoutRenewsSession(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	m := app.newMerchant(t, "Warung Sari")
	u := app.newUser(t, "sari@uji.test", false, m.ID, db.RoleOwner)
	c := app.client()

	page := c.get("/login").wantStatus(t, http.StatusOK)
	if got := page.text("login-heading"); got != "Masuk ke Lapak" {
		t.Errorf("login heading = %q, want Indonesian", got)
	}
	if c.get("/").Header.Get("Location") != "/login" {
		t.Fatal("anonymous dashboard did not redirect to /login")
	}

	// Upper case and spaces: e-mails are matched normalised.
	res := c.login("  SARI@uji.test ", testPassword).wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/" {
		t.Fatalf("login redirects to %q", loc)
	}
	loggedIn := c.session()
	if loggedIn == "" {
		t.Fatal("no session cookie after login")
	}
	dash := c.get("/").wantStatus(t, http.StatusOK)
	if got := dash.text("dashboard-heading"); got != "Warung Sari" {
		t.Errorf("dashboard heading = %q", got)
	}
	if got := dash.text("dashboard-role"); !strings.Contains(got, "Pemilik") {
		t.Errorf("dashboard role = %q", got)
	}

	c.post("/logout", nil).wantStatus(t, http.StatusSeeOther)
	loggedOut := c.session()
	if loggedOut == "" || loggedOut == loggedIn {
		t.Fatalf("logout kept the token (before %q, after %q)", loggedIn, loggedOut)
	}
	if got := c.get("/login").text("flash"); got != "Anda sudah keluar." {
		t.Errorf("logout flash = %q", got)
	}
	if c.get("/").Code != http.StatusSeeOther {
		t.Error("still signed in after logout")
	}

	// The old cookie, if someone copied it, is dead.
	thief := app.client()
	thief.cookies["lapak_session"] = &http.Cookie{Name: "lapak_session", Value: loggedIn}
	if res := thief.get("/"); res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Errorf("old session token still works: %d", res.Code)
	}

	// Logging in again from the anonymous session gets yet another token
	// (no fixation through a pre-login session).
	c.mustLogin(t, u.Email)
	if again := c.session(); again == loggedOut || again == loggedIn {
		t.Error("login did not renew the session token")
	}

	var actions []string
	for _, e := range app.auditActions(t) {
		actions = append(actions, e.Action)
		if e.UserID != u.ID || e.RemoteAddr != "192.0.2.10" || e.RequestID == "" {
			t.Errorf("audit %s: user %d addr %q request %q", e.Action, e.UserID, e.RemoteAddr, e.RequestID)
		}
	}
	if got := strings.Join(actions, ","); got != "user.login,user.logout,user.login" {
		t.Errorf("audit actions = %s", got)
	}
}

func TestLoginWrongPassword(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.newUser(t, "budi@uji.test", false, 0, "")
	tests := []struct{ name, email, password, want string }{
		{"wrong password", "budi@uji.test", "salah-sekali-123", "Email atau kata sandi salah."},
		{"unknown account", "siapa@uji.test", testPassword, "Email atau kata sandi salah."},
		{"empty password", "budi@uji.test", "", "Isi email dan kata sandi."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := app.client()
			res := c.login(tt.email, tt.password).wantStatus(t, http.StatusUnprocessableEntity)
			if got := res.text("login-error"); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
			if v, _ := res.doc.Find("#email").Attr("value"); v != tt.email {
				t.Errorf("e-mail not kept in the form: %q", v)
			}
			if c.session() != "" {
				t.Error("a failed login created a session")
			}
		})
	}
	var failed int
	for _, e := range app.auditActions(t) {
		if e.Action == "user.login.failed" {
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("audit has %d failed logins, want 2", failed)
	}
}

func TestLoginRateLimitPerAccount(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	u := app.newUser(t, "kasir@uji.test", false, 0, "")
	c := app.client()
	for i := range 5 {
		c.login(u.Email, "tebakan-"+itoa(i)).wantStatus(t, http.StatusUnprocessableEntity)
	}
	// From this address this account must now wait, even with the right
	// password, and is told for how long.
	res := c.login(u.Email, testPassword).wantStatus(t, http.StatusTooManyRequests)
	if got := res.text("login-error"); !strings.Contains(got, "Terlalu banyak percobaan") || !strings.Contains(got, "1 detik") {
		t.Errorf("limit message = %q", got)
	}
	if got := res.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
	// The owner at another address is not held up by these failures.
	other := app.client()
	other.remoteAddr = "198.51.100.7:4000"
	other.login(u.Email, testPassword).wantStatus(t, http.StatusSeeOther)
	// Another account from the first address is not blocked by this one.
	v := app.newUser(t, "lain@uji.test", false, 0, "")
	c.login(v.Email, testPassword).wantStatus(t, http.StatusSeeOther)

	app.advance(time.Second)
	c.login(u.Email, testPassword).wantStatus(t, http.StatusSeeOther)
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	u := app.newUser(t, "pemilik@uji.test", false, 0, "")
	c := app.client()
	// 20 failures spread over accounts, under each account's own limit.
	for i := range 20 {
		c.login("orang"+itoa(i%5)+"-"+itoa(i/5)+"@uji.test", "salah").wantStatus(t, http.StatusUnprocessableEntity)
	}
	c.login(u.Email, testPassword).wantStatus(t, http.StatusTooManyRequests)
	other := app.client()
	other.remoteAddr = "203.0.113.5:1"
	other.login(u.Email, testPassword).wantStatus(t, http.StatusSeeOther)
}

func TestDisabledUser(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	victim, u, _ := app.loginAs(t, db.RoleCashier)
	admin, _ := app.loginAdmin(t)
	victim.get("/").wantStatus(t, http.StatusOK)

	admin.post("/admin/users/"+itoa(int(u.ID))+"/disable", nil).wantStatus(t, http.StatusSeeOther)

	// The live session stops working at the next request...
	if res := victim.get("/"); res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("disabled user's session still works: %d", res.Code)
	}
	// ...and the right password no longer logs in.
	res := app.client().login(u.Email, testPassword).wantStatus(t, http.StatusForbidden)
	if got := res.text("login-error"); !strings.Contains(got, "dinonaktifkan") {
		t.Errorf("disabled message = %q", got)
	}

	admin.post("/admin/users/"+itoa(int(u.ID))+"/enable", nil).wantStatus(t, http.StatusSeeOther)
	app.client().mustLogin(t, u.Email)
}

func TestRoleChecks(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	cashier, _, _ := app.loginAs(t, db.RoleCashier)
	auditor, _, _ := app.loginAs(t, db.RoleAuditor)
	owner, _, _ := app.loginAs(t, db.RoleOwner)
	admin, _ := app.loginAdmin(t)
	anon := app.client()

	tests := []struct {
		name   string
		c      *client
		method string
		path   string
		want   int
	}{
		{"cashier members", cashier, "GET", "/members", 403},
		{"cashier add member", cashier, "POST", "/members", 403},
		{"cashier admin", cashier, "GET", "/admin/users", 403},
		{"auditor members", auditor, "GET", "/members", 403},
		{"auditor add member", auditor, "POST", "/members", 403},
		{"owner members", owner, "GET", "/members", 200},
		{"owner admin merchants", owner, "GET", "/admin/merchants", 403},
		{"owner create merchant", owner, "POST", "/admin/merchants", 403},
		{"owner admin users", owner, "GET", "/admin/users", 403},
		{"admin without merchant: members", admin, "GET", "/members", 403},
		{"admin users", admin, "GET", "/admin/users", 200},
		{"admin merchants", admin, "GET", "/admin/merchants", 200},
		{"anonymous members", anon, "GET", "/members", 303},
		{"anonymous admin", anon, "GET", "/admin/users", 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res *response
			if tt.method == "GET" {
				res = tt.c.get(tt.path)
			} else {
				res = tt.c.post(tt.path, url.Values{"email": {"x@uji.test"}, "name": {"X"}, "role": {"owner"}})
			}
			res.wantStatus(t, tt.want)
			if tt.want == 403 && res.text("error-title") != "Akses ditolak" {
				t.Errorf("403 page title = %q", res.text("error-title"))
			}
		})
	}
	if n, _ := app.DB.CountMerchants(t.Context()); n != 1 {
		t.Errorf("a forbidden POST created a merchant: %d merchants", n)
	}
}

func TestNavigationFollowsRole(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	cashier, _, _ := app.loginAs(t, db.RoleCashier)
	owner, _, _ := app.loginAs(t, db.RoleOwner)
	admin, _ := app.loginAdmin(t)

	cash := cashier.get("/")
	if cash.count("nav-members") != 0 || cash.count("nav-admin") != 0 {
		t.Error("cashier sees owner or admin navigation")
	}
	if cash.count("nav-dashboard") != 1 {
		t.Error("cashier has no dashboard link")
	}
	if owner.get("/").count("nav-members") != 1 {
		t.Error("owner has no users link")
	}
	adm := admin.get("/").wantStatus(t, http.StatusOK)
	if adm.count("nav-admin") != 1 || adm.count("admin-merchants") != 1 {
		t.Error("administrator has no admin links")
	}
	if got := adm.text("nomerchant-body"); !strings.Contains(got, "administrator") {
		t.Errorf("admin without merchant sees %q", got)
	}
}

// Every section marked Ready must answer for a role that sees it: the menu
// never links to a 404 or a 403.
func TestReadySectionsAnswer(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	clients := map[db.Role]*client{}
	for _, r := range []db.Role{db.RoleOwner, db.RoleCashier, db.RoleAuditor} {
		clients[r], _, _ = app.loginAs(t, r)
	}
	admin, _ := app.loginAdmin(t)
	for _, s := range sections {
		if !app.handler.ready(s) {
			continue
		}
		c := clients[db.RoleOwner]
		switch {
		case s.Admin:
			c = admin
		case s.Roles != nil:
			c = clients[s.Roles[0]]
		}
		if res := c.get(s.Href); res.Code != http.StatusOK {
			t.Errorf("section %s (%s) answers %d", s.ID, s.Href, res.Code)
		}
	}
}

func TestNoMerchantUser(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	u := app.newUser(t, "baru@uji.test", false, 0, "")
	c := app.client()
	c.mustLogin(t, u.Email)
	res := c.get("/").wantStatus(t, http.StatusOK)
	if got := res.text("nomerchant-body"); !strings.Contains(got, "Minta administrator") {
		t.Errorf("no-merchant page says %q", got)
	}
	if res.count("admin-merchants") != 0 {
		t.Error("non-admin sees admin links")
	}
}

// Concurrent guesses from one address cannot slip under the limit: the
// attempt is counted before the (slow) password check.
func TestLoginRateLimitConcurrent(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	u := app.newUser(t, "serbu@uji.test", false, 0, "")
	const n = 20
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := app.client()
			c.remoteAddr = "198.51.100.9:" + itoa(1000+i)
			codes <- c.login(u.Email, "tebak-"+itoa(i)).Code
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[http.StatusUnprocessableEntity] != 5 || count[http.StatusTooManyRequests] != n-5 {
		t.Errorf("concurrent guesses: %v, want 5×422 and %d×429", count, n-5)
	}
}
