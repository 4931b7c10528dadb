package db_test

import (
	"strconv"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

// BenchmarkPostLedger measures one sale booked (transaction, three postings,
// three checkpoints, the daily total) in batches of 100 per database
// transaction, and that reading a balance stays one row however long the
// journal grows.
func BenchmarkPostLedger(b *testing.B) {
	d := dbtest.New(b, clocktest.Fixed(b))
	m, err := d.CreateMerchant(b.Context(), db.NewMerchant{Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	at := clocktest.Base(b)
	b.ResetTimer()
	for i := 0; i < b.N; i += 100 {
		err := d.InTx(b.Context(), func(tx *db.Tx) error {
			for j := i; j < i+100 && j < b.N; j++ {
				e := sale(m, "bench:"+strconv.Itoa(j), 10_000+int64(j%1000), 70, at.Add(-time.Duration(j)*time.Minute))
				if _, _, err := tx.PostLedger(b.Context(), e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	start := time.Now()
	if _, err := d.LedgerBalance(b.Context(), m.ID, db.AccountNetzmeBalance); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds()), "µs/balance-read")
}
