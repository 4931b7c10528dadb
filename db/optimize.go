package db

import (
	"context"
	"fmt"
)

// Optimize runs SQLite's PRAGMA optimize: it refreshes the query planner's
// statistics (sqlite_stat1) of the tables whose size changed much since they
// were last measured, so the planner keeps picking the list indexes as tables
// grow. Mask 0x10002 looks at every table, not only the ones this connection
// has queried, which is what a fresh connection at start-up needs; SQLite
// bounds the work itself (a temporary analysis_limit), so it takes
// milliseconds on a large database and is safe to run while serving. Call it
// at start-up and then periodically (cmd/web: hourly). It writes, so it runs
// where writes run. On PostgreSQL it does nothing: autovacuum keeps the
// planner's statistics (ANALYZE) as tables grow.
func (d *DB) Optimize(ctx context.Context) error {
	if d.dia.postgres {
		return nil
	}
	if _, err := d.w.ExecContext(ctx, `PRAGMA optimize=0x10002`); err != nil {
		return fmt.Errorf("db: optimize: %w", err)
	}
	return nil
}
