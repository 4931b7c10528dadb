package money

import (
	"context"
	"errors"
	"strings"
	"time"

	"lapak/db"
	"lapak/netzme"
)

// The resolver settles what Lapak does not know yet — invoices and
// withdrawals whose outcome is unknown, or still pending at Netzme — by
// asking Netzme's status endpoints, never by sending anything again. "Perbarui
// status" on a page, the start-up pass and the background poller all use the
// same methods, so they cannot disagree. Every change is a guarded
// transition: two resolvers (or a resolver and a callback) cannot undo each
// other.

// ErrUnconfirmed is returned (wrapped) when Netzme's answer did not settle
// the record: no answer, or an answer about something else. Nothing changed.
var ErrUnconfirmed = errors.New("money: status not confirmed by Netzme")

// neverArrived is the one "not found at Netzme" rule for invoices and
// withdrawals: Netzme's definite "no such record" (not an unclear answer)
// about a request whose outcome was unknown, asked at least the grace period
// after we sent it, proves it never arrived. Anything less is no evidence,
// and an outcome-unknown row stays unknown.
func (s *Service) neverArrived(err error, sentAt time.Time) bool {
	return errors.Is(err, netzme.ErrNotFound) && !errors.Is(err, netzme.ErrOutcomeUnknown) &&
		s.now().Sub(sentAt) >= s.grace
}

// ResolveOpen runs one pass over every merchant's open work: unknown and
// pending withdrawals, unknown invoices and pending invoices past their
// expiry. It returns how many are still open afterwards (-1 if a list could
// not be read). Failures are logged without secrets and retried on the next
// pass.
func (s *Service) ResolveOpen(ctx context.Context) int {
	wOpen := s.resolveOpenWithdrawals(ctx)
	iOpen := s.resolveOpenInvoices(ctx)
	if wOpen < 0 || iOpen < 0 {
		return -1
	}
	return wOpen + iOpen
}

