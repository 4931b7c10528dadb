package money

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lapak/db"
	"lapak/netzme"
	"lapak/snap"
)

// Withdrawals and deposit withdrawals (money out). Withdraw Inquiry (§3.6,
// §3.22) closes an amount behind a one-time confirmation form; submitting the
// form with the PIN commits the withdrawal (status unknown) and sends
// Withdraw Process (§3.7, §3.23) exactly once; when the merchant wants it, a
// second owner approves with their own PIN first. A withdrawal whose answer
// was not clear stays unknown: it is never sent again, the resolver asks
// Netzme. One withdrawal per wallet may be open at a time.

// quoteLifetime is how long a confirmation form stays usable. The amount is
// "closed" (§5.3): an old inquiry is likely stale, so ask again.
const quoteLifetime = 10 * time.Minute

// Reasons a withdrawal is refused before anything is sent (in a FieldError).
var (
	// ErrWithdrawNotAllowed: the inquiry said no withdrawal is possible now
	// (not allowed, nothing to withdraw, or below the minimum); field "amount".
	ErrWithdrawNotAllowed = errors.New("Netzme does not allow a withdrawal now")
	// ErrOwnApproval: the owner who requested a withdrawal tried to approve
	// it; field "pin".
	ErrOwnApproval = errors.New("the requester cannot approve their own withdrawal")
)

// Errors of the withdrawal use cases.
var (
	// ErrWithdrawalOpen: another withdrawal of the same wallet is still open
	// (awaiting approval, unknown or pending); nothing new may start until
	// its outcome is certain. Returned as *OpenWithdrawalError.
	ErrWithdrawalOpen = errors.New("money: a withdrawal of this wallet is still open")
	// ErrFormExpired: the confirmation form was used or has expired and
	// started no withdrawal that could be shown instead; ask again.
	ErrFormExpired = errors.New("money: the confirmation form was used or has expired")
	// ErrInquiryFailed is returned, joined with Netzme's error, when Withdraw
	// Inquiry got no usable answer. Nothing was stored.
	ErrInquiryFailed = errors.New("money: withdraw inquiry failed")
)

// OpenWithdrawalError is ErrWithdrawalOpen with the withdrawal that is open
// (the zero Withdrawal if it settled in the meantime).
type OpenWithdrawalError struct{ Withdrawal db.Withdrawal }

func (e *OpenWithdrawalError) Error() string {
	return fmt.Sprintf("%v: %s", ErrWithdrawalOpen, e.Withdrawal.PartnerReferenceNo)
}
func (e *OpenWithdrawalError) Unwrap() error { return ErrWithdrawalOpen }

// Failure codes a failed withdrawal records (db.Withdrawal.FailureCode); the
// pages word them.
const (
	FailurePINWrong       = "pin_wrong"
	FailurePINBlocked     = "pin_blocked"
	FailurePINMissing     = "pin_missing"
	FailureBalanceChanged = "balance_changed" // insufficient funds, or not the closed amount
	FailureBelowMinimum   = "below_minimum"
	FailureRefused        = "refused"     // any other clear refusal
	FailureBankFailed     = "bank_failed" // Netzme or the bank failed it after accepting it
)

// WithdrawInquiryInput chooses the wallet money would leave.
type WithdrawInquiryInput struct{ Wallet db.Wallet }

