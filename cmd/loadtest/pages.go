package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"

	"lapak/db"
)

// The pages the load test measures, in one place. The lists are moving to
// keyset paging (issue 11 §3): when they do, only lastPage below needs to
// learn the new way to the oldest rows.

// pageProbe is one page measured at both database sizes.
type pageProbe struct {
	name string
	path func(ctx context.Context, e *probeEnv) (string, error)
}

func fixed(p string) func(context.Context, *probeEnv) (string, error) {
	return func(context.Context, *probeEnv) (string, error) { return p, nil }
}

// Probe names used by the report (the rows of the table).
const (
	probeInvoicesFirst = "Invoices, first page"
	probeInvoicesLast  = "Invoices, last page"
	probeInvoicesPaid  = "Invoices, filter status=paid"
	probeInvoicesFind  = "Invoices, search a name"
	probeDashboard     = "Dashboard"
	probeNotifFirst    = "Notifications, first page"
	probeNotifLast     = "Notifications, last page"
	probeAuditFirst    = "Audit log, first page"
	probeAuditLast     = "Audit log, last page"
	probeHistory       = "History (the books), this month"
	probeHistoryLast   = "History, last page"
	probeHistoryFind   = "History, search a name"
	probeRecon         = "Reconciliation, first page"
)

var pageProbes = []pageProbe{
	{probeInvoicesFirst, fixed("/invoices")},
	{probeInvoicesLast, lastPage("/invoices", "invoices", `SELECT created_at, id FROM invoices WHERE merchant_id = ?
		ORDER BY created_at, id LIMIT 1 OFFSET ?`, 25)},
	{probeInvoicesPaid, fixed("/invoices?status=paid")},
	{probeInvoicesFind, fixed("/invoices?q=Santoso")}, // a surname the seed gives ~1 buyer in 30
	{probeDashboard, fixed("/")},
	{probeNotifFirst, fixed("/notifications")},
	{probeNotifLast, lastPage("/notifications", "callbacks", `SELECT received_at, id FROM callbacks WHERE merchant_id = ?
		ORDER BY received_at, id LIMIT 1 OFFSET ?`, 50)},
	{probeAuditFirst, fixed("/audit")},
	{probeAuditLast, lastPage("/audit", "audit", `SELECT '', id FROM audit_log WHERE merchant_id = ?
		ORDER BY id LIMIT 1 OFFSET ?`, 50)},
	// The history reads the journal (issue 12 §5); its last page is the
	// oldest of this month's; reconciliation's first page runs its
	// bounded catching-up pass first.
	{probeHistory, fixed("/history")},
	{probeHistoryLast, historyLastPage},
	{probeHistoryFind, fixed("/history?q=Santoso")},
	{probeRecon, fixed("/reconciliation")},
}

// historyLastPage is the oldest page of the history's default range (this
// month, Jakarta), built as lastPage builds the others'.
func historyLastPage(ctx context.Context, e *probeEnv) (string, error) {
	jakarta := time.FixedZone("WIB", 7*3600)
	now := time.Now().In(jakarta)
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, jakarta).UTC().Format("2006-01-02T15:04:05.000000Z")
	return lastPage("/history", "history", `SELECT occurred_at, id FROM ledger_transactions WHERE merchant_id = ?
		AND occurred_at >= '`+from+`' AND kind NOT IN ('withdrawal_succeeded', 'withdrawal_failed',
		'deposit_withdrawal_succeeded', 'deposit_withdrawal_failed') ORDER BY occurred_at, id LIMIT 1 OFFSET ?`, 50)(ctx, e)
}

// lastPage is the URL of a list's oldest page: the keyset lists have no
// page numbers, and walking "Berikutnya" through a million rows is not a
// probe, so it builds the cursor the list's own "Berikutnya" link would
// carry on the page before the last: the position of the row pageSize rows
// from the oldest (posSQL, given the merchant, returns its sort key as
// stored — "" for lists ordered by id alone — and its id), encoded for the
// list named list as db encodes it. The page it opens holds the oldest
// rows, read by the same keyset seek as any other.
func lastPage(path, list, posSQL string, pageSize int) func(context.Context, *probeEnv) (string, error) {
	return func(ctx context.Context, e *probeEnv) (string, error) {
		var c db.Cursor
		err := e.raw.QueryRowContext(ctx, posSQL, e.merchantID, pageSize).Scan(&c.Key, &c.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return path, nil // one page only: the first is the last
		} else if err != nil {
			return "", fmt.Errorf("last page of %s: %w", path, err)
		}
		return path + "?cursor=" + url.QueryEscape(c.Encode(list)), nil
	}
}

// probeEnv is a running Lapak, a signed-in owner and a read-only view of
// its database (for row counts).
type probeEnv struct {
	base       string
	client     *http.Client
	raw        *sql.DB
	merchantID int64
}

func newProbeEnv(ctx context.Context, app *appProc, path string) (*probeEnv, error) {
	c, err := login(ctx, app.base)
	if err != nil {
		return nil, err
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	e := &probeEnv{base: app.base, client: c, raw: raw}
	// The owner's first shop is the one the session starts on.
	err = raw.QueryRowContext(ctx, `SELECT m.merchant_id FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE u.email = ? ORDER BY m.merchant_id LIMIT 1`, ownerEmail).Scan(&e.merchantID)
	return e, err
}

// login signs in through the form and returns a client with the session.
func login(ctx context.Context, base string) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: transport, Jar: jar, Timeout: time.Minute}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/login",
		strings.NewReader(url.Values{"email": {ownerEmail}, "password": {ownerPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.Request.URL.Path != "/" || res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("sign in as %s: ended on %s with %d", ownerEmail, res.Request.URL.Path, res.StatusCode)
	}
	return c, nil
}

// get fetches path and expects 200.
func (e *probeEnv) get(ctx context.Context, c *http.Client, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+path, nil)
	if err != nil {
		return nil, err
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d", path, res.StatusCode)
	}
	if res.Request.URL.Path == "/login" {
		return nil, fmt.Errorf("GET %s: sent to the login page", path)
	}
	return b, nil
}

