package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/money"
	"lapak/snap"
	"lapak/snap/nicepay"
	"lapak/views"
)

// cvsPageSize is how many bills the list shows.
const cvsPageSize = 100

// otherSNAPRoutes registers issue 7's pages inside the signed-in group:
// convenience-store bills for owners and cashiers, SpeedCash merchant status
// for owners.
func (h *Handler) otherSNAPRoutes(r chi.Router) {
	// Auditors read bills (issue 13 §9); only sellers issue them.
	readers := h.requireRole(db.RoleOwner, db.RoleCashier, db.RoleAuditor)
	sellers := h.requireRole(db.RoleOwner, db.RoleCashier)
	r.With(readers).Get("/cvs", h.showCVSBills)
	r.With(sellers).Post("/cvs", h.createCVSBill)
	r.With(readers).Get("/cvs/{id}", h.showCVSBill)
	r.With(readers).Get("/cvs/{id}/slip", h.showCVSSlip)
	r.With(sellers).Post("/cvs/{id}/simulate", h.simulateCVS)
	r.Group(func(r chi.Router) {
		r.Use(h.requireRole(db.RoleOwner))
		r.Get("/merchant-status", h.showMerchantStatus)
		r.Post("/merchant-status", h.checkMerchantStatus)
	})
}

func (h *Handler) cvsRow(b db.CVSBill) views.CVSBillRow {
	return views.CVSBillRow{ID: b.ID, PayNo: b.PayNo, CustomerName: b.CustomerName, GoodsName: b.GoodsName,
		AmountMinor: b.AmountMinor, ExpiresAt: b.ExpiresAt, CreatedAt: b.CreatedAt, State: b.State(h.now())}
}

func (h *Handler) showCVSBills(w http.ResponseWriter, r *http.Request) {
	h.renderCVSBills(w, r, http.StatusOK, views.CVSForm{ExpiryHours: "72"})
}

func (h *Handler) renderCVSBills(w http.ResponseWriter, r *http.Request, status int, form views.CVSForm) {
	a := accountFrom(r.Context())
	bills, err := h.db.CVSBills(r.Context(), a.Current.MerchantID, cvsPageSize)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.CVSListView{Form: form, ReadOnly: !a.hasRole(db.RoleOwner, db.RoleCashier)}
	for _, b := range bills {
		v.Bills = append(v.Bills, h.cvsRow(b))
	}
	h.render(w, r, status, views.CVSListPage(h.page(r, views.T(r.Context(), "cvs.title")), v))
}

// parseCVSAmount reads an amount as typed (parseRupiah: "25000", "25.000",
// "Rp 25.000") into sen, and accepts it under the rules every form shares
// (money.CheckAmount: whole rupiah, Rp 1 up to the one upper limit; NICEPAY
// publishes no CVS limit of its own in our spec).
func parseCVSAmount(s string) (int64, bool) {
	minor, key := parseRupiah(s)
	return minor, key == "" && money.CheckAmount("amount", minor, false) == nil
}

