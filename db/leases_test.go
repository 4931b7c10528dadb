package db_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"lapak/db"
	"lapak/internal/clocktest"
)

// leaseClock is a clock the test moves by hand, shared by the instances of
// a test as NTP-synced hosts share the time.
type leaseClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *leaseClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *leaseClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// twoInstances opens the same database file twice, as two Lapak instances
// would, on one hand-moved clock.
func twoInstances(t *testing.T) (a, b *db.DB, clock *leaseClock) {
	t.Helper()
	clock = &leaseClock{t: clocktest.Base(t)}
	path := filepath.Join(t.TempDir(), "shared.db")
	open := func() *db.DB {
		d, err := db.Open(t.Context(), path, clock.now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	return open(), open(), clock
}

const leaseTTL = 15 * time.Second

func acquire(t *testing.T, d *db.DB, holder string) (db.Lease, bool) {
	t.Helper()
	l, ok, err := d.AcquireLease(t.Context(), "resolver", holder, leaseTTL)
	if err != nil {
		t.Fatalf("%s: acquire: %v", holder, err)
	}
	return l, ok
}

// Two instances on one database: the first to ask holds the lease, the
// second is told who does, and renewals keep it with the first.
func TestLeaseOneHolderAtATime(t *testing.T) {
	a, b, clock := twoInstances(t)
	t0 := clock.now()
	l, ok := acquire(t, a, "web-1")
	if !ok || l.Holder != "web-1" || !l.AcquiredAt.Equal(t0) || !l.ExpiresAt.Equal(t0.Add(leaseTTL)) {
		t.Fatalf("first acquire = %+v, %v; want web-1 holding until %v", l, ok, t0.Add(leaseTTL))
	}
	if l, ok := acquire(t, b, "web-2"); ok || l.Holder != "web-1" {
		t.Fatalf("second instance got %+v, %v; want refused, naming web-1", l, ok)
	}
	// web-1 renews every few seconds; web-2 keeps asking and keeps losing.
	for range 10 {
		clock.advance(5 * time.Second)
		if l, ok := acquire(t, a, "web-1"); !ok || !l.AcquiredAt.Equal(t0) || !l.ExpiresAt.Equal(clock.now().Add(leaseTTL)) {
			t.Fatalf("renewal at %v = %+v, %v; want held since %v until +ttl", clock.now(), l, ok, t0)
		}
		if _, ok := acquire(t, b, "web-2"); ok {
			t.Fatalf("web-2 took a lease web-1 renewed 0 s ago")
		}
	}
	// Someone else's release does nothing.
	if err := b.ReleaseLease(t.Context(), "resolver", "web-2"); err != nil {
		t.Fatal(err)
	}
	if _, ok := acquire(t, b, "web-2"); ok {
		t.Fatal("web-2 released web-1's lease")
	}
	ls, err := b.Leases(t.Context())
	if err != nil || len(ls) != 1 || !ls[0].HeldBy("web-1", clock.now()) || ls[0].HeldBy("web-2", clock.now()) {
		t.Fatalf("leases = %+v, %v; want one, held by web-1", ls, err)
	}
}

// A holder that stops renewing (it died) loses the lease exactly when it
// runs out, not before; the other instance takes it then, and the old
// holder, if it comes back, learns that it lost it.
func TestLeaseTakenOverWhenHolderStopsRenewing(t *testing.T) {
	a, b, clock := twoInstances(t)
	if _, ok := acquire(t, a, "web-1"); !ok {
		t.Fatal("web-1 could not take a free lease")
	}
	clock.advance(leaseTTL - time.Microsecond)
	if _, ok := acquire(t, b, "web-2"); ok {
		t.Fatal("web-2 took the lease before it ran out")
	}
	clock.advance(time.Microsecond)
	l, ok := acquire(t, b, "web-2")
	if !ok || l.Holder != "web-2" || !l.AcquiredAt.Equal(clock.now()) {
		t.Fatalf("after the lease ran out web-2 got %+v, %v; want it, acquired now", l, ok)
	}
	// web-1 wakes up and tries to renew: refused, told web-2 holds it.
	if l, ok := acquire(t, a, "web-1"); ok || l.Holder != "web-2" {
		t.Fatalf("late renewal by web-1 = %+v, %v; want refused, naming web-2", l, ok)
	}
	// Taking back its own expired lease starts a new tenure.
	clock.advance(leaseTTL)
	if l, ok := acquire(t, a, "web-1"); !ok || !l.AcquiredAt.Equal(clock.now()) {
		t.Fatalf("web-1 retaking an expired lease = %+v, %v; want a new tenure from now", l, ok)
	}
}

// A graceful stop releases the lease: the other instance takes the job at
// its next try, without waiting for the lease time.
func TestLeaseReleaseHandsOverAtOnce(t *testing.T) {
	a, b, clock := twoInstances(t)
	acquire(t, a, "web-1")
	clock.advance(time.Second)
	if err := a.ReleaseLease(t.Context(), "resolver", "web-1"); err != nil {
		t.Fatal(err)
	}
	if l, ok := acquire(t, b, "web-2"); !ok || l.Holder != "web-2" {
		t.Fatalf("after the release web-2 got %+v, %v", l, ok)
	}
	// Releasing a lease one no longer holds changes nothing.
	if err := a.ReleaseLease(t.Context(), "resolver", "web-1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := acquire(t, a, "web-1"); ok {
		t.Fatal("web-1's stale release freed web-2's lease")
	}
}

// Many holders on two connections racing for one free lease at the same
// instant: exactly one wins, and every loser is told who did.
func TestLeaseRaceHasOneWinner(t *testing.T) {
	a, b, _ := twoInstances(t)
	const racers = 16
	var wg sync.WaitGroup
	won := make(chan string, racers)
	lost := make(chan string, racers)
	for i := range racers {
		d := a
		if i%2 == 1 {
			d = b
		}
		holder := "web-" + string(rune('a'+i))
		wg.Go(func() {
			l, ok, err := d.AcquireLease(t.Context(), "statement-sync", holder, leaseTTL)
			switch {
			case err != nil:
				t.Errorf("%s: %v", holder, err)
			case ok:
				won <- holder
			default:
				lost <- l.Holder
			}
		})
	}
	wg.Wait()
	close(won)
	close(lost)
	var winners []string
	for h := range won {
		winners = append(winners, h)
	}
	if len(winners) != 1 {
		t.Fatalf("winners = %v, want exactly one", winners)
	}
	for h := range lost {
		if h != winners[0] {
			t.Errorf("a loser was told %q holds the lease, want %q", h, winners[0])
		}
	}
}

func TestLeaseNeedsNameHolderAndTTL(t *testing.T) {
	a, _, _ := twoInstances(t)
	for _, tc := range []struct {
		name, holder string
		ttl          time.Duration
	}{{"", "web-1", time.Second}, {"resolver", "", time.Second}, {"resolver", "web-1", 0}} {
		if _, ok, err := a.AcquireLease(t.Context(), tc.name, tc.holder, tc.ttl); err == nil || ok {
			t.Errorf("AcquireLease(%q, %q, %v) = %v, %v; want an error", tc.name, tc.holder, tc.ttl, ok, err)
		}
	}
}
