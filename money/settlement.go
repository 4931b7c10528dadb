package money

import (
	"context"
	"errors"
	"time"

	"lapak/db"
)

// The settlement summary (issue 12 §4): per Jakarta day of a month, and for
// the month, the merchant's money at its providers — opening balance, gross
// sales by method, MDR, split fees, withdrawals, deposit moves, adjustments,
// closing balance — read from the books' daily totals (one row per day, kind
// and method) and the few adjustments, never from the journal row by row.
//
// The balance is what the merchant holds at its providers: netzme:balance
// (sales money at Netzme), netzme:deposit and nicepay:receivable
// (convenience-store payments NICEPAY holds). Money sent to the bank and
// withdrawals in transit are out of it. Every day:
//
//	closing = opening + gross − MDR − split fees − withdrawals
//	          + deposit top-ups − deposit withdrawals + adjustments

// SettlementMethods are the methods of the gross-by-method columns, in order:
// the invoice methods, static QRIS and convenience-store bills.
func SettlementMethods() []string {
	return append(InvoiceMethods(), MethodStaticQRIS, MethodCVS)
}

// SettlementBalances is the money at each provider, in sen.
type SettlementBalances struct {
	NetzmeMinor  int64 // netzme:balance
	DepositMinor int64 // netzme:deposit
	NicepayMinor int64 // nicepay:receivable
}

// TotalMinor is the money at every provider.
func (b SettlementBalances) TotalMinor() int64 {
	return b.NetzmeMinor + b.DepositMinor + b.NicepayMinor
}

// SettlementLine is one day (Day "YYYY-MM-DD") or the month (Day "YYYY-MM").
// Flows in sen, each positive in its usual direction: Withdrawal is what was
// sent less what failed and came back (on the day each was booked), so it
// may be negative on a day a failure returned money.
type SettlementLine struct {
	Day              string
	Opening, Closing SettlementBalances
	Sales            int              // sales less reversed ones
	GrossByMethod    map[string]int64 // sales' gross per method (SettlementMethods; others under "")
	GrossMinor       int64            // every sale's gross
	MDRMinor         int64            // Netzme's fees on sales and top-ups
	SplitFeeMinor    int64            // split fees deducted from the deposit (§3.20)
	WithdrawalMinor  int64            // withdrawals from the sales balance
	DepositInMinor   int64            // deposit top-ups, gross
	DepositOutMinor  int64            // deposit withdrawals
	AdjustmentMinor  int64            // adjustments and opening balances on the balances above
}

// Settlement is a month's summary for one merchant.
type Settlement struct {
	MerchantID int64
	Month      time.Time // the first day's Jakarta midnight
	Days       []SettlementLine
	Total      SettlementLine
}

// ErrFutureMonth: the month asked for has not begun.
var ErrFutureMonth = errors.New("money: the month has not begun")

// balanceMove applies daily total t to the balances b and, when line is not
// nil, to its flows. Top-ups and sales credit their wallet with gross less
// fee (money's recipes: grossPostings, cvsEntries); withdrawals leave their
// wallet when sent and come back when they fail.
func balanceMove(b *SettlementBalances, line *SettlementLine, t db.DailyTotal) {
	var l SettlementLine
	switch t.Kind {
	case db.KindSale:
		if t.Method == MethodCVS {
			b.NicepayMinor += t.AmountMinor - t.FeeMinor
		} else {
			b.NetzmeMinor += t.AmountMinor - t.FeeMinor
		}
		l.Sales, l.GrossMinor, l.MDRMinor = t.Count, t.AmountMinor, t.FeeMinor
	case db.KindTopup:
		b.DepositMinor += t.AmountMinor - t.FeeMinor
		l.DepositInMinor, l.MDRMinor = t.AmountMinor, t.FeeMinor
	case db.KindWithdrawalSent:
		b.NetzmeMinor -= t.AmountMinor
		l.WithdrawalMinor = t.AmountMinor
	case db.KindWithdrawalFailed:
		b.NetzmeMinor += t.AmountMinor
		l.WithdrawalMinor = -t.AmountMinor
	case db.KindDepositWithdrawalSent:
		b.DepositMinor -= t.AmountMinor
		l.DepositOutMinor = t.AmountMinor
	case db.KindDepositWithdrawalFailed:
		b.DepositMinor += t.AmountMinor
		l.DepositOutMinor = -t.AmountMinor
	case db.KindSplitFee:
		b.DepositMinor -= t.AmountMinor
		l.SplitFeeMinor = t.AmountMinor
	default:
		// Succeeded withdrawals move transit to the bank, outside these
		// balances; adjustments and opening balances are read from their
		// postings (adjustmentMove).
		return
	}
	if line != nil {
		line.addFlows(l)
		if t.Kind == db.KindSale {
			if line.GrossByMethod == nil {
				line.GrossByMethod = map[string]int64{}
			}
			m := t.Method
			if !settlementMethod(m) {
				m = ""
			}
			line.GrossByMethod[m] += t.AmountMinor
		}
	}
}

