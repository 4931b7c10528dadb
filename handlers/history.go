package handlers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
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
}

func (h *Handler) parseHistoryQuery(q url.Values, errs views.FieldErrors) historyQuery {
	now := h.now().In(views.Jakarta)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, views.Jakarta)
	hq := historyQuery{From: today, To: today.AddDate(0, 0, 1), Status: strings.TrimSpace(q.Get("status")),
		Method: strings.TrimSpace(q.Get("method"))}
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
	return hq
}

// historyList is the history of one query: Netzme's rows for the date range
// (§3.4 answers whole days, so they are read whole and kept here, sorted)
// merged with our invoices and static-QRIS payments, which are read by
// keyset a page at a time. Order: newest first; at the same instant by
// source, then Netzme id, then our id — a total order, so a cursor names one
// place in the merged list.
type historyList struct {
	h        *Handler
	ctx      context.Context
	merchant int64
	netzme   []historyItem     // filtered, in display order
	invoices *db.InvoiceFilter // nil: no invoice can match the filters
	payments *db.PaymentFilter // nil: no payment can match the filters
	netzmeOK bool
}

// historyItem is one row with its place in the order.
type historyItem struct {
	row views.HistoryRow
	key historyKey
}

// historyKey is a row's place: at (to the microsecond, as stored), the
// source ("lapak", "netzme", "payment"), Netzme's transaction id and our
// row id (0 for Netzme's rows).
type historyKey struct {
	at  int64 // Unix microseconds
	src string
	tb  string
	id  int64
}

// historyCursorList names the history's cursors (checked by db's codec).
const historyCursorList = "history"

func (k historyKey) cursor() db.Cursor {
	return db.Cursor{Key: strconv.FormatInt(k.at, 10) + "|" + k.src + "|" + k.tb, ID: k.id}
}

func parseHistoryKey(c db.Cursor) (historyKey, error) {
	at, rest, ok1 := strings.Cut(c.Key, "|")
	src, tb, ok2 := strings.Cut(rest, "|")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok1 || !ok2 || err != nil || (src != "lapak" && src != "netzme" && src != "payment") || c.ID < 0 {
		return historyKey{}, errors.New("not a history position")
	}
	return historyKey{at: n, src: src, tb: tb, id: c.ID}, nil
}

// compare orders keys newest first: negative when a is shown before b.
func (a historyKey) compare(b historyKey) int {
	return -cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.src, b.src), cmp.Compare(a.tb, b.tb), cmp.Compare(a.id, b.id))
}

// dbCursor is where a source of ours continues for cursor c at k: at the
// same instant, rows of a source that sorts after k's source come first in
// display order, so the id bound is the largest (or smallest) possible.
func (k historyKey) dbCursor(src string, back bool) db.Cursor {
	id := k.id
	switch {
	case src < k.src:
		id = math.MaxInt64
	case src > k.src:
		id = 0
	}
	c := db.TimeCursor(time.UnixMicro(k.at), id)
	c.Back = back
	return c
}

