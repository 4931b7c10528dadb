package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/money"
	"lapak/views"
)

// History (issue 12 §5), a stable interface (README):
//
//	GET /history        query keys from, to (YYYY-MM-DD, Jakarta; any range), type, method,
//	                    status, match, q, cursor
//	GET /history.csv    the same keys (+ dialect=id); every row of the filter
//	GET /history.xlsx   the same, as a workbook
//
// The history is Lapak's books (the ledger): one row per money event, read
// from local tables only — never a Netzme call per page view. Owners and
// auditors; never cashiers.

// booksRoutes registers the history and the settlement summary.
func (h *Handler) booksRoutes(r chi.Router) {
	books := h.requireRole(db.RoleOwner, db.RoleAuditor)
	r.With(books).Get("/history", h.showHistory)
	r.With(books).Get("/history.csv", h.exportHistory)
	r.With(books).Get("/history.xlsx", h.exportHistory)
	h.settlementRoutes(r)
}

const historyPageSize = 50

// historyMethods are the methods the method filter offers: the invoice
// methods, static QRIS and convenience-store bills.
func historyMethods() []string {
	return append(money.InvoiceMethods(), money.MethodStaticQRIS, money.MethodCVS)
}

// historyQuery is the parsed query of /history: the db filter and the keys
// as they go back into links.
type historyQuery struct {
	f           db.HistoryFilter
	from, to    string // YYYY-MM-DD as shown ("" = no bound)
	keep        url.Values
	searchShort bool
}

// dateRange is a range of Jakarta days: from..to, both included.
type dateRange struct{ from, to time.Time }

// jakartaDay is the Jakarta midnight of t's day.
func jakartaDay(t time.Time) time.Time {
	j := t.In(views.Jakarta)
	return time.Date(j.Year(), j.Month(), j.Day(), 0, 0, 0, 0, views.Jakarta)
}

// historyPresets are the date shortcuts, in the order shown: today,
// yesterday, the last 7 days (today included), this month (to today) and
// last month (whole).
func historyPresets(now time.Time) []struct {
	key string
	r   dateRange
} {
	today := jakartaDay(now)
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, views.Jakarta)
	return []struct {
		key string
		r   dateRange
	}{
		{"today", dateRange{today, today}},
		{"yesterday", dateRange{today.AddDate(0, 0, -1), today.AddDate(0, 0, -1)}},
		{"7d", dateRange{today.AddDate(0, 0, -6), today}},
		{"month", dateRange{first, today}},
		{"lastmonth", dateRange{first.AddDate(0, -1, 0), first.AddDate(0, 0, -1)}},
	}
}

// parseHistoryQuery reads the history's query keys. Without from and to the
// range is this month (Bulan ini); either alone leaves the other side open.
// A date that does not read, or a range that ends before it starts, is a
// field error (the page answers 422 with this month). Unknown type, method,
// status and match values are ignored, as the invoice list does: a stale
// bookmark still lists.
func (h *Handler) parseHistoryQuery(q url.Values, errs views.FieldErrors) historyQuery {
	hq := historyQuery{keep: url.Values{}}
	now := h.now()
	from, to := strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to"))
	var fromT, toT time.Time
	if from == "" && to == "" {
		month := historyPresets(now)[3].r
		fromT, toT = month.from, month.to
	} else {
		if from != "" {
			t, ok := parseDay(from)
			if !ok {
				errs["from"] = "err.date"
			}
			fromT = t
		}
		if to != "" {
			t, ok := parseDay(to)
			if !ok {
				errs["to"] = "err.date"
			}
			toT = t
		}
		if len(errs) == 0 && !fromT.IsZero() && !toT.IsZero() && toT.Before(fromT) {
			errs["to"] = "err.date.order"
		}
		if len(errs) > 0 {
			month := historyPresets(now)[3].r
			fromT, toT = month.from, month.to
		}
	}
	if !fromT.IsZero() {
		hq.f.From, hq.from = fromT, fromT.Format("2006-01-02")
		hq.keep.Set("from", hq.from)
	}
	if !toT.IsZero() {
		hq.f.To, hq.to = toT.AddDate(0, 0, 1), toT.Format("2006-01-02") // To is exclusive
		hq.keep.Set("to", hq.to)
	}
	if t := db.HistoryType(q.Get("type")); slices.Contains(db.HistoryTypes, t) {
		hq.f.Type = t
		hq.keep.Set("type", string(t))
	}
	if m := q.Get("method"); slices.Contains(historyMethods(), m) {
		hq.f.Method = m
		hq.keep.Set("method", m)
	}
	if s := db.HistoryStatus(q.Get("status")); slices.Contains(db.HistoryStatuses, s) {
		hq.f.Status = s
		hq.keep.Set("status", string(s))
	}
	if m := db.MatchState(q.Get("match")); slices.Contains(db.MatchStates, m) {
		hq.f.Match = m
		hq.keep.Set("match", string(m))
	}
	if s := strings.TrimSpace(q.Get("q")); s != "" {
		hq.f.Query = s
		hq.keep.Set("q", s)
		if minor, key := parseRupiah(s); key == "" {
			hq.f.AmountMinor = minor
		}
		hq.searchShort = hq.f.AmountMinor == 0 && utf8.RuneCountInString(s) < db.SearchMinChars
	}
	return hq
}

