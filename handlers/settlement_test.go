package handlers

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"lapak/db"
	"lapak/views"
)

// settlementExpect is what historyFixture's books say about the month of
// today: the opening (what the days before the month left), gross sales,
// MDR and the closing, and per day of the month the closing.
func settlementExpect(today time.Time) (opening, gross, mdr, closing int64, byDay map[string]int64) {
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, views.Jakarta)
	y, d3 := today.AddDate(0, 0, -1), today.AddDate(0, 0, -3)
	type ev struct {
		at                   time.Time
		gross, fee, withdraw int64
		sale                 bool
	}
	evs := []ev{
		{at: first.AddDate(0, -1, 0), gross: 900_000, fee: 6_300, sale: true},
		{at: d3, gross: 4_000_000, fee: 60_000, sale: true}, {at: d3, gross: 10_000_000, fee: 70_000},
		{at: y, gross: 1_750_000, fee: 12_250, sale: true}, // and WD-Y2, which failed the same day: nothing
		{at: today, gross: 2_500_000, fee: 17_500, sale: true}, {at: today, gross: 5_000_000, sale: true},
		{at: today, withdraw: 1_000_000},
	}
	byDay = map[string]int64{}
	bal := int64(0)
	for _, e := range evs {
		bal += e.gross - e.fee - e.withdraw
		if e.at.Before(first) {
			opening = bal
			continue
		}
		if e.sale {
			gross += e.gross
		}
		mdr += e.fee
		byDay[day(e.at)] = bal
	}
	return opening, gross, mdr, bal, byDay
}

// TestSettlementPage: this month's summary per day to today and for the
// month, from the books: the month opens on what the days before left, each
// day opens on the day before's closing.
func TestSettlementPage(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c, _, _ := app.loginAs(t, db.RoleOwner)
	today := historyFixture(t, app)
	opening, gross, mdr, closing, byDay := settlementExpect(today)

	res := c.get("/settlement").wantStatus(t, http.StatusOK)
	days := res.doc.Find(`[data-testid=settlement-day]`)
	if days.Length() != today.Day() || days.Last().AttrOr("data-day", "") != day(today) {
		t.Fatalf("%d days, last %q; want the month to today", days.Length(), days.Last().AttrOr("data-day", ""))
	}
	minor := func(s *goquery.Selection) int64 {
		v, err := strconv.ParseInt(s.AttrOr("data-minor", "x"), 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", s.AttrOr("data-testid", ""), err)
		}
		return v
	}
	if got := minor(res.doc.Find(`[data-testid=settlement-opening]`)); got != opening {
		t.Errorf("month opens on %d, want %d", got, opening)
	}
	if got := minor(res.doc.Find(`[data-testid=settlement-month-gross]`)); got != gross {
		t.Errorf("month gross %d, want %d", got, gross)
	}
	if got := res.text("settlement-month-mdr"); got != views.IDR(mdr) {
		t.Errorf("month MDR %q, want %s", got, views.IDR(mdr))
	}
	if got := minor(res.doc.Find(`[data-testid=settlement-month-closing]`)); got != closing {
		t.Errorf("month closes on %d, want %d", got, closing)
	}
	last := opening
	days.Each(func(_ int, s *goquery.Selection) {
		d := s.AttrOr("data-day", "")
		if want, ok := byDay[d]; ok {
			last = want
		}
		if got := minor(s.Find(`[data-testid=settlement-closing]`)); got != last {
			t.Errorf("%s closes on %d, want %d", d, got, last)
		}
	})
	if minor(res.doc.Find(`[data-testid=settlement-total] [data-testid=settlement-closing]`)) != closing {
		t.Error("the month's row does not close on the last day's closing")
	}

	// Last month: its one sale, and a link forward; this month has none.
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, views.Jakarta)
	prev := first.AddDate(0, -1, 0)
	if href := res.doc.Find(`[data-testid=settlement-prev]`).AttrOr("href", ""); href != "/settlement?month="+prev.Format("2006-01") ||
		res.count("settlement-next") != 0 {
		t.Errorf("prev link %q, next links %d", href, res.count("settlement-next"))
	}
	lm := c.get("/settlement?month="+prev.Format("2006-01")).wantStatus(t, http.StatusOK)
	if n := lm.count("settlement-day"); n != first.AddDate(0, 0, -1).Day() {
		t.Errorf("last month: %d days", n)
	}
	var methods []string
	lm.doc.Find(`[data-testid=settlement-method]`).Each(func(_ int, s *goquery.Selection) { methods = append(methods, s.AttrOr("data-method", "")) })
	if !slices.Contains(methods, "QRIS") {
		t.Errorf("last month's gross by method %v lacks INV-M1's QRIS", methods)
	}
	for _, m := range []string{"2026-13", "kemarin", first.AddDate(0, 1, 0).Format("2006-01")} {
		c.get("/settlement?month="+m).wantStatus(t, http.StatusUnprocessableEntity)
		c.get("/settlement.csv?month="+m).wantStatus(t, http.StatusBadRequest)
	}
}

