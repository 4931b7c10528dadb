package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Netzme statement sync (issue 12 §2): sync runs and their faults, the
// cursor per merchant, list and day, Netzme's statement lines and
// withdrawal answers, and the opening balance. Days are Jakarta calendar
// days as "YYYY-MM-DD". Lines, answers and opening balances are facts:
// inserted, never updated (the schema refuses it).

// SyncRunStatus is where a sync run stands.
type SyncRunStatus string

// Sync run statuses.
const (
	SyncQueued      SyncRunStatus = "queued"      // asked for, not started
	SyncRunning     SyncRunStatus = "running"     // being worked on (or its process died: see RequeueSyncRuns)
	SyncDone        SyncRunStatus = "done"        // every day read
	SyncFailed      SyncRunStatus = "failed"      // gave up; Error says why
	SyncInterrupted SyncRunStatus = "interrupted" // left by a process that stopped, replaced by a newer run
)

// Active reports whether the run is queued or running.
func (s SyncRunStatus) Active() bool { return s == SyncQueued || s == SyncRunning }

// SyncRun is one sync of a merchant's statements over a range of days.
type SyncRun struct {
	ID          int64
	MerchantID  int64
	Trigger     string // "manual" or "schedule"
	RequestedBy int64  // 0 = the system
	FromDay     string
	ToDay       string
	Status      SyncRunStatus
	DaysTotal   int
	DaysDone    int
	Lines       int // lines Netzme sent
	NewLines    int // of which new facts
	Calls       int
	Faults      int
	Error       string
	CreatedAt   time.Time
	StartedAt   time.Time // zero until started
	UpdatedAt   time.Time
	FinishedAt  time.Time // zero until finished
}

// NewSyncRun is what QueueSyncRun needs.
type NewSyncRun struct {
	MerchantID      int64
	Trigger         string
	RequestedBy     int64
	FromDay, ToDay  string
	DaysTotal       int
	Status          SyncRunStatus // SyncQueued, or SyncRunning for a run its caller executes at once
	InterruptStale  bool          // mark the merchant's running runs interrupted first (the caller knows their process is gone)
	AllowConcurrent bool          // add the run even when another is active
}

const syncRunColumns = `id, merchant_id, trigger, coalesce(requested_by, 0), from_day, to_day, status, days_total, days_done,
	lines, new_lines, calls, faults, error, created_at, coalesce(started_at, ''), updated_at, coalesce(finished_at, '')`

func scanSyncRun(row interface{ Scan(...any) error }) (SyncRun, error) {
	var r SyncRun
	var created, started, updated, finished string
	err := row.Scan(&r.ID, &r.MerchantID, &r.Trigger, &r.RequestedBy, &r.FromDay, &r.ToDay, &r.Status, &r.DaysTotal, &r.DaysDone,
		&r.Lines, &r.NewLines, &r.Calls, &r.Faults, &r.Error, &created, &started, &updated, &finished)
	if err != nil {
		return r, err
	}
	if r.CreatedAt, err = parseTime(created); err != nil {
		return r, err
	}
	if r.UpdatedAt, err = parseTime(updated); err != nil {
		return r, err
	}
	if r.StartedAt, err = parseOptionalTime(started); err != nil {
		return r, err
	}
	r.FinishedAt, err = parseOptionalTime(finished)
	return r, err
}

func parseOptionalTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return parseTime(s)
}

