package handlers

import (
	"encoding/csv"
	"net/http"
	"strings"
	"time"

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
// the Jakarta offset; statuses lowercase.
func (h *Handler) exportInvoices(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := accountFrom(ctx)
	f, _ := invoiceFilter(r.URL.Query())
	f.Purpose = string(salesOnly(a))
	ivs, _, err := h.db.Invoices(ctx, a.Current.MerchantID, f)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="invoices-`+h.now().In(views.Jakarta).Format("20060102")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	// Cashiers get the columns without Netzme's fee and the net amount.
	keep := func(row []string) []string { return row }
	if !showsFees(a) {
		keep = withoutFeeColumns
	}
	cw.Write(keep(invoiceCSVHeader))
	for _, iv := range ivs {
		cw.Write(keep(invoiceCSVRow(iv)))
	}
	cw.Flush()
}

// withoutFeeColumns drops the "fee" and "net" columns from a CSV row.
func withoutFeeColumns(row []string) []string {
	out := make([]string, 0, len(row))
	for i, c := range row {
		if name := invoiceCSVHeader[i]; name != "fee" && name != "net" {
			out = append(out, c)
		}
	}
	return out
}

func invoiceCSVRow(iv db.Invoice) []string {
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
	return []string{
		iv.PartnerReferenceNo, iv.NetzmeTrxID, iv.NetzmeInvoiceID, iv.Method, csvText(iv.Description), csvText(iv.CustomerName),
		snap.FormatAmount(iv.AmountMinor), iv.FeeType, string(iv.Status),
		opt(iv.PaidAmountMinor.Int64, iv.PaidAmountMinor.Valid), opt(iv.FeeMinor.Int64, iv.FeeMinor.Valid),
		opt(iv.NetMinor.Int64, iv.NetMinor.Valid), isoTime(iv.CreatedAt), isoTime(iv.ExpiresAt), paidAt,
	}
}

// isoTime is ISO-8601 with the Jakarta offset, "2026-11-21T14:05:00+07:00".
func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(views.Jakarta).Format(time.RFC3339)
}

// csvText defuses spreadsheet formulas in free text a customer or cashier
// typed (a leading =, +, - or @ would run as a formula in Excel).
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
