package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/money"
	"lapak/views"
)

// Settlement summary (issue 12 §4), a stable interface (README):
//
//	GET /settlement?month=YYYY-MM         per Jakarta day and for the month
//	GET /settlement.csv?month=YYYY-MM     (+ dialect=id)
//	GET /settlement.xlsx?month=YYYY-MM
//
// Owners and auditors see their current merchant's; administrators any
// merchant's, named by the merchant parameter (a merchant id). Read from the
// books (money.Settlement): daily totals, never a Netzme call.

func (h *Handler) settlementRoutes(r chi.Router) {
	readers := h.requireRoleOrAdmin(db.RoleOwner, db.RoleAuditor)
	r.With(readers).Get("/settlement", h.showSettlement)
	r.With(readers).Get("/settlement.csv", h.exportSettlement)
	r.With(readers).Get("/settlement.xlsx", h.exportSettlement)
}

// settlementMerchants bounds the merchant choice an administrator gets.
const settlementMerchants = 200

// settlementQuery is who and which month a settlement request is about.
type settlementQuery struct {
	merchant db.Merchant
	adminFor int64     // the merchant an administrator named (0: the current one)
	month    time.Time // the month's first day, Jakarta
	keep     url.Values
}

// parseSettlementQuery reads month (YYYY-MM, Jakarta; default this month)
// and, for administrators, merchant. ok is false when there is no merchant
// to show (an administrator without one: the page offers a choice) —
// nothing is written then. A month that does not read or has not begun is
// a field error; the current month is used.
func (h *Handler) parseSettlementQuery(r *http.Request, errs views.FieldErrors) (sq settlementQuery, ok bool, err error) {
	a := accountFrom(r.Context())
	q := r.URL.Query()
	sq.keep = url.Values{}
	now := h.now().In(views.Jakarta)
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, views.Jakarta)
	sq.month = thisMonth
	if s := strings.TrimSpace(q.Get("month")); s != "" {
		m, perr := time.ParseInLocation("2006-01", s, views.Jakarta)
		switch {
		case perr != nil:
			errs["month"] = "err.month"
		case m.After(thisMonth):
			errs["month"] = "settlement.future"
		default:
			sq.month = m
		}
	}
	sq.keep.Set("month", sq.month.Format("2006-01"))
	mid := a.Current.MerchantID
	if raw := q.Get("merchant"); raw != "" && a.User.IsAdmin {
		id, perr := strconv.ParseInt(raw, 10, 64)
		if perr != nil || id <= 0 {
			return sq, false, db.ErrNotFound
		}
		mid, sq.adminFor = id, id
		sq.keep.Set("merchant", raw)
	}
	if mid == 0 {
		return sq, false, nil
	}
	sq.merchant, err = h.db.Merchant(r.Context(), mid)
	return sq, err == nil, err
}

// settlementActor is the actor for the merchant of sq.
func (h *Handler) settlementActor(r *http.Request, sq settlementQuery) money.Actor {
	act := h.actor(r)
	act.MerchantID = sq.merchant.ID
	return act
}

func settlementLineView(l money.SettlementLine) views.SettlementLine {
	v := views.SettlementLine{Day: l.Day, Sales: l.Sales, OpeningMinor: l.Opening.TotalMinor(), ClosingMinor: l.Closing.TotalMinor(),
		ClosingNetzmeMinor: l.Closing.NetzmeMinor, ClosingDepositMinor: l.Closing.DepositMinor, ClosingNicepayMinor: l.Closing.NicepayMinor,
		GrossMinor: l.GrossMinor, MDRMinor: l.MDRMinor, SplitFeeMinor: l.SplitFeeMinor, WithdrawalMinor: l.WithdrawalMinor,
		DepositInMinor: l.DepositInMinor, DepositOutMinor: l.DepositOutMinor, AdjustmentMinor: l.AdjustmentMinor}
	if t, err := time.ParseInLocation(time.DateOnly, l.Day, views.Jakarta); err == nil {
		v.Date = t
	}
	return v
}

