package handlers

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"lapak/db"
	"lapak/money"
	"lapak/snap"
	"lapak/views"
)

// History (owners and auditors): Netzme's own transaction list (spec §3.4)
// next to our invoice records, for a Jakarta date range, with status and
// method filters and paging. GET /history.csv streams the same rows.

const (
	historyPageSize = 50
	// historyMaxDays bounds one query: §3.4 takes one day per call and pages
	// of undocumented size, so a month is already dozens of calls.
	historyMaxDays = 31
)

// historyQuery is the parsed filter of /history.
type historyQuery struct {
	From, To       time.Time // Jakarta midnights; To is exclusive
	FromS, ToS     string    // as shown in the form
	Status, Method string
	Page           int
}

func (h *Handler) parseHistoryQuery(q url.Values, errs views.FieldErrors) historyQuery {
	now := h.now().In(views.Jakarta)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, views.Jakarta)
	hq := historyQuery{From: today, To: today.AddDate(0, 0, 1), Status: strings.TrimSpace(q.Get("status")),
		Method: strings.TrimSpace(q.Get("method")), Page: 1}
	parse := func(field, s string) (time.Time, bool) {
		t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), views.Jakarta)
		if err != nil {
			errs[field] = "err.date"
			return time.Time{}, false
		}
		return t, true
	}
	if s := q.Get("from"); s != "" {
		if t, ok := parse("from", s); ok {
			hq.From = t
		}
	}
	if s := q.Get("to"); s != "" {
		if t, ok := parse("to", s); ok {
			hq.To = t.AddDate(0, 0, 1)
		}
	}
	if len(errs) == 0 && !hq.From.Before(hq.To) {
		errs["to"] = "err.date.order"
	} else if len(errs) == 0 && hq.To.Sub(hq.From) > historyMaxDays*24*time.Hour {
		errs["to"] = "err.date.range"
	}
	if len(errs) > 0 {
		hq.From, hq.To = today, today.AddDate(0, 0, 1)
	}
	hq.FromS, hq.ToS = hq.From.Format("2006-01-02"), hq.To.AddDate(0, 0, -1).Format("2006-01-02")
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 && n < 1_000_000 {
		hq.Page = n
	}
	return hq
}

