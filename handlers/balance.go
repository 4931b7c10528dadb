package handlers

import (
	"net/http"
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
	// Our own figures come from the books, never from a scan: today's sales
	// and the chart from the daily totals the ledger keeps in the same
	// transaction as each payment (sales only — invoices, static QRIS and CVS
	// bills, never the owner's deposit top-ups), the last payments from an
	// index of the journal. "Today" is the Jakarta calendar day.
	now := h.now().In(views.Jakarta)
	today := now.Format(time.DateOnly)
	sums, err := h.db.DailySums(ctx, m.ID, db.KindSale, now.AddDate(0, 0, -(chartDays-1)).Format(time.DateOnly), today)
	if err != nil {
		return v, err
	}
	days := make([]views.DaySales, 0, len(sums))
	for _, s := range sums {
		days = append(days, views.DaySales{Day: s.Day, Count: s.Count, AmountMinor: s.AmountMinor})
		if s.Day == today {
			v.TodayCount, v.TodayMinor = s.Count, s.AmountMinor
		}
	}
	v.Chart = views.NewSalesChart(now, chartDays, days)

	recent, err := h.db.RecentMoneyIn(ctx, m.ID, balanceRecent)
	if err != nil {
		return v, err
	}
	for _, tr := range recent {
		row := views.InvoiceRow{Reference: tr.Reference, Method: tr.Method, Description: tr.Memo,
			Status: string(db.InvoicePaid), AmountMinor: tr.AmountMinor, CreatedAt: tr.OccurredAt}
		if tr.SourceTable == db.SourceInvoices {
			row.ID = tr.SourceID
		}
		if tr.Kind == db.KindTopup {
			row.Description = views.T(ctx, "deposits.topup")
		}
		v.Recent = append(v.Recent, row)
	}
	return v, nil
}

// chartDays is how many days the sales chart shows, today included.
const chartDays = 30

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