// Owners, auditors and administrators; never cashiers. An administrator
// names the merchant, or gets a choice.
func TestSettlementRoles(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.loginAs(t, db.RoleOwner)
	today := historyFixture(t, app)
	_, _, _, closing, _ := settlementExpect(today)
	auditor, _, _ := app.loginAs(t, db.RoleAuditor)
	auditor.get("/settlement").wantStatus(t, http.StatusOK)
	cashier, _, _ := app.loginAs(t, db.RoleCashier)
	for _, p := range []string{"/settlement", "/settlement.csv", "/settlement.xlsx"} {
		cashier.get(p).wantStatus(t, http.StatusForbidden)
	}
	admin, _ := app.loginAdmin(t)
	choose := admin.get("/settlement").wantStatus(t, http.StatusOK)
	if choose.count("settlement-choose") != 1 || !strings.Contains(choose.Body, "Toko Uji") {
		t.Errorf("an administrator without a merchant is not offered a choice")
	}
	res := admin.get("/settlement?merchant="+strconv.FormatInt(app.merchant.ID, 10)).wantStatus(t, http.StatusOK)
	if got := res.doc.Find(`[data-testid=settlement-month-closing]`).AttrOr("data-minor", ""); got != strconv.FormatInt(closing, 10) {
		t.Errorf("administrator sees closing %q, want %d", got, closing)
	}
	admin.get("/settlement?merchant=99999").wantStatus(t, http.StatusNotFound)
	admin.get("/settlement.csv").wantStatus(t, http.StatusBadRequest)
	// A merchant's own people cannot name another merchant.
	other := app.newMerchant(t, "Toko Lain")
	owner, _, _ := app.loginAs(t, db.RoleOwner)
	res = owner.get("/settlement?merchant="+strconv.FormatInt(other.ID, 10)).wantStatus(t, http.StatusOK)
	if got := res.doc.Find(`[data-testid=settlement-month-closing]`).AttrOr("data-minor", ""); got != strconv.FormatInt(closing, 10) {
		t.Errorf("an owner naming another merchant sees %q, want their own %d", got, closing)
	}
}

// The settlement's exports: the stable columns, a row per day then the
// month's, the Indonesian dialect, and an XLSX excelize opens.
func TestSettlementExports(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c, _, _ := app.loginAs(t, db.RoleOwner)
	today := historyFixture(t, app)
	opening, gross, mdr, closing, _ := settlementExpect(today)
	month := today.Format("2006-01")
	header := []string{"merchant", "day", "opening_balance", "gross_qris", "gross_bank_transfer", "gross_bca", "gross_netzme",
		"gross_netzme_seamless", "gross_ovo", "gross_dana", "gross_retail_outlet", "gross_credit_card", "gross_qris_static",
		"gross_cvs", "gross_other", "gross_total", "sales", "mdr", "split_fees", "withdrawals", "deposit_topups",
		"deposit_withdrawals", "adjustments", "closing_balance", "closing_netzme", "closing_deposit", "closing_nicepay"}
	amount := func(minor int64) string { return string(appendAmount(nil, minor, false)) }

	res := c.get("/settlement.csv?month="+month).wantStatus(t, http.StatusOK)
	recs := csvRecords(t, res.Body)
	if !slices.Equal(recs[0], header) {
		t.Fatalf("header %v\nwant %v", recs[0], header)
	}
	if len(recs) != 1+today.Day()+1 {
		t.Fatalf("%d rows, want a day each to today and the month", len(recs)-1)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	total := recs[len(recs)-1]
	if total[col["merchant"]] != "Toko Uji" || total[col["day"]] != month || total[col["opening_balance"]] != amount(opening) ||
		total[col["gross_total"]] != amount(gross) || total[col["mdr"]] != amount(mdr) || total[col["closing_balance"]] != amount(closing) {
		t.Errorf("month row %v", total)
	}
	todayRow := recs[len(recs)-2]
	if todayRow[col["day"]] != day(today) || todayRow[col["gross_qris"]] != "25000.00" || todayRow[col["gross_cvs"]] != "50000.00" ||
		todayRow[col["withdrawals"]] != "10000.00" || todayRow[col["sales"]] != "2" || todayRow[col["closing_nicepay"]] == "0.00" {
		t.Errorf("today's row %v", todayRow)
	}

	res = c.get("/settlement.csv?month="+month+"&dialect=id").wantStatus(t, http.StatusOK)
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, utf8BOM)))
	r.Comma = ';'
	idRecs, err := r.ReadAll()
	if err != nil || len(idRecs) != len(recs) || idRecs[len(idRecs)-1][col["closing_balance"]] != strings.Replace(amount(closing), ".", ",", 1) {
		t.Errorf("dialect=id: %v, %d rows, month %v", err, len(idRecs), idRecs[len(idRecs)-1])
	}

	res = c.get("/settlement.xlsx?month="+month).wantStatus(t, http.StatusOK)
	sheet, rows := xlsxRows(t, res.Body)
	if sheet != "settlement" || len(rows) != len(recs) || !slices.Equal(rows[0], header) {
		t.Fatalf("xlsx: sheet %q, %d rows, header %v", sheet, len(rows), rows[0])
	}
	got, _ := strconv.ParseFloat(rows[len(rows)-1][col["closing_balance"]], 64)
	want, _ := strconv.ParseFloat(amount(closing), 64)
	if got != want || rows[len(rows)-1][col["sales"]] != total[col["sales"]] {
		t.Errorf("xlsx month row %v", rows[len(rows)-1])
	}
}
