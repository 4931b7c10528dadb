package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Lapak talks to SQLite through two pools. The writer is one connection:
// SQLite has one writer at a time anyway, and with a single connection every
// write (InTx, InBatch, the single-statement writes) queues in Go instead of
// spinning on SQLITE_BUSY. The read pool is several read-only connections
// (query_only): in WAL mode a reader works on the last committed snapshot and
// never waits for the writer, nor for another reader, so a page is never held
// up by a callback batch or by a long export.
//
// Both pools keep the statements they run prepared (stmtCache): SQLite's
// parser was a quarter of the CPU of a callback when every statement was
// parsed again. modernc.org/sqlite v1.60.1 has no statement-cache DSN option
// (unlike mattn's _stmt_cache_size), so the cache is here, keyed by the
// query text, which every call site writes as a constant.
//
// On PostgreSQL (issue 14) both pools are pgx connection pools (the writer
// has several connections: PostgreSQL has no single writer), pgx prepares
// and caches each statement per connection itself, and the cache here only
// keeps each statement's text rebound to $n placeholders (dialect.go), so a
// statement is rewritten once, not on every run.

// writerPragmas are set on the writer connection only; the read pool keeps
// SQLite's defaults.
//
//   - temp_store(MEMORY): the sub-journal — the copies of pages a savepoint
//     or a statement inside a transaction may have to undo — stays in
//     memory. By default it spills to a temporary file past 64 KiB, and a
//     callback batch (a savepoint per callback, each touching some thirty
//     pages) spent a sixth of its time in pwrite(2) to that file. The
//     sub-journal only undoes work inside a transaction that is still open;
//     what survives a crash is the WAL's business, which this leaves alone
//     (synchronous stays FULL).
//   - cache_size(-32768): 32 MiB of page cache instead of 2 MiB, so that the
//     pages every write goes through (the upper levels of each index, the
//     last leaves of the append-only tables) stay cached and a callback
//     reads from the file only the few leaves that are its own. The cache
//     fills as pages are used: an idle process does not hold it.
var writerPragmas = []string{"temp_store(MEMORY)", "cache_size(-32768)"}

// readPoolSize is how many read-only connections to keep: enough that a slow
// export or report leaves room for pages, few enough that idle memory stays
// small (each connection has its own page cache).
func readPoolSize() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

// maxCachedStmts bounds each statement cache: the queries built from list
// filters have a few variants each, and a pathological caller must not make
// the cache grow without end. Past it, statements run unprepared.
const maxCachedStmts = 256

// stmtCache holds prepared statements of one *sql.DB by query text. A
// statement prepared on a *sql.DB is prepared again, once, on each pooled
// connection it runs on, and reused afterwards.
type stmtCache struct {
	db    *sql.DB
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
	// rebind, when set (PostgreSQL), turns a statement into the engine's
	// text, kept in texts; nothing is prepared here then (pgx does).
	rebind func(string) string
	texts  map[string]string
	// wanted are statements first seen inside a transaction, where they
	// cannot be prepared on the *sql.DB (the writer's only connection is the
	// transaction's): prepareWanted prepares them once the connection is
	// free, so their next run is prepared.
	wanted    map[string]bool
	preparing atomic.Bool
	// dia is the engine's dialect, for the few statements that differ.
	dia *dialect
}

func newStmtCache(db *sql.DB, dia *dialect) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, wanted: map[string]bool{}, rebind: dia.rebind,
		texts: map[string]string{}, dia: dia}
}

// maxCachedTexts bounds the rebound texts kept: past it a statement is
// rebound on each run (a few microseconds).
const maxCachedTexts = 1024

// text returns query as the engine takes it: as written on SQLite, rebound
// (once per text) on PostgreSQL.
func (c *stmtCache) text(query string) string {
	if c.rebind == nil {
		return query
	}
	c.mu.RLock()
	t, ok := c.texts[query]
	c.mu.RUnlock()
	if ok {
		return t
	}
	t = c.rebind(query)
	c.mu.Lock()
	if len(c.texts) < maxCachedTexts {
		c.texts[query] = t
	}
	c.mu.Unlock()
	return t
}

func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stmts[query]
}

// get returns the prepared statement for query, preparing it on a miss; nil
// when the cache is full or preparing failed (the caller then runs the query
// unprepared, and sees its error there).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c.rebind != nil {
		return nil
	}
	if st := c.lookup(query); st != nil {
		return st
	}
	c.mu.RLock()
	full := len(c.stmts) >= maxCachedStmts
	c.mu.RUnlock()
	if full {
		return nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	return c.store(query, st)
}

