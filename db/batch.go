package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit. A commit costs an fsync of the WAL (synchronous=FULL) plus
// the transaction's own overhead; small writes that arrive together — the
// callbacks of a busy hour, the session touches of many clients — share one:
// one goroutine (the batcher) takes every write submitted with InBatch while
// the writer was busy, runs them one after the other in ONE transaction,
// each in its own SAVEPOINT, commits once, and only then tells each caller
// how its write ended. There is no timer: a write that finds the writer idle
// runs at once, in the caller's goroutine (no hand-off); under load a write
// waits at most for the transaction in progress (a batch is at most
// maxBatch writes) before its own starts.
//
// The writer is taken for a transaction through a token (a channel of one)
// that InTx, the batcher and that direct path share, so that the batcher
// knows the writer is busy and lets writes accumulate instead of blocking
// inside database/sql with one write in hand.

// maxBatch bounds a batch, and so how long a write waits behind the batch
// in progress.
const maxBatch = 128

// batchQueue is how many writes may wait for the batcher before InBatch
// blocks (back-pressure on the callers, not an error).
const batchQueue = 4096

// ErrClosed is returned by InBatch after Close.
var ErrClosed = errors.New("db: closed")

type batchItem struct {
	ctx context.Context // the caller's values, never its cancellation
	fn  func(ctx context.Context, tx *Tx) error
	// orElse, when not nil, runs in fn's place (in the same transaction)
	// if fn fails: see InBatchOr.
	orElse func(ctx context.Context, tx *Tx, err error) error
	done   chan error // buffered: the batcher never blocks on a caller
	// state is 0 while queued, 1 once the batcher took it, 2 when the
	// caller gave up before that (the batcher then skips it).
	state atomic.Int32
	err   error
}

type batcher struct {
	d      *DB
	token  chan struct{} // held by whoever runs a transaction on the writer
	mu     sync.RWMutex  // read-held to submit; Close takes it to close q
	q      chan *batchItem
	shut   bool
	direct sync.WaitGroup // writes running on the direct path
	ended  chan struct{}

	waiting, running                   atomic.Int64
	batches, items, failed, last, most atomic.Int64
}

func newBatcher(d *DB) *batcher {
	b := &batcher{d: d, token: make(chan struct{}, 1), q: make(chan *batchItem, batchQueue), ended: make(chan struct{})}
	go b.loop()
	return b
}

