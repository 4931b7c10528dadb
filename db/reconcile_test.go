package db

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lapak/internal/clocktest"
)

// The reconciliation's reads seek their indexes — every filter of the
// page, its count and export, the pass's look-ups and the balance proof —
// so their cost does not grow with a year of pairings (checked with
// EXPLAIN QUERY PLAN on a fresh and on an analyzed database, as
// TestListQueryPlans does for the other lists).
func TestReconQueryPlans(t *testing.T) {
	ctx := t.Context()
	now := clocktest.Base(t)
	d, err := Open(ctx, filepath.Join(t.TempDir(), "recon.db"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	m, err := d.CreateMerchant(ctx, NewMerchant{Name: "Warung Cocok"})
	if err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	page := func(f ReconFilter) func(context.Context, *DB, string) error {
		return func(ctx context.Context, d *DB, tok string) error {
			if _, err := d.ReconItems(ctx, m.ID, f, tok, 50); err != nil {
				return err
			}
			_, err := d.CountReconItems(ctx, m.ID, f)
			return err
		}
	}
	tkey := formatTime(now.Add(-time.Hour))
	cases := []planCase{
		{name: "all", list: "reconciliation", key: tkey, want: "recon_items_list", call: page(ReconFilter{})},
		{name: "some days", list: "reconciliation", key: tkey, want: "recon_items_list",
			call: page(ReconFilter{From: now.AddDate(0, 0, -7), To: now})},
		{name: "by outcome", list: "reconciliation", key: tkey, want: "recon_items_list_outcome",
			call: page(ReconFilter{Outcome: OutcomeNetzmeOnly})},
		{name: "unresolved", list: "reconciliation", key: tkey, want: "recon_items_list_resolved",
			call: page(ReconFilter{Resolved: &no})},
		{name: "resolved exceptions of some days", list: "reconciliation", key: tkey, want: "recon_items_list_outcome_resolved",
			call: page(ReconFilter{Outcome: OutcomeAmountDiffers, Resolved: &yes, From: now.AddDate(0, 0, -7)})},
		{name: "open exceptions of the proof", want: "recon_items_open", call: func(ctx context.Context, d *DB, _ string) error {
			if _, _, err := d.OpenExceptionSum(ctx, m.ID, WalletSales, now); err != nil {
				return err
			}
			_, err := d.OpenExceptions(ctx, m.ID, WalletSales, now, 5)
			return err
		}},
		{name: "waits that ended", want: "recon_items_wait_until", call: func(ctx context.Context, d *DB, _ string) error {
			return d.InTx(ctx, func(tx *Tx) error { _, err := tx.WaitingReconItemsDue(ctx, now, 100); return err })
		}},
		{name: "waits of a day read again", want: "recon_items_wait_day", call: func(ctx context.Context, d *DB, _ string) error {
			return d.InTx(ctx, func(tx *Tx) error {
				_, err := tx.WaitingReconItemsOfDay(ctx, m.ID, WalletSales, "2026-01-01")
				return err
			})
		}},
		{name: "journal by Netzme id", want: "ledger_transactions_external", call: func(ctx context.Context, d *DB, _ string) error {
			return d.InTx(ctx, func(tx *Tx) error { _, err := tx.LedgerByExternalID(ctx, m.ID, "TRX-1"); return err })
		}},
		{name: "journal by our reference", want: "ledger_transactions_reference", call: func(ctx context.Context, d *DB, _ string) error {
			return d.InTx(ctx, func(tx *Tx) error { _, err := tx.LedgerByReference(ctx, m.ID, "LPK-1"); return err })
		}},
		{name: "static payments around a line", want: "ledger_transactions_money_in", call: func(ctx context.Context, d *DB, _ string) error {
			return d.InTx(ctx, func(tx *Tx) error {
				_, err := tx.LedgerSalesBetween(ctx, m.ID, "QRIS_STATIC", 2_503_700, now.Add(-time.Hour), now)
				return err
			})
		}},
		{name: "lines by our reference", want: "statement_lines_partner_ref", call: func(ctx context.Context, d *DB, _ string) error {
			return d.InTx(ctx, func(tx *Tx) error { _, err := tx.LinesByPartnerRef(ctx, m.ID, SourceSales, "LPK-1"); return err })
		}},
		{name: "lines around a payment", want: "statement_lines_occurred", call: func(ctx context.Context, d *DB, _ string) error {
			return d.InTx(ctx, func(tx *Tx) error {
				_, err := tx.LinesOfAmountBetween(ctx, m.ID, SourceSales, 2_503_700, now.Add(-time.Hour), now)
				return err
			})
		}},
	}
	check := func(t *testing.T, stage string) {
		for _, tc := range cases {
			t.Run(stage+"/"+tc.name, func(t *testing.T) {
				var queries []string
				var args [][]any
				listQueryHook = func(q string, a []any) { queries, args = append(queries, q), append(args, a) }
				defer func() { listQueryHook = nil }()
				tokens := []string{""}
				if tc.list != "" {
					tokens = append(tokens, Cursor{Key: tc.key, ID: 50}.Encode(tc.list), Cursor{Key: tc.key, ID: 50, Back: true}.Encode(tc.list))
				}
				for _, tok := range tokens {
					if err := tc.call(ctx, d, tok); err != nil {
						t.Fatal(err)
					}
				}
				listQueryHook = nil
				for i, q := range queries {
					plan := explain(t, d, q, args[i])
					if !strings.HasPrefix(q, "SELECT count(*)") && !usesIndex(plan, tc.want) {
						t.Errorf("plan does not use %q:\n%s\n%s", tc.want, q, plan)
					}
					if strings.Contains(plan, "TEMP B-TREE") {
						t.Errorf("plan sorts in a temporary B-tree:\n%s\n%s", q, plan)
					}
				}
				if tc.list != "" && len(queries) == 0 {
					t.Fatal("no statement seen")
				}
			})
		}
	}
	check(t, "fresh")
	seedRecon(t, d, m.ID, 3000, now)
	if err := d.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	check(t, "analyzed")
}

// seedRecon writes n pairings of every outcome, a minute apart.
func seedRecon(t *testing.T, d *DB, merchantID int64, n int, now time.Time) {
	t.Helper()
	err := d.InTx(t.Context(), func(tx *Tx) error {
		for i := range n {
			at := now.Add(-time.Duration(i) * time.Minute)
			it := ReconItem{MerchantID: merchantID, Wallet: WalletSales, LineNetzmeID: fmt.Sprintf("NZ-%06d", i),
				Outcome: ReconOutcomes[i%len(ReconOutcomes)], OccurredAt: at, Day: at.Format(time.DateOnly), HasNetzme: true,
				NetzmeAmountMinor: 100_000, NetzmeNetMinor: 99_300}
			if it.Outcome == OutcomeWaiting {
				it.WaitUntil = at.Add(30 * time.Minute)
			}
			line, err := tx.tx.ExecContext(t.Context(), `INSERT INTO statement_lines (merchant_id, source, netzme_id, day, occurred_at,
				amount_minor, raw, raw_sha256, fetched_at) VALUES (?, 'sales', ?, ?, ?, 100000, '{}', ?, ?)`,
				merchantID, it.LineNetzmeID, it.Day, formatTime(at), strings.Repeat("a", 58)+fmt.Sprintf("%06d", i), formatTime(at))
			if err != nil {
				return err
			}
			if it.LineID, err = line.LastInsertId(); err != nil {
				return err
			}
			if _, err := tx.SaveReconItem(t.Context(), it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A resolved pairing is the database's to keep: never un-resolved,
// re-noted or deleted, whatever the code above does; an unresolved one may
// be deleted (merged into another).
func TestResolvedReconItemIsKept(t *testing.T) {
	ctx := t.Context()
	now := clocktest.Base(t)
	d, err := Open(ctx, filepath.Join(t.TempDir(), "kept.db"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	m, _ := d.CreateMerchant(ctx, NewMerchant{Name: "Warung Tetap"})
	u, _ := d.CreateUser(ctx, NewUser{Email: "p@tetap.test", PasswordHash: "$argon2id$x"})
	seedRecon(t, d, m.ID, 2, now)
	items, err := d.ReconItems(ctx, m.ID, ReconFilter{}, "", 10)
	if err != nil || len(items.Rows) != 2 {
		t.Fatalf("%+v %v", items, err)
	}
	keep, gone := items.Rows[0], items.Rows[1]
	if _, err := d.ResolveReconItem(ctx, m.ID, keep.ID, u.ID, "", 0, AuditEntry{Action: "reconciliation.resolve"}); err == nil {
		t.Error("resolved without a note")
	}
	res, err := d.ResolveReconItem(ctx, m.ID, keep.ID, u.ID, "Sudah dicek", 0, AuditEntry{Action: "reconciliation.resolve", MerchantID: m.ID})
	if err != nil || !res.Resolved || res.ResolvedBy != u.ID {
		t.Fatalf("resolve: %+v %v", res, err)
	}
	if _, err := d.ResolveReconItem(ctx, m.ID, keep.ID, u.ID, "lagi", 0, AuditEntry{Action: "reconciliation.resolve"}); err == nil {
		t.Error("resolved twice")
	}
	err = d.InTx(ctx, func(tx *Tx) error {
		// The pass updates the pairing; the resolution stays.
		res.Outcome = OutcomeMatched
		if _, err := tx.SaveReconItem(ctx, res); err != nil {
			return err
		}
		if err := tx.DeleteReconItem(ctx, keep.ID); err != nil {
			return err
		}
		return tx.DeleteReconItem(ctx, gone.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := d.ReconItems(ctx, m.ID, ReconFilter{}, "", 10)
	if len(after.Rows) != 1 || after.Rows[0].ID != keep.ID || !after.Rows[0].Resolved || after.Rows[0].Note != "Sudah dicek" ||
		after.Rows[0].Outcome != OutcomeMatched {
		t.Errorf("after the pass: %+v", after.Rows)
	}
}
