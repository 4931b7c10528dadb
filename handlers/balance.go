package handlers

import (
	"net/http"
	"time"

	"lapak/netzme"
	"lapak/views"
)

// balanceRecent is how many recent payments the balance page lists.
const balanceRecent = 10

// showBalance is GET /balance (owners and auditors; cashiers never see
// balances): Netzme's balance detail (spec §3.3) and deposit balance
// (§3.26), read live, plus today's paid invoices from our own books. A
// Netzme failure shows a message in place of the figure; our own figures
// still show.
func (h *Handler) showBalance(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.BalanceView{Linked: m.NetzmeCustID != ""}
	if v.Linked {
		nctx, cancel := h.netzmeCtx(r)
		defer cancel()
		if b, err := h.netzme.BalanceDetail(nctx, netzme.BalanceRequest{PartnerReferenceNo: newReference(h.now()),
			CustIDMerchant: m.NetzmeCustID}); err == nil {
			v.HasBalance, v.TotalMinor, v.SettledMinor = true, b.TotalMinor, b.SettledMinor
		}
		if b, err := h.netzme.DepositBalance(nctx, netzme.BalanceRequest{PartnerReferenceNo: newReference(h.now()),
			CustIDMerchant: m.NetzmeCustID}); err == nil {
			v.HasDeposit, v.DepositMinor = true, b.TotalMinor
		}
	}
	// "Today" is the Jakarta calendar day.
	now := h.now().In(views.Jakarta)
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, views.Jakarta)
	today, err := h.db.PaidBetween(ctx, m.ID, start, start.AddDate(0, 0, 1))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v.TodayCount, v.TodayMinor = today.Count, today.TotalMinor
	recent, err := h.db.RecentPaid(ctx, m.ID, balanceRecent)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, iv := range recent {
		row := views.InvoiceRow{ID: iv.ID, Reference: iv.PartnerReferenceNo, Method: iv.Method, Description: iv.Description,
			Status: string(iv.Status), AmountMinor: iv.PaidAmountMinor.Int64}
		if iv.PaidAt.Valid {
			row.CreatedAt = iv.PaidAt.Time
		}
		v.Recent = append(v.Recent, row)
	}
	h.render(w, r, http.StatusOK, views.BalancePage(h.page(r, views.T(ctx, "balance.title")), v))
}
