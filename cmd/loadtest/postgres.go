package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx": the databases of -postgres
)

// The PostgreSQL mode (-postgres, issue 14 §7): the same run with Lapak on
// PostgreSQL. Each database is seeded as SQLite (the seed's bulk writer is
// SQLite's) and copied into a new PostgreSQL database with `lapak
// migrate-to-postgres` (timed: a row of the table); Lapak runs with
// LAPAK_DATABASE_URL; the baseline inserts into PostgreSQL through a pool of
// Lapak's writer size; and after the callback levels a second Lapak starts
// on the big database and the highest level runs again across both
// instances.

// pgWriterPool is Lapak's PostgreSQL writer pool (db's pgWriterConns): the
// baseline gets as many connections.
const pgWriterPool = 16

// pgDatabaseName is the PostgreSQL database of one part of the run.
func pgDatabaseName(part string) string { return "lapak_loadtest_" + part }

// withDatabase returns the connection string server with its database set
// to name (a postgres:// URL or a key=value string).
func withDatabase(server, name string) string {
	if strings.HasPrefix(server, "postgres://") || strings.HasPrefix(server, "postgresql://") {
		u, err := url.Parse(server)
		if err == nil {
			u.Path = "/" + name
			return u.String()
		}
	}
	var kept []string
	for _, f := range strings.Fields(server) {
		if !strings.HasPrefix(f, "dbname=") {
			kept = append(kept, f)
		}
	}
	return strings.Join(append(kept, "dbname="+name), " ")
}

// freshDatabase drops and creates database name on the server and returns
// its connection string.
func (lt *loadTest) freshDatabase(ctx context.Context, server, name string) (string, error) {
	d, err := sql.Open("pgx", server)
	if err != nil {
		return "", err
	}
	defer d.Close()
	if _, err := d.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
		return "", fmt.Errorf("drop database %s: %w", name, err)
	}
	if _, err := d.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE template0`); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	lt.pgDatabases = append(lt.pgDatabases, name)
	return withDatabase(server, name), nil
}

// dropPostgres drops the databases the run created, unless -keep.
func (lt *loadTest) dropPostgres() {
	if lt.cfg.Keep || len(lt.pgDatabases) == 0 {
		return
	}
	d, err := sql.Open("pgx", lt.cfg.Postgres)
	if err != nil {
		return
	}
	defer d.Close()
	for _, name := range lt.pgDatabases {
		if _, err := d.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			lt.say("drop database %s: %v", name, err)
		}
	}
}

// copyResult is what `lapak migrate-to-postgres` reported.
type copyResult struct {
	rows int64
	took time.Duration
}

func (c copyResult) rate() float64 {
	if c.took <= 0 {
		return 0
	}
	return float64(c.rows) / c.took.Seconds()
}

var copyLine = regexp.MustCompile(`(\d+) baris disalin dalam (\S+);`)

// toPostgres copies each seeded database into a new PostgreSQL database.
func (lt *loadTest) toPostgres(ctx context.Context) error {
	for _, s := range lt.sizes {
		u, err := lt.freshDatabase(ctx, lt.cfg.Postgres, pgDatabaseName(s.label))
		if err != nil {
			return err
		}
		lt.say("copying the %s database into PostgreSQL (lapak migrate-to-postgres)", s.label)
		cmd := exec.CommandContext(ctx, lt.bin, "migrate-to-postgres", "-db", s.path, "-database-url", u)
		cmd.Env = childEnv()
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("lapak migrate-to-postgres: %w\n%s", err, out)
		}
		m := copyLine.FindStringSubmatch(string(out))
		if m == nil {
			return fmt.Errorf("lapak migrate-to-postgres: unexpected output:\n%s", out)
		}
		s.copied.rows, _ = strconv.ParseInt(m[1], 10, 64)
		if s.copied.took, err = time.ParseDuration(m[2]); err != nil {
			return fmt.Errorf("lapak migrate-to-postgres: duration %q: %w", m[2], err)
		}
		s.url = u
	}
	return nil
}

// appEnv is the extra environment of a Lapak on s: its PostgreSQL
// database, if any.
func (s *dbSize) appEnv() []string {
	if s.url == "" {
		return nil
	}
	return []string{"LAPAK_DATABASE_URL=" + s.url}
}

// twoInstances runs the highest callback level again with a second Lapak on
// the big database, the callbacks shared out between both in turn.
func (lt *loadTest) twoInstances(ctx context.Context, s *dbSize, first *appProc, f *feed) error {
	sandboxDB := filepath.Join(lt.cfg.Dir, "second-sandbox.db")
	os.Remove(sandboxDB)
	second, err := startApp(ctx, lt.bin, s.path, lt.cfg.Dir, "app-"+s.label+"-second", append(s.appEnv(), "LAPAK_SANDBOX_DB="+sandboxDB)...)
	if err != nil {
		return err
	}
	defer second.stop()
	c := lt.cfg.Levels[len(lt.cfg.Levels)-1]
	lt.say("%s: callback ingest at c=%d across two instances for %s (at most %d callbacks)", s.label, c, lt.cfg.IngestFor, lt.ingestBudget)
	bases := []string{first.base, second.base}
	var turn atomic.Uint64
	lt.rep.twoIngest = ingest(ctx, -1 /* two processes: no one CPU figure */, c, lt.cfg.IngestFor, lt.ingestBudget, func(ctx context.Context) error {
		return lapakCallback(bases[turn.Add(1)%2], f)(ctx)
	})
	lt.rep.twoLevel = c
	lt.rep.errors += lt.rep.twoIngest.errs
	return nil
}

// baselinePostgres is the baseline's database in the PostgreSQL mode ("":
// SQLite).
func (lt *loadTest) baselinePostgres(ctx context.Context) (string, error) {
	if lt.cfg.Postgres == "" {
		return "", nil
	}
	return lt.freshDatabase(ctx, lt.cfg.Postgres, pgDatabaseName("baseline"))
}

// openBaselinePostgres is the baseline's store on PostgreSQL: the same
// table, a pool of Lapak's writer size, synchronous_commit as the server
// has it (on by default: each INSERT waits for its WAL flush, as Lapak's
// commits do).
func openBaselinePostgres(u string) (*sql.DB, string, error) {
	d, err := sql.Open("pgx", u)
	if err != nil {
		return nil, "", err
	}
	d.SetMaxOpenConns(pgWriterPool)
	d.SetMaxIdleConns(pgWriterPool)
	if _, err := d.Exec(`CREATE TABLE IF NOT EXISTS callbacks (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		received_at TEXT NOT NULL, body TEXT NOT NULL)`); err != nil {
		d.Close()
		return nil, "", err
	}
	return d, `INSERT INTO callbacks (received_at, body) VALUES ($1, $2)`, nil
}
