package db

import (
	"context"
	"fmt"
	"time"
)

// AuditEntry is one line of the audit log: who did what, for which merchant,
// when and from where. Detail is JSON and must hold no secret (no PIN, no
// password, no token).
type AuditEntry struct {
	ID         int64
	At         time.Time // set by Audit when zero
	UserID     int64     // 0 = the system
	UserEmail  string
	MerchantID int64  // 0 = installation-wide
	Action     string // dotted verb, e.g. "user.login", "merchant.create"
	Detail     string // JSON object; "" means {}
	RemoteAddr string
	RequestID  string
}

// Audit appends an entry to the audit log.
func (d *DB) Audit(ctx context.Context, e AuditEntry) error { return audit(ctx, d.w, d.now(), e) }

// Audit appends an entry inside the transaction, so the log line commits (or
// not) together with the change it describes.
func (tx *Tx) Audit(ctx context.Context, e AuditEntry) error { return audit(ctx, tx.tx, tx.now, e) }

func audit(ctx context.Context, q queryer, now time.Time, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = now
	}
	if e.Detail == "" {
		e.Detail = "{}"
	}
	_, err := q.ExecContext(ctx,
		`INSERT INTO audit_log (at, user_id, user_email, merchant_id, action, detail, remote_addr, request_id)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		formatTime(e.At), nullID(e.UserID), e.UserEmail, nullID(e.MerchantID), e.Action, e.Detail, e.RemoteAddr, e.RequestID)
	if err != nil {
		return fmt.Errorf("db: audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditLog returns entries newest first. merchantID 0 returns every entry
// (administrators); otherwise only that merchant's.
func (d *DB) AuditLog(ctx context.Context, merchantID int64, limit, offset int) ([]AuditEntry, error) {
	query := `SELECT id, at, coalesce(user_id, 0), user_email, coalesce(merchant_id, 0), action, detail, remote_addr, request_id
		FROM audit_log`
	args := []any{}
	if merchantID != 0 {
		query += ` WHERE merchant_id = ?`
		args = append(args, merchantID)
	}
	query += ` ORDER BY id DESC LIMIT ? OFFSET ?`
	args = append(args, limit, offset)
	rows, err := d.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.UserID, &e.UserEmail, &e.MerchantID, &e.Action, &e.Detail, &e.RemoteAddr, &e.RequestID); err != nil {
			return nil, fmt.Errorf("db: audit log: %w", err)
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: audit log: %w", err)
	}
	return out, nil
}
