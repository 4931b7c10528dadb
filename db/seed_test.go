package db

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Fast test data for this package's plan tests and benchmarks: one
// transaction, one prepared statement per table, rows shaped like a shop's
// year (mostly paid QRIS invoices, Indonesian descriptions and names).

var (
	seedItems   = []string{"Kopi susu gula aren", "Es teh manis", "Nasi goreng spesial", "Mie ayam bakso", "Roti bakar cokelat", "Pisang goreng", "Soto ayam", "Sate kambing 10 tusuk"}
	seedNames   = []string{"Budi Santoso", "Siti Rahayu", "Agus Setiawan", "Dewi Lestari", "Rudi Hartono", "", "", ""}
	seedMethods = []string{"QRIS", "QRIS", "QRIS", "QRIS", "QRIS", "QRIS", "BANK_TRANSFER", "OVO", "DANA", "BCA"}
)

// seedInvoices inserts n invoices of merchantID, one every step ending at
// end (ids and times rise together, as in production): 70% paid, 20%
// pending, the rest expired, failed or unknown. refPrefix keeps references
// unique across calls.
func seedInvoices(tb testing.TB, d *DB, merchantID int64, n int, end time.Time, step time.Duration, refPrefix string) {
	tb.Helper()
	// Commits every seedChunk rows: one huge transaction would grow the WAL
	// to the size of the table.
	const seedChunk = 50_000
	for lo := 0; lo < n; lo += seedChunk {
		seedInvoiceRange(tb, d, merchantID, n, lo, min(lo+seedChunk, n), end, step, refPrefix)
	}
}

func seedInvoiceRange(tb testing.TB, d *DB, merchantID int64, n, lo, hi int, end time.Time, step time.Duration, refPrefix string) {
	tb.Helper()
	ctx := context.Background()
	err := d.InTx(ctx, func(tx *Tx) error {
		st, err := tx.tx.tx.PrepareContext(ctx, `INSERT INTO invoices (merchant_id, partner_reference_no, purpose, method,
			amount_minor, fee_type, description, customer_name, customer_phone, customer_email, expires_at, status,
			netzme_trx_id, netzme_invoice_id, paid_amount_minor, fee_minor, net_minor, paid_at, created_at, updated_at)
			VALUES (?, ?, 'sale', ?, ?, 'on_seller', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := lo; i < hi; i++ {
			created := end.Add(-time.Duration(n-1-i) * step)
			amount := int64(5+(i*7919)%200) * 500_00 // Rp 2.500 … Rp 102.000, in Rp 500 steps
			status := "paid"
			switch r := i % 10; {
			case r == 7 || r == 8:
				status = "pending"
			case r == 9:
				status = []string{"expired", "failed", "unknown"}[(i/10)%3]
			}
			var paid, fee, net, paidAt any
			if status == "paid" {
				paid, fee, net, paidAt = amount, amount*7/1000, amount-amount*7/1000, formatTime(created.Add(time.Minute))
			}
			trx, inv := "", ""
			if status != "unknown" {
				trx, inv = fmt.Sprintf("%sTRX%09d", refPrefix, i), fmt.Sprintf("NETZ-INV-%s%09d", refPrefix, i)
			}
			name := seedNames[i%len(seedNames)]
			phone, email := "", ""
			if name != "" {
				phone, email = fmt.Sprintf("0812%08d", i%100_000_000), fmt.Sprintf("pelanggan%d@contoh.id", i%5000)
			}
			if _, err := st.ExecContext(ctx, merchantID, fmt.Sprintf("%s%09d", refPrefix, i), seedMethods[i%len(seedMethods)],
				amount, seedItems[i%len(seedItems)], name, phone, email, formatTime(created.Add(time.Hour)), status,
				trx, inv, paid, fee, net, paidAt, formatTime(created), formatTime(created)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed invoices: %v", err)
	}
}

// seedLogs inserts n callbacks, audit lines, provider calls,
// CVS bills and static-QRIS payments per merchant: enough of every list for
// its query plan to matter.
func seedLogs(tb testing.TB, d *DB, merchantIDs []int64, n int, end time.Time) {
	tb.Helper()
	ctx := context.Background()
	kinds := []string{"invoice", "invoice", "invoice", "qris", "snap_qris", "withdraw"}
	statuses := []string{"applied", "applied", "applied", "applied", "duplicate", "needs_review", "rejected", "received"}
	err := d.InTx(ctx, func(tx *Tx) error {
		for _, mid := range merchantIDs {
			for i := range n {
				at := formatTime(end.Add(-time.Duration(n-i) * time.Minute))
				if _, err := tx.tx.ExecContext(ctx, `INSERT INTO callbacks (kind, received_at, status, dedupe_key, merchant_id)
					VALUES (?, ?, ?, ?, ?)`, kinds[i%len(kinds)], at, statuses[i%len(statuses)], fmt.Sprintf("k%d-%d", mid, i), mid); err != nil {
					return err
				}
				if _, err := tx.tx.ExecContext(ctx, `INSERT INTO audit_log (at, merchant_id, action) VALUES (?, ?, 'test.seed')`, at, mid); err != nil {
					return err
				}
				if _, err := tx.tx.ExecContext(ctx, `INSERT INTO api_calls (at, provider, endpoint, merchant_id)
					VALUES (?, 'netzme', 'invoice', ?)`, at, mid); err != nil {
					return err
				}
				if _, err := tx.tx.ExecContext(ctx, `INSERT INTO payments (merchant_id, kind, dedupe_key, rrn, local_date, issuer_id,
					amount_minor, fee_minor, net_minor, paid_at, created_at)
					VALUES (?, 'qris_static', ?, ?, '20261121', 'ISS', 1000000, 7000, 993000, ?, ?)`,
					mid, fmt.Sprintf("p%d-%d", mid, i), fmt.Sprint(i), at, at); err != nil {
					return err
				}
				no := fmt.Sprintf("%02d%06d", mid, i)
				if _, err := tx.tx.ExecContext(ctx, `INSERT INTO cvs_bills (merchant_id, partner_service_id, customer_no, pay_no,
					partner_reference_no, customer_name, customer_phone, customer_email, goods_name, amount_minor, expires_at,
					created_at, updated_at)
					VALUES (?, '7015', ?, ?, ?, 'Budi', '081234567890', 'budi@contoh.id', 'Pulsa', 5000000, ?, ?, ?)`,
					mid, no, "7015"+no, "CVS-"+no, at, at, at); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed logs: %v", err)
	}
}
