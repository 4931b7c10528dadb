package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary play the baseline server when the load
// test re-executes itself (os.Executable is the test binary here).
func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) == "baseline" {
		if err := runBaseline(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "baseline:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A quick run goes through every phase — build, seed, pages at both sizes,
// clients, export alone and under probes, ingest against the baseline —
// and prints a table with every row, without one failed request. Its
// numbers are not checked: speed lives in the table, not in unit tests.
func TestQuickRunPrintsEveryRow(t *testing.T) {
	var out, log strings.Builder
	rep, err := run(t.Context(), []string{"-quick", "-dir", t.TempDir()}, &out, &log)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	table := out.String()
	t.Log(table)
	want := []string{
		"| " + rowSeed + " | 1500 DB: ",
		"| " + fmt.Sprintf(rowIngest, 1) + " | ",
		"| " + fmt.Sprintf(rowIngest, 16) + " | ",
		"| " + fmt.Sprintf(rowIngest, 64) + " | ",
		"| " + fmt.Sprintf(rowLastFirst, "Invoices", "1500") + " | ",
		"| " + fmt.Sprintf(rowLastFirst, "Notifications", "1500") + " | ",
		"| " + fmt.Sprintf(rowLastFirst, "Audit log", "1500") + " | ",
		"| " + fmt.Sprintf(rowClients, 4, "2s") + " | 1500: ",
		"| " + rowExportRate + " | 1500: 1500 rows in ", // the one shop's every invoice
		"| " + rowExportFirst + " | 1500: ",
		"| " + rowExportRSS + " | 1500: ",
		"| " + fmt.Sprintf(rowHealthz, "1500") + " | ",
		"| " + fmt.Sprintf(rowCallbackDur, "1500") + " | ",
		"| " + rowIdleRSS + " | 1500: ",
		"| " + rowCold + " | 1500: ",
		"Failed requests: 0\n",
	}
	for _, p := range pageProbes {
		want = append(want, "| "+p.name+" (p50) | 1500: ")
	}
	for _, w := range want {
		if !strings.Contains(table, w) {
			t.Errorf("the table lacks %q", w)
		}
	}
	if rep.errors != 0 || strings.Contains(table, "errors**") {
		t.Errorf("%d failed requests", rep.errors)
	}
	if n := strings.Count(table, "\n| "); n != len(rep.rows)+1 {
		t.Errorf("%d table lines for %d rows", n, len(rep.rows))
	}
	for _, r := range rep.rows {
		if strings.Contains(r.lapak, " 0 req/s") || strings.HasPrefix(r.lapak, "0 ms (0 ") {
			t.Errorf("row %q measured nothing: %s", r.what, r.lapak)
		}
	}
}

// The PostgreSQL mode (-postgres) goes through the same phases with Lapak
// on PostgreSQL, copies the seeded databases with migrate-to-postgres and
// measures two instances against one: every row, no failed request. It
// needs LAPAK_TEST_POSTGRES (a server where the test may create
// databases), as db/dbtest's tests do: skipped without it, failed under
// CI=true.
func TestQuickRunOnPostgres(t *testing.T) {
	server := os.Getenv("LAPAK_TEST_POSTGRES")
	if server == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("LAPAK_TEST_POSTGRES is not set: under CI=true the PostgreSQL tests must run")
		}
		t.Skip("LAPAK_TEST_POSTGRES is not set: PostgreSQL test skipped (README: Tests)")
	}
	var out, log strings.Builder
	rep, err := run(t.Context(), []string{"-quick", "-dir", t.TempDir(), "-postgres", server}, &out, &log)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	table := out.String()
	t.Log(table)
	for _, w := range []string{
		"**Lapak on PostgreSQL**",
		"| " + rowCopy + " | 1500 DB: ",
		"| " + fmt.Sprintf(rowIngest, 64) + " | ",
		"| " + fmt.Sprintf(rowTwo, 64) + " | 2 instances: ",
		"| " + probeInvoicesLast + " (p50) | 1500: ",
		"Failed requests: 0\n",
	} {
		if !strings.Contains(table, w) {
			t.Errorf("the table lacks %q", w)
		}
	}
	if rep.errors != 0 {
		t.Errorf("%d failed requests", rep.errors)
	}
	for _, r := range rep.rows {
		if strings.Contains(r.lapak, " 0 req/s") || strings.HasPrefix(r.lapak, "0 ms (0 ") {
			t.Errorf("row %q measured nothing: %s", r.what, r.lapak)
		}
	}
}
