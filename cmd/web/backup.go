package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"lapak/db"
)

// backupUsage is the backup command's help.
const backupUsage = `usage: lapak backup -db FILE -out FILE
  writes a consistent copy of the SQLite database FILE (default LAPAK_DB) to the new file -out,
  while Lapak keeps running on it; -out must not exist. Restore: stop Lapak, put the copy at
  LAPAK_DB (with no -wal/-shm file of the old one next to it), start Lapak.
  On PostgreSQL (LAPAK_DATABASE_URL) use pg_dump instead (README, "When one machine is not enough").`

// runBackup runs `lapak backup -db FILE -out FILE`: an online backup of the
// SQLite database (db.Backup: VACUUM INTO, synced, integrity-checked, then
// named). It prints where the copy is, its size and schema version.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if getenv("LAPAK_DATABASE_URL") != "" {
		return errors.New("backup: LAPAK_DATABASE_URL is set: Lapak runs on PostgreSQL, back it up with pg_dump (README, \"When one machine is not enough\")")
	}
	fs := flag.NewFlagSet(progName(args)+" backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, backupUsage) }
	def := getenv("LAPAK_DB")
	if def == "" {
		def = "lapak.db"
	}
	path := fs.String("db", def, "path of the SQLite database file (env LAPAK_DB)")
	out := fs.String("out", "", "file to write the backup to; must not exist")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("backup: unexpected argument %q\n%s", fs.Arg(0), backupUsage)
	}
	if *out == "" {
		return errors.New("backup: -out is required\n" + backupUsage)
	}
	info, err := db.Backup(ctx, *path, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Cadangan dibuat (backup written): %s, %d byte, skema versi %d, integrity_check ok.\n", info.Path, info.Bytes, info.Version)
	return nil
}
