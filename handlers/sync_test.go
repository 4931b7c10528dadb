package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"lapak/db"
	"lapak/netzme/sandbox"
	"lapak/views"
)

// syncStatus reads GET /sync/status and checks it is exactly the stable
// interface's object.
func syncStatus(t *testing.T, c *client, path string) map[string]any {
	t.Helper()
	res := c.get(path).wantStatus(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
		t.Fatalf("status body %q: %v", res.Body, err)
	}
	for _, k := range []string{"running", "days_done", "days_total", "lines", "error"} {
		if _, ok := got[k]; !ok {
			t.Errorf("status has no %q: %s", k, res.Body)
		}
	}
	if len(got) != 5 {
		t.Errorf("status has other keys: %s", res.Body)
	}
	return got
}

func (m *moneyApp) jakartaDay(days int) string {
	return m.clock().In(views.Jakarta).AddDate(0, 0, days).Format(time.DateOnly)
}

func TestSyncRoles(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	owner, _, merchant := m.loginAs(t, db.RoleOwner)
	auditor, _, _ := m.loginAs(t, db.RoleAuditor)
	cashier, _, _ := m.loginAs(t, db.RoleCashier)
	admin, _ := m.loginAdmin(t)
	form := url.Values{"from": {m.jakartaDay(-3)}, "to": {m.jakartaDay(0)}}

	// Cashiers never see the books.
	cashier.get("/sync").wantStatus(t, http.StatusForbidden)
	cashier.get("/sync/status").wantStatus(t, http.StatusForbidden)
	cashier.post("/sync", form).wantStatus(t, http.StatusForbidden)

	// Auditors watch, read only.
	page := auditor.get("/sync").wantStatus(t, http.StatusOK)
	if page.count("sync-form") != 0 || page.count("sync-submit") != 0 {
		t.Error("an auditor sees the form that starts a sync")
	}
	if page.text("empty") == "" {
		t.Error("no 'never synced' note before the first sync")
	}
	auditor.post("/sync", form).wantStatus(t, http.StatusForbidden)
	if st := syncStatus(t, auditor, "/sync/status"); st["running"] != false || st["days_total"] != 0.0 || st["error"] != "" {
		t.Errorf("status before any sync = %v", st)
	}

	// Owners start one.
	page = owner.get("/sync").wantStatus(t, http.StatusOK)
	if page.text("sync-submit") != "Sinkronkan sekarang" {
		t.Errorf("button = %q", page.text("sync-submit"))
	}
	res := owner.post("/sync", form).wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/sync" {
		t.Errorf("303 to %q, want /sync", loc)
	}
	runs, _ := m.DB.SyncRuns(t.Context(), merchant.ID, 10)
	if len(runs) != 1 || runs[0].Trigger != "manual" || runs[0].DaysTotal != 4 || runs[0].RequestedBy == 0 {
		t.Fatalf("runs = %+v", runs)
	}
	// The auditor now sees it running. Watching never asks Netzme anything:
	// the pages read Lapak's tables.
	asked := len(m.sb.Sandbox.Requests())
	if st := syncStatus(t, auditor, "/sync/status"); st["running"] != true || st["days_total"] != 4.0 {
		t.Errorf("status of the queued run = %v", st)
	}
	auditor.get("/sync").wantStatus(t, http.StatusOK)
	if n := len(m.sb.Sandbox.Requests()) - asked; n != 0 {
		t.Errorf("watching the sync made %d Netzme calls", n)
	}

	// Administrators act for any merchant by naming it; without one there
	// is no merchant to show.
	admin.get("/sync").wantStatus(t, http.StatusNotFound)
	mid := strconv.FormatInt(merchant.ID, 10)
	page = admin.get("/sync?merchant="+mid).wantStatus(t, http.StatusOK)
	if page.count("sync-form") != 1 || page.text("sync-days") != "0 / 4" {
		t.Errorf("admin page: form %d, days %q", page.count("sync-form"), page.text("sync-days"))
	}
	if v, _ := page.doc.Find(`[data-testid="sync-status"]`).Attr("data-sync-url"); v != "/sync/status?merchant="+mid {
		t.Errorf("poll URL = %q", v)
	}
	admin.get("/sync?merchant=99999").wantStatus(t, http.StatusNotFound)
	if st := syncStatus(t, admin, "/sync/status?merchant="+mid); st["running"] != true {
		t.Errorf("admin status = %v", st)
	}
	// A second request while one is queued starts nothing.
	res = admin.post("/sync", url.Values{"from": form["from"], "to": form["to"], "merchant": {mid}}).wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/sync?merchant="+mid {
		t.Errorf("admin 303 to %q", loc)
	}
	if runs, _ := m.DB.SyncRuns(t.Context(), merchant.ID, 10); len(runs) != 1 {
		t.Errorf("%d runs after a second request", len(runs))
	}
	if got := admin.get("/sync?merchant=" + mid).text("flash"); got != "Sinkronisasi sedang berjalan; tunggu sampai selesai." {
		t.Errorf("flash = %q", got)
	}
	// A member's merchant parameter is ignored: owners act for their own shop.
	other := m.newMerchant(t, "Toko Lain")
	owner.get("/sync?merchant="+strconv.FormatInt(other.ID, 10)).wantStatus(t, http.StatusOK)
	if runs, _ := m.DB.SyncRuns(t.Context(), other.ID, 10); len(runs) != 0 {
		t.Error("an owner reached another merchant's sync")
	}
}

