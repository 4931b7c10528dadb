package db

import (
	"context"
	"fmt"
	"time"
)

// PaidSummary is a merchant's paid invoices in a time window: how many and
// the gross total in sen.
type PaidSummary struct {
	Count      int
	TotalMinor int64
}

// PaidBetween sums merchantID's invoices paid in [from, to).
func (d *DB) PaidBetween(ctx context.Context, merchantID int64, from, to time.Time) (PaidSummary, error) {
	var s PaidSummary
	err := d.sql.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(paid_amount_minor), 0) FROM invoices
		WHERE merchant_id = ? AND status = 'paid' AND paid_at >= ? AND paid_at < ?`,
		merchantID, formatTime(from), formatTime(to)).Scan(&s.Count, &s.TotalMinor)
	if err != nil {
		return PaidSummary{}, fmt.Errorf("db: paid between: %w", err)
	}
	return s, nil
}

// RecentPaid returns merchantID's last paid invoices, newest payment first.
func (d *DB) RecentPaid(ctx context.Context, merchantID int64, limit int) ([]Invoice, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+invoiceColumns+` FROM invoices
		WHERE merchant_id = ? AND status = 'paid' ORDER BY paid_at DESC, id DESC LIMIT ?`, merchantID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: recent paid: %w", err)
	}
	defer rows.Close()
	var out []Invoice
	for rows.Next() {
		iv, err := scanInvoice(rows)
		if err != nil {
			return nil, fmt.Errorf("db: recent paid: %w", err)
		}
		out = append(out, iv)
	}
	return out, rows.Err()
}
