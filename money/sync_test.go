package money_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
	"lapak/money"
	"lapak/netzme"
	"lapak/netzme/sandbox"
	"lapak/netzme/sandbox/sandboxtest"
	"lapak/snap"
)

// settable is the one clock of a sync test — database, money, Netzme client
// and sandbox — moved on by the test (days pass between syncs).
type settable struct {
	mu sync.Mutex
	t  time.Time
}

func (c *settable) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *settable) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncEnv is a Service over HTTP to a sandbox whose demo merchant is linked.
type syncEnv struct {
	svc   *money.Service
	db    *db.DB
	sb    *sandboxtest.Server
	clock *settable
	m     db.Merchant
	actor money.Actor
	today time.Time // Jakarta midnight of the clock's day
	cfg   netzme.Config
	opts  money.SyncOptions
	// listCalls counts §3.4/§3.25 requests that left the client; onList,
	// when set, runs after each one is answered.
	listCalls atomic.Int64
	onList    func(n int64)
}

// fastSync retries after milliseconds, not seconds, and reads one day at a
// time so that a test can say which call comes when.
var fastSync = money.SyncOptions{BackoffBase: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond, Attempts: 4, DayWorkers: 1}

func newSyncEnv(t testing.TB, pageSize int, opts ...func(*money.SyncOptions)) *syncEnv {
	t.Helper()
	e := &syncEnv{clock: &settable{t: clocktest.Base(t)}, opts: fastSync}
	for _, f := range opts {
		f(&e.opts)
	}
	e.sb = sandboxtest.NewServer(t, func(o *sandbox.Options) {
		o.Now, o.HistoryPageSize, o.WithdrawSettleDelay = e.clock.Now, pageSize, -1
	})
	e.db = dbtest.New(t, e.clock.Now)
	e.cfg = e.sb.Config()
	e.cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second, Transport: countLists{e}}
	e.cfg.Observer = money.Recorder{DB: e.db, Now: e.clock.Now}
	demo := e.sb.Sandbox.DemoMerchant()
	var err error
	if e.m, err = e.db.CreateMerchant(t.Context(), db.NewMerchant{Name: demo.Name, NetzmeCustID: demo.CustID}); err != nil {
		t.Fatal(err)
	}
	e.actor = money.Actor{MerchantID: e.m.ID, UserID: 0}
	e.today = jakartaMidnight(e.clock.Now())
	e.svc = e.service(t)
	return e
}

// service builds a Service on the env's database and sandbox: a second one
// is "the process after a restart".
func (e *syncEnv) service(t testing.TB) *money.Service {
	t.Helper()
	nz, err := netzme.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return money.New(money.Deps{DB: e.db, Netzme: nz, Now: e.clock.Now, StatementSync: e.opts})
}

type countLists struct{ e *syncEnv }

func (c countLists) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	if strings.Contains(r.URL.Path, "history-list") {
		n := c.e.listCalls.Add(1)
		if f := c.e.onList; f != nil {
			f(n)
		}
	}
	return res, err
}

func jakartaMidnight(t time.Time) time.Time {
	j := t.In(snap.Jakarta)
	return time.Date(j.Year(), j.Month(), j.Day(), 0, 0, 0, 0, snap.Jakarta)
}

// seedDays gives the sandbox n sales lines (invoice payments and static
// QRIS) and 2 deposit lines on each day before today, back to days ago.
func (e *syncEnv) seedDays(t *testing.T, days, n int) []sandbox.Movement {
	t.Helper()
	var ms []sandbox.Movement
	for d := days; d >= 1; d-- {
		day := e.today.AddDate(0, 0, -d)
		for i := range n {
			k := sandbox.MoveStaticQRIS
			if i%2 == 0 {
				k = sandbox.MoveInvoicePayment
			}
			amount := int64(1_000_000 + 100*i)
			ms = append(ms, sandbox.Movement{Kind: k, At: day.Add(8*time.Hour + time.Duration(i)*7*time.Minute), AmountMinor: amount, FeeMinor: e.sb.Sandbox.MDR(amount)})
		}
		ms = append(ms,
			sandbox.Movement{Kind: sandbox.MoveTopup, At: day.Add(7 * time.Hour), AmountMinor: 5_000_000, PayMethod: "VA_BCA"},
			sandbox.Movement{Kind: sandbox.MoveSplitFee, At: day.Add(20 * time.Hour), AmountMinor: 1_000_000, FeeMinor: 10_000})
	}
	if err := e.sb.Sandbox.SeedHistory(t.Context(), e.m.NetzmeCustID, ms); err != nil {
		t.Fatal(err)
	}
	return ms
}