// acquire takes the writer for one transaction; release gives it back.
func (b *batcher) acquire(ctx context.Context) error {
	select {
	case b.token <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *batcher) release() { <-b.token }

// hold waits for the writer to be free between two transactions, takes it
// and returns its release: nothing writes until then (the checkpointer).
func (b *batcher) hold() (release func()) {
	b.acquire(context.Background())
	return b.release
}

// InBatch runs fn in the writer's group-commit transaction, inside its own
// savepoint, and returns once the transaction holding it has committed: nil
// means what fn wrote is durable. An error from fn (or a panic) rolls back
// what fn wrote and nothing else; the other writes of the batch commit. A
// failed commit fails every write of the batch. fn gets a context carrying
// ctx's values but not its cancellation (the transaction is shared); use it,
// and only tx, inside fn, and never InTx or InBatch. If ctx ends while the
// write still waits for its batch, InBatch returns ctx's error and fn never
// runs; once fn has run, InBatch waits for the commit. The Tx's time is read
// when fn starts.
//
// Use InBatch for small, frequent writes whose caller waits for them (a
// callback to acknowledge, a session to save); InTx for the rest.
//
// On PostgreSQL each write runs in a transaction of its own, retried as
// InTx's (postgres.go), with the same contract.
func (d *DB) InBatch(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	return d.InBatchOr(ctx, fn, nil)
}

// InBatchOr is InBatch with a fallback: when fn fails (or panics), what fn
// wrote is rolled back and orElse runs in its place, in the same
// transaction, with fn's error; InBatchOr returns orElse's result (nil: what
// orElse wrote is durable). A nil orElse is InBatch. It is how a write that
// must leave a trace even when it cannot be done (a callback stored for
// review when applying it fails) stays one transaction and one savepoint.
func (d *DB) InBatchOr(ctx context.Context, fn func(ctx context.Context, tx *Tx) error,
	orElse func(ctx context.Context, tx *Tx, err error) error) error {
	if d.pg != nil {
		return d.pg.inBatch(ctx, fn, orElse)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b := d.batch
	it := &batchItem{ctx: context.WithoutCancel(ctx), fn: fn, orElse: orElse, done: make(chan error, 1)}
	b.mu.RLock()
	if b.shut {
		b.mu.RUnlock()
		return ErrClosed
	}
	b.waiting.Add(1)
	defer b.waiting.Add(-1)
	if len(b.q) == 0 {
		select {
		case b.token <- struct{}{}: // the writer is idle: run it here, alone
			b.direct.Add(1)
			b.mu.RUnlock()
			defer b.direct.Done()
			b.begin([]*batchItem{it})
			b.release()
			return <-it.done
		default:
		}
	}
	select {
	case b.q <- it:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
		if it.state.CompareAndSwap(0, 2) {
			return ctx.Err()
		}
		return <-it.done // taken: its commit is a transaction away
	}
}

// close stops taking writes, lets the batcher finish every write already
// submitted, and waits for it.
func (b *batcher) close() {
	b.mu.Lock()
	if !b.shut {
		b.shut = true
		close(b.q)
	}
	b.mu.Unlock()
	<-b.ended
	b.direct.Wait()
}

func (b *batcher) loop() {
	defer close(b.ended)
	for first := range b.q {
		b.acquire(context.Background())
		// Writes that queued while the writer was busy join this batch.
		items := []*batchItem{first}
	gather:
		for len(items) < maxBatch {
			select {
			case it, ok := <-b.q:
				if !ok {
					break gather
				}
				items = append(items, it)
			default:
				break gather
			}
		}
		b.begin(items)
		b.release()
	}
}

// begin runs items in one transaction; the caller holds the writer.
func (b *batcher) begin(items []*batchItem) {
	b.running.Store(int64(len(items)))
	defer b.running.Store(0)
	sqltx, err := b.d.w.db.BeginTx(context.Background(), nil)
	if err != nil {
		b.finish(items, fmt.Errorf("db: begin batch: %w", err))
		return
	}
	b.run(sqltx, items)
}

// finish answers every item of a batch that could not start.
func (b *batcher) finish(items []*batchItem, err error) {
	for _, it := range items {
		if it.state.CompareAndSwap(0, 1) {
			it.done <- err
		}
	}
	b.failed.Add(1)
}

// run runs the items of one batch in sqltx and commits. A batch of one runs
// without a savepoint (its transaction is its own, rolled back as a whole
// if it fails) unless it has a fallback, which needs one to undo fn first.
func (b *batcher) run(sqltx *sql.Tx, items []*batchItem) {
	ctx := context.Background()
	tc := newTxConn(sqltx, b.d.w.stmts)
	taken := make([]*batchItem, 0, len(items))
	for _, it := range items {
		if it.state.CompareAndSwap(0, 1) {
			taken = append(taken, it)
		}
	}
	var batchErr error
	alone := false // a batch of one whose write failed: roll back, not a batch failure
	switch len(taken) {
	case 0:
		sqltx.Rollback()
		tc.end()
		return
	case 1:
		it := taken[0]
		if it.orElse == nil {
			it.err = runAlone(func() error { return it.fn(it.ctx, &Tx{tx: tc, now: b.d.now()}) })
		} else {
			it.err = it.run(ctx, tc, b.d.now())
			batchErr = tc.broken
		}
		alone = it.err != nil && batchErr == nil
	default:
		for _, it := range taken {
			it.err = it.run(ctx, tc, b.d.now())
		}
		batchErr = tc.broken
	}
	switch {
	case alone:
		sqltx.Rollback()
	case batchErr == nil:
		if err := sqltx.Commit(); err != nil {
			batchErr = fmt.Errorf("db: commit batch: %w", err)
		}
	}
	if batchErr != nil {
		sqltx.Rollback()
		b.failed.Add(1)
	}
	tc.end()
	n := int64(len(taken))
	if batchErr == nil && !alone {
		b.d.ckpt.wrote(len(taken))
	}
	b.batches.Add(1)
	b.items.Add(n)
	b.last.Store(n)
	if n > b.most.Load() {
		b.most.Store(n) // only the writer's holder writes it
	}
	for _, it := range taken {
		if batchErr != nil {
			it.done <- batchErr
		} else {
			it.done <- it.err
		}
	}
}

// run runs the item in its own savepoint of the batch's transaction.
func (it *batchItem) run(ctx context.Context, tc *txConn, now time.Time) error {
	tx := &Tx{tx: tc, now: now}
	var orElse func(error) error
	if it.orElse != nil {
		orElse = func(err error) error { return it.orElse(it.ctx, tx, err) }
	}
	return tc.savepointOr(ctx, func() error { return it.fn(it.ctx, tx) }, orElse)
}

// runAlone runs fn, turning a panic into an error.
func runAlone(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("db: panic: %v", p)
		}
	}()
	return fn()
}

// WriterStats is what the writer is doing, for metrics. Counters run from
// Open.
type WriterStats struct {
	Waiting   int   // writes submitted and not yet answered (the writer's queue depth)
	Queued    int   // of those, writes not yet taken into a batch
	Running   int   // writes in the transaction running now (0 when idle)
	Batches   int64 // batches run
	Items     int64 // writes run in batches
	Failed    int64 // batches whose transaction failed as a whole
	LastBatch int   // writes in the last batch
	MaxBatch  int   // writes in the largest batch
	// Checkpoints counts the background checkpoints run (the WAL copied
	// back into the database file away from the writer).
	Checkpoints int64
	// Retries counts transactions PostgreSQL refused (serialization
	// failure, deadlock) and that ran again (always 0 on SQLite).
	Retries int64
}

// WriterStats reports the group-commit writer's queue and batch sizes.
func (d *DB) WriterStats() WriterStats {
	if d.pg != nil {
		return d.pg.stats()
	}
	b := d.batch
	return WriterStats{Waiting: int(b.waiting.Load()), Queued: len(b.q), Running: int(b.running.Load()), Batches: b.batches.Load(),
		Items: b.items.Load(), Failed: b.failed.Load(), LastBatch: int(b.last.Load()), MaxBatch: int(b.most.Load()),
		Checkpoints: d.ckpt.runs.Load()}
}
