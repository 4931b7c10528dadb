// Package handlers is Lapak's web layer: the router and its middleware,
// sessions and accounts, role checks, and one handler per page. Handlers
// parse and validate, call db (and later netzme), build a views model and
// render it; they never show an internal error to the user.
package handlers

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/a-h/templ"
	"github.com/alexedwards/scs/v2"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"lapak/db"
	"lapak/money"
	"lapak/netzme"
	"lapak/static"
	"lapak/views"
)

// Deps is everything the web layer needs; cmd/web builds it.
type Deps struct {
	DB       *db.DB
	Sessions *scs.SessionManager // from NewSessionManager
	Logger   *slog.Logger
	// Now is the clock, required (New panics without it): cmd/web passes
	// time.Now, tests their own clock, the one they give the db.
	Now func() time.Time
	// SandboxURL is the base URL of the embedded Netzme sandbox page; "" (real
	// Netzme) hides the link.
	SandboxURL string
	// SecureCookies marks cookies Secure; set it whenever Lapak is served over
	// HTTPS.
	SecureCookies bool
	// Netzme is the Toko Netzme client (real host or the embedded sandbox);
	// handlers talk to Netzme only through it, over HTTP.
	Netzme *netzme.Client
	// CallbackToken is the x-callback-token Netzme sends with callbacks.
	CallbackToken string
	// NetzmePublicKey verifies the signature of the SNAP QRIS callback
	// (§3.19); nil refuses that callback (401) since it cannot be checked.
	NetzmePublicKey *rsa.PublicKey
	// OtherSNAP configures NICEPAY CVS and SpeedCash (issue 7, othersnap).
	OtherSNAP OtherSNAP
	// Money runs the money use cases; nil builds one from DB, Netzme,
	// OtherSNAP.SpeedCash, Now and Logger.
	Money *money.Service
	// PublicURL is the base URL browsers reach Lapak at, for the password
	// reset links an administrator hands out; "" builds them from the
	// request's Host.
	PublicURL string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (LAPAK_TRUSTED_PROXIES); the zero value trusts none and
	// takes the client address from the connection.
	TrustedProxies TrustedProxies
}

// Handler serves Lapak's pages. Build it with New; it is safe for
// concurrent use.
type Handler struct {
	db         *db.DB
	sessions   *scs.SessionManager
	log        *slog.Logger
	now        func() time.Time
	sandboxURL string
	secure     bool
	assets     views.Assets

	netzme        *netzme.Client
	money         *money.Service
	callbackToken string

	// netzmePublicKey checks SNAP QRIS callbacks (nil: refuse them).
	netzmePublicKey *rsa.PublicKey

	other OtherSNAP // issue 7: NICEPAY CVS and SpeedCash

	publicURL string // base of password reset links ("" = from the request)

	// stickerSlots holds one token per sticker image being decoded (at most
	// stickerDecoders, see sticker.go).
	stickerSlots chan struct{}

	// routable lists the IfRoute sections the router serves (nav.go).
	routable map[string]bool

	payLimits payLimits // issue 13: the public pay page's limits per address

	proxies TrustedProxies // whose X-Forwarded-For names the client (middleware.go)
}

// New returns a Handler for d. It sets d.Sessions.ErrorFunc so a session
// store failure shows Lapak's 500 page and logs one line. It panics when
// d.Now is nil: a missing clock is a wiring bug, and defaulting to the wall
// clock would split the app's time from the db's.
func New(d Deps) *Handler {
	now := d.Now
	if now == nil {
		panic("handlers: New needs Deps.Now (cmd/web passes time.Now; tests pass the clock they give db.Open)")
	}
	logger := d.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{
		db:            d.DB,
		sessions:      d.Sessions,
		log:           logger,
		now:           now,
		sandboxURL:    d.SandboxURL,
		secure:        d.SecureCookies,
		netzme:        d.Netzme,
		callbackToken: d.CallbackToken,
		assets: views.Assets{CSS: static.URL("app.css"), JS: static.URL("app.js"),
			KasirCSS: static.URL("kasir.css"), KasirJS: static.URL("kasir.js")},
		publicURL:    d.PublicURL,
		stickerSlots: make(chan struct{}, stickerDecoders),
		payLimits:    newPayLimits(),
		proxies:      d.TrustedProxies,
	}
	h.money = d.Money
	if h.money == nil {
		h.money = money.New(money.Deps{DB: d.DB, Netzme: d.Netzme, SpeedCash: d.OtherSNAP.SpeedCash, Now: now, Logger: logger})
	}
	h.netzmePublicKey = d.NetzmePublicKey
	h.other = d.OtherSNAP
	if h.sessions != nil {
		h.sessions.ErrorFunc = h.serverError
	}
	return h
}

