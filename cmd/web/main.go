// Command web is Lapak: the merchant back office for Toko Netzme. With no
// NETZME_BASE_URL it starts the embedded Netzme sandbox next to itself, so a
// first `go run ./cmd/web` is a complete, working demo.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	_ "time/tzdata" // WIB must work on machines without a zoneinfo database
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "lapak:", err)
		os.Exit(1)
	}
}

// run starts Lapak and blocks until ctx is cancelled (SIGINT/SIGTERM), then
// shuts down gracefully: the HTTP server drains, the sandbox stops, the
// database closes last. `admin …` runs an administrator command instead
// (admincli.go), `ledger …` a command on the books (ledger.go), `seed …` fills a
// fresh database with demo data (seed.go), `backup …` copies the database
// while it is in use (backup.go), `migrate-to-postgres …` copies a SQLite
// database into PostgreSQL (migratepg.go).
func run(ctx context.Context, args []string, getenv func(string) string) error {
	if len(args) > 1 && args[1] == "admin" {
		return runAdmin(ctx, args, getenv, time.Now, os.Stdout, os.Stderr)
	}
	if len(args) > 1 && args[1] == "ledger" {
		return runLedger(ctx, args, getenv, time.Now, os.Stdout, os.Stderr)
	}
	if len(args) > 1 && args[1] == "seed" {
		return runSeed(ctx, args, getenv, time.Now, os.Stdout, os.Stderr)
	}
	if len(args) > 1 && args[1] == "backup" {
		return runBackup(ctx, args, getenv, os.Stdout, os.Stderr)
	}
	if len(args) > 1 && args[1] == "migrate-to-postgres" {
		return runMigrateToPostgres(ctx, args, getenv, time.Now, os.Stdout, os.Stderr)
	}
	cfg, err := parseConfig(args, getenv, os.Stderr)
	if err != nil {
		return err
	}
	setMemoryLimit(getenv)
	logger, err := newLogger(cfg, os.Stderr)
	if err != nil {
		return err
	}
	a, err := newApp(ctx, cfg, time.Now, logger, os.Stdout)
	if err != nil {
		return err
	}
	defer a.close()
	return a.serve(ctx)
}

// newLogger builds the slog logger: text for a person at a terminal, JSON for
// log collectors, as LAPAK_LOG_FORMAT=auto decides.
func newLogger(cfg config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel))); err != nil {
		return nil, fmt.Errorf("config: LAPAK_LOG_LEVEL %q: %w", cfg.LogLevel, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.LogFormat
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok && isTerminal(f) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}

// isTerminal reports whether f is a character device (a terminal), without
// a dependency for one syscall.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
