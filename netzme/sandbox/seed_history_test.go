package sandbox_test

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"lapak/netzme"
	"lapak/netzme/sandbox"
	"lapak/snap"
)

// listDay reads every page of one Jakarta day of a transaction list, as a
// careful client does (§3.4: until an empty page).
func listDay(t *testing.T, ctx context.Context, e *env, deposit bool, day time.Time) (lines []netzme.Transaction, pages int) {
	t.Helper()
	list := e.c.TransactionList
	if deposit {
		list = e.c.DepositTransactions
	}
	for page := 1; ; page++ {
		p, err := list(ctx, netzme.TransactionListRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID,
			From: day, To: day.Add(24*time.Hour - time.Second), Page: page})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if len(p.Transactions) == 0 {
			return lines, page
		}
		lines = append(lines, p.Transactions...)
	}
}

func ids(lines []netzme.Transaction) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l.TransactionID)
	}
	sort.Strings(out)
	return out
}

func TestSeedHistoryListsEveryMovementByDay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *sandbox.Options) { o.HistoryPageSize = 3 })
	ctx := ctxT(t)
	day := time.Date(2025, 3, 14, 0, 0, 0, 0, snap.Jakarta)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	moves := []sandbox.Movement{
		{Kind: sandbox.MoveInvoicePayment, At: at(9, 0), AmountMinor: 2_500_000, FeeMinor: 17_500},
		{Kind: sandbox.MoveInvoicePayment, At: at(9, 5), AmountMinor: 1_000_000, FeeMinor: 0, PayMethod: "VA_BCA", PartnerReferenceNo: "LPK-OWN-1"},
		{Kind: sandbox.MoveStaticQRIS, At: at(10, 0), AmountMinor: 2_503_700, FeeMinor: e.sb.MDR(2_503_700)},
		{Kind: sandbox.MoveStaticQRIS, At: at(10, 0), AmountMinor: 1_500_000, FeeMinor: e.sb.MDR(1_500_000)}, // same instant: tie-break
		{Kind: sandbox.MoveWithdrawal, At: at(12, 0), AmountMinor: 1_000_000},
		{Kind: sandbox.MoveWithdrawal, At: at(13, 0), AmountMinor: 500_000, Status: "FAILED"},
		{Kind: sandbox.MoveAdjustment, At: at(14, 0), AmountMinor: -10_000, Description: "koreksi"},
		// The day's last second and the next day's first instant.
		{Kind: sandbox.MoveStaticQRIS, At: day.Add(24*time.Hour - 400*time.Millisecond), AmountMinor: 100_000},
		{Kind: sandbox.MoveStaticQRIS, At: day.Add(24 * time.Hour), AmountMinor: 200_000},
		// The deposit wallet.
		{Kind: sandbox.MoveTopup, At: at(8, 0), AmountMinor: 10_000_000, FeeMinor: 0, PayMethod: "VA_BCA"},
		{Kind: sandbox.MoveSplitFee, At: at(11, 0), AmountMinor: 2_500_000, FeeMinor: 25_000, ReferenceNo: "LPK-SALE-1"},
		{Kind: sandbox.MoveDepositWithdrawal, At: at(15, 0), AmountMinor: 5_000_000},
		{Kind: sandbox.MoveAdjustment, At: at(16, 0), AmountMinor: 7_500, Wallet: sandbox.WalletDeposit},
	}
	if err := e.sb.SeedHistory(ctx, e.demo.CustID, moves); err != nil {
		t.Fatal(err)
	}
	if moves[1].PartnerReferenceNo != "LPK-OWN-1" || moves[0].TrxID == "" || moves[0].ReferenceID == "" || moves[2].RRN == "" || moves[4].ReferenceNo == "" {
		t.Fatalf("identifiers not filled or overwritten: %+v", moves[:5])
	}

	sales, pages := listDay(t, ctx, e, false, day)
	want := []string{moves[0].TrxID, moves[1].TrxID, moves[2].ReferenceID, moves[3].ReferenceID, moves[4].ReferenceNo, moves[5].ReferenceNo, "", moves[7].ReferenceID}
	got := ids(sales)
	for i, l := range sales {
		if l.Type == "ADJUSTMENT" {
			want[6] = l.TransactionID
			if l.AmountMinor != -10_000 || l.Desc != "koreksi" {
				t.Errorf("adjustment line = %+v", l)
			}
		}
		if i > 0 && l.TsLong > sales[i-1].TsLong {
			t.Errorf("line %d is newer than line %d: newest first", i, i-1)
		}
		if !bytes.Contains(l.Raw, []byte(l.TransactionID)) {
			t.Errorf("line %d: raw JSON not kept: %s", i, l.Raw)
		}
	}
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("sales lines of the day =\n%v\nwant\n%v", got, want)
	}
	if pages != 4 { // 8 lines at 3 a page, then the empty page
		t.Errorf("read %d pages, want 4", pages)
	}
	for _, l := range sales {
		switch l.TransactionID {
		case moves[0].TrxID:
			if l.Type != "PAYMENT" || l.Status != "SUCCESS" || l.AmountMinor != 2_500_000 || l.FeeMinor != 17_500 || l.InvoiceID != moves[0].InvoiceID || l.PaymentMethod != "QRIS" {
				t.Errorf("invoice line = %+v", l)
			}
		case moves[5].ReferenceNo:
			if l.Type != "WITHDRAW" || l.Status != "FAILED" || l.AmountMinor != 500_000 {
				t.Errorf("failed withdrawal line = %+v", l)
			}
		}
	}
	next, _ := listDay(t, ctx, e, false, day.AddDate(0, 0, 1))
	if len(next) != 1 || next[0].TransactionID != moves[8].ReferenceID {
		t.Errorf("next day = %v, want only the midnight payment", ids(next))
	}

	deposit, _ := listDay(t, ctx, e, true, day)
	types := map[string]int{}
	for _, l := range deposit {
		types[l.Type]++
	}
	if len(deposit) != 4 || types["TOP_UP"] != 1 || types["DEDUCT"] != 1 || types["WITHDRAW"] != 1 || types["ADJUSTMENT"] != 1 {
		t.Errorf("deposit lines = %v", types)
	}

	// The balances are the sum of what was seeded.
	b, err := e.sb.Balances(ctx, e.demo.CustID)
	if err != nil {
		t.Fatal(err)
	}
	var sales0, dep int64
	for _, mv := range moves[:9] {
		switch mv.Kind {
		case sandbox.MoveWithdrawal:
			if mv.Status != "FAILED" {
				sales0 -= mv.AmountMinor
			}
		default:
			sales0 += mv.AmountMinor - mv.FeeMinor
		}
	}
	dep = 10_000_000 - 25_000 - 5_000_000 + 7_500
	if b.TotalMinor != sales0 || b.DepositMinor != dep {
		t.Errorf("balances = %+v, want total %d, deposit %d", b, sales0, dep)
	}

	// The status endpoints know the seeded records.
	st, err := e.c.InvoiceTransaction(ctx, netzme.InvoiceTransactionQuery{PartnerReferenceNo: ref(), TrxID: moves[1].TrxID})
	if err != nil || st.Status != netzme.InvoiceSuccess {
		t.Errorf("§3.14 of a seeded invoice: %+v, %v", st, err)
	}
	acq, err := e.c.QRISAcquireTransaction(ctx, netzme.QRISAcquireRequest{PartnerReferenceNo: ref(), ReferenceID: moves[2].ReferenceID})
	if err != nil || acq.AmountMinor != 2_503_700 {
		t.Errorf("§3.10 of a seeded static payment: %+v, %v", acq, err)
	}
	ws, err := e.c.WithdrawInformation(ctx, netzme.WithdrawInformationRequest{PartnerReferenceNo: ref(), ReferenceNo: moves[5].ReferenceNo})
	if err != nil || ws.Status != "FAILED" || !bytes.Contains(ws.Raw, []byte(`"FAILED"`)) {
		t.Errorf("§3.8 of a seeded failed withdrawal: %+v, %v", ws, err)
	}
}

