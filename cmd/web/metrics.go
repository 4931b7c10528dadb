package main

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"lapak/db"
	"lapak/netzme"
)

// metrics is what the operator's /metrics shows (issue 11 §9): request
// durations by route, Netzme calls, callbacks, the callback writer, the
// database pools, and the Go runtime and process. It exists only when
// LAPAK_DEBUG_ADDR is set; nothing is measured otherwise.
type metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.HistogramVec // route, method, code
	netzmeCalls   *prometheus.CounterVec   // endpoint, code
	netzmeLatency *prometheus.HistogramVec // endpoint
	callbacks     *prometheus.CounterVec   // kind, code: what Netzme was answered

	mu    sync.Mutex
	pools map[string]func() sql.DBStats // see AddDBPool
}

// latencyBuckets suit a back office on one machine: 1 ms to 30 s.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), pools: map[string]func() sql.DBStats{}}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "lapak_http_request_duration_seconds", Help: "Time to answer an HTTP request, by chi route pattern (\"unmatched\" for 404s), method and status code.",
		Buckets: latencyBuckets}, []string{"route", "method", "code"})
	m.netzmeCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lapak_netzme_calls_total", Help: "HTTP attempts to Netzme by endpoint and response code (SNAP responseCode; http_<status> without one; transport_error without an answer)."},
		[]string{"endpoint", "code"})
	m.netzmeLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "lapak_netzme_call_duration_seconds", Help: "Duration of one HTTP attempt to Netzme, by endpoint.", Buckets: latencyBuckets},
		[]string{"endpoint"})
	m.callbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lapak_callbacks_total", Help: "Netzme callbacks received, by kind (invoice, qris, snap_qris, withdraw) and the HTTP status Lapak answered (200 = stored and acknowledged)."},
		[]string{"kind", "code"})
	m.reg.MustRegister(m.requests, m.netzmeCalls, m.netzmeLatency, m.callbacks,
		dbPoolCollector{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// AddWriter exports the group-commit writer's figures (db.WriterStats) at
// scrape time: writes waiting (the queue depth), the last and the largest
// batch, and the batches and writes committed so far (their ratio is the
// mean batch size).
func (m *metrics) AddWriter(stats func() db.WriterStats) {
	gauge := func(name, help string, f func(db.WriterStats) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(f(stats())) })
	}
	counter := func(name, help string, f func(db.WriterStats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(stats())) })
	}
	m.reg.MustRegister(
		gauge("lapak_writer_queue_depth", "Writes (callbacks, sessions) submitted to the group-commit writer and not yet answered.",
			func(s db.WriterStats) int { return s.Waiting }),
		gauge("lapak_writer_last_batch_size", "Writes committed together in the writer's last transaction.",
			func(s db.WriterStats) int { return s.LastBatch }),
		gauge("lapak_writer_max_batch_size", "Writes committed together in the writer's largest transaction so far.",
			func(s db.WriterStats) int { return s.MaxBatch }),
		counter("lapak_writer_batches_total", "Group-commit transactions committed.", func(s db.WriterStats) int64 { return s.Batches }),
		counter("lapak_writer_writes_total", "Writes committed through group-commit transactions.", func(s db.WriterStats) int64 { return s.Items }),
	)
}

// AddDBPool exports the connection pool stats of a database handle under
// pool=name: waits for a connection (count and time), open, in use, idle.
// cmd/web adds the one pool db has today; a read pool is one more call.
func (m *metrics) AddDBPool(name string, stats func() sql.DBStats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pools[name] = stats
}

// dbPoolCollector reads sql.DBStats at scrape time.
type dbPoolCollector struct{ m *metrics }

var (
	dbWaitCount    = prometheus.NewDesc("lapak_db_wait_count_total", "Times a query waited for a free connection of the pool.", []string{"pool"}, nil)
	dbWaitDuration = prometheus.NewDesc("lapak_db_wait_duration_seconds_total", "Total time queries waited for a free connection of the pool.", []string{"pool"}, nil)
	dbOpen         = prometheus.NewDesc("lapak_db_connections_open", "Open connections of the pool.", []string{"pool"}, nil)
	dbInUse        = prometheus.NewDesc("lapak_db_connections_in_use", "Connections of the pool in use.", []string{"pool"}, nil)
	dbIdle         = prometheus.NewDesc("lapak_db_connections_idle", "Idle connections of the pool.", []string{"pool"}, nil)
)

func (c dbPoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dbWaitCount, dbWaitDuration, dbOpen, dbInUse, dbIdle} {
		ch <- d
	}
}

func (c dbPoolCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	pools := make(map[string]func() sql.DBStats, len(c.m.pools))
	for k, v := range c.m.pools {
		pools[k] = v
	}
	c.m.mu.Unlock()
	for name, f := range pools {
		s := f()
		ch <- prometheus.MustNewConstMetric(dbWaitCount, prometheus.CounterValue, float64(s.WaitCount), name)
		ch <- prometheus.MustNewConstMetric(dbWaitDuration, prometheus.CounterValue, s.WaitDuration.Seconds(), name)
		ch <- prometheus.MustNewConstMetric(dbOpen, prometheus.GaugeValue, float64(s.OpenConnections), name)
		ch <- prometheus.MustNewConstMetric(dbInUse, prometheus.GaugeValue, float64(s.InUse), name)
		ch <- prometheus.MustNewConstMetric(dbIdle, prometheus.GaugeValue, float64(s.Idle), name)
	}
}

// ObserveCall implements netzme.Observer: one HTTP attempt to Netzme.
func (m *metrics) ObserveCall(_ context.Context, c netzme.Call) {
	code := c.ResponseCode
	switch {
	case code != "":
	case c.HTTPStatus != 0:
		code = "http_" + strconv.Itoa(c.HTTPStatus)
	default:
		code = "transport_error"
	}
	m.netzmeCalls.WithLabelValues(string(c.Endpoint), code).Inc()
	m.netzmeLatency.WithLabelValues(string(c.Endpoint)).Observe(c.Latency.Seconds())
}

// observers fans one Netzme call out to several observers, in order.
type observers []netzme.Observer

func (o observers) ObserveCall(ctx context.Context, c netzme.Call) {
	for _, x := range o {
		x.ObserveCall(ctx, c)
	}
}

// callbackPrefix is where Netzme's callbacks arrive (handlers.callbackRoutes).
const callbackPrefix = "/callbacks/netzme/"

// instrument wraps the application's router: it times every request under
// the chi route pattern that served it and counts Netzme's callbacks. The
// router's route context is created here, before chi would, so that the
// pattern can be read once the request is done (chi reuses a context it
// finds in the request).
func (m *metrics) instrument(next http.Handler) http.Handler {
	routes, _ := next.(chi.Routes)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rctx := chi.NewRouteContext()
		rctx.Routes = routes
		r = r.WithContext(context.WithValue(r.Context(), chi.RouteCtxKey, rctx))
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(sw, r)
		route := rctx.RoutePattern()
		if route == "" {
			route = "unmatched"
		}
		code := strconv.Itoa(sw.code)
		m.requests.WithLabelValues(route, r.Method, code).Observe(time.Since(start).Seconds())
		if kind, ok := strings.CutPrefix(r.URL.Path, callbackPrefix); ok && r.Method == http.MethodPost && route != "unmatched" {
			m.callbacks.WithLabelValues(strings.ReplaceAll(kind, "-", "_"), code).Inc()
		}
	})
}

// statusWriter remembers the status code written; Flush and Unwrap keep
// streaming responses (CSV exports) and http.ResponseController working.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