func TestSyncFormValidation(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	owner, _, merchant := m.loginAs(t, db.RoleOwner)
	for name, tc := range map[string]struct {
		from, to, field string
	}{
		"no dates":       {"", "", "from"},
		"bad date":       {"2025-13-01", m.jakartaDay(0), "from"},
		"to before from": {m.jakartaDay(-1), m.jakartaDay(-3), "to"},
		"from tomorrow":  {m.jakartaDay(1), m.jakartaDay(2), "from"},
	} {
		res := owner.post("/sync", url.Values{"from": {tc.from}, "to": {tc.to}})
		if res.Code != http.StatusUnprocessableEntity || res.count("error-"+tc.field) != 1 {
			t.Errorf("%s: %d, %s error %q", name, res.Code, tc.field, res.text("error-"+tc.field))
		}
	}
	if runs, _ := m.DB.SyncRuns(t.Context(), merchant.ID, 10); len(runs) != 0 {
		t.Errorf("invalid forms started %d runs", len(runs))
	}
	// An unlinked shop cannot sync.
	shop := m.newMerchant(t, "Belum Terhubung")
	m.seq++
	u := m.newUser(t, "baru"+itoa(m.seq)+"@uji.test", false, shop.ID, db.RoleOwner)
	c := m.client()
	c.mustLogin(t, u.Email)
	res := c.post("/sync", url.Values{"from": {m.jakartaDay(-1)}, "to": {m.jakartaDay(0)}}).wantStatus(t, http.StatusUnprocessableEntity)
	if res.count("sync-notlinked") != 1 {
		t.Error("no 'not linked' note")
	}
}

func TestSyncRunsInTheBackgroundAndShowsProgress(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	owner, _, _ := m.loginAs(t, db.RoleOwner)
	ctx := t.Context()
	today, err := time.ParseInLocation(time.DateOnly, m.jakartaDay(0), views.Jakarta)
	if err != nil {
		t.Fatal(err)
	}
	var moves []sandbox.Movement
	for d := 1; d <= 3; d++ {
		for i := range 4 {
			moves = append(moves, sandbox.Movement{Kind: sandbox.MoveStaticQRIS, At: today.AddDate(0, 0, -d).Add(time.Duration(9+i) * time.Hour), AmountMinor: 1_000_000})
		}
	}
	if err := m.sb.Sandbox.SeedHistory(ctx, m.demo.CustID, moves); err != nil {
		t.Fatal(err)
	}
	owner.post("/sync", url.Values{"from": {m.jakartaDay(-3)}, "to": {m.jakartaDay(0)}}).wantStatus(t, http.StatusSeeOther)
	page := owner.get("/sync").wantStatus(t, http.StatusOK)
	if page.text("flash") != "Sinkronisasi dimulai." || page.text("sync-state") != "Menunggu" {
		t.Errorf("after the request: flash %q, state %q", page.text("flash"), page.text("sync-state"))
	}
	if _, ok := page.doc.Find(`[data-testid="sync-status"]`).Attr("data-sync-poll"); !ok {
		t.Error("a running sync's page does not poll its status")
	}
	if _, ok := page.doc.Find(`[data-testid="sync-submit"]`).Attr("disabled"); !ok {
		t.Error("the button is enabled while a sync runs")
	}

	// The background job (as cmd/web starts it) does the work.
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); m.handler.money.RunStatementSync(rctx, time.Hour) }()
	defer func() { stop(); <-done }()
	deadline := time.Now().Add(15 * time.Second)
	var st map[string]any
	for {
		st = syncStatus(t, owner, "/sync/status")
		if st["running"] == false {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync still running: %v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st["days_done"] != 4.0 || st["days_total"] != 4.0 || st["lines"] != float64(len(moves)) || st["error"] != "" {
		t.Errorf("final status = %v", st)
	}
	page = owner.get("/sync").wantStatus(t, http.StatusOK)
	if page.text("sync-state") != "Selesai" || page.text("sync-days") != "4 / 4" || page.text("sync-lines") != strconv.Itoa(len(moves)) {
		t.Errorf("finished page: state %q, days %q, lines %q", page.text("sync-state"), page.text("sync-days"), page.text("sync-lines"))
	}
	if _, ok := page.doc.Find(`[data-testid="sync-status"]`).Attr("data-sync-poll"); ok {
		t.Error("a finished sync's page still polls")
	}
	if page.count("sync-run") != 1 {
		t.Errorf("%d runs listed", page.count("sync-run"))
	}
	// The lines are in Lapak's own tables.
	lines, err := m.DB.StatementLines(ctx, m.merchant.ID, m.jakartaDay(-3), m.jakartaDay(0))
	if err != nil || len(lines) != len(moves) {
		t.Errorf("%d lines stored (%v), want %d", len(lines), err, len(moves))
	}
	found := false
	for _, e := range m.auditActions(t) {
		found = found || e.Action == "statement.sync"
	}
	if !found {
		t.Error("the request is not audited")
	}
}
