package db

import (
	"context"
	"fmt"
	"time"
)

// The balance proof (issue 12 §4): Netzme's balance at the end of a sync
// next to the books' balance at that moment, and the open exceptions that
// explain a difference. Every read here is an index seek or a short range.

// BalanceSnapshot is a Netzme balance read at the end of a sync.
type BalanceSnapshot struct {
	ID           int64
	MerchantID   int64
	Wallet       Wallet
	TotalMinor   int64 // totalBalance (§3.3), or the deposit (§3.26)
	SettledMinor int64
	Raw          string
	RunID        int64
	AsOf         time.Time
}

// RecordBalanceSnapshot stores s.
func (d *DB) RecordBalanceSnapshot(ctx context.Context, s BalanceSnapshot) error {
	_, err := d.w.ExecContext(ctx, `INSERT INTO netzme_balance_snapshots (merchant_id, wallet, total_minor, settled_minor, raw, run_id, as_of)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, s.MerchantID, string(s.Wallet), s.TotalMinor, s.SettledMinor, s.Raw, nullID(s.RunID), formatTime(s.AsOf))
	if err != nil {
		return fmt.Errorf("db: balance snapshot of merchant %d: %w", s.MerchantID, err)
	}
	return nil
}

// LatestBalanceSnapshot returns the merchant's newest snapshot of wallet, or
// ErrNotFound.
func (d *DB) LatestBalanceSnapshot(ctx context.Context, merchantID int64, wallet Wallet) (BalanceSnapshot, error) {
	var s BalanceSnapshot
	var at string
	err := d.sql.QueryRowContext(ctx, `SELECT id, merchant_id, wallet, total_minor, settled_minor, raw, coalesce(run_id, 0), as_of
		FROM netzme_balance_snapshots INDEXED BY netzme_balance_snapshots_latest WHERE merchant_id = ? AND wallet = ?
		ORDER BY id DESC LIMIT 1`, merchantID, string(wallet)).
		Scan(&s.ID, &s.MerchantID, &s.Wallet, &s.TotalMinor, &s.SettledMinor, &s.Raw, &s.RunID, &at)
	if err != nil {
		return s, notFound(err, fmt.Sprintf("balance snapshot of merchant %d", merchantID))
	}
	s.AsOf, err = parseTime(at)
	return s, err
}

// LedgerBalanceAt returns the merchant's balance on account counting every
// transaction that occurred at or before t, whenever it was written: the
// checkpoint less the postings of later transactions (a short range of the
// journal's (merchant, occurred_at) index when t is recent).
func (d *DB) LedgerBalanceAt(ctx context.Context, merchantID int64, account LedgerAccount, t time.Time) (int64, error) {
	return ledgerBalanceAt(ctx, d.sql, merchantID, account, t)
}

// LedgerBalanceAt is DB.LedgerBalanceAt inside tx.
func (tx *Tx) LedgerBalanceAt(ctx context.Context, merchantID int64, account LedgerAccount, t time.Time) (int64, error) {
	return ledgerBalanceAt(ctx, tx.tx, merchantID, account, t)
}

func ledgerBalanceAt(ctx context.Context, q reader, merchantID int64, account LedgerAccount, t time.Time) (int64, error) {
	var b int64
	err := q.QueryRowContext(ctx, `SELECT a.balance_minor - coalesce((SELECT sum(p.amount_minor)
			FROM ledger_transactions lt INDEXED BY ledger_transactions_merchant_occurred
			JOIN ledger_postings p ON p.transaction_id = lt.id AND p.account_id = a.id
			WHERE lt.merchant_id = a.merchant_id AND lt.occurred_at > ?), 0)
		FROM ledger_accounts a WHERE a.merchant_id = ? AND a.code = ?`, formatTime(t), merchantID, string(account)).Scan(&b)
	if err != nil {
		return 0, notFound(err, fmt.Sprintf("ledger account %s of merchant %d", account, merchantID))
	}
	return b, nil
}

// OpenExceptionSum counts the merchant's unresolved exceptions of wallet
// that occurred at or before t, and sums what they explain: Netzme's net
// effect less the books' (positive: Netzme holds more).
func (d *DB) OpenExceptionSum(ctx context.Context, merchantID int64, wallet Wallet, t time.Time) (n int, sumMinor int64, err error) {
	err = d.sql.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(netzme_net_minor - lapak_net_minor), 0)
		FROM recon_items INDEXED BY recon_items_open
		WHERE merchant_id = ? AND wallet = ? AND occurred_at <= ? AND outcome <> 'matched' AND resolved = 0`,
		merchantID, string(wallet), formatTime(t)).Scan(&n, &sumMinor)
	if err != nil {
		return 0, 0, fmt.Errorf("db: open exceptions: %w", err)
	}
	return n, sumMinor, nil
}

