package db_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

// wib is Jakarta time (UTC+7) for the fixtures' days.
var wib = time.FixedZone("WIB", 7*3600)

// jakartaMidnight is the start of t's Jakarta day.
func jakartaMidnight(t time.Time) time.Time {
	j := t.In(wib)
	return time.Date(j.Year(), j.Month(), j.Day(), 0, 0, 0, 0, wib)
}

func entry(m db.Merchant, key string, kind db.LedgerKind, method string, amount, fee int64, at time.Time, ref, ext, memo string,
	ps ...db.Posting) db.LedgerEntry {
	return db.LedgerEntry{MerchantID: m.ID, Key: key, Kind: kind, Method: method, AmountMinor: amount, FeeMinor: fee,
		OccurredAt: at, Actor: db.ActorNetzme, Reference: ref, ExternalID: ext, Memo: memo, Postings: ps}
}

// withdrawalEntries books a withdrawal as money does: sent, then its outcome
// ("succeeded", "failed" or "" for none yet).
func withdrawalEntries(m db.Merchant, ref string, amount int64, at time.Time, outcome string, deposit bool) []db.LedgerEntry {
	wallet, transit := db.AccountNetzmeBalance, db.AccountTransitWithdrawal
	sent, ok, failed := db.KindWithdrawalSent, db.KindWithdrawalSucceeded, db.KindWithdrawalFailed
	if deposit {
		wallet, transit = db.AccountNetzmeDeposit, db.AccountTransitDepositWithdrawal
		sent, ok, failed = db.KindDepositWithdrawalSent, db.KindDepositWithdrawalSucceeded, db.KindDepositWithdrawalFailed
	}
	key := "withdrawal:" + ref + ":"
	out := []db.LedgerEntry{entry(m, key+"sent", sent, "", amount, 0, at, ref, "NZ-"+ref, "BCA 123",
		db.Posting{Account: transit, AmountMinor: amount}, db.Posting{Account: wallet, AmountMinor: -amount})}
	switch outcome {
	case "succeeded":
		out = append(out, entry(m, key+"succeeded", ok, "", amount, 0, at.Add(time.Hour), ref, "NZ-"+ref, "BCA 123",
			db.Posting{Account: db.AccountBank, AmountMinor: amount}, db.Posting{Account: transit, AmountMinor: -amount}))
	case "failed":
		out = append(out, entry(m, key+"failed", failed, "", amount, 0, at.Add(time.Hour), ref, "NZ-"+ref, "BCA 123",
			db.Posting{Account: wallet, AmountMinor: amount}, db.Posting{Account: transit, AmountMinor: -amount}))
	}
	return out
}

func saleEntry(m db.Merchant, ref, method string, gross, fee int64, at time.Time, memo string) db.LedgerEntry {
	to := db.AccountNetzmeBalance
	if method == "CVS" {
		to = db.AccountNicepayReceivable
	}
	ps := []db.Posting{{Account: to, AmountMinor: gross - fee}}
	if fee != 0 {
		ps = append(ps, db.Posting{Account: db.AccountExpenseMDR, AmountMinor: fee})
	}
	ps = append(ps, db.Posting{Account: db.AccountIncomeSales, AmountMinor: -gross})
	return entry(m, "invoice-paid:"+ref, db.KindSale, method, gross, fee, at, ref, "TRX-"+ref, memo, ps...)
}

// historyBook is a small journal over three Jakarta days before the base
// day: what each kind of money event looks like in the history.
type historyBook struct {
	d        *db.DB
	m        db.Merchant
	day      time.Time // the first day's Jakarta midnight
	reversed db.LedgerTransaction
}

