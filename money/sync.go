package money

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"lapak/db"
	"lapak/netzme"
	"lapak/snap"
)

// Netzme statement sync (issue 12 §2). A background job pulls Netzme's own
// records of each linked merchant into local tables, raw JSON kept: the
// transaction list (§3.4) and deposit transactions (§3.25) day by day and
// page by page, and Get Information Withdraw (§3.8/§3.24) for withdrawals
// still open. Pages read those tables only; nothing a person opens waits
// for Netzme.
//
//   - Idempotent: a line is keyed by merchant, list and Netzme's
//     transactionId. Reading it again as it was records nothing; reading it
//     changed (a status that moved on) records a new version — a fact is
//     never edited (db.RecordStatementPage).
//   - Resumable: a cursor per merchant, list and day holds the next page;
//     each page's lines and the cursor commit together, so a run killed at
//     any point goes on from its last committed page.
//   - Late lines: a day is read again by every sync until it has been read
//     through at least LateDays after it ended; then it is final.
//   - Faults: a failed call is recorded (sync_faults, text from
//     netzme.Describe) and retried after an exponential, bounded wait; a
//     refusal, or too many failures, ends the run as failed with its reason.

// SyncOptions tunes the statement sync; zero values take the defaults.
type SyncOptions struct {
	// LateDays is how long after its end a day is still read again for
	// lines Netzme adds late; 0 = 3 (guess, §3.4: when Netzme's list stops
	// changing is not documented).
	LateDays int
	// Lookback bounds how far back a scheduled run reaches (days already
	// final cost nothing); 0 = 35 days.
	Lookback int
	// MaxDays bounds one requested range; 0 = 3660 days (ten years).
	MaxDays int
	// BackoffBase is the wait after a first failure, doubled per attempt up
	// to BackoffMax; 0 = 2 s and 2 min.
	BackoffBase, BackoffMax time.Duration
	// Attempts bounds the calls for one page (or one status) before the run
	// gives up; 0 = 6.
	Attempts int
	// Workers is how many merchants sync at once; 0 = 2.
	Workers int
	// DayWorkers is how many days of one run are read at once (each day's
	// pages in order); 0 = 4 (guess: Netzme's rate limits are not
	// documented; a 429 answer is waited out like a failure).
	DayWorkers int
	// StartDelay is the wait before the runner's first scheduled pass, so a
	// starting app answers its first pages first; 0 = 1 min.
	StartDelay time.Duration
	// MaxPages bounds the pages read of one list and day, against a list
	// that never ends (guess, §3.4: an empty page is the only documented
	// end); 0 = 100000.
	MaxPages int
	// PollEvery is how often the runner looks for queued runs it was not
	// woken for: runs asked for on another Lapak instance sharing the
	// database (only the instance holding the sync's lease runs the
	// runner); 0 = 5 s.
	PollEvery time.Duration
}

func (o SyncOptions) withDefaults() SyncOptions {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&o.LateDays, 3)
	def(&o.Lookback, 35)
	def(&o.MaxDays, 3660)
	def(&o.Attempts, 6)
	def(&o.Workers, 2)
	def(&o.DayWorkers, 4)
	def(&o.MaxPages, 100_000)
	if o.BackoffBase <= 0 {
		o.BackoffBase = 2 * time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 2 * time.Minute
	}
	if o.StartDelay <= 0 {
		o.StartDelay = time.Minute
	}
	if o.PollEvery <= 0 {
		o.PollEvery = 5 * time.Second
	}
	return o
}

// backoff is the wait after the attempt-th failure.
func (o SyncOptions) backoff(attempt int) time.Duration {
	d := o.BackoffBase
	for i := 1; i < attempt && d < o.BackoffMax; i++ {
		d *= 2
	}
	return min(d, o.BackoffMax)
}

// syncState is the sync's in-process state: which merchant's run this
// process is executing (the database says which runs are active; this says
// which of them are alive), and the runner's wake-up.
type syncState struct {
	mu     sync.Mutex
	active map[int64]int64 // merchant id → run id being executed here
	wake   chan struct{}
}

func (s *Service) syncer() *syncState {
	s.syncOnce.Do(func() {
		s.syncs = &syncState{active: map[int64]int64{}, wake: make(chan struct{}, 1)}
	})
	return s.syncs
}

