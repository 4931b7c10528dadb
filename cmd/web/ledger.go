package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"lapak/db"
	"lapak/money"
	"lapak/views"
)

// ledgerUsage lists the ledger commands. They take the same flags and
// environment as the server (LAPAK_DB …).
const ledgerUsage = `usage:
  lapak ledger verify [flags]     recompute every balance from the postings and check every invariant;
                                  exits non-zero on any problem
  lapak ledger backfill [flags]   book every existing record that is not in the journal yet (idempotent)
flags: the server's, e.g. -db lapak.db (see lapak -h)`

// runLedger runs `lapak ledger <command> [flags]` on the database the server
// uses; the server may keep running meanwhile (SQLite WAL). verify only
// reads (apart from the migrations db.Open applies); its summary goes to
// stdout and any problem makes it fail.
func runLedger(ctx context.Context, args []string, getenv func(string) string, now func() time.Time, stdout, stderr io.Writer) error {
	if len(args) < 3 {
		return errors.New(ledgerUsage)
	}
	cmd, rest := args[2], args[3:]
	if cmd != "verify" && cmd != "backfill" {
		return fmt.Errorf("unknown ledger command %q\n%s", cmd, ledgerUsage)
	}
	cfg, err := parseConfig(append([]string{progName(args) + " ledger " + cmd}, rest...), getenv, stderr)
	if err != nil {
		return err
	}
	// db.Open would create an empty database, whose empty books verify.
	if _, err := os.Stat(cfg.DBPath); err != nil && cfg.DatabaseURL == "" {
		return fmt.Errorf("ledger %s: no database at %s (LAPAK_DB): %w", cmd, cfg.DBPath, err)
	}
	d, err := db.Open(ctx, cfg.database(), now)
	if err != nil {
		return err
	}
	defer d.Close()
	if cmd == "backfill" {
		r, err := money.New(money.Deps{DB: d, Now: now}).BackfillLedger(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Buku besar diisi dari catatan (ledger backfilled): %d catatan dibaca, %d transaksi baru.\n", r.Records, r.Posted)
		return nil
	}
	return verifyLedger(ctx, d, cfg.databaseName(), stdout)
}

// verifyLedger prints the verify summary of d and returns an error when the
// books have any problem.
func verifyLedger(ctx context.Context, d *db.DB, path string, w io.Writer) error {
	pending, err := d.LedgerBackfillPending(ctx)
	if err != nil {
		return err
	}
	chk, err := d.VerifyLedger(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Buku besar Lapak (ledger) — %s\n", path)
	fmt.Fprintf(w, "  %d merchant, %d akun, %d transaksi, %d posting, %d pembalikan (reversals)\n",
		chk.Merchants, chk.Accounts, chk.Transactions, chk.Postings, chk.Reversals)
	perCheck := map[string]int{}
	for _, p := range chk.Problems {
		perCheck[p.Check]++
	}
	for _, c := range chk.Checks {
		mark := "ok"
		if n := perCheck[c]; n > 0 {
			mark = fmt.Sprintf("%d MASALAH", n)
		}
		fmt.Fprintf(w, "  %-17s %s\n", c, mark)
	}
	if len(chk.Problems) > 0 {
		fmt.Fprintln(w, "\nMasalah (problems):")
		for _, p := range chk.Problems {
			fmt.Fprintf(w, "  [%s] merchant %d: %s\n", p.Check, p.MerchantID, p.Detail)
		}
		if more := chk.ProblemCount - len(chk.Problems); more > 0 {
			fmt.Fprintf(w, "  … dan %d lagi (and %d more)\n", more, more)
		}
	}
	fmt.Fprintln(w, "\nSaldo dihitung ulang dari posting (balances recomputed from the postings):")
	merchant := int64(0)
	for _, b := range chk.Balances {
		if b.Postings == 0 {
			continue
		}
		if b.MerchantID != merchant {
			merchant = b.MerchantID
			name := ""
			if m, err := d.Merchant(ctx, merchant); err == nil {
				name = m.Name
			}
			fmt.Fprintf(w, "  merchant %d %s\n", merchant, name)
		}
		fmt.Fprintf(w, "    %-27s %8s %20s  (%d posting)\n", b.Account, b.Type, views.IDR(b.BalanceMinor), b.Postings)
	}
	if merchant == 0 {
		fmt.Fprintln(w, "  (belum ada transaksi — no transactions yet)")
	}
	switch {
	case pending:
		fmt.Fprintln(w, "\nBELUM DIISI: jurnal belum diisi dari catatan lama (the journal was not backfilled yet): jalankan Lapak sekali atau `lapak ledger backfill`.")
		return errors.New("ledger verify: the journal has not been backfilled yet")
	case !chk.OK():
		fmt.Fprintf(w, "\nTIDAK SEIMBANG: %d masalah (books do NOT balance: %d problems)\n", chk.ProblemCount, chk.ProblemCount)
		return fmt.Errorf("ledger verify: %d problems", chk.ProblemCount)
	}
	fmt.Fprintln(w, "\nBUKU SEIMBANG (books balance): setiap transaksi berjumlah nol dan setiap saldo sama dengan jumlah postingnya.")
	return nil
}
