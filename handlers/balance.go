package handlers

import (
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"lapak/db"
	"lapak/views"
)

// balanceRecent is how many recent payments the balance page lists.
const balanceRecent = 10

// showBalance is GET /balance (owners and auditors; cashiers never see
// balances).
func (h *Handler) showBalance(w http.ResponseWriter, r *http.Request) {
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v, err := h.balanceSummary(r, m)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, views.BalancePage(h.page(r, views.T(r.Context(), "balance.title")), v))
}

// balanceSummary gathers what the balance page and the owner's dashboard
// show: Netzme's balance detail (spec §3.3) and deposit balance (§3.26), read
// live, and today's money in from our own books — paid invoices and static-QRIS
// payments. A Netzme failure shows a message in place of its figure; our own
// figures still show.
func (h *Handler) balanceSummary(r *http.Request, m db.Merchant) (views.BalanceView, error) {
	ctx := r.Context()
	v := views.BalanceView{Linked: m.NetzmeCustID != ""}
	if v.Linked {
		// Both look-ups at once, each bounded tightly by money (the dashboard
		// is where login lands); a failed one shows as unavailable.
		act := h.actor(r)
		var wg sync.WaitGroup
		wg.Go(func() {
			if b, err := h.money.Balance(ctx, act); err == nil {
				v.HasBalance, v.TotalMinor, v.SettledMinor = true, b.TotalMinor, b.SettledMinor
			}
		})
		wg.Go(func() {
			if b, err := h.money.DepositBalance(ctx, act); err == nil {
				v.HasDeposit, v.DepositMinor = true, b.TotalMinor
			}
		})
		wg.Wait()
	}
	// "Today" is the Jakarta calendar day.
	now := h.now().In(views.Jakarta)
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, views.Jakarta)
	end := start.AddDate(0, 0, 1)
	today, err := h.db.PaidBetween(ctx, m.ID, start, end)
	if err != nil {
		return v, err
	}
	_, static, err := h.db.MerchantPayments(ctx, m.ID, db.PaymentFilter{From: start, To: end, Limit: 1})
	if err != nil {
		return v, err
	}
	v.TodayCount, v.TodayMinor = today.Count+static.Count, today.TotalMinor+static.AmountMinor

	recent, err := h.db.RecentPaid(ctx, m.ID, balanceRecent)
	if err != nil {
		return v, err
	}
	for _, iv := range recent {
		row := views.InvoiceRow{ID: iv.ID, Reference: iv.PartnerReferenceNo, Method: iv.Method, Description: iv.Description,
			Status: string(iv.Status), AmountMinor: iv.PaidAmountMinor.Int64}
		if iv.PaidAt.Valid {
			row.CreatedAt = iv.PaidAt.Time
		}
		v.Recent = append(v.Recent, row)
	}
	payments, _, err := h.db.MerchantPayments(ctx, m.ID, db.PaymentFilter{Limit: balanceRecent})
	if err != nil {
		return v, err
	}
	for _, p := range payments {
		v.Recent = append(v.Recent, views.InvoiceRow{Reference: p.RRN, Method: "QRIS", Description: staticPaymentNote(p),
			Status: string(db.InvoicePaid), AmountMinor: p.AmountMinor, CreatedAt: p.PaidAt})
	}
	sort.SliceStable(v.Recent, func(i, j int) bool { return v.Recent[i].CreatedAt.After(v.Recent[j].CreatedAt) })
	if len(v.Recent) > balanceRecent {
		v.Recent = v.Recent[:balanceRecent]
	}
	return v, nil
}

// staticPaymentNote describes a static-QRIS payment for lists: who paid, with what.
func staticPaymentNote(p db.Payment) string {
	parts := []string{"QRIS statis"}
	if p.BuyerName != "" {
		parts = append(parts, p.BuyerName)
	}
	if p.IssuerName != "" {
		parts = append(parts, p.IssuerName)
	}
	return strings.Join(parts, " · ")
}
