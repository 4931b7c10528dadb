package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/views"
)

// Accounts (issue 13 §6): a user's own account page and password change.
// Two-factor lives in twofactor.go, reset links in reset.go.

// accountRoutes are the signed-in user's own account pages (any role).
func (h *Handler) accountRoutes(r chi.Router) {
	r.Get("/account", h.showAccount)
	r.Post("/account/password", h.changePassword)
	r.Get("/account/2fa", h.showTwoFactorSetup)
	r.Post("/account/2fa", h.enableTwoFactor)
	r.Post("/account/2fa/disable", h.disableTwoFactor)
}

// publicAccountRoutes need no signed-in user: the second sign-in step (which
// checks its own half-signed-in session) and the page a reset link opens.
func (h *Handler) publicAccountRoutes(r chi.Router) {
	r.Get("/login/2fa", h.showSecondFactor)
	r.Post("/login/2fa", h.verifySecondFactor)
	r.Get("/password/reset", h.showPasswordReset)
	r.Post("/password/reset", h.resetPassword)
}

// adminAccountRoutes are mounted under /admin (requireAdmin).
func (h *Handler) adminAccountRoutes(r chi.Router) {
	r.Post("/users/{userID}/password-reset", h.createPasswordReset)
	r.Post("/users/{userID}/2fa/disable", h.adminDisableTwoFactor)
}

// authStamp identifies the password a session was signed in with: part of
// the SHA-256 of the stored hash, which has a fresh salt each time, so any
// password change — even to the same password — gives a new stamp. It is not
// secret (the hash is not the password) and says nothing about the password.
func authStamp(u db.User) string {
	sum := sha256.Sum256([]byte(u.PasswordHash))
	return hex.EncodeToString(sum[:16])
}

func (h *Handler) showAccount(w http.ResponseWriter, r *http.Request) {
	h.renderAccount(w, r, http.StatusOK, views.AccountView{})
}

// renderAccount fills the account page around v's form errors.
func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, status int, v views.AccountView) {
	ctx := r.Context()
	a := accountFrom(ctx)
	v.Email, v.Name = a.User.Email, a.User.Name
	v.TwoFactorAllowed = twoFactorAllowed(a)
	tf, err := h.db.UserTOTP(ctx, a.User.ID)
	switch {
	case err == nil:
		v.TwoFactorOn, v.TwoFactorSince, v.RecoveryLeft = true, tf.EnabledAt, tf.RecoveryLeft
	case !isNotFound(err):
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, status, views.AccountPage(h.page(r, views.T(ctx, "account.title")), v))
}

// checkNewPassword validates the new_password / new_password_confirm pair
// into errs and returns the new password.
func checkNewPassword(r *http.Request, errs views.FieldErrors) string {
	pw := r.PostForm.Get("new_password")
	if utf8.RuneCountInString(pw) < minPasswordLen {
		errs["new_password"] = "err.password.short"
	} else if r.PostForm.Get("new_password_confirm") != pw {
		errs["new_password_confirm"] = "err.password.mismatch"
	}
	return pw
}

// checkOwnPassword checks the signed-in user's current_password, charged to
// the sign-in throttle like a login (a stolen session must not become a
// password oracle). It returns the field error key ("" when right).
func (h *Handler) checkOwnPassword(r *http.Request, u db.User) (string, error) {
	ctx := r.Context()
	ip := ClientIP(ctx)
	try, _, err := h.beginAttempt(ctx, accountAddressKey(u.Email, ip), addressKey(ip))
	if err != nil || try == nil {
		return "err.password.limited", err
	}
	ok, err := CheckPassword(u.PasswordHash, r.PostForm.Get("current_password"))
	if err != nil {
		return "", err
	}
	if !ok {
		return "err.password.wrong", nil
	}
	return "", try.succeeded(ctx)
}

// changePassword sets the signed-in user's new password. It ends every other
// session of the user (their stamp no longer matches, see requireUser) and
// any unused reset link, and keeps this one with a new token.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	u := accountFrom(ctx).User
	errs := views.FieldErrors{}
	pw := checkNewPassword(r, errs)
	if len(errs) == 0 {
		key, err := h.checkOwnPassword(r, u)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if key != "" {
			errs["current_password"] = key
		}
	}
	if len(errs) > 0 {
		status := http.StatusUnprocessableEntity
		if errs["current_password"] == "err.password.limited" {
			status = http.StatusTooManyRequests
		}
		h.renderAccount(w, r, status, views.AccountView{PasswordErrors: errs})
		return
	}
	hash, err := HashPassword(pw)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	err = h.db.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.SetUserPassword(ctx, u.ID, hash); err != nil {
			return err
		}
		if err := tx.DeletePasswordResets(ctx, u.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, h.auditEntry(r, "user.password.change", 0, nil))
	})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	u.PasswordHash = hash
	if err := h.sessions.RenewToken(ctx); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.sessions.Put(ctx, sessAuthStamp, authStamp(u))
	h.setFlash(ctx, "ok", "flash.password.changed", "")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
