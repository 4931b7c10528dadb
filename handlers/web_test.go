package handlers

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"lapak/db"
	"lapak/static"
	"lapak/views"
)

func TestCrossSitePostRejected(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	admin, _ := app.loginAdmin(t)
	form := url.Values{"name": {"Toko Palsu"}}

	res := admin.post("/admin/merchants", form, "Sec-Fetch-Site", "cross-site").wantStatus(t, http.StatusForbidden)
	if res.text("error-title") != "Akses ditolak" {
		t.Errorf("cross-site refusal page: %q", res.text("error-title"))
	}
	admin.post("/admin/merchants", form, "Origin", "https://jahat.example", "Host", "lapak.example").wantStatus(t, http.StatusForbidden)
	if n, _ := app.DB.CountMerchants(t.Context()); n != 0 {
		t.Fatalf("cross-site POST created %d merchants", n)
	}
	// Login CSRF too.
	app.client().post("/login", url.Values{"email": {"a@b.c"}, "password": {"x"}}, "Sec-Fetch-Site", "cross-site").
		wantStatus(t, http.StatusForbidden)
	// Same-origin and header-less (non-browser) requests pass.
	admin.post("/admin/merchants", form, "Sec-Fetch-Site", "same-origin").wantStatus(t, http.StatusSeeOther)
	// Cross-site GETs are fine: they change nothing.
	admin.get("/admin/merchants", "Sec-Fetch-Site", "cross-site").wantStatus(t, http.StatusOK)
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c, _, _ := app.loginAs(t, db.RoleOwner)
	for _, path := range []string{"/", "/login", "/healthz", static.URL("app.css"), "/tidak-ada", "/members/999"} {
		res := c.get(path)
		want := map[string]string{
			"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
			"X-Content-Type-Options":  "nosniff",
			"X-Frame-Options":         "DENY",
			"Referrer-Policy":         "same-origin",
		}
		for k, v := range want {
			if got := res.Header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v)
			}
		}
		if res.Header.Get("X-Request-Id") == "" && strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") && res.count("request-id") == 0 && res.Code >= 400 {
			t.Errorf("%s: error page without request id", path)
		}
	}
	// The session cookie is HttpOnly and SameSite=Lax.
	fresh := app.client()
	res := fresh.login("owner1@uji.test", testPassword)
	ck := strings.Join(res.Header.Values("Set-Cookie"), "\n")
	if !strings.Contains(ck, "lapak_session=") || !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") {
		t.Errorf("session cookie attributes: %s", ck)
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client()
	res := c.get("/healthz").wantStatus(t, http.StatusOK)
	if strings.TrimSpace(res.Body) != `{"status":"ok"}` || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("healthz: %q %q", res.Body, res.Header.Get("Content-Type"))
	}
	app.DB.Close()
	res = c.get("/healthz").wantStatus(t, http.StatusServiceUnavailable)
	if strings.Contains(res.Body, "ok") || strings.Contains(res.Body, "closed") {
		t.Errorf("unhealthy body: %q", res.Body)
	}
}

func TestErrorsLeakNothing(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c, _, _ := app.loginAs(t, db.RoleOwner)
	res := c.get("/tidak/ada").wantStatus(t, http.StatusNotFound)
	if res.text("error-title") != "Halaman tidak ditemukan" || res.count("request-id") != 1 {
		t.Errorf("404 page: %q", res.text("error-title"))
	}
	c.post("/healthz", nil).wantStatus(t, http.StatusMethodNotAllowed)

	app.DB.Close()
	res = c.get("/").wantStatus(t, http.StatusInternalServerError)
	for _, leak := range []string{"sql", "database", "closed", "db:", "goroutine"} {
		if strings.Contains(strings.ToLower(res.doc.Find("main").Text()), leak) {
			t.Errorf("500 page mentions %q", leak)
		}
	}
	reqID := strings.TrimPrefix(res.text("request-id"), "Kode permintaan: ")
	logs := app.logs.String()
	if reqID == "" || !strings.Contains(logs, `"request_id":"`+reqID+`"`) || !strings.Contains(logs, "database is closed") {
		t.Errorf("the cause is not logged with request id %q:\n%s", reqID, logs)
	}
}

