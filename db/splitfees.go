package db

import (
	"context"
	"fmt"
	"time"
)

// SplitFeeStatus is where a Deduct Deposit and Split Fee request stands.
type SplitFeeStatus string

// Split-fee statuses. Unknown is the intent before the call or an answer we
// could not read; resending is safe because Netzme refuses the same
// partnerReferenceNo twice (4090001, spec §3.20).
const (
	SplitFeeUnknown SplitFeeStatus = "unknown"
	SplitFeeSuccess SplitFeeStatus = "success"
	SplitFeeFailed  SplitFeeStatus = "failed"
)

// SplitFee is one deduction from the deposit for a paid invoice. Money in sen.
type SplitFee struct {
	ID                 int64
	MerchantID         int64
	InvoiceID          int64
	PartnerReferenceNo string // the invoice's partnerReferenceNo (§3.20 "Customer Ref Number")
	ReferenceNo        string // our request id
	AmountMinor        int64  // what the buyer paid
	FeeMinor           int64  // what Netzme deducts from the deposit
	ProductName        string
	Status             SplitFeeStatus
	FailureCode        string
	FailureReason      string
	CreatedBy          int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

const splitFeeColumns = `id, merchant_id, invoice_id, partner_reference_no, reference_no, amount_minor, fee_minor,
	product_name, status, failure_code, failure_reason, coalesce(created_by, 0), created_at, updated_at`

func scanSplitFee(row interface{ Scan(...any) error }) (SplitFee, error) {
	var s SplitFee
	var created, updated string
	err := row.Scan(&s.ID, &s.MerchantID, &s.InvoiceID, &s.PartnerReferenceNo, &s.ReferenceNo, &s.AmountMinor,
		&s.FeeMinor, &s.ProductName, &s.Status, &s.FailureCode, &s.FailureReason, &s.CreatedBy, &created, &updated)
	if err != nil {
		return SplitFee{}, err
	}
	if s.CreatedAt, err = parseTime(created); err != nil {
		return SplitFee{}, err
	}
	if s.UpdatedAt, err = parseTime(updated); err != nil {
		return SplitFee{}, err
	}
	return s, nil
}

// StartSplitFee writes the intent (status unknown) with its audit entry and
// commits, before Netzme is called. The invoice must be merchantID's and
// paid (ErrNotFound otherwise); ErrConflict when the invoice already has a
// deduction that is not failed.
func (d *DB) StartSplitFee(ctx context.Context, s SplitFee, audit AuditEntry) (SplitFee, error) {
	var out SplitFee
	err := d.InTx(ctx, func(tx *Tx) error {
		var ref string
		var amount int64
		err := tx.tx.QueryRowContext(ctx, `SELECT partner_reference_no, coalesce(paid_amount_minor, amount_minor) FROM invoices
			WHERE id = ? AND merchant_id = ? AND status = 'paid'`, s.InvoiceID, s.MerchantID).Scan(&ref, &amount)
		if err != nil {
			return notFound(err, fmt.Sprintf("paid invoice %d of merchant %d", s.InvoiceID, s.MerchantID))
		}
		now := formatTime(tx.now)
		out, err = scanSplitFee(tx.tx.QueryRowContext(ctx, `INSERT INTO split_fees (merchant_id, invoice_id,
			partner_reference_no, reference_no, amount_minor, fee_minor, product_name, status, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'unknown', ?, ?, ?) RETURNING `+splitFeeColumns,
			s.MerchantID, s.InvoiceID, ref, s.ReferenceNo, amount, s.FeeMinor, s.ProductName, nullID(s.CreatedBy), now, now))
		if isUniqueViolation(err) {
			return fmt.Errorf("db: split fee for invoice %d: %w", s.InvoiceID, ErrConflict)
		} else if err != nil {
			return fmt.Errorf("db: split fee for invoice %d: %w", s.InvoiceID, err)
		}
		if audit.MerchantID == 0 {
			audit.MerchantID = s.MerchantID
		}
		return tx.Audit(ctx, audit)
	})
	return out, err
}

// FinishSplitFee moves split fee id from unknown to status (with Netzme's
// code and message for a failure) and writes audit, in one transaction. It
// reports false when the row was no longer unknown. It writes no ledger
// transaction: money finishes split fees with Tx.FinishSplitFee and books
// them in the same transaction.
func (d *DB) FinishSplitFee(ctx context.Context, id int64, status SplitFeeStatus, code, reason string, audit AuditEntry) (bool, error) {
	var applied bool
	err := d.InTx(ctx, func(tx *Tx) error {
		var err error
		applied, err = tx.FinishSplitFee(ctx, id, status, code, reason, audit)
		return err
	})
	return applied, err
}

// FinishSplitFee is DB.FinishSplitFee inside tx.
func (tx *Tx) FinishSplitFee(ctx context.Context, id int64, status SplitFeeStatus, code, reason string, audit AuditEntry) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE split_fees SET status = ?, failure_code = ?, failure_reason = ?, updated_at = ?
		WHERE id = ? AND status = 'unknown'`, string(status), code, reason, formatTime(tx.now), id)
	if err != nil {
		return false, fmt.Errorf("db: split fee %d -> %s: %w", id, status, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, nil
	}
	if audit.Action == "" {
		return true, nil
	}
	return true, tx.Audit(ctx, audit)
}

// MerchantSplitFee returns split fee id of merchantID, or ErrNotFound.
func (d *DB) MerchantSplitFee(ctx context.Context, merchantID, id int64) (SplitFee, error) {
	s, err := scanSplitFee(d.sql.QueryRowContext(ctx, `SELECT `+splitFeeColumns+` FROM split_fees WHERE id = ? AND merchant_id = ?`, id, merchantID))
	if err != nil {
		return SplitFee{}, notFound(err, fmt.Sprintf("split fee %d of merchant %d", id, merchantID))
	}
	return s, nil
}

// SplitFees lists merchantID's deductions, newest first, at most limit (0 = 100).
func (d *DB) SplitFees(ctx context.Context, merchantID int64, limit int) ([]SplitFee, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT `+splitFeeColumns+` FROM split_fees WHERE merchant_id = ? ORDER BY id DESC LIMIT ?`, merchantID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: split fees: %w", err)
	}
	defer rows.Close()
	var out []SplitFee
	for rows.Next() {
		s, err := scanSplitFee(rows)
		if err != nil {
			return nil, fmt.Errorf("db: split fees: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
