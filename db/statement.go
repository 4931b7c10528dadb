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

// Netzme's own records, synced into Lapak (issue 12 §2; migration 00008):
// statement_lines holds every version of every record Netzme listed, raw;
// statement_days is the cursor per merchant, source and Jakarta day.

// StatementSource is which Netzme list a line came from.
type StatementSource string

// Statement sources.
const (
	SourceSales   StatementSource = "sales"   // Get Transaction List (§3.4)
	SourceDeposit StatementSource = "deposit" // deposit transactions (§3.25)
)

// NewStatementLine is one entry of a Netzme list page, as read.
type NewStatementLine struct {
	NetzmeID    string    // transactionId, else invoiceId
	OccurredAt  time.Time // zero when Netzme's time did not read
	Type        string
	Status      string
	Method      string
	InvoiceID   string
	AmountMinor int64
	FeeMinor    int64
	TotalMinor  int64
	Raw         string // the entry exactly as sent (JSON)
}

// StatementLine is one stored version of a Netzme record.
type StatementLine struct {
	ID         int64
	MerchantID int64
	Source     StatementSource
	Version    int
	Day        string // YYYY-MM-DD (Jakarta) it was read for
	NewStatementLine
	FetchedAt time.Time
}

// StatementDay is the sync state of one merchant's day of one source.
type StatementDay struct {
	MerchantID int64
	Source     StatementSource
	Day        string
	State      string // "" (never read), pending, done, failed
	NextPage   int
	Lines      int
	NewLines   int
	Attempts   int
	LastError  string
	RetryAt    time.Time // zero: none
	SyncedAt   time.Time // zero: never finished
}

const statementDayColumns = `merchant_id, source, day, state, next_page, lines, new_lines, attempts, last_error, retry_at, synced_at`

func scanStatementDay(row interface{ Scan(...any) error }) (StatementDay, error) {
	var s StatementDay
	var retry, synced sql.NullString
	if err := row.Scan(&s.MerchantID, &s.Source, &s.Day, &s.State, &s.NextPage, &s.Lines, &s.NewLines, &s.Attempts,
		&s.LastError, &retry, &synced); err != nil {
		return StatementDay{}, err
	}
	var err error
	if retry.Valid {
		if s.RetryAt, err = parseTime(retry.String); err != nil {
			return StatementDay{}, err
		}
	}
	if synced.Valid {
		if s.SyncedAt, err = parseTime(synced.String); err != nil {
			return StatementDay{}, err
		}
	}
	return s, nil
}

// StatementDay returns the sync state of merchantID's day of source; a day
// never read has State "" and NextPage 1.
func (d *DB) StatementDay(ctx context.Context, merchantID int64, source StatementSource, day string) (StatementDay, error) {
	s, err := scanStatementDay(d.sql.QueryRowContext(ctx, `SELECT `+statementDayColumns+` FROM statement_days
		WHERE merchant_id = ? AND source = ? AND day = ?`, merchantID, string(source), day))
	if errors.Is(err, sql.ErrNoRows) {
		return StatementDay{MerchantID: merchantID, Source: source, Day: day, NextPage: 1}, nil
	} else if err != nil {
		return StatementDay{}, fmt.Errorf("db: statement day %s %s: %w", source, day, err)
	}
	return s, nil
}

// StartStatementDay makes merchantID's day of source ready to read and
// returns it: a day never read starts at page 1; a done day (read again for
// late lines) starts over at page 1 with its counters at zero; a pending or
// failed day keeps its cursor, so the read resumes where it stopped.
func (d *DB) StartStatementDay(ctx context.Context, merchantID int64, source StatementSource, day string) (StatementDay, error) {
	s, err := scanStatementDay(d.w.QueryRowContext(ctx, `INSERT INTO statement_days (merchant_id, source, day, state)
		VALUES (?, ?, ?, 'pending')
		ON CONFLICT (merchant_id, source, day) DO UPDATE SET
			state = 'pending',
			next_page = CASE WHEN statement_days.state = 'done' THEN 1 ELSE statement_days.next_page END,
			lines = CASE WHEN statement_days.state = 'done' THEN 0 ELSE statement_days.lines END,
			new_lines = CASE WHEN statement_days.state = 'done' THEN 0 ELSE statement_days.new_lines END
		RETURNING `+statementDayColumns, merchantID, string(source), day))
	if err != nil {
		return StatementDay{}, fmt.Errorf("db: start statement day %s %s: %w", source, day, err)
	}
	return s, nil
}

