package main

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

// Issue 14 §8: a seeded SQLite database moved into PostgreSQL with
// `lapak migrate-to-postgres` has every row of every table, the same ids,
// and books that pass `ledger verify` with every balance equal; the app
// serves it (the owner signs in and sees the shops' invoices), new rows take
// ids after the copied ones, the append-only rules hold again, and a second
// copy into the now non-empty database is refused.
func TestMigrateToPostgresCopiesASeededDatabase(t *testing.T) {
	dbtest.RequirePostgres(t)
	ctx := t.Context()
	now := clocktest.Running(t)
	dir := t.TempDir()
	path := seedDB(t, dir, 1500, 2, 30, now)
	target := dbtest.EmptyPostgresURL(t)
	migrate := func(args ...string) (string, error) {
		var out strings.Builder
		err := runMigrateToPostgres(ctx, append([]string{"lapak", "migrate-to-postgres"}, args...),
			func(string) string { return "" }, now, &out, io.Discard)
		return out.String(), err
	}

	out, err := migrate("-db", path, "-database-url", target)
	t.Log(out)
	if err != nil {
		t.Fatalf("migrate-to-postgres: %v", err)
	}
	if !strings.Contains(out, "buku seimbang") || !strings.Contains(out, "row counts equal") {
		t.Errorf("output does not report the checks:\n%s", out)
	}

	src, err := db.Open(ctx, path, now)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := db.Open(ctx, target, now)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	// Row counts, and the rows themselves where the seed wrote many.
	for _, table := range []string{"merchants", "users", "memberships", "invoices", "invoice_events", "payments", "callbacks",
		"withdrawals", "api_calls", "audit_log", "qris_codes", "ledger_transactions", "ledger_postings", "ledger_accounts",
		"ledger_daily", "ledger_chart", "ledger_backfill", "sessions"} {
		if s, d := tableCount(t, src, table), tableCount(t, dst, table); s != d {
			t.Errorf("%s: %d rows in SQLite, %d in PostgreSQL", table, s, d)
		}
	}
	if n := tableCount(t, dst, "invoices"); n != 1500 {
		t.Errorf("%d invoices in PostgreSQL, want 1500", n)
	}
	for _, q := range []string{
		`SELECT CAST(sum(id) AS BIGINT), CAST(sum(amount_minor) AS BIGINT), max(partner_reference_no), max(created_at) FROM invoices`,
		`SELECT CAST(sum(id) AS BIGINT), CAST(sum(transaction_id) AS BIGINT), CAST(sum(amount_minor) AS BIGINT), CAST(sum(balance_after_minor) AS BIGINT) FROM ledger_postings`,
		`SELECT CAST(sum(id) AS BIGINT), count(DISTINCT key), max(postings), max(occurred_at) FROM ledger_transactions`,
		`SELECT CAST(sum(id) AS BIGINT), max(email), max(password_hash), '' FROM users`,
	} {
		if s, d := fingerprint(t, src, q), fingerprint(t, dst, q); s != d {
			t.Errorf("%s:\nSQLite     %v\nPostgreSQL %v", q, s, d)
		}
	}
	before, err := src.VerifyLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Transactions == 0 || len(before.Balances) == 0 {
		t.Fatalf("the seeded books are empty: %+v", before)
	}
	after, err := dst.VerifyLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameBooks(before, after); err != nil {
		t.Errorf("books after the copy: %v", err)
	}
	var verify strings.Builder
	if err := runLedger(ctx, []string{"lapak", "ledger", "verify", "-database-url", target}, func(string) string { return "" },
		now, &verify, io.Discard); err != nil {
		t.Errorf("ledger verify -database-url: %v\n%s", err, verify.String())
	}

	// New rows take ids after the copied ones; the append-only rules are on.
	var maxID int64
	dst.SQL().QueryRowContext(ctx, `SELECT max(id) FROM merchants`).Scan(&maxID)
	m, err := dst.CreateMerchant(ctx, db.NewMerchant{Name: "Toko Baru"})
	if err != nil || m.ID != maxID+1 {
		t.Errorf("a new merchant after the copy: id %d (%v), want %d", m.ID, err, maxID+1)
	}
	if _, err := dst.SQL().ExecContext(ctx, `UPDATE audit_log SET action = 'x' WHERE id = (SELECT min(id) FROM audit_log)`); err == nil ||
		!strings.Contains(err.Error(), "append-only") {
		t.Errorf("UPDATE audit_log after the copy: %v, want the append-only refusal", err)
	}

	// A second copy finds data and copies nothing.
	if _, err := migrate("-db", path, "-database-url", target); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a copy into a database with data: %v, want a refusal", err)
	}
	if s, d := tableCount(t, src, "invoices"), tableCount(t, dst, "invoices"); s != d {
		t.Errorf("after the refused copy: %d invoices in SQLite, %d in PostgreSQL", s, d)
	}

	// Lapak runs on the copy: the owner signs in and sees the invoices.
	a := startTestApp(t, map[string]string{"LAPAK_DATABASE_URL": target, "LAPAK_SANDBOX_DB": filepath.Join(dir, "seed-sandbox.db")})
	owner := webClient(t, a, seedOwner, seedPassword)
	doc, code := getDoc(t, owner, a.URL+"/invoices")
	if code != http.StatusOK || doc.Find(`[data-testid=invoice-row]`).Length() == 0 {
		t.Errorf("GET /invoices on the copy: %d, %d rows", code, doc.Find(`[data-testid=invoice-row]`).Length())
	}
}

func tableCount(t *testing.T, d *db.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := d.SQL().QueryRowContext(t.Context(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatalf("%s count: %v", table, err)
	}
	return n
}

// fingerprint is the one row q returns, as text.
func fingerprint(t *testing.T, d *db.DB, q string) [4]string {
	t.Helper()
	var a, b, c, e any
	if err := d.SQL().QueryRowContext(t.Context(), q).Scan(&a, &b, &c, &e); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var out [4]string
	for i, v := range []any{a, b, c, e} {
		switch x := v.(type) {
		case []byte:
			out[i] = string(x)
		default:
			out[i] = fmt.Sprint(x)
		}
	}
	return out
}

// `lapak seed -database-url` seeds the SQLite file, then copies it into
// PostgreSQL with the same checks.
func TestSeedIntoPostgres(t *testing.T) {
	dbtest.RequirePostgres(t)
	ctx := t.Context()
	now := clocktest.Running(t)
	path := filepath.Join(t.TempDir(), "seed.db")
	target := dbtest.EmptyPostgresURL(t)
	var out strings.Builder
	err := runSeed(ctx, []string{"lapak", "seed", "-db", path, "-invoices", "200", "-merchants", "1", "-days", "5",
		"-owner", seedOwner, "-password", seedPassword}, func(k string) string {
		return map[string]string{"LAPAK_DATABASE_URL": target}[k]
	}, now, &out, io.Discard)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "buku seimbang") {
		t.Errorf("seed output does not report the copy's checks:\n%s", out.String())
	}
	dst, err := db.Open(ctx, target, now)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if n := tableCount(t, dst, "invoices"); n != 200 {
		t.Errorf("%d invoices in PostgreSQL, want 200", n)
	}
	if chk, err := dst.VerifyLedger(ctx); err != nil || !chk.OK() || chk.Transactions == 0 {
		t.Errorf("books in PostgreSQL: %+v, %v", chk, err)
	}
}
