package handlers

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/views"
)

// Statement sync (issue 12 §2): owners and administrators start a sync of
// Netzme's records for any range of days; owners, auditors and
// administrators watch its progress. The sync runs in the background
// (money.StartStatementSync): no page waits for Netzme.

// syncRefresh is how often the progress page reloads itself while a sync
// runs (the Refresh header: no script).
const syncRefresh = "2"

func (h *Handler) syncRoutes(r chi.Router) {
	watchers := h.requireRoleOrAdmin(db.RoleOwner, db.RoleAuditor)
	r.With(watchers).Get("/sync", h.showSync)
	r.With(watchers).Get("/sync/status", h.syncStatus)
	r.With(h.requireRoleOrAdmin(db.RoleOwner)).Post("/sync", h.startSync)
}

func (h *Handler) showSync(w http.ResponseWriter, r *http.Request) {
	today := h.now().In(views.Jakarta)
	h.renderSync(w, r, http.StatusOK, today.AddDate(0, 0, -6).Format(time.DateOnly), today.Format(time.DateOnly), nil)
}

func (h *Handler) renderSync(w http.ResponseWriter, r *http.Request, status int, from, to string, errs views.FieldErrors) {
	a := accountFrom(r.Context())
	st := h.money.StatementSyncStatus(a.Current.MerchantID)
	v := views.SyncView{From: from, To: to, Errors: errs, CanStart: a.User.IsAdmin || a.hasRole(db.RoleOwner),
		HasRun: !st.Started.IsZero(), Running: st.Running, DaysDone: st.DaysDone, DaysTotal: st.DaysTotal,
		Lines: st.Lines, NewLines: st.NewLines, Error: st.Error, RangeFrom: st.From, RangeTo: st.To,
		Started: st.Started, Finished: st.Finished}
	if st.Running {
		w.Header().Set("Refresh", syncRefresh)
	}
	h.render(w, r, status, views.SyncPage(h.page(r, views.T(r.Context(), "sync.title")), v))
}

// startSync is POST /sync (from, to: YYYY-MM-DD, Jakarta): it starts the
// sync and answers 303 to the progress page; an invalid range re-renders
// the form with 422.
func (h *Handler) startSync(w http.ResponseWriter, r *http.Request) {
	from, to := strings.TrimSpace(r.PostFormValue("from")), strings.TrimSpace(r.PostFormValue("to"))
	errs := views.FieldErrors{}
	f, err := time.ParseInLocation(time.DateOnly, from, views.Jakarta)
	if err != nil {
		errs["from"] = "err.date"
	}
	t, err := time.ParseInLocation(time.DateOnly, to, views.Jakarta)
	if err != nil {
		errs["to"] = "err.date"
	}
	if len(errs) == 0 && t.Before(f) {
		errs["to"] = "err.date.order"
	}
	if len(errs) > 0 {
		h.renderSync(w, r, http.StatusUnprocessableEntity, from, to, errs)
		return
	}
	if _, err := h.money.StartStatementSync(r.Context(), h.actor(r), f, t); err != nil {
		if fieldMessages(errs, err, "from", nil) {
			h.renderSync(w, r, http.StatusUnprocessableEntity, from, to, errs)
			return
		}
		h.dbError(w, r, err)
		return
	}
	http.Redirect(w, r, "/sync", http.StatusSeeOther)
}

// syncStatus is GET /sync/status: the current merchant's sync as JSON
// {"running", "days_done", "days_total", "lines", "error"}.
func (h *Handler) syncStatus(w http.ResponseWriter, r *http.Request) {
	st := h.money.StatementSyncStatus(accountFrom(r.Context()).Current.MerchantID)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(st)
}
