package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/money"
	"lapak/views"
)

// Counter mode (issue 13 §1, owners and cashiers): a big amount and keypad
// (/kasir), Enter makes a dynamic QRIS (money.CreateQRISInvoice, the same
// invoice flow as everywhere) or a fixed-amount code from the static QRIS
// (money.CounterStaticQRIS), shown full screen (/kasir/qris/{id}) with its
// live status from /kasir/qris/{id}/status, polled by static/kasir.js.

// counterRoutes registers counter mode, receipts and shifts inside the
// signed-in group (stable interface, README).
func (h *Handler) counterRoutes(r chi.Router) {
	sellers := h.requireRole(db.RoleOwner, db.RoleCashier)
	readers := h.requireRole(db.RoleOwner, db.RoleCashier, db.RoleAuditor)

	r.With(sellers).Get("/kasir", h.showKasir)
	r.With(sellers).Post("/kasir", h.createKasir)
	r.With(sellers).Get("/kasir/qris/{id:[0-9]+}", h.showKasirQR)
	r.With(sellers).Get("/kasir/qris/{id:[0-9]+}/status", h.kasirStatus)
	r.With(sellers).Get("/kasir/lunas.wav", h.lunasSound)

	r.With(readers).Get("/kasir/shift", h.showShifts)
	r.With(sellers).Post("/kasir/shift/open", h.openShift)
	r.With(readers).Get("/kasir/shifts/{id:[0-9]+}", h.showShift)
	r.With(readers).Get("/kasir/shifts/{id:[0-9]+}/print", h.printShift)
	r.With(sellers).Post("/kasir/shifts/{id:[0-9]+}/close", h.closeShift)

	r.With(readers).Get("/invoices/{id}/receipt", h.invoiceReceipt)
	r.With(readers).Get("/payments/{id}/receipt", h.paymentReceipt)
	r.With(readers).Get("/cvs/{id}/receipt", h.cvsReceipt)
}

// Counter-mode kinds of QRIS (the form's mode field).
const (
	kasirDynamic = "dynamic"
	kasirStatic  = "static"
)

func (h *Handler) showKasir(w http.ResponseWriter, r *http.Request) {
	h.renderKasir(w, r, http.StatusOK, views.KasirView{Mode: kasirDynamic, Unique: true, Errors: views.FieldErrors{}})
}

func (h *Handler) renderKasir(w http.ResponseWriter, r *http.Request, status int, v views.KasirView) {
	ctx := r.Context()
	a := accountFrom(ctx)
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v.Linked = m.NetzmeCustID != ""
	switch _, err := h.money.StaticQRIS(ctx, h.actor(r)); {
	case err == nil:
		v.HasStatic = true
	case !errors.Is(err, money.ErrNoStaticQRIS):
		h.serverError(w, r, err)
		return
	}
	switch sh, err := h.db.OpenShiftOf(ctx, m.ID, a.User.ID); {
	case err == nil:
		v.ShiftOpen, v.ShiftSince = true, sh.OpenedAt
	case !errors.Is(err, db.ErrNotFound):
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, status, views.KasirPage(h.page(r, views.T(ctx, "kasir.title")), v))
}