// createCVSBill issues a payment number for a new bill. No provider is
// called: NICEPAY learns about the bill when it asks (nicepay §1 step 1).
func (h *Handler) createCVSBill(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	a := accountFrom(r.Context())
	f := views.CVSForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Phone: strings.TrimSpace(r.PostForm.Get("phone")),
		Email: strings.TrimSpace(r.PostForm.Get("email")), Goods: strings.TrimSpace(r.PostForm.Get("goods")),
		Amount: strings.TrimSpace(r.PostForm.Get("amount")), ExpiryHours: r.PostForm.Get("expiry"), Errors: views.FieldErrors{}}
	if f.Name == "" || len(f.Name) > 100 {
		f.Errors["name"] = "cvs.err.name"
	}
	// NICEPAY shows the number with its leading 0 ("087771122333", nicepay §6.3).
	ph, perr := snap.ParsePhone(f.Phone)
	phone := ph.National()
	if perr != nil {
		f.Errors["phone"] = "cvs.err.phone"
	}
	if !validEmail(strings.ToLower(f.Email)) || len(f.Email) > 100 {
		f.Errors["email"] = "cvs.err.email"
	}
	if f.Goods == "" || len(f.Goods) > 200 {
		f.Errors["goods"] = "cvs.err.goods"
	}
	amount, ok := parseCVSAmount(f.Amount)
	if !ok {
		f.Errors["amount"] = "cvs.err.amount"
	}
	if !slices.Contains(views.CVSExpiryHours, f.ExpiryHours) {
		f.Errors["expiry"] = "cvs.err.expiry"
	}
	if len(f.Errors) > 0 {
		h.renderCVSBills(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	hours, _ := strconv.Atoi(f.ExpiryHours)
	nb := db.NewCVSBill{MerchantID: a.Current.MerchantID, PartnerServiceID: h.other.PartnerServiceID,
		CustomerName: f.Name, CustomerPhone: phone, CustomerEmail: f.Email, GoodsName: f.Goods, AmountMinor: amount,
		ExpiresAt: h.now().Add(time.Duration(hours) * time.Hour).Truncate(time.Second), CreatedBy: a.User.ID}
	var bill db.CVSBill
	var err error
	// Random customer numbers: 10^8 per prefix make a clash rare; retry it.
	for range 5 {
		nb.CustomerNo = nicepay.RandomDigits(nicepay.CustomerNoLen)
		nb.PartnerReferenceNo = "CVS-" + nicepay.RandomDigits(16)
		bill, err = h.db.CreateCVSBill(r.Context(), nb, h.auditEntry(r, "cvs.create", a.Current.MerchantID, map[string]any{
			"payNo": nb.PartnerServiceID + nb.CustomerNo, "amountMinor": amount, "expiresAt": nb.ExpiresAt}))
		if !errors.Is(err, db.ErrConflict) {
			break
		}
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.setFlash(r.Context(), "ok", "cvs.flash.created", bill.PayNo)
	http.Redirect(w, r, "/cvs/"+strconv.FormatInt(bill.ID, 10), http.StatusSeeOther)
}

// cvsBillView loads the current merchant's bill {id} with its request log.
func (h *Handler) cvsBillView(r *http.Request) (views.CVSBillView, error) {
	a := accountFrom(r.Context())
	id, ok := parseID(chi.URLParam(r, "id"))
	if !ok {
		return views.CVSBillView{}, fmt.Errorf("cvs bill id: %w", db.ErrNotFound)
	}
	b, err := h.db.MerchantCVSBill(r.Context(), a.Current.MerchantID, id)
	if err != nil {
		return views.CVSBillView{}, err
	}
	reqs, err := h.db.CVSRequests(r.Context(), a.Current.MerchantID, b.ID, 100)
	if err != nil {
		return views.CVSBillView{}, err
	}
	v := views.CVSBillView{Bill: h.cvsRow(b), PartnerServiceID: b.PartnerServiceID, CustomerNo: b.CustomerNo,
		PartnerReferenceNo: b.PartnerReferenceNo, Phone: b.CustomerPhone, Email: b.CustomerEmail,
		Paid: b.Status == db.CVSPaid, PaidAmountMinor: b.PaidAmountMinor.Int64, PaidAt: b.PaidAt.Time, MitraCd: b.MitraCd,
		Simulator: h.other.NICEPAYStore != nil && a.hasRole(db.RoleOwner, db.RoleCashier)}
	for _, q := range reqs {
		v.Requests = append(v.Requests, views.CVSRequestRow{At: q.At, Kind: q.Kind, MitraCd: q.MitraCd, RequestID: q.RequestID,
			HTTPStatus: q.HTTPStatus, ResponseCode: q.ResponseCode, Recipe: q.SignatureRecipe})
	}
	return v, nil
}

func (h *Handler) showCVSBill(w http.ResponseWriter, r *http.Request) {
	v, err := h.cvsBillView(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if v.Share, err = h.share(r, db.PayTarget{CVSBillID: v.Bill.ID}, v.Bill.AmountMinor, m.Name, v.Bill.State == db.CVSOpen); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, views.CVSBillPage(h.page(r, views.T(r.Context(), "cvs.bill")+" "+v.Bill.PayNo), v))
}

func (h *Handler) showCVSSlip(w http.ResponseWriter, r *http.Request) {
	v, err := h.cvsBillView(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, views.CVSSlipPage(h.page(r, views.T(r.Context(), "cvs.slip")+" "+v.Bill.PayNo), v))
}

// simulateCVS lets the store-network simulator inquire about or pay the
// bill, over HTTP against Lapak's own NICEPAY endpoints, as NICEPAY would.
// Only when no real NICEPAY is configured.
func (h *Handler) simulateCVS(w http.ResponseWriter, r *http.Request) {
	store := h.other.NICEPAYStore
	if store == nil {
		h.notFound(w, r)
		return
	}
	if !h.parseForm(w, r) {
		return
	}
	a := accountFrom(r.Context())
	id, ok := parseID(chi.URLParam(r, "id"))
	if !ok {
		h.notFound(w, r)
		return
	}
	b, err := h.db.MerchantCVSBill(r.Context(), a.Current.MerchantID, id)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	step := r.PostForm.Get("step")
	if step != "inquiry" && step != "pay" {
		h.renderError(w, r, http.StatusBadRequest)
		return
	}
	if err := h.audit(r, "cvs.simulate", a.Current.MerchantID, map[string]any{"payNo": b.PayNo, "step": step}); err != nil {
		h.serverError(w, r, err)
		return
	}
	ctx, cancel := contextWithTimeout(r, 20*time.Second)
	defer cancel()
	inq, err := store.Inquire(ctx, b.PayNo)
	res := inq.Result
	if err == nil && step == "pay" && inq.HTTPStatus == http.StatusOK {
		var paid nicepay.PaymentResult
		paid, err = store.Pay(ctx, b.PayNo, b.AmountMinor, inq.Request.InquiryRequestID)
		res = paid.Result
	}
	back := "/cvs/" + strconv.FormatInt(b.ID, 10)
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "cvs simulation failed", slog.String("err", err.Error()))
		h.setFlash(r.Context(), "error", "cvs.flash.simfailed", "")
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	kind := "ok"
	if res.HTTPStatus != http.StatusOK {
		kind = "error"
	}
	h.setFlash(r.Context(), kind, "cvs.flash.sim", res.Code+" "+res.Message)
	http.Redirect(w, r, back, http.StatusSeeOther)
}
