package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
)

type readyzBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func getReadyz(t *testing.T, c *http.Client, base string) (int, readyzBody) {
	t.Helper()
	res, err := c.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b readyzBody
	if err := json.NewDecoder(res.Body).Decode(&b); err != nil {
		t.Fatalf("/readyz body: %v", err)
	}
	return res.StatusCode, b
}

// /readyz says whether to send traffic here: ready on a running server;
// 503 naming the cause when the schema is behind this build or the database
// does not answer.
func TestReadyzStates(t *testing.T) {
	a := startTestApp(t, nil)
	code, b := getReadyz(t, http.DefaultClient, a.URL)
	if code != http.StatusOK || b.Status != "ready" || !strings.HasPrefix(b.Checks["migrations"], "ok (version ") {
		t.Fatalf("/readyz on a running server = %d %+v, want 200 ready", code, b)
	}

	// An older schema than this build migrates to (as after restoring an
	// old backup under a running binary).
	if _, err := a.db.SQL().Exec(`DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	code, b = getReadyz(t, http.DefaultClient, a.URL)
	if code != http.StatusServiceUnavailable || !strings.Contains(b.Checks["migrations"], "this build needs") {
		t.Errorf("/readyz with the schema one migration behind = %d %+v, want 503 naming the migrations", code, b)
	}
	if res, err := http.Get(a.URL + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("/healthz with the schema behind: %v %v, want 200 (alive, just not ready)", res.StatusCode, err)
	} else {
		res.Body.Close()
	}

	a.db.Close()
	code, b = getReadyz(t, http.DefaultClient, a.URL)
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(b.Checks["database"], "not answering") {
		t.Errorf("/readyz with the database closed = %d %+v, want 503 database not answering", code, b)
	}
}

// On SIGTERM the server keeps answering for LAPAK_DRAIN_DELAY, with /readyz
// at 503 so that a load balancer stops sending, then shuts down.
func TestReadyzDrainingOnShutdown(t *testing.T) {
	a := startTestApp(t, map[string]string{"LAPAK_DRAIN_DELAY": "3s"})
	c := &http.Client{Transport: &http.Transport{}} // keeps its connection
	if code, _ := getReadyz(t, c, a.URL); code != http.StatusOK {
		t.Fatalf("/readyz before shutdown = %d", code)
	}
	a.cancel() // what SIGTERM does
	deadline := time.Now().Add(2 * time.Second)
	for {
		code, b := getReadyz(t, c, a.URL)
		if code == http.StatusServiceUnavailable {
			if !strings.HasPrefix(b.Checks["draining"], "yes") {
				t.Errorf("/readyz while draining = %+v, want draining named", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after shutdown began", code)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res, err := c.Get(a.URL + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("/healthz while draining: %v, want 200: requests are still served", err)
	} else {
		res.Body.Close()
	}
	select {
	case err := <-a.done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no shutdown after the drain delay")
	}
	a.once.Do(func() { a.close() })
}

// The operator's listener exposes Prometheus series for what the app just
// did (a page, an invoice created at Netzme, its payment callback) and the
// Go profiler; the main listener exposes neither.
func TestMetricsAfterRequests(t *testing.T) {
	a := startTestApp(t, map[string]string{"LAPAK_DEBUG_ADDR": "127.0.0.1:0"})
	if a.debugLn == nil {
		t.Fatal("no operator listener")
	}
	debugURL := "http://" + a.debugLn.Addr().String()
	if res, err := http.Get(a.URL + "/healthz"); err == nil {
		res.Body.Close()
	}
	// HEAD is routed through chi's route context, which the metrics create.
	if res, err := http.Head(a.URL + "/login"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("HEAD /login with metrics on: %v %v", res, err)
	}
	owner := webClient(t, a, testAdminEmail, testAdminPassword)
	res, err := owner.PostForm(a.URL+"/invoices", url.Values{"amount": {"25.000"}, "description": {"Nasi goreng"}, "method": {"QRIS"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	page, err := a.db.Invoices(t.Context(), 1, db.InvoiceFilter{}, "", 10)
	ivs := page.Rows
	if err != nil || len(ivs) != 1 || ivs[0].NetzmeTrxID == "" {
		t.Fatalf("invoice not created at Netzme: %+v %v", ivs, err)
	}
	if _, err := a.sandbox.PayInvoice(t.Context(), ivs[0].NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "invoice paid", func() bool {
		iv, err := a.db.MerchantInvoice(context.Background(), 1, ivs[0].ID)
		return err == nil && iv.Status == db.InvoicePaid
	})

	body := get(t, debugURL+"/metrics")
	for _, want := range []string{
		`lapak_http_request_duration_seconds_count{code="200",method="GET",route="/healthz"} 1`,
		`lapak_http_request_duration_seconds_count{code="303",method="POST",route="/login"} 1`,
		`lapak_http_request_duration_seconds_count{code="200",method="HEAD",route="/login"} 1`,
		`lapak_http_request_duration_seconds_count{code="303",method="POST",route="/invoices"} 1`,
		`lapak_netzme_calls_total{code="2004700",endpoint="create-invoice-transaction"} 1`,
		`lapak_netzme_calls_total{code="2007300",endpoint="access-token"} 1`,
		`lapak_netzme_call_duration_seconds_count{endpoint="create-invoice-transaction"} 1`,
		`lapak_callbacks_total{code="200",kind="invoice"} 1`,
		`lapak_writer_queue_depth 0`,
		`lapak_writer_batches_total`,
		`lapak_db_wait_count_total{pool="read"}`,
		`lapak_db_wait_duration_seconds_total{pool="read"}`,
		`lapak_db_connections_open{pool="writer"} 1`,
		`go_goroutines`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !strings.Contains(get(t, debugURL+"/debug/pprof/"), "goroutine") {
		t.Error("/debug/pprof/ does not list the profiles")
	}
	for _, p := range []string{"/metrics", "/debug/pprof/"} {
		res, err := http.Get(a.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Errorf("the main listener serves %s", p)
		}
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", u, res.StatusCode)
	}
	return string(b)
}

func TestDebugAddrLoopbackOnly(t *testing.T) {
	for _, tc := range []struct {
		addr, allow string
		ok          bool
	}{
		{"127.0.0.1:6060", "", true},
		{"[::1]:6060", "", true},
		{"localhost:6060", "", true},
		{":6060", "", false},
		{"0.0.0.0:6060", "", false},
		{"192.168.1.10:6060", "no", false},
		{"192.168.1.10:6060", "yes", true},
		{"127.0.0.1:6060", "maybe", false},
		{"127.0.0.1", "", false},
	} {
		env := map[string]string{"LAPAK_DEBUG_ADDR": tc.addr, "LAPAK_DEBUG_ALLOW_REMOTE": tc.allow}
		_, err := parseConfig([]string{"lapak"}, func(k string) string { return env[k] }, io.Discard)
		if (err == nil) != tc.ok {
			t.Errorf("LAPAK_DEBUG_ADDR=%s LAPAK_DEBUG_ALLOW_REMOTE=%s: %v, want ok=%v", tc.addr, tc.allow, err, tc.ok)
		}
	}
}

// On PostgreSQL /readyz reads the PostgreSQL migrations: ready at once (its
// first answer, within the check's time limit), and 503 when the schema is
// behind.
func TestReadyzOnPostgres(t *testing.T) {
	dbtest.RequirePostgres(t)
	a := startTestApp(t, map[string]string{"LAPAK_DATABASE_URL": dbtest.PostgresURL(t)})
	start := time.Now()
	code, b := getReadyz(t, http.DefaultClient, a.URL)
	if code != http.StatusOK || !strings.HasPrefix(b.Checks["migrations"], "ok (version ") {
		t.Fatalf("first /readyz on PostgreSQL = %d %+v after %v, want 200 ready", code, b, time.Since(start))
	}
	if _, err := a.db.SQL().Exec(`DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	if code, b := getReadyz(t, http.DefaultClient, a.URL); code != http.StatusServiceUnavailable || !strings.Contains(b.Checks["migrations"], "this build needs") {
		t.Errorf("/readyz with the schema one migration behind = %d %+v, want 503 naming the migrations", code, b)
	}
}
