package db_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

// A SQLite database copied into a freshly migrated PostgreSQL one (whose
// only rows are those the migrations write) keeps its rows and ids; a
// session keeps its expiry (a Julian day on SQLite, a timestamptz on
// PostgreSQL) and is found by the PostgreSQL session store; the books are
// the same; new rows take the ids after the copied ones; the triggers work
// again; a second copy is refused, leaving the target as it was.
func TestCopySQLiteToPostgres(t *testing.T) {
	t.Parallel()
	dbtest.RequirePostgres(t)
	ctx := t.Context()
	now := clocktest.Base(t)
	src := dbtest.Open(t, dbtest.SQLite, clocktest.Fixed(t))
	dst := dbtest.Open(t, dbtest.Postgres, clocktest.Fixed(t))

	var merchants []db.Merchant
	for _, name := range []string{"Warung Satu", "Warung Dua", "Warung Tiga"} {
		m, err := src.CreateMerchant(ctx, db.NewMerchant{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		merchants = append(merchants, m)
	}
	m := merchants[1]
	for i, key := range []string{"sale:1", "sale:2"} {
		err := src.InTx(ctx, func(tx *db.Tx) error {
			amount := int64(1_000_000 * (i + 1))
			_, _, err := tx.PostLedger(ctx, db.LedgerEntry{MerchantID: m.ID, Key: key, Kind: db.KindSale, AmountMinor: amount,
				OccurredAt: now, Actor: db.ActorSystem, Postings: []db.Posting{
					{Account: db.AccountNetzmeBalance, AmountMinor: amount}, {Account: db.AccountIncomeSales, AmountMinor: -amount}}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	expiry := time.Date(2100, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	if err := db.NewSessionStore(src, 0).CommitCtx(ctx, "token-satu", []byte("data"), expiry); err != nil {
		t.Fatal(err)
	}

	var seen []string
	copied, err := db.CopySQLiteToPostgres(ctx, src, dst, func(c db.CopiedTable) { seen = append(seen, c.Name) })
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, c := range copied {
		rows[c.Name] = c.Rows
	}
	if len(seen) != len(copied) || rows["merchants"] != 3 || rows["ledger_transactions"] != 2 || rows["ledger_postings"] != 4 ||
		rows["sessions"] != 1 || rows["ledger_chart"] != 11 {
		t.Errorf("copied %v", rows)
	}
	// Each table after those it refers to.
	at := map[string]int{}
	for i, name := range seen {
		at[name] = i
	}
	if !(at["merchants"] < at["ledger_accounts"] && at["ledger_accounts"] < at["ledger_postings"] &&
		at["ledger_transactions"] < at["ledger_postings"] && at["ledger_chart"] < at["ledger_accounts"]) {
		t.Errorf("order %v", seen)
	}

	got, err := dst.Merchant(ctx, m.ID)
	if err != nil || got.Name != "Warung Dua" || !got.CreatedAt.Equal(m.CreatedAt) {
		t.Errorf("merchant %d on PostgreSQL: %+v, %v", m.ID, got, err)
	}
	if b, found, err := db.NewSessionStore(dst, 0).FindCtx(ctx, "token-satu"); err != nil || !found || string(b) != "data" {
		t.Errorf("the session on PostgreSQL: %q %v %v", b, found, err)
	}
	var stored time.Time
	if err := dst.SQL().QueryRowContext(ctx, `SELECT expiry FROM sessions`).Scan(&stored); err != nil || !stored.Equal(expiry) {
		t.Errorf("session expiry on PostgreSQL %v (%v), want %v", stored, err, expiry)
	}
	before, err := src.VerifyLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after, err := dst.VerifyLedger(ctx)
	if err != nil || !after.OK() || after.Transactions != 2 || len(after.Balances) != len(before.Balances) {
		t.Fatalf("books on PostgreSQL %+v, %v", after, err)
	}
	for i := range before.Balances {
		if before.Balances[i] != after.Balances[i] {
			t.Errorf("balance %+v on SQLite, %+v on PostgreSQL", before.Balances[i], after.Balances[i])
		}
	}

	// Triggers are on again: a new merchant gets the next id and its
	// accounts; a ledger transaction writes its postings.
	n, err := dst.CreateMerchant(ctx, db.NewMerchant{Name: "Warung Empat"})
	if err != nil || n.ID != merchants[2].ID+1 {
		t.Fatalf("new merchant %+v, %v; want id %d", n, err, merchants[2].ID+1)
	}
	err = dst.InTx(ctx, func(tx *db.Tx) error {
		_, _, err := tx.PostLedger(ctx, db.LedgerEntry{MerchantID: n.ID, Key: "sale:1", Kind: db.KindSale, AmountMinor: 500_000,
			OccurredAt: now, Actor: db.ActorSystem, Postings: []db.Posting{
				{Account: db.AccountNetzmeBalance, AmountMinor: 500_000}, {Account: db.AccountIncomeSales, AmountMinor: -500_000}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if after, err := dst.VerifyLedger(ctx); err != nil || !after.OK() || after.Transactions != 3 || after.Postings != 6 {
		t.Errorf("books after a new transaction %+v, %v", after, err)
	}
	if _, err := dst.SQL().ExecContext(ctx, `DELETE FROM ledger_postings`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("DELETE FROM ledger_postings after the copy: %v, want the append-only refusal", err)
	}

	// A second copy is refused and changes nothing.
	if _, err := db.CopySQLiteToPostgres(ctx, src, dst, nil); !errors.Is(err, db.ErrTargetNotEmpty) {
		t.Errorf("second copy: %v, want ErrTargetNotEmpty", err)
	}
	var count int
	if err := dst.SQL().QueryRowContext(ctx, `SELECT count(*) FROM merchants`).Scan(&count); err != nil || count != 4 {
		t.Errorf("%d merchants after the refused copy (%v), want 4", count, err)
	}
}
