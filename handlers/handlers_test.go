package handlers

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

// testPassword is every fixture user's password.
const testPassword = "kata-sandi-rahasia-42"

// testApp is Lapak's web layer on a fresh database, driven through Routes()
// with the real middleware. Later handler tests build on it:
//
//	app := newTestApp(t)
//	c, user, merchant := app.loginAs(t, db.RoleCashier)
//	res := c.get("/invoices")
type testApp struct {
	DB      *db.DB
	handler *Handler
	routes  http.Handler

	mu   sync.Mutex
	now  time.Time
	logs *syncBuffer

	merchant db.Merchant // "Toko Uji", created on first use by loginAs
	seq      int
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testOption adds to the app newTestApp builds: it may set Deps before the
// Handler is made and return a step to run once the routes exist (nil for
// none).
type testOption func(t testing.TB, a *testApp, d *Deps) (after func())

// onEngine puts the app on a fresh database of engine e instead of
// dbtest.New's (SQLite unless LAPAK_TEST_ENGINE says otherwise): give it
// first, before the options that use the database.
func onEngine(e dbtest.Engine) testOption {
	return func(t testing.TB, a *testApp, d *Deps) func() {
		a.DB = dbtest.Open(t, e, a.clock)
		d.DB, d.Sessions = a.DB, newSessionManager(db.NewSessionStore(a.DB, 0), false)
		return nil
	}
}

// newTestApp is the one builder of handler test apps: a fresh database on
// the test clock, real sessions and the real router; options add a Netzme
// sandbox (withSandbox), the other SNAP services (withOtherSNAP), ...
func newTestApp(t testing.TB, opts ...testOption) *testApp {
	t.Helper()
	a := &testApp{now: clocktest.Base(t), logs: &syncBuffer{}}
	a.DB = dbtest.New(t, a.clock)
	// No sweeping goroutine: the test's database is short-lived.
	sessions := newSessionManager(db.NewSessionStore(a.DB, 0), false)
	d := Deps{
		DB:       a.DB,
		Sessions: sessions,
		Logger:   slog.New(slog.NewJSONHandler(a.logs, nil)),
		Now:      a.clock,
	}
	var after []func()
	for _, o := range opts {
		if f := o(t, a, &d); f != nil {
			after = append(after, f)
		}
	}
	a.handler = New(d)
	a.routes = a.handler.Routes()
	for _, f := range after {
		f()
	}
	return a
}

func (a *testApp) clock() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.now
}

// advance moves the app's clock forward (rate-limit windows).
func (a *testApp) advance(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.now = a.now.Add(d)
}

// newMerchant creates a merchant directly in the database.
func (a *testApp) newMerchant(t testing.TB, name string) db.Merchant {
	t.Helper()
	m, err := a.DB.CreateMerchant(t.Context(), db.NewMerchant{Name: name, City: "Jakarta"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// newUser creates a user with testPassword; merchantID 0 = no membership.
func (a *testApp) newUser(t testing.TB, email string, admin bool, merchantID int64, role db.Role) db.User {
	t.Helper()
	hash, err := HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.DB.CreateUser(t.Context(), db.NewUser{Email: email, Name: "Nama " + email, PasswordHash: hash, Locale: "id", IsAdmin: admin})
	if err != nil {
		t.Fatal(err)
	}
	if merchantID != 0 {
		if err := a.DB.SetMembership(t.Context(), u.ID, merchantID, role); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// loginAs creates a user with role in the app's default merchant ("Toko
// Uji") and returns a client logged in as them.
func (a *testApp) loginAs(t testing.TB, role db.Role) (*client, db.User, db.Merchant) {
	t.Helper()
	if a.merchant.ID == 0 {
		a.merchant = a.newMerchant(t, "Toko Uji")
	}
	a.seq++
	u := a.newUser(t, string(role)+itoa(a.seq)+"@uji.test", false, a.merchant.ID, role)
	c := a.client()
	c.mustLogin(t, u.Email)
	return c, u, a.merchant
}

// loginAdmin returns a client logged in as a new installation administrator
// without any merchant.
func (a *testApp) loginAdmin(t testing.TB) (*client, db.User) {
	t.Helper()
	a.seq++
	u := a.newUser(t, "admin"+itoa(a.seq)+"@uji.test", true, 0, "")
	c := a.client()
	c.mustLogin(t, u.Email)
	return c, u
}

// client is a browser: it keeps cookies and does not follow redirects.
type client struct {
	app        *testApp
	cookies    map[string]*http.Cookie
	remoteAddr string
}

func (a *testApp) client() *client {
	return &client{app: a, cookies: map[string]*http.Cookie{}, remoteAddr: "192.0.2.10:51234"}
}

type response struct {
	Code   int
	Header http.Header
	Body   string
	doc    *goquery.Document
}

func (c *client) do(req *http.Request) *response {
	req.RemoteAddr = c.remoteAddr
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.app.routes.ServeHTTP(rec, req)
	res := rec.Result()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	body, _ := io.ReadAll(res.Body)
	out := &response{Code: res.StatusCode, Header: res.Header, Body: string(body)}
	out.doc, _ = goquery.NewDocumentFromReader(bytes.NewReader(body))
	return out
}

// get sends a GET; hdr are header name/value pairs.
func (c *client) get(path string, hdr ...string) *response {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.do(req)
}

// post sends a form POST; hdr are header name/value pairs.
func (c *client) post(path string, form url.Values, hdr ...string) *response {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.do(req)
}

func (c *client) login(email, password string) *response {
	return c.post("/login", url.Values{"email": {email}, "password": {password}})
}

func (c *client) mustLogin(t testing.TB, email string) {
	t.Helper()
	if res := c.login(email, testPassword); res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("login %s: %d %s", email, res.Code, res.Header.Get("Location"))
	}
}

// session returns the current session cookie value ("" when none).
func (c *client) session() string {
	if ck, ok := c.cookies["lapak_session"]; ok {
		return ck.Value
	}
	return ""
}

// text returns the trimmed text of the elements with data-testid=id.
func (r *response) text(id string) string {
	return strings.TrimSpace(r.doc.Find(`[data-testid="` + id + `"]`).Text())
}

// count returns how many elements carry data-testid=id.
func (r *response) count(id string) int {
	return r.doc.Find(`[data-testid="` + id + `"]`).Length()
}

// wantStatus fails the test when the response status is not want.
func (r *response) wantStatus(t testing.TB, want int) *response {
	t.Helper()
	if r.Code != want {
		t.Fatalf("status %d, want %d; body: %.400s", r.Code, want, r.Body)
	}
	return r
}

// auditActions returns the actions in the audit log, oldest first.
func (a *testApp) auditActions(t testing.TB) []db.AuditEntry {
	t.Helper()
	es, err := a.DB.AuditLog(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

// A Handler without a clock is a wiring bug: New refuses it instead of
// quietly reading the wall clock, which would split its time from the db's.
func TestNewNeedsAClock(t *testing.T) {
	t.Parallel()
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "Deps.Now") {
			t.Errorf("New without Deps.Now: panic %v, want one naming Deps.Now", p)
		}
	}()
	New(Deps{DB: dbtest.New(t, clocktest.Fixed(t))})
}
