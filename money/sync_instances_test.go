package money_test

import (
	"context"
	"testing"
	"time"

	"lapak/db"
	"lapak/money"
)

// Several Lapak instances share one database and only the one holding the
// sync's lease runs the runner: a sync an owner asks for on another instance
// (whose poke wakes nobody) is still found and run, within PollEvery.
func TestSyncRequestedOnAnotherInstanceRuns(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t, 5, func(o *money.SyncOptions) { o.PollEvery = 50 * time.Millisecond })
	seeded := e.seedDays(t, 2, 3)
	ctx := t.Context()

	// The runner on this instance is idle: its first scheduled pass is a
	// minute away, its interval an hour.
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); e.svc.RunStatementSync(rctx, time.Hour) }()
	defer func() { stop(); <-done }()

	owner := money.Actor{MerchantID: e.m.ID}
	waitDone := func(what string) db.SyncRun {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if run := e.current(t); run.Status == db.SyncDone {
				return run
			} else if time.Now().After(deadline) {
				t.Fatalf("%s never ran: %+v", what, run)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// A sync asked for here wakes the runner here; once it is done the
	// runner waits again.
	if _, err := e.svc.RequestSync(ctx, owner, e.today, e.today); err != nil {
		t.Fatal(err)
	}
	first := waitDone("the sync asked for on this instance")

	other := e.service(t) // the instance the owner's browser reached next
	run, err := other.RequestSync(ctx, owner, e.today.AddDate(0, 0, -2), e.today)
	if err != nil {
		t.Fatal(err)
	}
	if run.ID == first.ID {
		t.Fatalf("the second request returned the first run %d", run.ID)
	}
	if got := waitDone("the sync asked for on the other instance"); got.ID != run.ID || got.Lines != len(seeded) {
		t.Errorf("run = %+v, want run %d with %d lines", got, run.ID, len(seeded))
	}
}
