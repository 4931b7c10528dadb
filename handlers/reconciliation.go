package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/money"
	"lapak/views"
)

// Reconciliation (issue 12 §3–4), a stable interface:
//
//	GET  /reconciliation                 from, to (YYYY-MM-DD, Jakarta), outcome, resolved (yes|no), cursor
//	GET  /reconciliation.csv             the same filters, every row
//	POST /reconciliation/{id}/resolve    note, adjust_amount (optional, rupiah) → 303 back
//
// Owners and administrators resolve; auditors read; cashiers get 403. The
// page shows the balance proof (data-testid balance-proof, data-difference
// in sen) and the pairings of money's reconciliation, brought up to date by
// a short pass before they are read. An administrator may act for any
// merchant with the merchant parameter, as on /sync.
func (h *Handler) reconciliationRoutes(r chi.Router) {
	readers := h.requireRoleOrAdmin(db.RoleOwner, db.RoleAuditor)
	r.With(readers).Get("/reconciliation", h.showReconciliation)
	r.With(readers).Get("/reconciliation.csv", h.exportReconciliation)
	r.With(readers).Get("/reconciliation.xlsx", h.exportReconciliation)
	r.With(h.requireRoleOrAdmin(db.RoleOwner)).Post("/reconciliation/{id:[0-9]+}/resolve", h.resolveException)
}

const (
	reconPageSize = 50
	// reconPassRows bounds the pass a page view runs first: the page shows
	// at once, and says when the pairing is still catching up.
	reconPassRows = 2000
	// reconProofList is how many open exceptions the proof names.
	reconProofList = 5
)

// reconQuery is the parsed filter of /reconciliation and its CSV.
type reconQuery struct {
	f                           db.ReconFilter
	From, To, Outcome, Resolved string
	keep                        url.Values // the filters, for links
}

