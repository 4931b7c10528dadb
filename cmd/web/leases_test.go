package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"lapak/db"
	"lapak/internal/clocktest"
)

// The lease time of these tests: short, so a takeover takes a second or
// two, and long enough that a renewal (one write) fits in a third of it on
// a busy shared machine.
const testLeaseTTL = 1500 * time.Millisecond

// leaseSlack is what scheduling on a loaded machine may add to a bound.
const leaseSlack = time.Second

// jobRecord is what a leased test job did: when each instance started and
// stopped it, and how many instances ran it at once at most.
type jobRecord struct {
	mu      sync.Mutex
	now     func() time.Time
	running map[string]bool
	most    int
	started map[string][]time.Time
	stopped map[string][]time.Time
}

func newJobRecord(now func() time.Time) *jobRecord {
	return &jobRecord{now: now, running: map[string]bool{}, started: map[string][]time.Time{}, stopped: map[string][]time.Time{}}
}

// job is the job as instance holder runs it: it works until its context
// ends.
func (r *jobRecord) job(holder string) func(context.Context) {
	return func(ctx context.Context) {
		r.mu.Lock()
		r.running[holder] = true
		r.started[holder] = append(r.started[holder], r.now())
		n := 0
		for _, on := range r.running {
			if on {
				n++
			}
		}
		r.most = max(r.most, n)
		r.mu.Unlock()
		<-ctx.Done()
		r.mu.Lock()
		r.running[holder] = false
		r.stopped[holder] = append(r.stopped[holder], r.now())
		r.mu.Unlock()
	}
}

func (r *jobRecord) state(holder string) (running bool, starts, stops []time.Time, most int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[holder], append([]time.Time(nil), r.started[holder]...), append([]time.Time(nil), r.stopped[holder]...), r.most
}

// instance is one Lapak instance's leaser on the shared database.
type instance struct {
	holder string
	db     *db.DB
	cancel context.CancelFunc
	done   chan struct{}
}

