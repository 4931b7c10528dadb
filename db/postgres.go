package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"lapak/migrations"
)

// PostgreSQL (issue 14): several Lapak instances share one PostgreSQL
// server. There is no single writer to lean on, so every guarantee that
// SQLite's one-writer-at-a-time gave for free is made explicit:
//
//   - InTx runs SERIALIZABLE: PostgreSQL lets a transaction commit only if
//     the result is that of the transactions running one after the other,
//     so every check-then-write inside one (the last owner, one open
//     withdrawal per merchant, the callback dedupe, the ledger's running
//     balances) holds as it did on SQLite. A transaction PostgreSQL refuses
//     (serialization failure 40001, deadlock 40P01) is rolled back and run
//     again from the start, at most pgTxAttempts times, the transactions
//     run again one at a time per instance (retry);
//   - InBatch runs each write in a transaction of its own, the same way
//     (PostgreSQL commits concurrent transactions together by itself; there
//     is no batch to gather);
//   - a single statement outside a transaction (d.w) runs at PostgreSQL's
//     READ COMMITTED: every such write in db is one guarded statement (an
//     UPDATE … WHERE status = 'unknown', an INSERT … ON CONFLICT), which
//     PostgreSQL re-checks on the row it locks;
//   - the read pool's connections are read-only (default_transaction_read_only),
//     as SQLite's query_only pool;
//   - the migrations hold goose's PostgreSQL session lock (an advisory
//     lock), so instances starting together migrate one after the other.

// pgWriterConns is how many connections the writer pool may open: writes
// run concurrently on PostgreSQL, and each waits for a free connection
// beyond this (set max_connections accordingly: instances × (this + the
// read pool)).
const pgWriterConns = 16

// pgTxAttempts bounds how often a transaction refused for a serialization
// failure or a deadlock is run; the last refusal is returned.
const pgTxAttempts = 25

// pgState is what a PostgreSQL DB has instead of SQLite's batcher.
type pgState struct {
	d        *DB
	mu       sync.RWMutex // read-held by InBatch to start; Close takes it
	shut     bool
	inflight sync.WaitGroup

	// again is held by the transaction of this process that runs again
	// after a refusal (retry).
	again chan struct{}
	// pages is held while a statement page is recorded (RecordStatementPage).
	pages sync.Mutex
	// batch is held by the InBatch write of this process that runs now:
	// InBatch's writes (callbacks above all) run one at a time per
	// instance, as on SQLite's one writer. Run side by side, every payment
	// of one shop updates the same ledger balance and daily-total rows, so
	// at SERIALIZABLE they refused each other and ran again one by one
	// anyway — at c=16 a third of the attempts, and now and then a
	// callback out of attempts (answered 500, resent by Netzme). Two
	// instances still write side by side; retry settles those.
	batch chan struct{}

	waiting, running           atomic.Int64
	committed, failed, retries atomic.Int64
}

// OpenURL opens the PostgreSQL database at url (postgres://user@host/db?…,
// or "host=/run/postgresql dbname=lapak"; every libpq setting pgx knows is
// accepted) and applies every pending migration under goose's session lock.
// now is the clock, as for Open. The database must exist; the user needs
// the right to create tables in it (and, once, the pg_trgm extension, which
// PostgreSQL lets a database owner create).
func OpenURL(ctx context.Context, url string, now func() time.Time) (_ *DB, err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's error quotes the connection string, password and all.
		return nil, errors.New("db: open postgres: the connection string does not parse (LAPAK_DATABASE_URL)")
	}
	where := fmt.Sprintf("postgres %s@%s/%s", cfg.User, cfg.Host, cfg.Database)
	if now == nil {
		return nil, fmt.Errorf("db: open %s: no clock given (pass time.Now, or a test clock)", where)
	}
	wdb := stdlib.OpenDB(*cfg)
	wdb.SetMaxOpenConns(pgWriterConns)
	wdb.SetMaxIdleConns(pgWriterConns)
	wdb.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{w: &writer{db: wdb, stmts: newStmtCache(wdb, postgresDialect)}, dia: postgresDialect, now: now,
		closing: make(chan struct{})}
	d.pg = &pgState{d: d, again: make(chan struct{}, 1), batch: make(chan struct{}, 1)}
	defer func() {
		if err != nil {
			d.closePools()
			err = fmt.Errorf("db: open %s: %w", where, err)
		}
	}()
	if err := wdb.PingContext(ctx); err != nil {
		return nil, err
	}
	if err := d.migratePostgres(ctx); err != nil {
		return nil, err
	}
	rcfg := cfg.Copy()
	rcfg.RuntimeParams["default_transaction_read_only"] = "on"
	rdb := stdlib.OpenDB(*rcfg)
	n := readPoolSize()
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	rdb.SetConnMaxIdleTime(5 * time.Minute)
	d.sql = &readPool{db: rdb, stmts: newStmtCache(rdb, postgresDialect)}
	var readOnly string
	if err := rdb.QueryRowContext(ctx, "SHOW transaction_read_only").Scan(&readOnly); err != nil {
		return nil, fmt.Errorf("read pool: %w", err)
	} else if readOnly != "on" {
		return nil, fmt.Errorf("read pool: transaction_read_only is %q, want on", readOnly)
	}
	return d, nil
}

