package db

import (
	"context"
	"fmt"
)

// TopupInvoices lists merchantID's deposit top-up invoices (purpose
// 'topup_deposit', spec §3.21), newest first, at most limit (0 = 50).
func (d *DB) TopupInvoices(ctx context.Context, merchantID int64, limit int) ([]Invoice, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT `+invoiceColumns+` FROM invoices
		WHERE merchant_id = ? AND purpose = 'topup_deposit' ORDER BY id DESC LIMIT ?`, merchantID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: top-up invoices: %w", err)
	}
	defer rows.Close()
	var out []Invoice
	for rows.Next() {
		iv, err := scanInvoice(rows)
		if err != nil {
			return nil, fmt.Errorf("db: top-up invoices: %w", err)
		}
		out = append(out, iv)
	}
	return out, rows.Err()
}

// PaidSaleInvoices lists merchantID's paid sale invoices, newest first, at
// most limit (0 = 50): the invoices a split fee may be deducted for.
func (d *DB) PaidSaleInvoices(ctx context.Context, merchantID int64, limit int) ([]Invoice, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT `+invoiceColumns+` FROM invoices
		WHERE merchant_id = ? AND purpose = 'sale' AND status = 'paid' ORDER BY id DESC LIMIT ?`, merchantID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: paid invoices: %w", err)
	}
	defer rows.Close()
	var out []Invoice
	for rows.Next() {
		iv, err := scanInvoice(rows)
		if err != nil {
			return nil, fmt.Errorf("db: paid invoices: %w", err)
		}
		out = append(out, iv)
	}
	return out, rows.Err()
}