// newHistoryList reads Netzme's side of hq and prepares ours.
func (h *Handler) newHistoryList(r *http.Request, m db.Merchant, hq historyQuery) (*historyList, error) {
	l := &historyList{h: h, ctx: r.Context(), merchant: m.ID, netzmeOK: true}
	keep := func(status, method string) bool {
		return (hq.Status == "" || strings.EqualFold(status, hq.Status)) && (hq.Method == "" || strings.EqualFold(method, hq.Method))
	}
	if m.NetzmeCustID != "" {
		ts, ok, err := h.money.NetzmeTransactions(r.Context(), h.actor(r), hq.From, hq.To)
		if err != nil {
			return nil, err
		}
		l.netzmeOK = ok
		for _, t := range ts {
			row := views.HistoryRow{At: t.At, Source: "netzme", Reference: t.InvoiceID, NetzmeID: t.TransactionID,
				Type: t.Type, Method: t.PaymentMethod, Status: strings.ToLower(t.Status), AmountMinor: t.AmountMinor,
				FeeMinor: t.FeeMinor, Description: t.Desc}
			if keep(row.Status, row.Method) {
				l.netzme = append(l.netzme, historyItem{row: row, key: historyKey{at: t.At.UnixMicro(), src: "netzme", tb: t.TransactionID}})
			}
		}
		sort.SliceStable(l.netzme, func(i, j int) bool { return l.netzme[i].key.compare(l.netzme[j].key) < 0 })
	}
	// Our invoices: the filters go to the database, in the case stored.
	f := db.InvoiceFilter{From: hq.From, To: hq.To}
	statusOK, methodOK := hq.Status == "", hq.Method == ""
	for _, s := range db.InvoiceStatuses {
		if strings.EqualFold(string(s), hq.Status) {
			f.Status, statusOK = s, true
		}
	}
	for _, mth := range money.InvoiceMethods() {
		if strings.EqualFold(mth, hq.Method) {
			f.Method, methodOK = mth, true
		}
	}
	if statusOK && methodOK {
		l.invoices = &f
	}
	if keep(string(db.InvoicePaid), "QRIS") {
		l.payments = &db.PaymentFilter{From: hq.From, To: hq.To}
	}
	return l, nil
}

// fetch returns at most n rows after c in fetch order (db.Paginate's
// contract): each source gives its n nearest, and the merge keeps n.
func (l *historyList) fetch(c db.Cursor, n int) ([]historyItem, error) {
	var k historyKey
	if !c.IsZero() {
		var err error
		if k, err = parseHistoryKey(c); err != nil {
			return nil, fmt.Errorf("handlers: history cursor: %v: %w", err, db.ErrBadCursor)
		}
	}
	var out []historyItem
	// Netzme's rows, from memory.
	if c.IsZero() {
		out = append(out, l.netzme[:min(n, len(l.netzme))]...)
	} else {
		i := sort.Search(len(l.netzme), func(i int) bool { return l.netzme[i].key.compare(k) >= 0 })
		if c.Back {
			for j := i - 1; j >= 0 && len(out) < n; j-- {
				out = append(out, l.netzme[j])
			}
		} else {
			if i < len(l.netzme) && l.netzme[i].key.compare(k) == 0 {
				i++
			}
			out = append(out, l.netzme[i:min(i+n, len(l.netzme))]...)
		}
	}
	cursorFor := func(src string) db.Cursor {
		if c.IsZero() {
			return db.Cursor{}
		}
		return k.dbCursor(src, c.Back)
	}
	if l.invoices != nil {
		ivs, err := l.h.db.InvoicesAfter(l.ctx, l.merchant, *l.invoices, cursorFor("lapak"), n)
		if err != nil {
			return nil, err
		}
		for _, iv := range ivs {
			row := views.HistoryRow{At: iv.CreatedAt, Source: "lapak", Reference: iv.PartnerReferenceNo,
				NetzmeID: iv.NetzmeTrxID, Type: "INVOICE", Method: iv.Method, Status: string(iv.Status),
				AmountMinor: iv.AmountMinor, Description: iv.Description, InvoiceID: iv.ID}
			if iv.FeeMinor.Valid {
				row.FeeMinor = iv.FeeMinor.Int64
			}
			out = append(out, historyItem{row: row, key: historyKey{at: iv.CreatedAt.UnixMicro(), src: "lapak", id: iv.ID}})
		}
	}
	if l.payments != nil {
		ps, err := l.h.db.PaymentsAfter(l.ctx, l.merchant, *l.payments, cursorFor("payment"), n)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			row := views.HistoryRow{At: p.PaidAt, Source: "payment", Reference: p.RRN,
				NetzmeID: money.StaticPaymentKey(p), Type: staticQRISType, Method: "QRIS", Status: string(db.InvoicePaid),
				AmountMinor: p.AmountMinor, FeeMinor: p.FeeMinor, Description: staticPaymentNote(p)}
			out = append(out, historyItem{row: row, key: historyKey{at: p.PaidAt.UnixMicro(), src: "payment", id: p.ID}})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if c.Back {
			return out[i].key.compare(out[j].key) > 0
		}
		return out[i].key.compare(out[j].key) < 0
	})
	return out[:min(n, len(out))], nil
}

