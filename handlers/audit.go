package handlers

import (
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"

	"lapak/db"
)

// auditEntry builds an audit_log row for the request: the acting user (if
// signed in), client address and request id. detail must hold no secret.
func (h *Handler) auditEntry(r *http.Request, action string, merchantID int64, detail map[string]any) db.AuditEntry {
	e := db.AuditEntry{
		At:         h.now(),
		MerchantID: merchantID,
		Action:     action,
		RemoteAddr: ClientIP(r.Context()),
		RequestID:  middleware.GetReqID(r.Context()),
	}
	if a := accountFrom(r.Context()); a != nil {
		e.UserID, e.UserEmail = a.User.ID, a.User.Email
	}
	if detail != nil {
		if b, err := json.Marshal(detail); err == nil {
			e.Detail = string(b)
		}
	}
	return e
}

// audit writes one audit_log row outside a transaction (for actions that are a
// single statement themselves).
func (h *Handler) audit(r *http.Request, action string, merchantID int64, detail map[string]any) error {
	return h.db.Audit(r.Context(), h.auditEntry(r, action, merchantID, detail))
}
