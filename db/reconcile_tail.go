package db

import (
	"context"
	"fmt"
	"time"
)

// Unique amounts (issue 12 §3): a fixed-amount code made at the counter may
// carry a tail (Rp 25.000 → Rp 25.037) so that its amount is unique among
// the shop's codes waiting at the time, and the static-QRIS payment of that
// amount is attributed to its sale (MatchCounterCode) and to its line of
// Netzme's statement (money's unique-amount rule).

// CounterAmountsWaiting returns the amounts in [lo, hi] of merchantID's
// counter codes still waiting at t.
func (d *DB) CounterAmountsWaiting(ctx context.Context, merchantID, lo, hi int64, t time.Time) (map[int64]bool, error) {
	return counterAmountsWaiting(ctx, d.sql, merchantID, lo, hi, t)
}

func counterAmountsWaiting(ctx context.Context, q reader, merchantID, lo, hi int64, t time.Time) (map[int64]bool, error) {
	amounts, err := queryRows(ctx, q, `SELECT amount_minor FROM qris_codes INDEXED BY qris_codes_awaiting
		WHERE merchant_id = ? AND amount_minor BETWEEN ? AND ? AND awaiting_until IS NOT NULL AND payment_id IS NULL
		  AND kind = 'converted' AND awaiting_until >= ? AND created_at <= ?`,
		[]any{merchantID, lo, hi, formatTime(t), formatTime(t)}, func(s scanner) (int64, error) {
			var a int64
			return a, s.Scan(&a)
		})
	if err != nil {
		return nil, fmt.Errorf("db: waiting counter amounts: %w", err)
	}
	out := map[int64]bool{}
	for _, a := range amounts {
		out[a] = true
	}
	return out, nil
}

// AddUniqueCounterCode stores q — a converted code waiting at the counter,
// its AmountMinor the amount with tailMinor included — and its audit line
// in one transaction, unless a code of the shop waiting now has the same
// amount: then nothing is stored and the error is ErrConflict (the caller
// picks another tail).
func (d *DB) AddUniqueCounterCode(ctx context.Context, q QRISCode, tailMinor int64, audit AuditEntry) (QRISCode, error) {
	var out QRISCode
	err := d.InTx(ctx, func(tx *Tx) error {
		taken, err := counterAmountsWaiting(ctx, tx.tx, q.MerchantID, q.AmountMinor, q.AmountMinor, tx.now)
		if err != nil {
			return err
		}
		if taken[q.AmountMinor] {
			return fmt.Errorf("db: a counter code of %d sen is waiting: %w", q.AmountMinor, ErrConflict)
		}
		if out, err = tx.AddQRISCode(ctx, q); err != nil {
			return err
		}
		if _, err := tx.tx.ExecContext(ctx, `UPDATE qris_codes SET unique_tail_minor = ? WHERE id = ?`, tailMinor, out.ID); err != nil {
			return fmt.Errorf("db: qris code %d tail: %w", out.ID, err)
		}
		if audit.Action == "" {
			return nil
		}
		if audit.MerchantID == 0 {
			audit.MerchantID = q.MerchantID
		}
		return tx.Audit(ctx, audit)
	})
	return out, err
}

// QRISCodeTail returns the unique tail of code id in sen (0: none).
func (d *DB) QRISCodeTail(ctx context.Context, id int64) (int64, error) {
	var tail int64
	if err := d.sql.QueryRowContext(ctx, `SELECT unique_tail_minor FROM qris_codes WHERE id = ?`, id).Scan(&tail); err != nil {
		return 0, notFound(err, fmt.Sprintf("qris code %d", id))
	}
	return tail, nil
}
