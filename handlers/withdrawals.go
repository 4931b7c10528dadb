package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/money"
	"lapak/views"
)

// moneyOutRoutes registers the pages of issue 6 "Money out" inside the
// signed-in group. Only owners withdraw; auditors may read deposits; split
// fees are for owners (and administrators working in the merchant).
func (h *Handler) moneyOutRoutes(r chi.Router) {
	owner := h.requireRole(db.RoleOwner)
	// Auditors read withdrawals (issue 13 §9); only owners act on them.
	readers := h.requireRole(db.RoleOwner, db.RoleAuditor)
	r.With(readers).Get("/withdrawals", h.showWithdrawals)
	r.With(owner).Post("/withdrawals/inquiry", h.withdrawInquiry(db.WalletSales))
	r.With(owner).Post("/withdrawals/settings", h.updateWithdrawSettings)
	r.With(owner).Get("/withdrawals/confirm/{token}", h.showWithdrawConfirm)
	r.With(owner).Post("/withdrawals/confirm/{token}", h.confirmWithdrawal)
	r.With(readers).Get("/withdrawals/{id}", h.showWithdrawal)
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
	v := views.WithdrawalsView{Linked: m.NetzmeCustID != "", SecondApprover: second, Error: errKey,
		ReadOnly: !accountFrom(ctx).hasRole(db.RoleOwner)}
	for _, x := range ws {
		row := withdrawalView(x)
		if x.Status.Open() {
			v.Open = &row
		}
		v.Rows = append(v.Rows, row)
	}
	h.render(w, r, status, views.WithdrawalsPage(h.page(r, views.T(ctx, "withdrawals.title")), v))
}

// withdrawInquiry is "Cek saldo yang bisa ditarik": the inquiry, stored as
// a one-time confirmation form. It moves no money. A withdrawal that is still
// open blocks it and is shown instead.
func (h *Handler) withdrawInquiry(wallet db.Wallet) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := h.money.WithdrawInquiry(r.Context(), h.actor(r), money.WithdrawInquiryInput{Wallet: wallet})
		if err != nil {
			h.withdrawError(w, r, err, walletHome(wallet), nil)
			return
		}
		http.Redirect(w, r, "/withdrawals/confirm/"+q.Token, http.StatusSeeOther)
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

// confirmWithdrawal is the submit of the confirmation form. The one-time
// form and the one-open-withdrawal rule make any repeat (double click,
// second tab, back and resubmit) land on the withdrawal already started.
func (h *Handler) confirmWithdrawal(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.parseForm(w, r) {
		return
	}
	token := chi.URLParam(r, "token")
	q, err := h.db.MerchantWithdrawQuote(ctx, accountFrom(ctx).Current.MerchantID, token)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	res, err := h.money.SubmitWithdrawal(ctx, h.actor(r), money.SubmitInput{Token: token, PIN: r.PostForm.Get("pin")})
	if err != nil {
		h.withdrawError(w, r, err, walletHome(q.Wallet), func(status int, errs views.FieldErrors) {
			h.renderConfirm(w, r, status, q, errs)
		})
		return
	}
	if h.wrongPINAgain(w, r, res, token) {
		return
	}
	kind, key := withdrawalFlash(res)
	h.setFlash(ctx, kind, key, "")
	http.Redirect(w, r, "/withdrawals/"+strconv.FormatInt(res.Withdrawal.ID, 10), http.StatusSeeOther)
}

// wrongPINAgain handles a withdrawal Netzme refused for a wrong PIN while
// the form is still usable (money reopens it, issue 13 §9): back to the same
// form with how many tries are left before Netzme blocks the PIN. It
// reports whether it answered.
func (h *Handler) wrongPINAgain(w http.ResponseWriter, r *http.Request, res money.WithdrawalResult, token string) bool {
	ctx := r.Context()
	wd := res.Withdrawal
	if res.Repeat || wd.Status != db.WithdrawalFailed || wd.FailureCode != money.FailurePINWrong {
		return false
	}
	q, err := h.db.MerchantWithdrawQuote(ctx, wd.MerchantID, token)
	if err != nil || q.Status != "open" || !h.now().Before(q.ExpiresAt) {
		return false // the withdrawal page explains
	}
	left, err := h.money.PINTriesLeft(ctx, h.actor(r))
	if err != nil {
		h.serverError(w, r, err)
		return true
	}
	if left <= 1 {
		h.setFlash(ctx, "error", "withdraw.pin.lasttry", "")
	} else {
		h.setFlash(ctx, "error", "withdraw.pin.tries", strconv.Itoa(left))
	}
	http.Redirect(w, r, "/withdrawals/confirm/"+token, http.StatusSeeOther)
	return true
}

