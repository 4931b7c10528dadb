package handlers

import (
	"errors"
	"net/http"
	"strings"

	"lapak/db"
	"lapak/netzme"
	"lapak/netzme/qris"
	"lapak/views"
)

// Linking a Netzme merchant (owner): look the merchant up by its registered
// phone number (Get Merchant Detail, spec §3.5), show what Netzme knows, and
// save only after the owner confirms. Saving looks the merchant up again so
// what is stored is Netzme's answer, not form fields a browser could alter.

// netzmePhone turns what an owner types ("0812…", "+62 812…") into the
// "62…" form the sandbox registers (guess, spec §3.5: format not documented).
func netzmePhone(s string) (string, bool) {
	p, ok := normalisePhone(s)
	if !ok {
		return "", false
	}
	return strings.TrimPrefix(p, "+"), true
}

func (h *Handler) showLink(w http.ResponseWriter, r *http.Request) {
	h.renderLink(w, r, http.StatusOK, views.LinkView{})
}

func (h *Handler) renderLink(w http.ResponseWriter, r *http.Request, status int, v views.LinkView) {
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v.CustID, v.MerchantName, v.Phone, v.NMID, v.City = m.NetzmeCustID, m.Name, m.Phone, m.NMID, m.City
	if v.Errors == nil {
		v.Errors = views.FieldErrors{}
	}
	h.render(w, r, status, views.LinkPage(h.page(r, views.T(r.Context(), "link.title")), v))
}

// lookupMerchant runs one Get Merchant Detail with an intent row. It returns
// the detail, or the catalogue key of the problem.
func (h *Handler) lookupMerchant(r *http.Request, m db.Merchant, phone string) (netzme.MerchantDetail, string, error) {
	ref := newReference(h.now())
	act, err := h.db.StartAction(r.Context(), db.NetzmeAction{MerchantID: m.ID, Kind: "merchant.link",
		PartnerReferenceNo: ref, CreatedBy: accountFrom(r.Context()).User.ID},
		h.auditEntry(r, "merchant.lookup", m.ID, map[string]any{"partner_reference_no": ref, "phone": phone}))
	if err != nil {
		return netzme.MerchantDetail{}, "", err
	}
	nctx, cancel := h.netzmeCtx(r)
	defer cancel()
	d, callErr := h.netzme.MerchantDetail(nctx, netzme.MerchantDetailRequest{PartnerReferenceNo: ref, PhoneNo: phone})
	if callErr != nil {
		var api *netzme.APIError
		key := "err.netzme.unavailable"
		if errors.As(callErr, &api) && (api.ResponseCode == "4030818" || api.HTTPStatus == http.StatusNotFound) {
			key = "err.link.notfound" // spec §3.5: unknown or inactive merchant
		}
		_, err := h.db.FinishAction(r.Context(), act.ID, db.ActionFailed, failureText(callErr))
		return netzme.MerchantDetail{}, key, err
	}
	_, err = h.db.FinishAction(r.Context(), act.ID, db.ActionOK, d.CustIDMerchant)
	return d, "", err
}

// linkMerchant is POST /link: action=lookup shows what Netzme found,
// action=save stores it (after a fresh lookup) on the current merchant.
func (h *Handler) linkMerchant(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	errs := views.FieldErrors{}
	v := views.LinkView{Errors: errs, Input: r.PostForm.Get("phone")}
	phone, ok := netzmePhone(v.Input)
	if !ok {
		errs["phone"] = "err.phone"
		h.renderLink(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d, key, err := h.lookupMerchant(r, m, phone)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if key != "" {
		errs["phone"] = key
		h.renderLink(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	found := views.LinkFound{Name: d.AccountName, CustID: d.CustIDMerchant, Phone: d.AccountNo}
	var p *qris.Payload
	if d.QRStatic != "" {
		if p, err = qris.Parse(d.QRStatic); err == nil {
			found.NMID, found.City, found.HasQRIS = p.NMID, p.MerchantCity, true
		}
	}
	if r.PostForm.Get("action") != "save" {
		v.Found = &found
		h.renderLink(w, r, http.StatusOK, v)
		return
	}
	if confirm := r.PostForm.Get("cust_id"); confirm != d.CustIDMerchant {
		// Netzme's answer changed since the owner saw it: show it again.
		v.Found = &found
		errs["phone"] = "err.link.changed"
		h.renderLink(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	static, nmid, city := "", m.NMID, m.City
	if found.HasQRIS {
		static, nmid, city = d.QRStatic, found.NMID, found.City
	}
	name := d.AccountName
	if strings.TrimSpace(name) == "" {
		name = m.Name
	}
	err = h.db.UpdateMerchantNetzme(ctx, m.ID, d.CustIDMerchant, name, city, nmid, phone, static)
	if errors.Is(err, db.ErrConflict) {
		errs["phone"] = "err.custid.taken"
		h.renderLink(w, r, http.StatusUnprocessableEntity, v)
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	if err := h.audit(r, "merchant.link", m.ID, map[string]any{"custIdMerchant": d.CustIDMerchant, "name": name,
		"nmid": nmid, "phone": phone}); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.setFlash(ctx, "ok", "flash.link.saved", name)
	http.Redirect(w, r, "/link", http.StatusSeeOther)
}
