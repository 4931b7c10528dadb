package db

import (
	"context"
	"fmt"
)

// Reads of the records the journal is written from, inside a transaction:
// money books an event from the record as it stands after the change, in the
// change's own transaction, and the backfill walks every record in id order.

// InvoiceByID returns invoice id (any merchant) inside tx, or ErrNotFound.
func (tx *Tx) InvoiceByID(ctx context.Context, id int64) (Invoice, error) {
	iv, err := scanInvoice(tx.tx.QueryRowContext(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE id = ?`, id))
	if err != nil {
		return Invoice{}, notFound(err, fmt.Sprintf("invoice %d", id))
	}
	return iv, nil
}

// WithdrawalByID returns withdrawal id (any merchant) inside tx, or
// ErrNotFound.
func (tx *Tx) WithdrawalByID(ctx context.Context, id int64) (Withdrawal, error) {
	w, err := scanWithdrawal(tx.tx.QueryRowContext(ctx, `SELECT `+withdrawalColumns+` FROM withdrawals WHERE id = ?`, id))
	if err != nil {
		return Withdrawal{}, notFound(err, fmt.Sprintf("withdrawal %d", id))
	}
	return w, nil
}

// SplitFeeByID returns split fee id (any merchant) inside tx, or ErrNotFound.
func (tx *Tx) SplitFeeByID(ctx context.Context, id int64) (SplitFee, error) {
	s, err := scanSplitFee(tx.tx.QueryRowContext(ctx, `SELECT `+splitFeeColumns+` FROM split_fees WHERE id = ?`, id))
	if err != nil {
		return SplitFee{}, notFound(err, fmt.Sprintf("split fee %d", id))
	}
	return s, nil
}

// PaidInvoicesAfter returns up to limit paid invoices with id > afterID, in
// id order.
func (tx *Tx) PaidInvoicesAfter(ctx context.Context, afterID int64, limit int) ([]Invoice, error) {
	return scanAll(ctx, tx, scanInvoice, `SELECT `+invoiceColumns+` FROM invoices WHERE id > ? AND status = 'paid'
		ORDER BY id LIMIT ?`, afterID, limit)
}

// PaymentsAfter returns up to limit payments with id > afterID, in id order.
func (tx *Tx) PaymentsAfter(ctx context.Context, afterID int64, limit int) ([]Payment, error) {
	return scanAll(ctx, tx, scanPayment, `SELECT `+paymentColumns+` FROM payments WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
}

// PaidCVSBillsAfter returns up to limit paid CVS bills with id > afterID, in
// id order.
func (tx *Tx) PaidCVSBillsAfter(ctx context.Context, afterID int64, limit int) ([]CVSBill, error) {
	return scanAll(ctx, tx, scanCVSBill, `SELECT `+cvsBillColumns+` FROM cvs_bills WHERE id > ? AND status = 'paid'
		ORDER BY id LIMIT ?`, afterID, limit)
}

// WithdrawalsAfter returns up to limit withdrawals with id > afterID that
// were sent or may have been (unknown, pending, success, failed), in id order.
func (tx *Tx) WithdrawalsAfter(ctx context.Context, afterID int64, limit int) ([]Withdrawal, error) {
	return scanAll(ctx, tx, scanWithdrawal, `SELECT `+withdrawalColumns+` FROM withdrawals WHERE id > ?
		AND status IN ('unknown', 'pending', 'success', 'failed') ORDER BY id LIMIT ?`, afterID, limit)
}

// SplitFeesAfter returns up to limit successful split fees with id > afterID,
// in id order.
func (tx *Tx) SplitFeesAfter(ctx context.Context, afterID int64, limit int) ([]SplitFee, error) {
	return scanAll(ctx, tx, scanSplitFee, `SELECT `+splitFeeColumns+` FROM split_fees WHERE id > ? AND status = 'success'
		ORDER BY id LIMIT ?`, afterID, limit)
}

func scanAll[T any](ctx context.Context, tx *Tx, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: ledger sources: %w", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("db: ledger sources: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