// createKasir is POST /kasir (amount, mode=dynamic|static): the QR for the
// amount, then 303 to its full screen; 422 with the message for an amount
// no form accepts (money.CheckAmount).
func (h *Handler) createKasir(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	v := views.KasirView{Amount: r.PostForm.Get("amount"), Mode: r.PostForm.Get("mode"), Unique: r.PostForm.Get("unique") == "1",
		Errors: views.FieldErrors{}}
	if v.Mode == "" {
		v.Mode = kasirDynamic
	}
	amount, key := parseRupiah(v.Amount)
	if key != "" {
		v.Errors["amount"] = key
	}
	if v.Mode != kasirDynamic && v.Mode != kasirStatic {
		v.Errors["mode"] = "kasir.err.mode"
	}
	if len(v.Errors) > 0 {
		h.renderKasir(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	in := money.QRISInput{AmountMinor: amount, Label: views.T(ctx, "kasir.label")}
	failed := func(err error) {
		if !fieldMessages(v.Errors, err, "amount", nil) {
			h.serverError(w, r, err)
			return
		}
		h.renderKasir(w, r, http.StatusUnprocessableEntity, v)
	}
	if v.Mode == kasirStatic {
		var c db.QRISCode
		var err error
		if v.Unique {
			// A unique tail (Rp 25.000 → Rp 25.037) tells this payment
			// from any other by its amount (issue 12 §3).
			var tail int64
			if c, tail, err = h.money.CounterUniqueQRIS(ctx, h.actor(r), in); err == nil && tail == 0 {
				h.setFlash(ctx, "error", "kasir.unique.none", "")
			}
		} else {
			c, _, err = h.money.CounterStaticQRIS(ctx, h.actor(r), in)
		}
		if err != nil {
			failed(err)
			return
		}
		http.Redirect(w, r, "/kasir/qris/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
		return
	}
	res, err := h.money.CreateQRISInvoice(ctx, h.actor(r), in)
	if err != nil {
		failed(err)
		return
	}
	if res.QRIS.ID == 0 {
		// Refused, or no clear answer yet: the invoice page explains and
		// offers "Perbarui status".
		h.setFlash(ctx, "error", "kasir.flash.noqr", res.Invoice.PartnerReferenceNo)
		http.Redirect(w, r, "/invoices/"+strconv.FormatInt(res.Invoice.ID, 10), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/kasir/qris/"+strconv.FormatInt(res.QRIS.ID, 10), http.StatusSeeOther)
}

// kasirCode loads the URL's code for the counter screen: a dynamic code (its
// invoice's) or a fixed-amount code made at the counter; anything else is
// ErrNotFound.
func (h *Handler) kasirCode(r *http.Request) (db.QRISCode, error) {
	c, err := h.currentQRIS(r)
	if err != nil {
		return c, err
	}
	if c.Kind == db.QRISInvoice || (c.Kind == db.QRISConverted && !c.AwaitingUntil.IsZero()) {
		return c, nil
	}
	return db.QRISCode{}, db.ErrNotFound
}

// counterState is where a counter code stands now: its status, until when
// it is payable, and once paid when and the receipt's links.
func (h *Handler) counterState(r *http.Request, c db.QRISCode, m db.Merchant) (views.KasirQRView, error) {
	ctx := r.Context()
	now := h.now()
	v := views.KasirQRView{CodeID: c.ID, Kind: string(c.Kind), MerchantName: m.Name, AmountMinor: c.AmountMinor,
		StatusURL: "/kasir/qris/" + strconv.FormatInt(c.ID, 10) + "/status", SoundURL: "/kasir/lunas.wav"}
	if c.Kind == db.QRISInvoice {
		iv, err := h.db.MerchantInvoice(ctx, m.ID, c.InvoiceID)
		if err != nil {
			return v, err
		}
		v.Status, v.Until = invoiceStateAt(iv, now), iv.ExpiresAt
		if iv.Status == db.InvoicePaid {
			v.PaidAt = iv.PaidAt.Time
			v.ReceiptURL = "/invoices/" + strconv.FormatInt(iv.ID, 10) + "/receipt"
			v.ReceiptWA = receiptWA(r, m.Name, iv.PaidAmountMinor.Int64, "method."+iv.Method, v.PaidAt, iv.PartnerReferenceNo)
		}
		return v, nil
	}
	v.Until = c.AwaitingUntil
	tail, err := h.db.QRISCodeTail(ctx, c.ID)
	if err != nil {
		return v, err
	}
	v.TailMinor = tail
	switch {
	case c.PaymentID != 0:
		p, err := h.db.MerchantPayment(ctx, m.ID, c.PaymentID)
		if err != nil {
			return v, err
		}
		v.Status, v.PaidAt = "paid", p.PaidAt
		v.ReceiptURL = "/payments/" + strconv.FormatInt(p.ID, 10) + "/receipt"
		v.ReceiptWA = receiptWA(r, m.Name, p.AmountMinor, "method."+db.MethodStaticQRIS, p.PaidAt, p.RRN)
	case now.After(c.AwaitingUntil):
		v.Status = "expired"
	default:
		v.Status = "pending"
		waiting, err := h.db.CounterCodesWaiting(ctx, m.ID, c.AmountMinor, now)
		if err != nil {
			return v, err
		}
		v.SameAmount = max(len(waiting)-1, 0)
	}
	return v, nil
}

// receiptWA is the "Bagikan struk" link: a wa.me message with the receipt's
// facts, in Indonesian (it is for the customer).
func receiptWA(r *http.Request, shop string, amountMinor int64, methodKey string, paidAt time.Time, ref string) string {
	ctx := views.WithLang(r.Context(), views.LangID)
	return waLink(views.T(ctx, "kasir.receipt.text", shop, views.IDR(amountMinor), views.T(ctx, methodKey), views.WIB(paidAt), ref))
}

// kasirView loads the counter code in the URL (the current merchant's only)
// and where its payment stands; on failure it has answered and ok is false.
func (h *Handler) kasirView(w http.ResponseWriter, r *http.Request) (c db.QRISCode, v views.KasirQRView, ok bool) {
	c, err := h.kasirCode(r)
	if err != nil {
		h.dbError(w, r, err)
		return c, v, false
	}
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return c, v, false
	}
	v, err = h.counterState(r, c, m)
	if err != nil {
		h.serverError(w, r, err)
		return c, v, false
	}
	return c, v, true
}

// showKasirQR is the full-screen QR with its live status.
func (h *Handler) showKasirQR(w http.ResponseWriter, r *http.Request) {
	c, v, ok := h.kasirView(w, r)
	if !ok {
		return
	}
	svg, err := qrisSVG(c.Payload)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v.SVG = svg
	h.render(w, r, http.StatusOK, views.KasirQRPage(h.page(r, views.T(r.Context(), "kasir.qr.title")), v))
}

// kasirStatus is GET /kasir/qris/{id}/status: {"status", "paid_at",
// "receipt", "receipt_wa"} for static/kasir.js.
func (h *Handler) kasirStatus(w http.ResponseWriter, r *http.Request) {
	_, v, ok := h.kasirView(w, r)
	if !ok {
		return
	}
	s := statusJSON{Status: v.Status}
	if v.Status == "paid" {
		s.PaidAt, s.Receipt, s.ReceiptWA = views.WIB(v.PaidAt), v.ReceiptURL, v.ReceiptWA
	}
	h.writeStatus(w, s)
}