func (e *syncEnv) lines(t testing.TB, from, to time.Time) []db.StatementLine {
	t.Helper()
	ls, err := e.db.StatementLines(t.Context(), e.m.ID, from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func (e *syncEnv) current(t testing.TB) db.SyncRun {
	t.Helper()
	r, err := e.db.CurrentSyncRun(t.Context(), e.m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// listRequests returns the (list, day, page) of every transaction-list
// request the sandbox received.
func (e *syncEnv) listRequests(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, r := range e.sb.Sandbox.Requests() {
		if r.Endpoint != string(netzme.EndpointTransactionList) && r.Endpoint != string(netzme.EndpointDepositTransactions) {
			continue
		}
		var body struct {
			PageNumber, FromDateTime string
		}
		if err := json.Unmarshal(r.RequestBody, &body); err != nil {
			t.Fatal(err)
		}
		out = append(out, r.Endpoint+" "+body.FromDateTime[:10]+" p"+body.PageNumber)
	}
	return out
}

func TestSyncRecordsEveryLineOnceAndSkipsFinalDays(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t, 3)
	seeded := e.seedDays(t, 6, 7)
	ctx := t.Context()
	from := e.today.AddDate(0, 0, -6)
	if err := e.svc.SyncStatements(ctx, e.actor, from, e.today); err != nil {
		t.Fatal(err)
	}
	lines := e.lines(t, from, e.today)
	if len(lines) != len(seeded) {
		t.Fatalf("%d lines stored, want the %d Netzme holds", len(lines), len(seeded))
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l.NetzmeID] || l.Version != 1 {
			t.Errorf("line %s stored twice or as version %d", l.NetzmeID, l.Version)
		}
		seen[l.NetzmeID] = true
		var raw map[string]any
		if err := json.Unmarshal([]byte(l.Raw), &raw); err != nil || raw["additionalInfo"].(map[string]any)["transactionId"] != l.NetzmeID {
			t.Errorf("raw JSON of %s not kept: %s", l.NetzmeID, l.Raw)
		}
		if l.OccurredAt.IsZero() || l.Day != l.OccurredAt.In(snap.Jakarta).Format(time.DateOnly) {
			t.Errorf("line %s listed under %s, occurred %v", l.NetzmeID, l.Day, l.OccurredAt)
		}
	}
	for _, mv := range seeded {
		id := mv.TrxID
		switch mv.Kind {
		case sandbox.MoveStaticQRIS:
			id = mv.ReferenceID
		case sandbox.MoveSplitFee:
			id = mv.PartnerReferenceNo
		}
		if !seen[id] {
			t.Errorf("%s %s at %v missing", mv.Kind, id, mv.At)
		}
	}
	run := e.current(t)
	if run.Status != db.SyncDone || run.DaysTotal != 7 || run.DaysDone != 7 || run.Lines != len(seeded) || run.NewLines != len(seeded) {
		t.Errorf("run = %+v", run)
	}
	// Every call is on record for the merchant; a page's lines are kept
	// once (in statement_lines), not again whole in api_calls.
	calls, err := e.db.APICalls(ctx, e.m.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	lists, truncated := 0, 0
	for _, c := range calls {
		if c.Endpoint != string(netzme.EndpointTransactionList) && c.Endpoint != string(netzme.EndpointDepositTransactions) {
			continue
		}
		lists++
		if strings.Contains(c.ResponseBody, "kept in statement_lines") {
			truncated++
		}
		if len(c.ResponseBody) > 2200 || (len(c.ResponseBody) > 2048 && !strings.Contains(c.ResponseBody, "kept in statement_lines")) {
			t.Errorf("api_calls keeps a %d-byte list answer", len(c.ResponseBody))
		}
	}
	if lists != run.Calls || truncated == 0 {
		t.Errorf("%d list calls on record (%d cut short), the run made %d", lists, truncated, run.Calls)
	}

	// A sync a minute later asks only the days still open to late lines
	// (the last three and today); it finds nothing new.
	e.clock.Add(time.Minute)
	before := len(e.listRequests(t))
	if err := e.svc.SyncStatements(ctx, e.actor, from, e.today); err != nil {
		t.Fatal(err)
	}
	asked := map[string]bool{}
	for _, r := range e.listRequests(t)[before:] {
		asked[strings.Fields(r)[1]] = true
	}
	for d := 6; d >= 0; d-- {
		day := e.today.AddDate(0, 0, -d).Format(time.DateOnly)
		if want := d <= 3; asked[day] != want {
			t.Errorf("day -%d (%s) asked again = %v, want %v", d, day, asked[day], want)
		}
	}
	if got := len(e.lines(t, from, e.today)); got != len(seeded) {
		t.Errorf("after a re-read: %d lines, want %d", got, len(seeded))
	}
	run = e.current(t)
	if run.Status != db.SyncDone || run.DaysDone != 7 || run.NewLines != 0 {
		t.Errorf("re-read run = %+v", run)
	}
}

func TestSyncResumesAfterAKill(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t, 3)
	seeded := e.seedDays(t, 5, 7) // per day: 3 sales pages + the empty one, 1 deposit page + the empty one
	from, to := e.today.AddDate(0, 0, -5), e.today.AddDate(0, 0, -1)
	ctx, kill := context.WithCancel(t.Context())
	e.onList = func(n int64) {
		if n == 7 { // day 2, first sales page (day 1: 4 sales and 2 deposit pages)
			kill()
		}
	}
	err := e.svc.SyncStatements(ctx, e.actor, from, to)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("killed sync returned %v", err)
	}
	e.onList = nil
	run := e.current(t)
	if run.Status != db.SyncRunning || run.DaysDone != 1 {
		t.Fatalf("killed run = %+v, want running with one day done", run)
	}
	stored := len(e.lines(t, from, to))
	if stored != 9+3 { // day 1 whole, and the page answered when the kill came
		t.Errorf("%d lines before the restart, want 12", stored)
	}

	// The process after the restart: its runner resumes the run.
	e.clock.Add(time.Second)
	restarted := e.service(t)
	rctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); restarted.RunStatementSync(rctx, time.Hour) }()
	deadline := time.Now().Add(10 * time.Second)
	for e.current(t).Status != db.SyncDone {
		if time.Now().After(deadline) {
			t.Fatalf("resumed run not done: %+v", e.current(t))
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done

	run = e.current(t)
	if run.DaysDone != 5 || run.DaysTotal != 5 || run.Lines != len(seeded) {
		t.Errorf("resumed run = %+v; want 5 of 5 days and %d lines", run, len(seeded))
	}
	if got := len(e.lines(t, from, to)); got != len(seeded) {
		t.Errorf("%d lines after the restart, want %d", got, len(seeded))
	}
	// Every page was asked exactly once: the killed run's pages were not
	// asked again, and the page it was killed after was the cursor's.
	count := map[string]int{}
	for _, r := range e.listRequests(t) {
		count[r]++
	}
	for r, n := range count {
		if n != 1 {
			t.Errorf("%s asked %d times", r, n)
		}
	}
	if len(count) != 5*(4+2) {
		t.Errorf("%d pages asked, want %d", len(count), 5*6)
	}
}

// With several days read at once, a kill leaves several days part-read;
// the resumed run still asks no page twice and stores every line once.
func TestSyncResumesAfterAKillWithDaysInParallel(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t, 3, func(o *money.SyncOptions) { o.DayWorkers = 4 })
	seeded := e.seedDays(t, 12, 7)
	from, to := e.today.AddDate(0, 0, -12), e.today.AddDate(0, 0, -1)
	ctx, kill := context.WithCancel(t.Context())
	e.onList = func(n int64) {
		if n == 25 {
			kill()
		}
	}
	if err := e.svc.SyncStatements(ctx, e.actor, from, to); !errors.Is(err, context.Canceled) {
		t.Fatalf("killed sync returned %v", err)
	}
	e.onList = nil
	if run := e.current(t); run.Status != db.SyncRunning || run.DaysDone >= 12 {
		t.Fatalf("killed run = %+v", run)
	}
	e.clock.Add(time.Second)
	if err := e.service(t).SyncStatements(t.Context(), e.actor, from, to); err != nil {
		t.Fatal(err)
	}
	if got := len(e.lines(t, from, to)); got != len(seeded) {
		t.Errorf("%d lines, want %d", got, len(seeded))
	}
	count := map[string]int{}
	for _, r := range e.listRequests(t) {
		count[r]++
	}
	for r, n := range count {
		if n != 1 {
			t.Errorf("%s asked %d times", r, n)
		}
	}
	if len(count) != 12*6 {
		t.Errorf("%d pages asked, want %d", len(count), 12*6)
	}
	runs, _ := e.db.SyncRuns(t.Context(), e.m.ID, 5)
	if len(runs) != 2 || runs[0].Status != db.SyncDone || runs[0].DaysDone != 12 || runs[1].Status != db.SyncInterrupted {
		t.Errorf("runs = %+v; want the new one done, the killed one interrupted", runs)
	}
}

