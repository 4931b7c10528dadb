package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"
)

// Reconciliation (issue 12 §3, migration 00014): the pairings of ledger
// transactions with Netzme's statement lines, where the incremental pass
// stands, and the page's lists. money decides what pairs with what
// (money/reconcile.go); db stores it, and the schema keeps a resolved item
// resolved.

// ReconOutcome is where a pairing stands.
type ReconOutcome string

// The outcomes (stable interface: the CSV's outcome column).
const (
	OutcomeMatched       ReconOutcome = "matched"        // both sides, same amount and fee
	OutcomeLapakOnly     ReconOutcome = "lapak_only"     // in the books, not in Netzme's list
	OutcomeNetzmeOnly    ReconOutcome = "netzme_only"    // in Netzme's list, not in the books
	OutcomeAmountDiffers ReconOutcome = "amount_differs" // both sides, amount or fee differs
	OutcomeWaiting       ReconOutcome = "waiting"        // one side still inside its grace period
)

// ReconOutcomes lists the outcomes in the page's order.
var ReconOutcomes = []ReconOutcome{OutcomeMatched, OutcomeLapakOnly, OutcomeNetzmeOnly, OutcomeAmountDiffers, OutcomeWaiting}

// IsException reports whether the outcome asks a person to look.
func (o ReconOutcome) IsException() bool { return o != OutcomeMatched }

// ReconRule is how a ledger transaction and a line were paired.
type ReconRule string

// The rules, in the order they are tried, and the opening balance.
const (
	RuleNone         ReconRule = ""
	RuleNetzmeID     ReconRule = "netzme_id"     // Netzme's transaction (or invoice, or withdrawal) id
	RulePartnerRef   ReconRule = "partner_ref"   // our partnerReferenceNo
	RuleQRISKey      ReconRule = "qris_key"      // rrn + date + issuer
	RuleUniqueAmount ReconRule = "unique_amount" // a static-QRIS amount unique in the window
	RuleOpening      ReconRule = "opening"       // older than the opening balance, which holds it
)

// ReconItem is one pairing. A side is present when its Has flag is set;
// amounts are sen: Amount the gross (or the amount moved), Fee Netzme's
// fee, Net the signed effect on the Netzme wallet.
type ReconItem struct {
	ID           int64
	MerchantID   int64
	Wallet       Wallet
	LedgerID     int64  // 0: no ledger side
	LineNetzmeID string // "": no Netzme side
	LineID       int64  // the line version last read
	Outcome      ReconOutcome
	Rule         ReconRule
	Kind         string // the ledger kind, else Netzme's type
	Method       string
	OccurredAt   time.Time
	Day          string    // Jakarta day of OccurredAt
	WaitUntil    time.Time // zero: no deadline (or not waiting)
	Reference    string
	NetzmeID     string

	HasLapak                                       bool
	LapakAmountMinor, LapakFeeMinor, LapakNetMinor int64

	HasNetzme                                         bool
	NetzmeAmountMinor, NetzmeFeeMinor, NetzmeNetMinor int64

	Resolved     bool
	ResolvedAt   time.Time
	ResolvedBy   int64
	Note         string
	AdjustmentID int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const reconColumns = `id, merchant_id, wallet, coalesce(ledger_id, 0), coalesce(line_netzme_id, ''), coalesce(line_id, 0), outcome, rule,
	kind, method, occurred_at, day, coalesce(wait_until, ''), reference, netzme_id, lapak_amount_minor, lapak_fee_minor,
	lapak_net_minor, netzme_amount_minor, netzme_fee_minor, netzme_net_minor, resolved, coalesce(resolved_at, ''),
	coalesce(resolved_by, 0), note, coalesce(adjustment_id, 0), created_at, updated_at`

func scanRecon(row scanner) (ReconItem, error) {
	var it ReconItem
	var occurred, wait, resolvedAt, created, updated string
	var lapak, netzme sql.NullInt64
	var resolved int
	err := row.Scan(&it.ID, &it.MerchantID, &it.Wallet, &it.LedgerID, &it.LineNetzmeID, &it.LineID, &it.Outcome, &it.Rule,
		&it.Kind, &it.Method, &occurred, &it.Day, &wait, &it.Reference, &it.NetzmeID, &lapak, &it.LapakFeeMinor,
		&it.LapakNetMinor, &netzme, &it.NetzmeFeeMinor, &it.NetzmeNetMinor, &resolved, &resolvedAt,
		&it.ResolvedBy, &it.Note, &it.AdjustmentID, &created, &updated)
	if err != nil {
		return it, err
	}
	it.HasLapak, it.LapakAmountMinor = lapak.Valid, lapak.Int64
	it.HasNetzme, it.NetzmeAmountMinor = netzme.Valid, netzme.Int64
	it.Resolved = resolved == 1
	if it.OccurredAt, err = parseStoredTime(occurred); err != nil {
		return it, err
	}
	if it.WaitUntil, err = parseOptionalTime(wait); err != nil {
		return it, err
	}
	if it.ResolvedAt, err = parseOptionalTime(resolvedAt); err != nil {
		return it, err
	}
	if it.CreatedAt, err = parseStoredTime(created); err != nil {
		return it, err
	}
	it.UpdatedAt, err = parseStoredTime(updated)
	return it, err
}

func nullAmount(has bool, v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: has} }

