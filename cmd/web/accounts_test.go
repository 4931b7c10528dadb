package main

import (
	"bytes"
	"io"
	"lapak/internal/clocktest"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var cliLinkRE = regexp.MustCompile(`(http://\S+/password/reset\?token=[A-Za-z0-9_-]+)`)

// The lost first password: `lapak admin reset-password EMAIL`, run next to a
// running Lapak on the same database, prints a link that sets a new password
// once.
func TestAdminCLIResetPasswordPrintsWorkingLink(t *testing.T) {
	a := startTestApp(t, nil)
	env := map[string]string{"LAPAK_PUBLIC_URL": a.URL, "LAPAK_DB": "/nonexistent/wrong.db"}
	getenv := func(k string) string { return env[k] }
	var out bytes.Buffer
	// The flag wins over LAPAK_DB, as for the server.
	args := []string{"lapak", "admin", "reset-password", "-db", a.cfg.DBPath, "ADMIN@toko.test"}
	if err := runAdmin(t.Context(), args, getenv, clocktest.Running(t), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	m := cliLinkRE.FindStringSubmatch(out.String())
	if m == nil || !strings.HasPrefix(m[1], a.URL+"/password/reset?token=") {
		t.Fatalf("no link for %s in:\n%s", a.URL, out.String())
	}
	link := m[1]
	if !strings.Contains(out.String(), testAdminEmail) || !strings.Contains(out.String(), "WIB") {
		t.Errorf("output does not name the account and the expiry:\n%s", out.String())
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET link = %d", res.StatusCode)
	}
	token := link[strings.Index(link, "token=")+len("token="):]
	const newPW = "dari-baris-perintah-1"
	form := url.Values{"token": {token}, "new_password": {newPW}, "new_password_confirm": {newPW}}
	res, err = c.PostForm(a.URL+"/password/reset", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Request.URL.Path != "/login" || !strings.Contains(string(body), "Kata sandi baru disimpan") {
		t.Fatalf("after the reset: %s, body %.300s", res.Request.URL, body)
	}
	// Once only.
	res, err = c.PostForm(a.URL+"/password/reset", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("second use of the link = %d, want 404", res.StatusCode)
	}
	res, err = c.PostForm(a.URL+"/login", url.Values{"email": {testAdminEmail}, "password": {newPW}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/" || res.StatusCode != http.StatusOK {
		t.Errorf("login with the new password ended at %s (%d)", res.Request.URL, res.StatusCode)
	}
	es, err := a.db.AuditLog(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var issued bool
	for _, e := range es {
		if e.Action == "user.password.reset_link" && e.UserID == 0 && e.RequestID == "command-line" {
			issued = true
		}
	}
	if !issued {
		t.Error("no audit line for the command-line link")
	}
}

func TestAdminCLIRefusesMistakes(t *testing.T) {
	a := startTestApp(t, nil)
	missing := filepath.Join(t.TempDir(), "typo.db")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"lapak", "admin"}, "usage"},
		{[]string{"lapak", "admin", "make-coffee", "a@b.c"}, "unknown admin command"},
		{[]string{"lapak", "admin", "reset-password", "-db", a.cfg.DBPath}, "must be the user's e-mail"},
		{[]string{"lapak", "admin", "reset-password", "-db", a.cfg.DBPath, "siapa@toko.test"}, "no user with e-mail siapa@toko.test"},
		{[]string{"lapak", "admin", "reset-password", "-db", missing, testAdminEmail}, "no database at"},
	} {
		var out bytes.Buffer
		err := runAdmin(t.Context(), tt.args, func(string) string { return "" }, clocktest.Running(t), &out, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.args[2:], err, tt.want)
		}
		if strings.Contains(out.String(), "token=") {
			t.Errorf("%v printed a link", tt.args[2:])
		}
	}
	if m, _ := filepath.Glob(missing); len(m) != 0 {
		t.Error("a mistyped database path created a new database")
	}
}
