package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // read the seeded database's open invoices
)

// sample is the outcome of one batch of requests.
type sample struct {
	n        int             // requests answered as expected
	errs     int             // requests that failed (transport error or unexpected status)
	firstErr string          // the first failure, for the table's notes
	lat      []time.Duration // per answered request
	elapsed  time.Duration
	cpu      time.Duration // CPU time the server process used meanwhile (0: not measured)
}

func (s *sample) add(o sample) {
	s.n += o.n
	s.errs += o.errs
	if s.firstErr == "" {
		s.firstErr = o.firstErr
	}
	s.lat = append(s.lat, o.lat...)
}

// rate is answered requests per second.
func (s sample) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.n) / s.elapsed.Seconds()
}

// cpuPerReq is the server's CPU time per answered request (0 when not
// measured).
func (s sample) cpuPerReq() time.Duration {
	if s.n == 0 {
		return 0
	}
	return s.cpu / time.Duration(s.n)
}

// cpuTime is the CPU time (user and system, every thread) process pid has
// used, from /proc/<pid>/stat, whose times are in USER_HZ ticks (100 a
// second on Linux).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14 and stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / 100), nil
}

// pct is the q-quantile (0..1) latency, nearest rank.
func (s sample) pct(q float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	l := slices.Clone(s.lat)
	slices.Sort(l)
	i := int(q*float64(len(l))+0.5) - 1
	return l[min(max(i, 0), len(l)-1)]
}

// closedLoop runs workers that each send one request after the other until
// dur has passed or max requests were sent in all.
func closedLoop(ctx context.Context, workers int, dur time.Duration, maxReq int, do func(ctx context.Context) error) sample {
	// Requests still in flight when dur ends may finish (the HTTP client's
	// one-minute timeout is theirs); nothing can hold the run longer.
	ctx, cancel := context.WithTimeout(ctx, dur+90*time.Second)
	defer cancel()
	var sent atomic.Int64
	var mu sync.Mutex
	var total sample
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s sample
			for time.Since(start) < dur && ctx.Err() == nil && sent.Add(1) <= int64(maxReq) {
				t0 := time.Now()
				if err := do(ctx); err != nil {
					s.errs++
					if s.firstErr == "" {
						s.firstErr = err.Error()
					}
					continue
				}
				s.n++
				s.lat = append(s.lat, time.Since(t0))
			}
			mu.Lock()
			total.add(s)
			mu.Unlock()
		}()
	}
	wg.Wait()
	total.elapsed = time.Since(start)
	return total
}

// transport is shared by every client of the run: keep-alive connections
// to loopback, enough of them for the highest concurrency.
var transport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute, DisableCompression: true}

var httpClient = &http.Client{Transport: transport, Timeout: time.Minute}

// ingest sends distinct invoice callbacks at concurrency c to the server
// process pid, and measures the CPU time the server used for them (a
// figure the machine's other load does not change much, unlike req/s).
func ingest(ctx context.Context, pid, c int, dur time.Duration, maxReq int, send func(ctx context.Context) error) sample {
	before, err := cpuTime(pid)
	s := closedLoop(ctx, c, dur, maxReq, send)
	if after, err2 := cpuTime(pid); err == nil && err2 == nil {
		s.cpu = after - before
	}
	return s
}

// postJSON posts body and expects 200.
func postJSON(ctx context.Context, url string, body []byte, header map[string]string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %d %s", req.URL.Path, res.StatusCode, bytes.TrimSpace(b))
	}
	return nil
}

// lapakCallback sends the next open invoice's payment callback (spec
// §3.15) to Lapak, as Netzme would.
func lapakCallback(base string, f *feed) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		p, ok := f.take()
		if !ok {
			return fmt.Errorf("no open invoice left to pay")
		}
		return postJSON(ctx, base+"/callbacks/netzme/invoice", callbackBody(p, time.Now()),
			map[string]string{"x-callback-token": callbackToken})
	}
}

