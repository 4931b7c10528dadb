package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Shift is one cashier's shift at one shop (tutup kasir). ClosedAt is zero
// while it is open.
type Shift struct {
	ID         int64
	MerchantID int64
	UserID     int64
	UserEmail  string
	UserName   string
	OpenedAt   time.Time
	ClosedAt   time.Time
	ClosedBy   int64
}

// Open reports whether the shift has not been closed.
func (s Shift) Open() bool { return s.ClosedAt.IsZero() }

const shiftColumns = `s.id, s.merchant_id, s.user_id, u.email, u.name, s.opened_at, s.closed_at, coalesce(s.closed_by, 0)`

const shiftFrom = ` FROM shifts s JOIN users u ON u.id = s.user_id`

func scanShift(row interface{ Scan(...any) error }) (Shift, error) {
	var s Shift
	var opened string
	var closed sql.NullString
	if err := row.Scan(&s.ID, &s.MerchantID, &s.UserID, &s.UserEmail, &s.UserName, &opened, &closed, &s.ClosedBy); err != nil {
		return Shift{}, err
	}
	var err error
	if s.OpenedAt, err = parseTime(opened); err != nil {
		return Shift{}, err
	}
	if closed.Valid {
		if s.ClosedAt, err = parseTime(closed.String); err != nil {
			return Shift{}, err
		}
	}
	return s, nil
}

// OpenShift opens a shift for userID at merchantID now, with its audit
// entry. ErrConflict when that person already has an open shift there.
func (d *DB) OpenShift(ctx context.Context, merchantID, userID int64, audit AuditEntry) (Shift, error) {
	var out Shift
	err := d.InTx(ctx, func(tx *Tx) error {
		var id int64
		err := tx.tx.QueryRowContext(ctx, `INSERT INTO shifts (merchant_id, user_id, opened_at) VALUES (?, ?, ?) RETURNING id`,
			merchantID, userID, formatTime(tx.now)).Scan(&id)
		if isUniqueViolation(err) {
			return fmt.Errorf("db: open shift of user %d: %w", userID, ErrConflict)
		} else if err != nil {
			return fmt.Errorf("db: open shift of user %d: %w", userID, err)
		}
		if out, err = scanShift(tx.tx.QueryRowContext(ctx, `SELECT `+shiftColumns+shiftFrom+` WHERE s.id = ?`, id)); err != nil {
			return fmt.Errorf("db: shift %d: %w", id, err)
		}
		audit.MerchantID = merchantID
		return tx.Audit(ctx, audit)
	})
	return out, err
}

// OpenShiftOf returns the open shift of userID at merchantID, or ErrNotFound.
func (d *DB) OpenShiftOf(ctx context.Context, merchantID, userID int64) (Shift, error) {
	s, err := scanShift(d.sql.QueryRowContext(ctx, `SELECT `+shiftColumns+shiftFrom+`
		WHERE s.merchant_id = ? AND s.user_id = ? AND s.closed_at IS NULL`, merchantID, userID))
	if err != nil {
		return Shift{}, notFound(err, fmt.Sprintf("open shift of user %d", userID))
	}
	return s, nil
}

// CloseShift closes open shift id of merchantID now, by closedBy, with its
// audit entry. It reports false (and changes nothing) when the shift was
// closed already; ErrNotFound when it is not the merchant's.
func (d *DB) CloseShift(ctx context.Context, merchantID, id, closedBy int64, audit AuditEntry) (Shift, bool, error) {
	var out Shift
	var closed bool
	err := d.InTx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `UPDATE shifts SET closed_at = ?, closed_by = ? WHERE id = ? AND merchant_id = ? AND closed_at IS NULL`,
			formatTime(tx.now), closedBy, id, merchantID)
		if err != nil {
			return fmt.Errorf("db: close shift %d: %w", id, err)
		}
		n, _ := res.RowsAffected()
		closed = n == 1
		out, err = scanShift(tx.tx.QueryRowContext(ctx, `SELECT `+shiftColumns+shiftFrom+` WHERE s.id = ? AND s.merchant_id = ?`, id, merchantID))
		if err != nil {
			return notFound(err, fmt.Sprintf("shift %d of merchant %d", id, merchantID))
		}
		if !closed {
			return nil
		}
		audit.MerchantID = merchantID
		return tx.Audit(ctx, audit)
	})
	return out, closed, err
}