// WithdrawInquiry asks Netzme how much a's merchant may withdraw from
// in.Wallet — Withdraw Inquiry (§3.6, or §3.22 for the deposit) — and stores
// the answer as a one-time confirmation form (the quote; its Token names it),
// usable for quoteLifetime. It moves no money. Errors: ErrNotLinked;
// *OpenWithdrawalError while a withdrawal of the wallet is open;
// ErrInquiryFailed joined with Netzme's error (its kind) when Netzme gave no
// usable answer.
func (s *Service) WithdrawInquiry(ctx context.Context, a Actor, in WithdrawInquiryInput) (db.WithdrawQuote, error) {
	if in.Wallet != db.WalletSales && in.Wallet != db.WalletDeposit {
		return db.WithdrawQuote{}, fmt.Errorf("money: withdraw inquiry: unknown wallet %q", in.Wallet)
	}
	m, err := s.db.Merchant(ctx, a.MerchantID)
	if err != nil {
		return db.WithdrawQuote{}, err
	}
	if m.NetzmeCustID == "" {
		return db.WithdrawQuote{}, ErrNotLinked
	}
	if err := s.noOpenWithdrawal(ctx, m.ID, in.Wallet); err != nil {
		return db.WithdrawQuote{}, err
	}
	ref := NewReference(s.now())
	req := netzme.WithdrawInquiryRequest{PartnerReferenceNo: ref, CustIDMerchant: m.NetzmeCustID}
	ans, err := exchange(ctx, s, a, step[netzme.WithdrawInquiry]{
		Call: func(ctx context.Context) (netzme.WithdrawInquiry, error) {
			if in.Wallet == db.WalletDeposit {
				return s.netzme.WithdrawDepositInquiry(ctx, req)
			}
			return s.netzme.WithdrawInquiry(ctx, req)
		},
	})
	if err != nil {
		return db.WithdrawQuote{}, err
	}
	if ans.Err != nil {
		if err := s.db.Audit(ctx, s.audit(a, "withdrawal.inquiry", map[string]any{"partner_reference_no": ref,
			"wallet": in.Wallet, "result": netzme.Describe(ans.Err)})); err != nil {
			return db.WithdrawQuote{}, err
		}
		return db.WithdrawQuote{}, errors.Join(ErrInquiryFailed, ans.Err)
	}
	q, now := ans.Value, s.now()
	return s.db.CreateWithdrawQuote(ctx, db.WithdrawQuote{
		MerchantID: m.ID, Wallet: in.Wallet, Token: NewToken(), PartnerReferenceNo: ref,
		InquiryReferenceNo: q.ReferenceNo, AmountMinor: q.AmountMinor, MinimumMinor: q.MinimumMinor,
		Allowed:     q.AmountAllowed && q.AmountMinor > 0 && q.AmountMinor >= q.MinimumMinor,
		AccountName: q.BeneficiaryAccountName, AccountNumber: q.BeneficiaryAccountNumber,
		BankName: q.BeneficiaryBankName, BankCode: q.BeneficiaryBankCode,
		CreatedBy: a.UserID, CreatedAt: now, ExpiresAt: now.Add(quoteLifetime),
	}, s.audit(a, "withdrawal.inquiry", map[string]any{"partner_reference_no": ref, "wallet": in.Wallet,
		"amount": snap.FormatAmount(q.AmountMinor), "allowed": q.AmountAllowed}))
}

// noOpenWithdrawal returns *OpenWithdrawalError when merchantID has an open
// withdrawal of wallet.
func (s *Service) noOpenWithdrawal(ctx context.Context, merchantID int64, wallet db.Wallet) error {
	open, err := s.db.OpenWithdrawal(ctx, merchantID, wallet)
	switch {
	case err == nil:
		return &OpenWithdrawalError{Withdrawal: open}
	case errors.Is(err, db.ErrNotFound):
		return nil
	}
	return err
}

// SubmitInput is the confirmation form as submitted.
type SubmitInput struct {
	Token string // the form's one-time token
	// PIN is the clear PIN typed just now (unused when a second owner must
	// approve). The netzme client hashes it (§2.15); it is kept nowhere.
	PIN string
}

// WithdrawalResult is where a withdrawal stands after a use case: sent and
// pending, unknown (no clear answer: being confirmed, never resent),
// failed with its FailureCode, awaiting approval, or cancelled.
type WithdrawalResult struct {
	Withdrawal db.Withdrawal
	// Repeat: nothing was done now; the form had already been used (this is
	// the withdrawal it started) or the approval was already given.
	Repeat bool
}

