package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/money"
	"lapak/netzme"
	"lapak/snap"
	"lapak/views"
)

// quoteLifetime is how long a confirmation form stays usable. The amount is
// "closed" (spec §5.3): an old inquiry is likely stale, so ask again.
const quoteLifetime = 10 * time.Minute

// moneyOutRoutes registers the pages of issue 6 "Money out" inside the
// signed-in group. Only owners withdraw; auditors may read deposits; split
// fees are for owners (and administrators working in the merchant).
func (h *Handler) moneyOutRoutes(r chi.Router) {
	owner := h.requireRole(db.RoleOwner)
	r.With(owner).Get("/withdrawals", h.showWithdrawals)
	r.With(owner).Post("/withdrawals/inquiry", h.withdrawInquiry(db.WalletSales))
	r.With(owner).Post("/withdrawals/settings", h.updateWithdrawSettings)
	r.With(owner).Get("/withdrawals/confirm/{token}", h.showWithdrawConfirm)
	r.With(owner).Post("/withdrawals/confirm/{token}", h.confirmWithdrawal)
	r.With(owner).Get("/withdrawals/{id}", h.showWithdrawal)
	r.With(owner).Post("/withdrawals/{id}/refresh", h.refreshWithdrawal)
	r.With(owner).Post("/withdrawals/{id}/approve", h.approveWithdrawal)
	r.With(owner).Post("/withdrawals/{id}/cancel", h.cancelWithdrawal)

	r.With(h.requireRole(db.RoleOwner, db.RoleAuditor)).Get("/deposits", h.showDeposits)
	r.With(owner).Post("/deposits/topup", h.createTopup)
	r.With(owner).Post("/deposits/withdraw", h.withdrawInquiry(db.WalletDeposit))
	r.With(h.requireOwnerOrAdmin).Post("/deposits/splitfee", h.createSplitFee)
	r.With(h.requireOwnerOrAdmin).Post("/deposits/splitfee/{id}/retry", h.retrySplitFee)
}

// requireOwnerOrAdmin lets owners and installation administrators working
// in a merchant through (split fees, spec §3.20 is an operator action).
func (h *Handler) requireOwnerOrAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := accountFrom(r.Context())
		if a.hasRole(db.RoleOwner) || (a != nil && a.User.IsAdmin && a.Current.MerchantID != 0) {
			next.ServeHTTP(w, r)
			return
		}
		h.forbidden(w, r)
	})
}

func jsonDetail(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}

// newFormToken is a one-time confirmation form token: 128 random bits.
func newFormToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// maskAccount hides all but the last four digits of a bank account.
func maskAccount(s string) string {
	if len(s) <= 4 {
		return s
	}
	out := make([]byte, 0, len(s))
	for range len(s) - 4 {
		out = append(out, '*')
	}
	return string(append(out, s[len(s)-4:]...))
}

func withdrawalView(w db.Withdrawal) views.WithdrawalRow {
	return views.WithdrawalRow{
		ID: w.ID, Wallet: string(w.Wallet), Reference: w.PartnerReferenceNo, NetzmeReference: w.NetzmeReferenceNo,
		AmountMinor: w.AmountMinor, Account: maskAccount(w.AccountNumber), AccountName: w.AccountName,
		BankName: w.BankName, Status: string(w.Status), FailureCode: w.FailureCode, FailureReason: w.FailureReason,
		CreatedAt: w.CreatedAt, FinalAt: w.FinalAt.Time,
	}
}

// showWithdrawals lists withdrawals, the open one (which blocks a new one)
// and the start of a new withdrawal.
func (h *Handler) showWithdrawals(w http.ResponseWriter, r *http.Request) {
	h.renderWithdrawals(w, r, http.StatusOK, "")
}

