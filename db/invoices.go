package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// InvoiceStatus is where an invoice transaction stands. Lowercase words, as
// pages and CSV exports show them.
type InvoiceStatus string

// Invoice statuses. Unknown is the intent written before Netzme is called (or
// a call whose outcome we do not know); a status query resolves it.
const (
	InvoiceUnknown InvoiceStatus = "unknown"
	InvoicePending InvoiceStatus = "pending"
	InvoicePaid    InvoiceStatus = "paid"
	InvoiceExpired InvoiceStatus = "expired"
	InvoiceFailed  InvoiceStatus = "failed"
)

// InvoiceStatuses lists every status, for filters.
var InvoiceStatuses = []InvoiceStatus{InvoicePending, InvoicePaid, InvoiceExpired, InvoiceFailed, InvoiceUnknown}

// Invoice is one invoice transaction of a merchant. Money in sen.
type Invoice struct {
	ID                 int64
	MerchantID         int64
	PartnerReferenceNo string
	Purpose            string // "sale" or "topup_deposit"
	Method             string // Netzme payMethod
	AmountMinor        int64
	FeeType            string // "on_seller" or "on_buyer"
	Description        string
	CustomerName       string
	CustomerPhone      string
	CustomerEmail      string
	ExpiresAt          time.Time
	Status             InvoiceStatus
	NetzmeTrxID        string
	NetzmeInvoiceID    string
	PaymentURL         string
	QRISPayload        string
	VANumbers          string // JSON array of {bankCode, number}
	PaidAmountMinor    sql.NullInt64
	FeeMinor           sql.NullInt64
	NetMinor           sql.NullInt64
	PaidAt             sql.NullTime
	FailureReason      string
	CreatedBy          int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// NewInvoice is the intent to create an invoice transaction.
type NewInvoice struct {
	MerchantID         int64
	PartnerReferenceNo string
	Purpose            string // "" = "sale"
	Method             string
	AmountMinor        int64
	FeeType            string // "" = "on_seller"
	Description        string
	CustomerName       string
	CustomerPhone      string
	CustomerEmail      string
	ExpiresAt          time.Time
	CreatedBy          int64
}

// InvoiceEvent is one step of an invoice's status timeline.
type InvoiceEvent struct {
	ID        int64
	InvoiceID int64
	At        time.Time
	Status    InvoiceStatus
	Source    string // lapak, netzme, callback, refresh, system
	Note      string
	UserID    int64
}

const invoiceColumns = `id, merchant_id, partner_reference_no, purpose, method, amount_minor, fee_type, description,
	customer_name, customer_phone, customer_email, expires_at, status, netzme_trx_id, netzme_invoice_id, payment_url,
	qris_payload, va_numbers, paid_amount_minor, fee_minor, net_minor, paid_at, failure_reason,
	coalesce(created_by, 0), created_at, updated_at`

func scanInvoice(row interface{ Scan(...any) error }) (Invoice, error) {
	var iv Invoice
	var expires, created, updated string
	var paidAt sql.NullString
	err := row.Scan(&iv.ID, &iv.MerchantID, &iv.PartnerReferenceNo, &iv.Purpose, &iv.Method, &iv.AmountMinor,
		&iv.FeeType, &iv.Description, &iv.CustomerName, &iv.CustomerPhone, &iv.CustomerEmail, &expires, &iv.Status,
		&iv.NetzmeTrxID, &iv.NetzmeInvoiceID, &iv.PaymentURL, &iv.QRISPayload, &iv.VANumbers, &iv.PaidAmountMinor,
		&iv.FeeMinor, &iv.NetMinor, &paidAt, &iv.FailureReason, &iv.CreatedBy, &created, &updated)
	if err != nil {
		return Invoice{}, err
	}
	if iv.ExpiresAt, err = parseTime(expires); err != nil {
		return Invoice{}, err
	}
	if iv.CreatedAt, err = parseTime(created); err != nil {
		return Invoice{}, err
	}
	if iv.UpdatedAt, err = parseTime(updated); err != nil {
		return Invoice{}, err
	}
	if paidAt.Valid {
		t, err := parseTime(paidAt.String)
		if err != nil {
			return Invoice{}, err
		}
		iv.PaidAt = sql.NullTime{Time: t, Valid: true}
	}
	return iv, nil
}

// CreateInvoiceIntent writes the intent row (status unknown), its first
// timeline event and the audit entry in one transaction, and commits — before
// Netzme is called. ErrConflict if the reference was used before.
func (d *DB) CreateInvoiceIntent(ctx context.Context, ni NewInvoice, audit AuditEntry) (Invoice, error) {
	var iv Invoice
	err := d.InTx(ctx, func(tx *Tx) error {
		var err error
		iv, err = tx.InsertInvoice(ctx, ni)
		if err != nil {
			return err
		}
		if audit.MerchantID == 0 {
			audit.MerchantID = ni.MerchantID
		}
		return tx.Audit(ctx, audit)
	})
	return iv, err
}

// InsertInvoice is the insert of CreateInvoiceIntent, for callers that need
// more in the same transaction.
func (tx *Tx) InsertInvoice(ctx context.Context, ni NewInvoice) (Invoice, error) {
	if ni.Purpose == "" {
		ni.Purpose = "sale"
	}
	if ni.FeeType == "" {
		ni.FeeType = "on_seller"
	}
	now := formatTime(tx.now)
	iv, err := scanInvoice(tx.tx.QueryRowContext(ctx,
		`INSERT INTO invoices (merchant_id, partner_reference_no, purpose, method, amount_minor, fee_type, description,
		   customer_name, customer_phone, customer_email, expires_at, status, created_by, created_at, updated_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'unknown', ?, ?, ?) RETURNING `+invoiceColumns,
		ni.MerchantID, ni.PartnerReferenceNo, ni.Purpose, ni.Method, ni.AmountMinor, ni.FeeType, ni.Description,
		ni.CustomerName, ni.CustomerPhone, ni.CustomerEmail, formatTime(ni.ExpiresAt), nullID(ni.CreatedBy), now, now))
	if isUniqueViolation(err) {
		return Invoice{}, fmt.Errorf("db: invoice %s: %w", ni.PartnerReferenceNo, ErrConflict)
	} else if err != nil {
		return Invoice{}, fmt.Errorf("db: invoice %s: %w", ni.PartnerReferenceNo, err)
	}
	if err := tx.AddInvoiceEvent(ctx, InvoiceEvent{InvoiceID: iv.ID, Status: InvoiceUnknown, Source: "lapak",
		Note: "intent recorded before calling Netzme", UserID: ni.CreatedBy}); err != nil {
		return Invoice{}, err
	}
	return iv, nil
}

// AddInvoiceEvent appends a step to an invoice's timeline.
func (tx *Tx) AddInvoiceEvent(ctx context.Context, e InvoiceEvent) error {
	if e.At.IsZero() {
		e.At = tx.now
	}
	_, err := tx.tx.ExecContext(ctx,
		`INSERT INTO invoice_events (invoice_id, at, status, source, note, user_id) VALUES (?, ?, ?, ?, ?, ?)`,
		e.InvoiceID, formatTime(e.At), string(e.Status), e.Source, e.Note, nullID(e.UserID))
	if err != nil {
		return fmt.Errorf("db: invoice %d event: %w", e.InvoiceID, err)
	}
	return nil
}

// InvoiceCreated is what Netzme answered to Create Invoice Transaction.
type InvoiceCreated struct {
	NetzmeTrxID     string
	NetzmeInvoiceID string
	PaymentURL      string
	QRISPayload     string
	VANumbers       string // JSON array; "" = []
	ExpiresAt       time.Time
}

// InvoiceChange moves an invoice from one of the From statuses to To, with
// optional fields. It is the only way statuses change, so the allowed
// transitions live in the callers' From lists and in one WHERE clause.
type InvoiceChange struct {
	From    []InvoiceStatus
	To      InvoiceStatus
	Source  string // timeline source
	Note    string
	UserID  int64
	Created *InvoiceCreated // set Netzme's answer (with To = pending)
	Paid    *InvoicePayment // set the payment (with To = paid)
	Failure string          // failure reason (with To = failed)
}

// InvoicePayment is the settled amounts of a paid invoice, in sen.
type InvoicePayment struct {
	PaidAmountMinor int64
	FeeMinor        sql.NullInt64
	NetMinor        sql.NullInt64
	PaidAt          time.Time
}

// ChangeInvoice applies ch to invoice id inside tx. It reports false (and
// changes nothing) when the invoice is not in one of ch.From — a duplicate or
// out-of-order update — so callers can tell "applied" from "already done".
func (tx *Tx) ChangeInvoice(ctx context.Context, id int64, ch InvoiceChange) (bool, error) {
	if len(ch.From) == 0 {
		return false, fmt.Errorf("db: invoice %d: change without From statuses", id)
	}
	set := []string{"status = ?", "updated_at = ?"}
	args := []any{string(ch.To), formatTime(tx.now)}
	if c := ch.Created; c != nil {
		va := c.VANumbers
		if va == "" {
			va = "[]"
		}
		set = append(set, "netzme_trx_id = ?", "netzme_invoice_id = ?", "payment_url = ?", "qris_payload = ?", "va_numbers = ?")
		args = append(args, c.NetzmeTrxID, c.NetzmeInvoiceID, c.PaymentURL, c.QRISPayload, va)
		if !c.ExpiresAt.IsZero() {
			set = append(set, "expires_at = ?")
			args = append(args, formatTime(c.ExpiresAt))
		}
	}
	if p := ch.Paid; p != nil {
		set = append(set, "paid_amount_minor = ?", "fee_minor = ?", "net_minor = ?", "paid_at = ?")
		args = append(args, p.PaidAmountMinor, p.FeeMinor, p.NetMinor, formatTime(p.PaidAt))
	}
	if ch.Failure != "" {
		set = append(set, "failure_reason = ?")
		args = append(args, ch.Failure)
	}
	args = append(args, id)
	in := make([]string, len(ch.From))
	for i, s := range ch.From {
		in[i] = "?"
		args = append(args, string(s))
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE invoices SET `+strings.Join(set, ", ")+
		` WHERE id = ? AND status IN (`+strings.Join(in, ", ")+`)`, args...)
	if isUniqueViolation(err) {
		return false, fmt.Errorf("db: invoice %d -> %s: %w", id, ch.To, ErrConflict)
	} else if err != nil {
		return false, fmt.Errorf("db: invoice %d -> %s: %w", id, ch.To, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, tx.AddInvoiceEvent(ctx, InvoiceEvent{InvoiceID: id, Status: ch.To, Source: ch.Source, Note: ch.Note, UserID: ch.UserID})
}

// ChangeInvoice is Tx.ChangeInvoice in a transaction of its own, with an
// audit entry when audit.Action is set.
func (d *DB) ChangeInvoice(ctx context.Context, id int64, ch InvoiceChange, audit AuditEntry) (bool, error) {
	var applied bool
	err := d.InTx(ctx, func(tx *Tx) error {
		var err error
		if applied, err = tx.ChangeInvoice(ctx, id, ch); err != nil || !applied || audit.Action == "" {
			return err
		}
		return tx.Audit(ctx, audit)
	})
	return applied, err
}

// MerchantInvoice returns invoice id if it belongs to merchantID, else
// ErrNotFound: another merchant's invoice does not exist for this one.
func (d *DB) MerchantInvoice(ctx context.Context, merchantID, id int64) (Invoice, error) {
	iv, err := scanInvoice(d.sql.QueryRowContext(ctx,
		`SELECT `+invoiceColumns+` FROM invoices WHERE id = ? AND merchant_id = ?`, id, merchantID))
	if err != nil {
		return Invoice{}, notFound(err, fmt.Sprintf("invoice %d of merchant %d", id, merchantID))
	}
	return iv, nil
}

// InvoiceByReference finds an invoice by our partnerReferenceNo (any
// merchant; callers must check MerchantID against what Netzme said).
func (tx *Tx) InvoiceByReference(ctx context.Context, ref string) (Invoice, error) {
	iv, err := scanInvoice(tx.tx.QueryRowContext(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE partner_reference_no = ?`, ref))
	if err != nil {
		return Invoice{}, notFound(err, "invoice by reference "+ref)
	}
	return iv, nil
}