func (d *DB) migratePostgres(ctx context.Context) error {
	// An instance that finds the lock taken tries again every second, for
	// up to five minutes (goose's default waits 5 s between tries).
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	fsys, err := fs.Sub(migrations.PostgresFS, "postgres")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, d.w.db, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// beginner is where a transaction starts: the writer pool, or one of its
// connections held for an InBatch write.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// inTx is InTx on PostgreSQL.
func (p *pgState) inTx(ctx context.Context, fn func(tx *Tx) error) error {
	return p.retry(ctx, p.d.w.db, fn)
}

// retry runs fn in a SERIALIZABLE transaction on b until it commits, fails
// for another reason than a serialization failure or a deadlock, or has run
// pgTxAttempts times.
//
// A first attempt runs alongside everything else. A refused transaction
// runs again one at a time in this process (p.again): when many collide on
// the same rows — a hundred payments of one shop, all moving its ledger
// accounts — letting every loser try again at once only makes them collide
// again, while one at a time each retry competes only with transactions on
// their first attempt (and with other instances), as every write on SQLite
// waits for the one writer.
func (p *pgState) retry(ctx context.Context, b beginner, fn func(tx *Tx) error) error {
	err := p.run(ctx, b, fn)
	if err == nil || !isRetryable(err) || ctx.Err() != nil {
		return err
	}
	// The retries keep one connection: a retry waiting for its turn must
	// not wait for a connection too, which another waiter may hold.
	if db, ok := b.(*sql.DB); ok {
		conn, cerr := db.Conn(ctx)
		if cerr != nil {
			return err
		}
		defer conn.Close()
		b = conn
	}
	select {
	case p.again <- struct{}{}:
	case <-ctx.Done():
		return err
	}
	defer func() { <-p.again }()
	wait := time.Millisecond
	for attempt := 2; ; attempt++ {
		p.retries.Add(1)
		err = p.run(ctx, b, fn)
		if err == nil || !isRetryable(err) || attempt == pgTxAttempts || ctx.Err() != nil {
			return err
		}
		// Refused again, by a first attempt or another instance: a short
		// random wait (full jitter) before the next.
		t := time.NewTimer(rand.N(wait) + time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// run runs fn in one SERIALIZABLE transaction and commits if it returns nil.
func (p *pgState) run(ctx context.Context, b beginner, fn func(tx *Tx) error) (err error) {
	sqltx, err := b.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	tc := newTxConn(sqltx, p.d.w.stmts)
	defer func() {
		if r := recover(); r != nil {
			sqltx.Rollback()
			panic(r)
		}
		if err != nil {
			sqltx.Rollback()
		}
	}()
	err = fn(&Tx{tx: tc, now: p.d.now()})
	if r := tc.doomed(); r != nil {
		// A statement met a serialization failure or a deadlock; even if
		// fn went on, the transaction cannot commit.
		return r
	}
	if err != nil {
		return err
	}
	if err = sqltx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// inBatch is InBatch on PostgreSQL: fn runs alone in its own transaction
// (retried as InTx's), with InBatch's contract: ctx bounds the wait for a
// connection only; once fn runs, it runs to its commit with ctx's values
// and without its cancellation.
func (p *pgState) inBatch(ctx context.Context, fn func(ctx context.Context, tx *Tx) error,
	orElse func(ctx context.Context, tx *Tx, err error) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.RLock()
	if p.shut {
		p.mu.RUnlock()
		return ErrClosed
	}
	p.inflight.Add(1)
	p.mu.RUnlock()
	defer p.inflight.Done()
	p.waiting.Add(1)
	defer p.waiting.Add(-1)
	select {
	case p.batch <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p.batch }()
	conn, err := p.d.w.db.Conn(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("db: begin: %w", err)
	}
	defer conn.Close()
	p.running.Add(1)
	defer p.running.Add(-1)
	wctx := context.WithoutCancel(ctx)
	err = p.retry(wctx, conn, func(tx *Tx) error {
		if orElse == nil {
			return runAlone(func() error { return fn(wctx, tx) })
		}
		// InBatchOr: fn in a savepoint, orElse in its place when it fails
		// (a serialization failure still runs the whole write again).
		return tx.tx.savepointOr(wctx, func() error { return fn(wctx, tx) },
			func(err error) error { return orElse(wctx, tx, err) })
	})
	if err != nil {
		p.failed.Add(1)
		return err
	}
	p.committed.Add(1)
	return nil
}

// close stops taking InBatch writes and waits for the ones running.
func (p *pgState) close() {
	p.mu.Lock()
	p.shut = true
	p.mu.Unlock()
	p.inflight.Wait()
}

// stats is WriterStats on PostgreSQL: every write is a batch of one.
func (p *pgState) stats() WriterStats {
	n := p.committed.Load()
	return WriterStats{Waiting: int(p.waiting.Load()), Running: int(p.running.Load()), Batches: n, Items: n,
		Failed: p.failed.Load(), LastBatch: 1, MaxBatch: 1, Retries: p.retries.Load()}
}