func TestSeedHistoryRefusesBadMovements(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	at := time.Date(2025, 3, 14, 9, 0, 0, 0, snap.Jakarta)
	for name, mv := range map[string]sandbox.Movement{
		"no time":          {Kind: sandbox.MoveStaticQRIS, AmountMinor: 100},
		"no amount":        {Kind: sandbox.MoveInvoicePayment, At: at},
		"fee above amount": {Kind: sandbox.MoveStaticQRIS, At: at, AmountMinor: 100, FeeMinor: 101},
		"status":           {Kind: sandbox.MoveWithdrawal, At: at, AmountMinor: 100, Status: "DONE"},
		"kind":             {Kind: "refund", At: at, AmountMinor: 100},
		"zero adjustment":  {Kind: sandbox.MoveAdjustment, At: at},
	} {
		if err := e.sb.SeedHistory(ctx, e.demo.CustID, []sandbox.Movement{mv}); err == nil {
			t.Errorf("%s: seeded", name)
		}
	}
	dup := []sandbox.Movement{
		{Kind: sandbox.MoveInvoicePayment, At: at, AmountMinor: 100, PartnerReferenceNo: "SAME"},
		{Kind: sandbox.MoveInvoicePayment, At: at, AmountMinor: 100, PartnerReferenceNo: "SAME"},
	}
	if err := e.sb.SeedHistory(ctx, e.demo.CustID, dup); err == nil {
		t.Error("a duplicate partnerReferenceNo was seeded")
	}
	if err := e.sb.SeedHistory(ctx, "M_nobody00", []sandbox.Movement{{Kind: sandbox.MoveStaticQRIS, At: at, AmountMinor: 1}}); err == nil {
		t.Error("seeded an unknown merchant")
	}
	if b, _ := e.sb.Balances(ctx, e.demo.CustID); b.TotalMinor != 0 {
		t.Errorf("a refused batch left money: %+v", b)
	}
}
