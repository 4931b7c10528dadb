package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"github.com/alexedwards/scs/sqlite3store"

	"lapak/db"
)

// BenchmarkHistoryExport exports the whole history of the big merchant of
// db's ledger benchmark database through GET /history.csv and
// /history.xlsx, and reports rows/s, the time to the first byte and the
// process's peak RSS (Linux). Build the database first:
//
//	LAPAK_BENCH_DIR=/tmp/lapak-bench LAPAK_BENCH_ROWS=1000000 \
//	  go test ./db -run '^$' -bench HistoryRows -benchtime 1x
//	LAPAK_BENCH_DIR=/tmp/lapak-bench LAPAK_BENCH_ROWS=1000000 \
//	  go test ./handlers -run '^$' -bench HistoryExport -benchtime 1x
func BenchmarkHistoryExport(b *testing.B) {
	n := 10_000
	if s := os.Getenv("LAPAK_BENCH_ROWS"); s != "" {
		fmt.Sscan(s, &n)
	}
	path := filepath.Join(os.Getenv("LAPAK_BENCH_DIR"), fmt.Sprintf("ledger-%d.db", n))
	if _, err := os.Stat(path); err != nil {
		b.Fatalf("%s: build it with db's BenchmarkHistoryRows first (same LAPAK_BENCH_DIR and LAPAK_BENCH_ROWS)", path)
	}
	end := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	a := &testApp{now: end, logs: &syncBuffer{}}
	d, err := db.Open(context.Background(), path, a.clock)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	a.DB = d
	sessions := newSessionManager(sqlite3store.NewWithCleanupInterval(d.SQL(), 0), false)
	a.handler = New(Deps{DB: d, Sessions: sessions, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Now: a.clock})
	a.routes = a.handler.Routes()
	if a.merchant, err = d.Merchant(context.Background(), 1); err != nil {
		b.Fatal(err)
	}
	const email = "bench-history@uji.test"
	if _, err := d.UserByEmail(context.Background(), email); errors.Is(err, db.ErrNotFound) {
		a.newUser(b, email, false, a.merchant.ID, db.RoleOwner)
	}
	c := a.client()
	c.mustLogin(b, email)
	for _, format := range []string{"csv", "xlsx"} {
		b.Run(format, func(b *testing.B) {
			debug.FreeOSMemory()
			base := peakRSS(b, true)
			var first time.Duration
			var peak, bytes int64
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/history."+format+"?from=2000-01-01", nil)
				req.RemoteAddr = c.remoteAddr
				for _, ck := range c.cookies {
					req.AddCookie(ck)
				}
				w := &exportWriter{header: http.Header{}, start: time.Now()}
				a.routes.ServeHTTP(w, req)
				if w.status != http.StatusOK || (format == "csv" && w.lines < n) {
					b.Fatalf("status %d, %d lines", w.status, w.lines)
				}
				first, bytes = max(first, w.firstByte), w.bytes
				peak = max(peak, peakRSS(b, false))
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(first.Microseconds())/1000, "first-byte-ms")
			b.ReportMetric(float64(bytes)/(1<<20), "MB")
			if peak > 0 {
				b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
				b.ReportMetric(float64(base)/(1<<20), "RSS-before-MB")
			}
		})
	}
}
