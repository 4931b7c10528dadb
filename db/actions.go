package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

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
	res, err := d.w.ExecContext(ctx,
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
