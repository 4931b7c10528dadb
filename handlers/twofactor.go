package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"lapak/db"
	"lapak/netzme/qris"
	"lapak/views"
)

// Two-step sign-in (issue 13 §6): TOTP for owners and administrators, with
// single-use recovery codes.
//
// After a right password, a user with TOTP on gets a half-signed-in session:
// it holds the user id under sessPendingUser, never under sessUserID, so
// requireUser lets it nowhere; only /login/2fa reads it, for pendingTimeout.
//
// The shared secret is stored plainly in user_totp (see the report of issue
// 13): it must be readable to check codes, and sealing it with a key kept on
// the same machine as the database would add a setting whose loss locks
// every owner out while protecting only against a leak of the database file
// alone — which already holds live session tokens. It is never logged and
// never shown again after set-up.

// Session keys of the second step and of a set-up in progress.
const (
	sessPendingUser  = "pending_user_id"
	sessPendingAt    = "pending_at" // Unix seconds of the right password
	sessPendingStamp = "pending_stamp"
	sessTOTPSetup    = "totp_setup" // base32 secret shown but not yet confirmed
)

// pendingTimeout is how long after the password the code may be entered.
const pendingTimeout = 5 * time.Minute

// twoFactorAllowed: owners of a merchant and administrators, whose accounts
// move money or manage others, may turn two-step verification on.
func twoFactorAllowed(a *account) bool {
	if a.User.IsAdmin {
		return true
	}
	for _, m := range a.Memberships {
		if m.Role == db.RoleOwner {
			return true
		}
	}
	return false
}

// startSecondFactor turns the session into a half-signed-in one for u and
// sends the browser to the code form.
func (h *Handler) startSecondFactor(w http.ResponseWriter, r *http.Request, u db.User) {
	ctx := r.Context()
	if err := h.sessions.RenewToken(ctx); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.sessions.Remove(ctx, sessUserID)
	h.sessions.Put(ctx, sessPendingUser, u.ID)
	h.sessions.Put(ctx, sessPendingAt, h.now().Unix())
	h.sessions.Put(ctx, sessPendingStamp, authStamp(u))
	http.Redirect(w, r, "/login/2fa", http.StatusSeeOther)
}

func (h *Handler) clearSecondFactor(ctx context.Context) {
	h.sessions.Remove(ctx, sessPendingUser)
	h.sessions.Remove(ctx, sessPendingAt)
	h.sessions.Remove(ctx, sessPendingStamp)
}

// pendingUser returns the user of a half-signed-in session that is still
// fresh, whose password has not changed since and who is still enabled.
func (h *Handler) pendingUser(ctx context.Context) (db.User, bool, error) {
	uid := h.sessions.GetInt64(ctx, sessPendingUser)
	at := time.Unix(h.sessions.GetInt64(ctx, sessPendingAt), 0)
	if uid == 0 || h.now().Sub(at) > pendingTimeout {
		return db.User{}, false, nil
	}
	u, err := h.db.User(ctx, uid)
	if isNotFound(err) {
		return db.User{}, false, nil
	} else if err != nil {
		return db.User{}, false, err
	}
	if u.Disabled || h.sessions.GetString(ctx, sessPendingStamp) != authStamp(u) {
		return db.User{}, false, nil
	}
	return u, true, nil
}