// StoreStatementPage stores page of merchantID's day of source in one
// transaction with the cursor: each line unless the same version is on
// record already (a changed record is a new version), next_page past this
// page, the counters, and — when last (an empty page: the list ended) — the
// day done. It returns how many lines were new or changed.
func (d *DB) StoreStatementPage(ctx context.Context, merchantID int64, source StatementSource, day string, page int,
	lines []NewStatementLine, last bool) (int, error) {
	fresh := 0
	err := d.InTx(ctx, func(tx *Tx) error {
		now := formatTime(tx.now)
		for _, l := range lines {
			sum := sha256.Sum256([]byte(l.Raw))
			var at any
			if !l.OccurredAt.IsZero() {
				at = formatTime(l.OccurredAt)
			}
			res, err := tx.tx.ExecContext(ctx, `INSERT INTO statement_lines (merchant_id, source, netzme_id, version, day,
				occurred_at, type, status, method, invoice_id, amount_minor, fee_minor, total_minor, raw, raw_sha256, fetched_at)
				SELECT ?, ?, ?, coalesce(max(version), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
				FROM statement_lines WHERE merchant_id = ? AND source = ? AND netzme_id = ?
				ON CONFLICT (merchant_id, source, netzme_id, raw_sha256) DO NOTHING`,
				merchantID, string(source), l.NetzmeID, day, at, l.Type, l.Status, l.Method, l.InvoiceID, l.AmountMinor,
				l.FeeMinor, l.TotalMinor, l.Raw, hex.EncodeToString(sum[:]), now, merchantID, string(source), l.NetzmeID)
			if err != nil {
				return fmt.Errorf("db: statement line %s: %w", l.NetzmeID, err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				fresh++
			}
		}
		state, synced := "pending", any(nil)
		if last {
			state, synced = "done", now
		}
		_, err := tx.tx.ExecContext(ctx, `UPDATE statement_days SET state = ?, next_page = ?, lines = lines + ?,
			new_lines = new_lines + ?, attempts = CASE WHEN ? = 'done' THEN 0 ELSE attempts END,
			last_error = CASE WHEN ? = 'done' THEN '' ELSE last_error END, retry_at = NULL,
			synced_at = coalesce(?, synced_at)
			WHERE merchant_id = ? AND source = ? AND day = ?`,
			state, page+1, len(lines), fresh, state, state, synced, merchantID, string(source), day)
		if err != nil {
			return fmt.Errorf("db: statement day %s %s: %w", source, day, err)
		}
		return nil
	})
	return fresh, err
}

// FailStatementDay records a failed read of merchantID's day of source: the
// error (no secret), one more attempt, and retryAt, before which a sync
// leaves the day alone. The cursor stays where it was.
func (d *DB) FailStatementDay(ctx context.Context, merchantID int64, source StatementSource, day, reason string, retryAt time.Time) error {
	_, err := d.w.ExecContext(ctx, `UPDATE statement_days SET state = 'failed', attempts = attempts + 1, last_error = ?,
		retry_at = ? WHERE merchant_id = ? AND source = ? AND day = ?`,
		reason, formatTime(retryAt), merchantID, string(source), day)
	if err != nil {
		return fmt.Errorf("db: fail statement day %s %s: %w", source, day, err)
	}
	return nil
}

// StatementLines returns every stored version of merchantID's lines read for
// day (YYYY-MM-DD), by source, Netzme id and version.
func (d *DB) StatementLines(ctx context.Context, merchantID int64, day string) ([]StatementLine, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id, merchant_id, source, version, day, netzme_id, occurred_at, type,
		status, method, invoice_id, amount_minor, fee_minor, total_minor, raw, fetched_at FROM statement_lines
		WHERE merchant_id = ? AND day = ? ORDER BY source, netzme_id, version`, merchantID, day)
	if err != nil {
		return nil, fmt.Errorf("db: statement lines: %w", err)
	}
	defer rows.Close()
	var out []StatementLine
	for rows.Next() {
		var l StatementLine
		var at sql.NullString
		var fetched string
		if err := rows.Scan(&l.ID, &l.MerchantID, &l.Source, &l.Version, &l.Day, &l.NetzmeID, &at, &l.Type, &l.Status,
			&l.Method, &l.InvoiceID, &l.AmountMinor, &l.FeeMinor, &l.TotalMinor, &l.Raw, &fetched); err != nil {
			return nil, fmt.Errorf("db: statement lines: %w", err)
		}
		if at.Valid {
			if l.OccurredAt, err = parseTime(at.String); err != nil {
				return nil, err
			}
		}
		if l.FetchedAt, err = parseTime(fetched); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
