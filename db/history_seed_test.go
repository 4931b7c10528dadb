package db

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// seedLedger books n ledger transactions of merchantID ending at end, one
// every step, through PostLedger (triggers, daily totals, search index and
// all): mostly sales by every method, a deposit top-up every 1013, a split
// fee every 2111, a withdrawal (sent, then succeeded or failed, or still
// pending) every 997 — at a million a year, three withdrawals a day — and a
// reversal of a sale every 499. Keys carry refPrefix.
func seedLedger(tb testing.TB, d *DB, merchantID int64, n int, end time.Time, step time.Duration, refPrefix string) {
	tb.Helper()
	ctx := context.Background()
	methods := []string{"QRIS", "QRIS", "QRIS", "QRIS_STATIC", "BCA", "OVO", "CVS", "BANK_TRANSFER"}
	memos := []string{"Kopi susu gula aren", "Nasi goreng spesial", "Es teh manis", "Mie ayam bakso", "Roti bakar cokelat"}
	const chunk = 5_000
	for lo := 0; lo < n; lo += chunk {
		err := d.InTx(ctx, func(tx *Tx) error {
			for i := lo; i < min(lo+chunk, n); i++ {
				at := end.Add(-time.Duration(n-1-i) * step)
				ref := fmt.Sprintf("%s%09d", refPrefix, i)
				var es []LedgerEntry
				switch {
				case i%997 == 0:
					a := int64(50+i%40) * 100_000_00 / 10
					sent := LedgerEntry{MerchantID: merchantID, Key: "withdrawal:" + ref + ":sent", Kind: KindWithdrawalSent,
						AmountMinor: a, Reference: ref, ExternalID: "NZW" + ref, OccurredAt: at, Actor: ActorSystem, Memo: "BCA 1234567890",
						Postings: []Posting{{AccountTransitWithdrawal, a}, {AccountNetzmeBalance, -a}}}
					es = append(es, sent)
					switch (i / 997) % 4 {
					case 0, 1:
						ok := sent
						ok.Key, ok.Kind, ok.OccurredAt = "withdrawal:"+ref+":succeeded", KindWithdrawalSucceeded, at.Add(step/2)
						ok.Postings = []Posting{{AccountBank, a}, {AccountTransitWithdrawal, -a}}
						es = append(es, ok)
					case 2:
						fail := sent
						fail.Key, fail.Kind, fail.OccurredAt = "withdrawal:"+ref+":failed", KindWithdrawalFailed, at.Add(step/2)
						fail.Postings = []Posting{{AccountNetzmeBalance, a}, {AccountTransitWithdrawal, -a}}
						es = append(es, fail)
					}
				case i%1013 == 0:
					g, f := int64(1_000_000_00), int64(700_00)
					es = append(es, LedgerEntry{MerchantID: merchantID, Key: "invoice-paid:" + ref, Kind: KindTopup, Method: "QRIS",
						AmountMinor: g, FeeMinor: f, Reference: ref, ExternalID: "TRX" + ref, OccurredAt: at, Actor: ActorNetzme,
						Memo: "Top up deposit", Postings: []Posting{{AccountNetzmeDeposit, g - f}, {AccountExpenseMDR, f}, {AccountEquityOwner, -g}}})
				case i%2111 == 0:
					x := int64(2_500_00)
					es = append(es, LedgerEntry{MerchantID: merchantID, Key: "split-fee:" + ref, Kind: KindSplitFee, AmountMinor: x,
						Reference: ref, ExternalID: "SF" + ref, OccurredAt: at, Actor: ActorSystem, Memo: "Biaya layanan",
						Postings: []Posting{{AccountExpenseSplitFee, x}, {AccountNetzmeDeposit, -x}}})
				default:
					method := methods[i%len(methods)]
					g := int64(5+(i*7919)%200) * 500_00
					f := g * 7 / 1000
					to := AccountNetzmeBalance
					ps := []Posting{{to, g - f}, {AccountExpenseMDR, f}, {AccountIncomeSales, -g}}
					if method == "CVS" {
						f, ps = 0, []Posting{{AccountNicepayReceivable, g}, {AccountIncomeSales, -g}}
					}
					es = append(es, LedgerEntry{MerchantID: merchantID, Key: "invoice-paid:" + ref, Kind: KindSale, Method: method,
						AmountMinor: g, FeeMinor: f, Reference: ref, ExternalID: "TRX" + ref, OccurredAt: at, Actor: ActorNetzme,
						Memo: memos[i%len(memos)], Postings: ps})
				}
				for _, e := range es {
					t, _, err := tx.PostLedger(ctx, e)
					if err != nil {
						return err
					}
					if i%499 == 1 && e.Kind == KindSale {
						rev := t.LedgerEntry
						rev.Key, rev.ReversesID, rev.OccurredAt, rev.Actor = fmt.Sprintf("reversal:%d", t.ID), t.ID, at.Add(step/3), ActorSystem
						rev.AmountMinor, rev.FeeMinor, rev.Memo = -t.AmountMinor, -t.FeeMinor, "salah catat"
						rev.Postings = nil
						for _, p := range t.Postings {
							rev.Postings = append(rev.Postings, Posting{p.Account, -p.AmountMinor})
						}
						if _, _, err := tx.PostLedger(ctx, rev); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}
