package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/money"
	"lapak/netzme"
	"lapak/snap"
	"lapak/views"
)

// jakarta is the merchants' day for the deposit transaction list (§3.4: a
// range may not span days).
var jakarta = time.FixedZone("WIB", 7*3600)

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
		nctx, cancel := h.netzmeCtx(r)
		bal, err := h.netzme.DepositBalance(nctx, netzme.BalanceRequest{PartnerReferenceNo: newReference(h.now()), CustIDMerchant: m.NetzmeCustID})
		if err == nil {
			v.BalanceMinor, v.HasBalance = bal.TotalMinor, true
		}
		day := h.now().In(jakarta)
		from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, jakarta)
		page, err2 := h.netzme.DepositTransactions(nctx, netzme.TransactionListRequest{PartnerReferenceNo: newReference(h.now()),
			CustIDMerchant: m.NetzmeCustID, From: from, To: from.Add(24*time.Hour - time.Second), Page: 1})
		cancel()
		if err2 == nil {
			for _, t := range page.Transactions {
				v.Movements = append(v.Movements, views.DepositMovement{Type: t.Type, Status: t.Status, Desc: t.Desc,
					AmountMinor: t.AmountMinor, Time: parseNetzmeTime(t.CreatedTs), Reference: t.TransactionID})
			}
		}
		v.Unavailable = err != nil || err2 != nil
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

// createSplitFee records a split-fee deduction for a paid invoice (§3.20):
// intent first, then Deduct Deposit and Split Fee outside any transaction.
func (h *Handler) createSplitFee(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := accountFrom(ctx)
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
	if len(forms.SplitProduct) > 100 {
		forms.Errors["product_name"] = "err.toolong"
	}
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var iv db.Invoice
	if ok {
		iv, err = h.db.MerchantInvoice(ctx, m.ID, invoiceID)
		if err != nil || iv.Status != db.InvoicePaid || iv.Purpose != "sale" {
			forms.Errors["invoice_id"] = "err.splitfee.invoice"
		} else if fee > iv.AmountMinor {
			forms.Errors["fee"] = "err.splitfee.toobig"
		}
	}
	if len(forms.Errors) > 0 {
		h.renderDeposits(w, r, http.StatusUnprocessableEntity, forms)
		return
	}
	product := forms.SplitProduct
	if product == "" {
		product = iv.Description
	}
	sf, err := h.db.StartSplitFee(ctx, db.SplitFee{MerchantID: m.ID, InvoiceID: iv.ID, ReferenceNo: newReference(h.now()),
		FeeMinor: fee, ProductName: product, CreatedBy: a.User.ID},
		h.auditEntry(r, "splitfee.request", m.ID, map[string]any{"invoice": iv.PartnerReferenceNo, "fee": snap.FormatAmount(fee)}))
	if errors.Is(err, db.ErrConflict) {
		h.setFlash(ctx, "error", "flash.splitfee.exists", iv.PartnerReferenceNo)
		http.Redirect(w, r, "/deposits", http.StatusSeeOther)
		return
	} else if err != nil {
		h.dbError(w, r, err)
		return
	}
	kind, key := h.sendSplitFee(r, m, iv, sf)
	h.setFlash(ctx, kind, key, iv.PartnerReferenceNo)
	http.Redirect(w, r, "/deposits", http.StatusSeeOther)
}

// retrySplitFee resends an unknown deduction with the SAME references: safe,
// because Netzme refuses a partnerReferenceNo it already has (4090001), which
// then tells us the first attempt went through.
func (h *Handler) retrySplitFee(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := parseID(chi.URLParam(r, "id"))
	if !ok {
		h.notFound(w, r)
		return
	}
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	sf, err := h.db.MerchantSplitFee(ctx, m.ID, id)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	if sf.Status != db.SplitFeeUnknown {
		http.Redirect(w, r, "/deposits", http.StatusSeeOther)
		return
	}
	iv, err := h.db.MerchantInvoice(ctx, m.ID, sf.InvoiceID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	kind, key := h.sendSplitFee(r, m, iv, sf)
	h.setFlash(ctx, kind, key, iv.PartnerReferenceNo)
	http.Redirect(w, r, "/deposits", http.StatusSeeOther)
}

// splitPayMethod maps our invoice method to §3.20's legacy payMethod list.
func splitPayMethod(method string) string {
	switch method {
	case netzme.PayQRIS:
		return "QRIS"
	case netzme.PayOVO, netzme.PayDANA, netzme.PayNetzme, netzme.PayNetzmeSeamless:
		return "EWALLET"
	case netzme.PayRetailOutlet:
		return "RETAIL_OUTLET"
	}
	return "BANK_TRANSFER"
}

func (h *Handler) sendSplitFee(r *http.Request, m db.Merchant, iv db.Invoice, sf db.SplitFee) (kind, key string) {
	ctx := context.WithoutCancel(r.Context())
	nctx, cancel := h.netzmeCtx(r)
	defer cancel()
	_, err := h.netzme.DeductDepositSplitFee(nctx, netzme.DeductDepositRequest{
		ReferenceNo: sf.ReferenceNo, PartnerReferenceNo: sf.PartnerReferenceNo, CustIDMerchant: m.NetzmeCustID,
		AmountMinor: sf.AmountMinor, FeeMinor: sf.FeeMinor, SKU: iv.PartnerReferenceNo, ProductName: sf.ProductName,
		// guess, spec §3.20: bankName from the legacy list; our money came through Netzme.
		PayMethod: splitPayMethod(iv.Method), BankName: "NETZME", Qty: 1, Desc: iv.Description,
	})
	status, code, reason := db.SplitFeeSuccess, "", ""
	kind, key = "ok", "flash.splitfee.done"
	var api *netzme.APIError
	switch {
	case err == nil:
	case errors.Is(err, netzme.ErrOutcomeUnknown):
		// Leave it unknown; "Coba lagi" resends the same references safely.
		h.audit(r, "splitfee.answer", m.ID, map[string]any{"invoice": iv.PartnerReferenceNo, "status": "unknown"})
		return "error", "flash.splitfee.unknown"
	case errors.As(err, &api) && api.ResponseCode == "4090001":
		// Netzme already has this payment: an earlier attempt went through.
		code, reason = "duplicate", failureText(err)
		key = "flash.splitfee.duplicate"
	case errors.As(err, &api) && api.ResponseCode == "4030014":
		status, code, reason = db.SplitFeeFailed, "insufficient", failureText(err)
		kind, key = "error", "flash.splitfee.insufficient"
	default:
		status, code, reason = db.SplitFeeFailed, "refused", failureText(err)
		kind, key = "error", "flash.splitfee.refused"
	}
	if _, err := h.db.FinishSplitFee(ctx, sf.ID, status, code, reason,
		h.auditEntry(r, "splitfee.answer", m.ID, map[string]any{"invoice": iv.PartnerReferenceNo, "status": status, "code": code})); err != nil {
		h.log.Error("record split fee answer", "split_fee", sf.ID, "err", err)
		return "error", "flash.splitfee.unknown"
	}
	return kind, key
}
