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