// SubmitWithdrawal confirms a's form in.Token. It commits the withdrawal
// (the intent) and, unless a second owner must approve, sends Withdraw
// Process (§3.7, or §3.23 for the deposit) once and records the answer. Any
// repeat — double click, second tab, back and resubmit — returns the
// withdrawal the form already started (Repeat) and sends nothing.
//
// Errors: db.ErrNotFound (no such form for the merchant); a FieldError with
// ErrWithdrawNotAllowed ("amount") or ErrPINFormat ("pin"); ErrNotLinked;
// *OpenWithdrawalError; ErrFormExpired. A refusal by Netzme is not an error:
// the withdrawal is failed, with a Failure* code.
func (s *Service) SubmitWithdrawal(ctx context.Context, a Actor, in SubmitInput) (WithdrawalResult, error) {
	q, err := s.db.MerchantWithdrawQuote(ctx, a.MerchantID, in.Token)
	if err != nil {
		return WithdrawalResult{}, err
	}
	second, err := s.db.SecondApprover(ctx, q.MerchantID)
	if err != nil {
		return WithdrawalResult{}, err
	}
	if q.Status == "open" { // a used form is a repeat, whatever was typed
		if !q.Allowed {
			return WithdrawalResult{}, invalid("amount", ErrWithdrawNotAllowed)
		}
		if !second {
			if err := CheckPIN(in.PIN); err != nil {
				return WithdrawalResult{}, err
			}
		}
	}
	m, err := s.db.Merchant(ctx, q.MerchantID)
	if err != nil {
		return WithdrawalResult{}, err
	}
	if m.NetzmeCustID == "" {
		return WithdrawalResult{}, ErrNotLinked
	}
	ref := NewReference(s.now())
	var prev db.Withdrawal
	start := func(ctx context.Context) (db.Withdrawal, error) {
		wd, err := s.startWithdrawal(ctx, bookedBy(a, db.ActorSystem), m.ID, in.Token, ref, a.UserID, second,
			s.audit(a, "withdrawal.request", map[string]any{"partner_reference_no": ref, "wallet": q.Wallet,
				"amount": snap.FormatAmount(q.AmountMinor), "needs_approval": second}))
		switch {
		case errors.Is(err, db.ErrQuoteUsed):
			p, perr := s.db.QuoteWithdrawal(ctx, m.ID, in.Token)
			if errors.Is(perr, db.ErrNotFound) {
				return wd, ErrFormExpired
			} else if perr != nil {
				return wd, perr
			}
			prev = p
			return wd, errRepeat
		case errors.Is(err, db.ErrConflict):
			if oerr := s.noOpenWithdrawal(ctx, m.ID, q.Wallet); oerr != nil {
				return wd, oerr
			}
			return wd, &OpenWithdrawalError{} // it settled in the meantime
		}
		return wd, err
	}
	var wd db.Withdrawal
	if second {
		wd, err = start(ctx)
	} else {
		wd, err = s.sendWithdrawal(ctx, a, q, m.NetzmeCustID, in.PIN, start)
	}
	if errors.Is(err, errRepeat) {
		return WithdrawalResult{Withdrawal: prev, Repeat: true}, nil
	}
	if err == nil && !second {
		s.learnPINFrom(ctx, m.ID, wd)
	}
	return WithdrawalResult{Withdrawal: wd}, err
}

// learnPINFrom records what a sent withdrawal's answer told about the PIN:
// refused as wrong or blocked, or accepted — a PIN exists; refused as
// missing — none does.
func (s *Service) learnPINFrom(ctx context.Context, merchantID int64, wd db.Withdrawal) {
	switch {
	case wd.FailureCode == FailurePINMissing:
		s.learnPIN(ctx, merchantID, db.PINMissing)
	case wd.FailureCode == FailurePINWrong, wd.FailureCode == FailurePINBlocked,
		wd.Status == db.WithdrawalPending, wd.Status == db.WithdrawalSuccess:
		s.learnPIN(ctx, merchantID, db.PINSet)
	}
}

// errRepeat: the intent was already written by an earlier request; nothing
// is sent.
var errRepeat = errors.New("money: already done")