// expiredSecondFactor ends a stale half-signed-in session and starts over.
func (h *Handler) expiredSecondFactor(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	had := h.sessions.GetInt64(ctx, sessPendingUser) != 0
	h.clearSecondFactor(ctx)
	if had {
		h.setFlash(ctx, "error", "flash.2fa.expired", "")
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (h *Handler) renderSecondFactor(w http.ResponseWriter, r *http.Request, status int, v views.TwoFactorLoginView) {
	p := h.barePage(r, views.T(r.Context(), "twofactor.login.title"))
	p.Flash = h.popFlash(r.Context())
	h.render(w, r, status, views.TwoFactorLoginPage(p, v))
}

func (h *Handler) showSecondFactor(w http.ResponseWriter, r *http.Request) {
	_, ok, err := h.pendingUser(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !ok {
		h.expiredSecondFactor(w, r)
		return
	}
	h.renderSecondFactor(w, r, http.StatusOK, views.TwoFactorLoginView{})
}

// verifySecondFactor checks the code of the second step: a TOTP code for a
// step later than the last one used, or an unused recovery code. Attempts
// are charged to the account from this address, the address, and the
// account's second factor from anywhere (ratelimit.go).
func (h *Handler) verifySecondFactor(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	u, ok, err := h.pendingUser(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !ok {
		h.expiredSecondFactor(w, r)
		return
	}
	code := normalizeCode(r.PostForm.Get("code"))
	if code == "" {
		h.renderSecondFactor(w, r, http.StatusUnprocessableEntity, views.TwoFactorLoginView{Error: "err.required"})
		return
	}
	ip := ClientIP(ctx)
	acctKey := accountAddressKey(u.Email, ip)
	try, wait, err := h.beginAttempt(ctx, acctKey, addressKey(ip), totpKey(u.ID))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if try == nil {
		w.Header().Set("Retry-After", retryAfter(wait))
		h.renderSecondFactor(w, r, http.StatusTooManyRequests, views.TwoFactorLoginView{Error: "login.error.limited", Wait: wait})
		return
	}
	tf, err := h.db.UserTOTP(ctx, u.ID)
	if isNotFound(err) {
		// Turned off since the password step (by an administrator): the
		// password alone now signs in, so start over.
		h.expiredSecondFactor(w, r)
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	method, good := "totp", false
	if isTOTPCode(code) {
		if step, ok := checkTOTP(tf.Secret, code, h.now(), tf.LastStep); ok {
			// The guarded update also loses a race of two uses of one code.
			if good, err = h.db.UseTOTPStep(ctx, u.ID, step); err != nil {
				h.serverError(w, r, err)
				return
			}
		}
	} else {
		method = "recovery_code"
		if good, err = h.db.UseRecoveryCode(ctx, u.ID, recoveryHash(code), h.now()); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	if !good {
		e := h.loginAudit(r, "user.login.2fa_failed", u, u.Email)
		e.Detail = `{"second_factor":"` + method + `"}`
		if err := h.db.Audit(ctx, e); err != nil {
			h.serverError(w, r, err)
			return
		}
		h.renderSecondFactor(w, r, http.StatusUnprocessableEntity, views.TwoFactorLoginView{Error: "twofactor.login.invalid"})
		return
	}
	if err := try.succeeded(ctx, acctKey); err != nil {
		h.serverError(w, r, err)
		return
	}
	detail := map[string]any{"second_factor": method}
	if method == "recovery_code" {
		detail["recovery_left"] = tf.RecoveryLeft - 1
		h.setFlash(ctx, "ok", "flash.2fa.recoveryleft", strconv.Itoa(tf.RecoveryLeft-1))
	}
	h.finishLogin(w, r, u, detail)
}

// showTwoFactorSetup shows a new secret (kept in the session until a code
// confirms it) as a QR code and as text.
func (h *Handler) showTwoFactorSetup(w http.ResponseWriter, r *http.Request) {
	h.renderTwoFactorSetup(w, r, http.StatusOK, "")
}

func (h *Handler) renderTwoFactorSetup(w http.ResponseWriter, r *http.Request, status int, errKey string) {
	ctx := r.Context()
	a := accountFrom(ctx)
	if !twoFactorAllowed(a) {
		h.forbidden(w, r)
		return
	}
	if _, err := h.db.UserTOTP(ctx, a.User.ID); err == nil {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	} else if !isNotFound(err) {
		h.serverError(w, r, err)
		return
	}
	secret, err := b32.DecodeString(h.sessions.GetString(ctx, sessTOTPSetup))
	if err != nil || len(secret) != totpSecretLen {
		if secret, err = newTOTPSecret(); err != nil {
			h.serverError(w, r, err)
			return
		}
		h.sessions.Put(ctx, sessTOTPSetup, b32.EncodeToString(secret))
	}
	uri := totpURI(a.User.Email, secret)
	svg, err := qrSVG(uri)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.TwoFactorSetupView{QRSVG: svg, Secret: groupSecret(b32.EncodeToString(secret)), URI: uri, Error: errKey}
	h.render(w, r, status, views.TwoFactorSetupPage(h.page(r, views.T(ctx, "account.2fa.setup")), v))
}

// enableTwoFactor confirms the set-up with a code from the app, stores the
// secret with ten recovery codes (hashed) and shows the codes this once.
func (h *Handler) enableTwoFactor(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := accountFrom(ctx)
	if !twoFactorAllowed(a) {
		h.forbidden(w, r)
		return
	}
	secret, err := b32.DecodeString(h.sessions.GetString(ctx, sessTOTPSetup))
	if err != nil || len(secret) != totpSecretLen {
		http.Redirect(w, r, "/account/2fa", http.StatusSeeOther)
		return
	}
	step, ok := checkTOTP(secret, normalizeCode(r.PostForm.Get("code")), h.now(), 0)
	if !ok {
		h.renderTwoFactorSetup(w, r, http.StatusUnprocessableEntity, "twofactor.setup.wrong")
		return
	}
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	err = h.db.InTx(ctx, func(tx *db.Tx) error {
		// The confirming code's step counts as used: it cannot sign in.
		if err := tx.EnableTOTP(ctx, a.User.ID, secret, step, hashes, h.now()); err != nil {
			return err
		}
		return tx.Audit(ctx, h.auditEntry(r, "user.2fa.enable", 0, map[string]any{"recovery_codes": len(hashes)}))
	})
	if errors.Is(err, db.ErrConflict) {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.sessions.Remove(ctx, sessTOTPSetup)
	if err := h.sessions.RenewToken(ctx); err != nil {
		h.serverError(w, r, err)
		return
	}
	p := h.page(r, views.T(ctx, "twofactor.codes.title"))
	p.Flash = views.Flash{Kind: "ok", Key: "flash.2fa.on"}
	h.render(w, r, http.StatusOK, views.RecoveryCodesPage(p, views.RecoveryCodesView{Codes: codes}))
}

// disableTwoFactor turns the signed-in user's two-step verification off
// after checking their password.
func (h *Handler) disableTwoFactor(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	u := accountFrom(ctx).User
	key, err := h.checkOwnPassword(r, u)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if key != "" {
		status := http.StatusUnprocessableEntity
		if key == "err.password.limited" {
			status = http.StatusTooManyRequests
		}
		h.renderAccount(w, r, status, views.AccountView{DisableErrors: views.FieldErrors{"current_password": key}})
		return
	}
	if err := DisableTwoFactor(ctx, h.db, u, h.auditEntry(r, "", 0, nil)); err != nil && !isNotFound(err) {
		h.serverError(w, r, err)
		return
	}
	h.setFlash(ctx, "ok", "flash.2fa.off", "")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// adminDisableTwoFactor turns a user's two-step verification off for them
// (a lost phone and lost recovery codes). The administrator should be sure
// who is asking; the audit line names both.
func (h *Handler) adminDisableTwoFactor(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, err := h.urlUser(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	if err := DisableTwoFactor(ctx, h.db, u, h.auditEntry(r, "", 0, nil)); err != nil {
		h.dbError(w, r, err)
		return
	}
	h.setFlash(ctx, "ok", "flash.2fa.offfor", u.Email)
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10), http.StatusSeeOther)
}

// DisableTwoFactor turns u's two-step verification off and writes the audit
// line e (action and detail are filled in here) in the same transaction. It
// returns db.ErrNotFound when it was not on. The administrator page and the
// `admin disable-2fa` command use it.
func DisableTwoFactor(ctx context.Context, d *db.DB, u db.User, e db.AuditEntry) error {
	e.Action = "user.2fa.disable"
	e.Detail = fmt.Sprintf(`{"user_id":%d,"email":%q}`, u.ID, u.Email)
	return d.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.DisableTOTP(ctx, u.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, e)
	})
}

// qrSVG draws the otpauth:// URI as a QR code with the same drawing as the
// QRIS pages (a mask chosen so the code reads back, see qris.SVG).
func qrSVG(text string) (string, error) {
	svg, err := qris.SVG(text)
	if err != nil {
		return "", fmt.Errorf("handlers: qr: %w", err)
	}
	return string(svg), nil
}