func newHistoryBook(t *testing.T, e dbtest.Engine) historyBook {
	t.Helper()
	d, m := ledgerDB(t, e)
	day := jakartaMidnight(clocktest.Base(t)).AddDate(0, 0, -3)
	at := func(dayN, hour int) time.Time { return day.AddDate(0, 0, dayN).Add(time.Duration(hour) * time.Hour) }
	es := []db.LedgerEntry{
		saleEntry(m, "INV-1", "QRIS", 2_500_000, 17_500, at(0, 9), "Kopi susu gula aren"),
		saleEntry(m, "INV-2", "BCA", 10_000_000, 400_000, at(0, 10), "Nasi kotak 20"),
		saleEntry(m, "RRN-3", "QRIS_STATIC", 1_750_000, 12_250, at(0, 11), "BUDI QRIS statis"),
		saleEntry(m, "PAY-4", "CVS", 5_000_000, 0, at(1, 9), "Tiket konser"),
		entry(m, "invoice-paid:TOP-5", db.KindTopup, "QRIS", 20_000_000, 140_000, at(1, 10), "TOP-5", "TRX-TOP-5", "Top up deposit",
			db.Posting{Account: db.AccountNetzmeDeposit, AmountMinor: 19_860_000}, db.Posting{Account: db.AccountExpenseMDR, AmountMinor: 140_000},
			db.Posting{Account: db.AccountEquityOwner, AmountMinor: -20_000_000}),
		entry(m, "split-fee:SF-6", db.KindSplitFee, "", 300_000, 0, at(1, 11), "SF-6", "SPLIT-6", "Biaya layanan",
			db.Posting{Account: db.AccountExpenseSplitFee, AmountMinor: 300_000}, db.Posting{Account: db.AccountNetzmeDeposit, AmountMinor: -300_000}),
		entry(m, "adjustment:a1", db.KindAdjustment, "", 50_000, 0, at(2, 8), "", "", "Selisih kas",
			db.Posting{Account: db.AccountNetzmeBalance, AmountMinor: -50_000}, db.Posting{Account: db.AccountEquityOpening, AmountMinor: 50_000}),
	}
	es = append(es, withdrawalEntries(m, "WD-7", 3_000_000, at(2, 9), "succeeded", false)...)
	es = append(es, withdrawalEntries(m, "WD-8", 1_000_000, at(2, 10), "failed", false)...)
	es = append(es, withdrawalEntries(m, "WD-9", 500_000, at(2, 11), "", false)...)
	es = append(es, withdrawalEntries(m, "DW-10", 2_000_000, at(2, 12), "succeeded", true)...)
	b := historyBook{d: d, m: m, day: day}
	var inv2 db.LedgerTransaction
	for _, e := range es {
		tx, _ := post(t, d, e)
		if e.Key == "invoice-paid:INV-2" {
			inv2 = tx
		}
	}
	// INV-2 is reversed on the third day.
	rev := inv2.LedgerEntry
	rev.Key, rev.ReversesID, rev.OccurredAt, rev.Actor, rev.UserID = "reversal:"+strconv.FormatInt(inv2.ID, 10), inv2.ID, at(2, 13), db.ActorSystem, 0
	rev.AmountMinor, rev.FeeMinor, rev.Memo = -inv2.AmountMinor, -inv2.FeeMinor, "salah catat"
	rev.Postings = nil
	for _, p := range inv2.Postings {
		rev.Postings = append(rev.Postings, db.Posting{Account: p.Account, AmountMinor: -p.AmountMinor})
	}
	post(t, d, rev)
	b.reversed = inv2
	return b
}

// rows reads every history row of f by walking its pages forward.
func (b historyBook) rows(t *testing.T, f db.HistoryFilter, limit int) []db.HistoryEntry {
	t.Helper()
	var out []db.HistoryEntry
	tok := ""
	for i := 0; ; i++ {
		p, err := b.d.History(t.Context(), b.m.ID, f, tok, limit)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Rows...)
		if p.Next == "" {
			return out
		}
		if i > 100 {
			t.Fatal("history pages never end")
		}
		tok = p.Next
	}
}

func refs(es []db.HistoryEntry) []string {
	var out []string
	for _, e := range es {
		r := e.Reference
		if e.Status == db.HistoryReversal {
			r += "(rev)"
		}
		out = append(out, r)
	}
	return out
}

func TestHistoryIsOneRowPerMoneyEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		b := newHistoryBook(t, e)
		all := b.rows(t, db.HistoryFilter{}, 50)
		want := []string{"INV-2(rev)", "DW-10", "WD-9", "WD-8", "WD-7", "", "SF-6", "TOP-5", "PAY-4", "RRN-3", "INV-2", "INV-1"}
		if got := refs(all); !slices.Equal(got, want) {
			t.Fatalf("history = %v\nwant %v (newest first; a withdrawal's outcome is its status, not a row)", got, want)
		}
		byRef := map[string]db.HistoryEntry{}
		for _, e := range all {
			byRef[refs([]db.HistoryEntry{e})[0]] = e
		}
		for _, c := range []struct {
			ref                 string
			typ                 db.HistoryType
			status              db.HistoryStatus
			amount, fee, net    int64
			in                  bool
			method, sourceTable string
		}{
			{ref: "INV-1", typ: db.HistorySale, status: db.HistorySuccess, amount: 2_500_000, fee: 17_500, net: 2_482_500, in: true, method: "QRIS"},
			{ref: "INV-2(rev)", typ: db.HistorySale, status: db.HistoryReversal, amount: -10_000_000, fee: -400_000, net: -9_600_000, method: "BCA"},
			{ref: "PAY-4", typ: db.HistorySale, status: db.HistorySuccess, amount: 5_000_000, net: 5_000_000, in: true, method: "CVS"},
			{ref: "TOP-5", typ: db.HistoryTopup, status: db.HistorySuccess, amount: 20_000_000, fee: 140_000, net: 19_860_000, in: true, method: "QRIS"},
			{ref: "SF-6", typ: db.HistorySplitFee, status: db.HistorySuccess, amount: -300_000, net: -300_000},
			{ref: "", typ: db.HistoryAdjustment, status: db.HistorySuccess, amount: -50_000, net: -50_000},
			{ref: "WD-7", typ: db.HistoryWithdrawal, status: db.HistorySuccess, amount: -3_000_000, net: -3_000_000},
			{ref: "WD-8", typ: db.HistoryWithdrawal, status: db.HistoryFailed, amount: -1_000_000, net: -1_000_000},
			{ref: "WD-9", typ: db.HistoryWithdrawal, status: db.HistoryPending, amount: -500_000, net: -500_000},
			{ref: "DW-10", typ: db.HistoryDepositWithdrawal, status: db.HistorySuccess, amount: -2_000_000, net: -2_000_000},
		} {
			e := byRef[c.ref]
			if e.Type != c.typ || e.Status != c.status || e.AmountMinor != c.amount || e.FeeMinor != c.fee || e.NetMinor() != c.net ||
				e.In() != c.in || e.Method != c.method || e.Match != db.MatchUnmatched {
				t.Errorf("%s: %+v\nwant type %s status %s amount %d fee %d net %d in %v method %q, unmatched", c.ref, e, c.typ, c.status,
					c.amount, c.fee, c.net, c.in, c.method)
			}
		}
		if e := byRef["INV-2(rev)"]; e.ReversesID != b.reversed.ID {
			t.Errorf("reversal names %d, want %d", e.ReversesID, b.reversed.ID)
		}

		// Paging: pages of 5 forward, then back from the last, are the same rows.
		pages := []db.Page[db.HistoryEntry]{}
		tok := ""
		for {
			p, err := b.d.History(t.Context(), b.m.ID, db.HistoryFilter{}, tok, 5)
			if err != nil {
				t.Fatal(err)
			}
			pages = append(pages, p)
			if p.Next == "" {
				break
			}
			tok = p.Next
		}
		var walked []db.HistoryEntry
		for _, p := range pages {
			walked = append(walked, p.Rows...)
		}
		if !slices.Equal(refs(walked), want) || len(pages) != 3 {
			t.Fatalf("pages of 5: %v in %d pages", refs(walked), len(pages))
		}
		for i := len(pages) - 1; i > 0; i-- {
			p, err := b.d.History(t.Context(), b.m.ID, db.HistoryFilter{}, pages[i].Prev, 5)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(refs(p.Rows), refs(pages[i-1].Rows)) {
				t.Errorf("back from page %d: %v, want %v", i+1, refs(p.Rows), refs(pages[i-1].Rows))
			}
		}
	})
}

func TestHistoryFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		b := newHistoryBook(t, e)
		day := func(n int) time.Time { return b.day.AddDate(0, 0, n) }
		for _, c := range []struct {
			name string
			f    db.HistoryFilter
			want []string
		}{
			{"sales", db.HistoryFilter{Type: db.HistorySale}, []string{"INV-2(rev)", "PAY-4", "RRN-3", "INV-2", "INV-1"}},
			{"withdrawals", db.HistoryFilter{Type: db.HistoryWithdrawal}, []string{"WD-9", "WD-8", "WD-7"}},
			{"deposit withdrawals", db.HistoryFilter{Type: db.HistoryDepositWithdrawal}, []string{"DW-10"}},
			{"method QRIS", db.HistoryFilter{Method: "QRIS"}, []string{"TOP-5", "INV-1"}},
			{"sales by QRIS", db.HistoryFilter{Type: db.HistorySale, Method: "QRIS"}, []string{"INV-1"}},
			{"static QRIS", db.HistoryFilter{Method: "QRIS_STATIC"}, []string{"RRN-3"}},
			{"pending", db.HistoryFilter{Status: db.HistoryPending}, []string{"WD-9"}},
			{"failed", db.HistoryFilter{Status: db.HistoryFailed}, []string{"WD-8"}},
			{"failed deposit withdrawals", db.HistoryFilter{Status: db.HistoryFailed, Type: db.HistoryDepositWithdrawal}, nil},
			{"failed sales", db.HistoryFilter{Status: db.HistoryFailed, Type: db.HistorySale}, nil},
			{"reversals", db.HistoryFilter{Status: db.HistoryReversal}, []string{"INV-2(rev)"}},
			{"successful withdrawals", db.HistoryFilter{Status: db.HistorySuccess, Type: db.HistoryWithdrawal}, []string{"WD-7"}},
			{"successful", db.HistoryFilter{Status: db.HistorySuccess}, []string{"DW-10", "WD-7", "", "SF-6", "TOP-5", "PAY-4", "RRN-3", "INV-2", "INV-1"}},
			{"first day", db.HistoryFilter{From: day(0), To: day(1)}, []string{"RRN-3", "INV-2", "INV-1"}},
			{"second day on", db.HistoryFilter{From: day(1)}, []string{"INV-2(rev)", "DW-10", "WD-9", "WD-8", "WD-7", "", "SF-6", "TOP-5", "PAY-4"}},
			{"unmatched", db.HistoryFilter{Match: db.MatchUnmatched, Type: db.HistoryTopup}, []string{"TOP-5"}},
			{"matched", db.HistoryFilter{Match: db.MatchMatched}, nil},
			{"search reference", db.HistoryFilter{Query: "inv-"}, []string{"INV-2(rev)", "INV-2", "INV-1"}},
			{"search memo", db.HistoryFilter{Query: "gula aren"}, []string{"INV-1"}},
			{"search Netzme id", db.HistoryFilter{Query: "NZ-WD-8"}, []string{"WD-8"}},
			{"search amount", db.HistoryFilter{AmountMinor: 3_000_000}, []string{"WD-7"}},
			{"search amount or text", db.HistoryFilter{Query: "konser", AmountMinor: 1_750_000}, []string{"PAY-4", "RRN-3"}},
			{"search within a type", db.HistoryFilter{Query: "TRX", Type: db.HistoryTopup}, []string{"TOP-5"}},
			{"short search", db.HistoryFilter{Query: "in"}, []string{"INV-2(rev)", "DW-10", "WD-9", "WD-8", "WD-7", "", "SF-6", "TOP-5", "PAY-4", "RRN-3", "INV-2", "INV-1"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				got := b.rows(t, c.f, 2)
				if !slices.Equal(refs(got), c.want) {
					t.Errorf("rows %v, want %v", refs(got), c.want)
				}
				n, err := b.d.CountHistory(t.Context(), b.m.ID, c.f)
				if err != nil || n != len(c.want) {
					t.Errorf("count %d, %v; want %d", n, err, len(c.want))
				}
				// The totals are the rows' sums (failed withdrawals: nothing,
				// their money came back), whichever way they are read.
				var want db.HistoryTotals
				for _, e := range got {
					if e.Status == db.HistoryFailed {
						continue
					}
					if e.AmountMinor > 0 {
						want.InMinor += e.AmountMinor
					} else {
						want.OutMinor += e.AmountMinor
					}
					want.FeeMinor += e.FeeMinor
				}
				tot, err := b.d.HistoryTotals(t.Context(), b.m.ID, c.f)
				if err != nil || tot != want {
					t.Errorf("totals %+v, %v; want %+v", tot, err, want)
				}
				var exported []db.HistoryEntry
				for e, err := range b.d.HistoryRows(t.Context(), b.m.ID, c.f) {
					if err != nil {
						t.Fatal(err)
					}
					exported = append(exported, e)
				}
				if !slices.Equal(refs(exported), c.want) {
					t.Errorf("export rows %v, want %v", refs(exported), c.want)
				}
			})
		}
	})
}