// leaseInstance opens the database file at path once per holder (as
// separate processes would) on one clock, for leased-job tests.
func leaseInstance(t *testing.T, path, holder string, now func() time.Time) *instance {
	t.Helper()
	d, err := db.Open(t.Context(), path, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return &instance{holder: holder, db: d}
}

// start runs rec's job under lease "resolver" on in until in.stop.
func (in *instance) start(rec *jobRecord, now func() time.Time) {
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel, in.done = cancel, make(chan struct{})
	l := newLeaser(in.db, in.holder, testLeaseTTL, now, slog.New(slog.DiscardHandler))
	go func() { defer close(in.done); l.run(ctx, jobResolver, rec.job(in.holder)) }()
}

// stop ends the instance's leaser (a graceful stop) and waits for it.
func (in *instance) stop(t *testing.T) {
	t.Helper()
	in.cancel()
	select {
	case <-in.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: leaser did not stop", in.holder)
	}
}

// waitUntil polls cond until it holds or d has passed on the wall clock.
func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two instances on one database run a leased job: one runs it, the other
// never does while the first renews; a graceful stop hands it over at the
// other's next try.
func TestLeasedJobRunsInOneInstance(t *testing.T) {
	clock := clocktest.Running(t)
	path := filepath.Join(t.TempDir(), "shared.db")
	a := leaseInstance(t, path, "web-1", clock)
	b := leaseInstance(t, path, "web-2", clock)
	rec := newJobRecord(clock)
	a.start(rec, clock)
	waitUntil(t, "web-1 to run the job", 5*time.Second, func() bool { on, _, _, _ := rec.state("web-1"); return on })
	b.start(rec, clock)
	defer b.stop(t)

	// Several lease times: web-1 renews, web-2 keeps asking and losing.
	time.Sleep(2 * testLeaseTTL)
	on1, starts1, _, most := rec.state("web-1")
	_, starts2, _, _ := rec.state("web-2")
	if !on1 || len(starts1) != 1 || len(starts2) != 0 || most != 1 {
		t.Fatalf("after %v: web-1 running %v (started %d times), web-2 started %d times, at most %d at once; want web-1 alone, once",
			2*testLeaseTTL, on1, len(starts1), len(starts2), most)
	}

	stopAt := clock()
	a.stop(t)
	waitUntil(t, "web-2 to take the job over", testLeaseTTL+leaseSlack, func() bool { on, _, _, _ := rec.state("web-2"); return on })
	_, _, stops1, _ := rec.state("web-1")
	_, starts2, _, most = rec.state("web-2")
	if len(stops1) != 1 || starts2[0].Before(stops1[0]) || most != 1 {
		t.Errorf("web-1 stopped at %v, web-2 started at %v, at most %d at once: the job ran twice", stops1, starts2, most)
	}
	// Released, not left to run out: web-2 took it at its next try.
	if wait := starts2[0].Sub(stopAt); wait > testLeaseTTL/3+leaseSlack {
		t.Errorf("web-2 took the released job over after %v, want within one renewal interval (%v)", wait, testLeaseTTL/3)
	}
	if ls, err := b.db.Leases(t.Context()); err != nil || len(ls) != 1 || ls[0].Holder != "web-2" {
		t.Errorf("leases = %+v, %v; want the resolver's, held by web-2", ls, err)
	}
}

// An instance that dies (no renewal, no release) loses the job when its
// lease runs out, and the other takes it over then: not before, and
// within the lease time and one renewal interval.
func TestLeasedJobTakenOverWhenHolderDies(t *testing.T) {
	clock := clocktest.Running(t)
	path := filepath.Join(t.TempDir(), "shared.db")
	a := leaseInstance(t, path, "web-1", clock)
	b := leaseInstance(t, path, "web-2", clock)
	rec := newJobRecord(clock)
	a.start(rec, clock)
	waitUntil(t, "web-1 to run the job", 5*time.Second, func() bool { on, _, _, _ := rec.state("web-1"); return on })
	b.start(rec, clock)
	defer b.stop(t)
	time.Sleep(testLeaseTTL / 2)

	// web-1 dies: its database handle goes first (no renewal, no
	// release can reach the database), then the process.
	ls, err := b.db.Leases(t.Context())
	if err != nil || len(ls) != 1 || ls[0].Holder != "web-1" {
		t.Fatalf("leases = %+v, %v; want web-1's", ls, err)
	}
	diedAt := clock()
	a.db.Close()
	a.stop(t)

	waitUntil(t, "web-2 to take the job over", 2*testLeaseTTL+leaseSlack, func() bool { on, _, _, _ := rec.state("web-2"); return on })
	_, starts2, _, _ := rec.state("web-2")
	if starts2[0].Before(ls[0].ExpiresAt) {
		t.Errorf("web-2 started at %v, before web-1's lease ran out at %v", starts2[0], ls[0].ExpiresAt)
	}
	if took := starts2[0].Sub(diedAt); took > testLeaseTTL+testLeaseTTL/3+leaseSlack {
		t.Errorf("web-2 took over %v after web-1 died, want within the lease time and one renewal (%v)", took, testLeaseTTL+testLeaseTTL/3)
	}
}

// An instance cut off from the database (it cannot renew, nobody tells it
// that it lost) stops the job by itself while its lease still holds, so the
// instance that takes over never runs it at the same time.
func TestLeasedJobStopsWhenLeaseCannotBeRenewed(t *testing.T) {
	clock := clocktest.Running(t)
	path := filepath.Join(t.TempDir(), "shared.db")
	a := leaseInstance(t, path, "web-1", clock)
	b := leaseInstance(t, path, "web-2", clock)
	rec := newJobRecord(clock)
	a.start(rec, clock)
	defer a.stop(t)
	waitUntil(t, "web-1 to run the job", 5*time.Second, func() bool { on, _, _, _ := rec.state("web-1"); return on })
	b.start(rec, clock)
	defer b.stop(t)

	ls, err := b.db.Leases(t.Context())
	if err != nil || len(ls) != 1 {
		t.Fatalf("leases = %+v, %v", ls, err)
	}
	cutAt := clock()
	a.db.Close() // web-1 keeps running, but every renewal fails

	waitUntil(t, "web-1 to stop the job", testLeaseTTL+leaseSlack, func() bool { on, _, _, _ := rec.state("web-1"); return !on })
	waitUntil(t, "web-2 to take the job over", 2*testLeaseTTL+leaseSlack, func() bool { on, _, _, _ := rec.state("web-2"); return on })
	_, _, stops1, most := rec.state("web-1")
	_, starts2, _, _ := rec.state("web-2")
	if most != 1 || starts2[0].Before(stops1[0]) {
		t.Errorf("web-1 stopped at %v, web-2 started at %v (at most %d at once): both ran it", stops1[0], starts2[0], most)
	}
	// web-1 stopped before the lease it last renewed ran out (it renewed
	// at the latest just before the cut).
	if limit := cutAt.Add(testLeaseTTL); !stops1[0].Before(limit) {
		t.Errorf("web-1 stopped at %v, not before its lease ran out (%v at the latest)", stops1[0], limit)
	}
}

// The job leases of a whole app: two apps started on one database file
// share the four jobs out, each job in one app; stopping the app that holds
// them hands every job to the other.
func TestLeasesTwoAppsOneDatabase(t *testing.T) {
	dir := t.TempDir()
	clock := clocktest.Running(t)
	env := func(name string) map[string]string {
		return map[string]string{
			"LAPAK_DB":         filepath.Join(dir, "lapak.db"),
			"LAPAK_SANDBOX_DB": filepath.Join(dir, name+"-sandbox.db"),
			"LAPAK_LEASE_TTL":  "1s",
		}
	}
	first := startTestAppOn(t, env("first"), clock)
	jobs := []string{jobCallbackSweep, jobHousekeeping, jobResolver, jobStatementSync}
	heldBy := func(d *db.DB, holder string) int {
		ls, err := d.Leases(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range ls {
			if l.HeldBy(holder, clock()) {
				n++
			}
		}
		return n
	}
	waitUntil(t, "the first app to hold every job", 5*time.Second, func() bool { return heldBy(first.db, first.holder) == len(jobs) })
	second := startTestAppOn(t, env("second"), clock)
	if first.holder == second.holder {
		t.Fatalf("two instances share the holder id %q", first.holder)
	}
	time.Sleep(2 * time.Second)
	if n := heldBy(second.db, second.holder); n != 0 {
		t.Fatalf("the second app holds %d jobs the first one renews", n)
	}
	first.stop(t)
	waitUntil(t, "the second app to take every job over", 1*time.Second+leaseSlack, func() bool { return heldBy(second.db, second.holder) == len(jobs) })
	ls, err := second.db.Leases(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.Name)
	}
	if len(names) != len(jobs) {
		t.Errorf("leases %v, want %v", names, jobs)
	}
	for i := range min(len(names), len(jobs)) {
		if names[i] != jobs[i] {
			t.Errorf("leases %v, want %v", names, jobs)
			break
		}
	}
}
