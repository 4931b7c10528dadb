package handlers

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lapak/db"
)

// BenchmarkCallbackIngest measures callback ingestion over loopback HTTP at
// 1, 16 and 64 concurrent senders: "lapak" is the full path (router, token
// check, inbox row, apply with dedupe and payment insert, commit, ack);
// "baseline" is a bare net/http handler doing one INSERT on a database opened
// with the same DSN (WAL, synchronous=FULL). Every request carries a distinct
// static-QRIS payment. Both sides use the same client (one keep-alive
// connection per sender) and run in the same process, so their ratio is what
// to compare: req/s, and p50/p99 per request.
//
//	go test ./handlers -run '^$' -bench CallbackIngest -benchtime 2000x
func BenchmarkCallbackIngest(b *testing.B) {
	for _, c := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("lapak/c=%d", c), func(b *testing.B) {
			a := callbackApp(b)
			srv := httptest.NewServer(a.routes)
			defer srv.Close()
			runIngest(b, c, srv.URL+"/callbacks/netzme/qris")
			if s := a.DB.WriterStats(); s.Batches > 0 {
				b.ReportMetric(float64(s.Items)/float64(s.Batches), "writes/batch")
			}
		})
		b.Run(fmt.Sprintf("baseline/c=%d", c), func(b *testing.B) {
			srv := baselineIngest(b)
			defer srv.Close()
			runIngest(b, c, srv.URL)
		})
	}
}

// baselineIngest is the bare server Lapak is compared with: read the body,
// one INSERT (autocommit, one fsync), answer the SNAP acknowledgement.
func baselineIngest(b *testing.B) *httptest.Server {
	sqldb, err := sql.Open("sqlite", db.DSN(filepath.Join(b.TempDir(), "base.db")))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sqldb.Close() })
	sqldb.SetMaxOpenConns(1)
	if _, err := sqldb.Exec(`CREATE TABLE inbox (id INTEGER PRIMARY KEY, received_at TEXT NOT NULL, body TEXT NOT NULL) STRICT`); err != nil {
		b.Fatal(err)
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, callbackBodyLimit))
		if err != nil {
			http.Error(w, "bad body", 400)
			return
		}
		if _, err := sqldb.ExecContext(r.Context(), `INSERT INTO inbox (received_at, body) VALUES (?, ?)`,
			time.Now().UTC().Format(time.RFC3339Nano), string(body)); err != nil {
			http.Error(w, "db", 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"responseCode":"2000000","responseMessage":"Successful"}`))
	}))
}

// runIngest sends b.N distinct callbacks to url from c goroutines and reports
// req/s, p50-ms and p99-ms.
func runIngest(b *testing.B, c int, url string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: c, MaxIdleConnsPerHost: c}}
	defer client.CloseIdleConnections()
	send := func(i int) (time.Duration, error) {
		body := qrisBody(fmt.Sprintf("B%011d", i), "M_TOKO0001", 1_000_000, 7_000)
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-callback-token", testCallbackToken)
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return 0, fmt.Errorf("answer %d", res.StatusCode)
		}
		return time.Since(start), nil
	}
	// Warm the connections (and the server's caches) outside the timing.
	for i := range c {
		if _, err := send(-1 - i); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N || failed.Load() != nil {
					return
				}
				d, err := send(i)
				if err != nil {
					failed.Store(&err)
					return
				}
				lat[i] = d
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
}
