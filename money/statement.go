package money

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lapak/db"
	"lapak/netzme"
	"lapak/snap"
)

// Statement sync (issue 12 §2, started): Netzme's own records of a merchant
// — Get Transaction List (§3.4) and the deposit transactions (§3.25) — are
// read day by day, every page of each day, into statement_lines with the
// raw entry, once per version of each Netzme record. The cursor per
// merchant, source and day (statement_days) moves with each stored page, so
// a sync that is killed, or stopped by a fault, resumes where it was. Left
// for later: the background job per merchant, the "Sinkronkan sekarang"
// page with its progress, §3.8 for open withdrawals, the opening balance at
// link time.

// StatementReRead is how many days back from today a day already read is
// read again, for lines Netzme adds or changes late. guess, §3.4: how late a
// line can appear is not documented.
const StatementReRead = 3

// statementMaxPages bounds the pages read for one day (a guard against a
// list that never ends; at the sandbox's 10 lines a page, 20 000 lines).
const statementMaxPages = 2000

// SyncReport is what one SyncStatement pass did. A day counts once, for
// both of its lists.
type SyncReport struct {
	Days     int // days in the range
	Done     int // both lists finished (now, or earlier and not due for a re-read)
	Failed   int // a list failed now, or is waiting for its retry time
	Pages    int // pages read now
	Lines    int // lines read now
	NewLines int // of which new or changed
	// Stopped: Netzme gave no clear answer (down or timing out), so the pass
	// stopped instead of asking for each remaining day.
	Stopped bool
}

// statementBackoff is how long a failed day waits before it is read again:
// 1, 2, 4 … minutes, at most an hour.
func statementBackoff(attempts int) time.Duration {
	d := time.Minute << min(attempts, 6)
	return min(d, time.Hour)
}

// SyncStatement reads Netzme's records of merchantID for every Jakarta day
// from from to to (both included; times are read in Jakarta), each day from
// both sources. A day finished before is skipped unless it is within
// StatementReRead days of today; a failed day is skipped until its retry
// time. A failure is recorded on its day (error, attempt, back-off); a
// failure without a clear answer also stops the pass. ctx ending stops it
// too, between pages: what was stored stays, and the next pass resumes.
// Errors: ErrNotLinked; Lapak's own.
func (s *Service) SyncStatement(ctx context.Context, merchantID int64, from, to time.Time) (SyncReport, error) {
	return s.syncStatement(ctx, merchantID, from, to, nil)
}

// syncStatement is SyncStatement, telling progress after each day and
// page.
func (s *Service) syncStatement(ctx context.Context, merchantID int64, from, to time.Time, progress func(SyncReport)) (SyncReport, error) {
	var r SyncReport
	a := System(merchantID)
	m, err := s.linkedMerchant(ctx, a)
	if err != nil {
		return r, err
	}
	if s.netzme == nil {
		return r, errNoNetzme
	}
	first, last := jakartaDay(from), jakartaDay(to)
	r.Days = int(last.Sub(first).Hours()/24+0.5) + 1
	if r.Days < 1 {
		return r, invalid("to", ErrFormat)
	}
	tell := func() {
		if progress != nil {
			progress(r)
		}
	}
	tell()
	reReadFrom := jakartaDay(s.now()).AddDate(0, 0, -StatementReRead)
	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		name := day.Format(time.DateOnly)
		allDone := true
		for _, src := range []db.StatementSource{db.SourceSales, db.SourceDeposit} {
			if ctx.Err() != nil {
				return r, nil
			}
			st, err := s.db.StatementDay(ctx, m.ID, src, name)
			if err != nil {
				return r, err
			}
			switch {
			case st.State == "done" && day.Before(reReadFrom):
				continue
			case st.State == "failed" && s.now().Before(st.RetryAt):
				allDone = false
				continue
			}
			done, stop, err := s.syncDay(ctx, a, m.NetzmeCustID, src, day, &r, tell)
			if err != nil {
				return r, err
			}
			allDone = allDone && done
			if stop {
				r.Failed++
				r.Stopped = true
				tell()
				return r, nil
			}
		}
		if ctx.Err() != nil {
			return r, nil
		}
		if allDone {
			r.Done++
		} else {
			r.Failed++
		}
		tell()
	}
	return r, nil
}

