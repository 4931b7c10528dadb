package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/money"
	"lapak/views"
)

// showDeposits shows the deposit balance (§3.26), today's deposit movements
// (§3.25), top-ups, deposit withdrawals and split-fee deductions. Netzme
// being unreachable leaves the page usable with a notice.
func (h *Handler) showDeposits(w http.ResponseWriter, r *http.Request) {
	h.renderDeposits(w, r, http.StatusOK, views.DepositForms{})
}

func (h *Handler) renderDeposits(w http.ResponseWriter, r *http.Request, status int, forms views.DepositForms) {
	ctx := r.Context()
	a := accountFrom(ctx)
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.DepositsView{Linked: m.NetzmeCustID != "", CanAct: a.hasRole(db.RoleOwner),
		CanSplit: a.hasRole(db.RoleOwner) || a.User.IsAdmin, Forms: forms}
	if v.Linked {
		ov, err := h.money.DepositOverview(ctx, h.actor(r))
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		v.BalanceMinor, v.HasBalance, v.Unavailable = ov.BalanceMinor, ov.HasBalance, ov.Unavailable
		for _, t := range ov.Movements {
			v.Movements = append(v.Movements, views.DepositMovement{Type: t.Type, Status: t.Status, Desc: t.Desc,
				AmountMinor: t.AmountMinor, Time: t.Time, Reference: t.Reference})
		}
	}
	topups, err := h.db.TopupInvoices(ctx, m.ID, 20)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, iv := range topups {
		v.Topups = append(v.Topups, views.TopupRow{ID: iv.ID, Reference: iv.PartnerReferenceNo, AmountMinor: iv.AmountMinor,
			Status: string(iv.Status), CreatedAt: iv.CreatedAt})
	}
	ws, err := h.db.Withdrawals(ctx, m.ID, db.WalletDeposit, 20)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, x := range ws {
		row := withdrawalView(x)
		if x.Status.Open() {
			v.OpenWithdrawal = &row
		}
		v.Withdrawals = append(v.Withdrawals, row)
	}
	fees, err := h.db.SplitFees(ctx, m.ID, 50)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, f := range fees {
		v.SplitFees = append(v.SplitFees, views.SplitFeeRow{ID: f.ID, InvoiceID: f.InvoiceID, Reference: f.PartnerReferenceNo,
			AmountMinor: f.AmountMinor, FeeMinor: f.FeeMinor, ProductName: f.ProductName, Status: string(f.Status),
			FailureCode: f.FailureCode, CreatedAt: f.CreatedAt})
	}
	if v.CanSplit {
		paid, err := h.db.PaidSaleInvoices(ctx, m.ID, 50)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		for _, iv := range paid {
			v.PaidInvoices = append(v.PaidInvoices, views.InvoiceChoice{ID: iv.ID, Label: iv.PartnerReferenceNo + " · " +
				views.IDR(iv.AmountMinor) + " · " + iv.Description})
		}
	}
	h.render(w, r, status, views.DepositsPage(h.page(r, views.T(ctx, "deposits.title")), v))
}

// createTopup creates a top-up invoice (§3.21) through money.CreateInvoice,
// the same flow as a sale; paying it raises the deposit through the invoice
// callback.
func (h *Handler) createTopup(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	forms := views.DepositForms{TopupAmount: r.PostForm.Get("amount"), TopupMethod: r.PostForm.Get("method"), Errors: views.FieldErrors{}}
	amount, errKey := parseRupiah(forms.TopupAmount)
	if errKey != "" {
		forms.Errors["amount"] = errKey
		h.renderDeposits(w, r, http.StatusUnprocessableEntity, forms)
		return
	}
	res, err := h.money.CreateInvoice(r.Context(), h.actor(r), money.InvoiceInput{Purpose: money.PurposeTopup,
		AmountMinor: amount, Method: forms.TopupMethod})
	if err != nil {
		// The form shows one message, under the amount.
		if !fieldMessages(forms.Errors, err, "amount", map[string]string{"method": "amount"}) {
			h.serverError(w, r, err)
			return
		}
		h.renderDeposits(w, r, http.StatusUnprocessableEntity, forms)
		return
	}
	kind, key := invoiceFlash(res)
	h.setFlash(r.Context(), kind, key, res.Invoice.PartnerReferenceNo)
	http.Redirect(w, r, "/invoices/"+strconv.FormatInt(res.Invoice.ID, 10), http.StatusSeeOther)
}

