package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"lapak/static"
	"lapak/views"
)

type ctxKey int

const (
	clientIPKey ctxKey = iota
	rawBodyKey
	accountKey
)

// TrustedProxies is the set of reverse proxies (load balancers) whose
// X-Forwarded-For Lapak believes: LAPAK_TRUSTED_PROXIES. The zero value
// trusts none, and then the direct peer is the client.
type TrustedProxies struct {
	nets []netip.Prefix
}

// ParseTrustedProxies reads a comma-separated list of CIDRs ("10.0.0.0/8",
// "fd00::/8") and single addresses ("192.0.2.7", "::1"); blanks around
// entries are ignored, and "" trusts no proxy. A host name is an error: a
// proxy is known by its address, not by what a resolver says today.
func ParseTrustedProxies(s string) (TrustedProxies, error) {
	var p TrustedProxies
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			n, err := netip.ParsePrefix(f)
			if err != nil {
				return TrustedProxies{}, fmt.Errorf("%q is not a CIDR or an IP address", f)
			}
			if n.Addr().Is4In6() {
				n = netip.PrefixFrom(n.Addr().Unmap(), max(n.Bits()-96, 0))
			}
			p.nets = append(p.nets, n.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return TrustedProxies{}, fmt.Errorf("%q is not a CIDR or an IP address", f)
		}
		a = a.Unmap().WithZone("")
		p.nets = append(p.nets, netip.PrefixFrom(a, a.BitLen()))
	}
	return p, nil
}

func (p TrustedProxies) trusts(a netip.Addr) bool {
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads one address: a bare IP, or one with a port as some
// proxies write it ("192.0.2.1:4711", "[2001:db8::1]:4711"); IPv4-mapped
// IPv6 addresses become IPv4, zones are dropped.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}

// ClientAddr returns the address of the client that sent r. It is the
// direct peer (r.RemoteAddr) unless that peer is a trusted proxy; then
// X-Forwarded-For is read from right to left — each proxy appends the peer
// it saw — skipping trusted proxies, and the first address that is not one
// is the client. Everything left of it was written by the client itself (or
// by proxies nobody vouches for) and is ignored: a client cannot choose its
// address by sending the header. When every hop is a trusted proxy the
// leftmost is the client; an entry that is not an address stops the walk
// at the last trusted hop. X-Real-IP and Forwarded are never read.
func (p TrustedProxies) ClientAddr(r *http.Request) string {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	peer, ok := parseHop(host)
	if !ok {
		return host // not an IP peer (a test's pipe, a Unix socket): as given
	}
	if !p.trusts(peer) {
		return peer.String()
	}
	hops := r.Header.Values("X-Forwarded-For")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		entries := strings.Split(hops[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			if strings.TrimSpace(entries[j]) == "" {
				continue
			}
			a, ok := parseHop(entries[j])
			if !ok {
				return client.String()
			}
			client = a
			if !p.trusts(a) {
				return a.String()
			}
		}
	}
	return client.String()
}

// clientIP stores the client address (TrustedProxies.ClientAddr) for
// ClientIP: the login throttle, the pay page's limits, the audit log and
// the callback log all key on it, so it must not be spoofable.
func (h *Handler) clientIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := h.proxies.ClientAddr(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientIPKey, ip)))
	})
}

// ClientIP returns the client address stored by the router's middleware,
// or "".
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey).(string)
	return ip
}

// recoverer turns a panic into one log line and the generic 500 page.
func (h *Handler) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p) // the server's own signal to drop the connection
			}
			h.log.LogAttrs(r.Context(), slog.LevelError, "panic",
				slog.Any("panic", p),
				slog.String("path", r.URL.Path),
				slog.String("request_id", middleware.GetReqID(r.Context())),
				slog.String("stack", string(debug.Stack())))
			h.renderError(w, r, http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}

// accessLog writes one line per request: method, path (never the query
// string, which may carry tokens), status, bytes, duration and request id.
// Bodies are never logged.
func (h *Handler) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := h.now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		status := 0
		defer func() {
			p := recover()
			status = ww.Status()
			if p != nil {
				status = http.StatusInternalServerError
			} else if status == 0 {
				status = http.StatusOK
			}
			h.log.LogAttrs(r.Context(), slog.LevelInfo, "http",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int("bytes", ww.BytesWritten()),
				slog.Int64("duration_us", h.now().Sub(start).Microseconds()),
				slog.String("client_ip", ClientIP(r.Context())),
				slog.String("request_id", middleware.GetReqID(r.Context())))
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(ww, r)
	})
}

// contentSecurityPolicy allows nothing inline: every script and style comes
// from /static, so an injected <script> or style attribute does nothing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// defaultBodyLimit caps request bodies: forms are tiny, and a cap keeps a
// client from filling memory or disk.
const defaultBodyLimit = 1 << 20

// limitBody caps r.Body at n bytes. It keeps the unwrapped body in the
// context so a route that takes uploads can raise the cap with limitBody
// again (a MaxBytesReader cannot be loosened by wrapping it once more).
func limitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, ok := r.Context().Value(rawBodyKey).(io.ReadCloser)
			if !ok {
				raw = r.Body
				r = r.WithContext(context.WithValue(r.Context(), rawBodyKey, raw))
			}
			if raw != nil {
				r.Body = http.MaxBytesReader(w, raw, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// static serves the embedded assets. A request carrying the current
// fingerprint (?v=) may be cached for a year; anything else must revalidate.
func (h *Handler) static() http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(static.FS))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if name == "" || strings.HasSuffix(name, "/") {
			h.notFound(w, r) // no directory listings
			return
		}
		if v := r.URL.Query().Get("v"); v != "" && static.URL(name) == "/static/"+name+"?v="+v {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

// langCookie remembers the language for the login page, where no user is
// known yet.
const langCookie = "lapak_lang"

// withLang puts the language from the lapak_lang cookie into the context;
// requireUser later replaces it with the user's own setting.
func (h *Handler) withLang(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := views.LangID
		if c, err := r.Cookie(langCookie); err == nil {
			lang, _ = views.ParseLang(c.Value)
		}
		next.ServeHTTP(w, r.WithContext(views.WithLang(r.Context(), lang)))
	})
}

func (h *Handler) setLangCookie(w http.ResponseWriter, lang views.Lang) {
	http.SetCookie(w, &http.Cookie{
		Name: langCookie, Value: string(lang), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	})
}

// safeNext returns next when it is a local path ("/x", not "//host" or
// "/\host"), else "/": redirects must never leave Lapak.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

func itoa(n int) string { return strconv.Itoa(n) }

func contextWithTimeout(r *http.Request, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), d)
}