func (h *Handler) renderWithdrawals(w http.ResponseWriter, r *http.Request, status int, errKey string) {
	ctx := r.Context()
	a := accountFrom(ctx)
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	ws, err := h.db.Withdrawals(ctx, m.ID, db.WalletSales, 100)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	second, err := h.db.SecondApprover(ctx, m.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.WithdrawalsView{Linked: m.NetzmeCustID != "", SecondApprover: second, Error: errKey}
	for _, x := range ws {
		row := withdrawalView(x)
		if x.Status.Open() {
			v.Open = &row
		}
		v.Rows = append(v.Rows, row)
	}
	_ = a
	h.render(w, r, status, views.WithdrawalsPage(h.page(r, views.T(ctx, "withdrawals.title")), v))
}

// withdrawInquiry is "Cek saldo yang bisa ditarik": Withdraw Inquiry (§3.6
// or §3.22), stored as a one-time confirmation form. It moves no money. A
// withdrawal that is still open blocks it.
func (h *Handler) withdrawInquiry(wallet db.Wallet) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		a := accountFrom(ctx)
		back := "/withdrawals"
		if wallet == db.WalletDeposit {
			back = "/deposits"
		}
		m, err := h.currentMerchant(r)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if m.NetzmeCustID == "" {
			h.setFlash(ctx, "error", "invoices.notlinked", "")
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		}
		if open, err := h.db.OpenWithdrawal(ctx, m.ID, wallet); err == nil {
			h.setFlash(ctx, "error", "flash.withdraw.open", "")
			http.Redirect(w, r, "/withdrawals/"+strconv.FormatInt(open.ID, 10), http.StatusSeeOther)
			return
		} else if !errors.Is(err, db.ErrNotFound) {
			h.serverError(w, r, err)
			return
		}
		ref := newReference(h.now())
		nctx, cancel := h.netzmeCtx(r)
		defer cancel()
		in := netzme.WithdrawInquiryRequest{PartnerReferenceNo: ref, CustIDMerchant: m.NetzmeCustID}
		var q netzme.WithdrawInquiry
		if wallet == db.WalletDeposit {
			q, err = h.netzme.WithdrawDepositInquiry(nctx, in)
		} else {
			q, err = h.netzme.WithdrawInquiry(nctx, in)
		}
		if err != nil {
			h.audit(r, "withdrawal.inquiry", m.ID, map[string]any{"partner_reference_no": ref, "wallet": wallet, "result": failureText(err)})
			h.setFlash(ctx, "error", "flash.withdraw.inquiryfailed", "")
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		}
		now := h.now()
		quote, err := h.db.CreateWithdrawQuote(ctx, db.WithdrawQuote{
			MerchantID: m.ID, Wallet: wallet, Token: newFormToken(), PartnerReferenceNo: ref,
			InquiryReferenceNo: q.ReferenceNo, AmountMinor: q.AmountMinor, MinimumMinor: q.MinimumMinor,
			Allowed:     q.AmountAllowed && q.AmountMinor > 0 && q.AmountMinor >= q.MinimumMinor,
			AccountName: q.BeneficiaryAccountName, AccountNumber: q.BeneficiaryAccountNumber,
			BankName: q.BeneficiaryBankName, BankCode: q.BeneficiaryBankCode,
			CreatedBy: a.User.ID, CreatedAt: now, ExpiresAt: now.Add(quoteLifetime),
		}, h.auditEntry(r, "withdrawal.inquiry", m.ID, map[string]any{"partner_reference_no": ref, "wallet": wallet,
			"amount": snap.FormatAmount(q.AmountMinor), "allowed": q.AmountAllowed}))
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		http.Redirect(w, r, "/withdrawals/confirm/"+quote.Token, http.StatusSeeOther)
	}
}

// showWithdrawConfirm is the confirmation page: account (masked), the closed
// amount, minimum, and the PIN form (or the request form when a second owner
// must approve).
func (h *Handler) showWithdrawConfirm(w http.ResponseWriter, r *http.Request) {
	q, err := h.db.MerchantWithdrawQuote(r.Context(), accountFrom(r.Context()).Current.MerchantID, chi.URLParam(r, "token"))
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	h.renderConfirm(w, r, http.StatusOK, q, views.FieldErrors{})
}