// createSplitFee asks Netzme to deduct a fee from the deposit for a paid
// sale invoice (§3.20).
func (h *Handler) createSplitFee(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.parseForm(w, r) {
		return
	}
	forms := views.DepositForms{SplitInvoice: r.PostForm.Get("invoice_id"), SplitFee: r.PostForm.Get("fee"),
		SplitProduct: strings.TrimSpace(r.PostForm.Get("product_name")), Errors: views.FieldErrors{}}
	invoiceID, ok := parseID(forms.SplitInvoice)
	if !ok {
		forms.Errors["invoice_id"] = "err.splitfee.invoice"
	}
	fee, errKey := parseRupiah(forms.SplitFee)
	if errKey != "" {
		forms.Errors["fee"] = errKey
	}
	if len(forms.Errors) > 0 {
		h.renderDeposits(w, r, http.StatusUnprocessableEntity, forms)
		return
	}
	res, err := h.money.DeductSplitFee(ctx, h.actor(r), money.SplitFeeInput{InvoiceID: invoiceID, FeeMinor: fee, ProductName: forms.SplitProduct})
	if err != nil {
		status, key, ok := errorMessage(err)
		var fe *money.FieldError
		switch {
		case !ok:
			h.serverError(w, r, err)
		case errors.As(err, &fe):
			forms.Errors[fe.Field] = key
			h.renderDeposits(w, r, status, forms)
		default:
			arg := ""
			if errors.Is(err, money.ErrSplitFeeExists) {
				arg = res.InvoiceReference
			}
			h.setFlash(ctx, "error", key, arg)
			http.Redirect(w, r, "/deposits", http.StatusSeeOther)
		}
		return
	}
	kind, key := splitFeeFlash(res.SplitFee)
	h.setFlash(ctx, kind, key, res.InvoiceReference)
	http.Redirect(w, r, "/deposits", http.StatusSeeOther)
}

// retrySplitFee is "Coba lagi" on a deduction whose outcome is unknown: it
// is resent with the same references, which is safe.
func (h *Handler) retrySplitFee(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := parseID(chi.URLParam(r, "id"))
	if !ok {
		h.notFound(w, r)
		return
	}
	res, err := h.money.RetrySplitFee(ctx, h.actor(r), id)
	if err != nil {
		if _, key, ok := errorMessage(err); ok {
			h.setFlash(ctx, "error", key, "")
			http.Redirect(w, r, "/deposits", http.StatusSeeOther)
			return
		}
		h.dbError(w, r, err)
		return
	}
	if res.Sent {
		kind, key := splitFeeFlash(res.SplitFee)
		h.setFlash(ctx, kind, key, res.InvoiceReference)
	}
	http.Redirect(w, r, "/deposits", http.StatusSeeOther)
}

// splitFeeFlash is the flash (kind, key; its %s is the invoice) for where a
// deduction stands after it was sent.
func splitFeeFlash(sf db.SplitFee) (kind, key string) {
	switch {
	case sf.Status == db.SplitFeeUnknown:
		return "error", "flash.splitfee.unknown"
	case sf.FailureCode == money.SplitFeeDuplicate:
		return "ok", "flash.splitfee.duplicate"
	case sf.Status == db.SplitFeeSuccess:
		return "ok", "flash.splitfee.done"
	case sf.FailureCode == money.SplitFeeInsufficient:
		return "error", "flash.splitfee.insufficient"
	}
	return "error", "flash.splitfee.refused"
}
