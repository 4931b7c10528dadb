package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lapak/db"
	"lapak/internal/clocktest"
)

// testApp is a whole Lapak started the way main starts it, on loopback
// ports chosen by the kernel, with the embedded sandbox.
type testApp struct {
	*app
	URL    string
	stdout *syncBuffer
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// stop shuts the app down as SIGTERM would and waits for it; safe to call twice.
func (ta *testApp) stop(t *testing.T) {
	ta.once.Do(func() {
		ta.cancel()
		select {
		case err := <-ta.done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("server did not shut down within 20s")
		}
		ta.close()
	})
}

const (
	testAdminEmail    = "admin@toko.test"
	testAdminPassword = "rahasia-sekali-123"
)

// startTestApp starts Lapak with a fresh database in t.TempDir(). env holds
// extra settings (same names as the real environment) and wins over the
// test defaults. Its clock starts at the test base time (LAPAK_TEST_NOW, see
// internal/clocktest) and runs on; a.now reads it.
func startTestApp(t *testing.T, env map[string]string) *testApp {
	t.Helper()
	return startTestAppOn(t, env, clocktest.Running(t))
}

// startTestAppOn is startTestApp on the given clock: instances of one test
// that share a database share a clock, as NTP-synced hosts do.
func startTestAppOn(t *testing.T, env map[string]string, clock func() time.Time) *testApp {
	t.Helper()
	dir := t.TempDir()
	base := map[string]string{
		"LAPAK_ADDR":           "127.0.0.1:0",
		"LAPAK_SANDBOX_ADDR":   "127.0.0.1:0",
		"LAPAK_DB":             filepath.Join(dir, "lapak.db"),
		"LAPAK_ADMIN_EMAIL":    testAdminEmail,
		"LAPAK_ADMIN_PASSWORD": testAdminPassword,
		"LAPAK_LOG_FORMAT":     "json",
	}
	for k, v := range env {
		base[k] = v
	}
	cfg, err := parseConfig([]string{"lapak"}, func(k string) string { return base[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(&testLogWriter{t: t}, nil))
	}
	a, err := newApp(t.Context(), cfg, clock, logger, out)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ta := &testApp{app: a, URL: a.baseURL, stdout: out, cancel: cancel, done: make(chan error, 1)}
	go func() { ta.done <- a.serve(ctx) }()
	t.Cleanup(func() { ta.stop(t) })
	return ta
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

type testLogWriter struct{ t *testing.T }

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestHealthzAnswersWhenDatabaseDoes(t *testing.T) {
	a := startTestApp(t, nil)
	res, err := http.Get(a.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]string
	json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode != 200 || body["status"] != "ok" {
		t.Errorf("GET /healthz = %d %v, want 200 {status: ok}", res.StatusCode, body)
	}
	if !strings.Contains(a.stdout.String(), a.URL) {
		t.Errorf("start-up output does not show the URL %s:\n%s", a.URL, a.stdout.String())
	}
}

func TestFirstStartCreatesAdminWithPrintedPasswordAndDemoMerchant(t *testing.T) {
	a := startTestApp(t, map[string]string{"LAPAK_ADMIN_EMAIL": "", "LAPAK_ADMIN_PASSWORD": ""})
	out := a.stdout.String()
	if !strings.Contains(out, "admin@lapak.local") || !strings.Contains(out, "password:") {
		t.Fatalf("first start did not print the generated administrator login:\n%s", out)
	}
	ctx := t.Context()
	admin, err := a.db.UserByEmail(ctx, "admin@lapak.local")
	if err != nil || !admin.IsAdmin {
		t.Fatalf("bootstrap admin = %+v, %v", admin, err)
	}
	// newApp's clock is the db's: the admin is stamped on the test base date
	// (LAPAK_TEST_NOW), not on the wall clock.
	if d := admin.CreatedAt.Sub(clocktest.Base(t)); d < 0 || d > time.Minute {
		t.Errorf("admin created at %v, want just after the base time %v", admin.CreatedAt, clocktest.Base(t))
	}
	ms, err := a.db.UserMemberships(ctx, admin.ID)
	if err != nil || len(ms) != 1 || ms[0].Role != db.RoleOwner {
		t.Fatalf("admin memberships = %+v, %v; want owner of the demo merchant", ms, err)
	}
	m, _ := a.db.Merchant(ctx, ms[0].MerchantID)
	demo := a.sandbox.DemoMerchant()
	if m.NetzmeCustID != demo.CustID || m.Name != "Toko Contoh" || m.StaticQRIS == "" {
		t.Errorf("provisioned merchant = %+v, want the sandbox demo merchant %s", m, demo.CustID)
	}
}

func TestRestartKeepsDataAndPrintsNoPasswordAgain(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"LAPAK_DB": filepath.Join(dir, "l.db"), "LAPAK_ADMIN_EMAIL": "", "LAPAK_ADMIN_PASSWORD": ""}
	first := startTestApp(t, env)
	demo := first.sandbox.DemoMerchant()
	first.stop(t)

	second := startTestApp(t, env)
	if strings.Contains(second.stdout.String(), "password:") {
		t.Errorf("second start printed a password again:\n%s", second.stdout.String())
	}
	if n, _ := second.db.CountUsers(t.Context()); n != 1 {
		t.Errorf("users after restart = %d, want 1", n)
	}
	if n, _ := second.db.CountMerchants(t.Context()); n != 1 {
		t.Errorf("merchants after restart = %d, want 1", n)
	}
	if got := second.sandbox.DemoMerchant().CustID; got != demo.CustID {
		t.Errorf("sandbox demo merchant changed across restarts: %s, then %s", demo.CustID, got)
	}
}

func TestHeadlessProvisioningOfNamedMerchant(t *testing.T) {
	a := startTestApp(t, map[string]string{"NETZME_MERCHANT_ID": "M_ABCDEFGH", "LAPAK_MERCHANT_NAME": "Warung Bu Sri"})
	m, err := a.db.MerchantByNetzmeCustID(t.Context(), "M_ABCDEFGH")
	if err != nil || m.Name != "Warung Bu Sri" {
		t.Fatalf("provisioned merchant = %+v, %v", m, err)
	}
	admin, _ := a.db.UserByEmail(t.Context(), testAdminEmail)
	if mem, err := a.db.Membership(t.Context(), admin.ID, m.ID); err != nil || mem.Role != db.RoleOwner {
		t.Errorf("admin membership = %+v, %v; want owner", mem, err)
	}
}

func TestConfigFlagsWinOverEnvAndBadValuesAreRefused(t *testing.T) {
	env := map[string]string{"LAPAK_ADDR": "127.0.0.1:9999", "LAPAK_DB": "/tmp/x.db"}
	cfg, err := parseConfig([]string{"lapak", "-addr", "127.0.0.1:7000"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:7000" || cfg.DBPath != "/tmp/x.db" || cfg.SandboxDB != "/tmp/x-sandbox.db" {
		t.Errorf("cfg = %+v", cfg)
	}
	for _, bad := range []map[string]string{
		{"LAPAK_ADDR": "no-port"},
		{"LAPAK_PUBLIC_URL": "ftp://x"},
		{"LAPAK_LOG_FORMAT": "xml"},
		{"NETZME_TIMEOUT": "soon"},
		{"NETZME_HISTORY_PATH": "v1.0"},
		{"NETZME_BASE_URL": "https://tokoapisnap-stg.netzme.com"}, // credentials missing
	} {
		if _, err := parseConfig([]string{"lapak"}, func(k string) string { return bad[k] }, io.Discard); err == nil {
			t.Errorf("config %v accepted", bad)
		}
	}
}
