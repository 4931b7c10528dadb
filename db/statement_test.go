package db_test

import (
	"testing"
	"time"

	"lapak/db"
)

// A statement line is kept as Netzme sent it: the same entry read again is
// not stored twice, a changed entry is a new version beside the old, and
// nothing is updated or deleted. The day's cursor moves with each page.
func TestStatementLinesAreVersionedAndKept(t *testing.T) {
	d, m := ledgerDB(t)
	ctx := t.Context()
	const day = "2026-03-10"
	if _, err := d.StartStatementDay(ctx, m.ID, db.SourceSales, day); err != nil {
		t.Fatal(err)
	}
	line := db.NewStatementLine{NetzmeID: "TRX-1", Type: "PAYMENT", Status: "SUCCESS", AmountMinor: 10_000,
		OccurredAt: time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC), Raw: `{"amount":{"value":"100.00"}}`}
	for i, want := range []int{1, 0} {
		n, err := d.StoreStatementPage(ctx, m.ID, db.SourceSales, day, 1+i, []db.NewStatementLine{line}, false)
		if err != nil || n != want {
			t.Fatalf("store %d: %d new, %v; want %d", i, n, err, want)
		}
	}
	changed := line
	changed.FeeMinor, changed.Raw = 70, `{"amount":{"value":"100.00"},"feeAmount":{"value":"0.70"}}`
	if n, err := d.StoreStatementPage(ctx, m.ID, db.SourceSales, day, 3, []db.NewStatementLine{changed}, true); err != nil || n != 1 {
		t.Fatalf("changed entry: %d new, %v", n, err)
	}
	lines, err := d.StatementLines(ctx, m.ID, day)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].Version != 1 || lines[1].Version != 2 || lines[1].FeeMinor != 70 || !lines[0].OccurredAt.Equal(line.OccurredAt) {
		t.Fatalf("lines %+v, want versions 1 and 2", lines)
	}
	st, err := d.StatementDay(ctx, m.ID, db.SourceSales, day)
	if err != nil || st.State != "done" || st.NextPage != 4 || st.Lines != 3 || st.NewLines != 2 || st.SyncedAt.IsZero() {
		t.Errorf("day %+v %v", st, err)
	}
	for _, q := range []string{`UPDATE statement_lines SET amount_minor = 1`, `DELETE FROM statement_lines`} {
		if _, err := d.SQL().ExecContext(ctx, q); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
	// A done day read again starts over at page 1.
	if st, err := d.StartStatementDay(ctx, m.ID, db.SourceSales, day); err != nil || st.NextPage != 1 || st.Lines != 0 || st.State != "pending" {
		t.Errorf("restart of a done day: %+v %v", st, err)
	}
}
