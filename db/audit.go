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

// AuditLog returns the newest limit entries, newest first. merchantID 0
// returns every entry (administrators); otherwise only that merchant's.
func (d *DB) AuditLog(ctx context.Context, merchantID int64, limit int) ([]AuditEntry, error) {
	conds, args := auditConds(merchantID)
	es, err := queryKeyset(ctx, d.sql, auditKeys, Cursor{}, limit, auditSelect(merchantID), conds, args, scanAudit)
	if err != nil {
		return nil, fmt.Errorf("db: audit log: %w", err)
	}
	return es, nil
}

// AuditPage returns one page of the audit log, newest first, from the
// position in cursor ("" = the first page; ErrBadCursor for a token that is
// not one of this list's). merchantID as for AuditLog.
func (d *DB) AuditPage(ctx context.Context, merchantID int64, cursor string, limit int) (Page[AuditEntry], error) {
	conds, args := auditConds(merchantID)
	return queryPage(ctx, d.sql, auditKeys, cursor, limit, auditSelect(merchantID), conds, args, scanAudit,
		func(e AuditEntry) Cursor { return Cursor{ID: e.ID} })
}

// The audit log is append-only, so its id order is its time order.
var auditKeys = keyset{list: "audit", id: "id", kind: keyNone, desc: true}

// auditSelect reads one merchant's lines through its index (INDEXED BY, as
// InvoiceFilter.from explains), everyone's in id order.
func auditSelect(merchantID int64) string {
	from := "audit_log"
	if merchantID != 0 {
		from += " INDEXED BY audit_log_list_merchant"
	}
	return `SELECT id, at, coalesce(user_id, 0), user_email, coalesce(merchant_id, 0), action, detail,
	remote_addr, request_id FROM ` + from
}

func auditConds(merchantID int64) ([]string, []any) {
	if merchantID == 0 {
		return nil, nil
	}
	return []string{"merchant_id = ?"}, []any{merchantID}
}

func scanAudit(s scanner) (AuditEntry, error) {
	var e AuditEntry
	var at string
	if err := s.Scan(&e.ID, &at, &e.UserID, &e.UserEmail, &e.MerchantID, &e.Action, &e.Detail, &e.RemoteAddr, &e.RequestID); err != nil {
		return AuditEntry{}, err
	}
	var err error
	e.At, err = parseTime(at)
	return e, err
}