// claim marks merchantID's run as executed by this process; false when
// another run of the merchant is.
func (st *syncState) claim(merchantID, runID int64) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, busy := st.active[merchantID]; busy {
		return false
	}
	st.active[merchantID] = runID
	return true
}

func (st *syncState) release(merchantID int64) {
	st.mu.Lock()
	delete(st.active, merchantID)
	st.mu.Unlock()
	st.poke()
}

func (st *syncState) busy(merchantID int64) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.active[merchantID]
	return ok
}

func (st *syncState) poke() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

// Errors of the sync.
var (
	// ErrSyncRunning: the merchant's statements are being synced already;
	// nothing new was started.
	ErrSyncRunning = errors.New("money: a statement sync of this merchant is running")
	// ErrSyncRange: the days asked for are not a range that can be synced
	// (to before from, from in the future, longer than the limit); wrapped
	// in a FieldError.
	ErrSyncRange = errors.New("invalid sync range")
)

// jakartaDay is the Jakarta calendar day t falls on, at its midnight.
func jakartaDay(t time.Time) time.Time {
	j := t.In(snap.Jakarta)
	return time.Date(j.Year(), j.Month(), j.Day(), 0, 0, 0, 0, snap.Jakarta)
}

func dayKey(d time.Time) string { return d.In(snap.Jakarta).Format(time.DateOnly) }

func parseDayKey(s string) (time.Time, error) {
	return time.ParseInLocation(time.DateOnly, s, snap.Jakarta)
}

// syncRange checks and clamps [from, to] (their Jakarta days, both
// included): to after today becomes today.
func (s *Service) syncRange(from, to time.Time) (time.Time, time.Time, error) {
	if from.IsZero() {
		return time.Time{}, time.Time{}, invalid("from", ErrRequired)
	}
	if to.IsZero() {
		return time.Time{}, time.Time{}, invalid("to", ErrRequired)
	}
	from, to = jakartaDay(from), jakartaDay(to)
	today := jakartaDay(s.now())
	if to.After(today) {
		to = today
	}
	switch {
	case from.After(today):
		return time.Time{}, time.Time{}, invalid("from", ErrSyncRange)
	case to.Before(from):
		return time.Time{}, time.Time{}, invalid("to", ErrSyncRange)
	case daysBetween(from, to) > s.syncOpts().MaxDays:
		return time.Time{}, time.Time{}, invalid("from", ErrSyncRange)
	}
	return from, to, nil
}

// daysBetween counts the days of [from, to], both included.
func daysBetween(from, to time.Time) int {
	n := 0
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		n++
	}
	return n
}

func (s *Service) syncOpts() SyncOptions { return s.syncOptions.withDefaults() }

// SyncStatements syncs a's merchant's statements for the Jakarta days of
// from through to (both included; a day after today is not asked) now, in
// the caller's goroutine, as a run of its own (db.SyncRun, trigger
// "manual" when a person asks, else "schedule"). Days already final are
// skipped, a day read part-way goes on from its cursor. A run of the
// merchant left "running" by a stopped process is marked interrupted (its
// cursors are where this one goes on). When ctx ends the run stops after
// its current page and stays "running", as after a kill, for the runner to
// resume. Errors: ErrNotLinked; FieldError (ErrRequired, ErrSyncRange);
// ErrSyncRunning; the reason the run failed (a Netzme error kind); ctx's.
func (s *Service) SyncStatements(ctx context.Context, a Actor, from, to time.Time) error {
	m, err := s.linkedMerchant(ctx, a)
	if err != nil {
		return err
	}
	from, to, err = s.syncRange(from, to)
	if err != nil {
		return err
	}
	st := s.syncer()
	if !st.claim(m.ID, 0) {
		return ErrSyncRunning
	}
	defer st.release(m.ID)
	run, _, err := s.db.QueueSyncRun(ctx, db.NewSyncRun{MerchantID: m.ID, Trigger: trigger(a), RequestedBy: a.UserID,
		FromDay: dayKey(from), ToDay: dayKey(to), DaysTotal: daysBetween(from, to), Status: db.SyncRunning,
		InterruptStale: true, AllowConcurrent: true})
	if err != nil {
		return err
	}
	return s.executeRun(ctx, run)
}

