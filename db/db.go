// Package db is Lapak's store: opening the database (SQLite with the pragmas a
// payments system needs, or PostgreSQL: dialect.go), applying the embedded
// migrations, and one exported function per query or transaction. Callers
// never see *sql.Tx; multi-step work goes through InTx. Nothing here calls a
// payment provider.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"

	"lapak/migrations"
)

// ErrNotFound is returned (wrapped) when a row that was asked for by key does
// not exist, or exists but belongs to another merchant.
var ErrNotFound = errors.New("db: not found")

// ErrConflict is returned (wrapped) when a write would break a uniqueness rule:
// a duplicate e-mail, a duplicate custIdMerchant, a duplicate reference.
var ErrConflict = errors.New("db: conflict")

// DB is the application's database handle. It is safe for concurrent use.
type DB struct {
	// sql is the read pool: read-only connections (PRAGMA query_only) that
	// read the last committed snapshot without waiting for the writer. It
	// has no ExecContext: a write must go through w, InTx or InBatch.
	sql *readPool
	// w is the writer: the one connection every write, InTx and InBatch
	// use (SQLite has one writer; one connection makes writes queue in Go
	// instead of spinning on SQLITE_BUSY). On PostgreSQL a pool of
	// connections writing side by side (postgres.go).
	w *writer
	// batch is the group-commit writer behind InBatch (SQLite; nil on
	// PostgreSQL).
	batch *batcher
	// ckpt checkpoints the WAL in the background (SQLite; nil on
	// PostgreSQL).
	ckpt *checkpointer

	closing   chan struct{} // closed by Close, for background loops
	closeOnce sync.Once
	closeErr  error
	// dia is the engine's dialect (dialect.go); pg its PostgreSQL state,
	// nil on SQLite.
	dia *dialect
	pg  *pgState

	// now is the clock every stored time comes from (created_at, audit
	// times, token expiry housekeeping), given to Open: db never reads the
	// wall clock, so tests that fix the clock see the same time here as in
	// the handlers (as benbjohnson/wtf's DB.Now).
	now func() time.Time
}

// Tx is a transaction handed to the function given to InTx or InBatch. Use
// only the Tx inside that function: the writer is one connection, so a
// write through the DB would wait for this transaction and deadlock (a read
// through the DB would not see this transaction's writes).
type Tx struct {
	tx *txConn
	// now is the transaction's time, read once from the DB's clock at BEGIN
	// (as wtf's Tx.now): every row one transaction stamps carries the same
	// instant, so an entity and its audit line agree to the microsecond.
	now time.Time
}

// Synchronous is the SQLite synchronous mode Lapak runs with. FULL, not the
// NORMAL that is usual with WAL: under NORMAL a power cut can lose the last
// committed transactions, and for Lapak a lost commit can be a callback that
// Netzme was already told we stored, or a withdrawal intent we no longer know
// we sent. FULL fsyncs the WAL at every commit; Lapak's write rate is far below
// what that costs.
const Synchronous = "FULL"

// DSN returns the connection string of the writer for the database file at
// path: every pragma is set per connection through the DSN (a plain Exec
// would reach only one pooled connection), and _txlock=immediate makes every
// transaction take the write lock at BEGIN, so two writers (two processes)
// never deadlock upgrading a read lock.
func DSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+Synchronous+")")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// readDSN is the connection string of the read pool: query_only, so a write
// sent there fails instead of taking the write lock behind the writer's
// back. WAL is a property of the file, set by the writer. Each reader's page
// cache is 1 MiB (SQLite's default is 2): enough for the interior pages of
// the lists' indexes, and an export streaming a million rows passes through
// it without keeping them; the operating system caches the file anyway.
func readDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "query_only(1)")
	q.Add("_pragma", "cache_size(-1024)")
	return "file:" + path + "?" + q.Encode()
}