// RunResolver resolves every open record now (the start-up pass: rows left
// unknown or pending by a crash between intent and answer) and then every
// interval until ctx is done.
func (s *Service) RunResolver(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 15 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.ResolveOpen(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) resolveOpenWithdrawals(ctx context.Context) int {
	ws, err := s.db.UnresolvedWithdrawals(ctx)
	if err != nil {
		s.log.Error("resolver: list unresolved withdrawals", "err", err)
		return -1
	}
	open := 0
	for _, w := range ws {
		st, err := s.ResolveWithdrawal(ctx, System(w.MerchantID), w)
		if err != nil {
			s.log.Warn("resolver: withdrawal", "withdrawal", w.ID, "partner_reference_no", w.PartnerReferenceNo, "err", err)
		}
		if st.Open() {
			open++
		}
	}
	return open
}

// resolveBatch bounds one pass over invoices, so a backlog never makes one
// pass take minutes; the rest waits for the next pass.
const resolveBatch = 200

func (s *Service) resolveOpenInvoices(ctx context.Context) int {
	ivs, err := s.db.UnresolvedInvoices(ctx, s.now(), resolveBatch)
	if err != nil {
		s.log.Error("resolver: list unresolved invoices", "err", err)
		return -1
	}
	open := 0
	for _, iv := range ivs {
		res, err := s.ResolveInvoice(ctx, System(iv.MerchantID), iv)
		if err != nil {
			s.log.Warn("resolver: invoice", "invoice", iv.ID, "partner_reference_no", iv.PartnerReferenceNo, "err", err)
		}
		if res.To == db.InvoiceUnknown || res.To == db.InvoicePending {
			open++
		}
	}
	return open
}

// auditPerson writes e when a person asked; the background poller's
// inconclusive passes are in api_calls already and would only flood the
// audit log every few seconds.
func (s *Service) auditPerson(ctx context.Context, a Actor, e db.AuditEntry) error {
	if a.UserID == 0 {
		return nil
	}
	return s.db.Audit(ctx, e)
}

// ResolveWithdrawal asks Get Information Withdraw (§3.8, or §3.24 for the
// deposit) about w and applies the answer: SUCCESS → success; a failure
// status → failed (money back in the balance); PENDING → pending; "no such
// withdrawal" → failed only under the neverArrived rule. It returns the
// status w has afterwards; ErrUnconfirmed when Netzme's answer settled
// nothing.
func (s *Service) ResolveWithdrawal(ctx context.Context, a Actor, w db.Withdrawal) (db.WithdrawalStatus, error) {
	if w.Status != db.WithdrawalUnknown && w.Status != db.WithdrawalPending {
		return w.Status, nil
	}
	// guess, §3.8: which id goes in referenceNo is ambiguous; we send
	// Netzme's withdrawal id when we have it, else our own partnerReferenceNo
	// of the withdrawal (what the legacy API was keyed by).
	key := w.NetzmeReferenceNo
	if key == "" {
		key = w.PartnerReferenceNo
	}
	a.MerchantID = w.MerchantID
	detail := func(result string) db.AuditEntry {
		return s.audit(a, "withdrawal.resolve", map[string]any{"partner_reference_no": w.PartnerReferenceNo, "wallet": w.Wallet, "result": result})
	}
	q := netzme.WithdrawInformationRequest{PartnerReferenceNo: NewReference(s.now()), ReferenceNo: key}
	ans, err := exchange(ctx, s, a, step[netzme.WithdrawStatus]{
		Call: func(ctx context.Context) (netzme.WithdrawStatus, error) {
			if w.Wallet == db.WalletDeposit {
				return s.netzme.WithdrawDepositInformation(ctx, q)
			}
			return s.netzme.WithdrawInformation(ctx, q)
		},
	})
	if err != nil {
		return w.Status, err
	}
	if ans.Err != nil {
		if w.Status == db.WithdrawalUnknown && s.neverArrived(ans.Err, w.UpdatedAt) {
			// Netzme has no such withdrawal, long after we sent it: it never
			// arrived, nothing was paid out, the balance is untouched.
			if _, err := s.changeWithdrawalTx(ctx, bookedBy(a, db.ActorSystem), w.ID, db.WithdrawalChange{From: []db.WithdrawalStatus{db.WithdrawalUnknown},
				To: db.WithdrawalFailed, FailureCode: "not_received", FailureReason: netzme.Describe(ans.Err), At: s.now()},
				detail("failed: not received")); err != nil {
				return w.Status, err
			}
			return db.WithdrawalFailed, nil
		}
		s.auditPerson(ctx, a, detail("no answer: "+netzme.Describe(ans.Err)))
		return w.Status, errors.Join(ErrUnconfirmed, ans.Err)
	}
	st := ans.Value
	if st.PartnerReferenceNo != "" && st.PartnerReferenceNo != w.PartnerReferenceNo &&
		(w.NetzmeReferenceNo == "" || st.ReferenceNo != w.NetzmeReferenceNo) {
		// Netzme answered about another withdrawal: touch nothing.
		s.db.Audit(ctx, detail("reference mismatch"))
		return w.Status, errors.Join(ErrUnconfirmed, errors.New("reference mismatch"))
	}
	if st.AmountMinor != 0 && st.AmountMinor != w.AmountMinor {
		s.db.Audit(ctx, detail("amount mismatch"))
		return w.Status, errors.Join(ErrUnconfirmed, errors.New("amount mismatch"))
	}
	ch := db.WithdrawalChange{From: []db.WithdrawalStatus{db.WithdrawalUnknown, db.WithdrawalPending},
		NetzmeReferenceNo: st.ReferenceNo, At: s.now()}
	switch to := WithdrawStatusOf(st.Status); to {
	case db.WithdrawalSuccess, db.WithdrawalFailed:
		ch.To = to
		if to == db.WithdrawalFailed {
			ch.FailureCode, ch.FailureReason = "bank_failed", "Get Information Withdraw: "+st.Status
		}
	default:
		if w.Status == db.WithdrawalPending {
			return w.Status, nil // still on its way; nothing to record
		}
		ch.To = db.WithdrawalPending
	}
	applied, err := s.changeWithdrawalTx(ctx, bookedBy(a, db.ActorSystem), w.ID, ch, detail(string(ch.To)))
	if err != nil {
		return w.Status, err
	}
	if !applied {
		// A callback or another resolver got there first.
		cur, err := s.db.Withdrawal(ctx, w.ID)
		return cur.Status, err
	}
	return ch.To, nil
}

// WithdrawStatusOf maps Netzme's withdrawal status word. Only "SUCCESS" is
// documented (§3.8, §5.3); the failure words are guesses ("FAILED" is what
// the sandbox sends). Anything else counts as still pending.
func WithdrawStatusOf(s string) db.WithdrawalStatus {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "SUCCESS", "SUCCEEDED", "PAID":
		return db.WithdrawalSuccess
	case "FAILED", "FAIL", "FAILURE", "REJECTED", "CANCELLED", "CANCELED", "REVERSED":
		return db.WithdrawalFailed
	}
	return db.WithdrawalPending
}

// InvoiceResolution is what resolving an invoice did.
type InvoiceResolution struct {
	From, To db.InvoiceStatus
	// Changed is false when nothing was recorded: already final, still
	// pending, or a callback got there first (To is then the stored status).
	Changed bool
	// NotReceived: Netzme has no such transaction, so it failed under the
	// neverArrived rule.
	NotReceived bool
}