// QueueSyncRun adds a run. Unless AllowConcurrent, a merchant has at most
// one active run: when one exists it is returned with created false and
// nothing is added (one transaction, so two clicks cannot add two).
func (d *DB) QueueSyncRun(ctx context.Context, n NewSyncRun) (run SyncRun, created bool, err error) {
	if n.Status != SyncQueued && n.Status != SyncRunning {
		return SyncRun{}, false, fmt.Errorf("db: queue sync run: status %q", n.Status)
	}
	err = d.InTx(ctx, func(tx *Tx) error {
		run, created = SyncRun{}, false // a retried run starts over (InTx)
		now := formatTime(tx.now)
		if n.InterruptStale {
			if _, err := tx.tx.ExecContext(ctx, `UPDATE sync_runs SET status = 'interrupted', updated_at = ?, finished_at = ?
				WHERE merchant_id = ? AND status = 'running'`, now, now, n.MerchantID); err != nil {
				return err
			}
		}
		if !n.AllowConcurrent {
			r, err := scanSyncRun(tx.tx.QueryRowContext(ctx, `SELECT `+syncRunColumns+` FROM sync_runs
				WHERE merchant_id = ? AND status IN ('queued', 'running') ORDER BY id DESC LIMIT 1`, n.MerchantID))
			if err == nil {
				run = r
				return nil
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		var started any
		if n.Status == SyncRunning {
			started = now
		}
		r, err := scanSyncRun(tx.tx.QueryRowContext(ctx, `INSERT INTO sync_runs (merchant_id, trigger, requested_by, from_day, to_day, status,
			days_total, created_at, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+syncRunColumns,
			n.MerchantID, n.Trigger, nullID(n.RequestedBy), n.FromDay, n.ToDay, n.Status, n.DaysTotal, now, started, now))
		if err != nil {
			return err
		}
		run, created = r, true
		return nil
	})
	if err != nil {
		return SyncRun{}, false, fmt.Errorf("db: queue sync run for merchant %d: %w", n.MerchantID, err)
	}
	return run, created, nil
}

// SyncRun returns run id, or ErrNotFound.
func (d *DB) SyncRun(ctx context.Context, id int64) (SyncRun, error) {
	r, err := scanSyncRun(d.sql.QueryRowContext(ctx, `SELECT `+syncRunColumns+` FROM sync_runs WHERE id = ?`, id))
	if err != nil {
		return SyncRun{}, notFound(err, fmt.Sprintf("sync run %d", id))
	}
	return r, nil
}

// CurrentSyncRun returns the merchant's run to show: the active one if
// any, else the newest; ErrNotFound when the merchant never synced.
func (d *DB) CurrentSyncRun(ctx context.Context, merchantID int64) (SyncRun, error) {
	r, err := scanSyncRun(d.sql.QueryRowContext(ctx, `SELECT `+syncRunColumns+` FROM sync_runs WHERE merchant_id = ?
		ORDER BY status IN ('queued', 'running') DESC, id DESC LIMIT 1`, merchantID))
	if err != nil {
		return SyncRun{}, notFound(err, fmt.Sprintf("sync run of merchant %d", merchantID))
	}
	return r, nil
}

// SyncRuns returns the merchant's newest runs, newest first.
func (d *DB) SyncRuns(ctx context.Context, merchantID int64, limit int) ([]SyncRun, error) {
	return querySyncRuns(ctx, d.sql, `SELECT `+syncRunColumns+` FROM sync_runs WHERE merchant_id = ? ORDER BY id DESC LIMIT ?`, merchantID, limit)
}

// ActiveSyncRuns returns every queued or running run, oldest first.
func (d *DB) ActiveSyncRuns(ctx context.Context) ([]SyncRun, error) {
	return querySyncRuns(ctx, d.sql, `SELECT `+syncRunColumns+` FROM sync_runs WHERE status IN ('queued', 'running') ORDER BY id`)
}

func querySyncRuns(ctx context.Context, q reader, query string, args ...any) ([]SyncRun, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: sync runs: %w", err)
	}
	defer rows.Close()
	var out []SyncRun
	for rows.Next() {
		r, err := scanSyncRun(rows)
		if err != nil {
			return nil, fmt.Errorf("db: sync runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: sync runs: %w", err)
	}
	return out, nil
}

// RequeueSyncRuns puts every running run back in the queue: at start-up
// they are runs whose process stopped (their cursors say where to go on).
// It returns how many.
func (d *DB) RequeueSyncRuns(ctx context.Context) (int, error) {
	res, err := d.w.ExecContext(ctx, `UPDATE sync_runs SET status = 'queued', updated_at = ? WHERE status = 'running'`, formatTime(d.now()))
	if err != nil {
		return 0, fmt.Errorf("db: requeue sync runs: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// StartSyncRun marks run id running (started_at keeps the first start) and
// resets its day count, which the run counts again as it goes over its
// days. It returns the run.
func (d *DB) StartSyncRun(ctx context.Context, id int64) (SyncRun, error) {
	now := formatTime(d.now())
	r, err := scanSyncRun(d.w.QueryRowContext(ctx, `UPDATE sync_runs SET status = 'running', days_done = 0,
		started_at = coalesce(started_at, ?), updated_at = ? WHERE id = ? RETURNING `+syncRunColumns, now, now, id))
	if err != nil {
		return SyncRun{}, notFound(err, fmt.Sprintf("start sync run %d", id))
	}
	return r, nil
}

// FinishSyncRun ends run id with status (done, failed or interrupted) and
// the failure's description ("" when done).
func (d *DB) FinishSyncRun(ctx context.Context, id int64, status SyncRunStatus, errText string) error {
	now := formatTime(d.now())
	_, err := d.w.ExecContext(ctx, `UPDATE sync_runs SET status = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?`,
		status, errText, now, now, id)
	if err != nil {
		return fmt.Errorf("db: finish sync run %d: %w", id, err)
	}
	return nil
}

// SyncDaysDone adds n days done to run id (days skipped as already final).
func (d *DB) SyncDaysDone(ctx context.Context, id int64, n int) error {
	_, err := d.w.ExecContext(ctx, `UPDATE sync_runs SET days_done = days_done + ?, updated_at = ? WHERE id = ?`, n, formatTime(d.now()), id)
	if err != nil {
		return fmt.Errorf("db: sync run %d progress: %w", id, err)
	}
	return nil
}

// SyncFault is one failed Netzme call of a run.
type SyncFault struct {
	RunID     int64
	Endpoint  string
	Day       string
	Page      int
	Attempt   int
	Error     string
	BackoffMS int64 // the wait before the next attempt; 0: not retried
	At        time.Time
}

// AddSyncFault records f and counts it (and its call) on its run.
func (d *DB) AddSyncFault(ctx context.Context, f SyncFault) error {
	return d.InTx(ctx, func(tx *Tx) error {
		if f.At.IsZero() {
			f.At = tx.now
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO sync_faults (run_id, endpoint, day, page, attempt, error, backoff_ms, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, f.RunID, f.Endpoint, f.Day, f.Page, f.Attempt, f.Error, f.BackoffMS, formatTime(f.At)); err != nil {
			return fmt.Errorf("db: sync fault: %w", err)
		}
		_, err := tx.tx.ExecContext(ctx, `UPDATE sync_runs SET calls = calls + 1, faults = faults + 1, updated_at = ? WHERE id = ?`,
			formatTime(tx.now), f.RunID)
		return err
	})
}

// SyncFaults returns a run's faults, oldest first.
func (d *DB) SyncFaults(ctx context.Context, runID int64) ([]SyncFault, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT run_id, endpoint, day, page, attempt, error, backoff_ms, at FROM sync_faults WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("db: sync faults: %w", err)
	}
	defer rows.Close()
	var out []SyncFault
	for rows.Next() {
		var f SyncFault
		var at string
		if err := rows.Scan(&f.RunID, &f.Endpoint, &f.Day, &f.Page, &f.Attempt, &f.Error, &f.BackoffMS, &at); err != nil {
			return nil, fmt.Errorf("db: sync faults: %w", err)
		}
		if f.At, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// StatementSource is which Netzme list a line or cursor belongs to.
type StatementSource string

// The two lists.
const (
	SourceSales   StatementSource = "sales"   // Get Transaction List (§3.4)
	SourceDeposit StatementSource = "deposit" // Get Deposit Transaction (§3.25)
)

// StatementCursor is where the sync of one list and day stands
// (statement_days).
type StatementCursor struct {
	MerchantID int64
	Source     StatementSource
	Day        string
	State      string    // "" (never read), pending, done, failed
	NextPage   int       // the page to ask next
	SyncedAt   time.Time // when the day was last read to its end; zero: never
	Attempts   int       // runs that gave up on the day in a row
	LastError  string
}

// StatementCursors returns the merchant's cursors of source for the days
// in [fromDay, toDay], by day; a day never synced is absent.
func (d *DB) StatementCursors(ctx context.Context, merchantID int64, source StatementSource, fromDay, toDay string) (map[string]StatementCursor, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT day, state, next_page, coalesce(synced_at, ''), attempts, last_error FROM statement_days
		WHERE merchant_id = ? AND source = ? AND day BETWEEN ? AND ?`, merchantID, string(source), fromDay, toDay)
	if err != nil {
		return nil, fmt.Errorf("db: statement cursors: %w", err)
	}
	defer rows.Close()
	out := map[string]StatementCursor{}
	for rows.Next() {
		c := StatementCursor{MerchantID: merchantID, Source: source}
		var synced string
		if err := rows.Scan(&c.Day, &c.State, &c.NextPage, &synced, &c.Attempts, &c.LastError); err != nil {
			return nil, fmt.Errorf("db: statement cursors: %w", err)
		}
		if c.SyncedAt, err = parseOptionalTime(synced); err != nil {
			return nil, err
		}
		out[c.Day] = c
	}
	return out, rows.Err()
}

// FailStatementDay records that a run gave up on merchantID's day of
// source: the reason (netzme.Describe, no secret) and one more attempt. The
// cursor stays where it was, for the next run to go on from.
func (d *DB) FailStatementDay(ctx context.Context, merchantID int64, source StatementSource, day, reason string) error {
	_, err := d.w.ExecContext(ctx, `INSERT INTO statement_days (merchant_id, source, day, state, attempts, last_error)
		VALUES (?, ?, ?, 'failed', 1, ?)
		ON CONFLICT (merchant_id, source, day) DO UPDATE SET state = 'failed', attempts = statement_days.attempts + 1,
			last_error = excluded.last_error`, merchantID, string(source), day, reason)
	if err != nil {
		return fmt.Errorf("db: fail statement day %s %s: %w", source, day, err)
	}
	return nil
}

// StatementLine is one version of one line of a Netzme list as stored.
type StatementLine struct {
	ID                 int64
	MerchantID         int64
	Source             StatementSource
	NetzmeID           string // transactionId, else invoiceId, else "sha256:" + RawSHA256
	Version            int
	Day                string    // the Jakarta day it was listed under
	OccurredAt         time.Time // createdTs, else tsLong; zero when neither reads
	PaidAt             time.Time
	Type, Status       string
	Method             string // paymentMethod
	InvoiceID          string
	AmountMinor        int64
	FeeMinor           int64
	ServiceChargeMinor int64
	TotalMinor         int64
	Description        string
	Raw                string // the entry exactly as Netzme sent it
	RawSHA256          string // set by RecordStatementPage
	RunID              int64
	FetchedAt          time.Time
}

// StatementPage is one page of a Netzme list, to record with RecordStatementPage.
type StatementPage struct {
	RunID      int64
	MerchantID int64
	Source     StatementSource
	Day        string
	Page       int
	Lines      []StatementLine // empty: the list of the day has ended
}

// PageResult is what recording a page added.
type PageResult struct {
	NewLines int // lines new, or new versions of lines seen before
}

// RecordStatementPage records one page in one transaction: each line as a
// new version unless the same raw entry is on record for its Netzme id
// already; the cursor (the next page, or the day read through when the page
// is empty; a page 1 starts the day's counters over); and the run's progress
// (one call, its lines, its new facts, and a day done when the page ends the
// day and dayDone says both lists have). A page recorded twice adds nothing.
func (d *DB) RecordStatementPage(ctx context.Context, p StatementPage, dayDone bool) (PageResult, error) {
	if d.pg != nil {
		// Every page of a run moves the run's counters (one sync_runs row):
		// written side by side by the day workers, SERIALIZABLE transactions
		// refuse each other over it again and again. One at a time in this
		// process they never do (a run is synced in one instance: the one
		// holding the statement-sync lease), and the slow part, reading
		// Netzme, stays parallel. SQLite's one writer does the same.
		d.pg.pages.Lock()
		defer d.pg.pages.Unlock()
	}
	var res PageResult
	err := d.InTx(ctx, func(tx *Tx) error {
		res = PageResult{} // a retried run starts over (InTx)
		now := formatTime(tx.now)
		for _, l := range p.Lines {
			sum := sha256.Sum256([]byte(l.Raw))
			r, err := tx.tx.ExecContext(ctx, `INSERT INTO statement_lines (merchant_id, source, netzme_id, version, day,
				occurred_at, paid_at, type, status, method, invoice_id, amount_minor, fee_minor, service_charge_minor, total_minor,
				description, raw, raw_sha256, run_id, fetched_at)
				SELECT ?, ?, ?, coalesce(max(version), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
				FROM statement_lines WHERE merchant_id = ? AND source = ? AND netzme_id = ?
				ON CONFLICT (merchant_id, source, netzme_id, raw_sha256) DO NOTHING`,
				p.MerchantID, string(p.Source), l.NetzmeID, p.Day, optionalTime(l.OccurredAt), optionalTime(l.PaidAt),
				l.Type, l.Status, l.Method, l.InvoiceID, l.AmountMinor, l.FeeMinor, l.ServiceChargeMinor, l.TotalMinor,
				l.Description, l.Raw, hex.EncodeToString(sum[:]), nullID(p.RunID), now,
				p.MerchantID, string(p.Source), l.NetzmeID)
			if err != nil {
				return fmt.Errorf("line %s: %w", l.NetzmeID, err)
			}
			if n, _ := r.RowsAffected(); n == 1 {
				res.NewLines++
			}
		}
		state, next, synced := "pending", p.Page+1, any(nil)
		if len(p.Lines) == 0 {
			state, next, synced = "done", 1, now
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO statement_days (merchant_id, source, day, state, next_page, lines, new_lines, synced_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (merchant_id, source, day) DO UPDATE SET state = excluded.state, next_page = excluded.next_page,
				lines = CASE WHEN ? = 1 THEN excluded.lines ELSE statement_days.lines + excluded.lines END,
				new_lines = CASE WHEN ? = 1 THEN excluded.new_lines ELSE statement_days.new_lines + excluded.new_lines END,
				attempts = CASE WHEN excluded.state = 'done' THEN 0 ELSE statement_days.attempts END,
				last_error = CASE WHEN excluded.state = 'done' THEN '' ELSE statement_days.last_error END,
				retry_at = NULL, synced_at = coalesce(excluded.synced_at, statement_days.synced_at)`,
			p.MerchantID, string(p.Source), p.Day, state, next, len(p.Lines), res.NewLines, synced, p.Page, p.Page); err != nil {
			return fmt.Errorf("cursor: %w", err)
		}
		if p.RunID != 0 {
			days := 0
			if len(p.Lines) == 0 && dayDone {
				days = 1
			}
			if _, err := tx.tx.ExecContext(ctx, `UPDATE sync_runs SET calls = calls + 1, lines = lines + ?, new_lines = new_lines + ?,
				days_done = days_done + ?, updated_at = ? WHERE id = ?`,
				len(p.Lines), res.NewLines, days, now, p.RunID); err != nil {
				return fmt.Errorf("run progress: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return PageResult{}, fmt.Errorf("db: record %s page %d of %s for merchant %d: %w", p.Source, p.Page, p.Day, p.MerchantID, err)
	}
	return res, nil
}

func optionalTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

const statementLineColumns = `id, merchant_id, source, netzme_id, version, day, coalesce(occurred_at, ''), coalesce(paid_at, ''),
	type, status, method, invoice_id, amount_minor, fee_minor, service_charge_minor, total_minor, description, raw, raw_sha256,
	coalesce(run_id, 0), fetched_at`

func scanStatementLine(row interface{ Scan(...any) error }) (StatementLine, error) {
	var l StatementLine
	var occurred, paid, fetched string
	err := row.Scan(&l.ID, &l.MerchantID, &l.Source, &l.NetzmeID, &l.Version, &l.Day, &occurred, &paid,
		&l.Type, &l.Status, &l.Method, &l.InvoiceID, &l.AmountMinor, &l.FeeMinor, &l.ServiceChargeMinor, &l.TotalMinor,
		&l.Description, &l.Raw, &l.RawSHA256, &l.RunID, &fetched)
	if err != nil {
		return l, err
	}
	if l.OccurredAt, err = parseOptionalTime(occurred); err != nil {
		return l, err
	}
	if l.PaidAt, err = parseOptionalTime(paid); err != nil {
		return l, err
	}
	l.FetchedAt, err = parseTime(fetched)
	return l, err
}

// StatementLines returns the latest version of the merchant's lines listed
// under the days [fromDay, toDay], oldest day first, then by time.
func (d *DB) StatementLines(ctx context.Context, merchantID int64, fromDay, toDay string) ([]StatementLine, error) {
	return queryStatementLines(ctx, d.sql, `SELECT `+statementLineColumns+` FROM statement_lines_current
		WHERE merchant_id = ? AND day BETWEEN ? AND ? ORDER BY day, occurred_at, id`, merchantID, fromDay, toDay)
}

// StatementLineVersions returns every version of one line, oldest first.
func (d *DB) StatementLineVersions(ctx context.Context, merchantID int64, source StatementSource, netzmeID string) ([]StatementLine, error) {
	return queryStatementLines(ctx, d.sql, `SELECT `+statementLineColumns+` FROM statement_lines
		WHERE merchant_id = ? AND source = ? AND netzme_id = ? ORDER BY version`, merchantID, string(source), netzmeID)
}

func queryStatementLines(ctx context.Context, q reader, query string, args ...any) ([]StatementLine, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: statement lines: %w", err)
	}
	defer rows.Close()
	var out []StatementLine
	for rows.Next() {
		l, err := scanStatementLine(rows)
		if err != nil {
			return nil, fmt.Errorf("db: statement lines: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// WithdrawalAnswer is one answer of Get Information Withdraw (§3.8/§3.24).
type WithdrawalAnswer struct {
	ID                 int64
	MerchantID         int64
	WithdrawalID       int64
	AskedReferenceNo   string
	NetzmeReferenceNo  string
	PartnerReferenceNo string
	Status             string
	AmountMinor        int64
	ContentHash        string
	Raw                string
	RunID              int64
	AnsweredAt         time.Time
}

// RecordWithdrawalAnswer records a unless it is the same (ContentHash) as
// the last answer recorded for its withdrawal; added says which. The call
// is counted on a's run.
func (d *DB) RecordWithdrawalAnswer(ctx context.Context, a WithdrawalAnswer) (added bool, err error) {
	err = d.InTx(ctx, func(tx *Tx) error {
		added = false // a retried run starts over (InTx)
		var last string
		err := tx.tx.QueryRowContext(ctx, `SELECT content_hash FROM withdrawal_answers WHERE withdrawal_id = ? ORDER BY id DESC LIMIT 1`,
			a.WithdrawalID).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if a.RunID != 0 {
			if _, err := tx.tx.ExecContext(ctx, `UPDATE sync_runs SET calls = calls + 1, updated_at = ? WHERE id = ?`, formatTime(tx.now), a.RunID); err != nil {
				return err
			}
		}
		if last == a.ContentHash {
			return nil
		}
		if a.AnsweredAt.IsZero() {
			a.AnsweredAt = tx.now
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO withdrawal_answers (merchant_id, withdrawal_id, asked_reference_no, netzme_reference_no,
			partner_reference_no, status, amount_minor, content_hash, raw, run_id, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.MerchantID, a.WithdrawalID, a.AskedReferenceNo, a.NetzmeReferenceNo, a.PartnerReferenceNo, a.Status, a.AmountMinor,
			a.ContentHash, a.Raw, nullID(a.RunID), formatTime(a.AnsweredAt)); err != nil {
			return err
		}
		added = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("db: withdrawal %d answer: %w", a.WithdrawalID, err)
	}
	return added, nil
}

// WithdrawalAnswers returns the answers recorded for a withdrawal, oldest first.
func (d *DB) WithdrawalAnswers(ctx context.Context, withdrawalID int64) ([]WithdrawalAnswer, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id, merchant_id, withdrawal_id, asked_reference_no, netzme_reference_no, partner_reference_no,
		status, amount_minor, content_hash, raw, coalesce(run_id, 0), answered_at FROM withdrawal_answers WHERE withdrawal_id = ? ORDER BY id`, withdrawalID)
	if err != nil {
		return nil, fmt.Errorf("db: withdrawal answers: %w", err)
	}
	defer rows.Close()
	var out []WithdrawalAnswer
	for rows.Next() {
		var a WithdrawalAnswer
		var at string
		if err := rows.Scan(&a.ID, &a.MerchantID, &a.WithdrawalID, &a.AskedReferenceNo, &a.NetzmeReferenceNo, &a.PartnerReferenceNo,
			&a.Status, &a.AmountMinor, &a.ContentHash, &a.Raw, &a.RunID, &at); err != nil {
			return nil, fmt.Errorf("db: withdrawal answers: %w", err)
		}
		if a.AnsweredAt, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// OpeningBalance is a merchant's balance at Netzme when it was linked.
type OpeningBalance struct {
	MerchantID   int64
	CustID       string
	Wallet       Wallet // WalletSales (§3.3) or WalletDeposit (§3.26)
	TotalMinor   int64
	SettledMinor int64
	Raw          string
	AsOf         time.Time
}

// RecordOpeningBalance stores b unless the merchant already has an opening
// balance for that Netzme merchant and wallet (the first one is the fact);
// added says which.
func (d *DB) RecordOpeningBalance(ctx context.Context, b OpeningBalance) (added bool, err error) {
	res, err := d.w.ExecContext(ctx, `INSERT INTO netzme_opening_balances (merchant_id, cust_id, wallet, total_minor, settled_minor, raw, as_of)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (merchant_id, cust_id, wallet) DO NOTHING`,
		b.MerchantID, b.CustID, b.Wallet, b.TotalMinor, b.SettledMinor, b.Raw, formatTime(b.AsOf))
	if err != nil {
		return false, fmt.Errorf("db: opening balance of merchant %d: %w", b.MerchantID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// OpeningBalances returns the merchant's opening balances, oldest first.
func (d *DB) OpeningBalances(ctx context.Context, merchantID int64) ([]OpeningBalance, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT merchant_id, cust_id, wallet, total_minor, settled_minor, raw, as_of
		FROM netzme_opening_balances WHERE merchant_id = ? ORDER BY id`, merchantID)
	if err != nil {
		return nil, fmt.Errorf("db: opening balances: %w", err)
	}
	defer rows.Close()
	var out []OpeningBalance
	for rows.Next() {
		var b OpeningBalance
		var at string
		if err := rows.Scan(&b.MerchantID, &b.CustID, &b.Wallet, &b.TotalMinor, &b.SettledMinor, &b.Raw, &at); err != nil {
			return nil, fmt.Errorf("db: opening balances: %w", err)
		}
		if b.AsOf, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