// Open opens the database target and applies every pending migration.
// target is the path of a SQLite file (created if needed), or a PostgreSQL
// connection string (IsPostgres: a postgres:// URL or "host=… dbname=…"),
// as OpenURL. On SQLite Open checks that the pragmas are really in force
// (unknown DSN keys are silently ignored by the driver, so trusting the DSN
// is not enough). now is the clock for every time db stores; it is required
// (a nil clock is an error, never a silent wall clock): cmd/web passes
// time.Now, tests pass their own. The caller must Close the DB.
func Open(ctx context.Context, target string, now func() time.Time) (*DB, error) {
	if IsPostgres(target) {
		return OpenURL(ctx, target, now)
	}
	return openSQLite(ctx, target, now)
}

func openSQLite(ctx context.Context, path string, now func() time.Time) (_ *DB, err error) {
	if now == nil {
		return nil, fmt.Errorf("db: open %s: no clock given (pass time.Now, or a test clock)", path)
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("db: open %q: the path may not contain '?' or '#'", path)
	}
	wdb, err := sql.Open("sqlite", writerDSN(path))
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxIdleTime(0)
	d := &DB{w: &writer{db: wdb, stmts: newStmtCache(wdb, sqliteDialect)}, dia: sqliteDialect, now: now, closing: make(chan struct{})}
	defer func() {
		if err != nil {
			d.closePools()
			err = fmt.Errorf("db: open %s: %w", path, err)
		}
	}()
	if err := d.verifyPragmas(ctx); err != nil {
		return nil, err
	}
	if err := d.migrate(ctx); err != nil {
		return nil, err
	}
	// The read pool opens after the writer made the file WAL and migrated it.
	rdb, err := sql.Open("sqlite", readDSN(path))
	if err != nil {
		return nil, err
	}
	n := readPoolSize()
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	rdb.SetConnMaxIdleTime(0)
	d.sql = &readPool{db: rdb, stmts: newStmtCache(rdb, sqliteDialect)}
	var readOnly int
	if err := rdb.QueryRowContext(ctx, "PRAGMA query_only").Scan(&readOnly); err != nil {
		return nil, fmt.Errorf("read pool: %w", err)
	} else if readOnly != 1 {
		return nil, fmt.Errorf("read pool: query_only is %d, want 1", readOnly)
	}
	d.batch = newBatcher(d)
	if d.ckpt, err = newCheckpointer(path, d.batch.hold); err != nil {
		d.batch.close()
		return nil, fmt.Errorf("checkpointer: %w", err)
	}
	return d, nil
}

// Pragmas reports the values of the pragmas Open relies on, as SQLite answers
// them on the live connection.
type Pragmas struct {
	JournalMode   string
	ForeignKeys   int
	BusyTimeoutMS int
	Synchronous   int // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
}

// Pragmas reads the pragmas in force on the writer connection (SQLite only).
func (d *DB) Pragmas(ctx context.Context) (Pragmas, error) {
	if d.dia.postgres {
		return Pragmas{}, errors.New("db: pragmas: the database is PostgreSQL")
	}
	var p Pragmas
	for _, q := range []struct {
		sql string
		dst any
	}{
		{"PRAGMA journal_mode", &p.JournalMode},
		{"PRAGMA foreign_keys", &p.ForeignKeys},
		{"PRAGMA busy_timeout", &p.BusyTimeoutMS},
		{"PRAGMA synchronous", &p.Synchronous},
	} {
		if err := d.w.db.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
			return Pragmas{}, fmt.Errorf("db: %s: %w", q.sql, err)
		}
	}
	return p, nil
}

func (d *DB) verifyPragmas(ctx context.Context) error {
	p, err := d.Pragmas(ctx)
	if err != nil {
		return err
	}
	switch {
	case p.JournalMode != "wal":
		return fmt.Errorf("journal_mode is %q, want wal", p.JournalMode)
	case p.ForeignKeys != 1:
		return fmt.Errorf("foreign_keys is %d, want 1", p.ForeignKeys)
	case p.BusyTimeoutMS < 1000:
		return fmt.Errorf("busy_timeout is %d ms, want at least 1000", p.BusyTimeoutMS)
	case p.Synchronous != 2:
		return fmt.Errorf("synchronous is %d, want 2 (FULL)", p.Synchronous)
	}
	return nil
}

