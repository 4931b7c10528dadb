package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// QRISKind says where a printable QRIS code came from.
type QRISKind string

// QRIS code kinds (see migrations/00004_money_in.sql).
const (
	QRISStatic    QRISKind = "static"    // the merchant's own static code
	QRISInvoice   QRISKind = "invoice"   // the dynamic code of one QRIS invoice
	QRISConverted QRISKind = "converted" // fixed amount made from the static code, not tied to an invoice
)

// QRISCode is one printable QRIS code of a merchant. AmountMinor is in sen (0
// for a static code); InvoiceID is set only for kind invoice.
type QRISCode struct {
	ID          int64
	MerchantID  int64
	Kind        QRISKind
	InvoiceID   int64
	Payload     string
	AmountMinor int64
	Label       string
	CreatedBy   int64
	CreatedAt   time.Time
	// AwaitingUntil is set on a converted code shown at the counter: until
	// then a static-QRIS payment of its amount may be matched to it
	// (PaymentID). Zero for every other code.
	AwaitingUntil time.Time
	PaymentID     int64
}

const qrisColumns = `id, merchant_id, kind, coalesce(invoice_id, 0), payload, amount_minor, label, coalesce(created_by, 0), created_at,
	awaiting_until, coalesce(payment_id, 0)`

func scanQRIS(row interface{ Scan(...any) error }) (QRISCode, error) {
	var q QRISCode
	var created string
	var awaiting sql.NullString
	if err := row.Scan(&q.ID, &q.MerchantID, &q.Kind, &q.InvoiceID, &q.Payload, &q.AmountMinor, &q.Label, &q.CreatedBy, &created,
		&awaiting, &q.PaymentID); err != nil {
		return QRISCode{}, err
	}
	t, err := parseTime(created)
	if err != nil {
		return QRISCode{}, err
	}
	q.CreatedAt = t
	if awaiting.Valid {
		if q.AwaitingUntil, err = parseTime(awaiting.String); err != nil {
			return QRISCode{}, err
		}
	}
	return q, nil
}

// AddQRISCode stores a code and its audit entry in one transaction. The
// caller has parsed and validated the payload.
func (d *DB) AddQRISCode(ctx context.Context, q QRISCode, audit AuditEntry) (QRISCode, error) {
	var out QRISCode
	err := d.InTx(ctx, func(tx *Tx) error {
		var err error
		if out, err = tx.AddQRISCode(ctx, q); err != nil {
			return err
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

// AddQRISCode is DB.AddQRISCode's insert inside tx. A second code for the
// same invoice is ErrConflict.
func (tx *Tx) AddQRISCode(ctx context.Context, q QRISCode) (QRISCode, error) {
	out, err := scanQRIS(tx.tx.QueryRowContext(ctx,
		`INSERT INTO qris_codes (merchant_id, kind, invoice_id, payload, amount_minor, label, created_by, created_at, awaiting_until)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+qrisColumns,
		q.MerchantID, string(q.Kind), nullID(q.InvoiceID), q.Payload, q.AmountMinor, q.Label, nullID(q.CreatedBy),
		formatTime(tx.now), nullTime(q.AwaitingUntil)))
	if isUniqueViolation(err) {
		return QRISCode{}, fmt.Errorf("db: qris code for invoice %d: %w", q.InvoiceID, ErrConflict)
	} else if err != nil {
		return QRISCode{}, fmt.Errorf("db: add qris code: %w", err)
	}
	return out, nil
}

// MerchantQRISCode returns code id if it belongs to merchantID, else
// ErrNotFound (another merchant's code does not exist for this one).
func (d *DB) MerchantQRISCode(ctx context.Context, merchantID, id int64) (QRISCode, error) {
	q, err := scanQRIS(d.sql.QueryRowContext(ctx,
		`SELECT `+qrisColumns+` FROM qris_codes WHERE id = ? AND merchant_id = ?`, id, merchantID))
	if err != nil {
		return QRISCode{}, notFound(err, fmt.Sprintf("qris code %d of merchant %d", id, merchantID))
	}
	return q, nil
}

// InvoiceQRISCode returns the code of invoice invoiceID of merchantID, or
// ErrNotFound.
func (d *DB) InvoiceQRISCode(ctx context.Context, merchantID, invoiceID int64) (QRISCode, error) {
	q, err := scanQRIS(d.sql.QueryRowContext(ctx,
		`SELECT `+qrisColumns+` FROM qris_codes WHERE invoice_id = ? AND merchant_id = ?`, invoiceID, merchantID))
	if err != nil {
		return QRISCode{}, notFound(err, fmt.Sprintf("qris code of invoice %d", invoiceID))
	}
	return q, nil
}

// StaticQRISCode returns the newest stored static code of merchantID whose
// payload is payload, or ErrNotFound.
func (d *DB) StaticQRISCode(ctx context.Context, merchantID int64, payload string) (QRISCode, error) {
	q, err := scanQRIS(d.sql.QueryRowContext(ctx,
		`SELECT `+qrisColumns+` FROM qris_codes WHERE merchant_id = ? AND kind = 'static' AND payload = ? ORDER BY id DESC LIMIT 1`,
		merchantID, payload))
	if err != nil {
		return QRISCode{}, notFound(err, fmt.Sprintf("static qris code of merchant %d", merchantID))
	}
	return q, nil
}

// QRISCodes returns a merchant's codes, newest first, at most limit.
func (d *DB) QRISCodes(ctx context.Context, merchantID int64, limit int) ([]QRISCode, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+qrisColumns+` FROM qris_codes WHERE merchant_id = ? ORDER BY id DESC LIMIT ?`,
		merchantID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: qris codes: %w", err)
	}
	defer rows.Close()
	var out []QRISCode
	for rows.Next() {
		q, err := scanQRIS(rows)
		if err != nil {
			return nil, fmt.Errorf("db: qris codes: %w", err)
		}
		out = append(out, q)
	}
	return out, rows.Err()
}
