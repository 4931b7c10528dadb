package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"lapak/db"
	"lapak/netzme"
	"lapak/netzme/sandbox"
	"lapak/views"
)

// syncState polls GET /sync/status until the sync is no longer running.
func syncState(t *testing.T, c *client) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		res := c.get("/sync/status").wantStatus(t, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("status Content-Type %q", ct)
		}
		var st map[string]any
		if err := json.Unmarshal([]byte(res.Body), &st); err != nil {
			t.Fatalf("status body %q: %v", res.Body, err)
		}
		if st["running"] == false {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync still running: %v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSyncNowReadsNetzmeInTheBackground: an owner asks for three days; the
// answer is a redirect to the progress page at once, the sync runs in the
// background, and GET /sync/status and the page tell days and lines. While
// Netzme hangs the page reloads itself (Refresh header, no script) and ends
// by saying Netzme did not answer. Auditors watch; cashiers see nothing.
func TestSyncNowReadsNetzmeInTheBackground(t *testing.T) {
	m := newMoneyApp(t)
	ctx := t.Context()
	for i := range 12 {
		if _, err := m.sb.Sandbox.PayStaticQRIS(ctx, m.demo.CustID, int64(1_500_000+i)); err != nil {
			t.Fatal(err)
		}
	}
	c, _, _ := m.loginAs(t, db.RoleOwner)
	page := c.get("/sync").wantStatus(t, http.StatusOK)
	if page.count("sync-form") != 1 || page.count("sync-progress") != 0 {
		t.Fatalf("fresh sync page: form %d, progress %d", page.count("sync-form"), page.count("sync-progress"))
	}
	today := m.clock().In(views.Jakarta)
	form := url.Values{"from": {today.AddDate(0, 0, -2).Format(time.DateOnly)}, "to": {today.Format(time.DateOnly)}}
	if res := c.post("/sync", form).wantStatus(t, http.StatusSeeOther); res.Header.Get("Location") != "/sync" {
		t.Fatalf("POST /sync redirects to %q", res.Header.Get("Location"))
	}
	st := syncState(t, c)
	if len(st) != 5 || st["days_done"] != 3.0 || st["days_total"] != 3.0 || st["lines"] != 12.0 || st["error"] != "" {
		t.Errorf("status %v, want exactly running/days_done/days_total/lines/error = false/3/3/12/\"\"", st)
	}
	page = c.get("/sync").wantStatus(t, http.StatusOK)
	if page.text("sync-days") != "3 dari 3 hari" || page.text("sync-lines") != "12 baris dibaca, 12 baru atau berubah" ||
		page.Header.Get("Refresh") != "" {
		t.Errorf("finished page: %q / %q, Refresh %q", page.text("sync-days"), page.text("sync-lines"), page.Header.Get("Refresh"))
	}

	// Netzme hangs: the page refreshes itself while the sync waits.
	m.sb.Sandbox.InjectFault(string(netzme.EndpointTransactionList), sandbox.Fault{Kind: sandbox.FaultTimeout})
	c.post("/sync", form).wantStatus(t, http.StatusSeeOther)
	running := c.get("/sync").wantStatus(t, http.StatusOK)
	if running.Header.Get("Refresh") != "2" || running.doc.Find(`[data-testid=sync-progress][data-running=true]`).Length() != 1 {
		t.Errorf("while running: Refresh %q, progress %q", running.Header.Get("Refresh"), running.text("sync-progress"))
	}
	if st := syncState(t, c); st["error"] != "netzme_unavailable" {
		t.Errorf("after Netzme hung: %v", st)
	}
	if got := c.get("/sync").text("sync-error"); got == "" {
		t.Error("the page does not say Netzme did not answer")
	}

	// The range is checked.
	bad := c.post("/sync", url.Values{"from": {"2026-02-10"}, "to": {"2026-02-01"}}).wantStatus(t, http.StatusUnprocessableEntity)
	if bad.count("error-to") != 1 {
		t.Error("a range ending before it starts is not refused on its field")
	}
	auditor, _, _ := m.loginAs(t, db.RoleAuditor)
	if p := auditor.get("/sync").wantStatus(t, http.StatusOK); p.count("sync-form") != 0 || p.count("sync-progress") != 1 {
		t.Error("an auditor should watch the sync but not start one")
	}
	auditor.post("/sync", form).wantStatus(t, http.StatusForbidden)
	cashier, _, _ := m.loginAs(t, db.RoleCashier)
	cashier.get("/sync").wantStatus(t, http.StatusForbidden)
	cashier.get("/sync/status").wantStatus(t, http.StatusForbidden)
}
