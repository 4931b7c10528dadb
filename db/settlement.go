package db

import (
	"context"
	"fmt"
	"time"
)

// Reads of the settlement summary (issue 12 §4): the daily totals and the
// few journal rows they cannot say everything about (adjustments and
// opening balances, whose accounts are in their postings).

// DailyTotalsBefore returns merchantID's daily totals of every Jakarta day
// before day (YYYY-MM-DD), summed per kind and method (Day is ""): the
// movements up to a month's first day. It reads the daily totals — a row per
// day, kind and method — never the journal.
func (d *DB) DailyTotalsBefore(ctx context.Context, merchantID int64, day string) ([]DailyTotal, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT kind, method, sum(count), sum(amount_minor), sum(fee_minor) FROM ledger_daily
		WHERE merchant_id = ? AND day < ? GROUP BY kind, method ORDER BY kind, method`, merchantID, day)
	if err != nil {
		return nil, fmt.Errorf("db: daily totals before %s: %w", day, err)
	}
	defer rows.Close()
	var out []DailyTotal
	for rows.Next() {
		var t DailyTotal
		if err := rows.Scan(&t.Kind, &t.Method, &t.Count, &t.AmountMinor, &t.FeeMinor); err != nil {
			return nil, fmt.Errorf("db: daily totals before %s: %w", day, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// LedgerAdjustmentsBefore returns merchantID's adjustments and opening
// balances (their reversals included) that occurred before before, oldest
// first, with their postings. People make these by hand: they are few, and
// read through the kind index.
func (d *DB) LedgerAdjustmentsBefore(ctx context.Context, merchantID int64, before time.Time) ([]LedgerTransaction, error) {
	return queryLedger(ctx, d.sql, `SELECT `+ledgerColumns+` FROM ledger_transactions INDEXED BY ledger_history_kind
		WHERE merchant_id = ? AND kind IN ('adjustment', 'opening_balance') AND occurred_at < ?
		ORDER BY occurred_at, id`, merchantID, formatTime(before))
}
