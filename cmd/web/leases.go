package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"lapak/db"
)

// Background jobs run once across instances (issue 14 §4). Several Lapak
// instances may share one database (behind a load balancer, or an old and a
// new process overlapping during a deploy); each background job runs only
// in the instance holding its lease (db.AcquireLease). The holder renews
// the lease every third of the lease time; an instance that cannot renew
// stops the job itself before its lease can run out; a graceful stop hands
// the lease back at once. When a holder dies, its lease runs out and
// another instance takes the job over within the lease time and one
// renewal interval.
//
// A lease decides who runs the loop; it is not what keeps money right. Every
// change a job makes is a guarded transition (a status moves only from the
// state the job read), so even the brief overlap a stalled holder could
// cause — a renewal that took longer than the lease, clocks far apart —
// cannot apply anything twice.

// The jobs, by lease name.
const (
	jobResolver      = "resolver"       // unknown/pending invoices and withdrawals (money.RunResolver)
	jobStatementSync = "statement-sync" // Netzme statements (money.RunStatementSync)
	jobCallbackSweep = "callback-sweep" // callbacks left "received" (sweepCallbacks)
	jobHousekeeping  = "housekeeping"   // expired sessions, planner statistics (housekeeping)
)

// Intervals of the jobs started here.
const (
	resolverEvery      = 15 * time.Second
	callbackSweepEvery = time.Minute
	sessionSweepEvery  = 5 * time.Minute
)

// holderID names this instance in the leases: host, process id and a random
// part, so that a restarted process that got its old pid back (a
// container's pid 1) is still a new holder.
func holderID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// leaser runs jobs under leases for one holder.
type leaser struct {
	db     *db.DB
	holder string
	ttl    time.Duration    // how long a taken or renewed lease lasts
	every  time.Duration    // renewal and retry interval: ttl/3
	now    func() time.Time // the db's clock: a lease's end is on it
	log    *slog.Logger
}

func newLeaser(d *db.DB, holder string, ttl time.Duration, now func() time.Time, log *slog.Logger) *leaser {
	return &leaser{db: d, holder: holder, ttl: ttl, every: ttl / 3, now: now, log: log}
}

// run runs job while this instance holds lease name, until ctx is done: it
// tries to take the lease every l.every; once it holds it, job runs with a
// context that ends when the lease is lost (or ctx ends), and run waits for
// job to return before it tries again, so one instance never runs two
// copies. When ctx ends, run stops the job, waits for it and releases the
// lease. A job that returns by itself gives the lease back and is started
// again at the next take.
func (l *leaser) run(ctx context.Context, name string, job func(context.Context)) {
	t := time.NewTicker(l.every)
	defer t.Stop()
	failing := false
	for {
		lease, ok, err := l.take(ctx, name)
		switch {
		case err != nil && ctx.Err() == nil:
			if !failing {
				l.log.Warn("job lease: cannot reach the database; retrying", "job", name, "err", err)
			}
			failing = true
		case ok:
			failing = false
			l.hold(ctx, name, lease.ExpiresAt, job, t.C)
		default:
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// take takes or renews lease name, giving the database at most one renewal
// interval to answer.
func (l *leaser) take(ctx context.Context, name string) (db.Lease, bool, error) {
	tctx, cancel := context.WithTimeout(ctx, l.every)
	defer cancel()
	return l.db.AcquireLease(tctx, name, l.holder, l.ttl)
}

// hold runs job on lease name, taken until until, and renews the lease at
// every tick. It returns once job has returned, after releasing the lease:
// when ctx ends, when another instance holds the lease, or when renewals
// fail for so long that the lease could run out before the next try.
func (l *leaser) hold(ctx context.Context, name string, until time.Time, job func(context.Context), tick <-chan time.Time) {
	l.log.Info("job lease taken: running the job here", "job", name, "holder", l.holder)
	jctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		job(jctx)
	}()
	defer func() {
		stop()
		<-done
		// Hand the lease back (a no-op when another instance holds it), so
		// a graceful stop does not leave the job idle for a lease time.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.every)
		defer cancel()
		if err := l.db.ReleaseLease(rctx, name, l.holder); err != nil {
			l.log.Debug("job lease: release failed; it runs out by itself", "job", name, "err", err)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-tick:
		}
		lease, ok, err := l.take(ctx, name)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && ok:
			until = lease.ExpiresAt
		case err == nil:
			l.log.Warn("job lease lost to another instance: stopping the job", "job", name, "holder", lease.Holder)
			return
		case !l.now().Add(l.every).Before(until):
			// The next try would come too late: stop now, while the lease
			// still holds, so no other instance starts the job while this
			// one still runs it.
			l.log.Warn("job lease not renewed in time: stopping the job", "job", name, "err", err)
			return
		default:
			l.log.Warn("job lease renewal failed; retrying", "job", name, "err", err)
		}
	}
}

// startJobs starts every background job under its lease and returns the
// function that stops them and waits until each has stopped and handed its
// lease back (call it before the database closes).
func (a *app) startJobs(ctx context.Context) (stop func()) {
	l := newLeaser(a.db, a.holder, a.cfg.LeaseTTL, a.now, a.log)
	a.log.Info("background jobs run under leases", "holder", a.holder, "lease_ttl", a.cfg.LeaseTTL)
	jobs := []struct {
		name string
		run  func(context.Context)
	}{
		// Start-up pass over unknown/pending withdrawals and unknown
		// invoices, then a poller; new withdrawals stay blocked per
		// merchant until theirs is resolved.
		{jobResolver, func(ctx context.Context) { a.money.RunResolver(ctx, resolverEvery) }},
		// Netzme's statements: runs a stopped holder left are resumed, runs
		// asked for on any instance are executed, every merchant is synced
		// every LAPAK_SYNC_EVERY.
		{jobStatementSync, func(ctx context.Context) { a.money.RunStatementSync(ctx, a.cfg.SyncEvery) }},
		{jobCallbackSweep, func(ctx context.Context) { a.sweepCallbacks(ctx, callbackSweepEvery) }},
		{jobHousekeeping, a.housekeeping},
	}
	jctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() { l.run(jctx, j.name, j.run) })
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// sweepCallbacks applies the callbacks left "received" every interval: a
// callback that lost a race with its duplicate, or whose failure could not
// be recorded, is settled within a minute instead of at the next start of
// some instance (money.ApplyReceivedCallbacks is idempotent).
func (a *app) sweepCallbacks(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := a.money.ApplyReceivedCallbacks(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("callback sweep", "err", err)
		} else if n > 0 {
			a.log.Info("callback sweep: applied callbacks left received", "count", n)
		}
	}
}

// housekeeping deletes expired sessions every sessionSweepEvery and
// refreshes the planner statistics at once and then every optimizeEvery
// (runOptimize).
func (a *app) housekeeping(ctx context.Context) {
	sessions := db.NewSessionStore(a.db, 0)
	t := time.NewTicker(sessionSweepEvery)
	defer t.Stop()
	next := a.now()
	for {
		if now := a.now(); !now.Before(next) {
			a.optimize(ctx)
			next = now.Add(optimizeEvery)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := sessions.DeleteExpired(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("delete expired sessions", "err", err) // the next sweep tries again
		}
	}
}
