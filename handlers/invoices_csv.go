package handlers

import (
	"net/http"
	"strings"
	"time"

	"lapak/db"
	"lapak/views"
)

// invoiceExportCols are the columns of GET /invoices.csv and /invoices.xlsx
// (stable interface, README): scripts select columns by these names.
var invoiceExportCols = []exportCol{
	{Name: "partner_reference_no"}, {Name: "netzme_trx_id"}, {Name: "netzme_invoice_id"}, {Name: "method"},
	{Name: "description", Kind: colFree}, {Name: "customer_name", Kind: colFree}, {Name: "amount", Kind: colMoney},
	{Name: "fee_type"}, {Name: "status"}, {Name: "paid_amount", Kind: colMoney}, {Name: "fee", Kind: colMoney},
	{Name: "net", Kind: colMoney}, {Name: "created_at", Kind: colTime}, {Name: "expires_at", Kind: colTime},
	{Name: "paid_at", Kind: colTime},
}

// invoiceCSVHeader is the header row of the invoice export.
var invoiceCSVHeader = colNames(invoiceExportCols)

// exportInvoices is GET /invoices.csv and /invoices.xlsx: the current
// merchant's invoices with the list's filters (status, q, method), every
// page; for cashiers only sales, without the fee and net columns. Statuses
// lowercase; amounts and times as every export writes them (export.go).
// Rows stream from the database as they are read (issue 11 §6): memory
// stays flat at any size.
func (h *Handler) exportInvoices(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := accountFrom(ctx)
	f, _ := invoiceFilter(r.URL.Query())
	f.Purpose = string(salesOnly(a))
	ex := exportRequest(r, "invoices-"+h.now().In(views.Jakarta).Format("20060102"), "invoices", invoiceExportCols)
	if !showsFees(a) {
		// Cashiers get the columns without Netzme's fee and the net amount.
		ex = ex.without("fee", "net")
	}
	writeExport(h, w, r, ex, h.db.InvoiceRows(ctx, a.Current.MerchantID, f), fillInvoiceRow)
}

func fillInvoiceRow(iv db.Invoice, row []exportValue) {
	paidAt := time.Time{}
	if iv.PaidAt.Valid {
		paidAt = iv.PaidAt.Time
	}
	row[0], row[1], row[2], row[3] = cellText(iv.PartnerReferenceNo), cellText(iv.NetzmeTrxID), cellText(iv.NetzmeInvoiceID), cellText(iv.Method)
	row[4], row[5], row[6] = cellText(iv.Description), cellText(iv.CustomerName), cellMoney(iv.AmountMinor)
	row[7], row[8] = cellText(iv.FeeType), cellText(string(iv.Status))
	row[9] = cellOptMoney(iv.PaidAmountMinor.Int64, iv.PaidAmountMinor.Valid)
	row[10] = cellOptMoney(iv.FeeMinor.Int64, iv.FeeMinor.Valid)
	row[11] = cellOptMoney(iv.NetMinor.Int64, iv.NetMinor.Valid)
	row[12], row[13], row[14] = cellTime(iv.CreatedAt), cellTime(iv.ExpiresAt), cellTime(paidAt)
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