// showSettlement is GET /settlement.
func (h *Handler) showSettlement(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	errs := views.FieldErrors{}
	sq, ok, err := h.parseSettlementQuery(r, errs)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	p := h.page(r, views.T(ctx, "settlement.title"))
	v := views.SettlementView{Month: sq.month.Format("2006-01"), Errors: errs, Admin: accountFrom(ctx).User.IsAdmin}
	v.MonthDate = sq.month
	if v.Admin {
		page, err := h.db.MerchantsPage(ctx, "", settlementMerchants)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		for _, m := range page.Rows {
			v.Merchants = append(v.Merchants, views.MerchantOption{ID: m.ID, Name: m.Name})
		}
	}
	if !ok {
		h.render(w, r, http.StatusOK, views.SettlementPage(p, v))
		return
	}
	s, err := h.money.Settlement(ctx, h.settlementActor(r, sq), sq.month)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v.MerchantID, v.MerchantName = sq.merchant.ID, sq.merchant.Name
	v.Total = settlementLineView(s.Total)
	for _, l := range s.Days {
		v.Days = append(v.Days, settlementLineView(l))
		v.ShowSplit = v.ShowSplit || l.SplitFeeMinor != 0
		v.ShowWithdrawals = v.ShowWithdrawals || l.WithdrawalMinor != 0
		v.ShowDepositIn = v.ShowDepositIn || l.DepositInMinor != 0
		v.ShowDepositOut = v.ShowDepositOut || l.DepositOutMinor != 0
		v.ShowAdjustments = v.ShowAdjustments || l.AdjustmentMinor != 0
	}
	for _, m := range append(money.SettlementMethods(), "") {
		if g := s.Total.GrossByMethod[m]; g != 0 {
			v.ByMethod = append(v.ByMethod, views.SettlementMethod{Method: m, GrossMinor: g})
		}
	}
	prev, next := url.Values{}, url.Values{}
	for k, vs := range sq.keep {
		prev[k], next[k] = vs, vs
	}
	prev.Set("month", sq.month.AddDate(0, -1, 0).Format("2006-01"))
	v.PrevURL = "/settlement?" + prev.Encode()
	now := h.now().In(views.Jakarta)
	if n := sq.month.AddDate(0, 1, 0); !n.After(time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, views.Jakarta)) {
		next.Set("month", n.Format("2006-01"))
		v.NextURL = "/settlement?" + next.Encode()
	}
	v.CSVURL = withKeys("/settlement.csv", sq.keep)
	v.CSVIDURL = withKeys("/settlement.csv", sq.keep, "dialect", "id")
	v.XLSXURL = withKeys("/settlement.xlsx", sq.keep)
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, r, status, views.SettlementPage(p, v))
}

// settlementExportCols are the columns of GET /settlement.csv and
// /settlement.xlsx (stable interface, README): a row per day, then the
// month's row (day "YYYY-MM").
func settlementExportCols() []exportCol {
	cols := []exportCol{{Name: "merchant", Width: 24}, {Name: "day"}, {Name: "opening_balance", Kind: colMoney}}
	for _, m := range money.SettlementMethods() {
		cols = append(cols, exportCol{Name: "gross_" + strings.ToLower(m), Kind: colMoney})
	}
	for _, name := range []string{"gross_other", "gross_total"} {
		cols = append(cols, exportCol{Name: name, Kind: colMoney})
	}
	cols = append(cols, exportCol{Name: "sales", Kind: colCount})
	for _, name := range []string{"mdr", "split_fees", "withdrawals", "deposit_topups", "deposit_withdrawals", "adjustments",
		"closing_balance", "closing_netzme", "closing_deposit", "closing_nicepay"} {
		cols = append(cols, exportCol{Name: name, Kind: colMoney})
	}
	return cols
}

// exportSettlement is GET /settlement.csv and /settlement.xlsx. An
// administrator without a merchant, a month that does not read or has not
// begun: 400.
func (h *Handler) exportSettlement(w http.ResponseWriter, r *http.Request) {
	errs := views.FieldErrors{}
	sq, ok, err := h.parseSettlementQuery(r, errs)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	if !ok || len(errs) > 0 {
		h.renderError(w, r, http.StatusBadRequest)
		return
	}
	s, err := h.money.Settlement(r.Context(), h.settlementActor(r, sq), sq.month)
	if errors.Is(err, money.ErrFutureMonth) {
		h.renderError(w, r, http.StatusBadRequest)
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	lines := func(yield func(money.SettlementLine, error) bool) {
		for _, l := range s.Days {
			if !yield(l, nil) {
				return
			}
		}
		yield(s.Total, nil)
	}
	methods := money.SettlementMethods()
	name := sq.merchant.Name
	fill := func(l money.SettlementLine, row []exportValue) {
		row[0], row[1], row[2] = cellText(name), cellText(l.Day), cellMoney(l.Opening.TotalMinor())
		i := 3
		for _, m := range methods {
			row[i] = cellMoney(l.GrossByMethod[m])
			i++
		}
		row[i], row[i+1], row[i+2] = cellMoney(l.GrossByMethod[""]), cellMoney(l.GrossMinor), cellCount(int64(l.Sales))
		i += 3
		for _, v := range []int64{l.MDRMinor, l.SplitFeeMinor, l.WithdrawalMinor, l.DepositInMinor, l.DepositOutMinor,
			l.AdjustmentMinor, l.Closing.TotalMinor(), l.Closing.NetzmeMinor, l.Closing.DepositMinor, l.Closing.NicepayMinor} {
			row[i] = cellMoney(v)
			i++
		}
	}
	ex := exportRequest(r, "settlement-"+strconv.FormatInt(sq.merchant.ID, 10)+"-"+sq.month.Format("2006-01"), "settlement",
		settlementExportCols())
	writeExport(h, w, r, ex, lines, fill)
}
