package handlers

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/netzme/qris"
	"lapak/views"
)

// Receipts (struk, issue 13 §3) for what was paid: a sale invoice, a
// static-QRIS payment, a convenience-store bill. ?size=58mm (thermal
// printer, the default) or a6; each shows shop, amount, method, time in WIB,
// the reference and a QR of the reference, with a Cetak button. Something
// not paid has no receipt (404).

// receiptSize reads ?size: "a6", else "58mm".
func receiptSize(r *http.Request) string {
	if r.URL.Query().Get("size") == "a6" {
		return "a6"
	}
	return "58mm"
}

// qrisSVG draws s as a QR code (any text; QRIS payloads are parsed before).
func qrisSVG(s string) (string, error) {
	b, err := qris.SVG(s)
	return string(b), err
}

// methodKey is the catalogue key naming payMethod m.
func methodKey(m string) string {
	if views.HasMessage("method." + m) {
		return "method." + m
	}
	return "method.QRIS"
}

func (h *Handler) renderReceipt(w http.ResponseWriter, r *http.Request, v views.ReceiptView) {
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v.MerchantName, v.City, v.Size = m.Name, m.City, receiptSize(r)
	if v.QRSVG, err = qrisSVG(v.Reference); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, views.ReceiptPage(h.page(r, views.T(r.Context(), "receipt.title")), v))
}

// invoiceReceipt is GET /invoices/{id}/receipt: a paid invoice's receipt
// (cashiers: sales only, as currentInvoice).
func (h *Handler) invoiceReceipt(w http.ResponseWriter, r *http.Request) {
	iv, err := h.currentInvoice(r)
	if err == nil && iv.Status != db.InvoicePaid {
		err = db.ErrNotFound
	}
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	base := "/invoices/" + strconv.FormatInt(iv.ID, 10)
	h.renderReceipt(w, r, views.ReceiptView{AmountMinor: iv.PaidAmountMinor.Int64, MethodKey: methodKey(iv.Method),
		PaidAt: iv.PaidAt.Time, Reference: iv.PartnerReferenceNo, Description: iv.Description,
		Base: base + "/receipt", Back: base})
}

// paymentReceipt is GET /payments/{id}/receipt: a static-QRIS payment's
// receipt, referenced by its RRN.
func (h *Handler) paymentReceipt(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(chi.URLParam(r, "id"))
	if !ok {
		h.notFound(w, r)
		return
	}
	p, err := h.db.MerchantPayment(r.Context(), accountFrom(r.Context()).Current.MerchantID, id)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	v := views.ReceiptView{AmountMinor: p.AmountMinor, MethodKey: "method." + db.MethodStaticQRIS, PaidAt: p.PaidAt,
		Reference: p.RRN, Base: "/payments/" + strconv.FormatInt(p.ID, 10) + "/receipt", Back: "/kasir"}
	if p.IssuerName != "" {
		v.Lines = append(v.Lines, views.ReceiptLine{Key: "receipt.issuer", Value: p.IssuerName})
	}
	h.renderReceipt(w, r, v)
}

// cvsReceipt is GET /cvs/{id}/receipt: a paid convenience-store bill's
// receipt, referenced by its payment number.
func (h *Handler) cvsReceipt(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(chi.URLParam(r, "id"))
	if !ok {
		h.notFound(w, r)
		return
	}
	b, err := h.db.MerchantCVSBill(r.Context(), accountFrom(r.Context()).Current.MerchantID, id)
	if err == nil && b.Status != db.CVSPaid {
		err = db.ErrNotFound
	}
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	base := "/cvs/" + strconv.FormatInt(b.ID, 10)
	v := views.ReceiptView{AmountMinor: b.PaidAmountMinor.Int64, MethodKey: "method." + db.MethodCVS, PaidAt: b.PaidAt.Time,
		Reference: b.PayNo, Description: b.GoodsName, Base: base + "/receipt", Back: base}
	if b.MitraCd != "" {
		v.Lines = append(v.Lines, views.ReceiptLine{Key: "receipt.store", Value: b.MitraCd})
	}
	h.renderReceipt(w, r, v)
}
