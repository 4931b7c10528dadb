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
	"testing"
	"time"

	"lapak/db"
)

// BenchmarkCallbackIngest measures callback ingestion over loopback HTTP:
// "lapak" is the full path (router, token check, inbox insert + commit,
// apply transaction with dedupe and payment insert + commit, ack); "baseline"
// is a bare net/http handler doing one INSERT on a database opened with the
// same DSN (WAL, synchronous=FULL). Compare ns/op; p50/p99 are per request.
//
//	go test ./handlers -run '^$' -bench CallbackIngest -benchtime 2000x
func BenchmarkCallbackIngest(b *testing.B) {
	b.Run("lapak", func(b *testing.B) {
		a := callbackApp(b)
		srv := httptest.NewServer(a.routes)
		defer srv.Close()
		runIngest(b, srv.URL+"/callbacks/netzme/qris", func(i int) string {
			return qrisBody(fmt.Sprintf("B%011d", i), "M_TOKO0001", 1_000_000, 7_000)
		})
	})
	b.Run("baseline", func(b *testing.B) {
		sqldb, err := sql.Open("sqlite", db.DSN(filepath.Join(b.TempDir(), "base.db")))
		if err != nil {
			b.Fatal(err)
		}
		defer sqldb.Close()
		sqldb.SetMaxOpenConns(1)
		if _, err := sqldb.Exec(`CREATE TABLE inbox (id INTEGER PRIMARY KEY, received_at TEXT NOT NULL, body TEXT NOT NULL) STRICT`); err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		defer srv.Close()
		runIngest(b, srv.URL, func(i int) string {
			return qrisBody(fmt.Sprintf("B%011d", i), "M_TOKO0001", 1_000_000, 7_000)
		})
	})
}

func runIngest(b *testing.B, url string, body func(int) string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body(i)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-callback-token", testCallbackToken)
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		lat = append(lat, time.Since(start))
		if res.StatusCode != 200 {
			b.Fatalf("answer %d", res.StatusCode)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
}
