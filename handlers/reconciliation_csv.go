package handlers

import (
	"encoding/csv"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"lapak/db"
	"lapak/snap"
	"lapak/views"
)

// reconCSVHeader is the header row of GET /reconciliation.csv (stable
// interface, issue 12): scripts select columns by these names.
var reconCSVHeader = []string{"outcome", "rule", "occurred_at", "partner_reference_no", "netzme_id", "lapak_amount",
	"netzme_amount", "resolved", "note"}

// utf8BOM starts the file so that spreadsheet programs read it as UTF-8.
const utf8BOM = "\ufeff"

// exportReconciliation is GET /reconciliation.csv: every pairing matching
// the page's filters, newest first, UTF-8 with a byte-order mark, comma
// separated; amounts plain rupiah decimals ("25037.00", empty when the side
// is missing); times ISO-8601 with the Jakarta offset; resolved true or
// false. Rows stream from keyset batches (constant memory at any size).
func (h *Handler) exportReconciliation(w http.ResponseWriter, r *http.Request) {
	act, _, ok := h.syncActor(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	rq := parseReconQuery(r.URL.Query(), views.FieldErrors{})
	name := "rekonsiliasi-" + h.now().In(views.Jakarta).Format("20060102") + ".csv"
	rc := http.NewResponseController(w)
	var cw *csv.Writer
	start := func() {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Cache-Control", "no-store")
		rc.SetWriteDeadline(time.Time{})
		w.Write([]byte(utf8BOM))
		cw = csv.NewWriter(w)
		cw.Write(reconCSVHeader)
	}
	n := 0
	for it, err := range h.db.ReconItemRows(ctx, act.MerchantID, rq.f) {
		if err != nil {
			if cw == nil {
				h.serverError(w, r, err)
				return
			}
			h.log.LogAttrs(ctx, slog.LevelError, "export failed", slog.String("err", err.Error()),
				slog.String("path", r.URL.Path), slog.String("request_id", middleware.GetReqID(ctx)), slog.Int("rows_written", n))
			panic(http.ErrAbortHandler)
		}
		if cw == nil {
			start()
		}
		cw.Write(reconCSVRow(it))
		if n++; n%csvFlushRows == 0 {
			cw.Flush()
			if cw.Error() != nil {
				return // the client went away
			}
			rc.Flush()
		}
	}
	if cw == nil {
		start()
	}
	cw.Flush()
}

func reconCSVRow(it db.ReconItem) []string {
	amount := func(has bool, v int64) string {
		if !has {
			return ""
		}
		return snap.FormatAmount(v)
	}
	return []string{string(it.Outcome), string(it.Rule), isoTime(it.OccurredAt), csvText(it.Reference), csvText(it.NetzmeID),
		amount(it.HasLapak, it.LapakAmountMinor), amount(it.HasNetzme, it.NetzmeAmountMinor), strconv.FormatBool(it.Resolved),
		csvText(it.Note)}
}
