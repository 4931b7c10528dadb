package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// CVSBill is a bill a merchant issued for payment at a convenience store
// through NICEPAY (issue 7). PayNo = PartnerServiceID + CustomerNo. Money in sen.
type CVSBill struct {
	ID                 int64
	MerchantID         int64
	PartnerServiceID   string
	CustomerNo         string
	PayNo              string
	PartnerReferenceNo string
	CustomerName       string
	CustomerPhone      string
	CustomerEmail      string
	GoodsName          string
	AmountMinor        int64
	ExpiresAt          time.Time
	Status             string // "open" or "paid"; see State for "expired"
	PaidAmountMinor    sql.NullInt64
	PaidAt             sql.NullTime
	PaymentRequestID   string
	MitraCd            string
	CreatedBy          int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// CVS bill states as pages show them.
const (
	CVSOpen    = "open"
	CVSPaid    = "paid"
	CVSExpired = "expired"
)

// State is the bill's state at now: "paid", "expired" (open after its
// expiry) or "open". Expiry is derived, never stored, so no job has to run.
func (b CVSBill) State(now time.Time) string {
	switch {
	case b.Status == CVSPaid:
		return CVSPaid
	case !now.Before(b.ExpiresAt):
		return CVSExpired
	default:
		return CVSOpen
	}
}

// NewCVSBill is a bill to issue. The caller generates CustomerNo; a clash is
// ErrConflict and the caller retries with another number.
type NewCVSBill struct {
	MerchantID         int64
	PartnerServiceID   string
	CustomerNo         string
	PartnerReferenceNo string
	CustomerName       string
	CustomerPhone      string
	CustomerEmail      string
	GoodsName          string
	AmountMinor        int64
	ExpiresAt          time.Time
	CreatedBy          int64
}

const cvsBillColumns = `id, merchant_id, partner_service_id, customer_no, pay_no, partner_reference_no, customer_name,
	customer_phone, customer_email, goods_name, amount_minor, expires_at, status, paid_amount_minor, paid_at,
	payment_request_id, mitra_cd, coalesce(created_by, 0), created_at, updated_at`

func scanCVSBill(row interface{ Scan(...any) error }) (CVSBill, error) {
	var b CVSBill
	var expires, created, updated string
	var paidAt sql.NullString
	if err := row.Scan(&b.ID, &b.MerchantID, &b.PartnerServiceID, &b.CustomerNo, &b.PayNo, &b.PartnerReferenceNo,
		&b.CustomerName, &b.CustomerPhone, &b.CustomerEmail, &b.GoodsName, &b.AmountMinor, &expires, &b.Status,
		&b.PaidAmountMinor, &paidAt, &b.PaymentRequestID, &b.MitraCd, &b.CreatedBy, &created, &updated); err != nil {
		return CVSBill{}, err
	}
	var err error
	if b.ExpiresAt, err = parseTime(expires); err != nil {
		return CVSBill{}, err
	}
	if b.CreatedAt, err = parseTime(created); err != nil {
		return CVSBill{}, err
	}
	if b.UpdatedAt, err = parseTime(updated); err != nil {
		return CVSBill{}, err
	}
	if paidAt.Valid {
		t, err := parseTime(paidAt.String)
		if err != nil {
			return CVSBill{}, err
		}
		b.PaidAt = sql.NullTime{Time: t, Valid: true}
	}
	return b, nil
}

// CreateCVSBill inserts a bill and its audit entry in one transaction.
// ErrConflict when the payNo or reference is taken.
func (d *DB) CreateCVSBill(ctx context.Context, nb NewCVSBill, audit AuditEntry) (CVSBill, error) {
	var b CVSBill
	err := d.InTx(ctx, func(tx *Tx) error {
		now := formatTime(tx.now)
		var err error
		b, err = scanCVSBill(tx.tx.QueryRowContext(ctx,
			`INSERT INTO cvs_bills (merchant_id, partner_service_id, customer_no, pay_no, partner_reference_no,
			   customer_name, customer_phone, customer_email, goods_name, amount_minor, expires_at, created_by,
			   created_at, updated_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+cvsBillColumns,
			nb.MerchantID, nb.PartnerServiceID, nb.CustomerNo, nb.PartnerServiceID+nb.CustomerNo, nb.PartnerReferenceNo,
			nb.CustomerName, nb.CustomerPhone, nb.CustomerEmail, nb.GoodsName, nb.AmountMinor, formatTime(nb.ExpiresAt),
			nullID(nb.CreatedBy), now, now))
		if isUniqueViolation(err) {
			return fmt.Errorf("db: cvs bill %s: %w", nb.PartnerServiceID+nb.CustomerNo, ErrConflict)
		} else if err != nil {
			return fmt.Errorf("db: cvs bill: %w", err)
		}
		audit.MerchantID = nb.MerchantID
		return tx.Audit(ctx, audit)
	})
	return b, err
}

// MerchantCVSBill returns bill id of merchantID; ErrNotFound when it does not
// exist or belongs to another merchant.
func (d *DB) MerchantCVSBill(ctx context.Context, merchantID, id int64) (CVSBill, error) {
	b, err := scanCVSBill(d.sql.QueryRowContext(ctx,
		`SELECT `+cvsBillColumns+` FROM cvs_bills WHERE id = ? AND merchant_id = ?`, id, merchantID))
	if err != nil {
		return CVSBill{}, notFound(err, fmt.Sprintf("cvs bill %d", id))
	}
	return b, nil
}

// CVSBillByPayNo returns the bill with payNo, of any merchant (NICEPAY
// knows only the number); ErrNotFound when none.
func (d *DB) CVSBillByPayNo(ctx context.Context, payNo string) (CVSBill, error) {
	return cvsBillByPayNo(ctx, d.sql, payNo)
}

// CVSBillByPayNo is CVSBillByPayNo inside a transaction.
func (tx *Tx) CVSBillByPayNo(ctx context.Context, payNo string) (CVSBill, error) {
	return cvsBillByPayNo(ctx, tx.tx, payNo)
}

func cvsBillByPayNo(ctx context.Context, q reader, payNo string) (CVSBill, error) {
	b, err := scanCVSBill(q.QueryRowContext(ctx, `SELECT `+cvsBillColumns+` FROM cvs_bills WHERE pay_no = ?`, payNo))
	if err != nil {
		return CVSBill{}, notFound(err, "cvs bill "+payNo)
	}
	return b, nil
}

// CVSBills returns a merchant's bills, newest first.
func (d *DB) CVSBills(ctx context.Context, merchantID int64, limit int) ([]CVSBill, error) {
	rows, err := d.sql.QueryContext(ctx,
		`SELECT `+cvsBillColumns+` FROM cvs_bills WHERE merchant_id = ? ORDER BY id DESC LIMIT ?`, merchantID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: cvs bills: %w", err)
	}
	defer rows.Close()
	var out []CVSBill
	for rows.Next() {
		b, err := scanCVSBill(rows)
		if err != nil {
			return nil, fmt.Errorf("db: cvs bills: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// MarkCVSBillPaid moves an open bill to paid. It reports false (and changes
// nothing) when the bill was not open: the guard makes a double payment
// impossible even if two confirmations race.
func (tx *Tx) MarkCVSBillPaid(ctx context.Context, id, paidMinor int64, paidAt time.Time, paymentRequestID, mitraCd string) (bool, error) {
	res, err := tx.tx.ExecContext(ctx,
		`UPDATE cvs_bills SET status = 'paid', paid_amount_minor = ?, paid_at = ?, payment_request_id = ?, mitra_cd = ?,
		   updated_at = ? WHERE id = ? AND status = 'open'`,
		paidMinor, formatTime(paidAt), paymentRequestID, mitraCd, formatTime(tx.now), id)
	if err != nil {
		return false, fmt.Errorf("db: cvs bill %d paid: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CVSRequest is one request NICEPAY made to us and the answer we gave.
type CVSRequest struct {
	ID              int64
	At              time.Time
	Kind            string // token, inquiry, payment
	BillID          int64  // 0 = no bill matched
	MerchantID      int64
	PayNo           string
	RequestID       string
	ExternalID      string
	MitraCd         string
	SignatureRecipe string
	HTTPStatus      int
	ResponseCode    string
	RequestBody     string
	ResponseBody    string
	RemoteAddr      string
}

// RecordCVSRequest appends r to the log of NICEPAY requests.
func (d *DB) RecordCVSRequest(ctx context.Context, r CVSRequest) error {
	if r.At.IsZero() {
		r.At = d.now()
	}
	_, err := d.w.ExecContext(ctx,
		`INSERT INTO cvs_requests (at, kind, bill_id, merchant_id, pay_no, request_id, external_id, mitra_cd,
		   signature_recipe, http_status, response_code, request_body, response_body, remote_addr)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		formatTime(r.At), r.Kind, nullID(r.BillID), nullID(r.MerchantID), r.PayNo, r.RequestID, r.ExternalID, r.MitraCd,
		r.SignatureRecipe, r.HTTPStatus, r.ResponseCode, r.RequestBody, r.ResponseBody, r.RemoteAddr)
	if err != nil {
		return fmt.Errorf("db: cvs request %s: %w", r.Kind, err)
	}
	return nil
}

// CVSRequests returns the NICEPAY requests about a merchant's bills, newest
// first; billID 0 = all of the merchant's.
func (d *DB) CVSRequests(ctx context.Context, merchantID, billID int64, limit int) ([]CVSRequest, error) {
	q := `SELECT id, at, kind, coalesce(bill_id, 0), coalesce(merchant_id, 0), pay_no, request_id, external_id, mitra_cd,
		signature_recipe, http_status, response_code, request_body, response_body, remote_addr
		FROM cvs_requests WHERE merchant_id = ?`
	args := []any{merchantID}
	if billID != 0 {
		q += ` AND bill_id = ?`
		args = append(args, billID)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := d.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("db: cvs requests: %w", err)
	}
	defer rows.Close()
	var out []CVSRequest
	for rows.Next() {
		var r CVSRequest
		var at string
		if err := rows.Scan(&r.ID, &at, &r.Kind, &r.BillID, &r.MerchantID, &r.PayNo, &r.RequestID, &r.ExternalID,
			&r.MitraCd, &r.SignatureRecipe, &r.HTTPStatus, &r.ResponseCode, &r.RequestBody, &r.ResponseBody,
			&r.RemoteAddr); err != nil {
			return nil, fmt.Errorf("db: cvs requests: %w", err)
		}
		if r.At, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SaveNicepayToken stores the SHA-256 (hex) of a token we issued to clientID.
func (d *DB) SaveNicepayToken(ctx context.Context, tokenSHA256, clientID string, expiresAt time.Time) error {
	_, err := d.w.ExecContext(ctx,
		`INSERT INTO nicepay_tokens (token_sha256, client_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		tokenSHA256, clientID, formatTime(d.now()), formatTime(expiresAt))
	if err != nil {
		return fmt.Errorf("db: nicepay token: %w", err)
	}
	// Housekeeping: tokens expired for a day are useless.
	_, err = d.w.ExecContext(ctx, `DELETE FROM nicepay_tokens WHERE expires_at < ?`, formatTime(d.now().Add(-24*time.Hour)))
	return err
}

// NicepayTokenClient returns the client id a live token was issued to;
// ErrNotFound when the token is unknown or expired at now.
func (d *DB) NicepayTokenClient(ctx context.Context, tokenSHA256 string, now time.Time) (string, error) {
	var client string
	err := d.sql.QueryRowContext(ctx,
		`SELECT client_id FROM nicepay_tokens WHERE token_sha256 = ? AND expires_at > ?`, tokenSHA256, formatTime(now)).Scan(&client)
	if err != nil {
		return "", notFound(err, "nicepay token")
	}
	return client, nil
}

// ClaimNicepayExternalID records the X-EXTERNAL-ID NICEPAY used on day
// (Jakarta date, "2006-01-02"); ErrConflict when it was already used that day.
func (d *DB) ClaimNicepayExternalID(ctx context.Context, day, externalID, kind string) error {
	_, err := d.w.ExecContext(ctx,
		`INSERT INTO nicepay_external_ids (day, external_id, kind, at) VALUES (?, ?, ?, ?)`,
		day, externalID, kind, formatTime(d.now()))
	if isUniqueViolation(err) {
		return fmt.Errorf("db: nicepay external id: %w", ErrConflict)
	} else if err != nil {
		return fmt.Errorf("db: nicepay external id: %w", err)
	}
	return nil
}

// CVSPayment is one payment confirmation in the inbox.
type CVSPayment struct {
	ID               int64
	PaymentRequestID string
	PayNo            string
	AmountMinor      int64
	RequestBody      string
	Status           string // received, applied, rejected
	BillID           int64
	HTTPStatus       int
	ResponseCode     string
	ResponseBody     string
}

// ReceiveCVSPayment stores a confirmation in the inbox before anything acts
// on it. When paymentRequestID is already there it returns the stored row
// and fresh=false, so a repeat gets the answer the first one got.
func (d *DB) ReceiveCVSPayment(ctx context.Context, paymentRequestID, payNo string, amountMinor int64, body string) (p CVSPayment, fresh bool, err error) {
	err = d.InTx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx,
			`INSERT INTO cvs_payments (received_at, payment_request_id, pay_no, amount_minor, request_body)
			 VALUES (?, ?, ?, ?, ?) ON CONFLICT (payment_request_id) DO NOTHING`,
			formatTime(tx.now), paymentRequestID, payNo, amountMinor, body)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		fresh = n == 1
		p, err = tx.CVSPayment(ctx, paymentRequestID)
		return err
	})
	if err != nil {
		return CVSPayment{}, false, fmt.Errorf("db: receive cvs payment %s: %w", paymentRequestID, err)
	}
	return p, fresh, nil
}

// CVSPayment returns the inbox row for paymentRequestID, or ErrNotFound.
func (tx *Tx) CVSPayment(ctx context.Context, paymentRequestID string) (CVSPayment, error) {
	var p CVSPayment
	var httpStatus sql.NullInt64
	err := tx.tx.QueryRowContext(ctx,
		`SELECT id, payment_request_id, pay_no, amount_minor, request_body, status, coalesce(bill_id, 0), http_status,
		   response_code, response_body FROM cvs_payments WHERE payment_request_id = ?`, paymentRequestID,
	).Scan(&p.ID, &p.PaymentRequestID, &p.PayNo, &p.AmountMinor, &p.RequestBody, &p.Status, &p.BillID, &httpStatus,
		&p.ResponseCode, &p.ResponseBody)
	if err != nil {
		return CVSPayment{}, notFound(err, "cvs payment "+paymentRequestID)
	}
	p.HTTPStatus = int(httpStatus.Int64)
	return p, nil
}

// FinishCVSPayment records the outcome of an inbox row: applied or rejected,
// with the exact answer sent, so repeats get the same answer.
func (tx *Tx) FinishCVSPayment(ctx context.Context, id int64, status string, billID int64, httpStatus int, code, body string) error {
	_, err := tx.tx.ExecContext(ctx,
		`UPDATE cvs_payments SET status = ?, bill_id = ?, http_status = ?, response_code = ?, response_body = ?,
		   processed_at = ? WHERE id = ? AND status = 'received'`,
		status, nullID(billID), httpStatus, code, body, formatTime(tx.now), id)
	if err != nil {
		return fmt.Errorf("db: finish cvs payment %d: %w", id, err)
	}
	return nil
}