// sendWithdrawal runs one Withdraw Process exchange: intent commits the
// withdrawal in status unknown (with its audit line) and returns it; the
// request is sent once; the answer is recorded along the guarded transition
// from unknown. It returns the withdrawal as recorded. If the answer cannot
// be recorded the withdrawal stays unknown for the resolver, and that is
// what is returned.
func (s *Service) sendWithdrawal(ctx context.Context, a Actor, q db.WithdrawQuote, custID, pin string,
	intent func(context.Context) (db.Withdrawal, error)) (db.Withdrawal, error) {
	var wd db.Withdrawal
	sent := false
	_, err := exchange(ctx, s, a, step[netzme.WithdrawResult]{
		Intent: func(ctx context.Context) (err error) {
			wd, err = intent(ctx)
			return err
		},
		Call: func(ctx context.Context) (netzme.WithdrawResult, error) {
			sent = true
			req := netzme.WithdrawRequest{
				PartnerReferenceNo: wd.PartnerReferenceNo, CustIDMerchant: custID, InquiryReferenceNo: q.InquiryReferenceNo,
				AmountMinor: wd.AmountMinor, BeneficiaryAccountName: wd.AccountName, BeneficiaryAccountNumber: wd.AccountNumber,
				BeneficiaryBankName: wd.BankName, BeneficiaryBankCode: wd.BankCode, PIN: pin,
			}
			if wd.Wallet == db.WalletDeposit {
				return s.netzme.WithdrawDeposit(ctx, req)
			}
			return s.netzme.WithdrawProcess(ctx, req)
		},
		Record: func(ctx context.Context, ans Answer[netzme.WithdrawResult]) error {
			ch := withdrawAnswer(ans)
			ch.At = s.now()
			applied, err := s.changeWithdrawalTx(ctx, bookedBy(a, db.ActorSystem), wd.ID, ch, s.audit(a, "withdrawal.answer",
				map[string]any{"partner_reference_no": wd.PartnerReferenceNo, "wallet": wd.Wallet, "status": ch.To, "failure": ch.FailureCode}))
			if err != nil {
				return err
			}
			if !applied {
				// A notification got there first; report what it recorded.
				cur, err := s.db.Withdrawal(ctx, wd.ID)
				if err != nil {
					return err
				}
				wd = cur
				return nil
			}
			wd.Status, wd.UpdatedAt = ch.To, ch.At
			if ch.NetzmeReferenceNo != "" {
				wd.NetzmeReferenceNo = ch.NetzmeReferenceNo
			}
			if ch.FailureCode != "" {
				wd.FailureCode = ch.FailureCode
			}
			if ch.FailureReason != "" {
				wd.FailureReason = ch.FailureReason
			}
			return nil
		},
	})
	if err != nil && sent {
		s.log.Error("record withdrawal answer", "withdrawal", wd.ID, "partner_reference_no", wd.PartnerReferenceNo, "err", err)
		return wd, nil // still unknown: the resolver settles it
	}
	return wd, err
}

// withdrawAnswer is the change that records a Withdraw Process answer.
func withdrawAnswer(ans Answer[netzme.WithdrawResult]) db.WithdrawalChange {
	from := []db.WithdrawalStatus{db.WithdrawalUnknown}
	switch ans.Outcome {
	case Succeeded:
		return db.WithdrawalChange{From: from, To: db.WithdrawalPending, NetzmeReferenceNo: ans.Value.ReferenceNo,
			RawResponse: string(ans.Value.Raw)}
	case Unknown:
		// Money may have moved. Never send again: the status query decides.
		return db.WithdrawalChange{From: from, To: db.WithdrawalUnknown, FailureReason: "no clear answer: " + netzme.Describe(ans.Err)}
	}
	code, reopen := withdrawFailure(ans.Err)
	return db.WithdrawalChange{From: from, To: db.WithdrawalFailed, FailureCode: code, FailureReason: netzme.Describe(ans.Err),
		ReopenQuote: reopen}
}

// withdrawFailure classifies a clear refusal of Withdraw Process by its
// netzme kind, and says whether the same confirmation form may be retried
// (no money moved and the inquiry still holds). guess, §3.7: the wrong-PIN,
// insufficient-balance and amount-mismatch codes are not documented; the
// netzme kind table holds the guesses.
func withdrawFailure(err error) (code string, reopen bool) {
	switch {
	case errors.Is(err, netzme.ErrPINWrong):
		return FailurePINWrong, true
	case errors.Is(err, netzme.ErrPINBlocked):
		return FailurePINBlocked, false
	case errors.Is(err, netzme.ErrPINMissing):
		return FailurePINMissing, false
	case errors.Is(err, netzme.ErrInsufficientFunds), errors.Is(err, netzme.ErrAmountMismatch):
		return FailureBalanceChanged, false // the closed amount no longer holds (§5.3)
	case errors.Is(err, netzme.ErrBelowMinimum):
		return FailureBelowMinimum, false
	}
	return FailureRefused, false
}

// ApproveInput is a second owner's approval of withdrawal ID with their PIN.
type ApproveInput struct {
	ID  int64
	PIN string // clear PIN typed just now; hashed by the netzme client, kept nowhere
}