// probe requests one page reps times in a row (after one unmeasured
// request), within limit but at least 3 times.
func (e *probeEnv) probe(ctx context.Context, p pageProbe, reps int, limit time.Duration) (sample, error) {
	path, err := p.path(ctx, e)
	if err != nil {
		return sample{}, err
	}
	var s sample
	if _, err := e.get(ctx, e.client, path); err != nil {
		s.errs++
		s.firstErr = err.Error()
	}
	start := time.Now()
	for i := 0; i < reps && (i < 3 || time.Since(start) < limit); i++ {
		t0 := time.Now()
		if _, err := e.get(ctx, e.client, path); err != nil {
			s.errs++
			if s.firstErr == "" {
				s.firstErr = err.Error()
			}
			continue
		}
		s.n++
		s.lat = append(s.lat, time.Since(t0))
	}
	s.elapsed = time.Since(start)
	return s, nil
}

// clients signs in n owners and has each load the dashboard and the
// invoice list in turn for dur; every page is one request of the sample.
func (e *probeEnv) clients(ctx context.Context, n int, dur time.Duration) (sample, error) {
	cs := make([]*http.Client, n)
	for i := range cs {
		c, err := login(ctx, e.base)
		if err != nil {
			return sample{}, err
		}
		cs[i] = c
	}
	var next sync.Mutex
	i := 0
	return closedLoop(ctx, n, dur, 1<<30, func(ctx context.Context) error {
		next.Lock()
		c, path := cs[i%n], []string{"/", "/invoices"}[(i/n)%2]
		i++
		next.Unlock()
		_, err := e.get(ctx, c, path)
		return err
	}), nil
}

// exportResult is one streamed /invoices.csv.
type exportResult struct {
	rows      int
	took      time.Duration
	firstByte time.Duration
	peakRSS   int64 // VmHWM during the export; 0 = not measurable
	rssBefore int64 // VmRSS just before it
	rssNote   string
	during    duringExport
}

func (x exportResult) rate() float64 {
	if x.took <= 0 {
		return 0
	}
	return float64(x.rows) / x.took.Seconds()
}

// export streams /invoices.csv and counts its rows.
func (e *probeEnv) export(ctx context.Context) (exportResult, error) {
	var x exportResult
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"/invoices.csv", nil)
	if err != nil {
		return x, err
	}
	c := *e.client
	c.Timeout = 0 // bounded by ctx
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		return x, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		return x, fmt.Errorf("GET /invoices.csv: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	buf := make([]byte, 256<<10)
	lines := 0
	for {
		n, err := res.Body.Read(buf)
		if n > 0 && x.firstByte == 0 {
			x.firstByte = time.Since(start)
		}
		lines += bytes.Count(buf[:n], []byte{'\n'})
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return x, err
		}
	}
	x.took = time.Since(start)
	x.rows = max(lines-1, 0) // less the header
	return x, nil
}

// exportAlone measures the export with nothing else running, and the
// process's peak memory while it streams.
func (e *probeEnv) exportAlone(ctx context.Context, app *appProc) (exportResult, error) {
	before, _, _ := app.memory()
	resetErr := app.resetPeak()
	x, err := e.export(ctx)
	x.rssBefore = before
	if err != nil {
		return x, err
	}
	if _, peak, err := app.memory(); err == nil {
		x.peakRSS = peak
		if resetErr != nil {
			x.rssNote = "peak since start (clear_refs: " + resetErr.Error() + ")"
		}
	}
	return x, nil
}

// duringExport is what answered while an export streamed.
type duringExport struct {
	health, callbacks sample
	exportTook        time.Duration
}

// exportUnderProbes streams the export again while one client polls
// /healthz and another sends payment callbacks, one after the other, every
// 20 ms; each sends at least one request, however short the export.
func (e *probeEnv) exportUnderProbes(ctx context.Context, f *feed) (duringExport, error) {
	var d duringExport
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		x, err := e.export(ctx)
		d.exportTook = x.took
		close(stop)
		done <- err
	}()
	var wg sync.WaitGroup
	poll := func(s *sample, do func(context.Context) error) {
		defer wg.Done()
		start := time.Now()
		for {
			t0 := time.Now()
			if err := do(ctx); err != nil {
				s.errs++
				if s.firstErr == "" {
					s.firstErr = err.Error()
				}
			} else {
				s.n++
				s.lat = append(s.lat, time.Since(t0))
			}
			select {
			case <-stop:
				s.elapsed = time.Since(start)
				return
			case <-ctx.Done():
				s.elapsed = time.Since(start)
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	wg.Add(2)
	go poll(&d.health, func(ctx context.Context) error {
		_, err := e.get(ctx, httpClient, "/healthz")
		return err
	})
	go poll(&d.callbacks, lapakCallback(e.base, f))
	err := <-done
	wg.Wait()
	return d, err
}
