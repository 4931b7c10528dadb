package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// withTrustedProxies makes the app believe X-Forwarded-For from list
// (LAPAK_TRUSTED_PROXIES).
func withTrustedProxies(list string) testOption {
	return func(t testing.TB, a *testApp, d *Deps) func() {
		p, err := ParseTrustedProxies(list)
		if err != nil {
			t.Fatal(err)
		}
		d.TrustedProxies = p
		return nil
	}
}

func TestTrustedProxiesParse(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", " ", "10.0.0.0/8", " 10.0.0.1 , ::1 ", "192.0.2.7,fd00::/8,172.16.0.0/12", "::ffff:10.0.0.0/104", "10.1.2.3/8,"} {
		if _, err := ParseTrustedProxies(ok); err != nil {
			t.Errorf("ParseTrustedProxies(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "lb.internal", "10.0.0", "10.0.0.1:80", "*", "10.0.0.0/8;192.0.2.1"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted", bad)
		}
	}
}

// ClientAddr: the peer unless it is a trusted proxy; then X-Forwarded-For
// from the right, past trusted proxies, to the first address nobody
// vouches for.
func TestForwardedForClientAddr(t *testing.T) {
	t.Parallel()
	p, err := ParseTrustedProxies("10.0.0.0/8, 2001:db8::7, 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer string
		xff        []string // header lines, in order
		want       string
	}{
		{"no proxy, no header", "198.51.100.4:5000", nil, "198.51.100.4"},
		{"untrusted peer's header is ignored", "198.51.100.4:5000", []string{"203.0.113.9"}, "198.51.100.4"},
		{"untrusted peer's header naming a trusted proxy", "198.51.100.4:5000", []string{"10.0.0.1"}, "198.51.100.4"},
		{"trusted proxy, no header: the proxy itself", "10.0.0.5:5000", nil, "10.0.0.5"},
		{"one trusted proxy", "10.0.0.5:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"client-written entries left of the client are ignored", "10.0.0.5:5000", []string{"6.6.6.6, 203.0.113.9"}, "203.0.113.9"},
		{"chain of trusted proxies", "10.0.0.5:5000", []string{"6.6.6.6, 203.0.113.9, 192.0.2.1, 10.9.9.9"}, "203.0.113.9"},
		{"chain over several header lines", "10.0.0.5:5000", []string{"6.6.6.6, 203.0.113.9", "192.0.2.1"}, "203.0.113.9"},
		{"every hop trusted: the leftmost", "10.0.0.5:5000", []string{"10.1.1.1, 192.0.2.1"}, "10.1.1.1"},
		{"garbage stops at the last trusted hop", "10.0.0.5:5000", []string{"203.0.113.9, nonsense, 10.2.2.2"}, "10.2.2.2"},
		{"garbage right behind the peer", "10.0.0.5:5000", []string{"203.0.113.9, nonsense"}, "10.0.0.5"},
		{"empty entries skipped", "10.0.0.5:5000", []string{"203.0.113.9,, "}, "203.0.113.9"},
		{"entries with ports", "10.0.0.5:5000", []string{"[2001:db8::99]:4711, 10.0.0.6:80"}, "2001:db8::99"},
		{"IPv6 trusted proxy", "[2001:db8::7]:443", []string{"2001:db8:1::5"}, "2001:db8:1::5"},
		{"IPv4-mapped peer counts as IPv4", "[::ffff:10.0.0.5]:5000", []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
		{"untrusted IPv6 peer", "[2001:db8::8]:443", []string{"203.0.113.9"}, "2001:db8::8"},
		{"peer that is not an IP", "pipe", []string{"203.0.113.9"}, "pipe"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := p.ClientAddr(r); got != tc.want {
			t.Errorf("%s: ClientAddr = %q, want %q", tc.name, got, tc.want)
		}
	}
	// Nothing configured: the header is never read.
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.0.0.5:5000"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	if got := (TrustedProxies{}).ClientAddr(r); got != "10.0.0.5" {
		t.Errorf("no trusted proxies: ClientAddr = %q, want the peer", got)
	}
}

// A client that talks to Lapak directly cannot pick its address with
// X-Forwarded-For: a new header on every guess neither escapes the login
// throttle nor changes what the audit log records.
func TestForwardedForSpoofedByClientIsIgnored(t *testing.T) {
	t.Parallel()
	app := newTestApp(t, withTrustedProxies("10.0.0.0/8"))
	u := app.newUser(t, "pemilik@uji.test", false, 0, "")
	c := app.client() // 192.0.2.10, not a proxy
	for i := range 5 {
		c.post("/login", url.Values{"email": {u.Email}, "password": {"tebakan"}},
			"X-Forwarded-For", "203.0.113."+itoa(i)).wantStatus(t, http.StatusUnprocessableEntity)
	}
	c.post("/login", url.Values{"email": {u.Email}, "password": {testPassword}},
		"X-Forwarded-For", "203.0.113.77").wantStatus(t, http.StatusTooManyRequests)
	for _, e := range app.auditActions(t) {
		if e.Action == "user.login.failed" && e.RemoteAddr != "192.0.2.10" {
			t.Errorf("audit %s records %q, want the peer 192.0.2.10", e.Action, e.RemoteAddr)
		}
	}
}

// Behind a trusted load balancer each client is itself: its own login
// throttle, its own pay-page limit, its own address in the audit log — not
// one shared proxy address for everybody.
func TestForwardedForFromTrustedProxyChain(t *testing.T) {
	t.Parallel()
	app := newTestApp(t, withTrustedProxies("10.0.0.0/8, 192.0.2.1"))
	u := app.newUser(t, "kasir@uji.test", false, 0, "")
	via := func() *client {
		c := app.client()
		c.remoteAddr = "10.0.0.5:40000" // the load balancer
		return c
	}
	// The guesser sends a forged entry of its own; the proxies append what
	// they saw.
	guesser, guesserChain := via(), "6.6.6.6, 203.0.113.9, 192.0.2.1"
	for range 5 {
		guesser.post("/login", url.Values{"email": {u.Email}, "password": {"salah"}},
			"X-Forwarded-For", guesserChain).wantStatus(t, http.StatusUnprocessableEntity)
	}
	guesser.post("/login", url.Values{"email": {u.Email}, "password": {testPassword}},
		"X-Forwarded-For", guesserChain).wantStatus(t, http.StatusTooManyRequests)
	// Changing the forged part does not make the guesser someone else.
	guesser.post("/login", url.Values{"email": {u.Email}, "password": {testPassword}},
		"X-Forwarded-For", "7.7.7.7, 203.0.113.9, 192.0.2.1").wantStatus(t, http.StatusTooManyRequests)

	// The owner behind the same load balancer signs in at once.
	owner := via()
	owner.post("/login", url.Values{"email": {u.Email}, "password": {testPassword}},
		"X-Forwarded-For", "198.51.100.20, 192.0.2.1").wantStatus(t, http.StatusSeeOther)
	seen := map[string]int{}
	for _, e := range app.auditActions(t) {
		seen[e.Action+" "+e.RemoteAddr]++
	}
	if seen["user.login.failed 203.0.113.9"] != 5 || seen["user.login 198.51.100.20"] != 1 {
		t.Errorf("audit by action and address = %v; want 5 failures from 203.0.113.9 and the sign-in from 198.51.100.20", seen)
	}

	// The pay page's limit on unknown links is per client too.
	scanner := via()
	for range payMisses {
		scanner.get("/p/AAAAAAAAAAAAAAAAAAAAAAAA", "X-Forwarded-For", "203.0.113.50").wantStatus(t, http.StatusNotFound)
	}
	scanner.get("/p/AAAAAAAAAAAAAAAAAAAAAAAA", "X-Forwarded-For", "203.0.113.50").wantStatus(t, http.StatusTooManyRequests)
	via().get("/p/AAAAAAAAAAAAAAAAAAAAAAAA", "X-Forwarded-For", "203.0.113.51").wantStatus(t, http.StatusNotFound)
}