// OpenExceptions returns at most limit of the merchant's unresolved
// exceptions of wallet that occurred at or before t, newest first.
func (d *DB) OpenExceptions(ctx context.Context, merchantID int64, wallet Wallet, t time.Time, limit int) ([]ReconItem, error) {
	return queryRows(ctx, d.sql, `SELECT `+reconColumns+` FROM recon_items INDEXED BY recon_items_open
		WHERE merchant_id = ? AND wallet = ? AND occurred_at <= ? AND outcome <> 'matched' AND resolved = 0
		ORDER BY occurred_at DESC LIMIT ?`, []any{merchantID, string(wallet), formatTime(t), limit}, scanRecon)
}

// OpeningRowsOf returns the merchant's opening balances inside tx, oldest
// first.
func (tx *Tx) OpeningRowsOf(ctx context.Context, merchantID int64) ([]OpeningRow, error) {
	return queryRows(ctx, tx.tx, `SELECT id, merchant_id, cust_id, wallet, total_minor, settled_minor, raw, as_of
		FROM netzme_opening_balances WHERE merchant_id = ? ORDER BY id`, []any{merchantID}, scanOpeningRow)
}

// OpeningBooked reports whether opening balance openingID was booked (or
// found to need no posting) already.
func (tx *Tx) OpeningBooked(ctx context.Context, openingID int64) (bool, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM ledger_openings WHERE opening_id = ?`, openingID).Scan(&n); err != nil {
		return false, fmt.Errorf("db: opening %d booked: %w", openingID, err)
	}
	return n > 0, nil
}

// RecordOpeningBooking records that opening balance openingID was booked as
// ledger transaction ledgerID (0: nothing to post) with heldMinor already
// in the books. A second record is ErrConflict.
func (tx *Tx) RecordOpeningBooking(ctx context.Context, openingID, merchantID, ledgerID, heldMinor int64) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO ledger_openings (opening_id, merchant_id, ledger_id, held_minor, booked_at)
		VALUES (?, ?, ?, ?, ?)`, openingID, merchantID, nullID(ledgerID), heldMinor, formatTime(tx.now))
	if isUniqueViolation(err) {
		return fmt.Errorf("db: opening %d: %w", openingID, ErrConflict)
	} else if err != nil {
		return fmt.Errorf("db: opening %d: %w", openingID, err)
	}
	return nil
}

// LedgerBalanceRecordedBefore returns the merchant's balance on account as
// the books stood before t: the running balance after the last posting of
// a transaction written before t (a backward walk of the account's
// postings from the newest, short when t is recent).
func (tx *Tx) LedgerBalanceRecordedBefore(ctx context.Context, merchantID int64, account LedgerAccount, t time.Time) (int64, error) {
	var b int64
	err := tx.tx.QueryRowContext(ctx, `SELECT coalesce((SELECT p.balance_after_minor
			FROM ledger_postings p INDEXED BY ledger_postings_account
			JOIN ledger_transactions lt ON lt.id = p.transaction_id
			WHERE p.account_id = a.id AND lt.recorded_at < ? ORDER BY p.id DESC LIMIT 1), 0)
		FROM ledger_accounts a WHERE a.merchant_id = ? AND a.code = ?`, formatTime(t), merchantID, string(account)).Scan(&b)
	if err != nil {
		return 0, notFound(err, fmt.Sprintf("ledger account %s of merchant %d", account, merchantID))
	}
	return b, nil
}