func (d *DB) migrate(ctx context.Context) error {
	// A Provider, not goose's package-level SetBaseFS/SetDialect: those are
	// process globals and race when tests open databases in parallel.
	p, err := goose.NewProvider(goose.DialectSQLite3, d.w.db, migrations.FS)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// SQL returns the writer's *sql.DB, for libraries that need one and write
// (the scs session store: a session is saved on most requests, so it needs a
// connection that can write) and for tests. Application code uses the
// methods of DB instead; a long read through SQL() holds up every write.
// On PostgreSQL it is the writer pool (pgx), and SQL given to it directly
// takes PostgreSQL's placeholders: pass it through Rebind.
func (d *DB) SQL() *sql.DB { return d.w.db }

// ReadStats reports the read pool's database/sql statistics (open and idle
// connections, how often and how long a read waited for one), for metrics.
func (d *DB) ReadStats() sql.DBStats { return d.sql.db.Stats() }

// Close closes the database: it lets the group-commit writer finish what was
// submitted, then closes both pools. Call it last, after the HTTP server has
// stopped; a second Close returns the first one's result.
func (d *DB) Close() error {
	d.closeOnce.Do(func() {
		close(d.closing)
		if d.pg != nil {
			d.pg.close()
		} else {
			d.batch.close()
		}
		d.closeErr = d.closePools()
	})
	return d.closeErr
}

func (d *DB) closePools() error {
	var errs []error
	if d.ckpt != nil {
		errs = append(errs, d.ckpt.close())
	}
	if d.sql != nil {
		d.sql.stmts.close()
		errs = append(errs, d.sql.db.Close())
	}
	d.w.stmts.close()
	errs = append(errs, d.w.db.Close())
	return errors.Join(errs...)
}

// Ping checks that the database answers a query (not only that the pool is
// open), for the health check; it reads through the read pool, so it never
// waits for a write.
func (d *DB) Ping(ctx context.Context) error {
	var one int
	if err := d.sql.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("db: ping: %w", err)
	}
	return nil
}

// InTx runs fn in one IMMEDIATE transaction on the writer and commits if fn
// returns nil; any error or panic rolls back. Never call a payment provider
// inside fn, nor InTx or InBatch (the writer is busy with this transaction).
// The Tx reads the clock once, at BEGIN: every time it stores is that
// instant.
//
// On PostgreSQL the transaction is SERIALIZABLE, and one that fails for a
// serialization failure or a deadlock is rolled back and fn runs again, in
// a new transaction, a bounded number of times (postgres.go): fn must
// leave nothing behind that a second run would repeat (set the results it
// hands out, never add to them).
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if d.pg != nil {
		return d.pg.inTx(ctx, fn)
	}
	if err := d.batch.acquire(ctx); err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer d.batch.release()
	sqltx, err := d.w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	tc := newTxConn(sqltx, d.w.stmts)
	defer tc.end()
	defer func() {
		if p := recover(); p != nil {
			sqltx.Rollback()
			panic(p)
		}
		if err != nil {
			sqltx.Rollback()
		}
	}()
	if err = fn(&Tx{tx: tc, now: d.now()}); err != nil {
		return err
	}
	if err = sqltx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	d.ckpt.wrote(1)
	return nil
}

// Savepoint runs fn inside a savepoint of the transaction: if fn fails (or
// panics) what it wrote is rolled back, the error returned, and the
// transaction goes on. If the rollback itself fails the transaction is
// aborted: every later statement fails and it does not commit.
func (tx *Tx) Savepoint(ctx context.Context, fn func() error) error {
	return tx.tx.savepoint(ctx, fn)
}

// timeLayout is how every time is stored: UTC, fixed width, so that text order
// is time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("db: bad stored time %q: %w", s, err)
	}
	return t, nil
}

// notFound maps sql.ErrNoRows to ErrNotFound, wrapping what was looked for.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("db: %s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("db: %s: %w", what, err)
}

// nullID stores 0 as NULL, for optional references.
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