// baselineCallback sends a callback of the same shape and size to the
// baseline.
func baselineCallback(url string) func(ctx context.Context) error {
	var seq atomic.Int64
	return func(ctx context.Context) error {
		n := seq.Add(1)
		p := pendingInvoice{trxID: fmt.Sprintf("%032x", rand.Uint64()), ref: "LPK20260101000000" + fmt.Sprintf("%08X", n),
			custID: "M_baseline", invoiceID: "NETZ-INV-M_baseline" + strconv.FormatInt(n, 10), method: "QRIS",
			feeType: "on_seller", amountMinor: 2_500_000}
		return postJSON(ctx, url+"/callback", callbackBody(p, time.Now()), nil)
	}
}

// pendingInvoice is an open invoice of the seeded database.
type pendingInvoice struct {
	trxID, ref, custID, invoiceID, method, feeType string
	amountMinor                                    int64
}

// feed hands out each open invoice once.
type feed struct {
	mu    sync.Mutex
	items []pendingInvoice
}

func (f *feed) take() (pendingInvoice, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.items) == 0 {
		return pendingInvoice{}, false
	}
	p := f.items[len(f.items)-1]
	f.items = f.items[:len(f.items)-1]
	return p, true
}

func (f *feed) left() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.items)
}

// loadPending reads the open invoices still payable at now, in random
// order (callbacks do not arrive in creation order).
func loadPending(ctx context.Context, path string, now time.Time) (*feed, error) {
	d, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	rows, err := d.QueryContext(ctx, `SELECT i.netzme_trx_id, i.partner_reference_no, m.netzme_cust_id, i.netzme_invoice_id,
		i.method, i.fee_type, i.amount_minor FROM invoices i JOIN merchants m ON m.id = i.merchant_id
		WHERE i.status = 'pending' AND i.netzme_trx_id <> '' AND i.expires_at > ?`,
		now.Add(time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z"))
	if err != nil {
		return nil, fmt.Errorf("open invoices: %w", err)
	}
	defer rows.Close()
	f := &feed{}
	for rows.Next() {
		var p pendingInvoice
		if err := rows.Scan(&p.trxID, &p.ref, &p.custID, &p.invoiceID, &p.method, &p.feeType, &p.amountMinor); err != nil {
			return nil, err
		}
		f.items = append(f.items, p)
	}
	rand.Shuffle(len(f.items), func(i, j int) { f.items[i], f.items[j] = f.items[j], f.items[i] })
	return f, rows.Err()
}

// mdrBasisPoints is the sandbox's MDR (0.7 %).
const mdrBasisPoints = 70

type wireAmount struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
}

func idr(minor int64) wireAmount {
	return wireAmount{strconv.FormatInt(minor/100, 10) + "." + fmt.Sprintf("%02d", minor%100), "IDR"}
}

// callbackBody is the Payment Success Callback (Invoice) of spec §3.15, the
// shape of its Example 2, for paying p in full at at.
func callbackBody(p pendingInvoice, at time.Time) []byte {
	fee := (p.amountMinor*mdrBasisPoints + 5000) / 10000
	paid, net := p.amountMinor, p.amountMinor-fee
	if p.feeType == "on_buyer" {
		paid, net = p.amountMinor+fee, p.amountMinor
	}
	jakarta := time.FixedZone("WIB", 7*3600)
	b, _ := json.Marshal(map[string]any{
		"originalReferenceNo":        p.trxID,
		"originalPartnerReferenceNo": p.ref,
		"latestTransactionStatus":    "00",
		"transactionStatusDesc":      "Success",
		"amount":                     idr(paid),
		"netAmount":                  idr(net),
		"feeAmount":                  idr(fee),
		"additionalInfo": map[string]any{
			"custIdMerchant": p.custID,
			"paymentTime":    at.In(jakarta).Format("2006-01-02T15:04:05.000-07:00"),
			"paymentMethod":  p.method,
			"invoiceId":      p.invoiceID,
		},
		"isSplitfee": false,
		"splitFees":  []any{},
	})
	return b
}
