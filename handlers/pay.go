package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/netzme"
	"lapak/netzme/qris"
	"lapak/views"
)

// The customer's pay page (issue 13 §2): /p/{token} shows one sale invoice
// or convenience-store bill to whoever holds its link — the shop, the
// amount, how to pay, the expiry and the live status, nothing that names
// Lapak's records (no ids, references or other payments). No session, not
// indexed, limited per client address; an unknown token is a plain 404 and
// counts against the address.

// payRoutes registers the public pay page (stable interface, README):
// GET /p/{token} (HTML) and GET /p/{token}/status (JSON).
func (h *Handler) payRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(h.withLang, h.payHeaders, h.payLimit)
		r.Get("/p/{token}", h.showPay)
		r.Get("/p/{token}/status", h.payStatus)
	})
}

// Pay-page limits per client address (fixed windows): requests of any kind,
// and unknown tokens, past which the address gets 429 until its window ends.
// A customer's page polls every 2 s (30 a minute); guessing 144-bit tokens
// is hopeless anyway, the miss limit only keeps scanners from filling logs.
const (
	payRequests       = 120
	payRequestsWindow = time.Minute
	payMisses         = 20
	payMissesWindow   = 10 * time.Minute
)

// payLimits are a Handler's pay-page limiters.
type payLimits struct{ requests, misses *windowLimiter }

func newPayLimits() payLimits {
	return payLimits{requests: newWindowLimiter(payRequests, payRequestsWindow), misses: newWindowLimiter(payMisses, payMissesWindow)}
}

// windowLimiter counts events per key in fixed windows, in memory: a restart
// forgets the counts, which is fine for reads of public pages. Per process
// on purpose: with several instances behind a load balancer an address gets
// each instance's budget. Sharing it would cost a database write per pay
// page poll (every 2 s per waiting customer) to guard reads that reveal
// nothing to a guesser; the login throttle, which guards secrets, is in the
// database (ratelimit.go).
type windowLimiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	counts map[string]*windowCount
}

type windowCount struct {
	start time.Time
	n     int
}

func newWindowLimiter(limit int, window time.Duration) *windowLimiter {
	return &windowLimiter{limit: limit, window: window, counts: map[string]*windowCount{}}
}

// over reports whether key has used up its window at now (without counting).
func (l *windowLimiter) over(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.counts[key]
	return ok && now.Sub(c.start) < l.window && c.n >= l.limit
}

// add counts one event for key at now and reports whether it was within the
// limit.
func (l *windowLimiter) add(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.counts) > 10_000 {
		for k, c := range l.counts {
			if now.Sub(c.start) >= l.window {
				delete(l.counts, k)
			}
		}
	}
	c, ok := l.counts[key]
	if !ok || now.Sub(c.start) >= l.window {
		c = &windowCount{start: now}
		l.counts[key] = c
	}
	c.n++
	return c.n <= l.limit
}

