package money_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"lapak/db"
	"lapak/money"
	"lapak/netzme"
	"lapak/netzme/sandbox"
	"lapak/snap"
)

// pagesAsked lists the pageNumber of every §3.4 (or §3.25) call the sandbox
// received, in order.
func pagesAsked(e *env, ep netzme.Endpoint) []string {
	var out []string
	for _, r := range e.sb.Sandbox.Requests() {
		if r.Endpoint != string(ep) {
			continue
		}
		var b struct {
			PageNumber string `json:"pageNumber"`
		}
		json.Unmarshal(r.RequestBody, &b)
		out = append(out, b.PageNumber)
	}
	return out
}

// stopAtPage is a transport that fails (as a killed process would never
// send) the first request for §3.4 page n, after cancelling the sync.
type stopAtPage struct {
	page   string
	cancel context.CancelFunc
	done   bool
}

func (s *stopAtPage) RoundTrip(r *http.Request) (*http.Response, error) {
	if !s.done && r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		if strings.Contains(string(b), `"pageNumber":"`+s.page+`"`) && strings.Contains(r.URL.Path, "transaction") {
			s.done = true
			s.cancel()
			return nil, context.Canceled
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestStatementSyncResumesWithoutDuplicates: 23 static-QRIS payments and a
// deposit top-up on the sandbox are read page by page (10 a page, §3.4 and
// §3.25) with each entry kept raw; a sync killed before page 3 resumes at
// page 3; a second pass stores nothing twice.
func TestStatementSyncResumesWithoutDuplicates(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	for i := range 23 {
		if _, err := e.sb.Sandbox.PayStaticQRIS(ctx, e.merchant.NetzmeCustID, int64(1_000_000+i*100)); err != nil {
			t.Fatal(err)
		}
	}
	top, err := e.svc.CreateInvoice(ctx, e.actor, money.InvoiceInput{Purpose: money.PurposeTopup, AmountMinor: 5_000_000, Method: netzme.PayQRIS})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sb.Sandbox.PayInvoice(ctx, top.Invoice.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	today := e.clock().In(snap.Jakarta)
	day := today.Format(time.DateOnly)

	// The sync is killed as it is about to ask for page 3.
	killCtx, kill := context.WithCancel(ctx)
	cfg := e.sb.Config()
	cfg.HTTPClient = &http.Client{Transport: &stopAtPage{page: "3", cancel: kill}, Timeout: 5 * time.Second}
	nz, err := netzme.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	killed := money.New(money.Deps{DB: e.db, Netzme: nz, Now: e.clock})
	r, err := killed.SyncStatement(killCtx, e.merchant.ID, today, today)
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.db.StatementDay(ctx, e.merchant.ID, db.SourceSales, day)
	if err != nil {
		t.Fatal(err)
	}
	if r.Lines != 20 || st.State != "pending" || st.NextPage != 3 || st.Lines != 20 {
		t.Fatalf("killed sync: report %+v, day %+v; want 20 lines stored and the cursor at page 3", r, st)
	}

	// The next pass resumes at page 3 and finishes both sources.
	r, err = e.svc.SyncStatement(ctx, e.merchant.ID, today, today)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(pagesAsked(e, netzme.EndpointTransactionList), " "); got != "1 2 3 4" {
		t.Errorf("§3.4 pages asked %q, want 1 2 (killed) then 3 4 (resumed)", got)
	}
	if r.Lines != 3+1 || r.Days != 1 || r.Done != 1 || r.Failed != 0 {
		t.Errorf("resumed sync: %+v, want 3 sales lines and 1 deposit line, the day done", r)
	}
	lines, err := e.db.StatementLines(ctx, e.merchant.ID, day)
	if err != nil {
		t.Fatal(err)
	}
	sales, deposit := 0, 0
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[string(l.Source)+l.NetzmeID] {
			t.Errorf("line %s stored twice", l.NetzmeID)
		}
		seen[string(l.Source)+l.NetzmeID] = true
		var raw map[string]any
		if err := json.Unmarshal([]byte(l.Raw), &raw); err != nil || raw["additionalInfo"] == nil {
			t.Errorf("line %s raw %q: not the entry Netzme sent", l.NetzmeID, l.Raw)
		}
		if l.Source == db.SourceSales {
			sales++
		} else {
			deposit++
		}
	}
	if sales != 23 || deposit != 1 {
		t.Errorf("stored %d sales and %d deposit lines, want 23 and 1", sales, deposit)
	}

	// Today is re-read (late lines), and nothing is stored twice.
	r, err = e.svc.SyncStatement(ctx, e.merchant.ID, today, today)
	if err != nil || r.Lines != 24 || r.NewLines != 0 {
		t.Errorf("re-read: %+v %v, want 24 lines read, none new", r, err)
	}
	if again, _ := e.db.StatementLines(ctx, e.merchant.ID, day); len(again) != 24 {
		t.Errorf("%d stored lines after the re-read, want 24", len(again))
	}
}

// TestStatementSyncBacksOffAfterAFault: Netzme failing a day is recorded on
// the day with the error; the day waits for its back-off, other days go on
// when the answer was clear, and the day is read once the wait is over.
func TestStatementSyncBacksOffAfterAFault(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	for i := range 4 {
		if _, err := e.sb.Sandbox.PayStaticQRIS(ctx, e.merchant.NetzmeCustID, int64(2_000_000+i)); err != nil {
			t.Fatal(err)
		}
	}
	today := e.clock().In(snap.Jakarta)
	day := today.Format(time.DateOnly)
	e.sb.Sandbox.InjectFault(string(netzme.EndpointTransactionList), sandbox.Fault{Kind: sandbox.Fault500})
	r, err := e.svc.SyncStatement(ctx, e.merchant.ID, today.AddDate(0, 0, -1), today)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := e.db.StatementDay(ctx, e.merchant.ID, db.SourceSales, today.AddDate(0, 0, -1).Format(time.DateOnly))
	if r.Failed != 1 || st.State != "failed" || st.Attempts != 1 || !strings.Contains(st.LastError, "page 1") ||
		!st.RetryAt.After(e.clock()) {
		t.Fatalf("after the fault: report %+v, day %+v", r, st)
	}
	if !r.Stopped {
		t.Errorf("a 500 without a clear answer should stop the pass: %+v", r)
	}

	// Straight away: the failed day waits; the rest is read.
	r, err = e.svc.SyncStatement(ctx, e.merchant.ID, today.AddDate(0, 0, -1), today)
	if err != nil {
		t.Fatal(err)
	}
	if r.Failed != 1 || r.Done != 1 || r.Lines != 4 {
		t.Errorf("during the back-off: %+v, want the failed day skipped and 4 lines of today read", r)
	}
	// After the back-off the day is read.
	e.advance(2 * time.Minute)
	r, err = e.svc.SyncStatement(ctx, e.merchant.ID, today.AddDate(0, 0, -1), today)
	if err != nil || r.Failed != 0 || r.Done != 2 {
		t.Errorf("after the back-off: %+v %v", r, err)
	}
	if lines, _ := e.db.StatementLines(ctx, e.merchant.ID, day); len(lines) != 4 {
		t.Errorf("%d lines for today, want 4", len(lines))
	}
	// The failed call is on record for the merchant.
	calls, err := e.db.APICalls(ctx, e.merchant.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, c := range calls {
		if c.Endpoint == string(netzme.EndpointTransactionList) && c.HTTPStatus == http.StatusInternalServerError {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d failed §3.4 calls on record, want 1", failed)
	}
	if _, err := e.svc.SyncStatement(ctx, e.merchant.ID+99, today, today); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("unknown merchant: %v", err)
	}
}
