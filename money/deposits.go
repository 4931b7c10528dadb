package money

import (
	"context"
	"sync"
	"time"

	"lapak/netzme"
)

// jakarta is the merchants' day for the deposit movements: one query covers
// one day (§3.4: a range may not span days; §3.25 is presumably alike).
var jakarta = time.FixedZone("WIB", 7*3600)

// DepositOverview is the merchant's deposit as Netzme reports it now. Money
// in sen.
type DepositOverview struct {
	HasBalance   bool // false: the balance could not be read
	BalanceMinor int64
	Movements    []DepositMovement // today's, Jakarta time
	// Unavailable: Netzme did not answer one of the two look-ups; the page
	// shows what it has.
	Unavailable bool
}

// DepositMovement is one deposit transaction (§3.25: not documented,
// presumably shaped like §3.4).
type DepositMovement struct {
	Type, Status, Desc string
	AmountMinor        int64
	Time               time.Time // zero when Netzme's timestamp is unreadable
	Reference          string    // Netzme's transactionId
}

// DepositOverview reads a's merchant's deposit live from Netzme, both
// look-ups at once: Get Balance Deposit (§3.26) and today's Get Deposit
// Transaction (§3.25). It moves and records nothing but the api_calls rows;
// Netzme failing only sets Unavailable. Errors: ErrNotLinked, or the
// merchant could not be read.
func (s *Service) DepositOverview(ctx context.Context, a Actor) (DepositOverview, error) {
	m, err := s.db.Merchant(ctx, a.MerchantID)
	if err != nil {
		return DepositOverview{}, err
	}
	if m.NetzmeCustID == "" {
		return DepositOverview{}, ErrNotLinked
	}
	var v DepositOverview
	if s.netzme == nil { // a Service built without Netzme (tests of other pages)
		v.Unavailable = true
		return v, nil
	}
	day := s.now().In(jakarta)
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, jakarta)
	var bal Answer[netzme.Balance]
	var list Answer[netzme.TransactionPage]
	var wg sync.WaitGroup
	wg.Go(func() {
		bal, _ = exchange(ctx, s, a, step[netzme.Balance]{
			Call: func(ctx context.Context) (netzme.Balance, error) {
				return s.netzme.DepositBalance(ctx, netzme.BalanceRequest{PartnerReferenceNo: NewReference(s.now()), CustIDMerchant: m.NetzmeCustID})
			},
		})
	})
	wg.Go(func() {
		list, _ = exchange(ctx, s, a, step[netzme.TransactionPage]{
			Call: func(ctx context.Context) (netzme.TransactionPage, error) {
				return s.netzme.DepositTransactions(ctx, netzme.TransactionListRequest{PartnerReferenceNo: NewReference(s.now()),
					CustIDMerchant: m.NetzmeCustID, From: from, To: from.Add(24*time.Hour - time.Second), Page: 1})
			},
		})
	})
	wg.Wait()
	if bal.Outcome == Succeeded {
		v.HasBalance, v.BalanceMinor = true, bal.Value.TotalMinor
	}
	if list.Outcome == Succeeded {
		for _, t := range list.Value.Transactions {
			v.Movements = append(v.Movements, DepositMovement{Type: t.Type, Status: t.Status, Desc: t.Desc,
				AmountMinor: t.AmountMinor, Time: ParseNetzmeTime(t.CreatedTs), Reference: t.TransactionID})
		}
	}
	v.Unavailable = bal.Outcome != Succeeded || list.Outcome != Succeeded
	return v, nil
}
