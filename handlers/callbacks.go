package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"lapak/db"
	"lapak/money"
	"lapak/netzme"
)

// callbackBodyLimit caps a callback body. The largest documented callback
// (§3.15 Example 1) is about 1.5 KB; 64 KiB leaves room for split-fee lists
// without letting anyone fill the disk.
const callbackBodyLimit = 64 << 10

// unauthenticatedBodyKeep is how much of an unauthenticated body is kept:
// enough to recognise a real Netzme callback sent with a rotated token, too
// little to make the inbox a free store for strangers.
const unauthenticatedBodyKeep = 2 << 10

// callbackRoutes are Netzme's callbacks. They sit outside sessions and CSRF
// protection: Netzme authenticates with x-callback-token (§2.9) or, for the
// SNAP QRIS callback, an RSA signature (§3.19).
func (h *Handler) callbackRoutes(r chi.Router) {
	r.Use(limitBody(callbackBodyLimit))
	r.Post("/invoice", h.callbackHandler(db.CallbackInvoice))
	r.Post("/qris", h.callbackHandler(db.CallbackQRIS))
	r.Post("/snap-qris", h.callbackHandler(db.CallbackSNAPQRIS))
	r.Post("/withdraw", h.callbackHandler(db.CallbackWithdraw))
}

// callbackHandler serves one callback endpoint: authenticate, then store
// raw and apply in one group-commit transaction (money.IngestCallback), and
// only once it has committed answer 2000000.
func (h *Handler) callbackHandler(kind db.CallbackKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		// Reading the whole (limited) body first: the signature of §3.19 is
		// over the body, and an unauthenticated attempt keeps its first bytes.
		body, readErr := io.ReadAll(r.Body)
		base := db.NewCallback{
			Kind: kind, ReceivedAt: h.now(), Headers: callbackHeaders(r),
			RemoteAddr: ClientIP(ctx), RequestID: middleware.GetReqID(ctx),
		}
		if reason := h.authenticateCallback(kind, r, body); reason != "" {
			h.log.LogAttrs(ctx, slog.LevelWarn, "callback refused: not authenticated",
				slog.String("kind", string(kind)), slog.String("reason", reason),
				slog.String("remote_addr", base.RemoteAddr), slog.String("request_id", base.RequestID),
				slog.Int("body_bytes", len(body)))
			base.Status, base.Reason = db.CallbackRejected, "unauthenticated"
			base.Note = reason
			if len(body) > unauthenticatedBodyKeep {
				body = body[:unauthenticatedBodyKeep]
			}
			base.Body = string(body)
			if _, err := h.db.InsertCallback(context.WithoutCancel(ctx), base); err != nil {
				h.log.LogAttrs(ctx, slog.LevelError, "record refused callback failed", slog.String("err", err.Error()))
			}
			h.writeSNAP(w, http.StatusUnauthorized, snapError(http.StatusUnauthorized, "00", "Unauthorized"))
			return
		}
		base.Body = string(body)
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(readErr, &tooBig):
			h.rejectCallback(w, r, base, "too_large", http.StatusRequestEntityTooLarge, "00", "Request Entity Too Large")
			return
		case readErr != nil:
			h.rejectCallback(w, r, base, "unreadable", http.StatusBadRequest, "00", "Bad Request")
			return
		case !isJSON(r.Header.Get("Content-Type")):
			h.rejectCallback(w, r, base, "content_type", http.StatusUnsupportedMediaType, "00", "Unsupported Media Type")
			return
		}
		facts, err := money.ReadCallback(kind, body)
		if err != nil {
			base.Note = err.Error()
			h.rejectCallback(w, r, base, "malformed", http.StatusBadRequest, "01", "Invalid Field Format")
			return
		}
		// Raw row and its effect in one group-commit transaction; the
		// acknowledgement only once that has committed.
		if _, err := h.money.IngestCallback(ctx, money.Actor{ClientAddr: base.RemoteAddr, RequestID: base.RequestID}, base, facts); err != nil {
			h.callbackFailed(w, r, kind, err)
			return
		}
		h.writeSNAP(w, http.StatusOK, netzme.CallbackAck(facts.PartnerReferenceNo, facts.ReferenceNo))
	}
}

// authenticateCallback returns "" when the request comes from Netzme, else a
// reason fit for the log (never the token itself).
func (h *Handler) authenticateCallback(kind db.CallbackKind, r *http.Request, body []byte) string {
	if kind == db.CallbackSNAPQRIS {
		if h.netzmePublicKey == nil {
			return "no Netzme public key configured (NETZME_PUBLIC_KEY_FILE)"
		}
		// guess, spec §3.19: header names and string-to-sign are not
		// documented; X-TIMESTAMP/X-SIGNATURE over the path as received.
		err := netzme.VerifySNAPCallback(h.netzmePublicKey, r.Method, r.URL.RequestURI(), body,
			r.Header.Get("X-TIMESTAMP"), r.Header.Get("X-SIGNATURE"))
		if err != nil {
			return "bad signature"
		}
		return ""
	}
	got := r.Header.Get("x-callback-token")
	if got == "" {
		return "missing x-callback-token"
	}
	if !netzme.VerifyCallbackToken(got, h.callbackToken) {
		return "wrong x-callback-token"
	}
	return ""
}

// rejectCallback stores an authenticated but unusable callback as rejected
// and answers with a SNAP error body.
func (h *Handler) rejectCallback(w http.ResponseWriter, r *http.Request, nc db.NewCallback, reason string, status int, caseCode, msg string) {
	nc.Status, nc.Reason = db.CallbackRejected, reason
	if _, err := h.db.InsertCallback(context.WithoutCancel(r.Context()), nc); err != nil {
		h.callbackFailed(w, r, nc.Kind, err)
		return
	}
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "callback rejected", slog.String("kind", string(nc.Kind)),
		slog.String("reason", reason), slog.String("request_id", nc.RequestID))
	h.writeSNAP(w, status, snapError(status, caseCode, msg))
}

// callbackFailed answers 500 so that Netzme retries: nothing was stored.
func (h *Handler) callbackFailed(w http.ResponseWriter, r *http.Request, kind db.CallbackKind, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelError, "callback failed", slog.String("kind", string(kind)),
		slog.String("err", err.Error()), slog.String("request_id", middleware.GetReqID(r.Context())))
	h.writeSNAP(w, http.StatusInternalServerError, snapError(http.StatusInternalServerError, "00", "General Error"))
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// keptHeaders are the request headers worth keeping with a callback.
var keptHeaders = []string{"Content-Type", "User-Agent", "X-Timestamp", "X-Signature", "X-Partner-Id",
	"X-External-Id", "Channel-Id", "X-Forwarded-For"}

// callbackHeaders returns the headers to store, as JSON. The callback token
// is a secret: only whether it was present is kept.
func callbackHeaders(r *http.Request) string {
	m := map[string]string{}
	for _, k := range keptHeaders {
		if v := r.Header.Get(k); v != "" {
			m[k] = v
		}
	}
	if r.Header.Get("x-callback-token") != "" {
		m["X-Callback-Token"] = "[redacted]"
	}
	b, _ := json.Marshal(m)
	return string(b)
}
