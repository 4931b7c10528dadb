package db

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Benchmarks of the history at N ledger transactions (LAPAK_BENCH_ROWS,
// default 10,000) of one merchant over the year before benchEnd:
//
//	LAPAK_BENCH_DIR=/tmp/lapak-bench LAPAK_BENCH_ROWS=1000000 \
//	  go test ./db -run '^$' -bench 'HistoryPages|HistoryTotals|HistoryRows' -benchtime 50x
//
// The journal is booked through PostLedger (triggers, daily totals, search
// index), once per N in LAPAK_BENCH_DIR (ledger-N.db, kept and reused: the
// handlers' history benchmark reads the same file).

// benchLedgerDB opens (booking it on first use) the ledger benchmark
// database: n transactions of merchant 1, n/10 of merchant 2.
func benchLedgerDB(b *testing.B, n int) *DB {
	b.Helper()
	dir := os.Getenv("LAPAK_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("ledger-%d.db", n))
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
	seedLedger(b, d, a.ID, n, benchEnd, step, "A")
	seedLedger(b, d, c.ID, n/10, benchEnd, 10*step, "B")
	if err := d.Optimize(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("booked %d ledger transactions in %v (%.0f/s)", n+n/10, time.Since(start).Round(time.Millisecond),
		float64(n+n/10)/time.Since(start).Seconds())
	return d
}

// historyLastPage is the token of the list's last page: from a Back cursor
// below every row; ok is false when the list has one page.
func historyLastPage(b *testing.B, d *DB, f HistoryFilter, limit int) (tok string, ok bool) {
	b.Helper()
	rows, err := d.historyAfter(context.Background(), 1, f, Cursor{Key: "0001-01-01T00:00:00.000000Z", Back: true}, limit+1)
	if err != nil {
		b.Fatal(err)
	}
	if len(rows) <= limit {
		return "", false
	}
	return historyAt(f)(rows[limit]).Encode(historyKeys.list), true
}

// BenchmarkHistoryPages: the first and the last page of the history with
// its count, as /history reads them, for each kind of filter.
func BenchmarkHistoryPages(b *testing.B) {
	n := benchRows(b)
	d := benchLedgerDB(b, n)
	ctx := context.Background()
	const limit = 50
	lists := []struct {
		name string
		f    HistoryFilter
	}{
		{"all", HistoryFilter{}},
		{"type", HistoryFilter{Type: HistorySale}},
		{"withdrawals", HistoryFilter{Type: HistoryWithdrawal}},
		{"method", HistoryFilter{Method: "CVS"}},
		{"type+method", HistoryFilter{Type: HistorySale, Method: "OVO"}},
		{"status-failed", HistoryFilter{Status: HistoryFailed}},
		{"status-reversal", HistoryFilter{Status: HistoryReversal}},
		{"month", HistoryFilter{From: benchEnd.AddDate(0, -1, 0), To: benchEnd}},
		{"search-text", HistoryFilter{Query: "gula aren"}},
		{"search-amount", HistoryFilter{AmountMinor: 2_500_000}},
	}
	for _, l := range lists {
		for _, which := range []string{"first", "last"} {
			tok := ""
			if which == "last" {
				if l.f.Query != "" || l.f.AmountMinor != 0 {
					continue // a search pages by id: its last page is like its first
				}
				var ok bool
				if tok, ok = historyLastPage(b, d, l.f, limit); !ok {
					continue
				}
			}
			b.Run(fmt.Sprintf("%s/%s/rows=%d", l.name, which, n), func(b *testing.B) {
				for b.Loop() {
					p, err := d.History(ctx, 1, l.f, tok, limit)
					if err != nil || len(p.Rows) == 0 {
						b.Fatalf("%d rows, %v", len(p.Rows), err)
					}
					if _, err := d.CountHistory(ctx, 1, l.f); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkHistoryTotals: the totals /history shows for a day, a month, the
// whole year, a filter and a search.
func BenchmarkHistoryTotals(b *testing.B) {
	n := benchRows(b)
	d := benchLedgerDB(b, n)
	ctx := context.Background()
	day := func(t time.Time) time.Time {
		j := t.In(wib)
		return time.Date(j.Year(), j.Month(), j.Day(), 0, 0, 0, 0, wib)
	}
	end := day(benchEnd).AddDate(0, 0, 1)
	for _, c := range []struct {
		name string
		f    HistoryFilter
	}{
		{"day", HistoryFilter{From: end.AddDate(0, 0, -1), To: end}},
		{"month", HistoryFilter{From: end.AddDate(0, -1, 0), To: end}},
		{"year", HistoryFilter{From: end.AddDate(-1, 0, 0), To: end}},
		{"all", HistoryFilter{}},
		{"sales-by-QRIS-year", HistoryFilter{Type: HistorySale, Method: "QRIS", From: end.AddDate(-1, 0, 0), To: end}},
		{"failed-year", HistoryFilter{Status: HistoryFailed, From: end.AddDate(-1, 0, 0), To: end}},
		{"search-text", HistoryFilter{Query: "A00000012"}},
	} {
		b.Run(fmt.Sprintf("%s/rows=%d", c.name, n), func(b *testing.B) {
			for b.Loop() {
				if _, err := d.HistoryTotals(ctx, 1, c.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHistoryRows reads every history row of the big merchant through
// the export iterator and reports rows/s.
func BenchmarkHistoryRows(b *testing.B) {
	n := benchRows(b)
	d := benchLedgerDB(b, n)
	ctx := context.Background()
	cpu0 := cpuTime()
	got := 0
	for b.Loop() {
		got = 0
		for _, err := range d.HistoryRows(ctx, 1, HistoryFilter{}) {
			if err != nil {
				b.Fatal(err)
			}
			got++
		}
	}
	b.ReportMetric(float64(got)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(got)*float64(b.N)/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
}
