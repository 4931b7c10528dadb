package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// The baseline is the least a callback endpoint can do: bare net/http, read
// the body, one INSERT, answer. It runs as a child process like Lapak (the
// load test's own binary, re-executed with LAPAK_LOADTEST_ROLE=baseline),
// with the pragmas Lapak's database uses: WAL, synchronous=FULL, a busy
// timeout. One connection, as SQLite advises for writers: concurrent
// inserts queue in database/sql instead of sleeping in SQLite's busy
// handler (which, with a connection per request, falls to ~50 req/s at
// c=64 here) — the strongest bare baseline, so the hardest to beat.

// baselineDSN are Lapak's pragmas (db.DSN) minus foreign keys (no table
// here refers to another).
func baselineDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
}

// runBaseline serves POST /callback on -addr until SIGTERM.
func runBaseline(args []string) error {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	path := fs.String("db", "baseline.db", "database file")
	pgURL := fs.String("database-url", "", "PostgreSQL database instead of the file (postgres.go)")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, insert, err := openBaselineSQLite(*path)
	if *pgURL != "" {
		d, insert, err = openBaselinePostgres(*pgURL)
	}
	if err != nil {
		return err
	}
	defer d.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /callback", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if _, err := d.ExecContext(r.Context(), insert, time.Now().UTC().Format(time.RFC3339Nano), body); err != nil {
			http.Error(w, "store failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"responseCode":"2000000","responseMessage":"Successful"}`))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// openBaselineSQLite is the baseline's store: the file at path, one
// connection.
func openBaselineSQLite(path string) (*sql.DB, string, error) {
	d, err := sql.Open("sqlite", baselineDSN(path))
	if err != nil {
		return nil, "", err
	}
	d.SetMaxOpenConns(1)
	if _, err := d.Exec(`CREATE TABLE IF NOT EXISTS callbacks (id INTEGER PRIMARY KEY, received_at TEXT NOT NULL, body TEXT NOT NULL)`); err != nil {
		d.Close()
		return nil, "", err
	}
	return d, `INSERT INTO callbacks (received_at, body) VALUES (?, ?)`, nil
}

type baselineProc struct {
	url    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// startBaseline starts the baseline server on a fresh database in dir, or
// on the PostgreSQL database pgURL when it is not "".
func startBaseline(ctx context.Context, dir, pgURL string) (*baselineProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "baseline.db")
	for _, s := range []string{"", "-wal", "-shm"} {
		os.Remove(path + s)
	}
	logf, err := os.Create(filepath.Join(dir, "baseline.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(self, "-db", path, "-addr", addr, "-database-url", pgURL)
	cmd.Env = childEnv(roleEnv + "=baseline")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b := &baselineProc{url: "http://" + addr, cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(b.exited) }()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if res, err := httpClient.Get(b.url + "/healthz"); err == nil {
			res.Body.Close()
			return b, nil
		}
		select {
		case <-b.exited:
			return nil, fmt.Errorf("baseline exited; see %s", logf.Name())
		case <-ctx.Done():
			b.stop()
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.stop()
			return nil, fmt.Errorf("baseline not answering; see %s", logf.Name())
		}
	}
}

func (b *baselineProc) stop() {
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.exited:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-b.exited
	}
}