func trigger(a Actor) string {
	if a.UserID == 0 {
		return "schedule"
	}
	return "manual"
}

// RequestSync asks the background runner to sync a's merchant's statements
// for the Jakarta days of from through to (both included, clamped to
// today) and returns at once with the queued run: the page that asked shows
// its progress (SyncStatus). Audited "statement.sync". When a run of the
// merchant is queued or running already, that run is returned with
// ErrSyncRunning and nothing is added. Errors: ErrNotLinked; FieldError
// (ErrRequired, ErrSyncRange); ErrSyncRunning.
func (s *Service) RequestSync(ctx context.Context, a Actor, from, to time.Time) (db.SyncRun, error) {
	m, err := s.linkedMerchant(ctx, a)
	if err != nil {
		return db.SyncRun{}, err
	}
	from, to, err = s.syncRange(from, to)
	if err != nil {
		return db.SyncRun{}, err
	}
	run, created, err := s.db.QueueSyncRun(ctx, db.NewSyncRun{MerchantID: m.ID, Trigger: trigger(a), RequestedBy: a.UserID,
		FromDay: dayKey(from), ToDay: dayKey(to), DaysTotal: daysBetween(from, to), Status: db.SyncQueued})
	if err != nil {
		return db.SyncRun{}, err
	}
	if !created {
		return run, ErrSyncRunning
	}
	s.syncer().poke()
	return run, s.db.Audit(ctx, s.audit(a, "statement.sync", map[string]any{"run": run.ID, "from": run.FromDay, "to": run.ToDay}))
}

// SyncProgress is what a page shows of a merchant's sync.
type SyncProgress struct {
	Run       db.SyncRun // zero ID: the merchant never synced
	Running   bool       // queued or running
	DaysDone  int
	DaysTotal int
	Lines     int    // lines Netzme sent in the run
	Error     string // why the run failed; "" otherwise
}

// SyncStatus reads the progress of a's merchant's current run (the active
// one, else the last) from Lapak's tables only. A merchant that never
// synced has a zero progress.
func (s *Service) SyncStatus(ctx context.Context, a Actor) (SyncProgress, error) {
	run, err := s.db.CurrentSyncRun(ctx, a.MerchantID)
	if errors.Is(err, db.ErrNotFound) {
		return SyncProgress{}, nil
	} else if err != nil {
		return SyncProgress{}, err
	}
	p := SyncProgress{Run: run, Running: run.Status.Active(), DaysDone: min(run.DaysDone, run.DaysTotal), DaysTotal: run.DaysTotal, Lines: run.Lines}
	if run.Status == db.SyncFailed {
		p.Error = run.Error
	}
	return p, nil
}

// RunStatementSync is the background job: it resumes the runs a stopped
// process left, then executes queued runs as they are asked for (up to
// Workers merchants at once) and, every interval (StartDelay after start,
// then every), queues a scheduled run for each linked merchant: the days
// since its last final day (at most Lookback), which re-reads the last
// LateDays. It also records opening balances a link could not read. Runs
// queued by another instance are found every PollEvery. Run it in one
// process per database at a time (cmd/web holds a lease for it): the runs
// it resumes are the ones it takes for abandoned. It returns when ctx is
// done, after the runs in progress stop.
func (s *Service) RunStatementSync(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 6 * time.Hour
	}
	o := s.syncOpts()
	if n, err := s.db.RequeueSyncRuns(ctx); err != nil {
		s.log.Error("sync: requeue runs", "err", err)
	} else if n > 0 {
		s.log.Info("sync: resuming runs of a stopped process", "runs", n)
	}
	st := s.syncer()
	sem := make(chan struct{}, o.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	// The books open with Netzme's balances, and the reconciliation runs
	// beside the sync (reconcile.go).
	wg.Go(func() {
		s.openBooks(ctx)
		s.RunReconciler(ctx, time.Minute)
	})
	first := time.NewTimer(o.StartDelay)
	defer first.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	poll := time.NewTicker(o.PollEvery)
	defer poll.Stop()
	for {
		s.dispatchRuns(ctx, sem, &wg)
		select {
		case <-ctx.Done():
			return
		case <-first.C:
			s.ScheduleSyncs(ctx)
		case <-tick.C:
			s.ScheduleSyncs(ctx)
		case <-st.wake:
		case <-poll.C:
		}
	}
}

