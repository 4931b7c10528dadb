package main

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"lapak/db"
	"lapak/internal/clocktest"
	"lapak/money"
)

// schemaOf lists a database's schema (every table, index, trigger and
// view with its SQL) and the search index's configuration.
func schemaOf(t *testing.T, d *sql.DB) []string {
	t.Helper()
	rows, err := d.Query(`SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || coalesce(sql, '') FROM sqlite_master
		WHERE name NOT LIKE 'sqlite_stat%' -- planner statistics (ANALYZE), not schema
		UNION ALL SELECT 'config ' || k || ' = ' || v FROM invoices_fts_config ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// After a seed the database has exactly the schema the migrations made —
// every trigger the bulk load suspended is back, the search index's
// configuration untouched — and the books pass every check of `lapak
// ledger verify`.
func TestSeedLeavesTheMigrationsSchemaAndSoundBooks(t *testing.T) {
	now := clocktest.Running(t)
	dir := t.TempDir()
	path := seedDB(t, dir, 1500, 2, 20, now)

	fresh, err := db.Open(t.Context(), filepath.Join(dir, "fresh.db"), now)
	if err != nil {
		t.Fatal(err)
	}
	want := schemaOf(t, fresh.SQL())
	fresh.Close()
	got := schemaOf(t, openRaw(t, path))
	if !slices.Equal(got, want) {
		for _, s := range want {
			if !slices.Contains(got, s) {
				t.Errorf("missing after seed: %.160s", s)
			}
		}
		for _, s := range got {
			if !slices.Contains(want, s) {
				t.Errorf("added by seed: %.160s", s)
			}
		}
	}

	d, err := db.Open(t.Context(), path, now)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	check, err := d.VerifyLedger(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !check.OK() || check.Transactions == 0 || check.Postings < 2*check.Transactions {
		t.Errorf("ledger verify: %d transactions, %d postings, problems %+v", check.Transactions, check.Postings, check.Problems)
	}
	if pending, err := d.LedgerBackfillPending(t.Context()); err != nil || pending {
		t.Errorf("backfill pending = %v, %v: the seed booked every record", pending, err)
	}
	// The journal's checks are live again: an unbalanced transaction is refused.
	_, err = d.SQL().Exec(`INSERT INTO ledger_transactions (merchant_id, key, kind, amount_minor, occurred_at, recorded_at, actor,
		posting_count, postings) VALUES (1, 'test:unbalanced', 'adjustment', 1, '2025-01-01T00:00:00.000000Z',
		'2025-01-01T00:00:00.000000Z', 'system', 2, '[{"account":"bank","amount":1},{"account":"equity:opening","amount":1}]')`)
	if err == nil || !strings.Contains(err.Error(), "unbalanced") {
		t.Errorf("an unbalanced transaction after the seed: %v, want it refused", err)
	}
}

// The search index the seed builds on the side finds what the invoices
// hold — the same invoices as a plain substring scan, for names,
// references and ids — passes FTS5's own integrity check, and keeps
// indexing the invoices written after the seed (its trigger is back).
func TestSeedSearchFindsWhatTheInvoicesHold(t *testing.T) {
	now := clocktest.Running(t)
	dir := t.TempDir()
	path := seedDB(t, dir, 1200, 2, 10, now)
	d, err := db.Open(t.Context(), path, now)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	raw := d.SQL()
	if _, err := raw.Exec(`INSERT INTO invoices_fts (invoices_fts, rank) VALUES ('integrity-check', 0)`); err != nil {
		t.Errorf("FTS5 integrity-check: %v", err)
	}
	var ref, trx, name string
	if err := raw.QueryRow(`SELECT partner_reference_no, netzme_trx_id, customer_name FROM invoices
		WHERE merchant_id = 1 AND customer_name <> '' ORDER BY id LIMIT 1 OFFSET 100`).Scan(&ref, &trx, &name); err != nil {
		t.Fatal(err)
	}
	surname := name[strings.LastIndex(name, " ")+1:]
	for _, q := range []string{surname, strings.ToLower(ref[len(ref)-6:]), trx[8:20], "gula"} {
		var want []int64
		rows, err := raw.Query(`SELECT id FROM invoices WHERE merchant_id = 1 AND (partner_reference_no LIKE ?1 OR netzme_trx_id LIKE ?1
			OR netzme_invoice_id LIKE ?1 OR description LIKE ?1 OR customer_name LIKE ?1 OR customer_phone LIKE ?1
			OR customer_email LIKE ?1) ORDER BY id DESC`, "%"+q+"%")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			want = append(want, id)
		}
		rows.Close()
		var got []int64
		for cursor := ""; ; {
			page, err := d.Invoices(t.Context(), 1, db.InvoiceFilter{Query: q}, cursor, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, iv := range page.Rows {
				got = append(got, iv.ID)
			}
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("search %q: %d invoices %v, a scan finds %d %v", q, len(got), head(got), len(want), head(want))
		}
	}

	// An invoice written after the seed is indexed by the trigger.
	if _, err := raw.Exec(`INSERT INTO invoices (merchant_id, partner_reference_no, purpose, method, amount_minor, fee_type,
		description, customer_name, customer_phone, customer_email, expires_at, status, created_at, updated_at)
		VALUES (1, 'AFTER-SEED-1', 'sale', 'QRIS', 100000, 'on_seller', 'Klepon pandan', 'Wulan Zebrina', '', '',
		'2030-01-01T00:00:00.000000Z', 'pending', '2030-01-01T00:00:00.000000Z', '2030-01-01T00:00:00.000000Z')`); err != nil {
		t.Fatal(err)
	}
	page, err := d.Invoices(t.Context(), 1, db.InvoiceFilter{Query: "zebrina"}, "", 10)
	if err != nil || len(page.Rows) != 1 || page.Rows[0].PartnerReferenceNo != "AFTER-SEED-1" {
		t.Errorf("search for an invoice written after the seed: %d rows, %v", len(page.Rows), err)
	}
}

func head(ids []int64) []int64 { return ids[:min(len(ids), 5)] }

// The journal the seed writes itself is the one money's backfill books
// from the same records: the same transactions (keys, kinds, amounts,
// times, memos, postings), the same balances and the same daily totals.
// Only the journal's order differs — the seed books in the order things
// happened, as the app does live; the backfill table by table.
func TestSeedBooksWhatTheBackfillBooks(t *testing.T) {
	now := clocktest.Running(t)
	dir := t.TempDir()
	path := seedDB(t, dir, 800, 2, 15, now)

	// The same database with an empty journal, booked by money's backfill.
	copyPath := filepath.Join(dir, "backfilled.db")
	if _, err := openRaw(t, path).Exec(`VACUUM INTO ?`, copyPath); err != nil {
		t.Fatal(err)
	}
	emptyJournal(t, copyPath)
	d, err := db.Open(t.Context(), copyPath, now)
	if err != nil {
		t.Fatal(err)
	}
	r, ran, err := money.New(money.Deps{DB: d, Now: now}).StartLedger(t.Context())
	d.Close()
	if err != nil || !ran || r.Posted == 0 {
		t.Fatalf("backfill: %+v ran %v: %v", r, ran, err)
	}

	for _, q := range []string{
		`SELECT merchant_id, key, kind, method, amount_minor, fee_minor, source_table, source_id, reference, external_id,
			occurred_at, actor, user_id, memo, reverses_id, posting_count, postings FROM ledger_transactions ORDER BY merchant_id, key`,
		`SELECT t.key, a.code, p.seq, p.amount_minor FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id
			JOIN ledger_accounts a ON a.id = p.account_id ORDER BY t.merchant_id, t.key, p.seq`,
		`SELECT merchant_id, code, balance_minor, postings FROM ledger_accounts ORDER BY merchant_id, code`,
		`SELECT merchant_id, day, kind, method, count, amount_minor, fee_minor FROM ledger_daily ORDER BY 1, 2, 3, 4`,
	} {
		seeded, backfilled := dump(t, path, q), dump(t, copyPath, q)
		if len(seeded) < 10 || !slices.Equal(seeded, backfilled) {
			t.Errorf("%.60s…: the seed wrote %d rows, the backfill %d", q, len(seeded), len(backfilled))
			for i := range min(len(seeded), len(backfilled)) {
				if seeded[i] != backfilled[i] {
					t.Errorf("first difference:\n seed:     %s\n backfill: %s", seeded[i], backfilled[i])
					break
				}
			}
		}
	}
}

// emptyJournal empties the journal of the database at path and leaves its
// backfill pending, as a database from before the journal would be.
func emptyJournal(t *testing.T, path string) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	guards := []string{"ledger_transactions_no_delete", "ledger_postings_no_delete", "ledger_daily_no_delete", "ledger_accounts_guard"}
	var restore []string
	for _, g := range guards {
		var stmt string
		if err := raw.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?`, g).Scan(&stmt); err != nil {
			t.Fatalf("trigger %s: %v", g, err)
		}
		restore = append(restore, stmt)
	}
	var qs []string
	for _, g := range guards {
		qs = append(qs, "DROP TRIGGER "+g)
	}
	qs = append(qs, "DELETE FROM ledger_daily", "DELETE FROM ledger_postings", "DELETE FROM ledger_transactions",
		"UPDATE ledger_accounts SET balance_minor = 0, postings = 0, last_posting_id = 0",
		"UPDATE ledger_backfill SET state = 'pending', finished_at = NULL")
	for _, q := range append(qs, restore...) {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
}

// dump returns the rows of q on the database at path, one string each.
func dump(t *testing.T, path, q string) []string {
	t.Helper()
	raw := openRaw(t, path)
	rows, err := raw.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	return out
}
