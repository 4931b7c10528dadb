package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/views"
)

// notificationPageSize is how many callbacks one page of the log shows.
const notificationPageSize = 50

// notificationRoutes is the notification log: owners and auditors read their
// merchant's callbacks, administrators read every callback and act on them.
func (h *Handler) notificationRoutes(r chi.Router) {
	r.Use(h.requireRoleOrAdmin(db.RoleOwner, db.RoleAuditor))
	r.Get("/", h.showNotifications)
	r.Get("/{id}", h.showNotification)
	r.With(h.requireAdmin).Post("/{id}/reapply", h.reapplyNotification)
	// Administrators resolve any callback under review; owners acknowledge
	// their own shop's static-QRIS payments (issue 13 §9).
	r.With(h.requireRoleOrAdmin(db.RoleOwner)).Post("/{id}/resolve", h.resolveNotification)
}

// requireRoleOrAdmin lets through administrators and users whose current
// role is one of roles; otherwise 403.
func (h *Handler) requireRoleOrAdmin(roles ...db.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := accountFrom(r.Context())
			if a == nil || (!a.User.IsAdmin && !a.hasRole(roles...)) {
				h.forbidden(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// notificationScope is the merchant whose callbacks the user may see: 0
// (every callback, including unattributed ones) for administrators.
func notificationScope(a *account) int64 {
	if a.User.IsAdmin {
		return 0
	}
	return a.Current.MerchantID
}

// parseDay reads a YYYY-MM-DD date as the start of that day in Jakarta.
func parseDay(s string) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02", s, views.Jakarta)
	return t, err == nil
}

// showNotifications lists callbacks, filtered by kind, status and date.
// Unknown filter values are ignored (the form only offers valid ones).
func (h *Handler) showNotifications(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := accountFrom(ctx)
	q := r.URL.Query()
	f := db.CallbackFilter{MerchantID: notificationScope(a), Limit: notificationPageSize + 1}
	v := views.NotificationsView{Admin: a.User.IsAdmin, Page: 1}
	for _, k := range db.CallbackKinds {
		v.Kinds = append(v.Kinds, string(k))
		if string(k) == q.Get("kind") {
			f.Kind, v.Kind = k, string(k)
		}
	}
	for _, s := range db.CallbackStatuses {
		v.Statuses = append(v.Statuses, string(s))
		if string(s) == q.Get("status") {
			f.Status, v.Status = s, string(s)
		}
	}
	if t, ok := parseDay(q.Get("from")); ok {
		f.From, v.From = t, q.Get("from")
	}
	if t, ok := parseDay(q.Get("to")); ok {
		f.To, v.To = t.AddDate(0, 0, 1), q.Get("to") // inclusive day
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 && n < 1_000_000 {
		v.Page = n
	}
	f.Offset = (v.Page - 1) * notificationPageSize
	cbs, total, err := h.db.Callbacks(ctx, f)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v.Total = total
	if len(cbs) > notificationPageSize {
		cbs, v.HasNext = cbs[:notificationPageSize], true
	}
	names, err := h.merchantNames(r, a)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, c := range cbs {
		v.Rows = append(v.Rows, views.NotificationRow{
			ID: c.ID, Kind: string(c.Kind), Status: string(c.Status), Reason: c.Reason, ReceivedAt: c.ReceivedAt,
			Reference: firstNonEmpty(c.PartnerRefNo, c.ReferenceNo), AmountMinor: c.AmountMinor.Int64,
			HasAmount: c.AmountMinor.Valid, Merchant: names[c.MerchantID],
		})
	}
	keep := url.Values{}
	for _, k := range []string{"kind", "status", "from", "to"} {
		if val := map[string]string{"kind": v.Kind, "status": v.Status, "from": v.From, "to": v.To}[k]; val != "" {
			keep.Set(k, val)
		}
	}
	v.Query = keep.Encode()
	h.render(w, r, http.StatusOK, views.NotificationsPage(h.page(r, views.T(ctx, "notif.title")), v))
}

// merchantNames maps merchant ids to names for administrators' lists (who
// see every merchant); others see only their own merchant.
func (h *Handler) merchantNames(r *http.Request, a *account) (map[int64]string, error) {
	names := map[int64]string{a.Current.MerchantID: a.Current.MerchantName}
	if !a.User.IsAdmin {
		return names, nil
	}
	ms, err := h.db.Merchants(r.Context())
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		names[m.ID] = m.Name
	}
	return names, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// callbackID reads the {id} path value; 0 when it is not a positive number.
func callbackID(r *http.Request) int64 {
	n, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// showNotification is one callback: the raw request, pretty-printed, and
// what applying it changed. Another merchant's callback is a 404.
func (h *Handler) showNotification(w http.ResponseWriter, r *http.Request) {
	h.renderNotification(w, r, http.StatusOK, nil, "")
}

func (h *Handler) renderNotification(w http.ResponseWriter, r *http.Request, status int, errs views.FieldErrors, note string) {
	ctx := r.Context()
	a := accountFrom(ctx)
	id := callbackID(r)
	if id == 0 {
		h.notFound(w, r)
		return
	}
	c, err := h.db.Callback(ctx, notificationScope(a), id)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	names, err := h.merchantNames(r, a)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.NotificationView{
		ID: c.ID, Kind: string(c.Kind), Status: string(c.Status), Reason: c.Reason, Note: c.Note,
		ReceivedAt: c.ReceivedAt, DedupeKey: c.DedupeKey, Reference: c.ReferenceNo, PartnerRef: c.PartnerRefNo,
		CustID: c.CustIDMerchant, Merchant: names[c.MerchantID], InvoiceID: c.InvoiceID, PaymentID: c.PaymentID,
		Headers: prettyJSON(c.Headers), Body: prettyJSON(c.Body), Effect: prettyJSON(c.Effect),
		HasEffect: c.Effect != "" && c.Effect != "{}", Attempts: c.Attempts, RemoteAddr: c.RemoteAddr,
		RequestID: c.RequestID, ResolutionNote: c.ResolutionNote, Admin: a.User.IsAdmin, Errors: errs, NoteInput: note,
	}
	v.AmountMinor, v.HasAmount = c.AmountMinor.Int64, c.AmountMinor.Valid
	v.FeeMinor, v.HasFee = c.FeeMinor.Int64, c.FeeMinor.Valid
	v.NetMinor, v.HasNet = c.NetMinor.Int64, c.NetMinor.Valid
	if c.AppliedAt.Valid {
		v.AppliedAt = c.AppliedAt.Time
	}
	if c.ResolvedAt.Valid {
		v.ResolvedAt = c.ResolvedAt.Time
	}
	v.CanReapply = a.User.IsAdmin && reappliable(c)
	v.CanResolve = a.User.IsAdmin && c.Status == db.CallbackNeedsReview
	v.CanAcknowledge = !a.User.IsAdmin && ownerAcknowledges(a, c)
	h.render(w, r, status, views.NotificationPage(h.page(r, views.T(ctx, "notif.detail", c.ID)), v))
}

// ownerAcknowledges reports whether a, an owner of c's shop, may close c:
// a static-QRIS payment waiting for review. Everything else under review
// stays the administrators'.
func ownerAcknowledges(a *account, c db.Callback) bool {
	return a.hasRole(db.RoleOwner) && c.MerchantID == a.Current.MerchantID && c.MerchantID != 0 &&
		c.Status == db.CallbackNeedsReview && c.Reason == "static_qris"
}

// reappliable reports whether re-applying c can change anything: rows that
// were applied, stored or resolved are final, and an unauthenticated body is
// never applied.
func reappliable(c db.Callback) bool {
	switch c.Status {
	case db.CallbackApplied, db.CallbackStored, db.CallbackResolved:
		return false
	case db.CallbackRejected:
		return c.Reason != "unauthenticated"
	}
	return true
}

// prettyJSON indents s when it is JSON, else returns it as is.
func prettyJSON(s string) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(s), "", "  "); err != nil {
		return s
	}
	return buf.String()
}

// reapplyNotification runs the apply step of a callback again
// (administrators). It is idempotent: the dedupe keys and the guarded
// invoice transition make a second run a no-op or a duplicate.
func (h *Handler) reapplyNotification(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := callbackID(r)
	if id == 0 {
		h.notFound(w, r)
		return
	}
	before, err := h.db.Callback(ctx, 0, id)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	if !reappliable(before) {
		// Still audited: someone asked.
		if err := h.audit(r, "callback.reapply.noop", before.MerchantID, map[string]any{"callback_id": id, "status": before.Status}); err != nil {
			h.serverError(w, r, err)
			return
		}
		h.setFlash(ctx, "ok", "notif.flash.noop", "")
		http.Redirect(w, r, "/notifications/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return
	}
	after, err := h.money.ApplyCallback(ctx, h.actor(r), id)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.setFlash(ctx, "ok", "notif.flash.reapplied", views.T(ctx, "notif.status."+string(after.Status)))
	http.Redirect(w, r, "/notifications/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// resolveNotification closes a needs_review callback with a required note
// (administrators), audited in the same transaction.
func (h *Handler) resolveNotification(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := callbackID(r)
	if id == 0 {
		h.notFound(w, r)
		return
	}
	if !h.parseForm(w, r) {
		return
	}
	errs := views.FieldErrors{}
	a := accountFrom(ctx)
	note := trimmed(errs, "note", r.PostFormValue("note"), 500)
	c, err := h.db.Callback(ctx, notificationScope(a), id)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	switch {
	case a.User.IsAdmin:
		if note == "" {
			errs["note"] = "err.required"
		}
	case !ownerAcknowledges(a, c):
		h.forbidden(w, r)
		return
	case note == "":
		note = views.T(views.WithLang(ctx, views.LangID), "notif.ack.note")
	}
	if len(errs) > 0 {
		h.renderNotification(w, r, http.StatusUnprocessableEntity, errs, note)
		return
	}
	done, err := h.db.ResolveCallback(ctx, id, a.User.ID, note, h.auditEntry(r, "callback.resolve", c.MerchantID,
		map[string]any{"callback_id": id, "reason": c.Reason, "note": note}))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if done {
		h.setFlash(ctx, "ok", "notif.flash.resolved", "")
	} else {
		h.setFlash(ctx, "ok", "notif.flash.noop", "")
	}
	http.Redirect(w, r, "/notifications/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