// dispatchRuns starts the queued runs there is a worker for.
func (s *Service) dispatchRuns(ctx context.Context, sem chan struct{}, wg *sync.WaitGroup) {
	runs, err := s.db.ActiveSyncRuns(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("sync: list runs", "err", err)
		}
		return
	}
	st := s.syncer()
	for _, run := range runs {
		if run.Status != db.SyncQueued || st.busy(run.MerchantID) {
			continue
		}
		select {
		case sem <- struct{}{}:
		default:
			return // every worker busy; a finishing one wakes the runner
		}
		if !st.claim(run.MerchantID, run.ID) {
			<-sem
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			defer st.release(run.MerchantID)
			if err := s.executeRun(ctx, run); err != nil && ctx.Err() == nil {
				s.log.Warn("sync: run failed", "run", run.ID, "merchant", run.MerchantID, "err", describeSync(err))
			}
		})
	}
}

// ScheduleSyncs queues a scheduled run for every linked merchant without an
// active one, and records the opening balances still missing. It returns
// how many runs it queued.
func (s *Service) ScheduleSyncs(ctx context.Context) int {
	ms, err := s.db.Merchants(ctx)
	if err != nil {
		s.log.Error("sync: list merchants", "err", err)
		return 0
	}
	o := s.syncOpts()
	today := jakartaDay(s.now())
	queued := 0
	for _, m := range ms {
		if m.NetzmeCustID == "" {
			continue
		}
		a := System(m.ID)
		s.RecordOpeningBalances(ctx, a)
		from := today.AddDate(0, 0, -o.Lookback)
		if since := jakartaDay(m.CreatedAt); since.After(from) {
			from = since
		}
		if obs, err := s.db.OpeningBalances(ctx, m.ID); err == nil && len(obs) > 0 {
			if linked := jakartaDay(obs[0].AsOf); linked.After(from) && !linked.After(today) {
				from = linked
			}
		}
		_, created, err := s.db.QueueSyncRun(ctx, db.NewSyncRun{MerchantID: m.ID, Trigger: "schedule", FromDay: dayKey(from),
			ToDay: dayKey(today), DaysTotal: daysBetween(from, today), Status: db.SyncQueued})
		if err != nil {
			s.log.Error("sync: queue scheduled run", "merchant", m.ID, "err", err)
			continue
		}
		if created {
			queued++
		}
	}
	if queued > 0 {
		s.syncer().poke()
	}
	return queued
}

// runError is why a run failed: a Netzme failure (its Describe text is
// what the run records) or Lapak's own.
type runError struct {
	desc string
	err  error
}

func (e *runError) Error() string { return "money: statement sync: " + e.desc }
func (e *runError) Unwrap() error { return e.err }

func describeSync(err error) string {
	var re *runError
	if errors.As(err, &re) {
		return re.desc
	}
	return err.Error()
}