// ApproveWithdrawal is the second owner's approval of a's merchant's
// withdrawal in.ID: the approval is the intent (awaiting approval → unknown,
// committed), then Withdraw Process is sent once and its answer recorded as
// in SubmitWithdrawal. A withdrawal no longer awaiting approval is a repeat:
// nothing is sent. Errors: db.ErrNotFound; a FieldError with ErrOwnApproval
// or ErrPINFormat (field "pin"); ErrNotLinked.
func (s *Service) ApproveWithdrawal(ctx context.Context, a Actor, in ApproveInput) (WithdrawalResult, error) {
	wd, err := s.db.MerchantWithdrawal(ctx, a.MerchantID, in.ID)
	if err != nil {
		return WithdrawalResult{}, err
	}
	if wd.Status != db.WithdrawalAwaitingApproval {
		return WithdrawalResult{Withdrawal: wd, Repeat: true}, nil
	}
	if wd.RequestedBy == a.UserID {
		return WithdrawalResult{}, invalid("pin", ErrOwnApproval) // the database refuses it too
	}
	if err := CheckPIN(in.PIN); err != nil {
		return WithdrawalResult{}, err
	}
	m, err := s.db.Merchant(ctx, wd.MerchantID)
	if err != nil {
		return WithdrawalResult{}, err
	}
	if m.NetzmeCustID == "" {
		return WithdrawalResult{}, ErrNotLinked
	}
	q, err := s.db.WithdrawQuoteByID(ctx, m.ID, wd.QuoteID)
	if err != nil {
		return WithdrawalResult{}, err
	}
	approve := func(ctx context.Context) (db.Withdrawal, error) {
		applied, err := s.changeWithdrawalTx(ctx, bookedBy(a, db.ActorSystem), wd.ID, db.WithdrawalChange{
			From: []db.WithdrawalStatus{db.WithdrawalAwaitingApproval}, To: db.WithdrawalUnknown, ApprovedBy: a.UserID, At: s.now(),
		}, s.audit(a, "withdrawal.approve", map[string]any{"partner_reference_no": wd.PartnerReferenceNo}))
		if err != nil {
			return wd, err
		}
		if !applied { // a parallel approval won
			return wd, errRepeat
		}
		w := wd
		w.Status, w.ApprovedBy = db.WithdrawalUnknown, a.UserID
		return w, nil
	}
	sent, err := s.sendWithdrawal(ctx, a, q, m.NetzmeCustID, in.PIN, approve)
	if errors.Is(err, errRepeat) {
		cur, err := s.db.MerchantWithdrawal(ctx, a.MerchantID, wd.ID)
		return WithdrawalResult{Withdrawal: cur, Repeat: true}, err
	}
	if err == nil {
		s.learnPINFrom(ctx, m.ID, sent)
	}
	return WithdrawalResult{Withdrawal: sent}, err
}

// CancelWithdrawal withdraws a's merchant's request id while it still awaits
// approval (nothing was sent to Netzme yet). It returns the withdrawal
// afterwards: cancelled, or whatever it had become already. Errors:
// db.ErrNotFound.
func (s *Service) CancelWithdrawal(ctx context.Context, a Actor, id int64) (db.Withdrawal, error) {
	wd, err := s.db.MerchantWithdrawal(ctx, a.MerchantID, id)
	if err != nil {
		return wd, err
	}
	now := s.now()
	applied, err := s.changeWithdrawalTx(ctx, bookedBy(a, db.ActorSystem), wd.ID, db.WithdrawalChange{
		From: []db.WithdrawalStatus{db.WithdrawalAwaitingApproval}, To: db.WithdrawalCancelled, At: now,
	}, s.audit(a, "withdrawal.cancel", map[string]any{"partner_reference_no": wd.PartnerReferenceNo}))
	if err != nil {
		return wd, err
	}
	if !applied {
		return s.db.MerchantWithdrawal(ctx, a.MerchantID, id)
	}
	wd.Status, wd.UpdatedAt = db.WithdrawalCancelled, now
	return wd, nil
}

// SetSecondApprover switches whether a's merchant's withdrawals need a
// second owner's approval.
func (s *Service) SetSecondApprover(ctx context.Context, a Actor, on bool) error {
	return s.db.SetSecondApprover(ctx, a.MerchantID, on, a.UserID,
		s.audit(a, "withdrawal.settings", map[string]any{"second_approver": on}))
}
