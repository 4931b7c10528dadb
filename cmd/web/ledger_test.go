package main

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
	"lapak/money"
)

// TestLedgerVerifyCommand runs `lapak ledger verify` as an operator would:
// on balanced books it prints the summary and succeeds; on books whose
// checkpoint was changed behind their back it names the problem and fails;
// on a database whose journal was never filled it says so and fails. On
// both engines (PostgreSQL through -database-url).
func TestLedgerVerifyCommand(t *testing.T) {
	dbtest.Each(t, ledgerVerifyCommand)
}

func ledgerVerifyCommand(t *testing.T, e dbtest.Engine) {
	ctx := t.Context()
	path := dbtest.Target(t, e)
	where := []string{"-db", path}
	if e == dbtest.Postgres {
		where = []string{"-database-url", path}
	}
	clock := clocktest.Fixed(t)
	d, err := db.Open(ctx, path, clock)
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.CreateMerchant(ctx, db.NewMerchant{Name: "Warung Verifikasi"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := d.CreateUser(ctx, db.NewUser{Email: "pemilik@verif.test", PasswordHash: "$argon2id$x"})
	if err != nil {
		t.Fatal(err)
	}
	svc := money.New(money.Deps{DB: d, Now: clock})
	run := func() (string, error) {
		var out bytes.Buffer
		err := runLedger(ctx, append([]string{"lapak", "ledger", "verify"}, where...), func(string) string { return "" }, clock, &out, io.Discard)
		return out.String(), err
	}

	// The migration left the backfill pending: verify refuses to call the
	// books good.
	if out, err := run(); err == nil || !strings.Contains(out, "BELUM DIISI") {
		t.Errorf("before the backfill: err %v, output:\n%s", err, out)
	}
	if _, ran, err := svc.StartLedger(ctx); err != nil || !ran {
		t.Fatalf("start-up step: %v %v", ran, err)
	}
	if _, err := svc.Adjust(ctx, money.Actor{UserID: u.ID, MerchantID: m.ID}, money.AdjustInput{
		Account: db.AccountNetzmeBalance, AmountMinor: 12_345_600, Reason: "Saldo awal"}); err != nil {
		t.Fatal(err)
	}
	out, err := run()
	if err != nil {
		t.Fatalf("balanced books: %v\n%s", err, out)
	}
	for _, want := range []string{"1 merchant, 11 akun, 1 transaksi, 2 posting", "checkpoints       ok",
		"Warung Verifikasi", "netzme:balance", "Rp 123.456", "BUKU SEIMBANG"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}

	// Someone edits a checkpoint at the sqlite3 shell (dropping its guard).
	drop := `DROP TRIGGER ledger_accounts_guard`
	if e == dbtest.Postgres {
		drop += ` ON ledger_accounts`
	}
	for _, q := range []string{drop, `UPDATE ledger_accounts SET balance_minor = 99 WHERE code = 'netzme:balance'`} {
		if _, err := d.SQL().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	out, err = run()
	if err == nil || !strings.Contains(out, "checkpoints       1 MASALAH") || !strings.Contains(out, "TIDAK SEIMBANG") ||
		!strings.Contains(out, "checkpoint 99 sen") {
		t.Errorf("tampered checkpoint: err %v, output:\n%s", err, out)
	}
	d.Close()

	missing := filepath.Join(t.TempDir(), "nope.db")
	if err := runLedger(ctx, []string{"lapak", "ledger", "verify", "-db", missing}, func(string) string { return "" }, clock,
		io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "no database at") {
		t.Errorf("missing database: %v", err)
	}
}