// page is one page of the history from the position in token.
func (l *historyList) page(token string, limit int) (db.Page[historyItem], error) {
	return db.Paginate(historyCursorList, token, limit, func(c db.Cursor) error {
		_, err := parseHistoryKey(c)
		return err
	}, l.fetch, func(it historyItem) db.Cursor { return it.key.cursor() })
}

// count is how many rows the history holds, capped at db.CountCap.
func (l *historyList) count() (int, error) {
	n := len(l.netzme)
	if l.invoices != nil {
		c, err := l.h.db.CountInvoices(l.ctx, l.merchant, *l.invoices)
		if err != nil {
			return 0, err
		}
		n += c
	}
	if l.payments != nil {
		c, err := l.h.db.CountPayments(l.ctx, l.merchant, *l.payments)
		if err != nil {
			return 0, err
		}
		n += c
	}
	return min(n, db.CountCap), nil
}

// all yields every row in display order, read a batch at a time (exports).
func (l *historyList) all() iter.Seq2[views.HistoryRow, error] {
	items := db.ReadAhead(l.ctx, func(it historyItem) db.Cursor { return it.key.cursor() },
		func(_ context.Context, c db.Cursor, n int) ([]historyItem, error) { return l.fetch(c, n) })
	return func(yield func(views.HistoryRow, error) bool) {
		for it, err := range items {
			if !yield(it.row, err) || err != nil {
				return
			}
		}
	}
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
	qs := url.Values{"from": {hq.FromS}, "to": {hq.ToS}}
	if hq.Status != "" {
		qs.Set("status", hq.Status)
	}
	if hq.Method != "" {
		qs.Set("method", hq.Method)
	}
	l, err := h.newHistoryList(r, m, hq)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	page, err := l.page(pageCursor(r), historyPageSize)
	if err != nil {
		h.listError(w, r, err, firstPageURL("/history", qs))
		return
	}
	total, err := l.count()
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.HistoryView{From: hq.FromS, To: hq.ToS, Status: hq.Status, Method: hq.Method,
		Total: countLabel(total), NetzmeOK: l.netzmeOK, Linked: m.NetzmeCustID != "", Errors: errs,
		Pager: pagerFor("/history", qs, page), CSVURL: "/history.csv?" + qs.Encode()}
	for _, it := range page.Rows {
		v.Rows = append(v.Rows, it.row)
	}
	if v.Linked {
		h.checkStaticPayments(r, v.Rows)
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, r, status, views.HistoryPage(h.page(r, views.T(ctx, "history.title")), v))
}

// historyCSVHeader is the header row of GET /history.csv (stable interface,
// README).
var historyCSVHeader = []string{"time", "source", "reference", "netzme_id", "type", "method", "status", "amount", "fee", "description"}

// exportHistory is GET /history.csv: every row of the filter (no paging), in
// the CSV conventions of the stable interface, streamed as it is read.
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
	l, err := h.newHistoryList(r, m, hq)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	streamCSV(h, w, r, "history-"+hq.FromS+"-"+hq.ToS+".csv", historyCSVHeader, l.all(), func(row views.HistoryRow) []string {
		return []string{isoTime(row.At), row.Source, row.Reference, row.NetzmeID, row.Type, row.Method, row.Status,
			snap.FormatAmount(row.AmountMinor), snap.FormatAmount(row.FeeMinor), csvText(row.Description)}
	})
}
