package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The look-ups of the reconciliation's rules, each one index seek: a
// ledger transaction's Netzme line by Netzme's id, our reference, or the
// QRIS key, and the way back from a line to the ledger. Lines are always
// the current version of their Netzme record.

// ReconLine is a statement line with what the rules read beside it.
type ReconLine struct {
	StatementLine
	// PartnerReferenceNo is our reference when Netzme's entry carries one
	// (guess, §3.4: not a documented field; migration 00014).
	PartnerReferenceNo string
	// Current says no newer version of the line exists.
	Current bool
}

// withExtra scans a row's columns and then extra ones into extra.
type withExtra struct {
	row   scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

const reconLineColumns = statementLineColumns + `, partner_reference_no,
	NOT EXISTS (SELECT 1 FROM statement_lines n WHERE n.merchant_id = statement_lines.merchant_id
		AND n.source = statement_lines.source AND n.netzme_id = statement_lines.netzme_id AND n.version > statement_lines.version)`

func scanReconLine(s scanner) (ReconLine, error) {
	var l ReconLine
	var err error
	l.StatementLine, err = scanStatementLine(withExtra{s, []any{&l.PartnerReferenceNo, &l.Current}})
	return l, err
}

// StatementLinesAfter returns at most n line versions (any merchant) with
// id greater than afterID, in id order.
func (tx *Tx) StatementLinesAfter(ctx context.Context, afterID int64, n int) ([]ReconLine, error) {
	return queryRows(ctx, tx.tx, `SELECT `+reconLineColumns+` FROM statement_lines WHERE id > ? ORDER BY id LIMIT ?`,
		[]any{afterID, n}, scanReconLine)
}

// LedgerTransactionsAfter returns at most n ledger transactions (any
// merchant) with id greater than afterID, in id order.
func (tx *Tx) LedgerTransactionsAfter(ctx context.Context, afterID int64, n int) ([]LedgerTransaction, error) {
	return queryRows(ctx, tx.tx, `SELECT `+ledgerColumns+` FROM ledger_transactions WHERE id > ? ORDER BY id LIMIT ?`,
		[]any{afterID, n}, func(s scanner) (LedgerTransaction, error) { return scanLedger(s) })
}

// CurrentLine returns the newest version of the merchant's line netzmeID
// in source's list, or ErrNotFound.
func (tx *Tx) CurrentLine(ctx context.Context, merchantID int64, source StatementSource, netzmeID string) (ReconLine, error) {
	// The newest version is current by its order: no check needed.
	l, err := scanReconLine(tx.tx.QueryRowContext(ctx, `SELECT `+statementLineColumns+`, partner_reference_no, 1 FROM statement_lines
		WHERE merchant_id = ? AND source = ? AND netzme_id = ? ORDER BY version DESC LIMIT 1`, merchantID, string(source), netzmeID))
	if err != nil {
		return ReconLine{}, notFound(err, "statement line "+netzmeID)
	}
	return l, nil
}

// currentOnly keeps the current versions of ls.
func currentOnly(ls []ReconLine, err error) ([]ReconLine, error) {
	if err != nil {
		return nil, err
	}
	out := ls[:0]
	for _, l := range ls {
		if l.Current {
			out = append(out, l)
		}
	}
	return out, nil
}

// LinesByInvoiceID returns the current lines of the merchant's source list
// that name Netzme invoice invoiceID.
func (tx *Tx) LinesByInvoiceID(ctx context.Context, merchantID int64, source StatementSource, invoiceID string) ([]ReconLine, error) {
	return currentOnly(queryRows(ctx, tx.tx, `SELECT `+reconLineColumns+` FROM statement_lines INDEXED BY statement_lines_invoice
		WHERE merchant_id = ? AND invoice_id = ? AND invoice_id <> '' AND source = ?`, []any{merchantID, invoiceID, string(source)}, scanReconLine))
}

// LinesByPartnerRef returns the current lines of the merchant's source list
// that carry our reference ref.
func (tx *Tx) LinesByPartnerRef(ctx context.Context, merchantID int64, source StatementSource, ref string) ([]ReconLine, error) {
	return currentOnly(queryRows(ctx, tx.tx, `SELECT `+reconLineColumns+` FROM statement_lines INDEXED BY statement_lines_partner_ref
		WHERE merchant_id = ? AND partner_reference_no = ? AND partner_reference_no <> '' AND source = ?`,
		[]any{merchantID, ref, string(source)}, scanReconLine))
}

// LinesOfAmountBetween returns the current lines of the merchant's source
// list that occurred in [from, to] with a total (else an amount) of
// amountMinor.
func (tx *Tx) LinesOfAmountBetween(ctx context.Context, merchantID int64, source StatementSource, amountMinor int64, from, to time.Time) ([]ReconLine, error) {
	return currentOnly(queryRows(ctx, tx.tx, `SELECT `+reconLineColumns+` FROM statement_lines INDEXED BY statement_lines_occurred
		WHERE merchant_id = ? AND occurred_at BETWEEN ? AND ? AND source = ?
		  AND (total_minor = ? OR (total_minor = 0 AND amount_minor = ?))`,
		[]any{merchantID, formatTime(from), formatTime(to), string(source), amountMinor, amountMinor}, scanReconLine))
}

// LedgerByExternalID returns the merchant's ledger transactions whose
// provider id is id.
func (tx *Tx) LedgerByExternalID(ctx context.Context, merchantID int64, id string) ([]LedgerTransaction, error) {
	return queryRows(ctx, tx.tx, `SELECT `+ledgerColumns+` FROM ledger_transactions INDEXED BY ledger_transactions_external
		WHERE merchant_id = ? AND external_id = ? AND external_id <> '' ORDER BY id`, []any{merchantID, id},
		func(s scanner) (LedgerTransaction, error) { return scanLedger(s) })
}

// LedgerByReference returns the merchant's ledger transactions whose
// reference (our partnerReferenceNo, an rrn) is ref.
func (tx *Tx) LedgerByReference(ctx context.Context, merchantID int64, ref string) ([]LedgerTransaction, error) {
	return queryRows(ctx, tx.tx, `SELECT `+ledgerColumns+` FROM ledger_transactions INDEXED BY ledger_transactions_reference
		WHERE merchant_id = ? AND reference = ? AND reference <> '' ORDER BY id`, []any{merchantID, ref},
		func(s scanner) (LedgerTransaction, error) { return scanLedger(s) })
}

// LedgerOfSource returns the ledger transactions of one record (table one
// of the Source* names) inside tx, oldest first.
func (tx *Tx) LedgerOfSource(ctx context.Context, table string, id int64) ([]LedgerTransaction, error) {
	return queryRows(ctx, tx.tx, `SELECT `+ledgerColumns+` FROM ledger_transactions INDEXED BY ledger_transactions_source
		WHERE source_table = ? AND source_id = ? ORDER BY id`, []any{table, id},
		func(s scanner) (LedgerTransaction, error) { return scanLedger(s) })
}

// LedgerSalesBetween returns the merchant's money-in ledger transactions of
// method with gross amountMinor that occurred in [from, to].
func (tx *Tx) LedgerSalesBetween(ctx context.Context, merchantID int64, method string, amountMinor int64, from, to time.Time) ([]LedgerTransaction, error) {
	return queryRows(ctx, tx.tx, `SELECT `+ledgerColumns+` FROM ledger_transactions INDEXED BY ledger_transactions_money_in
		WHERE merchant_id = ? AND kind IN ('sale', 'topup') AND occurred_at BETWEEN ? AND ? AND method = ? AND amount_minor = ?
		ORDER BY occurred_at, id`, []any{merchantID, formatTime(from), formatTime(to), method, amountMinor},
		func(s scanner) (LedgerTransaction, error) { return scanLedger(s) })
}

// RecordIDs are the records a Netzme id names, found through their own
// indexes (0: none).
type RecordIDs struct {
	InvoiceByTrxID     int64 // invoices.netzme_trx_id
	InvoiceByInvoiceID int64 // invoices.netzme_invoice_id
	WithdrawalByRef    int64 // withdrawals.netzme_reference_no
}

// RecordsByNetzmeID returns the merchant's records whose Netzme ids are
// trxID (a transaction or withdrawal id) and invoiceID (an invoice id).
func (tx *Tx) RecordsByNetzmeID(ctx context.Context, merchantID int64, trxID, invoiceID string) (RecordIDs, error) {
	var r RecordIDs
	one := func(dst *int64, query string, arg string) error {
		if arg == "" {
			return nil
		}
		err := tx.tx.QueryRowContext(ctx, query, merchantID, arg).Scan(dst)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	}
	if err := one(&r.InvoiceByTrxID, `SELECT id FROM invoices WHERE merchant_id = ? AND netzme_trx_id = ?`, trxID); err != nil {
		return r, fmt.Errorf("db: invoice of %s: %w", trxID, err)
	}
	if err := one(&r.InvoiceByInvoiceID, `SELECT id FROM invoices INDEXED BY invoices_netzme_invoice_id
		WHERE merchant_id = ? AND netzme_invoice_id = ? AND netzme_invoice_id <> '' ORDER BY id LIMIT 1`, invoiceID); err != nil {
		return r, fmt.Errorf("db: invoice of %s: %w", invoiceID, err)
	}
	if err := one(&r.WithdrawalByRef, `SELECT id FROM withdrawals WHERE merchant_id = ? AND netzme_reference_no = ?
		ORDER BY id LIMIT 1`, trxID); err != nil {
		return r, fmt.Errorf("db: withdrawal of %s: %w", trxID, err)
	}
	return r, nil
}
