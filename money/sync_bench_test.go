package money_test

import (
	"fmt"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/netzme/sandbox"
)

// BenchmarkSyncYear syncs 365 sandbox days into a fresh Lapak database per
// iteration and reports days/s and lines/s, for a small shop (24 lines a
// day) and a busy one (2 740 a day: a million lines a year) at the
// sandbox's page size and at 100 a page:
//
//	go test ./money -run '^$' -bench SyncYear -benchtime 1x
func BenchmarkSyncYear(b *testing.B) {
	for _, c := range []struct{ perDay, pageSize int }{{24, 10}, {2740, 10}, {2740, 100}} {
		b.Run(fmt.Sprintf("lines_per_day=%d/page_size=%d", c.perDay, c.pageSize), func(b *testing.B) {
			e := newSyncEnv(b, c.pageSize)
			var ms []sandbox.Movement
			for d := 365; d >= 1; d-- {
				day := e.today.AddDate(0, 0, -d)
				step := 24 * time.Hour / time.Duration(c.perDay)
				for i := range c.perDay {
					ms = append(ms, sandbox.Movement{Kind: sandbox.MoveStaticQRIS, At: day.Add(time.Duration(i) * step), AmountMinor: int64(1_000_000 + i)})
				}
			}
			if err := e.sb.Sandbox.SeedHistory(b.Context(), e.m.NetzmeCustID, ms); err != nil {
				b.Fatal(err)
			}
			from, to := e.today.AddDate(0, 0, -365), e.today.AddDate(0, 0, -1)
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				e.db = dbtest.New(b, e.clock.Now)
				var err error
				if e.m, err = e.db.CreateMerchant(b.Context(), db.NewMerchant{Name: "Toko", NetzmeCustID: e.m.NetzmeCustID}); err != nil {
					b.Fatal(err)
				}
				e.actor.MerchantID = e.m.ID
				svc := e.service(b)
				b.StartTimer()
				start := time.Now()
				if err := svc.SyncStatements(b.Context(), e.actor, from, to); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				if run := e.current(b); run.Lines != len(ms) || run.DaysDone != 365 {
					b.Fatalf("run = %+v", run)
				}
			}
			b.ReportMetric(float64(365*b.N)/elapsed.Seconds(), "days/s")
			b.ReportMetric(float64(len(ms)*b.N)/elapsed.Seconds(), "lines/s")
		})
	}
}
