package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/money"
	"lapak/views"
)

// Netzme statement sync (issue 12 §2), a stable interface:
//
//	POST /sync         from, to (YYYY-MM-DD, Jakarta; any length) → 303 /sync
//	GET  /sync         the progress page
//	GET  /sync/status  {"running": bool, "days_done": n, "days_total": n, "lines": n, "error": ""}
//
// Owners and administrators start a sync; auditors watch it; cashiers get
// 403. The sync runs in the background (money.RequestSync): these pages read
// Lapak's tables only and never wait for Netzme. An administrator may act
// for any merchant with the merchant parameter (a merchant id).
func (h *Handler) syncRoutes(r chi.Router) {
	watchers := h.requireRoleOrAdmin(db.RoleOwner, db.RoleAuditor)
	r.With(watchers).Get("/sync", h.showSync)
	r.With(watchers).Get("/sync/status", h.showSyncStatus)
	r.With(h.requireRoleOrAdmin(db.RoleOwner)).Post("/sync", h.startSync)
}

// syncRecentRuns is how many past runs the progress page lists.
const syncRecentRuns = 10

// syncActor is who asks, for the merchant the request is about: the current
// merchant, or for an administrator the one named by the merchant
// parameter. ok is false when there is none (the answer is written).
func (h *Handler) syncActor(w http.ResponseWriter, r *http.Request) (act money.Actor, adminFor int64, ok bool) {
	act = h.actor(r)
	a := accountFrom(r.Context())
	if raw := r.FormValue("merchant"); raw != "" && a.User.IsAdmin {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			h.notFound(w, r)
			return act, 0, false
		}
		if _, err := h.db.Merchant(r.Context(), id); err != nil {
			h.dbError(w, r, err)
			return act, 0, false
		}
		act.MerchantID, adminFor = id, id
	}
	if act.MerchantID == 0 {
		h.notFound(w, r)
		return act, 0, false
	}
	return act, adminFor, true
}

// syncURL is path for the merchant an administrator acts for.
func syncURL(path string, adminFor int64) string {
	if adminFor == 0 {
		return path
	}
	return path + "?" + url.Values{"merchant": {strconv.FormatInt(adminFor, 10)}}.Encode()
}

// canStartSync: owners of the merchant and administrators.
func canStartSync(a *account) bool { return a.User.IsAdmin || a.hasRole(db.RoleOwner) }

// showSync is GET /sync: the current run's progress, the form for those
// who may start one, and the recent runs.
func (h *Handler) showSync(w http.ResponseWriter, r *http.Request) {
	act, adminFor, ok := h.syncActor(w, r)
	if !ok {
		return
	}
	today := h.now().In(views.Jakarta)
	v := views.SyncView{From: today.AddDate(0, 0, -6).Format(time.DateOnly), To: today.Format(time.DateOnly)}
	h.renderSync(w, r, http.StatusOK, act, adminFor, v)
}

func (h *Handler) renderSync(w http.ResponseWriter, r *http.Request, status int, act money.Actor, adminFor int64, v views.SyncView) {
	ctx := r.Context()
	m, err := h.db.Merchant(ctx, act.MerchantID)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	p, err := h.money.SyncStatus(ctx, act)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	runs, err := h.db.SyncRuns(ctx, act.MerchantID, syncRecentRuns)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v.Linked, v.CanStart, v.Running = m.NetzmeCustID != "", canStartSync(accountFrom(ctx)), p.Running
	v.StatusURL, v.Merchant = syncURL("/sync/status", adminFor), adminFor
	if p.Run.ID != 0 {
		row := syncRow(p.Run)
		v.Current = &row
	}
	for _, run := range runs {
		v.Recent = append(v.Recent, syncRow(run))
	}
	page := h.page(r, views.T(ctx, "sync.title"))
	if adminFor != 0 {
		page.Path = syncURL("/sync", adminFor)
	}
	h.render(w, r, status, views.SyncPage(page, v))
}

func syncRow(run db.SyncRun) views.SyncRunRow {
	from, _ := time.ParseInLocation(time.DateOnly, run.FromDay, views.Jakarta)
	to, _ := time.ParseInLocation(time.DateOnly, run.ToDay, views.Jakarta)
	row := views.SyncRunRow{ID: run.ID, Trigger: run.Trigger, Status: string(run.Status), From: from, To: to,
		DaysDone: min(run.DaysDone, run.DaysTotal), DaysTotal: run.DaysTotal, Lines: run.Lines, NewLines: run.NewLines,
		Faults: run.Faults, StartedAt: run.StartedAt, UpdatedAt: run.UpdatedAt, FinishedAt: run.FinishedAt}
	if row.StartedAt.IsZero() {
		row.StartedAt = run.CreatedAt
	}
	if run.Status == db.SyncFailed {
		row.Error = run.Error
	}
	return row
}

// startSync is POST /sync: it queues a sync of the days from..to and
// answers 303 to the progress page; invalid dates re-render the page (422).
func (h *Handler) startSync(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	act, adminFor, ok := h.syncActor(w, r)
	if !ok {
		return
	}
	v := views.SyncView{From: r.PostFormValue("from"), To: r.PostFormValue("to"), Errors: views.FieldErrors{}}
	from, okFrom := parseDay(v.From)
	to, okTo := parseDay(v.To)
	if !okFrom {
		v.Errors["from"] = "err.date"
	}
	if !okTo {
		v.Errors["to"] = "err.date"
	}
	if len(v.Errors) > 0 {
		h.renderSync(w, r, http.StatusUnprocessableEntity, act, adminFor, v)
		return
	}
	_, err := h.money.RequestSync(r.Context(), act, from, to)
	switch {
	case err == nil:
		h.setFlash(r.Context(), "ok", "flash.sync.started", "")
	case errors.Is(err, money.ErrSyncRunning):
		h.setFlash(r.Context(), "error", "flash.sync.running", "")
	default:
		if !fieldMessages(v.Errors, err, "from", nil) {
			h.serverError(w, r, err)
			return
		}
		h.renderSync(w, r, http.StatusUnprocessableEntity, act, adminFor, v)
		return
	}
	http.Redirect(w, r, syncURL("/sync", adminFor), http.StatusSeeOther)
}

// syncStatusJSON is the answer of GET /sync/status (stable interface).
type syncStatusJSON struct {
	Running   bool   `json:"running"`
	DaysDone  int    `json:"days_done"`
	DaysTotal int    `json:"days_total"`
	Lines     int    `json:"lines"`
	Error     string `json:"error"`
}

// showSyncStatus is GET /sync/status, for app.js and scripts: the current
// run's progress as JSON, read from Lapak's tables.
func (h *Handler) showSyncStatus(w http.ResponseWriter, r *http.Request) {
	act, _, ok := h.syncActor(w, r)
	if !ok {
		return
	}
	p, err := h.money.SyncStatus(r.Context(), act)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(syncStatusJSON{Running: p.Running, DaysDone: p.DaysDone, DaysTotal: p.DaysTotal, Lines: p.Lines, Error: p.Error})
}