// executeRun works through run: withdrawal answers, then each day of its
// range, oldest first. It ends the run done or failed; when ctx ends it
// leaves it running (a kill looks the same) and returns ctx's error.
func (s *Service) executeRun(ctx context.Context, run db.SyncRun) error {
	m, err := s.db.Merchant(ctx, run.MerchantID)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		desc := describeSync(err)
		if ferr := s.db.FinishSyncRun(context.WithoutCancel(ctx), run.ID, db.SyncFailed, desc); ferr != nil {
			return errors.Join(err, ferr)
		}
		return err
	}
	if m.NetzmeCustID == "" {
		return fail(&runError{"merchant not linked", ErrNotLinked})
	}
	if s.netzme == nil {
		return fail(&runError{"Netzme unreachable", errNoNetzme})
	}
	if run, err = s.db.StartSyncRun(ctx, run.ID); err != nil {
		return err
	}
	a := Actor{UserID: run.RequestedBy, MerchantID: m.ID}
	if err := s.syncWithdrawals(ctx, a, run, m); err != nil {
		return fail(err)
	}
	from, err := parseDayKey(run.FromDay)
	if err != nil {
		return fail(err)
	}
	to, err := parseDayKey(run.ToDay)
	if err != nil {
		return fail(err)
	}
	sources := []db.StatementSource{db.SourceSales, db.SourceDeposit}
	cursors := map[db.StatementSource]map[string]db.StatementCursor{}
	for _, src := range sources {
		if cursors[src], err = s.db.StatementCursors(ctx, m.ID, src, run.FromDay, run.ToDay); err != nil {
			return fail(err)
		}
	}
	o := s.syncOpts()
	// Days are read by up to DayWorkers at once (each day's pages in
	// order, from its cursor); the first failure stops the others.
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	failed := func(err error) {
		errOnce.Do(func() { firstErr = err; stop() })
	}
	type dayJob struct {
		day  time.Time
		todo []db.StatementSource
	}
	jobs := make(chan dayJob)
	for range o.DayWorkers {
		wg.Go(func() {
			for j := range jobs {
				key := dayKey(j.day)
				for i, src := range j.todo {
					if err := s.readDay(wctx, a, run, m, src, j.day, cursors[src][key], i == len(j.todo)-1); err != nil {
						failed(err)
						break
					}
				}
			}
		})
	}
	skipped := 0
	flush := func() {
		if skipped == 0 {
			return
		}
		if err := s.db.SyncDaysDone(context.WithoutCancel(ctx), run.ID, skipped); err != nil {
			failed(err)
		}
		skipped = 0
	}
days:
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		key := dayKey(day)
		var todo []db.StatementSource
		for _, src := range sources {
			if !settled(cursors[src][key], day, run, o.LateDays) {
				todo = append(todo, src)
			}
		}
		if len(todo) == 0 {
			if skipped++; skipped >= 100 {
				flush()
			}
			continue
		}
		flush()
		select {
		case jobs <- dayJob{day, todo}:
		case <-wctx.Done():
			break days
		}
	}
	flush()
	close(jobs)
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if firstErr != nil {
		return fail(firstErr)
	}
	if err := s.db.FinishSyncRun(ctx, run.ID, db.SyncDone, ""); err != nil {
		return err
	}
	s.afterSync(ctx, run) // the balance proof's reading and the reconciliation (reconcile_proof.go)
	return nil
}

// settled reports whether day needs no reading in run: read through since
// the run was asked for, or final (read through LateDays after it ended).
func settled(c db.StatementCursor, day time.Time, run db.SyncRun, lateDays int) bool {
	if c.State != "done" || c.SyncedAt.IsZero() {
		return false
	}
	return !c.SyncedAt.Before(run.CreatedAt) || !c.SyncedAt.Before(day.AddDate(0, 0, 1+lateDays))
}

