package handlers

import (
	"net/http"
	"strconv"

	"lapak/db"
	"lapak/views"
)

// reconExportCols are the columns of GET /reconciliation.csv and
// /reconciliation.xlsx, in this order (stable interface, issue 12): scripts
// select columns by these names. Amounts are empty when that side is missing.
var reconExportCols = []exportCol{
	{Name: "outcome"}, {Name: "rule"}, {Name: "occurred_at", Kind: colTime},
	{Name: "partner_reference_no", Kind: colFree, Width: 22}, {Name: "netzme_id", Kind: colFree, Width: 24},
	{Name: "lapak_amount", Kind: colMoney}, {Name: "netzme_amount", Kind: colMoney}, {Name: "resolved"},
	{Name: "note", Kind: colFree, Width: 40},
}

func fillReconRow(it db.ReconItem, row []exportValue) {
	row[0], row[1], row[2] = cellText(string(it.Outcome)), cellText(string(it.Rule)), cellTime(it.OccurredAt)
	row[3], row[4] = cellText(it.Reference), cellText(it.NetzmeID)
	row[5], row[6] = cellOptMoney(it.LapakAmountMinor, it.HasLapak), cellOptMoney(it.NetzmeAmountMinor, it.HasNetzme)
	row[7], row[8] = cellText(strconv.FormatBool(it.Resolved)), cellText(it.Note)
}

// exportReconciliation is GET /reconciliation.csv and /reconciliation.xlsx:
// every pairing matching the page's filters, newest first, through the one
// export writer (BOM, ?dialect=id, XLSX), streamed from keyset batches in
// constant memory at any size.
func (h *Handler) exportReconciliation(w http.ResponseWriter, r *http.Request) {
	act, _, ok := h.syncActor(w, r)
	if !ok {
		return
	}
	rq := parseReconQuery(r.URL.Query(), views.FieldErrors{})
	name := "rekonsiliasi-" + h.now().In(views.Jakarta).Format("20060102")
	ex := exportRequest(r, name, "rekonsiliasi", reconExportCols)
	writeExport(h, w, r, ex, h.db.ReconItemRows(r.Context(), act.MerchantID, rq.f), fillReconRow)
}