// historyRows collects Netzme's list and our invoices for hq, newest first,
// after the status/method filters. netzmeOK is false when any §3.4 call
// failed (the rows from our own books are still there).
func (h *Handler) historyRows(r *http.Request, m db.Merchant, hq historyQuery) ([]views.HistoryRow, bool, error) {
	var rows []views.HistoryRow
	netzmeOK := true
	if m.NetzmeCustID != "" {
		ts, ok, err := h.money.NetzmeTransactions(r.Context(), h.actor(r), hq.From, hq.To)
		if err != nil {
			return nil, false, err
		}
		netzmeOK = ok
		for _, t := range ts {
			rows = append(rows, views.HistoryRow{At: t.At, Source: "netzme", Reference: t.InvoiceID, NetzmeID: t.TransactionID,
				Type: t.Type, Method: t.PaymentMethod, Status: strings.ToLower(t.Status), AmountMinor: t.AmountMinor,
				FeeMinor: t.FeeMinor, Description: t.Desc})
		}
	}
	ivs, _, err := h.db.Invoices(r.Context(), m.ID, db.InvoiceFilter{From: hq.From, To: hq.To})
	if err != nil {
		return nil, false, err
	}
	for _, iv := range ivs {
		row := views.HistoryRow{At: iv.CreatedAt, Source: "lapak", Reference: iv.PartnerReferenceNo,
			NetzmeID: iv.NetzmeTrxID, Type: "INVOICE", Method: iv.Method, Status: string(iv.Status),
			AmountMinor: iv.AmountMinor, Description: iv.Description, InvoiceID: iv.ID}
		if iv.FeeMinor.Valid {
			row.FeeMinor = iv.FeeMinor.Int64
		}
		rows = append(rows, row)
	}
	payments, _, err := h.db.MerchantPayments(r.Context(), m.ID, db.PaymentFilter{From: hq.From, To: hq.To})
	if err != nil {
		return nil, false, err
	}
	for _, p := range payments {
		rows = append(rows, views.HistoryRow{At: p.PaidAt, Source: "payment", Reference: p.RRN,
			NetzmeID: money.StaticPaymentKey(p), Type: staticQRISType, Method: "QRIS", Status: string(db.InvoicePaid),
			AmountMinor: p.AmountMinor, FeeMinor: p.FeeMinor, Description: staticPaymentNote(p)})
	}
	out := rows[:0]
	for _, row := range rows {
		if hq.Status != "" && !strings.EqualFold(row.Status, hq.Status) {
			continue
		}
		if hq.Method != "" && !strings.EqualFold(row.Method, hq.Method) {
			continue
		}
		out = append(out, row)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out, netzmeOK, nil
}

// staticQRISType marks history rows that are static-QRIS payments we recorded
// from Netzme's callbacks (not invoices).
const staticQRISType = "QRIS_STATIC"

// historyMaxChecks bounds the §3.10 look-ups one history page makes.
const historyMaxChecks = 20

// checkStaticPayments asks money to check each static-QRIS payment on the
// page against Netzme's own record (§3.10), at most historyMaxChecks.
func (h *Handler) checkStaticPayments(r *http.Request, rows []views.HistoryRow) {
	var at []int
	var ps []money.StaticPayment
	for i := range rows {
		if rows[i].Type == staticQRISType && len(ps) < historyMaxChecks {
			at = append(at, i)
			ps = append(ps, money.StaticPayment{Key: rows[i].NetzmeID, AmountMinor: rows[i].AmountMinor})
		}
	}
	for j, c := range h.money.CheckStaticPayments(r.Context(), h.actor(r), ps) {
		rows[at[j]].Check = string(c)
	}
}

func (h *Handler) showHistory(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	errs := views.FieldErrors{}
	hq := h.parseHistoryQuery(r.URL.Query(), errs)
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	rows, netzmeOK, err := h.historyRows(r, m, hq)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.HistoryView{From: hq.FromS, To: hq.ToS, Status: hq.Status, Method: hq.Method, Page: hq.Page,
		Total: len(rows), NetzmeOK: netzmeOK, Linked: m.NetzmeCustID != "", Errors: errs}
	start := (hq.Page - 1) * historyPageSize
	if start < len(rows) {
		v.Rows = rows[start:min(start+historyPageSize, len(rows))]
		if v.Linked {
			h.checkStaticPayments(r, v.Rows)
		}
	}
	qs := url.Values{"from": {hq.FromS}, "to": {hq.ToS}}
	if hq.Status != "" {
		qs.Set("status", hq.Status)
	}
	if hq.Method != "" {
		qs.Set("method", hq.Method)
	}
	v.CSVURL = "/history.csv?" + qs.Encode()
	if hq.Page > 1 {
		qs.Set("page", strconv.Itoa(hq.Page-1))
		v.PrevURL = "/history?" + qs.Encode()
	}
	if start+historyPageSize < len(rows) {
		qs.Set("page", strconv.Itoa(hq.Page+1))
		v.NextURL = "/history?" + qs.Encode()
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, r, status, views.HistoryPage(h.page(r, views.T(ctx, "history.title")), v))
}

// exportHistory is GET /history.csv: every row of the filter (no paging), in
// the CSV conventions of the stable interface.
func (h *Handler) exportHistory(w http.ResponseWriter, r *http.Request) {
	errs := views.FieldErrors{}
	hq := h.parseHistoryQuery(r.URL.Query(), errs)
	if len(errs) > 0 {
		h.renderError(w, r, http.StatusBadRequest)
		return
	}
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	rows, _, err := h.historyRows(r, m, hq)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="history-`+hq.FromS+`-`+hq.ToS+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "source", "reference", "netzme_id", "type", "method", "status", "amount", "fee", "description"})
	for _, row := range rows {
		cw.Write([]string{isoTime(row.At), row.Source, row.Reference, row.NetzmeID, row.Type, row.Method, row.Status,
			snap.FormatAmount(row.AmountMinor), snap.FormatAmount(row.FeeMinor), csvText(row.Description)})
	}
	cw.Flush()
}
