package handlers

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/alexedwards/scs/v2"

	"lapak/db"
	"lapak/views"
)

// Session keys. The session holds ids only; the user, role and disabled flag
// are read from the database on every request, so a change takes effect at
// once.
const (
	sessUserID     = "user_id"
	sessMerchantID = "merchant_id"
	sessFlashKind  = "flash_kind"
	sessFlashKey   = "flash_key"
	sessFlashArg   = "flash_arg"
	// sessAuthStamp is authStamp of the user's password hash at sign-in: a
	// new password ends every session signed in with the old one.
	sessAuthStamp = "auth_stamp"
)

// NewSessionManager returns the session manager Lapak uses: sessions stored
// in d's `sessions` table (db.SessionStore: looked up on the read pool, saved
// through the group-commit writer; the expired rows are deleted by cmd/web's
// housekeeping job, in one instance), cookie "lapak_session", HttpOnly,
// SameSite=Lax, Secure when secure is true, 12 hours at most and 1 hour
// idle — a counter shift, not a week.
func NewSessionManager(d *db.DB, secure bool) *scs.SessionManager {
	return newSessionManager(db.NewSessionStore(d, 0), secure)
}

var _ scs.CtxStore = (*db.SessionStore)(nil)

func newSessionManager(store scs.Store, secure bool) *scs.SessionManager {
	s := scs.New()
	s.Store = store
	s.Lifetime = 12 * time.Hour
	s.IdleTimeout = time.Hour
	s.Cookie.Name = "lapak_session"
	s.Cookie.HttpOnly = true
	s.Cookie.SameSite = http.SameSiteLaxMode
	s.Cookie.Secure = secure
	s.Cookie.Path = "/"
	// A session cookie (no Expires): closing the browser on a shared counter
	// PC ends the session.
	s.Cookie.Persist = false
	return s
}

// account is the signed-in user as requireUser verified it for this request.
type account struct {
	User        db.User
	Memberships []db.Membership
	// Current is the membership of the merchant the user works in now; its
	// MerchantID is 0 when the user belongs to no merchant. Every
	// merchant-scoped query takes the merchant id from here, never from the
	// request.
	Current db.Membership
}

func accountFrom(ctx context.Context) *account {
	a, _ := ctx.Value(accountKey).(*account)
	return a
}

// hasRole reports whether the account's current merchant role is one of roles.
func (a *account) hasRole(roles ...db.Role) bool {
	return a != nil && a.Current.MerchantID != 0 && slices.Contains(roles, a.Current.Role)
}

func (h *Handler) setFlash(ctx context.Context, kind, key, arg string) {
	h.sessions.Put(ctx, sessFlashKind, kind)
	h.sessions.Put(ctx, sessFlashKey, key)
	h.sessions.Put(ctx, sessFlashArg, arg)
}

func (h *Handler) popFlash(ctx context.Context) views.Flash {
	if !h.sessions.Exists(ctx, sessFlashKey) {
		return views.Flash{}
	}
	return views.Flash{
		Kind: h.sessions.PopString(ctx, sessFlashKind),
		Key:  h.sessions.PopString(ctx, sessFlashKey),
		Arg:  h.sessions.PopString(ctx, sessFlashArg),
	}
}

// requireUser lets the request through only with a valid session of an
// enabled user, and puts the account (user, memberships, current merchant)
// and the user's language into the context. Anyone else is sent to /login;
// a disabled user's session, and one signed in with a password that has
// since changed, is destroyed on its next request.
func (h *Handler) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		uid := h.sessions.GetInt64(ctx, sessUserID)
		if uid == 0 {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		u, err := h.db.User(ctx, uid)
		if err != nil && !isNotFound(err) {
			h.serverError(w, r, err)
			return
		}
		if err != nil || u.Disabled || h.sessions.GetString(ctx, sessAuthStamp) != authStamp(u) {
			if err := h.sessions.Destroy(ctx); err != nil {
				h.serverError(w, r, err)
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		ms, err := h.db.UserMemberships(ctx, uid)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		a := &account{User: u, Memberships: ms}
		want := h.sessions.GetInt64(ctx, sessMerchantID)
		for _, m := range ms {
			if m.MerchantID == want {
				a.Current = m
			}
		}
		if a.Current.MerchantID == 0 && len(ms) > 0 {
			// No (or no longer valid) choice: the first merchant by name.
			a.Current = ms[0]
			h.sessions.Put(ctx, sessMerchantID, a.Current.MerchantID)
		}
		lang, _ := views.ParseLang(u.Locale)
		ctx = views.WithLang(context.WithValue(ctx, accountKey, a), lang)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requireRole lets the request through only when the user's role for the
// current merchant is one of roles; otherwise 403. It runs after requireUser.
func (h *Handler) requireRole(roles ...db.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !accountFrom(r.Context()).hasRole(roles...) {
				h.forbidden(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// requireAdmin lets only installation administrators through; otherwise 403.
func (h *Handler) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := accountFrom(r.Context()); a == nil || !a.User.IsAdmin {
			h.forbidden(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
