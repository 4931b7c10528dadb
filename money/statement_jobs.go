package money

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Statement sync jobs: one at a time per merchant, in the background, so no
// page ever waits for Netzme's lists; their progress is kept in memory for
// the progress page and GET /sync/status (a restart forgets it, the cursor
// in the database does not: the next sync resumes).

// SyncStatus is where a merchant's statement sync stands. Error is "" or a
// reason word: "netzme_unavailable" (Netzme gave no clear answer; the days
// left are read by the next sync), "days_failed" (some days failed and
// wait for their retry), "not_linked", "internal".
type SyncStatus struct {
	Running   bool   `json:"running"`
	DaysDone  int    `json:"days_done"`
	DaysTotal int    `json:"days_total"`
	Lines     int    `json:"lines"`
	Error     string `json:"error"`

	From, To          time.Time `json:"-"` // the range asked (Jakarta days)
	Started, Finished time.Time `json:"-"`
	NewLines, Failed  int       `json:"-"`
	RequestedBy       int64     `json:"-"` // 0: the background job
}

// syncJobs is the registry of statement syncs.
type syncJobs struct {
	mu     sync.Mutex
	status map[int64]SyncStatus
	base   context.Context // the jobs' lifetime (RunStatementSync's ctx)
}

func newSyncJobs() *syncJobs {
	return &syncJobs{status: map[int64]SyncStatus{}, base: context.Background()}
}

// StatementSyncStatus returns merchantID's current or last statement sync
// (the zero SyncStatus when none ran since start-up).
func (s *Service) StatementSyncStatus(merchantID int64) SyncStatus {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	return s.jobs.status[merchantID]
}

// StartStatementSync starts a sync of a's merchant for the Jakarta days from
// to to (any length; a to after today is read as today) in the background,
// audited ("statement.sync"), and returns its status. When one is running
// for the merchant already, nothing new starts and that one is returned.
// Errors: ErrNotLinked; a FieldError "to" ErrFormat when to is before from.
func (s *Service) StartStatementSync(ctx context.Context, a Actor, from, to time.Time) (SyncStatus, error) {
	m, err := s.linkedMerchant(ctx, a)
	if err != nil {
		return SyncStatus{}, err
	}
	from, to = jakartaDay(from), jakartaDay(to)
	if today := jakartaDay(s.now()); to.After(today) {
		to = today
	}
	if to.Before(from) {
		return SyncStatus{}, invalid("to", ErrFormat)
	}
	st, started := s.claimSync(m.ID, from, to, a.UserID)
	if !started {
		return st, nil
	}
	if err := s.db.Audit(ctx, s.audit(a, "statement.sync", map[string]any{"from": from.Format(time.DateOnly),
		"to": to.Format(time.DateOnly)})); err != nil {
		s.finishSync(m.ID, SyncReport{}, err)
		return SyncStatus{}, err
	}
	go s.runSync(m.ID, from, to)
	return st, nil
}

// claimSync marks merchantID's sync running unless it is already.
func (s *Service) claimSync(merchantID int64, from, to time.Time, by int64) (SyncStatus, bool) {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	if cur := s.jobs.status[merchantID]; cur.Running {
		return cur, false
	}
	st := SyncStatus{Running: true, From: from, To: to, Started: s.now(), RequestedBy: by,
		DaysTotal: int(to.Sub(from).Hours()/24+0.5) + 1}
	s.jobs.status[merchantID] = st
	return st, true
}

func (s *Service) runSync(merchantID int64, from, to time.Time) {
	s.jobs.mu.Lock()
	base := s.jobs.base
	s.jobs.mu.Unlock()
	r, err := s.syncStatement(base, merchantID, from, to, func(r SyncReport) {
		s.jobs.mu.Lock()
		defer s.jobs.mu.Unlock()
		st := s.jobs.status[merchantID]
		st.DaysDone, st.DaysTotal, st.Lines, st.NewLines, st.Failed = r.Done+r.Failed, r.Days, r.Lines, r.NewLines, r.Failed
		s.jobs.status[merchantID] = st
	})
	s.finishSync(merchantID, r, err)
}

func (s *Service) finishSync(merchantID int64, r SyncReport, err error) {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	st := s.jobs.status[merchantID]
	st.Running, st.Finished = false, s.now()
	switch {
	case errors.Is(err, ErrNotLinked):
		st.Error = "not_linked"
	case err != nil:
		st.Error = "internal"
		s.log.Error("statement sync", "merchant", merchantID, "err", err)
	case r.Stopped:
		st.Error = "netzme_unavailable"
	case r.Failed > 0:
		st.Error = "days_failed"
	default:
		st.Error = ""
	}
	s.jobs.status[merchantID] = st
}

// RunStatementSync is the background job: every interval (the first pass
// one interval after start, so a start-up is never slowed), it syncs the
// last StatementReRead days and today of every linked merchant whose sync is
// not running already, one merchant after another. Syncs started by a
// person run under ctx too. It returns when ctx is done.
func (s *Service) RunStatementSync(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 10 * time.Minute
	}
	s.jobs.mu.Lock()
	s.jobs.base = ctx
	s.jobs.mu.Unlock()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.syncLinkedMerchants(ctx)
	}
}

// syncLinkedMerchants is one pass of the background job.
func (s *Service) syncLinkedMerchants(ctx context.Context) {
	ms, err := s.db.Merchants(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("statement sync: list merchants", "err", err)
		}
		return
	}
	for _, m := range ms {
		if m.NetzmeCustID == "" || ctx.Err() != nil {
			continue
		}
		today := jakartaDay(s.now())
		from := today.AddDate(0, 0, -StatementReRead)
		if _, started := s.claimSync(m.ID, from, today, 0); started {
			s.runSync(m.ID, from, today)
		}
	}
}
