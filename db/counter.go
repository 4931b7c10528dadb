package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Counter mode's fixed-amount codes (see migrations/00010_counter.sql): a
// converted code shown at the counter waits for a static-QRIS payment of its
// amount. The payment carries nothing that names the code, so the match is
// by shop, amount and time, and only when it is unambiguous.

// CounterCodesWaiting returns the converted codes of merchantID with
// amountMinor that are still waiting at t (shown, before their deadline,
// not matched), oldest first.
func (d *DB) CounterCodesWaiting(ctx context.Context, merchantID, amountMinor int64, t time.Time) ([]QRISCode, error) {
	return counterCodesWaiting(ctx, d.sql, merchantID, amountMinor, t)
}

func counterCodesWaiting(ctx context.Context, q reader, merchantID, amountMinor int64, t time.Time) ([]QRISCode, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+qrisColumns+` FROM qris_codes
		WHERE merchant_id = ? AND kind = 'converted' AND amount_minor = ? AND payment_id IS NULL
		  AND awaiting_until IS NOT NULL AND awaiting_until >= ? AND created_at <= ?
		ORDER BY id`, merchantID, amountMinor, formatTime(t), formatTime(t))
	if err != nil {
		return nil, fmt.Errorf("db: waiting counter codes: %w", err)
	}
	defer rows.Close()
	var out []QRISCode
	for rows.Next() {
		c, err := scanQRIS(rows)
		if err != nil {
			return nil, fmt.Errorf("db: waiting counter codes: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// MatchCounterCode ties static-QRIS payment p to the one counter code of its
// shop waiting for exactly its amount when it was paid. It reports the code
// and true when it matched now or earlier (a re-applied callback finds its
// code again); false when no code, or more than one, was waiting — then
// nobody can tell which customer paid and nothing is matched.
func (tx *Tx) MatchCounterCode(ctx context.Context, p Payment) (QRISCode, bool, error) {
	prev, err := scanQRIS(tx.tx.QueryRowContext(ctx, `SELECT `+qrisColumns+` FROM qris_codes WHERE payment_id = ?`, p.ID))
	if err == nil {
		return prev, true, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return QRISCode{}, false, fmt.Errorf("db: counter code of payment %d: %w", p.ID, err)
	}
	waiting, err := counterCodesWaiting(ctx, tx.tx, p.MerchantID, p.AmountMinor, p.PaidAt)
	if err != nil || len(waiting) != 1 {
		return QRISCode{}, false, err
	}
	c := waiting[0]
	res, err := tx.tx.ExecContext(ctx, `UPDATE qris_codes SET payment_id = ? WHERE id = ? AND payment_id IS NULL`, p.ID, c.ID)
	if err != nil {
		return QRISCode{}, false, fmt.Errorf("db: match counter code %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return QRISCode{}, false, nil
	}
	c.PaymentID = p.ID
	return c, true, nil
}

// QRISCodeByPayment returns the counter code static-QRIS payment paymentID
// of merchantID was matched to, or ErrNotFound.
func (d *DB) QRISCodeByPayment(ctx context.Context, merchantID, paymentID int64) (QRISCode, error) {
	c, err := scanQRIS(d.sql.QueryRowContext(ctx, `SELECT `+qrisColumns+` FROM qris_codes WHERE payment_id = ? AND merchant_id = ?`,
		paymentID, merchantID))
	if err != nil {
		return QRISCode{}, notFound(err, fmt.Sprintf("counter code of payment %d", paymentID))
	}
	return c, nil
}

// MerchantPayment returns static-QRIS payment id of merchantID, or
// ErrNotFound.
func (d *DB) MerchantPayment(ctx context.Context, merchantID, id int64) (Payment, error) {
	p, err := scanPayment(d.sql.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = ? AND merchant_id = ?`,
		id, merchantID))
	if err != nil {
		return Payment{}, notFound(err, fmt.Sprintf("payment %d of merchant %d", id, merchantID))
	}
	return p, nil
}

// PIN states (merchants.pin_state).
const (
	PINUnknown = "unknown"
	PINSet     = "set"
	PINMissing = "missing"
)

// PINState returns what Lapak last learnt about merchantID's withdrawal PIN:
// PINSet, PINMissing or PINUnknown.
func (d *DB) PINState(ctx context.Context, merchantID int64) (string, error) {
	var s string
	if err := d.sql.QueryRowContext(ctx, `SELECT pin_state FROM merchants WHERE id = ?`, merchantID).Scan(&s); err != nil {
		return "", notFound(err, fmt.Sprintf("pin state of merchant %d", merchantID))
	}
	return s, nil
}

// SetPINState records what Netzme just told about merchantID's PIN.
func (d *DB) SetPINState(ctx context.Context, merchantID int64, state string) error {
	if _, err := d.w.ExecContext(ctx, `UPDATE merchants SET pin_state = ? WHERE id = ?`, state, merchantID); err != nil {
		return fmt.Errorf("db: pin state of merchant %d: %w", merchantID, err)
	}
	return nil
}

// WrongPINsInARow counts merchantID's withdrawals Netzme refused for a wrong
// PIN since it last accepted the PIN (a withdrawal sent on, or refused for a
// reason that comes after the PIN check) or the PIN was created or reset.
func (d *DB) WrongPINsInARow(ctx context.Context, merchantID int64) (int, error) {
	var n int
	err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM withdrawals
		WHERE merchant_id = ?1 AND failure_code = 'pin_wrong'
		  AND id > coalesce((SELECT max(id) FROM withdrawals WHERE merchant_id = ?1 AND (status IN ('pending', 'success')
		      OR (status = 'failed' AND failure_code NOT IN ('', 'pin_wrong', 'pin_blocked', 'pin_missing')))), 0)
		  AND created_at > coalesce((SELECT max(created_at) FROM netzme_actions WHERE merchant_id = ?1
		      AND kind IN ('pin.create', 'pin.forgot') AND status = 'ok'), '')`, merchantID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("db: wrong PINs of merchant %d: %w", merchantID, err)
	}
	return n, nil
}