// InvoiceByTrxID finds an invoice by Netzme's trxId (any merchant; callers
// must check MerchantID).
func (tx *Tx) InvoiceByTrxID(ctx context.Context, trxID string) (Invoice, error) {
	if trxID == "" {
		return Invoice{}, fmt.Errorf("db: invoice by trxId: empty id: %w", ErrNotFound)
	}
	iv, err := scanInvoice(tx.tx.QueryRowContext(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE netzme_trx_id = ?`, trxID))
	if err != nil {
		return Invoice{}, notFound(err, "invoice by trxId "+trxID)
	}
	return iv, nil
}

// InvoiceFilter selects a merchant's invoices for lists and exports.
type InvoiceFilter struct {
	Status InvoiceStatus // "" = all
	Method string        // "" = all
	// Purpose is "sale" or "topup_deposit"; "" = both.
	Purpose string
	Query   string    // matched against reference, trxId, description and customer fields
	From    time.Time // created at or after; zero = no bound
	To      time.Time // created before; zero = no bound
	Limit   int       // 0 = no limit (exports)
	Offset  int
}

func (f InvoiceFilter) where(merchantID int64) (string, []any) {
	conds := []string{"merchant_id = ?"}
	args := []any{merchantID}
	if f.Status != "" {
		conds = append(conds, "status = ?")
		args = append(args, string(f.Status))
	}
	if f.Method != "" {
		conds = append(conds, "method = ?")
		args = append(args, f.Method)
	}
	if f.Purpose != "" {
		conds = append(conds, "purpose = ?")
		args = append(args, f.Purpose)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(q) + "%"
		conds = append(conds, `(partner_reference_no LIKE ? ESCAPE '\' OR netzme_trx_id LIKE ? ESCAPE '\' OR description LIKE ? ESCAPE '\'
			OR customer_name LIKE ? ESCAPE '\' OR customer_phone LIKE ? ESCAPE '\' OR customer_email LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like, like, like, like)
	}
	if !f.From.IsZero() {
		conds = append(conds, "created_at >= ?")
		args = append(args, formatTime(f.From))
	}
	if !f.To.IsZero() {
		conds = append(conds, "created_at < ?")
		args = append(args, formatTime(f.To))
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Invoices returns one merchant's invoices matching f, newest first, and how
// many match in all (for paging).
func (d *DB) Invoices(ctx context.Context, merchantID int64, f InvoiceFilter) ([]Invoice, int, error) {
	where, args := f.where(merchantID)
	var total int
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM invoices`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("db: count invoices: %w", err)
	}
	query := `SELECT ` + invoiceColumns + ` FROM invoices` + where + ` ORDER BY created_at DESC, id DESC`
	if f.Limit > 0 {
		query += ` LIMIT ? OFFSET ?`
		args = append(args, f.Limit, f.Offset)
	}
	rows, err := d.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("db: invoices: %w", err)
	}
	defer rows.Close()
	var out []Invoice
	for rows.Next() {
		iv, err := scanInvoice(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("db: invoices: %w", err)
		}
		out = append(out, iv)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("db: invoices: %w", err)
	}
	return out, total, nil
}

// UnresolvedInvoices returns, oldest first and at most limit, the invoices
// of every merchant the resolver must ask Netzme about: every unknown one
// (creation outcome not known) and every pending one whose expiry has passed
// within the day before now (a callback may have been lost; after a day
// Netzme has long closed it and asking again is pointless). A pending invoice
// before its expiry is waiting for its callback and is not polled.
func (d *DB) UnresolvedInvoices(ctx context.Context, now time.Time, limit int) ([]Invoice, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+invoiceColumns+` FROM invoices
		WHERE status = 'unknown' OR (status = 'pending' AND expires_at > ? AND expires_at <= ?)
		ORDER BY created_at LIMIT ?`, formatTime(now.Add(-24*time.Hour)), formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("db: unresolved invoices: %w", err)
	}
	defer rows.Close()
	var out []Invoice
	for rows.Next() {
		iv, err := scanInvoice(rows)
		if err != nil {
			return nil, fmt.Errorf("db: unresolved invoices: %w", err)
		}
		out = append(out, iv)
	}
	return out, rows.Err()
}

// InvoiceEvents returns the timeline of invoice id, oldest first. Callers
// fetch the invoice through MerchantInvoice first, which scopes it.
func (d *DB) InvoiceEvents(ctx context.Context, invoiceID int64) ([]InvoiceEvent, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id, invoice_id, at, status, source, note, coalesce(user_id, 0)
		FROM invoice_events WHERE invoice_id = ? ORDER BY id`, invoiceID)
	if err != nil {
		return nil, fmt.Errorf("db: invoice %d events: %w", invoiceID, err)
	}
	defer rows.Close()
	var out []InvoiceEvent
	for rows.Next() {
		var e InvoiceEvent
		var at string
		if err := rows.Scan(&e.ID, &e.InvoiceID, &at, &e.Status, &e.Source, &e.Note, &e.UserID); err != nil {
			return nil, fmt.Errorf("db: invoice %d events: %w", invoiceID, err)
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
