package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"lapak/db"
	"lapak/views"
)

func isNotFound(err error) bool { return errors.Is(err, db.ErrNotFound) }

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request) {
	if h.sessions.GetInt64(r.Context(), sessUserID) != 0 {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	h.renderLogin(w, r, http.StatusOK, views.LoginView{Flash: h.popFlash(r.Context())})
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, v views.LoginView) {
	p := h.barePage(r, views.T(r.Context(), "login.title"))
	p.Path = "/login"
	p.Flash = v.Flash
	h.render(w, r, status, views.LoginPage(p, v))
}

var (
	dummyHashOnce sync.Once
	dummyHash     string
)

// timingDummy returns a hash to check against when the e-mail is unknown, so
// an unknown account takes as long as a wrong password and logins do not
// reveal which e-mails exist.
func timingDummy() string {
	dummyHashOnce.Do(func() {
		dummyHash, _ = HashPassword("not a real password, only for timing")
	})
	return dummyHash
}

// login checks e-mail and password. Each attempt is charged to the account
// from this client address and to the address (ratelimit.go); while one of
// them must wait, the answer is 429 without checking the password at all. A
// wrong password is 422 with the form again. With two-factor on, a right
// password leads to the code step (twofactor.go), not into Lapak.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	email := db.NormalizeEmail(r.PostForm.Get("email"))
	password := r.PostForm.Get("password")
	v := views.LoginView{Email: email}
	if email == "" || password == "" {
		v.Error = "login.error.required"
		h.renderLogin(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	ip := ClientIP(ctx)
	acctKey := accountAddressKey(email, ip)
	try, wait, err := h.beginAttempt(ctx, acctKey, addressKey(ip))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if try == nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "login rate limited", slog.String("client_ip", ip))
		v.Error, v.Wait = "login.error.limited", wait
		w.Header().Set("Retry-After", retryAfter(wait))
		h.renderLogin(w, r, http.StatusTooManyRequests, v)
		return
	}

	u, err := h.db.UserByEmail(ctx, email)
	if err != nil && !isNotFound(err) {
		h.serverError(w, r, err)
		return
	}
	hash := u.PasswordHash
	if err != nil {
		hash = timingDummy()
	}
	ok, cerr := CheckPassword(hash, password)
	if cerr != nil {
		h.serverError(w, r, cerr)
		return
	}
	if err != nil || !ok {
		if aerr := h.db.Audit(ctx, h.loginAudit(r, "user.login.failed", u, email)); aerr != nil {
			h.serverError(w, r, aerr)
			return
		}
		v.Error = "login.error.invalid"
		h.renderLogin(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	// The password was right: not a guess. The account's count from this
	// address is only forgotten once the whole sign-in succeeds, so that a
	// second-factor guesser cannot reset it with the password.
	if err := try.succeeded(ctx); err != nil {
		h.serverError(w, r, err)
		return
	}
	if u.Disabled {
		v.Error = "login.error.disabled"
		h.renderLogin(w, r, http.StatusForbidden, v)
		return
	}
	if _, err := h.db.UserTOTP(ctx, u.ID); err == nil {
		h.startSecondFactor(w, r, u)
		return
	} else if !isNotFound(err) {
		h.serverError(w, r, err)
		return
	}
	if err := h.db.ClearLoginFailures(ctx, acctKey.key); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.finishLogin(w, r, u, nil)
}

// finishLogin signs u in: a new session token, the user in the session with
// the stamp of their password, the audit line (detail says how, e.g. which
// second factor) and the user's language.
func (h *Handler) finishLogin(w http.ResponseWriter, r *http.Request, u db.User, detail map[string]any) {
	ctx := r.Context()
	// A new token on login: a session id planted before login (fixation) is
	// worthless afterwards.
	if err := h.sessions.RenewToken(ctx); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.clearSecondFactor(ctx)
	h.sessions.Put(ctx, sessUserID, u.ID)
	h.sessions.Put(ctx, sessAuthStamp, authStamp(u))
	h.sessions.Remove(ctx, sessMerchantID)
	e := h.auditEntry(r, "user.login", 0, detail)
	e.UserID, e.UserEmail = u.ID, u.Email
	if err := h.db.Audit(ctx, e); err != nil {
		h.serverError(w, r, err)
		return
	}
	if lang, ok := views.ParseLang(u.Locale); ok {
		h.setLangCookie(w, lang)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// loginAudit builds the audit row of a login attempt; before login there is
// no account in the context, so the user is filled in here.
func (h *Handler) loginAudit(r *http.Request, action string, u db.User, email string) db.AuditEntry {
	e := h.auditEntry(r, action, 0, nil)
	e.UserID, e.UserEmail = u.ID, email
	return e
}

// logout ends the session: data cleared and a new token, so the old cookie
// is worthless even if it was copied.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.audit(r, "user.logout", 0, nil); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.endSession(w, r, "flash.loggedout")
}

// endSession clears the session and renews its token, so the old cookie is
// worthless even if it was copied, then sends the browser to the login page
// with the flash message flashKey.
func (h *Handler) endSession(w http.ResponseWriter, r *http.Request, flashKey string) {
	ctx := r.Context()
	if err := h.sessions.Clear(ctx); err != nil {
		h.serverError(w, r, err)
		return
	}
	if err := h.sessions.RenewToken(ctx); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.setFlash(ctx, "ok", flashKey, "")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// setLang switches the UI language: stored on the user when signed in, and
// always in the lapak_lang cookie for the login page.
func (h *Handler) setLang(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	lang, ok := views.ParseLang(r.PostForm.Get("lang"))
	if !ok {
		h.renderError(w, r, http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	if uid := h.sessions.GetInt64(ctx, sessUserID); uid != 0 {
		// Only an enabled user's own setting changes; a stale session of a
		// disabled or deleted user changes nothing but the cookie.
		u, err := h.db.User(ctx, uid)
		if err != nil && !isNotFound(err) {
			h.serverError(w, r, err)
			return
		}
		if err == nil && !u.Disabled && u.Locale != string(lang) {
			if err := h.db.SetUserLocale(ctx, uid, string(lang)); err != nil {
				h.serverError(w, r, err)
				return
			}
			e := h.auditEntry(r, "user.locale", 0, map[string]any{"locale": lang})
			e.UserID, e.UserEmail = u.ID, u.Email
			if err := h.db.Audit(ctx, e); err != nil {
				h.serverError(w, r, err)
				return
			}
		}
	}
	h.setLangCookie(w, lang)
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

// switchMerchant changes the current merchant. The id is checked against the
// user's memberships: a merchant the user does not belong to is 404, exactly
// like one that does not exist.
func (h *Handler) switchMerchant(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := accountFrom(ctx)
	id, err := strconv.ParseInt(r.PostForm.Get("merchant_id"), 10, 64)
	if err != nil {
		h.notFound(w, r)
		return
	}
	var to *db.Membership
	for i := range a.Memberships {
		if a.Memberships[i].MerchantID == id {
			to = &a.Memberships[i]
		}
	}
	if to == nil {
		h.notFound(w, r)
		return
	}
	// The role may change with the merchant: a new token, as on login.
	if err := h.sessions.RenewToken(ctx); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.sessions.Put(ctx, sessMerchantID, to.MerchantID)
	if err := h.audit(r, "merchant.switch", to.MerchantID, map[string]any{"from": a.Current.MerchantID}); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.setFlash(ctx, "ok", "flash.merchant.switch", to.MerchantName)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
