package money

import (
	"context"
	"errors"
	"time"

	"lapak/db"
	"lapak/netzme"
)

// Netzme reads for the pages: balances (§3.3, §3.26), the transaction list
// (§3.4) and the check of static-QRIS payments (§3.10). They move nothing
// and record nothing but their api_calls rows; a failure shows as
// "unavailable" on the page and never hides Lapak's own figures.

// lookupTimeout bounds one look-up made for a page people open all day (the
// dashboard is where login lands): past it the figure shows as unavailable,
// unlike the 60 s a call that moves money may take.
const lookupTimeout = 8 * time.Second

// historyMaxPages bounds the §3.4 pages read per day (guess, §3.4: page size
// is not documented; an empty page ends the list).
const historyMaxPages = 20

// Balance reads the merchant's total and settled balance (Balance Detail,
// §3.3). Errors: ErrNotLinked; Netzme's by kind (netzme.ErrUnavailable when
// it cannot be reached in time).
func (s *Service) Balance(ctx context.Context, a Actor) (netzme.Balance, error) {
	return s.balance(ctx, a, (*netzme.Client).BalanceDetail)
}

// DepositBalance reads the merchant's deposit balance (§3.26); errors as
// Balance.
func (s *Service) DepositBalance(ctx context.Context, a Actor) (netzme.Balance, error) {
	return s.balance(ctx, a, (*netzme.Client).DepositBalance)
}

func (s *Service) balance(ctx context.Context, a Actor,
	read func(*netzme.Client, context.Context, netzme.BalanceRequest) (netzme.Balance, error)) (netzme.Balance, error) {
	m, err := s.linkedMerchant(ctx, a)
	if err != nil {
		return netzme.Balance{}, err
	}
	if s.netzme == nil {
		return netzme.Balance{}, errNoNetzme
	}
	ans, err := exchange(ctx, s, a, step[netzme.Balance]{
		Timeout: lookupTimeout,
		Call: func(ctx context.Context) (netzme.Balance, error) {
			return read(s.netzme, ctx, netzme.BalanceRequest{PartnerReferenceNo: NewReference(s.now()), CustIDMerchant: m.NetzmeCustID})
		},
	})
	if err != nil {
		return netzme.Balance{}, err
	}
	return ans.Value, ans.Err
}

// errNoNetzme is the answer of a Service built without a Netzme client
// (tests of pages that do not need one): Netzme is unavailable.
var errNoNetzme = errors.Join(netzme.ErrUnavailable, errors.New("money: no Netzme client"))

// NetzmeTransaction is one row of Netzme's transaction list (§3.4) with its
// time read.
type NetzmeTransaction struct {
	netzme.Transaction
	At time.Time // createdTs, else tsLong; zero when neither reads
}

// NetzmeTransactions reads Netzme's transaction list (§3.4) of a's merchant
// for each day from from (a midnight) to to (exclusive), every page of each
// day: §3.4 takes one day per call. ok is false when a call failed: the rows
// read are still returned, and after a failure without a clear answer no
// further day is asked (Netzme is down; the page must not wait for each
// day). Errors: ErrNotLinked; Lapak's own.
func (s *Service) NetzmeTransactions(ctx context.Context, a Actor, from, to time.Time) ([]NetzmeTransaction, bool, error) {
	m, err := s.linkedMerchant(ctx, a)
	if err != nil {
		return nil, false, err
	}
	if s.netzme == nil {
		return nil, false, nil
	}
	var rows []NetzmeTransaction
	ok := true
	for day := from; day.Before(to); day = day.AddDate(0, 0, 1) {
		if ctx.Err() != nil {
			return rows, false, nil // the reader left
		}
		for page := 1; page <= historyMaxPages; page++ {
			ans, err := exchange(ctx, s, a, step[netzme.TransactionPage]{
				Call: func(ctx context.Context) (netzme.TransactionPage, error) {
					return s.netzme.TransactionList(ctx, netzme.TransactionListRequest{PartnerReferenceNo: NewReference(s.now()),
						CustIDMerchant: m.NetzmeCustID, From: day, To: day.Add(24*time.Hour - time.Second), Page: page})
				},
			})
			if err != nil {
				return rows, false, err
			}
			if ans.Err != nil {
				ok = false
				if unclear(ans.Err) {
					return rows, false, nil
				}
				break
			}
			if len(ans.Value.Transactions) == 0 {
				break
			}
			for _, t := range ans.Value.Transactions {
				at := ParseNetzmeTime(t.CreatedTs)
				if at.IsZero() && t.TsLong > 0 {
					at = time.UnixMilli(t.TsLong)
				}
				rows = append(rows, NetzmeTransaction{Transaction: t, At: at})
			}
		}
	}
	return rows, ok, nil
}

// StaticPaymentKey is the key of Get QRIS Acquire Transaction for a
// static-QRIS payment: rrn + YYYYMMDD + issuer id (inferred, §3.10; the same
// key the QRIS callback calls referenceId).
func StaticPaymentKey(p db.Payment) string { return p.RRN + p.LocalDate + p.IssuerID }

// PaymentCheck is what Netzme's own record says of a static-QRIS payment in
// our books (§3.10).
type PaymentCheck string

const (
	PaymentConfirmed  PaymentCheck = "ok"          // Netzme recorded the same amount
	PaymentMismatch   PaymentCheck = "mismatch"    // Netzme recorded another amount
	PaymentMissing    PaymentCheck = "missing"     // Netzme has no such payment
	PaymentUnverified PaymentCheck = "unavailable" // no answer; not checked
)

// StaticPayment names a payment for CheckStaticPayments: its key
// (StaticPaymentKey) and the amount our books hold, in sen.
type StaticPayment struct {
	Key         string
	AmountMinor int64
}

// CheckStaticPayments asks Netzme (Get QRIS Acquire Transaction, §3.10)
// about each payment, so the owner sees whether what reached our books is
// what Netzme recorded: the reconciliation in the other direction from
// §3.4. The result has one check per payment, in order. After a call
// without a clear answer the rest are PaymentUnverified without asking.
func (s *Service) CheckStaticPayments(ctx context.Context, a Actor, ps []StaticPayment) []PaymentCheck {
	out := make([]PaymentCheck, len(ps))
	down := s.netzme == nil
	for i, p := range ps {
		if down || ctx.Err() != nil {
			out[i] = PaymentUnverified
			continue
		}
		ans, err := exchange(ctx, s, a, step[netzme.QRISAcquire]{
			Timeout: lookupTimeout,
			Call: func(ctx context.Context) (netzme.QRISAcquire, error) {
				return s.netzme.QRISAcquireTransaction(ctx, netzme.QRISAcquireRequest{
					PartnerReferenceNo: NewReference(s.now()), ReferenceID: p.Key})
			},
		})
		switch {
		case err != nil:
			out[i] = PaymentUnverified
		case errors.Is(ans.Err, netzme.ErrNotFound):
			out[i] = PaymentMissing
		case ans.Err != nil:
			out[i], down = PaymentUnverified, unclear(ans.Err)
		case ans.Value.AmountMinor != p.AmountMinor:
			out[i] = PaymentMismatch
		default:
			out[i] = PaymentConfirmed
		}
	}
	return out
}

// unclear reports whether a call that does not move money ended without a
// clear answer: Netzme unreachable or failing (5xx, timeout), or an answer
// that is not a refusal. Only a refusal (*netzme.APIError with a 4xx
// status) proves Netzme did not act.
func unclear(err error) bool {
	var api *netzme.APIError
	return OutcomeOf(err) == Unknown || errors.Is(err, netzme.ErrUnavailable) || !errors.As(err, &api)
}