func (c *stmtCache) store(query string, st *sql.Stmt) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.wanted, query)
	if old := c.stmts[query]; old != nil {
		st.Close()
		return old
	}
	if len(c.stmts) >= maxCachedStmts {
		st.Close()
		return nil
	}
	c.stmts[query] = st
	return st
}

// want notes a query run unprepared inside a transaction.
func (c *stmtCache) want(query string) {
	c.mu.Lock()
	if len(c.stmts)+len(c.wanted) < maxCachedStmts {
		c.wanted[query] = true
	}
	c.mu.Unlock()
}

// prepareWanted prepares, in the background, the statements want noted. Call
// it after a transaction ends; one run at a time.
func (c *stmtCache) prepareWanted() {
	c.mu.RLock()
	n := len(c.wanted)
	c.mu.RUnlock()
	if n == 0 || !c.preparing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer c.preparing.Store(false)
		for {
			c.mu.Lock()
			var query string
			for q := range c.wanted {
				query = q
				break
			}
			delete(c.wanted, query)
			c.mu.Unlock()
			if query == "" {
				return
			}
			if st, err := c.db.PrepareContext(context.Background(), query); err == nil {
				c.store(query, st)
			}
		}
	}()
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}

// reader is what a read needs; the read pool, the writer and a transaction
// all offer it.
type reader interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queryer is what a write needs: the writer and a transaction offer it, the
// read pool does not (a write written against it does not compile).
type queryer interface {
	reader
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// readPool is the read-only connections. It has no ExecContext on purpose.
type readPool struct {
	db    *sql.DB
	stmts *stmtCache
}

func (p *readPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.stmts.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.db.QueryContext(ctx, p.stmts.text(query), args...)
}

func (p *readPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.stmts.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.db.QueryRowContext(ctx, p.stmts.text(query), args...)
}

// writer is the one read-write connection, outside a transaction.
type writer struct {
	db    *sql.DB
	stmts *stmtCache
}

func (w *writer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := w.stmts.get(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return w.db.ExecContext(ctx, w.stmts.text(query), args...)
}

func (w *writer) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := w.stmts.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return w.db.QueryContext(ctx, w.stmts.text(query), args...)
}

func (w *writer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := w.stmts.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return w.db.QueryRowContext(ctx, w.stmts.text(query), args...)
}

// errTxBroken is returned by every statement of a transaction after a
// savepoint could not be rolled back: SQLite may have rolled the whole
// transaction back (an I/O error, a full disk), and a statement run then
// would commit on its own, outside the transaction.
var errTxBroken = errors.New("db: transaction aborted")

// txConn is a transaction on the writer. Statements the writer has prepared
// run prepared (bound to the transaction once, then reused for the rest of
// it); the others run as they are and are prepared after the transaction.
type txConn struct {
	tx     *sql.Tx
	stmts  *stmtCache
	mu     sync.Mutex // guards local and missed: a Tx may be shared by goroutines
	local  map[*sql.Stmt]*sql.Stmt
	missed bool
	broken error
	depth  int // savepoints open
	// retry is the first serialization failure or deadlock a statement of
	// the transaction met (PostgreSQL): whatever fn then does with the
	// error, the transaction cannot commit and runs again (postgres.go).
	retry error
}

// note remembers err when it dooms the transaction to run again.
func (c *txConn) note(err error) error {
	if err != nil && isRetryable(err) {
		c.mu.Lock()
		if c.retry == nil {
			c.retry = err
		}
		c.mu.Unlock()
	}
	return err
}

// doomed returns the error that dooms the transaction to run again, or nil.
func (c *txConn) doomed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.retry
}

// mayFail runs fn, a statement whose failure the caller may survive and go
// on with the transaction (a duplicate key it turns into ErrConflict). On
// PostgreSQL a failed statement aborts the whole transaction, so there fn
// runs inside a savepoint; SQLite only undoes the statement.
func (c *txConn) mayFail(ctx context.Context, fn func() error) error {
	if c.stmts.rebind == nil {
		return fn()
	}
	return c.savepoint(ctx, fn)
}

func newTxConn(tx *sql.Tx, stmts *stmtCache) *txConn {
	return &txConn{tx: tx, stmts: stmts, local: map[*sql.Stmt]*sql.Stmt{}}
}

