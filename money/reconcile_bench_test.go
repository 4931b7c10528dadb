package money_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
	"lapak/money"
	"lapak/snap"
)

// BenchmarkReconcile measures the pass over a journal of n static-QRIS
// sales (LAPAK_RECON_BENCH_N, default 20 000) a minute apart, with Netzme's
// line for every second one — the first pass of a shop upgraded with its
// history — and then what a page view costs on top of it: the pass with
// nothing to do, the first page of pairings, the next page, and the
// balance proof. Figures are per run of one machine; compare ratios.
func BenchmarkReconcile(b *testing.B) {
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("LAPAK_RECON_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	ctx := b.Context()
	now := clocktest.Base(b)
	d := dbtest.New(b, func() time.Time { return now })
	m, err := d.CreateMerchant(ctx, db.NewMerchant{Name: "Warung Besar", NetzmeCustID: "M_BENCH"})
	if err != nil {
		b.Fatal(err)
	}
	start := now.Add(-time.Duration(n) * time.Minute)
	lines := map[string][]db.StatementLine{}
	for i := 0; i < n; i += 1000 {
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for j := i; j < i+1000 && j < n; j++ {
				at := start.Add(time.Duration(j) * time.Minute)
				amount, fee := int64(1_000_000+100*(j%500)), int64(7_000)
				rrn, date := fmt.Sprintf("R%011d", j), at.In(snap.Jakarta).Format("20060102")
				e := db.LedgerEntry{MerchantID: m.ID, Key: "qris:" + rrn + "|" + date + "|93600814", Kind: db.KindSale,
					Method: money.MethodStaticQRIS, AmountMinor: amount, FeeMinor: fee, SourceTable: db.SourcePayments, SourceID: int64(j + 1),
					Reference: rrn, ExternalID: strconv.Itoa(j), OccurredAt: at, Actor: db.ActorNetzme,
					Postings: []db.Posting{{Account: db.AccountNetzmeBalance, AmountMinor: amount - fee},
						{Account: db.AccountExpenseMDR, AmountMinor: fee}, {Account: db.AccountIncomeSales, AmountMinor: -amount}}}
				if _, _, err := tx.PostLedger(ctx, e); err != nil {
					return err
				}
				if j%2 == 0 {
					id := rrn + date + "93600814"
					raw, _ := json.Marshal(map[string]any{"transactionId": id})
					day := at.In(snap.Jakarta).Format(time.DateOnly)
					lines[day] = append(lines[day], db.StatementLine{NetzmeID: id, OccurredAt: at, Type: "PAYMENT", Status: "SUCCESS",
						Method: "QRIS", AmountMinor: amount, TotalMinor: amount, FeeMinor: fee, Raw: string(raw)})
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for day, ls := range lines {
		for p := 0; p*500 < len(ls); p++ {
			page := ls[p*500 : min((p+1)*500, len(ls))]
			if _, err := d.RecordStatementPage(ctx, db.StatementPage{MerchantID: m.ID, Source: db.SourceSales, Day: day, Page: p + 1, Lines: page}, false); err != nil {
				b.Fatal(err)
			}
		}
	}
	svc := money.New(money.Deps{DB: d, Now: func() time.Time { return now }})
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if _, err := d.SQL().ExecContext(ctx, `DROP TRIGGER IF EXISTS recon_items_no_delete`); err == nil {
			d.SQL().ExecContext(ctx, `DELETE FROM recon_items`)
		}
		d.SQL().ExecContext(ctx, `UPDATE recon_state SET ledger_after = 0, line_after = 0, opening_after = 0, days_checked_at = ''`)
		b.StartTimer()
		t0 := time.Now()
		r, err := svc.Reconcile(ctx)
		if err != nil {
			b.Fatal(err)
		}
		pass := time.Since(t0)
		if r.Ledger != n || r.Lines != n/2 {
			b.Fatalf("pass read %+v, want %d and %d", r, n, n/2)
		}
		b.ReportMetric(float64(n)/pass.Seconds(), "ledger-tx/s")
	}
	b.StopTimer()
	// A page view: the pass with nothing to do, two pages, the proof.
	view := func() time.Duration {
		t0 := time.Now()
		if _, err := svc.ReconcileSome(ctx, 2000); err != nil {
			b.Fatal(err)
		}
		p, err := d.ReconItems(ctx, m.ID, db.ReconFilter{}, "", 50)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.ReconItems(ctx, m.ID, db.ReconFilter{Outcome: db.OutcomeWaiting}, p.Next, 50); err != nil {
			b.Fatal(err)
		}
		for _, o := range db.ReconOutcomes {
			if _, err := d.CountReconItems(ctx, m.ID, db.ReconFilter{Outcome: o}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := svc.BalanceProof(ctx, m.ID, 5); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	view()
	var best time.Duration
	for i := range 5 {
		if t := view(); i == 0 || t < best {
			best = t
		}
	}
	b.ReportMetric(float64(best.Microseconds())/1000, "ms/page-view")
}
