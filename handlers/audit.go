package handlers

import (
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"

	"lapak/db"
	"lapak/views"
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

// auditPageSize is how many audit lines one page shows.
const auditPageSize = 50

// showAudit is the current merchant's audit log (owners and auditors). The
// merchant id comes from the verified membership only.
func (h *Handler) showAudit(w http.ResponseWriter, r *http.Request) {
	h.renderAudit(w, r, accountFrom(r.Context()).Current.MerchantID, false, "/audit")
}

// showAdminAudit is the installation-wide audit log (administrators).
func (h *Handler) showAdminAudit(w http.ResponseWriter, r *http.Request) {
	h.renderAudit(w, r, 0, true, "/admin/audit")
}

func (h *Handler) renderAudit(w http.ResponseWriter, r *http.Request, merchantID int64, admin bool, base string) {
	ctx := r.Context()
	page, err := h.db.AuditPage(ctx, merchantID, pageCursor(r), auditPageSize)
	if err != nil {
		h.listError(w, r, err, base)
		return
	}
	v := views.AuditView{Admin: admin, Pager: pagerFor(base, nil, page)}
	names := map[int64]string{}
	if admin {
		ids := make([]int64, 0, len(page.Rows))
		for _, e := range page.Rows {
			ids = append(ids, e.MerchantID)
		}
		if names, err = h.db.MerchantNames(ctx, ids); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	for _, e := range page.Rows {
		v.Rows = append(v.Rows, views.AuditRow{
			At: e.At, UserEmail: e.UserEmail, Merchant: names[e.MerchantID], Action: e.Action,
			Detail: e.Detail, RemoteAddr: e.RemoteAddr, RequestID: e.RequestID,
		})
	}
	h.render(w, r, http.StatusOK, views.AuditPage(h.page(r, views.T(ctx, "audit.title")), v))
}