func (h *Handler) renderConfirm(w http.ResponseWriter, r *http.Request, status int, q db.WithdrawQuote, errs views.FieldErrors) {
	ctx := r.Context()
	second, err := h.db.SecondApprover(ctx, q.MerchantID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.WithdrawConfirmView{
		Token: q.Token, Wallet: string(q.Wallet), AmountMinor: q.AmountMinor, MinimumMinor: q.MinimumMinor,
		Allowed: q.Allowed, BelowMinimum: q.AmountMinor < q.MinimumMinor, Account: maskAccount(q.AccountNumber),
		AccountName: q.AccountName, BankName: q.BankName, ExpiresAt: q.ExpiresAt,
		Usable: q.Status == "open" && h.now().Before(q.ExpiresAt), NeedsApproval: second, Errors: errs,
	}
	h.render(w, r, status, views.WithdrawConfirmPage(h.page(r, views.T(ctx, "withdraw.confirm.title")), v))
}

// pinShapeOK reports whether pin has the shape Netzme requires: 6 digits (§2.15).
func pinShapeOK(pin string) bool {
	if len(pin) != 6 {
		return false
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// confirmWithdrawal is the submit of the confirmation form. The one-time
// form and the one-open-withdrawal rule make any repeat (double click,
// second tab, back and resubmit) land on the withdrawal already started.
func (h *Handler) confirmWithdrawal(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := accountFrom(ctx)
	if !h.parseForm(w, r) {
		return
	}
	token := chi.URLParam(r, "token")
	q, err := h.db.MerchantWithdrawQuote(ctx, a.Current.MerchantID, token)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	second, err := h.db.SecondApprover(ctx, q.MerchantID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	pin := r.PostForm.Get("pin")
	if q.Status == "open" {
		switch {
		case !q.Allowed:
			h.renderConfirm(w, r, http.StatusUnprocessableEntity, q, views.FieldErrors{"amount": "withdraw.notallowed"})
			return
		case !second && !pinShapeOK(pin):
			h.renderConfirm(w, r, http.StatusUnprocessableEntity, q, views.FieldErrors{"pin": "err.pin.digits"})
			return
		}
	}
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	ref := newReference(h.now())
	wd, err := h.db.StartWithdrawal(ctx, m.ID, token, ref, a.User.ID, second, h.now(),
		h.auditEntry(r, "withdrawal.request", m.ID, map[string]any{"partner_reference_no": ref, "wallet": q.Wallet,
			"amount": snap.FormatAmount(q.AmountMinor), "needs_approval": second}))
	switch {
	case errors.Is(err, db.ErrQuoteUsed):
		if prev, err := h.db.QuoteWithdrawal(ctx, m.ID, token); err == nil {
			h.setFlash(ctx, "ok", "flash.withdraw.repeat", "")
			http.Redirect(w, r, "/withdrawals/"+strconv.FormatInt(prev.ID, 10), http.StatusSeeOther)
			return
		}
		h.setFlash(ctx, "error", "flash.withdraw.expired", "")
		http.Redirect(w, r, walletHome(q.Wallet), http.StatusSeeOther)
		return
	case errors.Is(err, db.ErrConflict):
		h.setFlash(ctx, "error", "flash.withdraw.open", "")
		if open, err := h.db.OpenWithdrawal(ctx, m.ID, q.Wallet); err == nil {
			http.Redirect(w, r, "/withdrawals/"+strconv.FormatInt(open.ID, 10), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, walletHome(q.Wallet), http.StatusSeeOther)
		return
	case err != nil:
		h.dbError(w, r, err)
		return
	}
	if second {
		h.setFlash(ctx, "ok", "flash.withdraw.awaiting", "")
		http.Redirect(w, r, "/withdrawals/"+strconv.FormatInt(wd.ID, 10), http.StatusSeeOther)
		return
	}
	kind, key := h.submitWithdrawal(r, wd, q, m, pin)
	h.setFlash(ctx, kind, key, "")
	http.Redirect(w, r, "/withdrawals/"+strconv.FormatInt(wd.ID, 10), http.StatusSeeOther)
}

func walletHome(w db.Wallet) string {
	if w == db.WalletDeposit {
		return "/deposits"
	}
	return "/withdrawals"
}

// submitWithdrawal sends the committed intent wd (status unknown) to Netzme,
// outside any transaction, exactly once, and records the answer. pin is the
// clear PIN typed just now; the client hashes it (§2.15) and it goes
// nowhere else. It returns the flash to show.
func (h *Handler) submitWithdrawal(r *http.Request, wd db.Withdrawal, q db.WithdrawQuote, m db.Merchant, pin string) (kind, key string) {
	ctx := context.WithoutCancel(r.Context())
	nctx, cancel := h.netzmeCtx(r)
	defer cancel()
	req := netzme.WithdrawRequest{
		PartnerReferenceNo: wd.PartnerReferenceNo, CustIDMerchant: m.NetzmeCustID, InquiryReferenceNo: q.InquiryReferenceNo,
		AmountMinor: wd.AmountMinor, BeneficiaryAccountName: wd.AccountName, BeneficiaryAccountNumber: wd.AccountNumber,
		BeneficiaryBankName: wd.BankName, BeneficiaryBankCode: wd.BankCode, PIN: pin,
	}
	var res netzme.WithdrawResult
	var err error
	if wd.Wallet == db.WalletDeposit {
		res, err = h.netzme.WithdrawDeposit(nctx, req)
	} else {
		res, err = h.netzme.WithdrawProcess(nctx, req)
	}
	from := []db.WithdrawalStatus{db.WithdrawalUnknown}
	var ch db.WithdrawalChange
	switch {
	case err == nil:
		ch = db.WithdrawalChange{From: from, To: db.WithdrawalPending, NetzmeReferenceNo: res.ReferenceNo, RawResponse: string(res.Raw)}
		kind, key = "ok", "flash.withdraw.pending"
	case errors.Is(err, netzme.ErrOutcomeUnknown):
		// Money may have moved. Never send again: the status query decides.
		ch = db.WithdrawalChange{From: from, To: db.WithdrawalUnknown, FailureReason: "no clear answer: " + failureText(err)}
		kind, key = "error", "flash.withdraw.unknown"
	default:
		code, reopen := withdrawFailure(err)
		ch = db.WithdrawalChange{From: from, To: db.WithdrawalFailed, FailureCode: code, FailureReason: failureText(err), ReopenQuote: reopen}
		kind, key = "error", "withdraw.failure."+code
	}
	ch.At = h.now()
	audit := h.auditEntry(r, "withdrawal.answer", m.ID, map[string]any{"partner_reference_no": wd.PartnerReferenceNo,
		"wallet": wd.Wallet, "status": ch.To, "failure": ch.FailureCode})
	if _, err := h.db.ChangeWithdrawal(ctx, wd.ID, ch, audit); err != nil {
		h.log.Error("record withdrawal answer", "withdrawal", wd.ID, "err", err)
		return "error", "flash.withdraw.unknown"
	}
	return kind, key
}

// withdrawFailure classifies a definite refusal of Withdraw Process into our
// reason key, and whether the same confirmation form may be retried (no money
// moved and the inquiry is still right). guess, spec §3.7: "Wrong PIN,
// insufficient balance and amount-mismatch error codes are not documented";
// these follow SNAP case codes as the sandbox answers them.
func withdrawFailure(err error) (code string, reopen bool) {
	var api *netzme.APIError
	if !errors.As(err, &api) {
		return "refused", false
	}
	switch {
	case api.HTTPStatus == http.StatusUnauthorized && api.Case == "00":
		return "pin_wrong", true // 401xx00 "Unauthorized. Invalid PIN"
	case api.HTTPStatus == http.StatusForbidden && api.Case == "04":
		return "pin_blocked", false // 403xx04 "Activity Count Limit Exceeded"
	case api.HTTPStatus == http.StatusNotFound && api.Case == "25":
		return "pin_missing", false // 404xx25 "Existing Pin not found." (as Forgot pin, §2.13)
	case api.HTTPStatus == http.StatusForbidden && api.Case == "14", api.HTTPStatus == http.StatusNotFound && api.Case == "13":
		return "balance_changed", false // insufficient funds / amount ≠ closed amount (§5.3)
	case api.HTTPStatus == http.StatusForbidden && api.Case == "15":
		return "below_minimum", false
	}
	return "refused", false
}

// currentWithdrawal loads the withdrawal in the URL for the current merchant.
func (h *Handler) currentWithdrawal(r *http.Request) (db.Withdrawal, error) {
	id, ok := parseID(chi.URLParam(r, "id"))
	if !ok {
		return db.Withdrawal{}, db.ErrNotFound
	}
	return h.db.MerchantWithdrawal(r.Context(), accountFrom(r.Context()).Current.MerchantID, id)
}

// showWithdrawal is one withdrawal: status in plain words, "Perbarui status"
// while open, and the approval form for a second owner.
func (h *Handler) showWithdrawal(w http.ResponseWriter, r *http.Request) {
	wd, err := h.currentWithdrawal(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	h.renderWithdrawal(w, r, http.StatusOK, wd, views.FieldErrors{})
}

func (h *Handler) renderWithdrawal(w http.ResponseWriter, r *http.Request, status int, wd db.Withdrawal, errs views.FieldErrors) {
	ctx := r.Context()
	a := accountFrom(ctx)
	v := views.WithdrawalView{Row: withdrawalView(wd), Errors: errs,
		CanApprove: wd.Status == db.WithdrawalAwaitingApproval && wd.RequestedBy != a.User.ID,
		OwnRequest: wd.Status == db.WithdrawalAwaitingApproval && wd.RequestedBy == a.User.ID,
		CanRefresh: wd.Status == db.WithdrawalUnknown || wd.Status == db.WithdrawalPending,
		CanCancel:  wd.Status == db.WithdrawalAwaitingApproval,
	}
	if v.CanRefresh {
		v.AutoRefresh = autoRefreshSeconds
	}
	if wd.Status == db.WithdrawalFailed && wd.FailureCode == "pin_wrong" {
		if q, err := h.db.WithdrawQuoteByID(ctx, wd.MerchantID, wd.QuoteID); err == nil && q.Status == "open" && h.now().Before(q.ExpiresAt) {
			v.RetryToken = q.Token
		}
	}
	h.render(w, r, status, views.WithdrawalPage(h.page(r, views.T(ctx, "withdrawal.title")), v))
}

// refreshWithdrawal is "Perbarui status": a status query, never a resend.
func (h *Handler) refreshWithdrawal(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	wd, err := h.currentWithdrawal(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	st, err := h.money.ResolveWithdrawal(ctx, h.actor(r), wd)
	switch {
	case err != nil && !errors.Is(err, money.ErrUnconfirmed):
		h.serverError(w, r, err)
		return
	case err != nil:
		h.setFlash(ctx, "error", "flash.withdraw.stillunknown", "")
	default:
		h.setFlash(ctx, "ok", "withdrawal.status."+string(st), "")
	}
	http.Redirect(w, r, "/withdrawals/"+strconv.FormatInt(wd.ID, 10), http.StatusSeeOther)
}

// approveWithdrawal is the second owner's approval with their own PIN entry.
// The requester cannot approve their own withdrawal (checked here and by the
// database).
func (h *Handler) approveWithdrawal(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := accountFrom(ctx)
	if !h.parseForm(w, r) {
		return
	}
	wd, err := h.currentWithdrawal(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	if wd.Status != db.WithdrawalAwaitingApproval {
		h.setFlash(ctx, "ok", "flash.withdraw.repeat", "")
		http.Redirect(w, r, "/withdrawals/"+strconv.FormatInt(wd.ID, 10), http.StatusSeeOther)
		return
	}
	if wd.RequestedBy == a.User.ID {
		h.renderWithdrawal(w, r, http.StatusForbidden, wd, views.FieldErrors{"pin": "withdraw.ownapproval"})
		return
	}
	pin := r.PostForm.Get("pin")
	if !pinShapeOK(pin) {
		h.renderWithdrawal(w, r, http.StatusUnprocessableEntity, wd, views.FieldErrors{"pin": "err.pin.digits"})
		return
	}
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	q, err := h.db.WithdrawQuoteByID(ctx, m.ID, wd.QuoteID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	// The approval is the intent: committed as 'unknown' before the call.
	applied, err := h.db.ChangeWithdrawal(ctx, wd.ID, db.WithdrawalChange{
		From: []db.WithdrawalStatus{db.WithdrawalAwaitingApproval}, To: db.WithdrawalUnknown, ApprovedBy: a.User.ID, At: h.now(),
	}, h.auditEntry(r, "withdrawal.approve", m.ID, map[string]any{"partner_reference_no": wd.PartnerReferenceNo}))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !applied { // a parallel approval won
		h.setFlash(ctx, "ok", "flash.withdraw.repeat", "")
		http.Redirect(w, r, "/withdrawals/"+strconv.FormatInt(wd.ID, 10), http.StatusSeeOther)
		return
	}
	wd.Status = db.WithdrawalUnknown
	kind, key := h.submitWithdrawal(r, wd, q, m, pin)
	h.setFlash(ctx, kind, key, "")
	http.Redirect(w, r, "/withdrawals/"+strconv.FormatInt(wd.ID, 10), http.StatusSeeOther)
}

// cancelWithdrawal withdraws a request still awaiting approval (nothing was
// sent to Netzme yet).
func (h *Handler) cancelWithdrawal(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	wd, err := h.currentWithdrawal(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	if _, err := h.db.ChangeWithdrawal(ctx, wd.ID, db.WithdrawalChange{
		From: []db.WithdrawalStatus{db.WithdrawalAwaitingApproval}, To: db.WithdrawalCancelled, At: h.now(),
	}, h.auditEntry(r, "withdrawal.cancel", wd.MerchantID, map[string]any{"partner_reference_no": wd.PartnerReferenceNo})); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.setFlash(ctx, "ok", "withdrawal.status.cancelled", "")
	http.Redirect(w, r, "/withdrawals/"+strconv.FormatInt(wd.ID, 10), http.StatusSeeOther)
}

// updateWithdrawSettings switches the second-approver rule.
func (h *Handler) updateWithdrawSettings(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := accountFrom(ctx)
	if !h.parseForm(w, r) {
		return
	}
	on := r.PostForm.Get("second_approver") == "on"
	if err := h.db.SetSecondApprover(ctx, a.Current.MerchantID, on, a.User.ID,
		h.auditEntry(r, "withdrawal.settings", a.Current.MerchantID, map[string]any{"second_approver": on})); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.setFlash(ctx, "ok", "flash.withdraw.settings", "")
	http.Redirect(w, r, "/withdrawals", http.StatusSeeOther)
}
