package main

import (
	"context"
	"time"
)

// optimizeEvery is how often the planner statistics are refreshed while
// Lapak runs (SQLite's advice for long-lived connections: at open, then
// every few hours at most).
const optimizeEvery = time.Hour

// runOptimize runs db.Optimize once at start-up — in the background, so a
// large database does not delay the first request — and then every interval
// until ctx is done. A failure is logged and tried again next time: stale
// statistics make queries slower, never wrong.
func (a *app) runOptimize(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		start := time.Now()
		if err := a.db.Optimize(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			a.log.Warn("optimize database", "err", err)
		} else {
			a.log.Debug("optimized database", "took", time.Since(start))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