// ResolveInvoice asks Get Invoice Transaction (§3.14) about iv and applies
// the answer with a guarded transition. ErrUnconfirmed when Netzme's answer
// settled nothing.
func (s *Service) ResolveInvoice(ctx context.Context, a Actor, iv db.Invoice) (InvoiceResolution, error) {
	res := InvoiceResolution{From: iv.Status, To: iv.Status}
	if iv.Status != db.InvoiceUnknown && iv.Status != db.InvoicePending {
		return res, nil
	}
	m, err := s.db.Merchant(ctx, iv.MerchantID)
	if err != nil {
		return res, err
	}
	a.MerchantID = iv.MerchantID
	// Without a trxId (creation never answered) we ask by our own
	// partnerReferenceNo: guess, §3.14 — the sandbox accepts either.
	key := iv.NetzmeTrxID
	if key == "" {
		key = iv.PartnerReferenceNo
	}
	audit := func(result string) db.AuditEntry {
		return s.audit(a, "invoice.refresh", map[string]any{"partner_reference_no": iv.PartnerReferenceNo, "result": result})
	}
	ans, err := exchange(ctx, s, a, step[netzme.InvoiceTransactionStatus]{
		Call: func(ctx context.Context) (netzme.InvoiceTransactionStatus, error) {
			return s.netzme.InvoiceTransaction(ctx, netzme.InvoiceTransactionQuery{PartnerReferenceNo: NewReference(s.now()), TrxID: key})
		},
	})
	if err != nil {
		return res, err
	}
	if ans.Err != nil {
		if iv.Status == db.InvoiceUnknown && s.neverArrived(ans.Err, iv.UpdatedAt) {
			// Netzme has no such transaction, long after we asked for it: the
			// creation never took effect.
			applied, err := s.changeInvoiceTx(ctx, bookedBy(a, db.ActorSystem), iv.ID, db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown},
				To: db.InvoiceFailed, Source: "refresh", Note: "Netzme has no such transaction",
				Failure: netzme.Describe(ans.Err), UserID: a.UserID}, audit("failed"))
			if err != nil {
				return res, err
			}
			res.To, res.Changed, res.NotReceived = db.InvoiceFailed, applied, applied
			return res, nil
		}
		if err := s.auditPerson(ctx, a, audit("error: "+netzme.Describe(ans.Err))); err != nil {
			return res, err
		}
		return res, errors.Join(ErrUnconfirmed, ans.Err)
	}
	st := ans.Value
	if st.CustIDMerchant != "" && st.CustIDMerchant != m.NetzmeCustID {
		// Another merchant's transaction must never touch our books.
		s.db.Audit(ctx, audit("merchant mismatch"))
		return res, errors.Join(ErrUnconfirmed, errors.New("merchant mismatch"))
	}
	var created *db.InvoiceCreated
	if iv.NetzmeTrxID == "" {
		// guess, §3.14: referenceNo carries the trxId.
		created = &db.InvoiceCreated{NetzmeTrxID: st.ReferenceNo, NetzmeInvoiceID: st.InvoiceID,
			PaymentURL: st.PaymentURL, ExpiresAt: ParseNetzmeTime(st.ExpiredTs), QRISPayload: iv.QRISPayload, VANumbers: iv.VANumbers}
	}
	from := []db.InvoiceStatus{db.InvoiceUnknown, db.InvoicePending}
	var ch db.InvoiceChange
	switch st.Status {
	case netzme.InvoiceSuccess:
		paid := st.TotalMinor
		if paid == 0 {
			paid = st.AmountMinor
		}
		paidAt := ParseNetzmeTime(st.PaidTs)
		if paidAt.IsZero() {
			paidAt = s.now()
		}
		p := &db.InvoicePayment{PaidAmountMinor: paid, PaidAt: paidAt}
		if st.FeeMinor >= 0 && st.FeeMinor <= paid {
			// guess, §3.14: the merchant receives the paid total less Netzme's fee.
			p.FeeMinor.Int64, p.FeeMinor.Valid = st.FeeMinor, true
			p.NetMinor.Int64, p.NetMinor.Valid = paid-st.FeeMinor, true
		}
		ch = db.InvoiceChange{From: from, To: db.InvoicePaid, Paid: p, Created: created}
	case netzme.InvoiceClosed:
		// guess, §3.14: CLOSED covers both expiry and cancellation.
		ch = db.InvoiceChange{From: from, To: db.InvoiceFailed, Created: created, Failure: "closed by Netzme"}
		if exp := ParseNetzmeTime(st.ExpiredTs); !exp.IsZero() && !s.now().Before(exp) {
			ch.To, ch.Failure = db.InvoiceExpired, ""
		}
	default: // INIT: waiting for payment
		if iv.Status == db.InvoicePending {
			return res, s.auditPerson(ctx, a, audit("pending"))
		}
		ch = db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown}, To: db.InvoicePending, Created: created}
	}
	ch.Source, ch.UserID, ch.Note = "refresh", a.UserID, "Get Invoice Transaction: "+st.Status
	applied, err := s.changeInvoiceTx(ctx, bookedBy(a, db.ActorSystem), iv.ID, ch, audit(string(ch.To)))
	if err != nil {
		return res, err
	}
	if !applied {
		// A callback got there first; report what it recorded.
		cur, err := s.db.MerchantInvoice(ctx, iv.MerchantID, iv.ID)
		res.To = cur.Status
		return res, err
	}
	res.To, res.Changed = ch.To, true
	return res, nil
}

// ParseNetzmeTime reads Netzme's timestamps ("2022-10-27T08:49:58.511+07:00"
// and the X-TIMESTAMP form, §2.11); unreadable values are the zero time.
func ParseNetzmeTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