// historyLink is the page of the record a history row belongs to.
func historyLink(e db.HistoryEntry) string {
	id := strconv.FormatInt(e.SourceID, 10)
	switch e.SourceTable {
	case db.SourceInvoices:
		return "/invoices/" + id
	case db.SourceCVSBills:
		return "/cvs/" + id
	case db.SourceWithdrawals:
		return "/withdrawals/" + id
	case db.SourcePayments:
		return "/payments/" + id + "/receipt"
	}
	return ""
}

// historyDirection is "in" or "out".
func historyDirection(e db.HistoryEntry) string {
	if e.In() {
		return "in"
	}
	return "out"
}

func historyRow(e db.HistoryEntry) views.HistoryRow {
	return views.HistoryRow{At: e.OccurredAt, Type: string(e.Type), Direction: historyDirection(e), Method: e.Method,
		Reference: e.Reference, NetzmeID: e.ExternalID, Description: e.Memo, Status: string(e.Status), Match: string(e.Match),
		AmountMinor: e.AmountMinor, FeeMinor: e.FeeMinor, NetMinor: e.NetMinor(), Link: historyLink(e)}
}

// withKeys is path?keys with extra pairs set.
func withKeys(path string, keep url.Values, kv ...string) string {
	q := url.Values{}
	for k, vs := range keep {
		q[k] = vs
	}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func (h *Handler) showHistory(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := accountFrom(ctx)
	errs := views.FieldErrors{}
	hq := h.parseHistoryQuery(r.URL.Query(), errs)
	mid := a.Current.MerchantID
	page, err := h.db.History(ctx, mid, hq.f, pageCursor(r), historyPageSize)
	if err != nil {
		h.listError(w, r, err, firstPageURL("/history", hq.keep))
		return
	}
	total, err := h.db.CountHistory(ctx, mid, hq.f)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	sums, err := h.db.HistoryTotals(ctx, mid, hq.f)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.HistoryView{From: hq.from, To: hq.to, Type: string(hq.f.Type), Method: hq.f.Method,
		Status: string(hq.f.Status), Match: string(hq.f.Match), Query: hq.f.Query, Methods: historyMethods(),
		Total: countLabel(total), SearchShort: hq.searchShort, Errors: errs, Pager: pagerFor("/history", hq.keep, page),
		Totals: views.HistoryTotals{InMinor: sums.InMinor, OutMinor: sums.OutMinor, FeeMinor: sums.FeeMinor,
			NetMinor: sums.NetMinor(), Capped: sums.Capped},
		CSVURL: withKeys("/history.csv", hq.keep), CSVIDURL: withKeys("/history.csv", hq.keep, "dialect", "id"),
		XLSXURL: withKeys("/history.xlsx", hq.keep)}
	for _, t := range db.HistoryTypes {
		v.Types = append(v.Types, string(t))
	}
	for _, s := range db.HistoryStatuses {
		v.Statuses = append(v.Statuses, string(s))
	}
	for _, m := range db.MatchStates {
		v.Matches = append(v.Matches, string(m))
	}
	for _, p := range historyPresets(h.now()) {
		keep := url.Values{}
		for k, vs := range hq.keep {
			keep[k] = vs
		}
		from, to := p.r.from.Format("2006-01-02"), p.r.to.Format("2006-01-02")
		v.Presets = append(v.Presets, views.HistoryPreset{Key: p.key, URL: withKeys("/history", keep, "from", from, "to", to),
			Active: from == hq.from && to == hq.to})
	}
	for _, e := range page.Rows {
		v.Rows = append(v.Rows, historyRow(e))
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, r, status, views.HistoryPage(h.page(r, views.T(ctx, "history.title")), v))
}

// historyExportCols are the columns of GET /history.csv and /history.xlsx,
// in this order (stable interface, README).
var historyExportCols = []exportCol{
	{Name: "occurred_at", Kind: colTime}, {Name: "type"}, {Name: "direction"}, {Name: "method"}, {Name: "reference", Width: 22},
	{Name: "netzme_id", Width: 24}, {Name: "description", Kind: colFree}, {Name: "amount", Kind: colMoney},
	{Name: "fee", Kind: colMoney}, {Name: "net", Kind: colMoney}, {Name: "status"}, {Name: "match"},
}

func fillHistoryRow(e db.HistoryEntry, row []exportValue) {
	row[0], row[1], row[2], row[3] = cellTime(e.OccurredAt), cellText(string(e.Type)), cellText(historyDirection(e)), cellText(e.Method)
	row[4], row[5], row[6] = cellText(e.Reference), cellText(e.ExternalID), cellText(e.Memo)
	row[7], row[8], row[9] = cellMoney(e.AmountMinor), cellMoney(e.FeeMinor), cellMoney(e.NetMinor())
	row[10], row[11] = cellText(string(e.Status)), cellText(string(e.Match))
}

// exportHistory is GET /history.csv and /history.xlsx: every row of the
// filter (no paging), streamed as it is read. A query the page would refuse
// (a date that does not read) is 400.
func (h *Handler) exportHistory(w http.ResponseWriter, r *http.Request) {
	errs := views.FieldErrors{}
	hq := h.parseHistoryQuery(r.URL.Query(), errs)
	if len(errs) > 0 {
		h.renderError(w, r, http.StatusBadRequest)
		return
	}
	name := "history"
	if hq.from != "" {
		name += "-" + hq.from
	}
	if hq.to != "" {
		name += "-" + hq.to
	}
	ex := exportRequest(r, name, "history", historyExportCols)
	writeExport(h, w, r, ex, h.db.HistoryRows(r.Context(), accountFrom(r.Context()).Current.MerchantID, hq.f), fillHistoryRow)
}