// payHeaders keeps pay pages out of search engines and caches, and sends no
// referrer (the URL is the secret).
func (h *Handler) payHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Robots-Tag", "noindex, nofollow")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// payLimit answers 429 to an address past either pay-page limit.
func (h *Handler) payLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, now := ClientIP(r.Context()), h.now()
		if h.payLimits.misses.over(ip, now) || !h.payLimits.requests.add(ip, now) {
			w.Header().Set("Retry-After", "60")
			h.renderError(w, r, http.StatusTooManyRequests)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// validPayToken is the shape of money.NewPayToken's tokens (base64url); any
// other string is not looked up.
func validPayToken(s string) bool {
	if len(s) < 22 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// payLink loads the link of the URL's token; an unknown or malformed token
// is a 404 that counts against the address.
func (h *Handler) payLink(w http.ResponseWriter, r *http.Request) (db.PayLink, bool) {
	token := chi.URLParam(r, "token")
	var l db.PayLink
	err := db.ErrNotFound
	if validPayToken(token) {
		l, err = h.db.PayLinkByToken(r.Context(), token)
	}
	switch {
	case errors.Is(err, db.ErrNotFound):
		h.payLimits.misses.add(ClientIP(r.Context()), h.now())
		h.notFound(w, r)
		return l, false
	case err != nil:
		h.serverError(w, r, err)
		return l, false
	}
	return l, true
}

// payView builds the public view of link l.
func (h *Handler) payView(r *http.Request, l db.PayLink) (views.PayView, error) {
	ctx := r.Context()
	m, err := h.db.Merchant(ctx, l.MerchantID)
	if err != nil {
		return views.PayView{}, err
	}
	v := views.PayView{MerchantName: m.Name, StatusURL: "/p/" + l.Token + "/status"}
	if l.CVSBillID != 0 {
		b, err := h.db.MerchantCVSBill(ctx, l.MerchantID, l.CVSBillID)
		if err != nil {
			return v, err
		}
		v.Kind, v.AmountMinor, v.PayNo, v.ExpiresAt = "cvs", b.AmountMinor, b.PayNo, b.ExpiresAt
		v.Status = map[string]string{db.CVSOpen: "pending", db.CVSPaid: "paid", db.CVSExpired: "expired"}[b.State(h.now())]
		v.PaidAt = b.PaidAt.Time
		return v, nil
	}
	iv, err := h.db.MerchantInvoice(ctx, l.MerchantID, l.InvoiceID)
	if err != nil {
		return v, err
	}
	v.Kind, v.AmountMinor, v.Method, v.ExpiresAt = "invoice", iv.AmountMinor, iv.Method, iv.ExpiresAt
	v.Status = invoiceStateAt(iv, h.now())
	v.PaidAt = iv.PaidAt.Time
	if iv.QRISPayload != "" {
		if svg, err := qris.SVG(iv.QRISPayload); err == nil {
			v.SVG = string(svg)
		}
	}
	v.VANumbers = vaNumbers(iv.VANumbers)
	if v.SVG == "" && len(v.VANumbers) == 0 && iv.Method != netzme.PayQRIS {
		// OVO, DANA, cards…: Netzme's own page is the only way to pay.
		v.PaymentURL = safeURL(iv.PaymentURL)
	}
	return v, nil
}

// payable reports whether a customer can pay iv at now: Netzme has it open
// (an unknown outcome has nothing to pay with yet) and it has not expired.
// Only then is it worth sharing.
func payable(iv db.Invoice, now time.Time) bool {
	return iv.Status == db.InvoicePending && now.Before(iv.ExpiresAt)
}

// invoiceStateAt is the status a customer or cashier should see at now: a
// pending invoice past its expiry is expired even before Netzme confirms it.
func invoiceStateAt(iv db.Invoice, now time.Time) string {
	if iv.Status == db.InvoicePending && !now.Before(iv.ExpiresAt) {
		return string(db.InvoiceExpired)
	}
	return string(iv.Status)
}

// showPay is GET /p/{token}.
func (h *Handler) showPay(w http.ResponseWriter, r *http.Request) {
	l, ok := h.payLink(w, r)
	if !ok {
		return
	}
	v, err := h.payView(r, l)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	p := h.barePage(r, views.T(r.Context(), "pay.title")+" "+v.MerchantName)
	h.render(w, r, http.StatusOK, views.PayPage(p, v))
}

// statusJSON is what the live-status endpoints answer: the status and, once
// paid, when (and for the counter, the receipt links).
type statusJSON struct {
	Status    string `json:"status"`
	PaidAt    string `json:"paid_at,omitempty"`
	Receipt   string `json:"receipt,omitempty"`
	ReceiptWA string `json:"receipt_wa,omitempty"`
}

func (h *Handler) writeStatus(w http.ResponseWriter, s statusJSON) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(s)
}

// payStatus is GET /p/{token}/status: {"status": …, "paid_at": …}.
func (h *Handler) payStatus(w http.ResponseWriter, r *http.Request) {
	l, ok := h.payLink(w, r)
	if !ok {
		return
	}
	v, err := h.payView(r, l)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	s := statusJSON{Status: v.Status}
	if v.Status == "paid" {
		s.PaidAt = views.WIB(v.PaidAt)
	}
	h.writeStatus(w, s)
}

// share builds the share buttons of target for sellers (owners and
// cashiers): its pay link, and a wa.me link whose Indonesian text carries
// it. Others, and payments no longer payable, get none (zero Share).
func (h *Handler) share(r *http.Request, target db.PayTarget, amountMinor int64, shop string, payable bool) (views.Share, error) {
	if !payable || !accountFrom(r.Context()).hasRole(db.RoleOwner, db.RoleCashier) {
		return views.Share{}, nil
	}
	l, err := h.money.PayLink(r.Context(), h.actor(r), target)
	if err != nil {
		return views.Share{}, err
	}
	u := strings.TrimRight(h.baseURL(r), "/") + "/p/" + l.Token
	// The message is in Indonesian whatever the cashier reads: it is for
	// the customer.
	text := views.T(views.WithLang(r.Context(), views.LangID), "share.text", views.IDR(amountMinor), shop, u)
	return views.Share{PayURL: u, WhatsAppURL: waLink(text)}, nil
}

// waLink is a wa.me link that opens WhatsApp with text to send (to a
// contact the sender picks).
func waLink(text string) string {
	return "https://wa.me/?text=" + strings.ReplaceAll(url.QueryEscape(text), "+", "%20")
}
