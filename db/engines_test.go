package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

// A check-then-write inside one InTx holds when many run at once: twenty
// clicks on "sync now" queue one run. On SQLite the one writer makes it so;
// on PostgreSQL the SERIALIZABLE transaction (a loser runs again and finds
// the winner's run).
func TestConcurrentCheckThenWriteAddsOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		m, err := d.CreateMerchant(ctx, db.NewMerchant{Name: "Toko Sinkron"})
		if err != nil {
			t.Fatal(err)
		}
		const n = 20
		var wg sync.WaitGroup
		created := make([]bool, n)
		ids := make([]int64, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				var run db.SyncRun
				run, created[i], errs[i] = d.QueueSyncRun(ctx, db.NewSyncRun{MerchantID: m.ID, Trigger: "manual",
					FromDay: "2026-01-01", ToDay: "2026-01-02", DaysTotal: 2, Status: db.SyncQueued})
				ids[i] = run.ID
			})
		}
		wg.Wait()
		adds := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("click %d: %v", i, errs[i])
			}
			if created[i] {
				adds++
			}
			if ids[i] != ids[0] {
				t.Errorf("click %d was given run %d, click 0 run %d: want the same run", i, ids[i], ids[0])
			}
		}
		runs, err := d.SyncRuns(ctx, m.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		if adds != 1 || len(runs) != 1 {
			t.Errorf("%d clicks added %d runs (%d on record), want 1", n, adds, len(runs))
		}
		t.Logf("%s: %d transactions ran again", e, d.WriterStats().Retries)
	})
}

// Two transactions that both read a row and then write what they read
// decide run one after the other: both read "no failure yet" before either
// writes, yet only one adds it. On SQLite the second waits for the writer
// (the barrier below times out); on PostgreSQL one of them is refused at
// SERIALIZABLE and runs again, reading the other's write.
func TestReadThenWriteTransactionsRunOneAfterTheOther(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		const key = "test:serial"
		read := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
		// On SQLite the other transaction cannot start before this one ends
		// (one writer): waiting for its read times out. On PostgreSQL both
		// run at once, so wait long enough for a loaded machine to start it.
		patience := 300 * time.Millisecond
		if e == dbtest.Postgres {
			patience = 10 * time.Second
		}
		run := func(i int) error {
			first := true
			return d.InTx(ctx, func(tx *db.Tx) error {
				f, err := tx.LoginFailures(ctx, key)
				if err != nil {
					return err
				}
				if first { // wait (a little) until the other has read too
					first = false
					close(read[i])
					select {
					case <-read[1-i]:
					case <-time.After(patience):
					}
				}
				if f.Failures == 0 {
					return tx.AddLoginFailure(ctx, key, clocktest.Base(t))
				}
				return nil
			})
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() { errs[i] = run(i) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("transaction %d: %v", i, err)
			}
		}
		var f db.LoginFailures
		if err := d.InTx(ctx, func(tx *db.Tx) (err error) { f, err = tx.LoginFailures(ctx, key); return err }); err != nil {
			t.Fatal(err)
		}
		if f.Failures != 1 {
			t.Errorf("failures = %d, want 1: both transactions acted on the same stale read", f.Failures)
		}
		if retries := d.WriterStats().Retries; e == dbtest.Postgres && retries == 0 {
			t.Error("no transaction ran again on PostgreSQL: the two did not overlap, the test proves nothing")
		}
	})
}

// InBatch's contract on both engines: each write commits or rolls back on
// its own, the caller learns which, a write whose context ended before it
// ran does not run, and after Close nothing is taken.
func TestInBatchWritesStandAlone(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		const n = 30
		refused := errors.New("refused after writing")
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = d.InBatch(ctx, func(ctx context.Context, tx *db.Tx) error {
					if err := tx.Audit(ctx, db.AuditEntry{Action: "test.batch", RequestID: string(rune('A' + i))}); err != nil {
						return err
					}
					if i%10 == 3 {
						return refused
					}
					return nil
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if want := i%10 == 3; errors.Is(err, refused) != want || (!want && err != nil) {
				t.Errorf("write %d: %v", i, err)
			}
		}
		log, err := d.AuditLog(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != n-3 {
			t.Errorf("%d audit lines, want %d (the refused writes rolled back, alone)", len(log), n-3)
		}
		for _, l := range log {
			if i := int(l.RequestID[0] - 'A'); i%10 == 3 {
				t.Errorf("refused write %d was kept", i)
			}
		}

		gone, cancel := context.WithCancel(ctx)
		cancel()
		ran := false
		if err := d.InBatch(gone, func(ctx context.Context, tx *db.Tx) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
			t.Errorf("ended context: err %v, ran %v; want context.Canceled and no run", err, ran)
		}
		d.Close()
		if err := d.InBatch(ctx, func(ctx context.Context, tx *db.Tx) error { return nil }); !errors.Is(err, db.ErrClosed) {
			t.Errorf("after Close: %v, want ErrClosed", err)
		}
	})
}

// Several instances starting at once on one new PostgreSQL database migrate
// it once, one after the other (goose's session lock).
func TestPostgresInstancesStartingTogetherMigrateOnce(t *testing.T) {
	t.Parallel()
	dbtest.RequirePostgres(t)
	url := dbtest.EmptyPostgresURL(t)
	const n = 4
	var wg sync.WaitGroup
	dbs := make([]*db.DB, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = db.Open(t.Context(), url, clocktest.Fixed(t)) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		defer dbs[i].Close()
	}
	var applied, versions int
	if err := dbs[0].SQL().QueryRow(`SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).
		Scan(&applied, &versions); err != nil {
		t.Fatal(err)
	}
	if applied != versions || versions < 13 {
		t.Errorf("goose_db_version: %d rows for %d versions, want each version once (13 or more)", applied, versions)
	}
	for i, d := range dbs {
		if _, err := d.CreateMerchant(t.Context(), db.NewMerchant{Name: "Toko " + string(rune('A'+i))}); err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
}