func TestSyncBacksOffOnFaultsAndLaterCompletes(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t, 10)
	seeded := e.seedDays(t, 2, 4)
	ctx := t.Context()
	from, to := e.today.AddDate(0, 0, -2), e.today.AddDate(0, 0, -1)

	// Two failures, then answers: the run waits and completes.
	e.sb.Sandbox.InjectFault(string(netzme.EndpointTransactionList), sandbox.Fault{Kind: sandbox.Fault500})
	e.sb.Sandbox.InjectFault(string(netzme.EndpointTransactionList), sandbox.Fault{Kind: sandbox.FaultGarbage})
	if err := e.svc.SyncStatements(ctx, e.actor, from, to); err != nil {
		t.Fatal(err)
	}
	run := e.current(t)
	faults, err := e.db.SyncFaults(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != db.SyncDone || run.Faults != 2 || len(faults) != 2 || len(e.lines(t, from, to)) != len(seeded) {
		t.Fatalf("run = %+v, faults %+v", run, faults)
	}
	if f := faults[0]; f.Attempt != 1 || f.BackoffMS != 5 || !strings.HasPrefix(f.Error, "HTTP 500") || f.Day != from.Format(time.DateOnly) || f.Page != 1 {
		t.Errorf("first fault = %+v", f)
	}
	if f := faults[1]; f.Attempt != 2 || f.BackoffMS != 10 || f.Page != 1 {
		t.Errorf("second fault = %+v (the wait doubles)", f)
	}

	// Netzme down for good: the run gives up after its attempts, says why,
	// and keeps what it read; the next sync completes.
	e.clock.Add(time.Hour)
	e.seedDays(t, 1, 2) // late lines on yesterday
	e.sb.Sandbox.InjectFault(string(netzme.EndpointDepositTransactions), sandbox.Fault{Kind: sandbox.Fault500, Count: 4})
	err = e.svc.SyncStatements(ctx, e.actor, from, to)
	if !errors.Is(err, netzme.ErrUnavailable) {
		t.Fatalf("sync against a failing Netzme = %v", err)
	}
	run = e.current(t)
	faults, _ = e.db.SyncFaults(ctx, run.ID)
	if run.Status != db.SyncFailed || !strings.HasPrefix(run.Error, "HTTP 500") || len(faults) != 4 || faults[3].BackoffMS != 0 || faults[2].BackoffMS != 20 {
		t.Errorf("failed run = %+v, faults %+v", run, faults)
	}
	status, err := e.svc.SyncStatus(ctx, e.actor)
	if err != nil || status.Running || status.Error != run.Error {
		t.Errorf("status = %+v, %v", status, err)
	}
	e.clock.Add(time.Minute)
	if err := e.svc.SyncStatements(ctx, e.actor, from, to); err != nil {
		t.Fatal(err)
	}
	if got := len(e.lines(t, from, to)); got != len(seeded)+4 {
		t.Errorf("%d lines after recovery, want %d", got, len(seeded)+4)
	}
	if status, _ := e.svc.SyncStatus(ctx, e.actor); status.Error != "" || status.DaysDone != 2 {
		t.Errorf("status after recovery = %+v", status)
	}

	// A refusal is not retried: Netzme does not know the merchant.
	e.clock.Add(time.Minute)
	if _, err := e.db.SQL().ExecContext(ctx, e.db.Rebind(`UPDATE merchants SET netzme_cust_id = 'M_unknown1' WHERE id = ?`), e.m.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SyncStatements(ctx, e.actor, from, to); !errors.Is(err, netzme.ErrNotFound) {
		t.Fatalf("sync of a merchant Netzme does not know = %v", err)
	}
	run = e.current(t)
	faults, _ = e.db.SyncFaults(ctx, run.ID)
	if run.Status != db.SyncFailed || len(faults) != 1 || faults[0].BackoffMS != 0 || !strings.HasPrefix(run.Error, "404") {
		t.Errorf("refused run = %+v, faults %+v", run, faults)
	}
}

func TestSyncRereadsLateDaysForLateLinesOnly(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t, 3)
	ctx := t.Context()
	e.seedDays(t, 8, 3)
	// A withdrawal still pending at Netzme yesterday.
	wd := []sandbox.Movement{{Kind: sandbox.MoveWithdrawal, At: e.today.AddDate(0, 0, -1).Add(15 * time.Hour), AmountMinor: 1_000_000, Status: "PENDING"}}
	if err := e.sb.Sandbox.SeedHistory(ctx, e.m.NetzmeCustID, wd); err != nil {
		t.Fatal(err)
	}
	from := e.today.AddDate(0, 0, -8)
	if err := e.svc.SyncStatements(ctx, e.actor, from, e.today); err != nil {
		t.Fatal(err)
	}
	first := len(e.lines(t, from, e.today))

	// Netzme adds lines late, to a final day (8 days ago) and to a recent
	// one (2 days ago); and the withdrawal succeeds.
	late := []sandbox.Movement{
		{Kind: sandbox.MoveStaticQRIS, At: e.today.AddDate(0, 0, -8).Add(23 * time.Hour), AmountMinor: 77_700},
		{Kind: sandbox.MoveStaticQRIS, At: e.today.AddDate(0, 0, -2).Add(23 * time.Hour), AmountMinor: 88_800},
	}
	if err := e.sb.Sandbox.SeedHistory(ctx, e.m.NetzmeCustID, late); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.Sandbox.SettleWithdrawal(wd[0].ReferenceNo, true); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(6 * time.Hour)
	if err := e.svc.SyncStatements(ctx, e.actor, from, e.today); err != nil {
		t.Fatal(err)
	}
	lines := e.lines(t, from, e.today)
	if len(lines) != first+1 {
		t.Fatalf("%d lines after the re-read, want %d (the recent late line only)", len(lines), first+1)
	}
	var gotLate, gotFinal bool
	for _, l := range lines {
		gotLate = gotLate || l.NetzmeID == late[1].ReferenceID
		gotFinal = gotFinal || l.NetzmeID == late[0].ReferenceID
	}
	if !gotLate || gotFinal {
		t.Errorf("late line of 2 days ago stored = %v, of a final day = %v; want true, false", gotLate, gotFinal)
	}
	run := e.current(t)
	if run.NewLines != 2 { // the late line and the withdrawal's new version
		t.Errorf("re-read run recorded %d new facts, want 2", run.NewLines)
	}

	// The withdrawal's line changed: a new version, the old one kept.
	vs, err := e.db.StatementLineVersions(ctx, e.m.ID, db.SourceSales, wd[0].ReferenceNo)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].Status != "PENDING" || vs[1].Status != "SUCCESS" || vs[1].Version != 2 {
		t.Errorf("versions of the withdrawal line = %+v", vs)
	}
	// Facts are never edited.
	if _, err := e.db.SQL().ExecContext(ctx, e.db.Rebind(`UPDATE statement_lines SET status = 'X' WHERE id = ?`), vs[0].ID); err == nil {
		t.Error("a statement line was updated")
	}
	if _, err := e.db.SQL().ExecContext(ctx, e.db.Rebind(`DELETE FROM statement_lines WHERE id = ?`), vs[0].ID); err == nil {
		t.Error("a statement line was deleted")
	}
}

