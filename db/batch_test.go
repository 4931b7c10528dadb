package db_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

// holdWriter runs a transaction on the writer that has written a user and
// stays open until the returned release is called; it returns once the
// transaction holds the write lock.
func holdWriter(t *testing.T, d *db.DB) (release func()) {
	t.Helper()
	held, done := make(chan struct{}), make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		done <- d.InTx(context.Background(), func(tx *db.Tx) error {
			if _, err := tx.CreateUser(context.Background(), db.NewUser{Email: "uncommitted@toko.id", PasswordHash: testHash}); err != nil {
				return err
			}
			close(held)
			<-stop
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("write transaction: %v", err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(stop)
			if err := <-done; err != nil {
				t.Errorf("write transaction: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// Reads never wait for the writer: with a write transaction open (and
// holding the write lock), reads complete and see the last committed state.
// Were reads queued behind the writer, they would wait for release, which
// comes only after they returned: the test would fail on its deadline.
func TestReadsDoNotWaitForAnOpenWrite(t *testing.T) {
	d := dbtest.Open(t, dbtest.SQLite, clocktest.Fixed(t))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := d.CreateUser(ctx, db.NewUser{Email: "committed@toko.id", PasswordHash: testHash}); err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, d)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 { // more readers than the pool has connections
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := d.CountUsers(ctx)
			if err == nil && n != 1 {
				err = fmt.Errorf("count = %d, want 1 (only the committed user)", n)
			}
			if _, err2 := d.UserByEmail(ctx, "uncommitted@toko.id"); err == nil && !errors.Is(err2, db.ErrNotFound) {
				err = fmt.Errorf("the uncommitted user is visible: %v", err2)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("read while a write is open: %v", err)
		}
	}
	if err := d.Ping(ctx); err != nil {
		t.Fatalf("ping while a write is open: %v", err)
	}
	release()
	// Once committed, a read sees it at once.
	if n, err := d.CountUsers(ctx); err != nil || n != 2 {
		t.Errorf("after commit: count = %d, %v; want 2", n, err)
	}
}

// waitWaiting waits until n writes wait for the writer.
func waitWaiting(t *testing.T, d *db.DB, n int) {
	t.Helper()
	for i := 0; d.WriterStats().Waiting < n; i++ {
		if i > 2000 {
			t.Fatalf("writer stats = %+v, want %d writes waiting", d.WriterStats(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitBatch waits until, the writer being held, n writes wait for it: the
// batcher holds one and the others are queued, so all n make the next batch.
func waitBatch(t *testing.T, d *db.DB, n int) {
	t.Helper()
	for i := 0; ; i++ {
		if s := d.WriterStats(); s.Waiting == n && s.Queued == n-1 {
			return
		}
		if i > 2000 {
			t.Fatalf("writer stats = %+v, want %d writes waiting, %d queued", d.WriterStats(), n, n-1)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Fifty writes queued while the writer is busy run as one batch; the one
// that fails and the one that panics are rolled back alone, every other
// write commits, and each caller hears its own outcome.
func TestBatchIsolatesFailedWrites(t *testing.T) {
	d := dbtest.Open(t, dbtest.SQLite, clocktest.Fixed(t))
	ctx := t.Context()
	if _, err := d.CreateUser(ctx, db.NewUser{Email: "taken@toko.id", PasswordHash: testHash}); err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, d)
	errs := make([]error, 50)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.InBatch(ctx, func(ctx context.Context, tx *db.Tx) error {
				email := fmt.Sprintf("user%02d@toko.id", i)
				switch i {
				case 17:
					email = "taken@toko.id"
				case 23:
					if _, err := tx.CreateUser(ctx, db.NewUser{Email: email, PasswordHash: testHash}); err != nil {
						return err
					}
					panic("poisoned")
				}
				_, err := tx.CreateUser(ctx, db.NewUser{Email: email, PasswordHash: testHash})
				return err
			})
		}()
	}
	waitBatch(t, d, 50)
	release()
	wg.Wait()
	for i, err := range errs {
		switch {
		case i == 17 && !errors.Is(err, db.ErrConflict):
			t.Errorf("write 17 (duplicate e-mail): err = %v, want ErrConflict", err)
		case i == 23 && (err == nil || !strings.Contains(err.Error(), "poisoned")):
			t.Errorf("write 23 (panics): err = %v, want the panic", err)
		case i != 17 && i != 23 && err != nil:
			t.Errorf("write %d: %v", i, err)
		}
	}
	n, err := d.CountUsers(ctx)
	if err != nil || n != 2+48 {
		t.Errorf("users = %d, %v; want 50 (taken, the held write's, 48 of the batch)", n, err)
	}
	if _, err := d.UserByEmail(ctx, "user23@toko.id"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("the panicking write's user was kept: %v", err)
	}
	if s := d.WriterStats(); s.LastBatch != 50 || s.Batches != 1 || s.Items != 50 || s.Failed != 0 || s.Waiting != 0 || s.Running != 0 {
		t.Errorf("writer stats = %+v, want one batch of 50", s)
	}
}

// A write whose caller gave up while it waited never runs; one alone in its
// batch that fails is rolled back.
func TestBatchSkipsAbandonedWrites(t *testing.T) {
	d := dbtest.Open(t, dbtest.SQLite, clocktest.Fixed(t))
	ctx := t.Context()
	release := holdWriter(t, d)
	first := make(chan error, 1)
	go func() {
		first <- d.InBatch(ctx, func(ctx context.Context, tx *db.Tx) error {
			_, err := tx.CreateUser(ctx, db.NewUser{Email: "first@toko.id", PasswordHash: testHash})
			return err
		})
	}()
	for i := 0; d.WriterStats().Waiting != 1 || d.WriterStats().Queued != 0; i++ { // taken, waiting for the writer
		if i > 2000 {
			t.Fatalf("writer stats = %+v, want one write taken", d.WriterStats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	gone, cancel := context.WithCancel(ctx)
	var ran atomic.Bool
	abandoned := make(chan error, 1)
	go func() {
		abandoned <- d.InBatch(gone, func(ctx context.Context, tx *db.Tx) error {
			ran.Store(true)
			_, err := tx.CreateUser(ctx, db.NewUser{Email: "abandoned@toko.id", PasswordHash: testHash})
			return err
		})
	}()
	waitWaiting(t, d, 2)
	cancel()
	if err := <-abandoned; !errors.Is(err, context.Canceled) {
		t.Errorf("abandoned write: err = %v, want context.Canceled", err)
	}
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, err := d.UserByEmail(ctx, "abandoned@toko.id"); !errors.Is(err, db.ErrNotFound) || ran.Load() {
		t.Errorf("the abandoned write ran (ran=%v, lookup %v)", ran.Load(), err)
	}
	err := d.InBatch(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.CreateUser(ctx, db.NewUser{Email: "alone@toko.id", PasswordHash: testHash}); err != nil {
			return err
		}
		return errors.New("changed my mind")
	})
	if err == nil || err.Error() != "changed my mind" {
		t.Errorf("failing write alone: err = %v", err)
	}
	if _, err := d.UserByEmail(ctx, "alone@toko.id"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("a failed write alone in its batch was kept: %v", err)
	}
	if s := d.WriterStats(); s.Failed != 0 {
		t.Errorf("a failed write counted as a failed batch: %+v", s)
	}
}

// Close lets the writes already submitted commit; later ones are refused.
func TestCloseFinishesSubmittedWrites(t *testing.T) {
	d := dbtest.Open(t, dbtest.SQLite, clocktest.Fixed(t))
	ctx := t.Context()
	release := holdWriter(t, d)
	errs := make(chan error, 5)
	for i := range 5 {
		go func() {
			errs <- d.InBatch(ctx, func(ctx context.Context, tx *db.Tx) error {
				_, err := tx.CreateUser(ctx, db.NewUser{Email: fmt.Sprintf("late%d@toko.id", i), PasswordHash: testHash})
				return err
			})
		}()
	}
	waitWaiting(t, d, 5)
	closed := make(chan error, 1)
	go func() { closed <- d.Close() }()
	release()
	for range 5 {
		if err := <-errs; err != nil {
			t.Errorf("write submitted before Close: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := d.InBatch(ctx, func(context.Context, *db.Tx) error { return nil }); !errors.Is(err, db.ErrClosed) {
		t.Errorf("InBatch after Close: err = %v, want ErrClosed", err)
	}
}

// merchantNames lists the merchants' names, sorted.
func merchantNames(t *testing.T, d *db.DB) []string {
	t.Helper()
	ms, err := d.Merchants(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return names
}

// InBatchOr: when a write fails, what it wrote is undone and its fallback
// runs in its place in the same batch — committed with the others when it
// succeeds, undone too when it fails — and the batch's other writes commit.
func TestInBatchOrRunsTheFallbackInPlaceOfAFailedWrite(t *testing.T) {
	d := dbtest.New(t, clocktest.Fixed(t))
	ctx := t.Context()
	release := holdWriter(t, d)
	create := func(ctx context.Context, tx *db.Tx, name string) error {
		_, err := tx.CreateMerchant(ctx, db.NewMerchant{Name: name})
		return err
	}
	errApply, errFallback := errors.New("cannot apply"), errors.New("cannot record")
	writes := []struct {
		fn     func(ctx context.Context, tx *db.Tx) error
		orElse func(ctx context.Context, tx *db.Tx, err error) error
		want   error
	}{
		{fn: func(ctx context.Context, tx *db.Tx) error { return create(ctx, tx, "Toko A") }},
		{fn: func(ctx context.Context, tx *db.Tx) error {
			if err := create(ctx, tx, "Toko B (undone)"); err != nil {
				return err
			}
			return errApply
		}, orElse: func(ctx context.Context, tx *db.Tx, err error) error {
			if !errors.Is(err, errApply) {
				return fmt.Errorf("fallback got %v, want the write's error", err)
			}
			return create(ctx, tx, "Toko C (fallback)")
		}},
		{fn: func(ctx context.Context, tx *db.Tx) error {
			if err := create(ctx, tx, "Toko D (undone)"); err != nil {
				return err
			}
			panic("boom")
		}, orElse: func(ctx context.Context, tx *db.Tx, err error) error {
			if err := create(ctx, tx, "Toko E (undone)"); err != nil {
				return err
			}
			return errFallback
		}, want: errFallback},
	}
	errs := make([]chan error, len(writes))
	for i, w := range writes {
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- d.InBatchOr(ctx, w.fn, w.orElse) }()
		for d.WriterStats().Waiting != i+1 {
			time.Sleep(time.Millisecond) // queued in this order, all in the next batch
		}
	}
	release()
	for i, w := range writes {
		if err := <-errs[i]; !errors.Is(err, w.want) {
			t.Errorf("write %d: err = %v, want %v", i, err, w.want)
		}
	}
	if got, want := merchantNames(t, d), []string{"Toko A", "Toko C (fallback)"}; !slices.Equal(got, want) {
		t.Errorf("merchants = %q, want %q", got, want)
	}
	if s := d.WriterStats(); s.Failed != 0 || s.MaxBatch != 3 {
		t.Errorf("writer stats = %+v, want one batch of 3 and no failed batch", s)
	}

	// Alone (the writer idle), the same: the fallback's write is durable.
	err := d.InBatchOr(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := create(ctx, tx, "Toko F (undone)"); err != nil {
			return err
		}
		return errApply
	}, func(ctx context.Context, tx *db.Tx, err error) error { return create(ctx, tx, "Toko G (fallback)") })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := merchantNames(t, d), []string{"Toko A", "Toko C (fallback)", "Toko G (fallback)"}; !slices.Equal(got, want) {
		t.Errorf("merchants = %q, want %q", got, want)
	}
}