func settlementMethod(m string) bool {
	for _, x := range SettlementMethods() {
		if x == m {
			return true
		}
	}
	return false
}

// adjustmentMove applies an adjustment's (or opening balance's) postings on
// the three balances.
func adjustmentMove(b *SettlementBalances, line *SettlementLine, t db.LedgerTransaction) {
	var sum int64
	for _, p := range t.Postings {
		switch p.Account {
		case db.AccountNetzmeBalance:
			b.NetzmeMinor += p.AmountMinor
		case db.AccountNetzmeDeposit:
			b.DepositMinor += p.AmountMinor
		case db.AccountNicepayReceivable:
			b.NicepayMinor += p.AmountMinor
		default:
			continue
		}
		sum += p.AmountMinor
	}
	if line != nil {
		line.AdjustmentMinor += sum
	}
}

func (l *SettlementLine) addFlows(o SettlementLine) {
	l.Sales += o.Sales
	l.GrossMinor += o.GrossMinor
	l.MDRMinor += o.MDRMinor
	l.SplitFeeMinor += o.SplitFeeMinor
	l.WithdrawalMinor += o.WithdrawalMinor
	l.DepositInMinor += o.DepositInMinor
	l.DepositOutMinor += o.DepositOutMinor
	l.AdjustmentMinor += o.AdjustmentMinor
	for m, v := range o.GrossByMethod {
		if l.GrossByMethod == nil {
			l.GrossByMethod = map[string]int64{}
		}
		l.GrossByMethod[m] += v
	}
}

// Settlement summarises a's merchant's month (any instant of it; its Jakarta
// month is taken): a line per Jakarta day from the first to the last — or,
// for the current month, to today — and the month's line. Errors:
// ErrFutureMonth; Lapak's own.
func (s *Service) Settlement(ctx context.Context, a Actor, month time.Time) (Settlement, error) {
	loc := jakarta
	m := month.In(loc)
	first := time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, loc)
	next := first.AddDate(0, 1, 0)
	now := s.now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	if first.After(today) {
		return Settlement{}, ErrFutureMonth
	}
	end := next // exclusive
	if tomorrow := today.AddDate(0, 0, 1); tomorrow.Before(end) {
		end = tomorrow
	}
	const day = "2006-01-02"
	out := Settlement{MerchantID: a.MerchantID, Month: first, Total: SettlementLine{Day: first.Format("2006-01")}}
	var bal SettlementBalances
	prior, err := s.db.DailyTotalsBefore(ctx, a.MerchantID, first.Format(day))
	if err != nil {
		return Settlement{}, err
	}
	for _, t := range prior {
		balanceMove(&bal, nil, t)
	}
	adjs, err := s.db.LedgerAdjustmentsBefore(ctx, a.MerchantID, end)
	if err != nil {
		return Settlement{}, err
	}
	adjByDay := map[string][]db.LedgerTransaction{}
	for _, t := range adjs {
		if t.OccurredAt.Before(first) {
			adjustmentMove(&bal, nil, t)
		} else {
			d := t.OccurredAt.In(loc).Format(day)
			adjByDay[d] = append(adjByDay[d], t)
		}
	}
	totals, err := s.db.DailyTotals(ctx, a.MerchantID, first.Format(day), end.AddDate(0, 0, -1).Format(day))
	if err != nil {
		return Settlement{}, err
	}
	byDay := map[string][]db.DailyTotal{}
	for _, t := range totals {
		byDay[t.Day] = append(byDay[t.Day], t)
	}
	out.Total.Opening = bal
	for d := first; d.Before(end); d = d.AddDate(0, 0, 1) {
		key := d.Format(day)
		line := SettlementLine{Day: key, Opening: bal}
		for _, t := range byDay[key] {
			balanceMove(&bal, &line, t)
		}
		for _, t := range adjByDay[key] {
			adjustmentMove(&bal, &line, t)
		}
		line.Closing = bal
		out.Days = append(out.Days, line)
		out.Total.addFlows(line)
	}
	out.Total.Closing = bal
	return out, nil
}
