// Package dbtest gives tests a real, migrated database of their own: a
// SQLite file, or a fresh PostgreSQL database on the server named by
// LAPAK_TEST_POSTGRES.
//
// LAPAK_TEST_POSTGRES is a connection string (postgres://user@host/db or
// "host=/socket/dir user=… dbname=…") of a server where the test user may
// CREATE DATABASE; each test gets a database of its own, dropped when it
// ends. Without it the PostgreSQL tests skip, except under CI=true, where
// they fail: CI runs both engines (.ci/run starts a throwaway cluster).
// LAPAK_TEST_ENGINE=postgres makes New open PostgreSQL too, for running a
// package's whole suite on PostgreSQL by hand.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx", for the server connection that creates databases

	"lapak/db"
	"lapak/migrations"
)

// Engine is a database engine Lapak runs on.
type Engine string

// The engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Engines lists every engine, for tests that run on each.
var Engines = []Engine{SQLite, Postgres}

// Default is the engine New opens: LAPAK_TEST_ENGINE, SQLite when unset.
func Default() Engine {
	if Engine(os.Getenv("LAPAK_TEST_ENGINE")) == Postgres {
		return Postgres
	}
	return SQLite
}

// New opens a fresh database of the Default engine with every migration
// applied, on the clock now, and closes it when the test ends. Each call
// gets its own database, so tests may run in parallel.
func New(t testing.TB, now func() time.Time) *db.DB {
	t.Helper()
	return Open(t, Default(), now)
}

// Open opens a fresh database of engine e, as New. On PostgreSQL without
// LAPAK_TEST_POSTGRES the test is skipped (failed under CI=true).
func Open(t testing.TB, e Engine, now func() time.Time) *db.DB {
	t.Helper()
	target := filepath.Join(t.TempDir(), "lapak-test.db")
	if e == Postgres {
		target = PostgresURL(t)
	}
	d, err := db.Open(t.Context(), target, now)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Target returns where a fresh, empty database of engine e is (nothing
// migrated yet): a file path in t.TempDir() for SQLite; for PostgreSQL the
// connection string of a new database, dropped when the test ends (after the
// cleanups registered later, such as the Close of a DB opened on it).
func Target(t testing.TB, e Engine) string {
	t.Helper()
	if e == SQLite {
		return filepath.Join(t.TempDir(), "lapak-test.db")
	}
	return EmptyPostgresURL(t)
}

// Each runs fn as a subtest per engine, named after it ("sqlite",
// "postgres"); the PostgreSQL one skips or fails as Open says.
func Each(t *testing.T, fn func(t *testing.T, e Engine)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(string(e), func(t *testing.T) {
			if e == Postgres {
				RequirePostgres(t)
			}
			fn(t, e)
		})
	}
}

// RequirePostgres skips the test when LAPAK_TEST_POSTGRES is not set, and
// fails it instead under CI=true.
func RequirePostgres(t testing.TB) {
	t.Helper()
	if os.Getenv("LAPAK_TEST_POSTGRES") != "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("dbtest: LAPAK_TEST_POSTGRES is not set: under CI=true the PostgreSQL tests must run (.ci/run starts a server)")
	}
	t.Skip("LAPAK_TEST_POSTGRES is not set: PostgreSQL test skipped (README: Tests)")
}

var (
	serverOnce sync.Once
	server     *sql.DB
	serverErr  error

	templateOnce sync.Once
	template     string
	templateErr  error
)

// PostgresURL creates a new database on LAPAK_TEST_POSTGRES's server with
// every migration applied and returns its connection string; the database is
// dropped when the test ends. It is a copy of a template database migrated
// once (per set of migrations, for every test process: its name carries a
// hash of them), which is much faster than migrating each one.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := connectServer(t)
	templateOnce.Do(func() { template, templateErr = migratedTemplate(base) })
	if templateErr != nil {
		t.Fatalf("dbtest: migrated template database: %v", templateErr)
	}
	return createDatabase(t, base, template)
}

// EmptyPostgresURL is PostgresURL without the migrations: an empty
// database, for tests of migrating one.
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	return createDatabase(t, connectServer(t), "template0")
}

// connectServer opens (once) the connection that creates and drops the
// test databases, and returns LAPAK_TEST_POSTGRES.
func connectServer(t testing.TB) string {
	t.Helper()
	RequirePostgres(t)
	base := os.Getenv("LAPAK_TEST_POSTGRES")
	serverOnce.Do(func() {
		server, serverErr = sql.Open("pgx", base)
		if serverErr == nil {
			server.SetMaxOpenConns(4)
			serverErr = server.Ping()
		}
	})
	if serverErr != nil {
		t.Fatalf("dbtest: LAPAK_TEST_POSTGRES: %v", serverErr)
	}
	return base
}

// createDatabase creates a database copied from template, dropped when the
// test ends, and returns its connection string.
func createDatabase(t testing.TB, base, template string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	name := fmt.Sprintf("lapak_test_%d_%s", os.Getpid(), hex.EncodeToString(b))
	// template0 (or our template): nothing another test left in template1
	// leaks in.
	if _, err := server.ExecContext(context.Background(), `CREATE DATABASE `+name+` TEMPLATE `+template+` STRATEGY FILE_COPY`); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		// WITH (FORCE): a connection a test leaked must not keep it.
		if _, err := server.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(base, name)
}

// migratedTemplate returns the name of a database with every PostgreSQL
// migration applied, creating it when no earlier test process did. Test
// processes run side by side (go test runs packages in parallel): an
// advisory lock makes one of them create it, and it appears under its name
// only once complete.
func migratedTemplate(base string) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.PostgresFS, ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := migrations.PostgresFS.ReadFile(path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	if err != nil {
		return "", err
	}
	name := "lapak_template_" + hex.EncodeToString(h.Sum(nil))[:16]
	ctx := context.Background()
	conn, err := server.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	const lockID = 1447 // any number, the same in every test process
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, lockID)
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil || exists {
		return name, err
	}
	building := name + "_building"
	if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+building+` WITH (FORCE)`); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+building+` TEMPLATE template0 ENCODING 'UTF8'`); err != nil {
		return "", err
	}
	// Migrating stores no time of db's clock.
	d, err := db.Open(ctx, withDatabase(base, building), func() time.Time { return time.Unix(0, 0).UTC() })
	if err != nil {
		return "", err
	}
	if err := d.Close(); err != nil {
		return "", err
	}
	_, err = conn.ExecContext(ctx, `ALTER DATABASE `+building+` RENAME TO `+name)
	return name, err
}

// withDatabase is the connection string base with its database set to name.
func withDatabase(base, name string) string {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		if u, err := url.Parse(base); err == nil {
			u.Path = "/" + name
			return u.String()
		}
	}
	return base + " dbname=" + name
}
