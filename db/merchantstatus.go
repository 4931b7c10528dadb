package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// MerchantStatusCheck is one SpeedCash Merchant Status check of a merchant.
// Outcome is "unknown" from the intent until the answer is recorded, then
// "ok" (Status set) or "error" (ResponseCode/ResponseMessage say why).
type MerchantStatusCheck struct {
	ID              int64
	MerchantID      int64
	UserID          int64
	Phone           string
	ExternalID      string
	CreatedAt       time.Time
	FinishedAt      sql.NullTime
	Outcome         string
	ResponseCode    string
	ResponseMessage string
	Status          sql.NullInt64 // 0 pending, 1 accepted, 2 rejected
	Title           string
	Description     string
	SCMerchantID    string // SpeedCash's merchantId
	StoreName       string
	MID             string
	NMID            string
}

// MerchantStatusResult is the answer to record for a check.
type MerchantStatusResult struct {
	Outcome         string // "ok" or "error"
	ResponseCode    string
	ResponseMessage string
	Status          sql.NullInt64
	Title           string
	Description     string
	SCMerchantID    string
	StoreName       string
	MID             string
	NMID            string
}

// StartMerchantStatusCheck writes the intent (outcome unknown) and its audit
// entry in one transaction, before SpeedCash is called.
func (d *DB) StartMerchantStatusCheck(ctx context.Context, merchantID, userID int64, phone, externalID string, audit AuditEntry) (int64, error) {
	var id int64
	err := d.InTx(ctx, func(tx *Tx) error {
		err := tx.tx.QueryRowContext(ctx,
			`INSERT INTO merchant_status_checks (merchant_id, user_id, phone, external_id, created_at)
			 VALUES (?, ?, ?, ?, ?) RETURNING id`,
			merchantID, nullID(userID), phone, externalID, formatTime(tx.now)).Scan(&id)
		if err != nil {
			return fmt.Errorf("db: merchant status check: %w", err)
		}
		audit.MerchantID = merchantID
		return tx.Audit(ctx, audit)
	})
	return id, err
}

// FinishMerchantStatusCheck records SpeedCash's answer on an unknown check.
func (d *DB) FinishMerchantStatusCheck(ctx context.Context, id int64, r MerchantStatusResult) error {
	_, err := d.w.ExecContext(ctx,
		`UPDATE merchant_status_checks SET finished_at = ?, outcome = ?, response_code = ?, response_message = ?,
		   status = ?, title = ?, description = ?, sc_merchant_id = ?, store_name = ?, mid = ?, nmid = ?
		 WHERE id = ? AND outcome = 'unknown'`,
		formatTime(d.now()), r.Outcome, r.ResponseCode, r.ResponseMessage, r.Status, r.Title, r.Description,
		r.SCMerchantID, r.StoreName, r.MID, r.NMID, id)
	if err != nil {
		return fmt.Errorf("db: finish merchant status check %d: %w", id, err)
	}
	return nil
}

const msColumns = `id, merchant_id, coalesce(user_id, 0), phone, external_id, created_at, finished_at, outcome,
	response_code, response_message, status, title, description, sc_merchant_id, store_name, mid, nmid`

func scanMerchantStatusCheck(row interface{ Scan(...any) error }) (MerchantStatusCheck, error) {
	var c MerchantStatusCheck
	var created string
	var finished sql.NullString
	if err := row.Scan(&c.ID, &c.MerchantID, &c.UserID, &c.Phone, &c.ExternalID, &created, &finished, &c.Outcome,
		&c.ResponseCode, &c.ResponseMessage, &c.Status, &c.Title, &c.Description, &c.SCMerchantID, &c.StoreName,
		&c.MID, &c.NMID); err != nil {
		return MerchantStatusCheck{}, err
	}
	var err error
	if c.CreatedAt, err = parseTime(created); err != nil {
		return MerchantStatusCheck{}, err
	}
	if finished.Valid {
		t, err := parseTime(finished.String)
		if err != nil {
			return MerchantStatusCheck{}, err
		}
		c.FinishedAt = sql.NullTime{Time: t, Valid: true}
	}
	return c, nil
}

// LastKnownMerchantStatus returns the merchant's latest successful check, or
// ErrNotFound when SpeedCash never answered with a status.
func (d *DB) LastKnownMerchantStatus(ctx context.Context, merchantID int64) (MerchantStatusCheck, error) {
	c, err := scanMerchantStatusCheck(d.sql.QueryRowContext(ctx,
		`SELECT `+msColumns+` FROM merchant_status_checks WHERE merchant_id = ? AND outcome = 'ok' ORDER BY id DESC LIMIT 1`,
		merchantID))
	if err != nil {
		return MerchantStatusCheck{}, notFound(err, "merchant status")
	}
	return c, nil
}

// LastKnownMerchantStatusOf returns the merchant's latest successful check
// of phone (SpeedCash's form), or ErrNotFound: results are kept per phone, so
// a check of another number never stands for the shop's own status.
func (d *DB) LastKnownMerchantStatusOf(ctx context.Context, merchantID int64, phone string) (MerchantStatusCheck, error) {
	c, err := scanMerchantStatusCheck(d.sql.QueryRowContext(ctx,
		`SELECT `+msColumns+` FROM merchant_status_checks WHERE merchant_id = ? AND phone = ? AND outcome = 'ok'
		 ORDER BY id DESC LIMIT 1`, merchantID, phone))
	if err != nil {
		return MerchantStatusCheck{}, notFound(err, "merchant status of "+phone)
	}
	return c, nil
}

// MerchantStatusChecks returns a merchant's checks, newest first.
func (d *DB) MerchantStatusChecks(ctx context.Context, merchantID int64, limit int) ([]MerchantStatusCheck, error) {
	rows, err := d.sql.QueryContext(ctx,
		`SELECT `+msColumns+` FROM merchant_status_checks WHERE merchant_id = ? ORDER BY id DESC LIMIT ?`, merchantID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: merchant status checks: %w", err)
	}
	defer rows.Close()
	var out []MerchantStatusCheck
	for rows.Next() {
		c, err := scanMerchantStatusCheck(rows)
		if err != nil {
			return nil, fmt.Errorf("db: merchant status checks: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