// readDay reads one list of one day from its cursor to the empty page,
// recording each page as it comes. last says this list ends the day's
// work (the run counts the day done with it).
func (s *Service) readDay(ctx context.Context, a Actor, run db.SyncRun, m db.Merchant, src db.StatementSource, day time.Time,
	c db.StatementCursor, last bool) error {
	page := 1
	if c.State != "done" && c.NextPage > 1 {
		page = c.NextPage // a read a kill or a fault stopped: go on from its page
	}
	o := s.syncOpts()
	key := dayKey(day)
	for ; ; page++ {
		if page > o.MaxPages {
			return &runError{fmt.Sprintf("%s %s: more than %d pages", src, key, o.MaxPages), nil}
		}
		tp, err := s.fetchPage(ctx, a, run, m, src, day, page)
		var re *runError
		if errors.As(err, &re) {
			// The run gives up on this day: the day says why, and its
			// cursor stays for the next run.
			if ferr := s.db.FailStatementDay(context.WithoutCancel(ctx), m.ID, src, key, re.desc); ferr != nil {
				return errors.Join(err, ferr)
			}
		}
		if err != nil {
			return err
		}
		lines, err := statementLines(tp.Transactions)
		if err != nil {
			return &runError{fmt.Sprintf("%s %s page %d: %v", src, key, page, err), err}
		}
		if _, err := s.db.RecordStatementPage(context.WithoutCancel(ctx), db.StatementPage{RunID: run.ID, MerchantID: m.ID,
			Source: src, Day: key, Page: page, Lines: lines}, last); err != nil {
			return err
		}
		if len(lines) == 0 {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// fetchPage asks Netzme for one page, retrying failures without a clear
// answer after a growing wait; every failure is recorded on the run.
func (s *Service) fetchPage(ctx context.Context, a Actor, run db.SyncRun, m db.Merchant, src db.StatementSource, day time.Time, page int) (netzme.TransactionPage, error) {
	ep, list := netzme.EndpointTransactionList, s.netzme.TransactionList
	if src == db.SourceDeposit {
		ep, list = netzme.EndpointDepositTransactions, s.netzme.DepositTransactions
	}
	req := netzme.TransactionListRequest{CustIDMerchant: m.NetzmeCustID, From: day, To: day.Add(24*time.Hour - time.Second), Page: page}
	return withRetries(ctx, s, run, string(ep), dayKey(day), page, func() (Answer[netzme.TransactionPage], error) {
		return exchange(ctx, s, a, step[netzme.TransactionPage]{
			Timeout: lookupTimeout,
			Call: func(ctx context.Context) (netzme.TransactionPage, error) {
				req.PartnerReferenceNo = NewReference(s.now())
				return list(ctx, req)
			},
		})
	})
}

// withRetries makes call until it succeeds, it is refused, or the attempts
// run out, recording each failure with the wait that follows it.
func withRetries[T any](ctx context.Context, s *Service, run db.SyncRun, endpoint, day string, page int, call func() (Answer[T], error)) (T, error) {
	o := s.syncOpts()
	var zero T
	for attempt := 1; ; attempt++ {
		ans, err := call()
		if err != nil {
			return zero, err
		}
		if ans.Err == nil {
			return ans.Value, nil
		}
		if ctx.Err() != nil {
			return zero, ctx.Err()
		}
		// Worth another try: no clear answer, or "too many requests".
		retry := (unclear(ans.Err) || errors.Is(ans.Err, netzme.ErrTooSoon)) && attempt < o.Attempts
		var wait time.Duration
		if retry {
			wait = o.backoff(attempt)
		}
		desc := netzme.Describe(ans.Err)
		if err := s.db.AddSyncFault(context.WithoutCancel(ctx), db.SyncFault{RunID: run.ID, Endpoint: endpoint, Day: day, Page: page,
			Attempt: attempt, Error: desc, BackoffMS: wait.Milliseconds()}); err != nil {
			return zero, err
		}
		if !retry {
			return zero, &runError{desc, ans.Err}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, ctx.Err()
		case <-t.C:
		}
	}
}

// statementLines converts Netzme's lines to what db stores.
func statementLines(ts []netzme.Transaction) ([]db.StatementLine, error) {
	out := make([]db.StatementLine, 0, len(ts))
	for _, t := range ts {
		if !json.Valid(t.Raw) {
			return nil, errors.New("line is not JSON")
		}
		// guess, §3.4: transactionId is documented but not said to be
		// always present; else the invoice, else the line's own content.
		id := t.TransactionID
		if id == "" {
			id = t.InvoiceID
		}
		if id == "" {
			id = "sha256:" + rawHash(t.Raw)
		}
		at := ParseNetzmeTime(t.CreatedTs)
		if at.IsZero() && t.TsLong > 0 {
			at = time.UnixMilli(t.TsLong)
		}
		out = append(out, db.StatementLine{NetzmeID: id, OccurredAt: at, PaidAt: ParseNetzmeTime(t.PaidTs),
			Type: t.Type, Status: t.Status, AmountMinor: t.AmountMinor, FeeMinor: t.FeeMinor, ServiceChargeMinor: t.ServiceChargeMinor,
			TotalMinor: t.TotalMinor, InvoiceID: t.InvoiceID, Method: t.PaymentMethod, Description: t.Desc, Raw: string(t.Raw)})
	}
	return out, nil
}

// rawHash is the sha256 of a raw answer, in hex: two reads of the same
// record hash alike when Netzme sent the same bytes.
func rawHash(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// syncWithdrawals asks Get Information Withdraw (§3.8, §3.24 for the
// deposit) about each of the merchant's open withdrawals and records each
// answer that differs from the last one recorded. Applying an answer is the
// resolver's work (ResolveWithdrawal), not the sync's.
func (s *Service) syncWithdrawals(ctx context.Context, a Actor, run db.SyncRun, m db.Merchant) error {
	ws, err := s.db.UnresolvedWithdrawals(ctx)
	if err != nil {
		return err
	}
	for _, w := range ws {
		if w.MerchantID != m.ID {
			continue
		}
		// The key rule of ResolveWithdrawal (guess, §3.8).
		key := w.NetzmeReferenceNo
		if key == "" {
			key = w.PartnerReferenceNo
		}
		ep, read := netzme.EndpointWithdrawInformation, s.netzme.WithdrawInformation
		if w.Wallet == db.WalletDeposit {
			ep, read = netzme.EndpointWithdrawDepositInformation, s.netzme.WithdrawDepositInformation
		}
		st, err := withRetries(ctx, s, run, string(ep), "", 0, func() (Answer[netzme.WithdrawStatus], error) {
			return exchange(ctx, s, a, step[netzme.WithdrawStatus]{
				Timeout: lookupTimeout,
				Call: func(ctx context.Context) (netzme.WithdrawStatus, error) {
					return read(ctx, netzme.WithdrawInformationRequest{PartnerReferenceNo: NewReference(s.now()), ReferenceNo: key})
				},
			})
		})
		var re *runError
		if errors.As(err, &re) && !unclear(re.err) {
			continue // a refusal about this withdrawal (e.g. not found): recorded as a fault, the run goes on
		}
		if err != nil {
			return err
		}
		if _, err := s.db.RecordWithdrawalAnswer(context.WithoutCancel(ctx), db.WithdrawalAnswer{MerchantID: m.ID, WithdrawalID: w.ID,
			AskedReferenceNo: key, NetzmeReferenceNo: st.ReferenceNo, PartnerReferenceNo: st.PartnerReferenceNo, Status: st.Status,
			AmountMinor: st.AmountMinor, ContentHash: rawHash(st.Raw), Raw: string(st.Raw), RunID: run.ID}); err != nil {
			return err
		}
	}
	return nil
}

// RecordOpeningBalances reads a's merchant's balances at Netzme — Get
// Balance Detail (§3.3) and Get Balance Deposit (§3.26) — and stores each
// as the merchant's opening balance, unless one is stored already for this
// Netzme merchant and wallet: the first answer after linking is the fact
// (with its time) the ledger opens with. A balance Netzme does not give now
// is left for the sync runner to read later. It reports how many it stored.
func (s *Service) RecordOpeningBalances(ctx context.Context, a Actor) int {
	m, err := s.linkedMerchant(ctx, a)
	if err != nil || s.netzme == nil {
		return 0
	}
	have := map[db.Wallet]bool{}
	obs, err := s.db.OpeningBalances(ctx, m.ID)
	if err != nil {
		s.log.Error("sync: opening balances", "merchant", m.ID, "err", err)
		return 0
	}
	for _, b := range obs {
		if b.CustID == m.NetzmeCustID {
			have[b.Wallet] = true
		}
	}
	stored := 0
	for _, w := range []db.Wallet{db.WalletSales, db.WalletDeposit} {
		if have[w] {
			continue
		}
		read := (*netzme.Client).BalanceDetail
		if w == db.WalletDeposit {
			read = (*netzme.Client).DepositBalance
		}
		b, err := s.balance(ctx, a, read)
		if err != nil {
			s.log.Warn("sync: opening balance not read", "merchant", m.ID, "wallet", w, "err", netzme.Describe(err))
			continue
		}
		added, err := s.db.RecordOpeningBalance(ctx, db.OpeningBalance{MerchantID: m.ID, CustID: m.NetzmeCustID, Wallet: w,
			TotalMinor: b.TotalMinor, SettledMinor: b.SettledMinor, Raw: string(b.Raw), AsOf: s.now()})
		if err != nil {
			s.log.Error("sync: opening balance", "merchant", m.ID, "err", err)
			continue
		}
		if added {
			stored++
		}
	}
	return stored
}
