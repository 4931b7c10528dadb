package handlers

import (
	"bytes"
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
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alexedwards/scs/sqlite3store"

	"lapak/db"
)

// Benchmarks of the invoice list pages and the CSV export through the real
// routes, at N invoices (LAPAK_BENCH_ROWS, default 10,000):
//
//	LAPAK_BENCH_DIR=/tmp/lapak-bench LAPAK_BENCH_ROWS=1000000 \
//	  go test ./db -run '^$' -bench InvoicePages -benchtime 1x   # builds the database fast
//	LAPAK_BENCH_DIR=/tmp/lapak-bench LAPAK_BENCH_ROWS=1000000 \
//	  go test ./handlers -run '^$' -bench 'InvoiceListPages|InvoicesCSVExport' -benchtime 3x
//
// With LAPAK_BENCH_DIR the database db's benchmark built (bench-N.db) is
// reused; without one, N invoices are inserted here through the app's own
// insert, which is slower. The export reports rows/s, the time to its first
// byte and the process's peak RSS while it ran (Linux).

func benchApp(b *testing.B) (*testApp, *client, int) {
	b.Helper()
	n := 10_000
	if s := os.Getenv("LAPAK_BENCH_ROWS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 100 {
			b.Fatalf("LAPAK_BENCH_ROWS=%q: want a number ≥ 100", s)
		}
		n = v
	}
	dir := os.Getenv("LAPAK_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("bench-%d.db", n))
	_, statErr := os.Stat(path)
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
	ctx := context.Background()
	if statErr != nil {
		m, err := d.CreateMerchant(ctx, db.NewMerchant{Name: "Warung Besar"})
		if err != nil {
			b.Fatal(err)
		}
		for lo := 0; lo < n; lo += 10_000 {
			err := d.InTx(ctx, func(tx *db.Tx) error {
				for i := lo; i < min(lo+10_000, n); i++ {
					if _, err := tx.InsertInvoice(ctx, db.NewInvoice{MerchantID: m.ID, PartnerReferenceNo: fmt.Sprintf("A%09d", i),
						Method: "QRIS", AmountMinor: int64(5+i%200) * 500_00, Description: "Kopi susu gula aren",
						CustomerName: "Budi Santoso", ExpiresAt: end}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	a.merchant, err = d.Merchant(ctx, 1)
	if err != nil {
		b.Fatal(err)
	}
	const email = "bench-owner@uji.test"
	if _, err := d.UserByEmail(ctx, email); errors.Is(err, db.ErrNotFound) {
		a.newUser(b, email, false, a.merchant.ID, db.RoleOwner)
	}
	c := a.client()
	c.mustLogin(b, email)
	return a, c, n
}

// BenchmarkInvoiceListPages: the first and the last page of /invoices, as
// a browser gets them (full page, count included).
func BenchmarkInvoiceListPages(b *testing.B) {
	a, c, n := benchApp(b)
	first := c.get("/invoices").wantStatus(b, http.StatusOK)
	// The last page: "Sebelumnya" from below the oldest row lands there.
	last := db.Cursor{Key: "0001-01-01T00:00:00.000000Z", Back: true}.Encode("invoices")
	lastRes := c.get("/invoices?cursor="+last).wantStatus(b, http.StatusOK)
	if first.count("invoice-row") != invoicePageSize || lastRes.count("invoice-row") == 0 {
		b.Fatalf("first page %d rows, last page %d", first.count("invoice-row"), lastRes.count("invoice-row"))
	}
	_ = a
	for _, p := range []struct{ name, path string }{
		{"first", "/invoices"},
		{"last", "/invoices?cursor=" + last},
		{"search", "/invoices?q=gula+aren"},
		{"amount", "/invoices?q=Rp+25.000"},
	} {
		b.Run(fmt.Sprintf("%s/rows=%d", p.name, n), func(b *testing.B) {
			for b.Loop() {
				if res := c.get(p.path); res.Code != http.StatusOK {
					b.Fatalf("%s: %d", p.path, res.Code)
				}
			}
		})
	}
}

// exportWriter counts an export's lines and notes when its first byte came.
type exportWriter struct {
	header    http.Header
	status    int
	lines     int
	bytes     int64
	firstByte time.Duration
	start     time.Time
}

func (w *exportWriter) Header() http.Header { return w.header }
func (w *exportWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *exportWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.bytes == 0 {
		w.firstByte = time.Since(w.start)
	}
	w.bytes += int64(len(p))
	w.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}
func (w *exportWriter) Flush() {}

// BenchmarkInvoicesCSVExport exports every invoice of the merchant through
// GET /invoices.csv.
func BenchmarkInvoicesCSVExport(b *testing.B) {
	a, c, n := benchApp(b)
	debug.FreeOSMemory()
	base := peakRSS(b, true)
	var first time.Duration
	var peak int64
	cpu0 := cpuTime()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/invoices.csv", nil)
		req.RemoteAddr = c.remoteAddr
		for _, ck := range c.cookies {
			req.AddCookie(ck)
		}
		w := &exportWriter{header: http.Header{}, start: time.Now()}
		a.routes.ServeHTTP(w, req)
		if w.status != http.StatusOK || w.lines != n+1 {
			b.Fatalf("status %d, %d lines; want %d rows and the header", w.status, w.lines, n)
		}
		first = max(first, w.firstByte)
		peak = max(peak, peakRSS(b, false))
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(n)*float64(b.N)/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
	b.ReportMetric(float64(first.Microseconds())/1000, "first-byte-ms")
	if peak > 0 {
		b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
		b.ReportMetric(float64(base)/(1<<20), "RSS-before-MB")
	}
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

// peakRSS returns the process's peak resident set (VmHWM) in bytes; reset
// first sets the peak back to the current size (Linux; 0 elsewhere).
func peakRSS(b *testing.B, reset bool) int64 {
	if reset {
		if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
			return 0
		}
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb << 10
		}
	}
	return 0
}
