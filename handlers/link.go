package handlers

import (
	"errors"
	"lapak/snap"
	"net/http"

	"lapak/money"
	"lapak/views"
)

// Linking a Netzme merchant (owner): look the merchant up by its registered
// phone number (Get Merchant Detail, spec §3.5), show what Netzme knows, and
// save only after the owner confirms (money.LookupMerchant, LinkMerchant).

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

// linkMerchant is POST /link: action=lookup shows what Netzme found,
// action=save stores it (after a fresh lookup) on the current merchant.
func (h *Handler) linkMerchant(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	v := views.LinkView{Errors: views.FieldErrors{}, Input: r.PostForm.Get("phone")}
	// The "62…" form the sandbox registers (guess, §3.5: format not
	// documented; docs/protocol.md).
	ph, perr := snap.ParsePhone(v.Input)
	phone := ph.International()
	if perr != nil {
		v.Errors["phone"] = "err.phone"
		h.renderLink(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	var f money.MerchantFound
	var err error
	save := r.PostForm.Get("action") == "save"
	if save {
		f, err = h.money.LinkMerchant(ctx, h.actor(r), phone, r.PostForm.Get("cust_id"))
	} else {
		f, err = h.money.LookupMerchant(ctx, h.actor(r), phone)
	}
	if err != nil {
		_, key, ok := errorMessage(err)
		if !ok {
			h.serverError(w, r, err)
			return
		}
		if errors.Is(err, money.ErrLinkChanged) {
			// Netzme's answer changed since the owner saw it: show it again.
			v.Found = linkFound(f)
		}
		v.Errors["phone"] = key
		h.renderLink(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if !save {
		v.Found = linkFound(f)
		h.renderLink(w, r, http.StatusOK, v)
		return
	}
	h.setFlash(ctx, "ok", "flash.link.saved", f.Name)
	http.Redirect(w, r, "/link", http.StatusSeeOther)
}

func linkFound(f money.MerchantFound) *views.LinkFound {
	return &views.LinkFound{Name: f.Name, CustID: f.CustID, Phone: f.Phone, NMID: f.NMID, City: f.City, HasQRIS: f.HasQRIS}
}