// syncDay reads one day of src from its cursor to the empty page that ends
// the list. stop: Netzme gave no clear answer.
func (s *Service) syncDay(ctx context.Context, a Actor, custID string, src db.StatementSource, day time.Time, r *SyncReport,
	tell func()) (done, stop bool, err error) {
	name := day.Format(time.DateOnly)
	st, err := s.db.StartStatementDay(ctx, a.MerchantID, src, name)
	if err != nil {
		return false, false, err
	}
	for page := st.NextPage; page <= statementMaxPages; page++ {
		if ctx.Err() != nil {
			return false, false, nil
		}
		req := netzme.TransactionListRequest{PartnerReferenceNo: NewReference(s.now()), CustIDMerchant: custID,
			From: day, To: day.Add(24*time.Hour - time.Second), Page: page}
		ans, err := exchange(ctx, s, a, step[netzme.TransactionPage]{
			Call: func(ctx context.Context) (netzme.TransactionPage, error) {
				if src == db.SourceDeposit {
					return s.netzme.DepositTransactions(ctx, req)
				}
				return s.netzme.TransactionList(ctx, req)
			},
		})
		if err != nil {
			return false, false, err
		}
		if ans.Err != nil {
			if ctx.Err() != nil {
				return false, false, nil // we left; nothing to hold against Netzme
			}
			reason := fmt.Sprintf("page %d: %s", page, netzme.Describe(ans.Err))
			if err := s.db.FailStatementDay(ctx, a.MerchantID, src, name, reason, s.now().Add(statementBackoff(st.Attempts))); err != nil {
				return false, false, err
			}
			s.log.Warn("statement sync", "merchant", a.MerchantID, "source", src, "day", name, "err", reason)
			return false, unclear(ans.Err), nil
		}
		lines := make([]db.NewStatementLine, 0, len(ans.Value.Transactions))
		for _, t := range ans.Value.Transactions {
			l, err := statementLine(t)
			if err != nil {
				return false, false, err
			}
			lines = append(lines, l)
		}
		last := len(lines) == 0
		fresh, err := s.db.StoreStatementPage(ctx, a.MerchantID, src, name, page, lines, last)
		if err != nil {
			return false, false, err
		}
		r.Pages, r.Lines, r.NewLines = r.Pages+1, r.Lines+len(lines), r.NewLines+fresh
		tell()
		if last {
			return true, false, nil
		}
	}
	return false, false, fmt.Errorf("money: statement %s %s: more than %d pages", src, name, statementMaxPages)
}

// statementLine is what Lapak keeps of one list entry.
func statementLine(t netzme.Transaction) (db.NewStatementLine, error) {
	id := t.TransactionID
	if id == "" {
		id = t.InvoiceID
	}
	if id == "" {
		return db.NewStatementLine{}, errors.New("money: Netzme list entry without transactionId or invoiceId")
	}
	at := ParseNetzmeTime(t.CreatedTs)
	if at.IsZero() && t.TsLong > 0 {
		at = time.UnixMilli(t.TsLong)
	}
	raw := string(t.Raw)
	if raw == "" {
		raw = "{}"
	}
	return db.NewStatementLine{NetzmeID: id, OccurredAt: at, Type: t.Type, Status: t.Status, Method: t.PaymentMethod,
		InvoiceID: t.InvoiceID, AmountMinor: t.AmountMinor, FeeMinor: t.FeeMinor, TotalMinor: t.TotalMinor, Raw: raw}, nil
}

// jakartaDay is midnight (Jakarta) of t's Jakarta date.
func jakartaDay(t time.Time) time.Time {
	j := t.In(snap.Jakarta)
	return time.Date(j.Year(), j.Month(), j.Day(), 0, 0, 0, 0, snap.Jakarta)
}
