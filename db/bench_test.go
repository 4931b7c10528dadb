package db

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Benchmarks of the lists at N invoices (LAPAK_BENCH_ROWS, default 10,000):
//
//	LAPAK_BENCH_ROWS=1000000 go test ./db -run '^$' -bench 'InvoicePages|InvoiceRows' -benchtime 200x
//
// The first and the last page of a list must cost the same (issue 11: last
// ≤ 1.5× first at 1M rows); the database is built once per run, in
// LAPAK_BENCH_DIR when set (kept, and reused by the next run with the same N)
// or a temporary directory.

func benchRows(b *testing.B) int {
	n := 10_000
	if s := os.Getenv("LAPAK_BENCH_ROWS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 100 {
			b.Fatalf("LAPAK_BENCH_ROWS=%q: want a number ≥ 100", s)
		}
		n = v
	}
	return n
}

// benchEnd is the seeded data's last instant: fixed, so a kept database is
// the same on every run.
var benchEnd = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// benchDB opens (building it on first use) a database with n invoices of
// merchant 1 over the year before benchEnd, n/10 of merchant 2, and some
// of every log.
func benchDB(b *testing.B, n int) *DB {
	b.Helper()
	dir := os.Getenv("LAPAK_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("bench-%d.db", n))
	_, statErr := os.Stat(path)
	d, err := Open(context.Background(), path, func() time.Time { return benchEnd })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	if statErr == nil {
		return d
	}
	start := time.Now()
	ctx := context.Background()
	a, _ := d.CreateMerchant(ctx, NewMerchant{Name: "Warung Besar"})
	c, _ := d.CreateMerchant(ctx, NewMerchant{Name: "Warung Kecil"})
	step := 365 * 24 * time.Hour / time.Duration(n)
	seedInvoices(b, d, a.ID, n, benchEnd, step, "A")
	seedInvoices(b, d, c.ID, n/10, benchEnd, 10*step, "B")
	seedLogs(b, d, []int64{a.ID, c.ID}, 1000, benchEnd)
	if err := d.Optimize(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d invoices in %v (%.0f rows/s)", n+n/10, time.Since(start).Round(time.Millisecond),
		float64(n+n/10)/time.Since(start).Seconds())
	return d
}

// lastPage is the token of a list's last page: the position just before
// its limit oldest rows, found by walking up from the oldest row.
func lastPage(b *testing.B, d *DB, merchantID int64, f InvoiceFilter, limit int) string {
	b.Helper()
	k := invoiceKeysetFor(f)
	// A Back cursor below every row: the oldest rows, oldest first.
	rows, err := d.InvoicesAfter(context.Background(), merchantID, f, Cursor{Back: true}, limit+1)
	if err != nil || len(rows) <= limit {
		b.Fatalf("last page: %d rows, %v", len(rows), err)
	}
	// rows are the oldest, nearest-to-start first: the page after rows[limit]
	// going down is the last one.
	r := rows[limit]
	return invoiceAt(f)(r).Encode(k.list)
}

func BenchmarkInvoicePages(b *testing.B) {
	n := benchRows(b)
	d := benchDB(b, n)
	ctx := context.Background()
	const limit = 25
	lists := []struct {
		name string
		f    InvoiceFilter
	}{
		{"all", InvoiceFilter{}},
		{"status", InvoiceFilter{Status: InvoicePending}},
		{"status+method", InvoiceFilter{Status: InvoicePending, Method: "OVO"}},
		{"search-text", InvoiceFilter{Query: "gula aren"}},
		{"search-amount", InvoiceFilter{Query: "25.000", AmountMinor: 2_500_000}},
	}
	for _, l := range lists {
		for _, which := range []string{"first", "last"} {
			tok := ""
			if which == "last" {
				tok = lastPage(b, d, 1, l.f, limit)
			}
			b.Run(fmt.Sprintf("%s/%s/rows=%d", l.name, which, n), func(b *testing.B) {
				for b.Loop() {
					p, err := d.Invoices(ctx, 1, l.f, tok, limit)
					if err != nil || len(p.Rows) != limit {
						b.Fatalf("%d rows, %v", len(p.Rows), err)
					}
					if _, err := d.CountInvoices(ctx, 1, l.f); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkInvoiceRows reads every invoice of the big merchant through the
// export iterator and reports rows/s.
func BenchmarkInvoiceRows(b *testing.B) {
	n := benchRows(b)
	d := benchDB(b, n)
	ctx := context.Background()
	cpu0 := cpuTime()
	for b.Loop() {
		got := 0
		for _, err := range d.InvoiceRows(ctx, 1, InvoiceFilter{}) {
			if err != nil {
				b.Fatal(err)
			}
			got++
		}
		if got != n {
			b.Fatalf("%d rows, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(n)*float64(b.N)/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
}

// cpuTime is the CPU time the process used so far (user and system): on a
// shared machine, rows per CPU second says more than rows per second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