// Routes returns the application's router with the full middleware chain
// (see STYLE.md "Request flow").
func (h *Handler) Routes() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, h.clientIP, h.recoverer, h.accessLog, securityHeaders, limitBody(defaultBodyLimit))
	// HEAD is answered as GET without a body (monitors and link checkers use it).
	r.Use(middleware.GetHead)
	r.NotFound(h.notFound)
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { h.renderError(w, r, http.StatusMethodNotAllowed) })

	r.Handle("/static/*", h.static())
	r.Get("/healthz", h.healthz)
	// Netzme's callbacks: no session, no CSRF check; their own auth and body limit.
	r.Route("/callbacks/netzme", h.callbackRoutes)
	// NICEPAY calls Lapak (issue 7): SNAP token and signature, no session/CSRF.
	h.nicepayAPIRoutes(r)
	// The customer's public pay page (issue 13): no session, rate limited.
	h.payRoutes(r)

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "cross-origin request refused",
			slog.String("path", r.URL.Path), slog.String("request_id", middleware.GetReqID(r.Context())))
		h.renderError(w, r, http.StatusForbidden)
	}))

	r.Group(func(r chi.Router) {
		r.Use(cop.Handler, h.sessions.LoadAndSave, h.withLang)
		r.Get("/login", h.showLogin)
		r.Post("/login", h.login)
		r.Post("/lang", h.setLang)
		// Accounts (issue 13 §6): the second sign-in step and reset links.
		h.publicAccountRoutes(r)

		r.Group(func(r chi.Router) {
			r.Use(h.requireUser)
			r.Post("/logout", h.logout)
			r.Get("/", h.showDashboard)
			r.Post("/merchant/switch", h.switchMerchant)
			h.accountRoutes(r)

			r.Group(func(r chi.Router) {
				r.Use(h.requireRole(db.RoleOwner))
				r.Get("/members", h.showMembers)
				r.Post("/members", h.createMember)
				r.Get("/members/{userID}", h.showMember)
				r.Post("/members/{userID}/role", h.updateMemberRole)
				r.Post("/members/{userID}/remove", h.removeMember)
			})

			r.With(h.requireRole(db.RoleOwner, db.RoleAuditor)).Get("/audit", h.showAudit)

			// Netzme callback log (owners, auditors, administrators).
			r.Route("/notifications", h.notificationRoutes)

			// Money in (issue 4): invoices, QRIS, PIN, link, balance, history.
			h.moneyInRoutes(r)

			// The counter (issue 13): counter mode, receipts, shifts.
			h.counterRoutes(r)

			// The other SNAP services (issue 7): CVS bills, SpeedCash status.
			h.otherSNAPRoutes(r)

			// Money out (issue 6): withdrawals, deposits, split fees.
			h.moneyOutRoutes(r)

			// Netzme statement sync (issue 12 §2).
			h.syncRoutes(r)

			// Reconciliation and the balance proof (issue 12 §3–4).
			h.reconciliationRoutes(r)

			r.Route("/admin", func(r chi.Router) {
				r.Use(h.requireAdmin)
				r.Get("/", func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, "/admin/merchants", http.StatusSeeOther)
				})
				r.Get("/merchants", h.showAdminMerchants)
				r.Post("/merchants", h.createMerchant)
				r.Get("/users", h.showAdminUsers)
				r.Post("/users", h.createUser)
				r.Get("/users/{userID}", h.showAdminUser)
				r.Get("/audit", h.showAdminAudit)
				r.Post("/users/{userID}/disable", h.disableUser)
				r.Post("/users/{userID}/enable", h.enableUser)
				r.Post("/users/{userID}/memberships", h.setUserMembership)
				r.Post("/users/{userID}/memberships/{merchantID}/remove", h.removeUserMembership)
				h.adminAccountRoutes(r)
			})
		})
	})
	h.markRoutable(r)
	return r
}

// render writes c with status. The component renders into a buffer first, so
// a failing template becomes a clean 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderError writes Lapak's error page for status. It says what happened in
// the user's words and shows the request id, nothing else.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, status int) {
	h.renderErrorView(w, r, views.ErrorView{Status: status})
}

// renderErrorView is renderError with a more precise message or way out
// (v.Message, v.BackURL); the request id is filled in here.
func (h *Handler) renderErrorView(w http.ResponseWriter, r *http.Request, v views.ErrorView) {
	status := v.Status
	v.RequestID = middleware.GetReqID(r.Context())
	p := h.barePage(r, views.T(r.Context(), "error."+itoa(status)+".title"))
	p.Path = "/"
	c := views.ErrorPage(p, v)
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		// The error page itself failed: fall back to plain text, still generic.
		h.log.LogAttrs(r.Context(), slog.LevelError, "error page failed", slog.String("err", err.Error()))
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// serverError logs err once with the request id and shows the generic 500
// page. The error text never reaches the browser.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
		slog.String("err", err.Error()),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("request_id", middleware.GetReqID(r.Context())))
	h.renderError(w, r, http.StatusInternalServerError)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.renderError(w, r, http.StatusNotFound)
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request) {
	h.renderError(w, r, http.StatusForbidden)
}

// actor is who is asking, for the money use cases: the signed-in user, the
// merchant of the verified membership, the request id and client address.
func (h *Handler) actor(r *http.Request) money.Actor {
	act := money.Actor{RequestID: middleware.GetReqID(r.Context()), ClientAddr: ClientIP(r.Context())}
	if a := accountFrom(r.Context()); a != nil {
		act.UserID, act.UserEmail, act.MerchantID = a.User.ID, a.User.Email, a.Current.MerchantID
	}
	return act
}

// dbError maps db.ErrNotFound to 404 (a missing record and another
// merchant's record look the same) and anything else to 500.
func (h *Handler) dbError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, db.ErrNotFound) {
		h.notFound(w, r)
		return
	}
	h.serverError(w, r, err)
}

// parseForm parses a POST form within the body limit: 413 when the body is
// too large, 400 when it is malformed. It reports whether the handler may go on.
func (h *Handler) parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.renderError(w, r, http.StatusRequestEntityTooLarge)
		} else {
			h.renderError(w, r, http.StatusBadRequest)
		}
		return false
	}
	return true
}

// healthz answers 200 {"status":"ok"} only when the database answers a query,
// so a load balancer or systemd watchdog sees a broken database.
func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := contextWithTimeout(r, 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := h.db.Ping(ctx); err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "health check failed", slog.String("err", err.Error()))
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"unavailable"}` + "\n"))
		return
	}
	w.Write([]byte(`{"status":"ok"}` + "\n"))
}
