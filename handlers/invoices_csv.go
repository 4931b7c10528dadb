package handlers

import (
	"encoding/csv"
	"iter"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"lapak/db"
	"lapak/snap"
	"lapak/views"
)

// invoiceCSVHeader is the header row of GET /invoices.csv (stable interface,
// README): scripts select columns by these names.
var invoiceCSVHeader = []string{
	"partner_reference_no", "netzme_trx_id", "netzme_invoice_id", "method", "description", "customer_name",
	"amount", "fee_type", "status", "paid_amount", "fee", "net", "created_at", "expires_at", "paid_at",
}

// exportInvoices is GET /invoices.csv: the current merchant's invoices with
// the list's filters (status, q, method), every page; for cashiers only
// sales, without the fee and net columns. UTF-8, comma
// separated; amounts plain rupiah decimals ("25000.00"); times ISO-8601 with
// the Jakarta offset; statuses lowercase. Rows stream from the database as
// they are read (issue 11 §6): memory stays flat at any size.
func (h *Handler) exportInvoices(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := accountFrom(ctx)
	f, _ := invoiceFilter(r.URL.Query())
	f.Purpose = string(salesOnly(a))
	// Cashiers get the columns without Netzme's fee and the net amount.
	// One record's array for every row: the writer is done with a record
	// when Write returns (a million rows, a million fewer allocations).
	var full, cut [15]string
	header, record := invoiceCSVHeader, func(iv db.Invoice) []string { return invoiceCSVRowInto(full[:0], iv) }
	if !showsFees(a) {
		header = withoutFeeColumns(invoiceCSVHeader)
		record = func(iv db.Invoice) []string { return withoutFeeColumnsInto(cut[:0], invoiceCSVRowInto(full[:0], iv)) }
	}
	name := "invoices-" + h.now().In(views.Jakarta).Format("20060102") + ".csv"
	streamCSV(h, w, r, name, header, h.db.InvoiceRows(ctx, a.Current.MerchantID, f), record)
}

// csvFlushRows is how many rows a CSV export writes between flushes: the
// first rows leave at once, then about every 100 KB.
const csvFlushRows = 500

// streamCSV writes a CSV download named filename: the header row and then
// one record per row of rows, flushed to the client as it goes, so the
// first bytes leave before the last row is read. A failure before anything
// was written is the 500 page; after that the status is sent already, and
// the response is aborted (the client sees a broken download, never a
// short file that looks complete).
func streamCSV[T any](h *Handler, w http.ResponseWriter, r *http.Request, filename string, header []string,
	rows iter.Seq2[T, error], record func(T) []string) {
	rc := http.NewResponseController(w)
	var cw *csv.Writer
	start := func() {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
		w.Header().Set("Cache-Control", "no-store")
		// A large export outlasts the server's write timeout on a slow
		// link; each write still fails once the client is gone.
		rc.SetWriteDeadline(time.Time{})
		cw = csv.NewWriter(w)
		cw.Write(header)
	}
	flush := func() bool {
		cw.Flush()
		if cw.Error() != nil {
			return false
		}
		rc.Flush()
		return true
	}
	n := 0
	for row, err := range rows {
		if err != nil {
			if cw == nil {
				h.serverError(w, r, err)
				return
			}
			h.log.LogAttrs(r.Context(), slog.LevelError, "export failed", slog.String("err", err.Error()),
				slog.String("path", r.URL.Path), slog.String("request_id", middleware.GetReqID(r.Context())),
				slog.Int("rows_written", n))
			panic(http.ErrAbortHandler)
		}
		if cw == nil {
			start()
		}
		cw.Write(record(row))
		n++
		if n == 1 || n%csvFlushRows == 0 {
			if !flush() {
				return // the client went away
			}
		}
	}
	if cw == nil {
		start()
	}
	flush()
}

// withoutFeeColumns drops the "fee" and "net" columns from a CSV row.
func withoutFeeColumns(row []string) []string { return withoutFeeColumnsInto(nil, row) }

// withoutFeeColumnsInto is withoutFeeColumns appending to out.
func withoutFeeColumnsInto(out, row []string) []string {
	for i, c := range row {
		if name := invoiceCSVHeader[i]; name != "fee" && name != "net" {
			out = append(out, c)
		}
	}
	return out
}

// invoiceCSVRowInto appends invoice iv's record (invoiceCSVHeader's
// columns) to out.
func invoiceCSVRowInto(out []string, iv db.Invoice) []string {
	opt := func(v int64, ok bool) string {
		if !ok {
			return ""
		}
		return snap.FormatAmount(v)
	}
	paidAt := ""
	if iv.PaidAt.Valid {
		paidAt = isoTime(iv.PaidAt.Time)
	}
	return append(out,
		iv.PartnerReferenceNo, iv.NetzmeTrxID, iv.NetzmeInvoiceID, iv.Method, csvText(iv.Description), csvText(iv.CustomerName),
		snap.FormatAmount(iv.AmountMinor), iv.FeeType, string(iv.Status),
		opt(iv.PaidAmountMinor.Int64, iv.PaidAmountMinor.Valid), opt(iv.FeeMinor.Int64, iv.FeeMinor.Valid),
		opt(iv.NetMinor.Int64, iv.NetMinor.Valid), isoTime(iv.CreatedAt), isoTime(iv.ExpiresAt), paidAt,
	)
}

// isoTime is ISO-8601 with the Jakarta offset, "2026-11-21T14:05:00+07:00".
// An export writes three per row for a million rows: the fixed offset Asia/
// Jakarta has kept since 1964 (UTC+7, no daylight saving) is written digit
// by digit; an earlier time goes through the time zone database.
func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if t.Unix() < jakartaFixedSince {
		return t.In(views.Jakarta).Format(time.RFC3339)
	}
	u := t.UTC().Add(7 * time.Hour)
	year, month, day := u.Date()
	hour, minute, sec := u.Clock()
	b := make([]byte, 0, 25)
	b = appendDigits(b, year, 4)
	b = appendDigits(append(b, '-'), int(month), 2)
	b = appendDigits(append(b, '-'), day, 2)
	b = appendDigits(append(b, 'T'), hour, 2)
	b = appendDigits(append(b, ':'), minute, 2)
	b = appendDigits(append(b, ':'), sec, 2)
	return string(append(b, "+07:00"...))
}

// jakartaFixedSince is 1964-01-01 00:00 UTC: Jakarta is UTC+7 from that day on.
const jakartaFixedSince = -189388800

// appendDigits appends v (non-negative) with at least width digits.
func appendDigits(b []byte, v, width int) []byte {
	var d [8]byte
	i := len(d)
	for v > 0 || width > 0 {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	return append(b, d[i:]...)
}

// csvText defuses spreadsheet formulas in free text a customer or cashier
// typed (a leading =, +, - or @ would run as a formula in Excel).
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
