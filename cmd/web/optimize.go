package main

import (
	"context"
	"time"
)

// optimizeEvery is how often the planner statistics are refreshed while
// Lapak runs (SQLite's advice for long-lived connections: at open, then
// every few hours at most).
const optimizeEvery = time.Hour

// optimize runs db.Optimize once. The housekeeping job calls it when it
// takes its lease — in the background, so a large database does not delay
// the first request — and then every optimizeEvery. A failure is logged and
// tried again next time: stale statistics make queries slower, never wrong.
func (a *app) optimize(ctx context.Context) {
	start := time.Now()
	if err := a.db.Optimize(ctx); err != nil {
		if ctx.Err() == nil {
			a.log.Warn("optimize database", "err", err)
		}
		return
	}
	a.log.Debug("optimized database", "took", time.Since(start))
}
