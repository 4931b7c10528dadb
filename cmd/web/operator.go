package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"lapak/migrations"
)

// The operator's view (issue 11 §9): /readyz on the main listener, and on a
// separate listener that is off by default (LAPAK_DEBUG_ADDR) the Go
// profiler and Prometheus metrics.

// readiness is what /readyz checks: the database answers, its schema is the
// one this binary migrates to, and the server is not shutting down.
type readiness struct {
	ping       func(context.Context) error
	migrations *goose.Provider
	draining   atomic.Bool
}

func newReadiness(a *app) (*readiness, error) {
	// The migrations of the engine Lapak runs on (db.Open applied them).
	dialect, fsys := goose.DialectSQLite3, fs.FS(migrations.FS)
	if a.db.Engine() == "postgres" {
		sub, err := fs.Sub(migrations.PostgresFS, "postgres")
		if err != nil {
			return nil, fmt.Errorf("readiness: migrations: %w", err)
		}
		dialect, fsys = goose.DialectPostgres, sub
	}
	p, err := goose.NewProvider(dialect, a.db.SQL(), fsys)
	if err != nil {
		return nil, fmt.Errorf("readiness: migrations: %w", err)
	}
	return &readiness{ping: a.db.Ping, migrations: p}, nil
}

// readyzTimeout bounds one readiness check: a load balancer must get an
// answer, and a database that takes longer is not ready.
const readyzTimeout = 2 * time.Second

// ServeHTTP answers 200 {"status":"ready",…} or 503 {"status":"unavailable",
// "checks":{…}} naming what failed. /healthz (liveness: restart me if this
// fails) stays as it is; /readyz says whether to send traffic here.
func (rd *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyzTimeout)
	defer cancel()
	checks := map[string]string{"database": "ok", "migrations": "ok", "draining": "no"}
	ready := true
	if rd.draining.Load() {
		checks["draining"], ready = "yes: shutting down", false
	}
	if err := rd.ping(ctx); err != nil {
		// No error text: /readyz is on the public listener.
		checks["database"], ready = "not answering within "+readyzTimeout.String(), false
	} else if current, target, err := rd.migrations.GetVersions(ctx); err != nil {
		checks["migrations"], ready = "unknown", false
	} else if current != target {
		checks["migrations"], ready = fmt.Sprintf("at %d, this build needs %d", current, target), false
	} else {
		checks["migrations"] = fmt.Sprintf("ok (version %d)", current)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	status := "ready"
	if !ready {
		status = "unavailable"
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(map[string]any{"status": status, "checks": checks})
}

// withReadyz serves /readyz ahead of the application's router (outside its
// sessions and access log: load balancers call it every few seconds).
func withReadyz(rd http.Handler, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			rd.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// debugHandler serves the operator's listener: /debug/pprof/ and /metrics.
func debugHandler(m *metrics) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "Lapak operator view: /metrics (Prometheus), /debug/pprof/ (Go profiler)")
	})
	return mux
}

// checkDebugAddr accepts a loopback address (127.0.0.0/8, ::1, localhost)
// for LAPAK_DEBUG_ADDR, and any other only with LAPAK_DEBUG_ALLOW_REMOTE=yes.
// The profiler shows memory contents (request bodies, secrets in flight)
// and a CPU profile slows the server: reach it through an SSH tunnel, or
// allow a private address deliberately.
func checkDebugAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("LAPAK_DEBUG_ADDR %q: %w", addr, err)
	}
	if allowRemote {
		return nil
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("LAPAK_DEBUG_ADDR %q is not a loopback address: the profiler and metrics must not be public "+
		"(use 127.0.0.1:PORT and an SSH tunnel, or set LAPAK_DEBUG_ALLOW_REMOTE=yes to listen there anyway)", addr)
}
