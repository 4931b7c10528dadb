package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"lapak/db"
)

// migratePGUsage is the help of `lapak migrate-to-postgres` (issue 14 §8).
const migratePGUsage = `usage: lapak migrate-to-postgres -db FILE -database-url URL
  copies every table of the SQLite database FILE (default LAPAK_DB) into the PostgreSQL database URL
  (default LAPAK_DATABASE_URL: postgres://user@host/db or host=/socket/dir dbname=…), ids kept, in one
  transaction, and checks the copy: the row count of every table, then ledger verify on PostgreSQL with
  every balance equal to SQLite's. The PostgreSQL database must exist and hold no data (new, or only
  migrated); both are brought to this build's schema first. Stop Lapak before, start it on
  LAPAK_DATABASE_URL after. The SQLite file is only read (and migrated); the embedded sandbox's state is
  not copied.`

// runMigrateToPostgres runs `lapak migrate-to-postgres`: it prints each
// table copied with its rows, then the ledger check, and fails (the target
// left empty when the copy itself failed) on any difference.
func runMigrateToPostgres(ctx context.Context, args []string, getenv func(string) string, now func() time.Time, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(progName(args)+" migrate-to-postgres", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, migratePGUsage) }
	def := getenv("LAPAK_DB")
	if def == "" {
		def = "lapak.db"
	}
	path := fs.String("db", def, "SQLite database file to copy (env LAPAK_DB)")
	url := fs.String("database-url", getenv("LAPAK_DATABASE_URL"), "PostgreSQL database to copy into (env LAPAK_DATABASE_URL)")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("migrate-to-postgres: unexpected argument %q\n%s", fs.Arg(0), migratePGUsage)
	case *url == "":
		return errors.New("migrate-to-postgres: -database-url (or LAPAK_DATABASE_URL) is required\n" + migratePGUsage)
	case !db.IsPostgres(*url):
		return errors.New("migrate-to-postgres: -database-url must be a postgres:// URL or a host=… connection string")
	case db.IsPostgres(*path):
		return errors.New("migrate-to-postgres: -db is the SQLite file to copy, not a connection string")
	}
	return copyToPostgres(ctx, *path, *url, now, stdout)
}

// copyToPostgres copies the SQLite database at path into the PostgreSQL
// database url and checks the copy (migrate-to-postgres, and seed
// -database-url), printing each table and the checks to stdout.
func copyToPostgres(ctx context.Context, path, url string, now func() time.Time, stdout io.Writer) error {
	// db.Open would create an empty SQLite database.
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("migrate-to-postgres: no SQLite database at %s: %w", path, err)
	}
	src, err := db.Open(ctx, path, now)
	if err != nil {
		return err
	}
	defer src.Close()
	// The books of both are compared: the source's must be whole.
	if pending, err := src.LedgerBackfillPending(ctx); err != nil {
		return err
	} else if pending {
		return fmt.Errorf("migrate-to-postgres: the journal of %s has not been backfilled yet: run `lapak ledger backfill -db %s` (or start Lapak on it once) first", path, path)
	}
	before, err := src.VerifyLedger(ctx)
	if err != nil {
		return err
	}
	if !before.OK() {
		return fmt.Errorf("migrate-to-postgres: the books of %s do not balance (%d problems; `lapak ledger verify -db %s` lists them): nothing copied",
			path, before.ProblemCount, path)
	}
	dst, err := db.Open(ctx, url, now)
	if err != nil {
		return err
	}
	defer dst.Close()
	fmt.Fprintf(stdout, "Menyalin %s ke PostgreSQL (copying to PostgreSQL):\n", path)
	started := time.Now()
	var rows int64
	tables, err := db.CopySQLiteToPostgres(ctx, src, dst, func(t db.CopiedTable) {
		rows += t.Rows
		fmt.Fprintf(stdout, "  %-28s %10d baris (rows)\n", t.Name, t.Rows)
	})
	if err != nil {
		return fmt.Errorf("migrate-to-postgres: %w (nothing was copied: the PostgreSQL database is as it was)", err)
	}
	fmt.Fprintf(stdout, "%d tabel, %d baris disalin dalam %v; jumlah baris tiap tabel sama (%d tables, row counts equal).\n",
		len(tables), rows, time.Since(started).Round(time.Millisecond), len(tables))
	after, err := dst.VerifyLedger(ctx)
	if err != nil {
		return fmt.Errorf("migrate-to-postgres: ledger verify on PostgreSQL: %w", err)
	}
	if err := sameBooks(before, after); err != nil {
		return fmt.Errorf("migrate-to-postgres: the copy is committed but its books differ: %w; drop the PostgreSQL database and try again", err)
	}
	fmt.Fprintf(stdout, "ledger verify di PostgreSQL: %d transaksi, %d posting, buku seimbang; %d saldo akun sama dengan SQLite "+
		"(books balance, every balance equal to SQLite's).\n", after.Transactions, after.Postings, len(after.Balances))
	return nil
}

// sameBooks reports how the ledger check of the copy differs from the
// source's: any problem, other totals, or any account's balance.
func sameBooks(src, dst db.LedgerCheck) error {
	switch {
	case !dst.OK():
		return fmt.Errorf("ledger verify found %d problems (first: %+v)", dst.ProblemCount, dst.Problems[0])
	case src.Merchants != dst.Merchants || src.Accounts != dst.Accounts || src.Transactions != dst.Transactions ||
		src.Postings != dst.Postings || src.Reversals != dst.Reversals:
		return fmt.Errorf("SQLite has %d merchants, %d accounts, %d transactions, %d postings, %d reversals; PostgreSQL %d, %d, %d, %d, %d",
			src.Merchants, src.Accounts, src.Transactions, src.Postings, src.Reversals,
			dst.Merchants, dst.Accounts, dst.Transactions, dst.Postings, dst.Reversals)
	case !slices.Equal(src.Balances, dst.Balances):
		for i := range min(len(src.Balances), len(dst.Balances)) {
			if src.Balances[i] != dst.Balances[i] {
				return fmt.Errorf("balance %+v on SQLite, %+v on PostgreSQL", src.Balances[i], dst.Balances[i])
			}
		}
		return fmt.Errorf("%d balances on SQLite, %d on PostgreSQL", len(src.Balances), len(dst.Balances))
	}
	return nil
}
