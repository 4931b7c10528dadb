package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Payment is money that reached a merchant without a Lapak invoice: a
// static-QRIS payment announced by a QRIS callback (spec §3.16). Money in
// sen; NetMinor is what the merchant's Netzme balance was credited.
type Payment struct {
	ID            int64
	MerchantID    int64
	Kind          string // "qris_static"
	DedupeKey     string // rrn|YYYYMMDD|issuerId
	RRN           string
	LocalDate     string // YYYYMMDD (Jakarta)
	IssuerID      string
	IssuerName    string
	InvoiceNumber string
	BuyerName     string
	AmountMinor   int64
	FeeMinor      int64
	NetMinor      int64
	PaidAt        time.Time
	CallbackID    int64
	CreatedAt     time.Time
}

// NewPayment is a payment to record. Kind "" = "qris_static".
type NewPayment struct {
	MerchantID    int64
	Kind          string
	DedupeKey     string
	RRN           string
	LocalDate     string
	IssuerID      string
	IssuerName    string
	InvoiceNumber string
	BuyerName     string
	AmountMinor   int64
	FeeMinor      int64
	NetMinor      int64
	PaidAt        time.Time
	CallbackID    int64
}

const paymentColumns = `id, merchant_id, kind, dedupe_key, rrn, local_date, issuer_id, issuer_name, invoice_number,
	buyer_name, amount_minor, fee_minor, net_minor, paid_at, coalesce(callback_id, 0), created_at`

func scanPayment(row interface{ Scan(...any) error }) (Payment, error) {
	var p Payment
	var paid, created string
	err := row.Scan(&p.ID, &p.MerchantID, &p.Kind, &p.DedupeKey, &p.RRN, &p.LocalDate, &p.IssuerID, &p.IssuerName,
		&p.InvoiceNumber, &p.BuyerName, &p.AmountMinor, &p.FeeMinor, &p.NetMinor, &paid, &p.CallbackID, &created)
	if err != nil {
		return Payment{}, err
	}
	if p.PaidAt, err = parseTime(paid); err != nil {
		return Payment{}, err
	}
	if p.CreatedAt, err = parseTime(created); err != nil {
		return Payment{}, err
	}
	return p, nil
}

// InsertPayment records a payment inside the transaction. It reports
// created=false, with the payment already on record, when the dedupe key is
// known: a repeated notification never records the money twice.
func (tx *Tx) InsertPayment(ctx context.Context, np NewPayment) (p Payment, created bool, err error) {
	if np.Kind == "" {
		np.Kind = "qris_static"
	}
	now := formatTime(tx.now)
	p, err = scanPayment(tx.tx.QueryRowContext(ctx, `INSERT INTO payments (merchant_id, kind, dedupe_key, rrn, local_date,
		issuer_id, issuer_name, invoice_number, buyer_name, amount_minor, fee_minor, net_minor, paid_at, callback_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (dedupe_key) DO NOTHING RETURNING `+paymentColumns,
		np.MerchantID, np.Kind, np.DedupeKey, np.RRN, np.LocalDate, np.IssuerID, np.IssuerName, np.InvoiceNumber,
		np.BuyerName, np.AmountMinor, np.FeeMinor, np.NetMinor, formatTime(np.PaidAt), nullID(np.CallbackID), now))
	if err == nil {
		return p, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Payment{}, false, fmt.Errorf("db: payment %s: %w", np.DedupeKey, err)
	}
	p, err = scanPayment(tx.tx.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE dedupe_key = ?`, np.DedupeKey))
	if err != nil {
		return Payment{}, false, fmt.Errorf("db: payment %s: %w", np.DedupeKey, err)
	}
	return p, false, nil
}

// PaymentFilter selects a merchant's payments for history and balance views.
type PaymentFilter struct {
	From  time.Time // paid at or after; zero = no bound
	To    time.Time // paid before; zero = no bound
	Limit int       // the newest Limit payments; 0 = no limit
}

// PaymentTotals sums the payments matching a filter, in sen.
type PaymentTotals struct {
	Count       int
	AmountMinor int64
	FeeMinor    int64
	NetMinor    int64
}

func (f PaymentFilter) where(merchantID int64) (string, []any) {
	conds, args := paymentConds(merchantID, f)
	return whereClause(conds), args
}

// MerchantPayments returns one merchant's non-invoice payments matching f,
// newest first, with the totals over every match (not only this page). Another
// merchant's payments are never returned.
func (d *DB) MerchantPayments(ctx context.Context, merchantID int64, f PaymentFilter) ([]Payment, PaymentTotals, error) {
	where, args := f.where(merchantID)
	var t PaymentTotals
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(amount_minor), 0), coalesce(sum(fee_minor), 0),
		coalesce(sum(net_minor), 0) FROM payments`+where, args...).Scan(&t.Count, &t.AmountMinor, &t.FeeMinor, &t.NetMinor); err != nil {
		return nil, PaymentTotals{}, fmt.Errorf("db: payment totals: %w", err)
	}
	q := `SELECT ` + paymentColumns + ` FROM payments` + where + ` ORDER BY paid_at DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := d.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, PaymentTotals{}, fmt.Errorf("db: payments: %w", err)
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, PaymentTotals{}, fmt.Errorf("db: payments: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, PaymentTotals{}, fmt.Errorf("db: payments: %w", err)
	}
	return out, t, nil
}

// paymentList is the payments table with the history's index (INDEXED BY,
// as InvoiceFilter.from explains).
const paymentList = "payments INDEXED BY payments_list"

// paymentKeys orders payments as the history shows them: newest paid first.
var paymentKeys = keyset{list: "payments", key: "paid_at", id: "id", kind: keyTime, desc: true}

// PaymentsAfter returns at most n of a merchant's payments matching f (From
// and To; Limit is ignored) after c in paid-at order, newest first (for lists
// merged with other sources, as the history): for a forward cursor the next
// rows; for a Back cursor the rows before c, nearest first. c.Key is the
// paid_at as stored.
func (d *DB) PaymentsAfter(ctx context.Context, merchantID int64, f PaymentFilter, c Cursor, n int) ([]Payment, error) {
	conds, args := paymentConds(merchantID, f)
	ps, err := queryKeyset(ctx, d.sql, paymentKeys, c, n, `SELECT `+paymentColumns+` FROM `+paymentList, conds, args,
		func(s scanner) (Payment, error) { return scanPayment(s) })
	if err != nil {
		return nil, fmt.Errorf("db: payments: %w", err)
	}
	return ps, nil
}

// CountPayments counts a merchant's payments matching f (From and To) up to
// CountCap.
func (d *DB) CountPayments(ctx context.Context, merchantID int64, f PaymentFilter) (int, error) {
	conds, args := paymentConds(merchantID, f)
	n, err := countCapped(ctx, d.sql, `SELECT 1 FROM `+paymentList+whereClause(conds), args...)
	if err != nil {
		return 0, fmt.Errorf("db: count payments: %w", err)
	}
	return n, nil
}

func paymentConds(merchantID int64, f PaymentFilter) ([]string, []any) {
	conds := []string{"merchant_id = ?"}
	args := []any{merchantID}
	if !f.From.IsZero() {
		conds, args = append(conds, "paid_at >= ?"), append(args, formatTime(f.From))
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "paid_at < ?"), append(args, formatTime(f.To))
	}
	return conds, args
}