func TestSyncRecordsAnswersForOpenWithdrawals(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t, 10)
	ctx := t.Context()
	nz, err := netzme.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nz.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: "PIN-1", CustIDMerchant: e.m.NetzmeCustID, PIN: outPIN}); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.Sandbox.Credit(ctx, e.m.NetzmeCustID, sandbox.WalletBalance, 15_000_000, "sales"); err != nil {
		t.Fatal(err)
	}
	owner := money.Actor{MerchantID: e.m.ID}
	q, err := e.svc.WithdrawInquiry(ctx, owner, money.WithdrawInquiryInput{Wallet: db.WalletSales})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := e.svc.SubmitWithdrawal(ctx, owner, money.SubmitInput{Token: q.Token, PIN: outPIN})
	if err != nil || sub.Withdrawal.Status != db.WithdrawalPending {
		t.Fatalf("submit: %+v, %v", sub, err)
	}
	w := sub.Withdrawal
	sync := func() {
		t.Helper()
		e.clock.Add(time.Minute)
		if err := e.svc.SyncStatements(ctx, e.actor, e.today, e.today); err != nil {
			t.Fatal(err)
		}
	}
	sync()
	sync() // the same answer again: nothing new
	as, err := e.db.WithdrawalAnswers(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || as[0].Status != "PENDING" || as[0].AmountMinor != w.AmountMinor || !strings.Contains(as[0].Raw, `"PENDING"`) {
		t.Fatalf("answers = %+v", as)
	}
	if err := e.sb.Sandbox.SettleWithdrawal(w.PartnerReferenceNo, true); err != nil {
		t.Fatal(err)
	}
	sync()
	as, _ = e.db.WithdrawalAnswers(ctx, w.ID)
	if len(as) != 2 || as[1].Status != "SUCCESS" {
		t.Errorf("answers after Netzme paid out = %+v", as)
	}
	// The sync records; the resolver applies.
	if cur, _ := e.db.Withdrawal(ctx, w.ID); cur.Status != db.WithdrawalPending {
		t.Errorf("the sync changed the withdrawal to %s", cur.Status)
	}
}

