// Package dbtest gives tests a real, migrated SQLite database of their own.
package dbtest

import (
	"path/filepath"
	"testing"
	"time"

	"lapak/db"
)

// New opens a fresh database file in t.TempDir() with every migration applied,
// on the clock now, and closes it when the test ends. Each call gets its own
// file, so tests may run in parallel.
func New(t testing.TB, now func() time.Time) *db.DB {
	t.Helper()
	d, err := db.Open(t.Context(), filepath.Join(t.TempDir(), "lapak-test.db"), now)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
