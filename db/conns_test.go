package db

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lapak/internal/clocktest"
)

// openInternal opens a fresh database for tests inside package db (dbtest
// imports db, so it cannot be used here).
func openInternal(t *testing.T) *DB {
	t.Helper()
	d, err := Open(t.Context(), filepath.Join(t.TempDir(), "internal.db"), clocktest.Fixed(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestReadPoolRefusesWrites(t *testing.T) {
	d := openInternal(t)
	ctx := t.Context()
	for _, q := range []string{
		`INSERT INTO merchants (name, created_at) VALUES ('Toko Baca', '2026-01-01T00:00:00.000000Z')`,
		`DELETE FROM users`,
		`CREATE TABLE sneaky (x INTEGER)`,
	} {
		_, err := d.sql.db.ExecContext(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "readonly") {
			t.Errorf("%s on the read pool: err = %v, want a readonly-database error", q, err)
		}
	}
	// A read-write statement sneaked in as a query fails the same way.
	var id int64
	err := d.sql.QueryRowContext(ctx, `INSERT INTO merchants (name, created_at) VALUES ('x', 'y') RETURNING id`).Scan(&id)
	if err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("INSERT … RETURNING on the read pool: err = %v, want a readonly-database error", err)
	}
	if n, err := d.CountMerchants(ctx); err != nil || n != 0 {
		t.Errorf("merchants = %d, %v; the read pool wrote", n, err)
	}
	if got, want := d.sql.db.Stats().MaxOpenConnections, readPoolSize(); got != want || want < 4 {
		t.Errorf("read pool holds %d connections, want %d (at least 4)", got, want)
	}
	if got := d.w.db.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer holds %d connections, want 1", got)
	}
}

// A statement runs prepared from its second use: on the read pool, on the
// writer, and inside transactions (prepared once the transaction is over).
func TestStatementsArePreparedOnce(t *testing.T) {
	d := openInternal(t)
	ctx := t.Context()
	if _, err := d.CountUsers(ctx); err != nil {
		t.Fatal(err)
	}
	if d.sql.stmts.lookup(`SELECT count(*) FROM users`) == nil {
		t.Error("the read pool did not keep CountUsers' statement")
	}
	if _, err := d.CreateMerchant(ctx, NewMerchant{Name: "Toko Satu"}); err != nil {
		t.Fatal(err)
	}
	if len(d.w.stmts.stmts) == 0 {
		t.Error("the writer kept no statement")
	}
	const q = `SELECT count(*) FROM merchants WHERE name <> ?`
	run := func() {
		t.Helper()
		if err := d.InTx(ctx, func(tx *Tx) error {
			var n int
			return tx.tx.QueryRowContext(ctx, q, "x").Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
	}
	run()
	// Prepared in the background once the writer is free.
	for i := 0; i < 500 && d.w.stmts.lookup(q) == nil; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	st := d.w.stmts.lookup(q)
	if st == nil {
		t.Fatal("a statement first run in a transaction was never prepared")
	}
	run() // now through the prepared statement
	if d.w.stmts.lookup(q) != st {
		t.Error("the prepared statement was replaced")
	}
}

// A long read (rows left open, as an export streams) holds up neither the
// other readers nor the writer.
func TestLongReadHoldsUpNobody(t *testing.T) {
	d := openInternal(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for i := range 3 {
		if _, err := d.CreateMerchant(ctx, NewMerchant{Name: fmt.Sprintf("Toko %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT id FROM merchants ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatal("no first row")
	}
	// While it is open: a write commits, and other reads see it.
	if _, err := d.CreateMerchant(ctx, NewMerchant{Name: "Toko Baru"}); err != nil {
		t.Fatalf("write during a long read: %v", err)
	}
	for range 2 * readPoolSize() {
		if n, err := d.CountMerchants(ctx); err != nil || n != 4 {
			t.Fatalf("read during a long read: %d, %v; want 4", n, err)
		}
	}
	// The long read goes on in its own snapshot: the 3 merchants of its start.
	n := 1
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil || n != 3 {
		t.Errorf("long read saw %d rows, %v; want its snapshot of 3", n, err)
	}
}

// A batch whose commit fails fails every write in it: none is reported
// durable. Here one write defers a foreign-key violation to COMMIT.
func TestFailedCommitFailsTheWholeBatch(t *testing.T) {
	d := openInternal(t)
	ctx := t.Context()
	held, stop, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- d.InTx(ctx, func(*Tx) error { close(held); <-stop; return nil })
	}()
	<-held
	errs := make(chan error, 3)
	for i := range 3 {
		go func() {
			errs <- d.InBatch(ctx, func(ctx context.Context, tx *Tx) error {
				if i == 1 {
					if _, err := tx.tx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
						return err
					}
					_, err := tx.tx.ExecContext(ctx, `INSERT INTO memberships (user_id, merchant_id, role, created_at)
						VALUES (4242, 4242, 'owner', '2026-01-01T00:00:00.000000Z')`)
					return err
				}
				_, err := tx.CreateMerchant(ctx, NewMerchant{Name: fmt.Sprintf("Toko %d", i)})
				return err
			})
		}()
	}
	for s := d.WriterStats(); s.Waiting != 3 || s.Queued != 2; s = d.WriterStats() {
		time.Sleep(5 * time.Millisecond) // all three in the next batch
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := <-errs; err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
			t.Errorf("write of a batch whose commit failed: err = %v, want the commit's FOREIGN KEY error", err)
		}
	}
	if n, err := d.CountMerchants(ctx); err != nil || n != 0 {
		t.Errorf("merchants = %d, %v; want 0", n, err)
	}
	if s := d.WriterStats(); s.Failed != 1 {
		t.Errorf("writer stats = %+v, want 1 failed batch", s)
	}
	// The writer goes on.
	if _, err := d.CreateMerchant(ctx, NewMerchant{Name: "Toko Lanjut"}); err != nil {
		t.Fatal(err)
	}
}

// The WAL is copied back into the database file in the background, not in
// a writer's commit: the writer's automatic checkpoint is set far off, and
// after a hundred writes the background one has run.
func TestCheckpointsRunInTheBackground(t *testing.T) {
	d := openInternal(t)
	ctx := t.Context()
	var pages int
	if err := d.w.db.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&pages); err != nil || pages != autoCheckpointPages {
		t.Fatalf("writer wal_autocheckpoint = %d, %v; want %d", pages, err, autoCheckpointPages)
	}
	for i := range checkpointEvery + 10 {
		if err := d.InBatch(ctx, func(ctx context.Context, tx *Tx) error {
			_, err := tx.CreateMerchant(ctx, NewMerchant{Name: fmt.Sprintf("Toko %d", i)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; d.WriterStats().Checkpoints == 0; i++ {
		if i > 1000 {
			t.Fatal("no background checkpoint after more than checkpointEvery writes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Everything written so far is in the database file: a checkpoint now
	// has nothing left to copy that the background one did not.
	var busy, log, done int
	if err := d.ckpt.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done); err != nil || log != done {
		t.Errorf("checkpoint: busy %d, log %d, checkpointed %d, %v", busy, log, done, err)
	}
}

// Under a steady stream of writes the log still restarts from its
// beginning: a checkpoint pass that writes raced with is finished with the
// writer held, instead of the log growing until the writer's own
// checkpoint stalls a commit. The log's header counts its restarts.
func TestTheLogRestartsUnderSteadyWrites(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(t.Context(), filepath.Join(dir, "steady.db"), clocktest.Fixed(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := t.Context()
	restarts := func() uint32 { // the WAL header's checkpoint sequence number
		b, err := os.ReadFile(filepath.Join(dir, "steady.db-wal"))
		if err != nil || len(b) < 32 {
			t.Fatalf("read the log: %v (%d bytes)", err, len(b))
		}
		return binary.BigEndian.Uint32(b[12:16])
	}
	if err := d.InBatch(ctx, func(ctx context.Context, tx *Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	before := restarts()
	// Writes of some ten pages each, as a callback's: the log passes
	// restartFrames several times over.
	const writes = 10 * checkpointEvery
	detail := `{"pad":"` + strings.Repeat("x", 3000) + `"}`
	var wg sync.WaitGroup
	var n atomic.Int64
	for range 8 { // always a write queued: the writer is never idle
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n.Add(1) <= writes {
				if err := d.InBatch(ctx, func(ctx context.Context, tx *Tx) error {
					for range 8 {
						if err := tx.Audit(ctx, AuditEntry{Action: "test.steady", Detail: detail}); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if f := d.ckpt.finishes.Load(); f == 0 {
		t.Errorf("no checkpoint was finished with the writer held (%d passes)", d.ckpt.runs.Load())
	}
	if r := restarts() - before; r < 2 {
		t.Errorf("the log restarted %d times during %d writes, want at least 2", r, writes)
	}
	if fi, err := os.Stat(filepath.Join(dir, "steady.db-wal")); err != nil || fi.Size() > 2*restartFrames*(4096+24) {
		t.Errorf("the log grew to %d bytes (%v), want it restarted near %d frames", fi.Size(), err, restartFrames)
	}
}

// The writer keeps its sub-journal in memory and a larger page cache
// (writerPragmas); the read pool keeps SQLite's defaults.
func TestWriterPragmas(t *testing.T) {
	d := openInternal(t)
	ctx := t.Context()
	var store, cache int
	if err := d.w.db.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&store); err != nil || store != 2 {
		t.Errorf("writer temp_store = %d, %v; want 2 (MEMORY)", store, err)
	}
	if err := d.w.db.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache); err != nil || cache != -32768 {
		t.Errorf("writer cache_size = %d, %v; want -32768 (32 MiB)", cache, err)
	}
	if err := d.sql.db.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&store); err != nil || store != 0 {
		t.Errorf("reader temp_store = %d, %v; want the default 0", store, err)
	}
	if p, err := d.Pragmas(ctx); err != nil || p.Synchronous != 2 {
		t.Errorf("writer synchronous = %d, %v; want 2 (FULL): durability is not traded", p.Synchronous, err)
	}
}
