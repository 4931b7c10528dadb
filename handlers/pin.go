package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"lapak/money"
	"lapak/views"
)

// PIN pages (owner): create the withdrawal PIN (spec §3.1) and ask Netzme to
// reset a forgotten one (§3.2), both in money (CreatePIN, ForgotPIN). The PIN
// is never stored, logged, audited or re-rendered.

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
	state, err := h.money.PINState(r.Context(), h.actor(r))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.PINView{Linked: m.NetzmeCustID != "", Errors: errs, State: state}
	for _, a := range acts {
		if a.Kind == "pin.create" || a.Kind == "pin.forgot" {
			v.Actions = append(v.Actions, views.ActionRow{Kind: a.Kind, Status: string(a.Status), At: a.CreatedAt})
		}
	}
	h.render(w, r, status, views.PINPage(h.page(r, views.T(r.Context(), "pin.title")), v))
}

// pinAction is POST /pin: action=create (pin, pin2) or action=forgot.
func (h *Handler) pinAction(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	action := r.PostForm.Get("action")
	var err error
	var cooldown time.Duration
	field := "pin"
	switch action {
	case "create":
		err = h.money.CreatePIN(ctx, h.actor(r), r.PostForm.Get("pin"), r.PostForm.Get("pin2"))
	case "forgot":
		cooldown, err = h.money.ForgotPIN(ctx, h.actor(r))
		field = "forgot"
	default:
		h.renderError(w, r, http.StatusBadRequest)
		return
	}
	if err != nil {
		_, key, ok := errorMessage(err)
		if !ok {
			h.serverError(w, r, err)
			return
		}
		var fe *money.FieldError
		if errors.As(err, &fe) {
			field = fe.Field
		} else if errors.Is(err, money.ErrNotLinked) {
			field = "pin"
		}
		// The form is shown again with the message: 422 whatever the cause.
		h.renderPIN(w, r, http.StatusUnprocessableEntity, views.FieldErrors{field: key})
		return
	}
	if action == "create" {
		h.setFlash(ctx, "ok", "flash.pin.created", "")
	} else {
		h.setFlash(ctx, "ok", "flash.pin.forgot", strconv.Itoa(int(cooldown.Minutes()+0.5)))
	}
	http.Redirect(w, r, "/pin", http.StatusSeeOther)
}