func nullText(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// ReconItemByLedger returns the item of ledger transaction ledgerID inside
// tx, or ErrNotFound.
func (tx *Tx) ReconItemByLedger(ctx context.Context, ledgerID int64) (ReconItem, error) {
	it, err := scanRecon(tx.tx.QueryRowContext(ctx, `SELECT `+reconColumns+` FROM recon_items WHERE ledger_id = ?`, ledgerID))
	if err != nil {
		return ReconItem{}, notFound(err, fmt.Sprintf("recon item of ledger transaction %d", ledgerID))
	}
	return it, nil
}

// ReconItemByLine returns the item of the merchant's Netzme line netzmeID
// in wallet's list inside tx, or ErrNotFound.
func (tx *Tx) ReconItemByLine(ctx context.Context, merchantID int64, wallet Wallet, netzmeID string) (ReconItem, error) {
	it, err := scanRecon(tx.tx.QueryRowContext(ctx, `SELECT `+reconColumns+` FROM recon_items
		WHERE merchant_id = ? AND wallet = ? AND line_netzme_id = ?`, merchantID, string(wallet), netzmeID))
	if err != nil {
		return ReconItem{}, notFound(err, fmt.Sprintf("recon item of line %s", netzmeID))
	}
	return it, nil
}

// SaveReconItem inserts it (ID 0) or updates the pairing of item it.ID:
// its sides, rule, outcome, times and amounts. A resolution is never
// touched here (ResolveReconItem writes it). It returns the item as stored.
func (tx *Tx) SaveReconItem(ctx context.Context, it ReconItem) (ReconItem, error) {
	now := formatTime(tx.now)
	args := []any{nullID(it.LedgerID), nullText(it.LineNetzmeID), nullID(it.LineID), string(it.Outcome), string(it.Rule),
		it.Kind, it.Method, formatTime(it.OccurredAt), it.Day, nullTime(it.WaitUntil), it.Reference, it.NetzmeID,
		nullAmount(it.HasLapak, it.LapakAmountMinor), it.LapakFeeMinor, it.LapakNetMinor,
		nullAmount(it.HasNetzme, it.NetzmeAmountMinor), it.NetzmeFeeMinor, it.NetzmeNetMinor, now}
	var out ReconItem
	var err error
	if it.ID == 0 {
		out, err = scanRecon(tx.tx.QueryRowContext(ctx, `INSERT INTO recon_items (ledger_id, line_netzme_id, line_id, outcome, rule,
			kind, method, occurred_at, day, wait_until, reference, netzme_id, lapak_amount_minor, lapak_fee_minor, lapak_net_minor,
			netzme_amount_minor, netzme_fee_minor, netzme_net_minor, updated_at, merchant_id, wallet, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+reconColumns,
			append(args, it.MerchantID, string(it.Wallet), now)...))
	} else {
		out, err = scanRecon(tx.tx.QueryRowContext(ctx, `UPDATE recon_items SET ledger_id = ?, line_netzme_id = ?, line_id = ?,
			outcome = ?, rule = ?, kind = ?, method = ?, occurred_at = ?, day = ?, wait_until = ?, reference = ?, netzme_id = ?,
			lapak_amount_minor = ?, lapak_fee_minor = ?, lapak_net_minor = ?, netzme_amount_minor = ?, netzme_fee_minor = ?,
			netzme_net_minor = ?, updated_at = ? WHERE id = ? RETURNING `+reconColumns, append(args, it.ID)...))
	}
	if isUniqueViolation(err) {
		return ReconItem{}, fmt.Errorf("db: recon item %d: %w", it.ID, ErrConflict)
	} else if err != nil {
		return ReconItem{}, fmt.Errorf("db: recon item %d: %w", it.ID, err)
	}
	return out, nil
}

// WaitingReconItemsDue returns at most n waiting items (any merchant) whose
// grace period ended by t, oldest deadline first.
func (tx *Tx) WaitingReconItemsDue(ctx context.Context, t time.Time, n int) ([]ReconItem, error) {
	return queryRows(ctx, tx.tx, `SELECT `+reconColumns+` FROM recon_items INDEXED BY recon_items_wait_until
		WHERE outcome = 'waiting' AND wait_until IS NOT NULL AND wait_until <= ? ORDER BY wait_until LIMIT ?`,
		[]any{formatTime(t), n}, scanRecon)
}

// WaitingReconItemsOfDay returns the merchant's waiting items of wallet on
// Jakarta day.
func (tx *Tx) WaitingReconItemsOfDay(ctx context.Context, merchantID int64, wallet Wallet, day string) ([]ReconItem, error) {
	return queryRows(ctx, tx.tx, `SELECT `+reconColumns+` FROM recon_items INDEXED BY recon_items_wait_day
		WHERE merchant_id = ? AND wallet = ? AND day = ? AND outcome = 'waiting'`, []any{merchantID, string(wallet), day}, scanRecon)
}

// OpenReconItemsBefore returns the merchant's unresolved exceptions of
// wallet that occurred before t.
func (tx *Tx) OpenReconItemsBefore(ctx context.Context, merchantID int64, wallet Wallet, t time.Time) ([]ReconItem, error) {
	return queryRows(ctx, tx.tx, `SELECT `+reconColumns+` FROM recon_items INDEXED BY recon_items_open
		WHERE merchant_id = ? AND wallet = ? AND occurred_at < ? AND outcome <> 'matched' AND resolved = 0`,
		[]any{merchantID, string(wallet), formatTime(t)}, scanRecon)
}

// ReconState is where the incremental pass stands.
type ReconState struct {
	LedgerAfter   int64     // ledger transactions read: id <= LedgerAfter
	LineAfter     int64     // statement line versions read
	OpeningAfter  int64     // opening balances applied
	DaysCheckedAt time.Time // statement days read again up to this synced_at
}

// ReconState returns the pass's state inside tx.
func (tx *Tx) ReconState(ctx context.Context) (ReconState, error) {
	var s ReconState
	var days string
	err := tx.tx.QueryRowContext(ctx, `SELECT ledger_after, line_after, opening_after, days_checked_at FROM recon_state WHERE id = 1`).
		Scan(&s.LedgerAfter, &s.LineAfter, &s.OpeningAfter, &days)
	if err != nil {
		return s, fmt.Errorf("db: recon state: %w", err)
	}
	s.DaysCheckedAt, err = parseOptionalTime(days)
	return s, err
}

// SetReconState records where the pass stands, in the transaction of the
// work it did.
func (tx *Tx) SetReconState(ctx context.Context, s ReconState) error {
	days := ""
	if !s.DaysCheckedAt.IsZero() {
		days = formatTime(s.DaysCheckedAt)
	}
	_, err := tx.tx.ExecContext(ctx, `UPDATE recon_state SET ledger_after = ?, line_after = ?, opening_after = ?, days_checked_at = ?,
		updated_at = ? WHERE id = 1`, s.LedgerAfter, s.LineAfter, s.OpeningAfter, days, formatTime(tx.now))
	if err != nil {
		return fmt.Errorf("db: recon state: %w", err)
	}
	return nil
}

// ReconWorkPending reports, from the read pool, whether the pass has
// anything to do at t: ledger transactions, line versions or opening
// balances it has not read, days read again since it looked, or waits that
// ended. Each is one index seek, so a page can ask before taking the writer.
func (d *DB) ReconWorkPending(ctx context.Context, t time.Time) (bool, error) {
	var pending bool
	err := d.sql.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM ledger_transactions WHERE id > (SELECT ledger_after FROM recon_state WHERE id = 1))
		OR EXISTS (SELECT 1 FROM statement_lines WHERE id > (SELECT line_after FROM recon_state WHERE id = 1))
		OR EXISTS (SELECT 1 FROM netzme_opening_balances WHERE id > (SELECT opening_after FROM recon_state WHERE id = 1))
		OR EXISTS (SELECT 1 FROM statement_days INDEXED BY statement_days_synced
			WHERE state = 'done' AND synced_at > (SELECT days_checked_at FROM recon_state WHERE id = 1))
		OR EXISTS (SELECT 1 FROM recon_items INDEXED BY recon_items_wait_until
			WHERE outcome = 'waiting' AND wait_until IS NOT NULL AND wait_until <= ?)`, formatTime(t)).Scan(&pending)
	if err != nil {
		return false, fmt.Errorf("db: recon work pending: %w", err)
	}
	return pending, nil
}

// ReconBacklog counts, up to CountCap, the ledger transactions and line
// versions the pass has not read yet.
func (d *DB) ReconBacklog(ctx context.Context) (int, error) {
	var n int
	err := d.sql.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM (SELECT 1 FROM ledger_transactions WHERE id > (SELECT ledger_after FROM recon_state) LIMIT ?1) AS t) +
		(SELECT count(*) FROM (SELECT 1 FROM statement_lines WHERE id > (SELECT line_after FROM recon_state) LIMIT ?1) AS l)`, CountCap).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("db: recon backlog: %w", err)
	}
	return n, nil
}

// ResolveReconItem records a person's resolution of the merchant's item id
// — their note and, when one was posted, the adjustment — with its audit
// line, in one transaction. ErrNotFound for another merchant's item;
// ErrConflict when the item is resolved already (a resolution stands).
func (d *DB) ResolveReconItem(ctx context.Context, merchantID, id, userID int64, note string, adjustmentID int64, audit AuditEntry) (ReconItem, error) {
	var out ReconItem
	err := d.InTx(ctx, func(tx *Tx) error {
		it, err := scanRecon(tx.tx.QueryRowContext(ctx, `SELECT `+reconColumns+` FROM recon_items WHERE id = ? AND merchant_id = ?`, id, merchantID))
		if err != nil {
			return notFound(err, fmt.Sprintf("recon item %d of merchant %d", id, merchantID))
		}
		if it.Resolved {
			return fmt.Errorf("db: recon item %d is resolved already: %w", id, ErrConflict)
		}
		now := formatTime(tx.now)
		if out, err = scanRecon(tx.tx.QueryRowContext(ctx, `UPDATE recon_items SET resolved = 1, resolved_at = ?, resolved_by = ?,
			note = ?, adjustment_id = ?, updated_at = ? WHERE id = ? RETURNING `+reconColumns,
			now, nullID(userID), note, nullID(adjustmentID), now, id)); err != nil {
			return fmt.Errorf("db: resolve recon item %d: %w", id, err)
		}
		return tx.Audit(ctx, audit)
	})
	return out, err
}

// ReconItem returns the merchant's item id, or ErrNotFound.
func (d *DB) ReconItem(ctx context.Context, merchantID, id int64) (ReconItem, error) {
	it, err := scanRecon(d.sql.QueryRowContext(ctx, `SELECT `+reconColumns+` FROM recon_items WHERE id = ? AND merchant_id = ?`, id, merchantID))
	if err != nil {
		return ReconItem{}, notFound(err, fmt.Sprintf("recon item %d of merchant %d", id, merchantID))
	}
	return it, nil
}

// ReconFilter selects the page's items. Zero fields do not filter.
type ReconFilter struct {
	From, To time.Time // occurred at or after From, before To
	Outcome  ReconOutcome
	Resolved *bool
}

// reconKeys orders the list newest first.
var reconKeys = keyset{list: "reconciliation", key: "occurred_at", id: "id", kind: keyTime, desc: true}

// from is the list's table with the index its filter seeks (INDEXED BY, as
// InvoiceFilter.from explains), and its conditions for the rows after c.
// A date bound the cursor already implies is left out (as invoicesAfter
// does): two bounds on occurred_at can lead the planner away from the
// index order.
func (f ReconFilter) from(merchantID int64, c Cursor) (string, []string, []any) {
	if !c.IsZero() {
		if c.Back && !f.From.IsZero() && c.Key >= formatTime(f.From) {
			f.From = time.Time{}
		} else if !c.Back && !f.To.IsZero() && c.Key < formatTime(f.To) {
			f.To = time.Time{}
		}
	}
	index := "recon_items_list"
	conds, args := []string{"merchant_id = ?"}, []any{merchantID}
	switch {
	case f.Outcome != "" && f.Resolved != nil:
		index = "recon_items_list_outcome_resolved"
	case f.Outcome != "":
		index = "recon_items_list_outcome"
	case f.Resolved != nil:
		index = "recon_items_list_resolved"
	}
	if f.Outcome != "" {
		conds, args = append(conds, "outcome = ?"), append(args, string(f.Outcome))
	}
	if f.Resolved != nil {
		conds, args = append(conds, "resolved = ?"), append(args, boolInt(*f.Resolved))
	}
	if !f.From.IsZero() {
		conds, args = append(conds, "occurred_at >= ?"), append(args, formatTime(f.From))
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "occurred_at < ?"), append(args, formatTime(f.To))
	}
	return "recon_items INDEXED BY " + index, conds, args
}

func reconAt(it ReconItem) Cursor { return Cursor{Key: formatTime(it.OccurredAt), ID: it.ID} }

// ReconItems returns one page of the merchant's items matching f, newest
// first, after the cursor token (see Paginate). ErrBadCursor for a token
// that is not this list's.
func (d *DB) ReconItems(ctx context.Context, merchantID int64, f ReconFilter, token string, limit int) (Page[ReconItem], error) {
	return Paginate(reconKeys.list, token, limit, reconKeys.check, func(c Cursor, n int) ([]ReconItem, error) {
		return d.reconItemsAfter(ctx, merchantID, f, c, n)
	}, reconAt)
}

func (d *DB) reconItemsAfter(ctx context.Context, merchantID int64, f ReconFilter, c Cursor, n int) ([]ReconItem, error) {
	table, conds, args := f.from(merchantID, c)
	items, err := queryKeyset(ctx, d.sql, reconKeys, c, n, `SELECT `+reconColumns+` FROM `+table, conds, args, scanRecon)
	if err != nil {
		return nil, fmt.Errorf("db: reconciliation: %w", err)
	}
	return items, nil
}

// ReconItemRows yields every item matching f, newest first, read in
// keyset batches (for the CSV export: constant memory).
func (d *DB) ReconItemRows(ctx context.Context, merchantID int64, f ReconFilter) iter.Seq2[ReconItem, error] {
	return ReadAhead(ctx, reconAt, func(ctx context.Context, c Cursor, n int) ([]ReconItem, error) {
		return d.reconItemsAfter(ctx, merchantID, f, c, n)
	})
}

// CountReconItems counts, up to CountCap, the merchant's items matching f.
func (d *DB) CountReconItems(ctx context.Context, merchantID int64, f ReconFilter) (int, error) {
	table, conds, args := f.from(merchantID, Cursor{})
	n, err := countCapped(ctx, d.sql, `SELECT 1 FROM `+table+whereClause(conds), args...)
	if err != nil {
		return 0, fmt.Errorf("db: count recon items: %w", err)
	}
	return n, nil
}

// ReconDaySynced is a Jakarta day of a merchant's Netzme list that was read
// through at SyncedAt.
type ReconDaySynced struct {
	MerchantID int64
	Source     StatementSource
	Day        string
	SyncedAt   time.Time
}

// DaysSyncedSince returns every list day (any merchant) read through after
// t, oldest read first.
func (tx *Tx) DaysSyncedSince(ctx context.Context, t time.Time) ([]ReconDaySynced, error) {
	after := ""
	if !t.IsZero() {
		after = formatTime(t)
	}
	return queryRows(ctx, tx.tx, `SELECT merchant_id, source, day, synced_at FROM statement_days INDEXED BY statement_days_synced
		WHERE state = 'done' AND synced_at > ? ORDER BY synced_at`, []any{after}, func(s scanner) (ReconDaySynced, error) {
		var r ReconDaySynced
		var at string
		if err := s.Scan(&r.MerchantID, &r.Source, &r.Day, &at); err != nil {
			return r, err
		}
		var err error
		r.SyncedAt, err = parseTime(at)
		return r, err
	})
}

// DaySyncedAt returns when the merchant's list of source was last read
// through for Jakarta day (zero: never).
func (tx *Tx) DaySyncedAt(ctx context.Context, merchantID int64, source StatementSource, day string) (time.Time, error) {
	var at sql.NullString
	err := tx.tx.QueryRowContext(ctx, `SELECT synced_at FROM statement_days WHERE merchant_id = ? AND source = ? AND day = ?`,
		merchantID, string(source), day).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !at.Valid) {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, fmt.Errorf("db: day %s synced: %w", day, err)
	}
	return parseTime(at.String)
}

// OpeningRow is an opening balance with its id (for the pass's cursor).
type OpeningRow struct {
	ID int64
	OpeningBalance
}

// OpeningBalancesAfter returns the opening balances (any merchant) with id
// greater than afterID, in id order.
func (tx *Tx) OpeningBalancesAfter(ctx context.Context, afterID int64) ([]OpeningRow, error) {
	return queryRows(ctx, tx.tx, `SELECT id, merchant_id, cust_id, wallet, total_minor, settled_minor, raw, as_of
		FROM netzme_opening_balances WHERE id > ? ORDER BY id`, []any{afterID}, scanOpeningRow)
}

func scanOpeningRow(s scanner) (OpeningRow, error) {
	var b OpeningRow
	var at string
	if err := s.Scan(&b.ID, &b.MerchantID, &b.CustID, &b.Wallet, &b.TotalMinor, &b.SettledMinor, &b.Raw, &at); err != nil {
		return b, err
	}
	var err error
	b.AsOf, err = parseTime(at)
	return b, err
}

// OpeningOf returns the merchant's first opening balance of wallet inside
// tx (the moment its books begin), or ErrNotFound.
func (tx *Tx) OpeningOf(ctx context.Context, merchantID int64, wallet Wallet) (OpeningRow, error) {
	b, err := scanOpeningRow(tx.tx.QueryRowContext(ctx, `SELECT id, merchant_id, cust_id, wallet, total_minor, settled_minor, raw, as_of
		FROM netzme_opening_balances WHERE merchant_id = ? AND wallet = ? ORDER BY as_of, id LIMIT 1`, merchantID, string(wallet)))
	if err != nil {
		return OpeningRow{}, notFound(err, fmt.Sprintf("opening balance of merchant %d", merchantID))
	}
	return b, nil
}

// validOutcome reports whether s is an outcome.
func validOutcome(s string) bool {
	for _, o := range ReconOutcomes {
		if string(o) == s {
			return true
		}
	}
	return false
}

// ParseReconOutcome returns the outcome named s (any case), or false.
func ParseReconOutcome(s string) (ReconOutcome, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if !validOutcome(s) {
		return "", false
	}
	return ReconOutcome(s), true
}

// DeleteReconItem removes unresolved item id inside tx: the pass found it is
// one side of another item (the schema refuses to delete a resolved one).
func (tx *Tx) DeleteReconItem(ctx context.Context, id int64) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM recon_items WHERE id = ? AND resolved = 0`, id); err != nil {
		return fmt.Errorf("db: delete recon item %d: %w", id, err)
	}
	return nil
}
