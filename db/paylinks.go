package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PayTarget names what a pay link opens: exactly one of the ids is set.
type PayTarget struct {
	InvoiceID, CVSBillID int64
}

// PayLink is a public link (/p/{token}) to one payment of a merchant.
type PayLink struct {
	ID         int64
	Token      string
	MerchantID int64
	PayTarget
	CreatedAt time.Time
}

const payLinkColumns = `id, token, merchant_id, coalesce(invoice_id, 0), coalesce(cvs_bill_id, 0), created_at`

func scanPayLink(row interface{ Scan(...any) error }) (PayLink, error) {
	var l PayLink
	var created string
	if err := row.Scan(&l.ID, &l.Token, &l.MerchantID, &l.InvoiceID, &l.CVSBillID, &created); err != nil {
		return PayLink{}, err
	}
	t, err := parseTime(created)
	l.CreatedAt = t
	return l, err
}

// targetQuery is the column and owning table of t's one id.
func (t PayTarget) targetQuery() (column, table string, id int64, err error) {
	switch {
	case t.InvoiceID != 0 && t.CVSBillID == 0:
		return "invoice_id", "invoices", t.InvoiceID, nil
	case t.CVSBillID != 0 && t.InvoiceID == 0:
		return "cvs_bill_id", "cvs_bills", t.CVSBillID, nil
	}
	return "", "", 0, fmt.Errorf("db: pay link target %+v: exactly one id must be set", t)
}

// EnsurePayLink returns the pay link of target, creating it with token the
// first time. The target must belong to merchantID, else ErrNotFound. A
// token already taken by another link is ErrConflict (the caller draws a new
// one).
func (d *DB) EnsurePayLink(ctx context.Context, merchantID int64, target PayTarget, token string) (PayLink, error) {
	column, table, id, err := target.targetQuery()
	if err != nil {
		return PayLink{}, err
	}
	var out PayLink
	err = d.InTx(ctx, func(tx *Tx) error {
		var owner int64
		err := tx.tx.QueryRowContext(ctx, `SELECT merchant_id FROM `+table+` WHERE id = ?`, id).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != merchantID) {
			return fmt.Errorf("db: pay link for %s %d of merchant %d: %w", table, id, merchantID, ErrNotFound)
		} else if err != nil {
			return fmt.Errorf("db: pay link for %s %d: %w", table, id, err)
		}
		out, err = scanPayLink(tx.tx.QueryRowContext(ctx, `SELECT `+payLinkColumns+` FROM pay_links WHERE `+column+` = ?`, id))
		if err == nil {
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("db: pay link for %s %d: %w", table, id, err)
		}
		out, err = scanPayLink(tx.tx.QueryRowContext(ctx,
			`INSERT INTO pay_links (token, merchant_id, `+column+`, created_at) VALUES (?, ?, ?, ?) RETURNING `+payLinkColumns,
			token, merchantID, id, formatTime(tx.now)))
		if isUniqueViolation(err) {
			return fmt.Errorf("db: pay link token: %w", ErrConflict)
		} else if err != nil {
			return fmt.Errorf("db: pay link for %s %d: %w", table, id, err)
		}
		return nil
	})
	return out, err
}

// PayLinkByToken returns the link with token, or ErrNotFound.
func (d *DB) PayLinkByToken(ctx context.Context, token string) (PayLink, error) {
	l, err := scanPayLink(d.sql.QueryRowContext(ctx, `SELECT `+payLinkColumns+` FROM pay_links WHERE token = ?`, token))
	if err != nil {
		return PayLink{}, notFound(err, "pay link")
	}
	return l, nil
}

// nullTime is NULL for the zero time, else the stored form of t.
func nullTime(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(t), Valid: true}
}