// MerchantShift returns shift id of merchantID, or ErrNotFound.
func (d *DB) MerchantShift(ctx context.Context, merchantID, id int64) (Shift, error) {
	s, err := scanShift(d.sql.QueryRowContext(ctx, `SELECT `+shiftColumns+shiftFrom+` WHERE s.id = ? AND s.merchant_id = ?`, id, merchantID))
	if err != nil {
		return Shift{}, notFound(err, fmt.Sprintf("shift %d of merchant %d", id, merchantID))
	}
	return s, nil
}

// Shifts returns merchantID's shifts, newest first, at most limit; userID 0
// returns everyone's.
func (d *DB) Shifts(ctx context.Context, merchantID, userID int64, limit int) ([]Shift, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+shiftColumns+shiftFrom+`
		WHERE s.merchant_id = ?1 AND (?2 = 0 OR s.user_id = ?2) ORDER BY s.id DESC LIMIT ?3`, merchantID, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: shifts: %w", err)
	}
	defer rows.Close()
	var out []Shift
	for rows.Next() {
		s, err := scanShift(rows)
		if err != nil {
			return nil, fmt.Errorf("db: shifts: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// MethodTotal is how many payments of one method came in, and their sum in
// sen. Method is a Netzme payMethod of a paid sale invoice, "QRIS_STATIC"
// for a static-QRIS payment or "CVS" for a paid convenience-store bill.
type MethodTotal struct {
	Method      string
	Count       int
	AmountMinor int64
}

// Methods of SalesByMethod that are not Netzme payMethods.
const (
	MethodStaticQRIS = "QRIS_STATIC"
	MethodCVS        = "CVS"
)

// SalesByMethod sums what merchantID was paid in [from, to) by method: paid
// sale invoices (the amount paid), static-QRIS payments and paid CVS bills.
// userID 0 counts the whole shop; otherwise only what that person rang up:
// invoices and bills they created, and static payments matched to a
// counter code they showed (an unmatched static payment belongs to nobody).
func (d *DB) SalesByMethod(ctx context.Context, merchantID, userID int64, from, to time.Time) ([]MethodTotal, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT method, count(*), coalesce(sum(amount), 0) FROM (
		SELECT method, paid_amount_minor AS amount FROM invoices
		 WHERE merchant_id = ?1 AND purpose = 'sale' AND status = 'paid' AND paid_at >= ?2 AND paid_at < ?3
		   AND (?4 = 0 OR created_by = ?4)
		UNION ALL
		SELECT 'QRIS_STATIC', p.amount_minor FROM payments p
		 WHERE p.merchant_id = ?1 AND p.paid_at >= ?2 AND p.paid_at < ?3
		   AND (?4 = 0 OR EXISTS (SELECT 1 FROM qris_codes c WHERE c.payment_id = p.id AND c.created_by = ?4))
		UNION ALL
		SELECT 'CVS', coalesce(paid_amount_minor, amount_minor) FROM cvs_bills
		 WHERE merchant_id = ?1 AND status = 'paid' AND paid_at >= ?2 AND paid_at < ?3
		   AND (?4 = 0 OR created_by = ?4)
		) AS sales GROUP BY method ORDER BY method`, merchantID, formatTime(from), formatTime(to), userID)
	if err != nil {
		return nil, fmt.Errorf("db: sales by method: %w", err)
	}
	defer rows.Close()
	var out []MethodTotal
	for rows.Next() {
		var m MethodTotal
		if err := rows.Scan(&m.Method, &m.Count, &m.AmountMinor); err != nil {
			return nil, fmt.Errorf("db: sales by method: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// UnmatchedStaticPayments counts merchantID's static-QRIS payments in
// [from, to) that no counter code was matched to: money that came in during
// a shift without anyone's sale standing behind it.
func (d *DB) UnmatchedStaticPayments(ctx context.Context, merchantID int64, from, to time.Time) (int, error) {
	var n int
	err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM payments p WHERE p.merchant_id = ? AND p.paid_at >= ? AND p.paid_at < ?
		AND NOT EXISTS (SELECT 1 FROM qris_codes c WHERE c.payment_id = p.id)`, merchantID, formatTime(from), formatTime(to)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("db: unmatched static payments: %w", err)
	}
	return n, nil
}