func TestNoSecretsInLogs(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client()
	c.login("seseorang@uji.test", "Sup3r-Rahasia!")
	c.get("/login?token=bocor-123")
	logs := app.logs.String()
	for _, secret := range []string{"Sup3r-Rahasia", "bocor-123", "argon2id"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, `"path":"/login"`) || !strings.Contains(logs, `"status":422`) {
		t.Errorf("access log missing:\n%s", logs)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	big := url.Values{"email": {"a@b.c"}, "password": {strings.Repeat("x", 2<<20)}}
	app.client().post("/login", big).wantStatus(t, http.StatusRequestEntityTooLarge)
}

func TestLanguageSwitch(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	anon := app.client()
	anon.post("/lang", url.Values{"lang": {"en"}, "next": {"/login"}}).wantStatus(t, http.StatusSeeOther)
	if got := anon.get("/login").text("login-heading"); got != "Log in to Lapak" {
		t.Errorf("English login page: %q", got)
	}
	if got := anon.login("x@uji.test", "nope-nope").text("login-error"); got != "Wrong e-mail or password." {
		t.Errorf("English error: %q", got)
	}
	anon.post("/lang", url.Values{"lang": {"klingon"}}).wantStatus(t, http.StatusBadRequest)

	c, u, _ := app.loginAs(t, db.RoleCashier)
	if got := c.get("/").text("nav-dashboard"); got != "Dasbor" {
		t.Fatalf("default nav: %q", got)
	}
	res := c.post("/lang", url.Values{"lang": {"en"}, "next": {"//jahat.example/x"}}).wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/" {
		t.Errorf("open redirect: %q", loc)
	}
	dash := c.get("/")
	if got := dash.text("nav-dashboard"); got != "Dashboard" {
		t.Errorf("English nav: %q", got)
	}
	if lang, _ := dash.doc.Find("html").Attr("lang"); lang != "en" {
		t.Errorf("html lang = %q", lang)
	}
	if stored, _ := app.DB.User(t.Context(), u.ID); stored.Locale != "en" {
		t.Errorf("locale stored = %q", stored.Locale)
	}
	// The user's setting follows them to a new browser.
	other := app.client()
	other.mustLogin(t, u.Email)
	if got := other.get("/").text("dashboard-role"); got != "Your role: Cashier" {
		t.Errorf("new browser: %q", got)
	}
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client()
	css := static.URL("app.css")
	if !strings.Contains(css, "?v=") {
		t.Fatalf("app.css URL not fingerprinted: %s", css)
	}
	res := c.get(css).wantStatus(t, http.StatusOK)
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("css: %s / %s", res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	if res.Header.Get("Set-Cookie") != "" {
		t.Error("static file set a cookie")
	}
	if cc := c.get("/static/app.css?v=stale").Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("stale fingerprint cached: %q", cc)
	}
	c.get(static.URL("app.js")).wantStatus(t, http.StatusOK)
	c.get("/static/").wantStatus(t, http.StatusNotFound)
	c.get("/static/nope.css").wantStatus(t, http.StatusNotFound)
	// Pages link the fingerprinted URLs.
	login := c.get("/login")
	if href, _ := login.doc.Find(`link[rel="stylesheet"]`).Attr("href"); href != css {
		t.Errorf("stylesheet href %q, want %q", href, css)
	}
}

func TestPasswordHashing(t *testing.T) {
	t.Parallel()
	h1, err := HashPassword("rahasia")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := HashPassword("rahasia")
	if h1 == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash format: %s", h1)
	}
	tests := []struct {
		hash, pw string
		ok       bool
		err      bool
	}{
		{h1, "rahasia", true, false},
		{h2, "rahasia", true, false},
		{h1, "Rahasia", false, false},
		{h1, "", false, false},
		{"$argon2id$v=19$m=19456,t=2,p=1$bad", "rahasia", false, true},
		{"$2a$10$abcdefghijklmnopqrstuv", "rahasia", false, true},
		{strings.Replace(h1, "m=19456", "m=99999999", 1), "rahasia", false, true},
		{"", "rahasia", false, true},
	}
	for i, tt := range tests {
		ok, err := CheckPassword(tt.hash, tt.pw)
		if ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("%d: CheckPassword = %v, %v; want %v, err %v", i, ok, err, tt.ok, tt.err)
		}
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/members": "/members", "": "/", "//evil.example": "/", "/\\evil.example": "/",
		"https://evil.example/": "/", "members": "/", "/admin/users?x=1": "/admin/users?x=1",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// Message keys stored by handlers (flashes, field errors) must exist in the
// catalogue, or users would see the raw key.
func TestHandlerMessageKeysExist(t *testing.T) {
	t.Parallel()
	key := regexp.MustCompile(`"((?:err|flash|login\.error|admin|members|nav|dashboard)\.[a-z0-9_.]+)"`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(src), -1) {
			if !views.HasMessage(m[1]) {
				t.Errorf("%s: unknown message key %q", f, m[1])
			}
		}
	}
}

// BenchmarkCheckPassword measures what one login costs the server (argon2id,
// 19 MiB, t=2): the rate limits assume it is tens of milliseconds.
func BenchmarkCheckPassword(b *testing.B) {
	hash, err := HashPassword("kata-sandi-benchmark")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, err := CheckPassword(hash, "kata-sandi-benchmark"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
