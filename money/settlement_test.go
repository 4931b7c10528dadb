package money_test

import (
	"errors"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/money"
	"lapak/snap"
)

// closingMatches checks the settlement's equation on line l and returns its
// closing total.
func closingMatches(t *testing.T, l money.SettlementLine) {
	t.Helper()
	var byMethod int64
	for _, v := range l.GrossByMethod {
		byMethod += v
	}
	want := l.Opening.TotalMinor() + l.GrossMinor - l.MDRMinor - l.SplitFeeMinor - l.WithdrawalMinor + l.DepositInMinor -
		l.DepositOutMinor + l.AdjustmentMinor
	if l.Closing.TotalMinor() != want || byMethod != l.GrossMinor {
		t.Errorf("%s: closing %d, want opening %d + gross %d − MDR %d − split %d − withdrawals %d + deposit in %d − out %d + adj %d = %d; by method %d",
			l.Day, l.Closing.TotalMinor(), l.Opening.TotalMinor(), l.GrossMinor, l.MDRMinor, l.SplitFeeMinor, l.WithdrawalMinor,
			l.DepositInMinor, l.DepositOutMinor, l.AdjustmentMinor, want, byMethod)
	}
}

// Every money event of a day through the real flows (sandbox over HTTP):
// today's settlement line closes on the books' own balances, each flow in
// its column.
func TestSettlementOfADayOfRealEvents(t *testing.T) {
	b := newBooks(t)
	ctx := t.Context()
	sale := b.invoice(t, money.PurposeSale, 5_000_000)
	b.deliver(t, "invoice")
	sale = b.reload(t, sale)
	topup := b.invoice(t, money.PurposeTopup, 10_000_000)
	b.deliver(t, "invoice")
	topup = b.reload(t, topup)
	q, err := b.sb.Sandbox.PayStaticQRIS(ctx, b.cust, 2_500_000)
	if err != nil {
		t.Fatal(err)
	}
	b.deliver(t, "qris")
	w1 := b.withdraw(t, db.WalletSales, true)
	sf, err := b.svc.DeductSplitFee(ctx, b.owner, money.SplitFeeInput{InvoiceID: sale.ID, FeeMinor: 150_000})
	if err != nil || sf.SplitFee.Status != db.SplitFeeSuccess {
		t.Fatalf("split fee: %+v %v", sf.SplitFee, err)
	}
	if _, err := b.svc.Adjust(ctx, b.owner, money.AdjustInput{Account: db.AccountNetzmeBalance, AmountMinor: 12_300, Reason: "selisih"}); err != nil {
		t.Fatal(err)
	}

	s, err := b.svc.Settlement(ctx, b.owner, b.now)
	if err != nil {
		t.Fatal(err)
	}
	today := b.now.In(snap.Jakarta)
	if len(s.Days) != today.Day() || s.Days[len(s.Days)-1].Day != today.Format(time.DateOnly) {
		t.Fatalf("%d days, last %q; want the month's days to today", len(s.Days), s.Days[len(s.Days)-1].Day)
	}
	l := s.Days[len(s.Days)-1]
	closingMatches(t, l)
	closingMatches(t, s.Total)
	bal := b.balances(t)
	if l.Closing.NetzmeMinor != bal[db.AccountNetzmeBalance] || l.Closing.DepositMinor != bal[db.AccountNetzmeDeposit] ||
		l.Closing.NicepayMinor != bal[db.AccountNicepayReceivable] || l.Opening.TotalMinor() != 0 {
		t.Errorf("today closes on %+v (opening %+v); the books hold %v", l.Closing, l.Opening, bal)
	}
	want := money.SettlementLine{Sales: 2, GrossMinor: 7_500_000, MDRMinor: sale.FeeMinor.Int64 + q.FeeMinor + topup.FeeMinor.Int64,
		SplitFeeMinor: 150_000, WithdrawalMinor: w1.AmountMinor, DepositInMinor: 10_000_000, AdjustmentMinor: 12_300}
	if l.Sales != want.Sales || l.GrossMinor != want.GrossMinor || l.MDRMinor != want.MDRMinor || l.SplitFeeMinor != want.SplitFeeMinor ||
		l.WithdrawalMinor != want.WithdrawalMinor || l.DepositInMinor != want.DepositInMinor || l.AdjustmentMinor != want.AdjustmentMinor {
		t.Errorf("today %+v\nwant %+v", l, want)
	}
	if l.GrossByMethod["QRIS"] != 5_000_000 || l.GrossByMethod[money.MethodStaticQRIS] != 2_500_000 {
		t.Errorf("gross by method %v", l.GrossByMethod)
	}
	if s.Total.Closing != l.Closing || s.Total.GrossMinor != l.GrossMinor {
		t.Errorf("month total %+v, today %+v", s.Total, l)
	}
}

// Days of a month and the month before, booked directly: a month opens on
// the closing of everything before it, a day on the day before's closing,
// a failed withdrawal gives its money back on the day it failed, and a
// month that has not begun is refused.
func TestSettlementAcrossDaysAndMonths(t *testing.T) {
	dbtest.Each(t, settlementAcrossDaysAndMonths)
}