// stmt returns the transaction's copy of the prepared statement for query,
// or nil (the query is then noted for preparing later).
func (c *txConn) stmt(ctx context.Context, query string) *sql.Stmt {
	if c.stmts.rebind != nil {
		return nil // PostgreSQL: pgx prepares it on the connection
	}
	st := c.stmts.lookup(query)
	c.mu.Lock()
	defer c.mu.Unlock()
	if st == nil {
		c.stmts.want(query)
		c.missed = true
		return nil
	}
	if ts := c.local[st]; ts != nil {
		return ts
	}
	ts := c.tx.StmtContext(ctx, st)
	c.local[st] = ts
	return ts
}

func (c *txConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if c.broken != nil {
		return nil, c.broken
	}
	if st := c.stmt(ctx, query); st != nil {
		res, err := st.ExecContext(ctx, args...)
		return res, c.note(err)
	}
	res, err := c.tx.ExecContext(ctx, c.stmts.text(query), args...)
	return res, c.note(err)
}

func (c *txConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if c.broken != nil {
		return nil, c.broken
	}
	if st := c.stmt(ctx, query); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		return rows, c.note(err)
	}
	rows, err := c.tx.QueryContext(ctx, c.stmts.text(query), args...)
	return rows, c.note(err)
}

func (c *txConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	// Once broken the *sql.Tx is rolled back: the row carries sql.ErrTxDone.
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.tx.QueryRowContext(ctx, c.stmts.text(query), args...)
}

// breakTx rolls the transaction back for good after a savepoint failed, so
// that nothing more can run in it (nor, after an automatic rollback by
// SQLite, outside it); every later statement and the commit fail.
func (c *txConn) breakTx(format string, args ...any) error {
	c.broken = fmt.Errorf("%w: "+format, append([]any{errTxBroken}, args...)...)
	c.tx.Rollback()
	return c.broken
}

// end is called once the transaction is committed or rolled back.
func (c *txConn) end() {
	if c.missed {
		c.stmts.prepareWanted()
	}
}

// savepointSQL returns the statements of the savepoint at depth, the same
// text each time so that they are prepared once.
func savepointSQL(depth int) savepointStmts {
	if depth < len(savepoints) {
		return savepoints[depth]
	}
	return newSavepointStmts(depth)
}

type savepointStmts struct{ begin, release, rollback string }

var savepoints = []savepointStmts{newSavepointStmts(0), newSavepointStmts(1), newSavepointStmts(2), newSavepointStmts(3)}

func newSavepointStmts(depth int) savepointStmts {
	name := fmt.Sprintf("sp%d", depth)
	return savepointStmts{"SAVEPOINT " + name, "RELEASE " + name, "ROLLBACK TO " + name}
}

// savepoint runs fn inside SAVEPOINT: when fn fails (or panics), what it did
// is rolled back and the transaction goes on without it. An error rolling
// back marks the transaction broken.
func (c *txConn) savepoint(ctx context.Context, fn func() error) error {
	return c.savepointOr(ctx, fn, nil)
}

// savepointOr is savepoint, except that when fn fails and orElse is not
// nil, what fn did is rolled back and orElse(fn's error) runs in its place,
// inside the same savepoint: its result is the savepoint's.
func (c *txConn) savepointOr(ctx context.Context, fn func() error, orElse func(error) error) (err error) {
	if c.broken != nil {
		return c.broken
	}
	sp := savepointSQL(c.depth)
	if _, err := c.ExecContext(ctx, sp.begin); err != nil {
		return c.breakTx("savepoint: %v", err)
	}
	c.depth++
	defer func() { c.depth-- }()
	rollback := func(cause error) error {
		if _, rerr := c.ExecContext(ctx, sp.rollback); rerr != nil {
			return c.breakTx("after %v: rollback to savepoint: %v", cause, rerr)
		}
		return nil
	}
	// doomed: on PostgreSQL a serialization failure or deadlock fails the
	// whole transaction, not only the savepoint: it runs again (postgres.go).
	doomed := func(err error) error {
		if err == nil || c.broken != nil {
			return nil
		}
		if c.note(err); c.doomed() != nil {
			return c.breakTx("%v", c.doomed())
		}
		return nil
	}
	err = runAlone(fn)
	if derr := doomed(err); derr != nil {
		return derr
	}
	if err != nil && orElse != nil && c.broken == nil {
		if rerr := rollback(err); rerr != nil {
			return rerr
		}
		first := err
		err = runAlone(func() error { return orElse(first) })
		if derr := doomed(err); derr != nil {
			return derr
		}
	}
	if c.broken != nil {
		return c.broken
	}
	if err != nil {
		if rerr := rollback(err); rerr != nil {
			return rerr
		}
	}
	if _, rerr := c.ExecContext(ctx, sp.release); rerr != nil {
		return c.breakTx("release savepoint: %v", rerr)
	}
	return err
}