// The totals of whole days come from the daily totals: they must equal the
// rows' sums with a reversal on another day than its original, and a
// withdrawal that failed on the day after it was sent.
func TestHistoryTotalsOfDays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		b := newHistoryBook(t, e)
		day := func(n int) time.Time { return b.day.AddDate(0, 0, n) }
		tot, err := b.d.HistoryTotals(t.Context(), b.m.ID, db.HistoryFilter{From: day(0), To: day(1)})
		// INV-1 + INV-2 + RRN-3 in; their fees.
		if want := (db.HistoryTotals{InMinor: 14_250_000, FeeMinor: 429_750}); err != nil || tot != want {
			t.Errorf("first day: %+v, %v; want %+v", tot, err, want)
		}
		if tot.NetMinor() != 14_250_000-429_750 {
			t.Errorf("net %d", tot.NetMinor())
		}
		tot, err = b.d.HistoryTotals(t.Context(), b.m.ID, db.HistoryFilter{From: day(2), To: day(3)})
		// The reversal of INV-2 (−10,000,000, fee −400,000), WD-7, WD-9, DW-10
		// and the adjustment out; WD-8 failed.
		if want := (db.HistoryTotals{OutMinor: -10_000_000 - 3_000_000 - 500_000 - 2_000_000 - 50_000, FeeMinor: -400_000}); err != nil || tot != want {
			t.Errorf("third day: %+v, %v; want %+v", tot, err, want)
		}
		// Not whole days: read row by row, the same sums.
		tot, err = b.d.HistoryTotals(t.Context(), b.m.ID, db.HistoryFilter{From: day(0).Add(9 * time.Hour), To: day(0).Add(10 * time.Hour)})
		if want := (db.HistoryTotals{InMinor: 2_500_000, FeeMinor: 17_500}); err != nil || tot != want {
			t.Errorf("one hour: %+v, %v; want %+v", tot, err, want)
		}
	})
}

func TestHistoryIsScopedToItsMerchant(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		b := newHistoryBook(t, e)
		other, err := b.d.CreateMerchant(t.Context(), db.NewMerchant{Name: "Toko Lain"})
		if err != nil {
			t.Fatal(err)
		}
		post(t, b.d, saleEntry(other, "LAIN-1", "QRIS", 999_00, 0, b.day.Add(time.Hour), "rahasia"))
		for _, f := range []db.HistoryFilter{{}, {Query: "rahasia"}, {AmountMinor: 999_00}} {
			if got := b.rows(t, f, 50); slices.Contains(refs(got), "LAIN-1") {
				t.Errorf("filter %+v shows another merchant's row", f)
			}
		}
		if got := b.rows(t, db.HistoryFilter{}, 50); len(got) != 12 {
			t.Errorf("%d rows", len(got))
		}
		tot, _ := b.d.HistoryTotals(t.Context(), other.ID, db.HistoryFilter{})
		if tot.InMinor != 999_00 {
			t.Errorf("other merchant's totals %+v", tot)
		}
	})
}

// A search too broad to sum row by row says so instead of summing part of
// it; a narrower one is summed, and agrees with its rows.
func TestHistoryTotalsOfABroadSearchAreCapped(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d, m := ledgerDB(t, e)
		db.SeedLedgerForTest(t, d, m.ID, db.HistoryTotalsCap+300, clocktest.Base(t), time.Minute, "A")
		if tot, err := d.HistoryTotals(t.Context(), m.ID, db.HistoryFilter{Query: "TRX"}); err != nil || !tot.Capped {
			t.Errorf("a search matching every sale: %+v, %v; want Capped", tot, err)
		}
		f := db.HistoryFilter{Query: "gula aren"}
		tot, err := d.HistoryTotals(t.Context(), m.ID, f)
		if err != nil || tot.Capped {
			t.Fatalf("%+v, %v", tot, err)
		}
		var want db.HistoryTotals
		for e, err := range d.HistoryRows(t.Context(), m.ID, f) {
			if err != nil {
				t.Fatal(err)
			}
			if e.AmountMinor > 0 {
				want.InMinor += e.AmountMinor
			} else {
				want.OutMinor += e.AmountMinor
			}
			want.FeeMinor += e.FeeMinor
		}
		if tot != want || want.InMinor == 0 {
			t.Errorf("totals %+v, the rows' %+v", tot, want)
		}
	})
}
