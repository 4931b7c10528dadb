package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"lapak/db"
	"lapak/netzme"
	"lapak/views"
)

// PIN pages (owner): create the withdrawal PIN (spec §3.1) and ask Netzme to
// reset a forgotten one (§3.2). The PIN is hashed by the netzme client at the
// moment of use (§2.15); it is never stored, logged, audited or re-rendered.

func (h *Handler) showPIN(w http.ResponseWriter, r *http.Request) {
	h.renderPIN(w, r, http.StatusOK, views.FieldErrors{})
}

func (h *Handler) renderPIN(w http.ResponseWriter, r *http.Request, status int, errs views.FieldErrors) {
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	acts, err := h.db.NetzmeActions(r.Context(), m.ID, 10)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.PINView{Linked: m.NetzmeCustID != "", Errors: errs}
	for _, a := range acts {
		if a.Kind == "pin.create" || a.Kind == "pin.forgot" {
			v.Actions = append(v.Actions, views.ActionRow{Kind: a.Kind, Status: string(a.Status), At: a.CreatedAt})
		}
	}
	h.render(w, r, status, views.PINPage(h.page(r, views.T(r.Context(), "pin.title")), v))
}

// validPIN is exactly six ASCII digits (spec §3.1).
func validPIN(s string) bool {
	if len(s) != 6 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// pinMessage maps Netzme's answers to clear Indonesian messages.
func pinMessage(err error) string {
	var api *netzme.APIError
	if !errors.As(err, &api) || api.HTTPStatus >= 500 || errors.Is(err, netzme.ErrOutcomeUnknown) {
		return "err.netzme.unavailable"
	}
	switch api.ResponseCode {
	case "4040020":
		return "err.pin.exists" // spec §3.1: a different PIN already exists
	case "4030004":
		return "err.pin.cooldown" // spec §3.2: reset asked again inside the cool-down
	}
	if api.HTTPStatus == http.StatusBadRequest {
		return "err.pin.format"
	}
	return "err.netzme.refused"
}

// pinAction is POST /pin: action=create (pin, pin2) or action=forgot.
func (h *Handler) pinAction(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	errs := views.FieldErrors{}
	action := r.PostForm.Get("action")
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if m.NetzmeCustID == "" {
		errs["pin"] = "err.notlinked"
		h.renderPIN(w, r, http.StatusUnprocessableEntity, errs)
		return
	}
	pin := r.PostForm.Get("pin")
	switch action {
	case "create":
		if !validPIN(pin) {
			errs["pin"] = "err.pin.digits"
		} else if r.PostForm.Get("pin2") != pin {
			errs["pin2"] = "err.pin.mismatch"
		}
		if len(errs) > 0 {
			h.renderPIN(w, r, http.StatusUnprocessableEntity, errs)
			return
		}
	case "forgot":
	default:
		h.renderError(w, r, http.StatusBadRequest)
		return
	}
	kind := "pin." + action
	ref := newReference(h.now())
	act, err := h.db.StartAction(ctx, db.NetzmeAction{MerchantID: m.ID, Kind: kind, PartnerReferenceNo: ref,
		CreatedBy: accountFrom(ctx).User.ID}, h.auditEntry(r, kind, m.ID, map[string]any{"partner_reference_no": ref}))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	nctx, cancel := h.netzmeCtx(r)
	defer cancel()
	var callErr error
	flashArg := ""
	if action == "create" {
		_, callErr = h.netzme.CreatePIN(nctx, netzme.CreatePINRequest{PartnerReferenceNo: ref, CustIDMerchant: m.NetzmeCustID, PIN: pin})
	} else {
		var res netzme.ForgotPINResult
		res, callErr = h.netzme.ForgotPIN(nctx, netzme.ForgotPINRequest{PartnerReferenceNo: ref, CustIDMerchant: m.NetzmeCustID})
		flashArg = strconv.Itoa(int(res.Cooldown.Minutes() + 0.5))
	}
	status, note := db.ActionOK, ""
	if callErr != nil {
		status, note = db.ActionFailed, failureText(callErr)
		if pinMessage(callErr) == "err.netzme.unavailable" {
			// No clear answer (5xx, timeout): whether Netzme acted is unknown.
			status = db.ActionUnknown
		}
	}
	if status != db.ActionUnknown {
		if _, err := h.db.FinishAction(ctx, act.ID, status, note); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	if callErr != nil {
		errs["pin"] = pinMessage(callErr)
		if action == "forgot" {
			errs = views.FieldErrors{"forgot": errs["pin"]}
		}
		h.renderPIN(w, r, http.StatusUnprocessableEntity, errs)
		return
	}
	if action == "create" {
		h.setFlash(ctx, "ok", "flash.pin.created", "")
	} else {
		h.setFlash(ctx, "ok", "flash.pin.forgot", flashArg)
	}
	http.Redirect(w, r, "/pin", http.StatusSeeOther)
}