func TestLinkRecordsTheOpeningBalance(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t, 10)
	ctx := t.Context()
	demo := e.sb.Sandbox.DemoMerchant()
	if err := e.sb.Sandbox.Credit(ctx, demo.CustID, sandbox.WalletBalance, 12_345_600, "before Lapak"); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.Sandbox.Credit(ctx, demo.CustID, sandbox.WalletDeposit, 500_000, "before Lapak"); err != nil {
		t.Fatal(err)
	}
	// A fresh shop links the demo merchant.
	shop, err := e.db.CreateMerchant(ctx, db.NewMerchant{Name: "Warung Baru"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.SQL().ExecContext(ctx, e.db.Rebind(`UPDATE merchants SET netzme_cust_id = '' WHERE id = ?`), e.m.ID); err != nil {
		t.Fatal(err)
	}
	owner := money.Actor{MerchantID: shop.ID}
	if _, err := e.svc.LinkMerchant(ctx, owner, demo.Phone, demo.CustID); err != nil {
		t.Fatal(err)
	}
	obs, err := e.db.OpeningBalances(ctx, shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 2 || obs[0].Wallet != db.WalletSales || obs[0].TotalMinor != 12_345_600 || obs[0].CustID != demo.CustID ||
		!obs[0].AsOf.Equal(e.clock.Now()) || !strings.Contains(obs[0].Raw, "totalBalance") ||
		obs[1].Wallet != db.WalletDeposit || obs[1].TotalMinor != 500_000 {
		t.Fatalf("opening balances = %+v", obs)
	}
	// Linking again later keeps the first answer: it is the fact.
	e.clock.Add(time.Hour)
	if err := e.sb.Sandbox.Credit(ctx, demo.CustID, sandbox.WalletBalance, 1_000, "after"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.LinkMerchant(ctx, owner, demo.Phone, demo.CustID); err != nil {
		t.Fatal(err)
	}
	if again, _ := e.db.OpeningBalances(ctx, shop.ID); len(again) != 2 || again[0].TotalMinor != 12_345_600 {
		t.Errorf("opening balances after a second link = %+v", again)
	}
}

func TestRequestSyncRunsInTheBackground(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t, 5)
	seeded := e.seedDays(t, 3, 4)
	ctx := t.Context()
	owner := money.Actor{MerchantID: e.m.ID}
	// No runner yet: the request is queued and shows as running.
	run, err := e.svc.RequestSync(ctx, owner, e.today.AddDate(0, 0, -3), e.today.AddDate(0, 0, 5))
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != db.SyncQueued || run.DaysTotal != 4 || run.ToDay != e.today.Format(time.DateOnly) {
		t.Errorf("queued run = %+v (the range ends today)", run)
	}
	if _, err := e.svc.RequestSync(ctx, owner, e.today, e.today); !errors.Is(err, money.ErrSyncRunning) {
		t.Errorf("second request while one is queued: %v", err)
	}
	if st, _ := e.svc.SyncStatus(ctx, owner); !st.Running || st.DaysTotal != 4 || st.DaysDone != 0 {
		t.Errorf("status of the queued run = %+v", st)
	}
	for name, r := range map[string][2]time.Time{
		"to before from": {e.today, e.today.AddDate(0, 0, -1)},
		"from tomorrow":  {e.today.AddDate(0, 0, 1), e.today.AddDate(0, 0, 2)},
		"no from":        {{}, e.today},
	} {
		var fe *money.FieldError
		if _, err := e.svc.RequestSync(ctx, owner, r[0], r[1]); !errors.As(err, &fe) {
			t.Errorf("%s: %v, want a field error", name, err)
		}
	}

	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); e.svc.RunStatementSync(rctx, time.Hour) }()
	defer func() { stop(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := e.svc.SyncStatus(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Running {
			if st.DaysDone != 4 || st.Lines != len(seeded) || st.Error != "" {
				t.Errorf("finished status = %+v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still running: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestScheduledSyncCoversRecentDays(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t, 10)
	ctx := t.Context()
	if n := e.svc.ScheduleSyncs(ctx); n != 1 {
		t.Fatalf("queued %d scheduled runs, want 1 (one linked merchant)", n)
	}
	run := e.current(t)
	// The merchant was created today: nothing before it is asked for.
	if run.Trigger != "schedule" || run.FromDay != e.today.Format(time.DateOnly) || run.ToDay != run.FromDay {
		t.Errorf("scheduled run = %+v", run)
	}
	if n := e.svc.ScheduleSyncs(ctx); n != 0 {
		t.Errorf("queued %d more while one is waiting", n)
	}
	if obs, _ := e.db.OpeningBalances(ctx, e.m.ID); len(obs) != 2 {
		t.Errorf("the scheduler recorded %d opening balances, want 2", len(obs))
	}
}

// TestSyncAYearReportsItsRate syncs 365 sandbox days and logs the rate
// (no timed assertion: the machine is shared).
func TestSyncAYearReportsItsRate(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t, 10, func(o *money.SyncOptions) { o.DayWorkers = 0 }) // the default
	const perDay = 24
	ctx := t.Context()
	var ms []sandbox.Movement
	for d := 365; d >= 1; d-- {
		day := e.today.AddDate(0, 0, -d)
		for i := range perDay {
			ms = append(ms, sandbox.Movement{Kind: sandbox.MoveStaticQRIS, At: day.Add(time.Duration(i) * 37 * time.Minute), AmountMinor: int64(1_000_000 + i)})
		}
	}
	if err := e.sb.Sandbox.SeedHistory(ctx, e.m.NetzmeCustID, ms); err != nil {
		t.Fatal(err)
	}
	from, to := e.today.AddDate(0, 0, -365), e.today.AddDate(0, 0, -1)
	start := time.Now()
	if err := e.svc.SyncStatements(ctx, e.actor, from, to); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	run := e.current(t)
	if run.Status != db.SyncDone || run.DaysDone != 365 || run.Lines != len(ms) {
		t.Fatalf("year run = %+v", run)
	}
	if got := len(e.lines(t, from, to)); got != len(ms) {
		t.Fatalf("%d lines stored, want %d", got, len(ms))
	}
	t.Logf("synced 365 days, %d lines, %d Netzme calls in %v: %.1f days/s, %.0f lines/s",
		run.Lines, run.Calls, elapsed.Round(time.Millisecond), 365/elapsed.Seconds(), float64(run.Lines)/elapsed.Seconds())
}
