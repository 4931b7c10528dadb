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

// Shifts (tutup kasir, issue 13 §4): /kasir/shift opens and shows the
// person's shift; closing shows and prints (58 mm) count and total per
// method. What counts as the cashier's own is money.ShiftReport's rule.
// Cashiers see their own shifts and their own sales; owners and auditors
// see every shift and the whole shop's totals next to the cashier's.

const shiftListLimit = 50

func shiftRow(s db.Shift) views.ShiftRow {
	name := s.UserName
	if name == "" {
		name = s.UserEmail
	}
	return views.ShiftRow{ID: s.ID, Cashier: name, OpenedAt: s.OpenedAt, ClosedAt: s.ClosedAt, Open: s.Open()}
}

// seesAllShifts reports whether the current role reads every shift and the
// shop's totals (owners and auditors; cashiers never see the shop's money).
func seesAllShifts(a *account) bool { return a.hasRole(db.RoleOwner, db.RoleAuditor) }

// shiftReport builds the report view of sh for the current user.
func (h *Handler) shiftReport(r *http.Request, sh db.Shift) (views.ShiftReportView, error) {
	a := accountFrom(r.Context())
	rep, err := h.money.ShiftReport(r.Context(), sh)
	if err != nil {
		return views.ShiftReportView{}, err
	}
	rows := func(ts []db.MethodTotal) []views.MethodTotalRow {
		out := make([]views.MethodTotalRow, 0, len(ts))
		for _, t := range ts {
			out = append(out, views.MethodTotalRow{Key: methodKey(t.Method), Count: t.Count, AmountMinor: t.AmountMinor})
		}
		return out
	}
	v := views.ShiftReportView{Shift: shiftRow(sh), Until: rep.Until, Own: rows(rep.Own), OwnCount: rep.OwnCount,
		OwnMinor: rep.OwnMinor, Unmatched: rep.Unmatched, ShowShop: seesAllShifts(a), MerchantName: a.Current.MerchantName,
		CanClose: sh.Open() && a.hasRole(db.RoleOwner, db.RoleCashier) && (sh.UserID == a.User.ID || a.hasRole(db.RoleOwner))}
	if v.ShowShop {
		v.Shop, v.ShopCount, v.ShopMinor = rows(rep.Shop), rep.ShopCount, rep.ShopMinor
	}
	return v, nil
}

// showShifts is GET /kasir/shift.
func (h *Handler) showShifts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := accountFrom(ctx)
	mid := a.Current.MerchantID
	v := views.ShiftsView{CanOpen: a.hasRole(db.RoleOwner, db.RoleCashier), ShowAll: seesAllShifts(a)}
	switch sh, err := h.db.OpenShiftOf(ctx, mid, a.User.ID); {
	case err == nil:
		rep, err := h.shiftReport(r, sh)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		v.Current = &rep
	case !errors.Is(err, db.ErrNotFound):
		h.serverError(w, r, err)
		return
	}
	mine, err := h.db.Shifts(ctx, mid, a.User.ID, shiftListLimit)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, s := range mine {
		v.Mine = append(v.Mine, shiftRow(s))
	}
	if v.ShowAll {
		all, err := h.db.Shifts(ctx, mid, 0, shiftListLimit)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		for _, s := range all {
			v.AllShifts = append(v.AllShifts, shiftRow(s))
		}
	}
	h.render(w, r, http.StatusOK, views.ShiftsPage(h.page(r, views.T(ctx, "shift.title")), v))
}

// openShift is POST /kasir/shift/open.
func (h *Handler) openShift(w http.ResponseWriter, r *http.Request) {
	_, err := h.money.OpenShift(r.Context(), h.actor(r))
	switch {
	case errors.Is(err, money.ErrShiftOpen):
		h.setFlash(r.Context(), "ok", "flash.shift.already", "")
	case err != nil:
		h.serverError(w, r, err)
		return
	default:
		h.setFlash(r.Context(), "ok", "flash.shift.opened", "")
	}
	http.Redirect(w, r, "/kasir/shift", http.StatusSeeOther)
}

// urlShift loads the URL's shift if the current user may read it: their
// own, or any for owners and auditors. Another's is ErrNotFound.
func (h *Handler) urlShift(r *http.Request) (db.Shift, error) {
	a := accountFrom(r.Context())
	id, ok := parseID(chi.URLParam(r, "id"))
	if !ok {
		return db.Shift{}, db.ErrNotFound
	}
	sh, err := h.db.MerchantShift(r.Context(), a.Current.MerchantID, id)
	if err == nil && sh.UserID != a.User.ID && !seesAllShifts(a) {
		return db.Shift{}, db.ErrNotFound
	}
	return sh, err
}

// closeShift is POST /kasir/shifts/{id}/close: the cashier's own shift, or
// any shift for an owner. It lands on the report, ready to print.
func (h *Handler) closeShift(w http.ResponseWriter, r *http.Request) {
	sh, err := h.urlShift(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	a := accountFrom(r.Context())
	_, err = h.money.CloseShift(r.Context(), h.actor(r), sh.ID, a.hasRole(db.RoleOwner))
	switch {
	case errors.Is(err, money.ErrShiftNotYours):
		h.forbidden(w, r)
		return
	case err != nil:
		h.dbError(w, r, err)
		return
	}
	h.setFlash(r.Context(), "ok", "flash.shift.closed", "")
	http.Redirect(w, r, "/kasir/shifts/"+strconv.FormatInt(sh.ID, 10), http.StatusSeeOther)
}

// showShift is GET /kasir/shifts/{id}: the report.
func (h *Handler) showShift(w http.ResponseWriter, r *http.Request) {
	sh, err := h.urlShift(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	v, err := h.shiftReport(r, sh)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, views.ShiftPage(h.page(r, views.T(r.Context(), "shift.report")), v))
}

// printShift is GET /kasir/shifts/{id}/print: the report on 58 mm paper.
func (h *Handler) printShift(w http.ResponseWriter, r *http.Request) {
	sh, err := h.urlShift(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	v, err := h.shiftReport(r, sh)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v.Size = "58mm"
	h.render(w, r, http.StatusOK, views.ShiftPrintPage(h.page(r, views.T(r.Context(), "shift.report")), v))
}