func settlementAcrossDaysAndMonths(t *testing.T, e dbtest.Engine) {
	b := newBooksOn(t, e)
	ctx := t.Context()
	loc := snap.Jakarta
	now := b.now.In(loc)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	prev := first.AddDate(0, -1, 0)
	post := func(e db.LedgerEntry) {
		t.Helper()
		e.MerchantID, e.Actor = b.m.ID, db.ActorSystem
		if err := b.db.InTx(ctx, func(tx *db.Tx) error { _, _, err := tx.PostLedger(ctx, e); return err }); err != nil {
			t.Fatal(err)
		}
	}
	sale := func(key, method string, g, f int64, at time.Time) {
		to := db.AccountNetzmeBalance
		if method == money.MethodCVS {
			to = db.AccountNicepayReceivable
		}
		ps := []db.Posting{{Account: to, AmountMinor: g - f}, {Account: db.AccountIncomeSales, AmountMinor: -g}}
		if f != 0 {
			ps = append(ps, db.Posting{Account: db.AccountExpenseMDR, AmountMinor: f})
		}
		post(db.LedgerEntry{Key: key, Kind: db.KindSale, Method: method, AmountMinor: g, FeeMinor: f, OccurredAt: at, Postings: ps})
	}
	// Last month: a sale and a CVS bill, and a withdrawal sent on its last
	// evening that fails on this month's first morning.
	sale("sale-1", "QRIS", 1_000_000, 7_000, prev.Add(10*time.Hour))
	sale("sale-2", money.MethodCVS, 400_000, 0, prev.AddDate(0, 0, 3).Add(12*time.Hour))
	post(db.LedgerEntry{Key: "withdrawal:W1:sent", Kind: db.KindWithdrawalSent, AmountMinor: 500_000, OccurredAt: first.Add(-2 * time.Hour),
		Postings: []db.Posting{{Account: db.AccountTransitWithdrawal, AmountMinor: 500_000}, {Account: db.AccountNetzmeBalance, AmountMinor: -500_000}}})
	post(db.LedgerEntry{Key: "withdrawal:W1:failed", Kind: db.KindWithdrawalFailed, AmountMinor: 500_000, OccurredAt: first.Add(8 * time.Hour),
		Postings: []db.Posting{{Account: db.AccountNetzmeBalance, AmountMinor: 500_000}, {Account: db.AccountTransitWithdrawal, AmountMinor: -500_000}}})
	// An adjustment last month, read from the journal (its account is in
	// its postings).
	post(db.LedgerEntry{Key: "adjustment:a1", Kind: db.KindAdjustment, AmountMinor: 25_000, Memo: "selisih kas",
		OccurredAt: prev.AddDate(0, 0, 5).Add(9 * time.Hour), Postings: []db.Posting{{Account: db.AccountNetzmeBalance, AmountMinor: 25_000},
			{Account: db.AccountEquityOpening, AmountMinor: -25_000}}})
	// This month's first day: a sale by OVO.
	sale("sale-3", "OVO", 200_000, 3_000, first.Add(9*time.Hour))

	s, err := b.svc.Settlement(ctx, b.owner, now)
	if err != nil {
		t.Fatal(err)
	}
	wantOpen := money.SettlementBalances{NetzmeMinor: 1_000_000 - 7_000 - 500_000 + 25_000, NicepayMinor: 400_000}
	if s.Total.Opening != wantOpen || s.Days[0].Opening != wantOpen {
		t.Errorf("month opens on %+v (day 1 %+v), want %+v", s.Total.Opening, s.Days[0].Opening, wantOpen)
	}
	d1 := s.Days[0]
	if d1.WithdrawalMinor != -500_000 || d1.GrossByMethod["OVO"] != 200_000 || d1.Closing.NetzmeMinor != wantOpen.NetzmeMinor+500_000+197_000 {
		t.Errorf("first day %+v", d1)
	}
	for i, l := range s.Days {
		closingMatches(t, l)
		if i > 0 && l.Opening != s.Days[i-1].Closing {
			t.Errorf("%s opens on %+v, the day before closed on %+v", l.Day, l.Opening, s.Days[i-1].Closing)
		}
	}
	closingMatches(t, s.Total)

	last, err := b.svc.Settlement(ctx, b.owner, prev)
	if err != nil {
		t.Fatal(err)
	}
	if len(last.Days) != first.AddDate(0, 0, -1).Day() || last.Total.Closing != wantOpen || last.Total.GrossByMethod[money.MethodCVS] != 400_000 {
		t.Errorf("last month: %d days, closes on %+v, gross %v", len(last.Days), last.Total.Closing, last.Total.GrossByMethod)
	}
	if _, err := b.svc.Settlement(ctx, b.owner, first.AddDate(0, 1, 0)); !errors.Is(err, money.ErrFutureMonth) {
		t.Errorf("next month: %v, want ErrFutureMonth", err)
	}
}
