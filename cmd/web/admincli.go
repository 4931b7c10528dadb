package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"lapak/db"
	"lapak/handlers"
	"lapak/views"
)

// adminUsage lists the administrator commands. They take the same flags and
// environment as the server (LAPAK_DB, LAPAK_PUBLIC_URL …), flags before the
// e-mail.
const adminUsage = `usage:
  lapak admin reset-password [flags] EMAIL   print a one-time password reset link (24 h)
  lapak admin disable-2fa [flags] EMAIL      turn off the user's two-step verification
flags: the server's, e.g. -db lapak.db -public-url https://lapak.example (see lapak -h)`

// runAdmin runs `lapak admin <command> [flags] EMAIL` on the database the
// server uses; the server may keep running meanwhile (SQLite WAL).
//
// reset-password prints a one-time link rather than setting and printing a
// new password: the link works once and for 24 hours, so what stays behind
// in a terminal's scrollback, a shell log or a chat it was pasted into soon
// opens nothing; only its SHA-256 is stored; and the person picks their own
// password, which the operator never sees.
func runAdmin(ctx context.Context, args []string, getenv func(string) string, now func() time.Time, stdout, stderr io.Writer) error {
	if len(args) < 3 {
		return errors.New(adminUsage)
	}
	cmd, rest := args[2], args[3:]
	if cmd != "reset-password" && cmd != "disable-2fa" {
		return fmt.Errorf("unknown admin command %q\n%s", cmd, adminUsage)
	}
	if len(rest) == 0 || strings.HasPrefix(rest[len(rest)-1], "-") || !strings.Contains(rest[len(rest)-1], "@") {
		return fmt.Errorf("admin %s: the last argument must be the user's e-mail\n%s", cmd, adminUsage)
	}
	email := rest[len(rest)-1]
	cfg, err := parseConfig(append([]string{progName(args) + " admin " + cmd}, rest[:len(rest)-1]...), getenv, stderr)
	if err != nil {
		return err
	}
	// db.Open would create an empty database: a typo in LAPAK_DB must not
	// look like "no such user".
	if _, err := os.Stat(cfg.DBPath); err != nil && cfg.DatabaseURL == "" {
		return fmt.Errorf("admin %s: no database at %s (LAPAK_DB): %w", cmd, cfg.DBPath, err)
	}
	d, err := db.Open(ctx, cfg.database(), now)
	if err != nil {
		return err
	}
	defer d.Close()
	u, err := d.UserByEmail(ctx, email)
	if errors.Is(err, db.ErrNotFound) {
		return fmt.Errorf("admin %s: no user with e-mail %s in %s", cmd, db.NormalizeEmail(email), cfg.databaseName())
	} else if err != nil {
		return err
	}
	at := now()
	audit := db.AuditEntry{At: at, RequestID: "command-line"}
	switch cmd {
	case "disable-2fa":
		err := handlers.DisableTwoFactor(ctx, d, u, audit)
		if errors.Is(err, db.ErrNotFound) {
			fmt.Fprintf(stdout, "Verifikasi dua langkah %s memang tidak aktif (two-step verification was not on).\n", u.Email)
			return nil
		} else if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Verifikasi dua langkah %s dimatikan (two-step verification turned off).\n", u.Email)
		return nil
	default:
		path, expires, err := handlers.IssuePasswordReset(ctx, d, u, 0, at, audit)
		if err != nil {
			return err
		}
		base := cfg.PublicURL
		if base == "" {
			base = "http://" + cfg.Addr
		}
		fmt.Fprintf(stdout, "\nTautan atur ulang kata sandi untuk %s (password reset link), sekali pakai, berlaku sampai %s:\n  %s%s\n\n",
			u.Email, views.WIB(expires), base, path)
		if u.Disabled {
			fmt.Fprintln(stdout, "Catatan: akun ini dinonaktifkan (this account is disabled) — aktifkan dulu agar bisa masuk.")
		}
		if _, err := d.UserTOTP(ctx, u.ID); err == nil {
			fmt.Fprintf(stdout, "Catatan: verifikasi dua langkah tetap aktif (two-step verification stays on). Ponsel hilang? lapak admin disable-2fa %s\n", u.Email)
		}
		return nil
	}
}