func parseReconQuery(q url.Values, errs views.FieldErrors) reconQuery {
	rq := reconQuery{From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")), keep: url.Values{}}
	if rq.From != "" {
		if t, ok := parseDay(rq.From); ok {
			rq.f.From = t
			rq.keep.Set("from", rq.From)
		} else {
			errs["from"] = "err.date"
		}
	}
	if rq.To != "" {
		if t, ok := parseDay(rq.To); ok {
			rq.f.To = t.AddDate(0, 0, 1)
			rq.keep.Set("to", rq.To)
		} else {
			errs["to"] = "err.date"
		}
	}
	if !rq.f.From.IsZero() && !rq.f.To.IsZero() && !rq.f.From.Before(rq.f.To) {
		errs["to"] = "err.date.order"
		rq.f.To = time.Time{}
		rq.keep.Del("to")
	}
	if o, ok := db.ParseReconOutcome(q.Get("outcome")); ok {
		rq.f.Outcome, rq.Outcome = o, string(o)
		rq.keep.Set("outcome", rq.Outcome)
	}
	switch strings.ToLower(strings.TrimSpace(q.Get("resolved"))) {
	case "yes", "true", "1":
		yes := true
		rq.f.Resolved, rq.Resolved = &yes, "yes"
	case "no", "false", "0":
		no := false
		rq.f.Resolved, rq.Resolved = &no, "no"
	}
	if rq.Resolved != "" {
		rq.keep.Set("resolved", rq.Resolved)
	}
	return rq
}

// withMerchant adds the merchant an administrator acts for to keep.
func withMerchant(keep url.Values, adminFor int64) url.Values {
	out := url.Values{}
	for k, v := range keep {
		out[k] = v
	}
	if adminFor != 0 {
		out.Set("merchant", strconv.FormatInt(adminFor, 10))
	}
	return out
}

func (h *Handler) showReconciliation(w http.ResponseWriter, r *http.Request) {
	act, adminFor, ok := h.syncActor(w, r)
	if !ok {
		return
	}
	h.renderReconciliation(w, r, http.StatusOK, act, adminFor, views.ReconciliationView{})
}

// renderReconciliation renders the page for the request's filters; v may
// carry a refused resolve form.
func (h *Handler) renderReconciliation(w http.ResponseWriter, r *http.Request, status int, act money.Actor, adminFor int64,
	v views.ReconciliationView) {
	ctx := r.Context()
	m, err := h.db.Merchant(ctx, act.MerchantID)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	v.Errors = views.FieldErrors{}
	rq := parseReconQuery(r.URL.Query(), v.Errors)
	keep := withMerchant(rq.keep, adminFor)
	// Bring the pairings up to date with what happened since the last pass
	// (bounded: a large backlog is the background runner's).
	pass, err := h.money.ReconcileSome(ctx, reconPassRows)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	proof, err := h.money.BalanceProof(ctx, act.MerchantID, reconProofList)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	page, err := h.db.ReconItems(ctx, act.MerchantID, rq.f, pageCursor(r), reconPageSize)
	if err != nil {
		h.listError(w, r, err, firstPageURL("/reconciliation", keep))
		return
	}
	window := int(h.money.ReconcileOptions().UniqueWindow.Minutes())
	v.Proof = proofView(proof, window, "")
	v.From, v.To, v.Outcome, v.Resolved = rq.From, rq.To, rq.Outcome, rq.Resolved
	v.Linked, v.Behind, v.Merchant = m.NetzmeCustID != "", pass.More, adminFor
	v.CanResolve = canStartSync(accountFrom(ctx))
	for _, it := range page.Rows {
		v.Rows = append(v.Rows, reconRow(it, window))
	}
	v.Pager = pagerFor("/reconciliation", keep, page)
	v.CSVURL = firstPageURL("/reconciliation.csv", keep)
	// The page's own URL (also when re-shown after a refused resolve form,
	// whose request went elsewhere).
	v.Return = "/reconciliation"
	if r.URL.RawQuery != "" {
		v.Return += "?" + r.URL.RawQuery
	}
	for _, o := range db.ReconOutcomes {
		f := rq.f
		f.Outcome = o
		n, err := h.db.CountReconItems(ctx, act.MerchantID, f)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		link := withMerchant(rq.keep, adminFor)
		link.Set("outcome", string(o))
		v.Counts = append(v.Counts, views.ReconCount{Outcome: string(o), N: countLabel(n), URL: firstPageURL("/reconciliation", link)})
	}
	p := h.page(r, views.T(ctx, "recon.title"))
	p.Path = v.Return
	h.render(w, r, status, views.ReconciliationPage(p, v))
}

// reconRow is an item as the page shows it.
func reconRow(it db.ReconItem, window int) views.ReconRow {
	row := views.ReconRow{ID: it.ID, Outcome: string(it.Outcome), Rule: string(it.Rule), Kind: it.Kind, Method: it.Method,
		OccurredAt: it.OccurredAt, Reference: it.Reference, NetzmeID: it.NetzmeID,
		HasLapak: it.HasLapak, LapakAmountMinor: it.LapakAmountMinor, LapakFeeMinor: it.LapakFeeMinor,
		HasNetzme: it.HasNetzme, NetzmeAmountMinor: it.NetzmeAmountMinor, NetzmeFeeMinor: it.NetzmeFeeMinor,
		WaitUntil: it.WaitUntil, AdjustMinor: money.AdjustmentFor(it), WindowMinutes: window,
		Resolved: it.Resolved, ResolvedAt: it.ResolvedAt, Note: it.Note, Adjusted: it.AdjustmentID != 0}
	return row
}

// proofView is the balance proof as the pages show it.
func proofView(p money.BalanceProof, window int, link string) views.BalanceProofView {
	v := views.BalanceProofView{Synced: p.Synced, AsOf: p.AsOf, NetzmeMinor: p.NetzmeMinor, LapakMinor: p.LapakMinor,
		DifferenceMinor: p.DifferenceMinor, OpenCount: p.OpenCount, ExplainedMinor: p.ExplainedMinor, Link: link}
	for _, it := range p.Open {
		v.Open = append(v.Open, reconRow(it, window))
	}
	return v
}

// dashboardProof is the dashboard's compact balance proof (owners and
// auditors): Lapak's tables only, index seeks.
func (h *Handler) dashboardProof(r *http.Request, merchantID int64) (*views.BalanceProofView, error) {
	p, err := h.money.BalanceProof(r.Context(), merchantID, 0)
	if err != nil {
		return nil, err
	}
	v := proofView(p, int(h.money.ReconcileOptions().UniqueWindow.Minutes()), "/reconciliation")
	return &v, nil
}

// resolveException is POST /reconciliation/{id}/resolve: note (required)
// and adjust_amount (optional, rupiah as the other amount inputs take it).
// Success: 303 back to the page it came from with a flash; refused input:
// the page again with the form open and its messages (422).
func (h *Handler) resolveException(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	act, adminFor, ok := h.syncActor(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		h.notFound(w, r)
		return
	}
	ctx := r.Context()
	v := views.ReconciliationView{ResolveID: id, ResolveNote: r.PostFormValue("note"),
		ResolveAdjust: strings.TrimSpace(r.PostFormValue("adjust_amount")), ResolveErrors: views.FieldErrors{}}
	in := money.ResolveInput{Note: v.ResolveNote}
	if v.ResolveAdjust != "" {
		amount, key := parseRupiah(v.ResolveAdjust)
		if key != "" {
			v.ResolveErrors["adjust_amount"] = key
		}
		in.AdjustMinor = amount
	}
	back := resolveReturn(r.PostFormValue("return"), adminFor)
	if len(v.ResolveErrors) == 0 {
		_, err = h.money.ResolveException(ctx, act, id, in)
		switch {
		case err == nil:
			h.setFlash(ctx, "ok", "flash.recon.resolved", "")
			http.Redirect(w, r, back+"#recon-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
			return
		case errors.Is(err, db.ErrNotFound):
			h.notFound(w, r)
			return
		case errors.Is(err, money.ErrAlreadyResolved):
			h.setFlash(ctx, "error", "err.recon.resolved", "")
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		case errors.Is(err, money.ErrNotException):
			h.setFlash(ctx, "error", "err.recon.matched", "")
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		case errors.Is(err, money.ErrNothingToAdjust):
			v.ResolveErrors["adjust_amount"] = "err.recon.nothing"
		default:
			if !fieldMessages(v.ResolveErrors, err, "note", nil) {
				h.serverError(w, r, err)
				return
			}
		}
	}
	// Re-show the page the form was on, with the form open.
	if u, err := url.Parse(back); err == nil {
		r.URL.RawQuery = u.RawQuery
	}
	h.renderReconciliation(w, r, http.StatusUnprocessableEntity, act, adminFor, v)
}

// resolveReturn is where a resolve form goes back to: the reconciliation
// page it was on (a relative /reconciliation URL only), else the page.
func resolveReturn(s string, adminFor int64) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path != "/reconciliation" {
		return firstPageURL("/reconciliation", withMerchant(url.Values{}, adminFor))
	}
	return u.RequestURI()
}