func walletHome(w db.Wallet) string {
	if w == db.WalletDeposit {
		return "/deposits"
	}
	return "/withdrawals"
}

// withdrawalFlash is the flash (kind, key) for where a withdrawal stands
// after the user's action.
func withdrawalFlash(res money.WithdrawalResult) (kind, key string) {
	switch wd := res.Withdrawal; {
	case res.Repeat:
		return "ok", "flash.withdraw.repeat"
	case wd.Status == db.WithdrawalAwaitingApproval:
		return "ok", "flash.withdraw.awaiting"
	case wd.Status == db.WithdrawalPending:
		return "ok", "flash.withdraw.pending"
	case wd.Status == db.WithdrawalUnknown:
		return "error", "flash.withdraw.unknown"
	case wd.Status == db.WithdrawalFailed:
		return "error", "withdraw.failure." + wd.FailureCode
	default: // success (a notification was faster), cancelled
		return "ok", "withdrawal.status." + string(wd.Status)
	}
}

// withdrawError answers a withdrawal action money refused: invalid input
// re-renders the form with render (nil: no form) and the field's message; an
// open withdrawal leads to it; anything else Lapak has words for is a flash
// on back. Lapak's own failures are the 500 page (404 for a missing record).
func (h *Handler) withdrawError(w http.ResponseWriter, r *http.Request, err error, back string, render func(status int, errs views.FieldErrors)) {
	status, key, ok := errorMessage(err)
	if !ok {
		h.dbError(w, r, err)
		return
	}
	var fe *money.FieldError
	var open *money.OpenWithdrawalError
	switch {
	case errors.As(err, &fe) && render != nil:
		render(status, views.FieldErrors{fe.Field: key})
		return
	case errors.As(err, &open) && open.Withdrawal.ID != 0:
		back = "/withdrawals/" + strconv.FormatInt(open.Withdrawal.ID, 10)
	}
	h.setFlash(r.Context(), "error", key, "")
	http.Redirect(w, r, back, http.StatusSeeOther)
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
	owner := a.hasRole(db.RoleOwner) // auditors only read
	v := views.WithdrawalView{Row: withdrawalView(wd), Errors: errs,
		CanApprove: owner && wd.Status == db.WithdrawalAwaitingApproval && wd.RequestedBy != a.User.ID,
		OwnRequest: wd.Status == db.WithdrawalAwaitingApproval && wd.RequestedBy == a.User.ID,
		CanRefresh: owner && (wd.Status == db.WithdrawalUnknown || wd.Status == db.WithdrawalPending),
		CanCancel:  owner && wd.Status == db.WithdrawalAwaitingApproval,
	}
	if wd.Status == db.WithdrawalUnknown || wd.Status == db.WithdrawalPending {
		v.AutoRefresh = autoRefreshSeconds
	}
	if owner && wd.Status == db.WithdrawalFailed && wd.FailureCode == money.FailurePINWrong {
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
// The requester cannot approve their own withdrawal.
func (h *Handler) approveWithdrawal(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.parseForm(w, r) {
		return
	}
	wd, err := h.currentWithdrawal(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	back := "/withdrawals/" + strconv.FormatInt(wd.ID, 10)
	res, err := h.money.ApproveWithdrawal(ctx, h.actor(r), money.ApproveInput{ID: wd.ID, PIN: r.PostForm.Get("pin")})
	if err != nil {
		h.withdrawError(w, r, err, back, func(status int, errs views.FieldErrors) {
			h.renderWithdrawal(w, r, status, wd, errs)
		})
		return
	}
	kind, key := withdrawalFlash(res)
	h.setFlash(ctx, kind, key, "")
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// cancelWithdrawal withdraws a request still awaiting approval (nothing was
// sent to Netzme yet).
func (h *Handler) cancelWithdrawal(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(chi.URLParam(r, "id"))
	if !ok {
		h.notFound(w, r)
		return
	}
	wd, err := h.money.CancelWithdrawal(r.Context(), h.actor(r), id)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	h.setFlash(r.Context(), "ok", "withdrawal.status."+string(wd.Status), "")
	http.Redirect(w, r, "/withdrawals/"+strconv.FormatInt(wd.ID, 10), http.StatusSeeOther)
}

// updateWithdrawSettings switches the second-approver rule.
func (h *Handler) updateWithdrawSettings(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	if err := h.money.SetSecondApprover(r.Context(), h.actor(r), r.PostForm.Get("second_approver") == "on"); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.setFlash(r.Context(), "ok", "flash.withdraw.settings", "")
	http.Redirect(w, r, "/withdrawals", http.StatusSeeOther)
}
