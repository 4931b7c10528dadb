package db_test

import (
	"testing"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

// The reconciliation's backlog (what the pass has not read yet) counts on
// both engines: nothing on a fresh database, then each ledger transaction
// written since.
func TestReconBacklogCountsOnBothEngines(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		now := clocktest.Base(t)
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		if n, err := d.ReconBacklog(ctx); err != nil || n != 0 {
			t.Fatalf("fresh backlog = %d, %v; want 0", n, err)
		}
		m, err := d.CreateMerchant(ctx, db.NewMerchant{Name: "Warung Antre"})
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"sale:1", "sale:2", "sale:3"} {
			err := d.InTx(ctx, func(tx *db.Tx) error {
				_, _, err := tx.PostLedger(ctx, db.LedgerEntry{MerchantID: m.ID, Key: key, Kind: db.KindSale, AmountMinor: 2_500_000,
					OccurredAt: now, Actor: db.ActorSystem, Postings: []db.Posting{
						{Account: db.AccountNetzmeBalance, AmountMinor: 2_500_000}, {Account: db.AccountIncomeSales, AmountMinor: -2_500_000}}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if n, err := d.ReconBacklog(ctx); err != nil || n != 3 {
			t.Errorf("backlog after 3 sales = %d, %v; want 3", n, err)
		}
	})
}
