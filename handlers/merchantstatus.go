package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"lapak/db"
	"lapak/snap"
	"lapak/snap/speedcash"
	"lapak/views"
)

// msCodeKey is the catalogue key explaining a SpeedCash response code; every
// documented code has its own message (speedcash §2.4).
func msCodeKey(code string) string {
	if code != speedcash.CodeSuccess && slices.Contains(speedcash.Codes, code) {
		return "ms.code." + code
	}
	return "ms.code.other"
}

func msRow(c db.MerchantStatusCheck) views.MerchantStatusRow {
	row := views.MerchantStatusRow{At: c.CreatedAt, Phone: c.Phone, Outcome: c.Outcome, HasStatus: c.Status.Valid,
		Status: int(c.Status.Int64), Title: c.Title, Description: c.Description, MerchantID: c.SCMerchantID,
		StoreName: c.StoreName, MID: c.MID, NMID: c.NMID, Code: c.ResponseCode}
	switch {
	case c.Outcome == "unknown":
		row.MessageKey = "ms.code.unknown"
	case c.Outcome == "error" && c.ResponseCode == "":
		row.MessageKey = "ms.code.noanswer"
	default:
		row.MessageKey = msCodeKey(c.ResponseCode)
	}
	return row
}

func (h *Handler) showMerchantStatus(w http.ResponseWriter, r *http.Request) {
	h.renderMerchantStatus(w, r, http.StatusOK, "", nil)
}

func (h *Handler) renderMerchantStatus(w http.ResponseWriter, r *http.Request, status int, phone string, errs views.FieldErrors) {
	ctx := r.Context()
	mid := accountFrom(ctx).Current.MerchantID
	v := views.MerchantStatusView{Phone: phone, Errors: errs, Simulated: h.other.SpeedCashSimulated}
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	// The shop's own status comes only from the shop's own number (issue 13
	// §9): a check of any other number is listed, never taken for it.
	if m.Phone != "" {
		if p, err := snap.ParsePhone(m.Phone); err == nil {
			v.ShopPhone = p.International()
		}
	}
	if v.ShopPhone != "" {
		last, err := h.db.LastKnownMerchantStatusOf(ctx, mid, v.ShopPhone)
		switch {
		case err == nil:
			row := msRow(last)
			v.Last = &row
		case !errors.Is(err, db.ErrNotFound):
			h.serverError(w, r, err)
			return
		}
		if v.Phone == "" {
			v.Phone = v.ShopPhone
		}
	}
	checks, err := h.db.MerchantStatusChecks(ctx, mid, 20)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, c := range checks {
		row := msRow(c)
		row.OtherPhone = c.Phone != v.ShopPhone
		v.Checks = append(v.Checks, row)
	}
	h.render(w, r, status, views.MerchantStatusPage(h.page(r, views.T(ctx, "ms.title")), v))
}

// checkMerchantStatus asks SpeedCash for the merchant's onboarding status
// (money.CheckMerchantStatus) and flashes what it answered.
func (h *Handler) checkMerchantStatus(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	typed := strings.TrimSpace(r.PostForm.Get("phone"))
	// SpeedCash wants 62… (speedcash §2.2, §3).
	ph, err := snap.ParsePhone(typed)
	phone := ph.International()
	if err != nil {
		h.renderMerchantStatus(w, r, http.StatusUnprocessableEntity, typed, views.FieldErrors{"phone": "ms.err.phone"})
		return
	}
	res, err := h.money.CheckMerchantStatus(ctx, h.actor(r), phone)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if res.Outcome == "ok" {
		h.setFlash(ctx, "ok", "ms.flash.ok", views.T(ctx, "ms.status."+itoa(int(res.Status.Int64))))
	} else {
		key := "ms.code.noanswer"
		if res.ResponseCode != "" {
			key = msCodeKey(res.ResponseCode)
		}
		h.setFlash(ctx, "error", "ms.flash.error", views.T(ctx, key))
	}
	http.Redirect(w, r, "/merchant-status", http.StatusSeeOther)
}
