package handlers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"lapak/db"
	"lapak/views"
)

// Password reset links (issue 13 §6). An administrator (or the `admin
// reset-password` command) makes a link and hands it on; whoever opens it
// sets the account's password once. The token carries 256 random bits and
// travels in the query string, which the access log never writes; only its
// SHA-256 is stored. Making a new link ends the older ones. A reset does not
// touch two-step verification: the code is still asked for at sign-in.

// ResetLinkValidity is how long a reset link works.
const ResetLinkValidity = 24 * time.Hour

// ResetPath is the path of the page a reset link opens, without the token.
const ResetPath = "/password/reset"

func resetTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// IssuePasswordReset makes a reset link for u, valid ResetLinkValidity from
// at, and writes the audit line e (action and detail filled in here) in the
// same transaction. createdBy is the administrator (0 = command line). It
// returns the path with the token ("/password/reset?token=…") — shown once,
// never stored — and the expiry.
func IssuePasswordReset(ctx context.Context, d *db.DB, u db.User, createdBy int64, at time.Time, e db.AuditEntry) (string, time.Time, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", time.Time{}, fmt.Errorf("handlers: reset token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	expires := at.Add(ResetLinkValidity)
	e.Action = "user.password.reset_link"
	e.Detail = fmt.Sprintf(`{"user_id":%d,"email":%q,"expires_at":%q}`, u.ID, u.Email, expires.UTC().Format(time.RFC3339))
	err := d.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.CreatePasswordReset(ctx, u.ID, resetTokenHash(token), createdBy, at, expires); err != nil {
			return err
		}
		return tx.Audit(ctx, e)
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return ResetPath + "?" + url.Values{"token": {token}}.Encode(), expires, nil
}

// createPasswordReset makes a reset link for the user named in the URL and
// shows it to the administrator this once (rendered, not put in a flash: the
// session is stored in the database).
func (h *Handler) createPasswordReset(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, err := h.urlUser(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	admin := accountFrom(ctx).User
	path, expires, err := IssuePasswordReset(ctx, h.db, u, admin.ID, h.now(), h.auditEntry(r, "", 0, nil))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.AdminResetLinkView{UserID: u.ID, Email: u.Email, Link: h.baseURL(r) + path, ExpiresAt: expires}
	h.render(w, r, http.StatusOK, views.AdminResetLinkPage(h.page(r, views.T(ctx, "reset.link.title")), v))
}

// baseURL is where browsers reach Lapak: the configured public URL, else
// the scheme and Host of this request (the administrator's own browser).
func (h *Handler) baseURL(r *http.Request) string {
	if h.publicURL != "" {
		return h.publicURL
	}
	scheme := "http"
	if h.secure || r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// openReset looks the link's token up; ok is false for an unknown, used or
// expired link.
func (h *Handler) openReset(ctx context.Context, token string) (db.User, bool, error) {
	if token == "" || len(token) > 100 {
		return db.User{}, false, nil
	}
	pr, err := h.db.OpenPasswordReset(ctx, resetTokenHash(token), h.now())
	if isNotFound(err) {
		return db.User{}, false, nil
	} else if err != nil {
		return db.User{}, false, err
	}
	u, err := h.db.User(ctx, pr.UserID)
	if err != nil {
		return db.User{}, false, err
	}
	return u, true, nil
}

func (h *Handler) renderReset(w http.ResponseWriter, r *http.Request, status int, v views.PasswordResetView) {
	// The page's URL holds the token: no Referer may carry it anywhere.
	w.Header().Set("Referrer-Policy", "no-referrer")
	p := h.barePage(r, views.T(r.Context(), "reset.title"))
	h.render(w, r, status, views.PasswordResetPage(p, v))
}

// showPasswordReset is the page a reset link opens. Opening it uses nothing
// up (link previews and scanners open links too); only the form does.
func (h *Handler) showPasswordReset(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	u, ok, err := h.openReset(r.Context(), token)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !ok {
		h.renderReset(w, r, http.StatusNotFound, views.PasswordResetView{Invalid: true})
		return
	}
	h.renderReset(w, r, http.StatusOK, views.PasswordResetView{Token: token, Email: u.Email})
}

// resetPassword sets the new password and uses the link up, in one
// transaction with the audit line. Every session of the user ends (their
// stamp no longer matches); the browser is sent to sign in.
func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	token := r.PostForm.Get("token")
	u, ok, err := h.openReset(ctx, token)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !ok {
		h.renderReset(w, r, http.StatusNotFound, views.PasswordResetView{Invalid: true})
		return
	}
	errs := views.FieldErrors{}
	pw := checkNewPassword(r, errs)
	if len(errs) > 0 {
		h.renderReset(w, r, http.StatusUnprocessableEntity, views.PasswordResetView{Token: token, Email: u.Email, Errors: errs})
		return
	}
	hash, err := HashPassword(pw)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	err = h.db.InTx(ctx, func(tx *db.Tx) error {
		uid, err := tx.UsePasswordReset(ctx, resetTokenHash(token), h.now())
		if err != nil {
			return err
		}
		if err := tx.SetUserPassword(ctx, uid, hash); err != nil {
			return err
		}
		e := h.auditEntry(r, "user.password.reset", 0, nil)
		e.UserID, e.UserEmail = u.ID, u.Email
		return tx.Audit(ctx, e)
	})
	if isNotFound(err) {
		// Used or expired between the check and now.
		h.renderReset(w, r, http.StatusNotFound, views.PasswordResetView{Invalid: true})
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	// Whoever was signed in in this browser is not any more: the reset was
	// for u, and a session must never outlive a password it was not made for.
	h.endSession(w, r, "flash.password.reset")
}
