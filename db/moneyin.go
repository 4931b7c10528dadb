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
}

const qrisColumns = `id, merchant_id, kind, coalesce(invoice_id, 0), payload, amount_minor, label, coalesce(created_by, 0), created_at`

func scanQRIS(row interface{ Scan(...any) error }) (QRISCode, error) {
	var q QRISCode
	var created string
	if err := row.Scan(&q.ID, &q.MerchantID, &q.Kind, &q.InvoiceID, &q.Payload, &q.AmountMinor, &q.Label, &q.CreatedBy, &created); err != nil {
		return QRISCode{}, err
	}
	t, err := parseTime(created)
	q.CreatedAt = t
	return q, err
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
		`INSERT INTO qris_codes (merchant_id, kind, invoice_id, payload, amount_minor, label, created_by, created_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+qrisColumns,
		q.MerchantID, string(q.Kind), nullID(q.InvoiceID), q.Payload, q.AmountMinor, q.Label, nullID(q.CreatedBy),
		formatTime(tx.now)))
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

// ActionStatus is where a non-invoice Netzme action stands.
type ActionStatus string

// Action statuses: unknown is the intent before (or without) a clear answer.
const (
	ActionUnknown ActionStatus = "unknown"
	ActionOK      ActionStatus = "ok"
	ActionFailed  ActionStatus = "failed"
)

// NetzmeAction is the intent row of a Netzme action other than an invoice
// (PIN create/forgot, merchant link). It never holds a PIN.
type NetzmeAction struct {
	ID                 int64
	MerchantID         int64
	Kind               string // "pin.create", "pin.forgot", "merchant.link"
	PartnerReferenceNo string
	Status             ActionStatus
	Note               string
	CreatedBy          int64
	CreatedAt          time.Time
	FinishedAt         sql.NullTime
}

// StartAction writes the intent row (status unknown) and its audit entry in
// one transaction, before Netzme is called. ErrConflict on a reused reference.
func (d *DB) StartAction(ctx context.Context, a NetzmeAction, audit AuditEntry) (NetzmeAction, error) {
	err := d.InTx(ctx, func(tx *Tx) error {
		err := tx.tx.QueryRowContext(ctx,
			`INSERT INTO netzme_actions (merchant_id, kind, partner_reference_no, status, note, created_by, created_at)
			 VALUES (?, ?, ?, 'unknown', ?, ?, ?) RETURNING id`,
			a.MerchantID, a.Kind, a.PartnerReferenceNo, a.Note, nullID(a.CreatedBy), formatTime(tx.now)).Scan(&a.ID)
		if isUniqueViolation(err) {
			return fmt.Errorf("db: action %s: %w", a.PartnerReferenceNo, ErrConflict)
		} else if err != nil {
			return fmt.Errorf("db: action %s: %w", a.PartnerReferenceNo, err)
		}
		if audit.MerchantID == 0 {
			audit.MerchantID = a.MerchantID
		}
		return tx.Audit(ctx, audit)
	})
	a.Status = ActionUnknown
	return a, err
}

// FinishAction records Netzme's answer to action id, only while it is still
// unknown (a second answer changes nothing and reports false).
func (d *DB) FinishAction(ctx context.Context, id int64, status ActionStatus, note string) (bool, error) {
	res, err := d.sql.ExecContext(ctx,
		`UPDATE netzme_actions SET status = ?, note = ?, finished_at = ? WHERE id = ? AND status = 'unknown'`,
		string(status), note, formatTime(d.now()), id)
	if err != nil {
		return false, fmt.Errorf("db: finish action %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// NetzmeActions returns a merchant's actions, newest first, at most limit.
func (d *DB) NetzmeActions(ctx context.Context, merchantID int64, limit int) ([]NetzmeAction, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id, merchant_id, kind, partner_reference_no, status, note,
		coalesce(created_by, 0), created_at, finished_at FROM netzme_actions WHERE merchant_id = ? ORDER BY id DESC LIMIT ?`,
		merchantID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: netzme actions: %w", err)
	}
	defer rows.Close()
	var out []NetzmeAction
	for rows.Next() {
		var a NetzmeAction
		var created string
		var finished sql.NullString
		if err := rows.Scan(&a.ID, &a.MerchantID, &a.Kind, &a.PartnerReferenceNo, &a.Status, &a.Note, &a.CreatedBy,
			&created, &finished); err != nil {
			return nil, fmt.Errorf("db: netzme actions: %w", err)
		}
		if a.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if finished.Valid {
			t, err := parseTime(finished.String)
			if err != nil {
				return nil, err
			}
			a.FinishedAt = sql.NullTime{Time: t, Valid: true}
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

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
