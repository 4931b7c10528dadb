package db

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"lapak/internal/clocktest"
)

// A search too broad to sum row by row says so instead of summing part of
// it; a narrower one is summed, and agrees with its rows.
func TestHistoryTotalsOfABroadSearchAreCapped(t *testing.T) {
	ctx := context.Background()
	now := clocktest.Base(t)
	d, err := Open(ctx, filepath.Join(t.TempDir(), "capped.db"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	m, err := d.CreateMerchant(ctx, NewMerchant{Name: "Warung A"})
	if err != nil {
		t.Fatal(err)
	}
	seedLedger(t, d, m.ID, HistoryTotalsCap+300, now, time.Minute, "A")
	if tot, err := d.HistoryTotals(ctx, m.ID, HistoryFilter{Query: "TRX"}); err != nil || !tot.Capped {
		t.Errorf("a search matching every sale: %+v, %v; want Capped", tot, err)
	}
	f := HistoryFilter{Query: "gula aren"}
	tot, err := d.HistoryTotals(ctx, m.ID, f)
	if err != nil || tot.Capped {
		t.Fatalf("%+v, %v", tot, err)
	}
	var want HistoryTotals
	for e, err := range d.HistoryRows(ctx, m.ID, f) {
		if err != nil {
			t.Fatal(err)
		}
		want.add(e.AmountMinor, e.FeeMinor)
	}
	if tot != want || want.InMinor == 0 {
		t.Errorf("totals %+v, the rows' %+v", tot, want)
	}
}
