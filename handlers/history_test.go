package handlers

import (
	"bufio"
	"compress/flate"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"lapak/db"
	"lapak/views"
)

// jakartaMidnightOf is the start of t's Jakarta day.
func jakartaMidnightOf(t time.Time) time.Time {
	j := t.In(views.Jakarta)
	return time.Date(j.Year(), j.Month(), j.Day(), 0, 0, 0, 0, views.Jakarta)
}

// bookEntry writes one ledger transaction of the app's merchant.
func (a *testApp) bookEntry(t testing.TB, e db.LedgerEntry) db.LedgerTransaction {
	t.Helper()
	e.MerchantID = a.merchant.ID
	if e.Actor == "" {
		e.Actor = db.ActorNetzme
	}
	var out db.LedgerTransaction
	if err := a.DB.InTx(t.Context(), func(tx *db.Tx) error {
		var err error
		out, _, err = tx.PostLedger(t.Context(), e)
		return err
	}); err != nil {
		t.Fatalf("book %s: %v", e.Key, err)
	}
	return out
}

func bookSale(ref, method string, gross, fee int64, at time.Time, memo string) db.LedgerEntry {
	to := db.AccountNetzmeBalance
	if method == "CVS" {
		to = db.AccountNicepayReceivable
	}
	ps := []db.Posting{{Account: to, AmountMinor: gross - fee}, {Account: db.AccountIncomeSales, AmountMinor: -gross}}
	if fee != 0 {
		ps = append(ps, db.Posting{Account: db.AccountExpenseMDR, AmountMinor: fee})
	}
	return db.LedgerEntry{Key: "invoice-paid:" + ref, Kind: db.KindSale, Method: method, AmountMinor: gross, FeeMinor: fee,
		Reference: ref, ExternalID: "TRX-" + ref, OccurredAt: at, Memo: memo, Postings: ps}
}

func bookWithdrawal(ref string, amount int64, at time.Time, step string) db.LedgerEntry {
	e := db.LedgerEntry{Key: "withdrawal:" + ref + ":" + step, AmountMinor: amount, Reference: ref, ExternalID: "NZ-" + ref,
		OccurredAt: at, Memo: "BCA 0123456789", Actor: db.ActorSystem}
	switch step {
	case "sent":
		e.Kind, e.Postings = db.KindWithdrawalSent, []db.Posting{{Account: db.AccountTransitWithdrawal, AmountMinor: amount},
			{Account: db.AccountNetzmeBalance, AmountMinor: -amount}}
	case "succeeded":
		e.Kind, e.Postings = db.KindWithdrawalSucceeded, []db.Posting{{Account: db.AccountBank, AmountMinor: amount},
			{Account: db.AccountTransitWithdrawal, AmountMinor: -amount}}
	case "failed":
		e.Kind, e.Postings = db.KindWithdrawalFailed, []db.Posting{{Account: db.AccountNetzmeBalance, AmountMinor: amount},
			{Account: db.AccountTransitWithdrawal, AmountMinor: -amount}}
	}
	return e
}

// historyFixture books, for the app's merchant: today two sales (QRIS and
// CVS) and a withdrawal that succeeded; yesterday a static-QRIS sale and a
// withdrawal that failed; three days ago a sale by OVO and a top-up; on the
// first day of last month a sale. It returns today's Jakarta midnight.
func historyFixture(t *testing.T, a *testApp) time.Time {
	t.Helper()
	today := jakartaMidnightOf(a.clock())
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, views.Jakarta)
	a.bookEntry(t, bookSale("INV-T1", "QRIS", 2_500_000, 17_500, today.Add(8*time.Hour), "Kopi susu gula aren"))
	a.bookEntry(t, bookSale("PAY-T2", "CVS", 5_000_000, 0, today.Add(8*time.Hour+30*time.Minute), "Tiket konser"))
	a.bookEntry(t, bookWithdrawal("WD-T3", 1_000_000, today.Add(9*time.Hour), "sent"))
	a.bookEntry(t, bookWithdrawal("WD-T3", 1_000_000, today.Add(10*time.Hour), "succeeded"))
	y := today.AddDate(0, 0, -1)
	a.bookEntry(t, bookSale("RRN-Y1", "QRIS_STATIC", 1_750_000, 12_250, y.Add(11*time.Hour), "BUDI"))
	a.bookEntry(t, bookWithdrawal("WD-Y2", 300_000, y.Add(12*time.Hour), "sent"))
	a.bookEntry(t, bookWithdrawal("WD-Y2", 300_000, y.Add(13*time.Hour), "failed"))
	d3 := today.AddDate(0, 0, -3)
	a.bookEntry(t, bookSale("INV-D1", "OVO", 4_000_000, 60_000, d3.Add(14*time.Hour), "Nasi kotak"))
	a.bookEntry(t, db.LedgerEntry{Key: "invoice-paid:TOP-D2", Kind: db.KindTopup, Method: "QRIS", AmountMinor: 10_000_000,
		FeeMinor: 70_000, Reference: "TOP-D2", ExternalID: "TRX-TOP-D2", OccurredAt: d3.Add(15 * time.Hour), Memo: "Top up deposit",
		Postings: []db.Posting{{Account: db.AccountNetzmeDeposit, AmountMinor: 9_930_000}, {Account: db.AccountExpenseMDR, AmountMinor: 70_000},
			{Account: db.AccountEquityOwner, AmountMinor: -10_000_000}}})
	a.bookEntry(t, bookSale("INV-M1", "QRIS", 900_000, 6_300, first.AddDate(0, -1, 0).Add(10*time.Hour), "Bulan lalu"))
	return today
}

// historyRefs are the references of a history page's rows, in order.
func historyRefs(res *response) []string {
	var out []string
	res.doc.Find(`[data-testid=history-row]`).Each(func(_ int, s *goquery.Selection) {
		ref := strings.Fields(s.Find(`[data-testid=history-reference]`).Text())
		if len(ref) > 0 {
			out = append(out, ref[0])
		}
	})
	return out
}

// day is t's date as the history's query keys take it.
func day(t time.Time) string { return t.Format("2006-01-02") }

func TestHistoryPage(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c, _, _ := app.loginAs(t, db.RoleOwner)
	today := historyFixture(t, app)
	y, d3 := today.AddDate(0, 0, -1), today.AddDate(0, 0, -3)
	lastMonth := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, views.Jakarta).AddDate(0, -1, 0)
	all := []string{"WD-T3", "PAY-T2", "INV-T1", "WD-Y2", "RRN-Y1", "TOP-D2", "INV-D1", "INV-M1"}
	// which are the fixture's rows of the days from..to.
	which := func(from, to time.Time) []string {
		days := map[string]time.Time{"WD-T3": today, "PAY-T2": today, "INV-T1": today, "WD-Y2": y, "RRN-Y1": y,
			"TOP-D2": d3, "INV-D1": d3, "INV-M1": lastMonth}
		var out []string
		for _, r := range all {
			if d := days[r]; !d.Before(from) && !d.After(to) {
				out = append(out, r)
			}
		}
		return out
	}

	// Every event once, a withdrawal's outcome as its status; direction,
	// signed amounts, fee, net and words.
	res := c.get("/history?from="+day(lastMonth)+"&to="+day(today)).wantStatus(t, http.StatusOK)
	if got := historyRefs(res); !slices.Equal(got, all) {
		t.Fatalf("history %v, want %v", got, all)
	}
	row := func(ref string) *goquery.Selection {
		return res.doc.Find(`[data-testid=history-row]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.HasPrefix(strings.TrimSpace(s.Find(`[data-testid=history-reference]`).Text()), ref)
		})
	}
	for _, c := range []struct {
		ref, typ, dir, status, word, amount, net, match string
	}{
		{"INV-T1", "Penjualan", "Masuk", "success", "Berhasil", "Rp 25.000", "Rp 24.825", "belum dicocokkan"},
		{"WD-T3", "Penarikan", "Keluar", "success", "Berhasil", "-Rp 10.000", "-Rp 10.000", "belum dicocokkan"},
		{"WD-Y2", "Penarikan", "Keluar", "failed", "Gagal", "-Rp 3.000", "-Rp 3.000", "belum dicocokkan"},
		{"TOP-D2", "Isi deposit", "Masuk", "success", "Berhasil", "Rp 100.000", "Rp 99.300", "belum dicocokkan"},
	} {
		r := row(c.ref)
		got := []string{strings.TrimSpace(r.Find(`[data-testid=history-type]`).Text()), strings.TrimSpace(r.Find(`[data-testid=history-direction]`).Text()),
			r.AttrOr("data-status", ""), strings.TrimSpace(r.Find(`[data-testid=history-status]`).Text()),
			strings.TrimSpace(r.Find(`[data-testid=history-amount]`).Text()), strings.TrimSpace(r.Find(`[data-testid=history-net]`).Text()),
			strings.TrimSpace(r.Find(`[data-testid=history-match]`).Text())}
		want := []string{c.typ, c.dir, c.status, c.word, c.amount, c.net, c.match}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", c.ref, got, want)
		}
	}
	// Totals of the whole filter: in = every sale and the top-up; out = the
	// withdrawal that went (the failed one came back).
	in := int64(2_500_000 + 5_000_000 + 1_750_000 + 4_000_000 + 10_000_000 + 900_000)
	fee := int64(17_500 + 12_250 + 60_000 + 70_000 + 6_300)
	for id, want := range map[string]int64{"total-in": in, "total-out": -1_000_000, "total-fee": fee, "total-net": in - 1_000_000 - fee} {
		if got := res.doc.Find(`[data-testid=`+id+`]`).AttrOr("data-minor", ""); got != strconv.FormatInt(want, 10) {
			t.Errorf("%s = %s, want %d", id, got, want)
		}
	}

	// The presets: links with their dates, the others kept; each lists its
	// days. The default is this month.
	presets := map[string][2]time.Time{}
	for _, p := range historyPresets(app.clock()) {
		presets[p.key] = [2]time.Time{p.r.from, p.r.to}
	}
	want := map[string][2]time.Time{"today": {today, today}, "yesterday": {y, y}, "7d": {today.AddDate(0, 0, -6), today},
		"month":     {time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, views.Jakarta), today},
		"lastmonth": {lastMonth, time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, views.Jakarta).AddDate(0, 0, -1)}}
	for key, r := range want {
		if presets[key] != r {
			t.Errorf("preset %s = %v, want %v", key, presets[key], r)
		}
		href := res.doc.Find(`[data-testid=preset-`+key+`]`).AttrOr("href", "")
		u, err := url.Parse(href)
		if err != nil || u.Query().Get("from") != day(r[0]) || u.Query().Get("to") != day(r[1]) {
			t.Errorf("preset %s links %q", key, href)
			continue
		}
		got := c.get(href).wantStatus(t, http.StatusOK)
		if refs := historyRefs(got); !slices.Equal(refs, which(r[0], r[1])) {
			t.Errorf("preset %s lists %v, want %v", key, refs, which(r[0], r[1]))
		}
		if got.doc.Find(`[data-testid=preset-`+key+`]`).AttrOr("aria-current", "") != "page" {
			t.Errorf("preset %s is not marked current on its own page", key)
		}
	}
	def := c.get("/history").wantStatus(t, http.StatusOK)
	if refs := historyRefs(def); !slices.Equal(refs, which(want["month"][0], today)) ||
		def.doc.Find(`[data-testid=preset-month]`).AttrOr("aria-current", "") != "page" {
		t.Errorf("default range lists %v, want this month", refs)
	}
	// A filter survives a preset: type=sale with Kemarin.
	withType := c.get("/history?type=sale&from=" + day(today) + "&to=" + day(today))
	href := withType.doc.Find(`[data-testid=preset-yesterday]`).AttrOr("href", "")
	if refs := historyRefs(c.get(href)); !strings.Contains(href, "type=sale") || !slices.Equal(refs, []string{"RRN-Y1"}) {
		t.Errorf("Kemarin with type=sale: %q lists %v", href, refs)
	}

	// Select filters, search, and a custom range longer than 31 days.
	span := "&from=" + day(lastMonth) + "&to=" + day(today)
	for _, f := range []struct {
		q    string
		want []string
	}{
		{"type=withdrawal", []string{"WD-T3", "WD-Y2"}},
		{"type=topup", []string{"TOP-D2"}},
		{"method=QRIS", []string{"INV-T1", "TOP-D2", "INV-M1"}},
		{"method=CVS", []string{"PAY-T2"}},
		{"type=sale&method=QRIS", []string{"INV-T1", "INV-M1"}},
		{"status=failed", []string{"WD-Y2"}},
		{"status=pending", nil},
		{"match=unmatched&type=sale&method=OVO", []string{"INV-D1"}},
		{"match=matched", nil},
		{"q=gula+aren", []string{"INV-T1"}},
		{"q=Rp+17.500", []string{"RRN-Y1"}},
		{"q=konser&type=withdrawal", nil},
		{"type=bogus", all}, // unknown values are ignored, as the invoice list does
	} {
		got := c.get("/history?"+f.q+span).wantStatus(t, http.StatusOK)
		if refs := historyRefs(got); !slices.Equal(refs, f.want) {
			t.Errorf("%s: %v, want %v", f.q, refs, f.want)
		}
	}
	wide := c.get("/history?from=2000-01-01&to="+day(today)).wantStatus(t, http.StatusOK)
	if len(historyRefs(wide)) != len(all) {
		t.Errorf("a range of decades lists %d rows", len(historyRefs(wide)))
	}
	for _, q := range []string{"from=kemarin", "from=2026-01-10&to=2026-01-01", "to=2026-02-30"} {
		c.get("/history?"+q).wantStatus(t, http.StatusUnprocessableEntity)
		c.get("/history.csv?"+q).wantStatus(t, http.StatusBadRequest)
	}
}

// The history pages by cursor at 50 rows: every row once over the pages,
// "Sebelumnya" shows the page seen before, and the CSV holds the same rows.
func TestHistoryPaging(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c, _, _ := app.loginAs(t, db.RoleOwner)
	today := jakartaMidnightOf(app.clock())
	const n = historyPageSize*2 + 7
	err := app.DB.InTx(t.Context(), func(tx *db.Tx) error {
		for i := range n {
			e := bookSale(fmt.Sprintf("PG-%03d", i), "QRIS", 1_000_000, 7_000, today.Add(time.Duration(i)*time.Minute), "Teh")
			// Some share an instant: the id orders them.
			if i%10 == 0 && i > 0 {
				e.OccurredAt = today.Add(time.Duration(i-1) * time.Minute)
			}
			e.MerchantID, e.Actor = app.merchant.ID, db.ActorNetzme
			if _, _, err := tx.PostLedger(t.Context(), e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var pages [][]string
	var prevs []string
	path := "/history?from=" + day(today) + "&to=" + day(today)
	for path != "" {
		res := c.get(path).wantStatus(t, http.StatusOK)
		pages = append(pages, historyRefs(res))
		prevs = append(prevs, res.doc.Find(`[data-testid=pager-prev]`).AttrOr("href", ""))
		path = res.doc.Find(`[data-testid=pager-next]`).AttrOr("href", "")
		if len(pages) > 5 {
			t.Fatal("history pages never end")
		}
	}
	all := slices.Concat(pages...)
	if len(pages) != 3 || len(pages[0]) != historyPageSize || len(all) != n {
		t.Fatalf("%d pages, first %d rows, %d rows in all; want 3 pages of %d and %d rows", len(pages), len(pages[0]), len(all), historyPageSize, n)
	}
	if distinct := len(slices.Compact(slices.Sorted(slices.Values(all)))); distinct != n {
		t.Errorf("%d distinct rows of %d: a row shown twice", distinct, n)
	}
	for i := 1; i < len(pages); i++ {
		if back := historyRefs(c.get(prevs[i])); !slices.Equal(back, pages[i-1]) {
			t.Errorf("back from page %d = %v\nwant %v", i+1, back, pages[i-1])
		}
	}
	res := c.get("/history?from="+day(today)+"&to="+day(today)).wantStatus(t, http.StatusOK)
	if got := res.text("history-count"); got != strconv.Itoa(n)+" transaksi" {
		t.Errorf("count %q", got)
	}
	recs := csvRecords(t, c.get("/history.csv?from="+day(today)+"&to="+day(today)).wantStatus(t, http.StatusOK).Body)
	var refs []string
	for _, r := range recs[1:] {
		refs = append(refs, r[4])
	}
	if !slices.Equal(refs, all) {
		t.Errorf("CSV rows %v\nwant the pages' %v", refs, all)
	}
}

// The history is the owner's and the auditor's: a cashier gets 403 on the
// page and every export, and another merchant sees none of it.
func TestHistoryIsForOwnersAndAuditors(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	owner, _, _ := app.loginAs(t, db.RoleOwner)
	historyFixture(t, app)
	auditor, _, _ := app.loginAs(t, db.RoleAuditor)
	auditor.get("/history").wantStatus(t, http.StatusOK)
	auditor.get("/history.xlsx").wantStatus(t, http.StatusOK)
	cashier, _, _ := app.loginAs(t, db.RoleCashier)
	for _, p := range []string{"/history", "/history.csv", "/history.csv?dialect=id", "/history.xlsx"} {
		cashier.get(p).wantStatus(t, http.StatusForbidden)
	}
	if strings.Contains(cashier.get("/").Body, `href="/history"`) {
		t.Error("the cashier's menu links the history")
	}
	if !strings.Contains(owner.get("/").Body, `href="/history"`) {
		t.Error("the owner's menu does not link the history")
	}
	other := app.newMerchant(t, "Toko Lain")
	u := app.newUser(t, "lain@uji.test", false, other.ID, db.RoleOwner)
	oc := app.client()
	oc.mustLogin(t, u.Email)
	for _, p := range []string{"/history?from=2000-01-01", "/history.csv?from=2000-01-01"} {
		if body := oc.get(p).wantStatus(t, http.StatusOK).Body; strings.Contains(body, "INV-T1") || strings.Contains(body, "gula aren") {
			t.Errorf("another merchant's %s holds our rows", p)
		}
	}
}

// The history's exports: the stable columns in order, amounts signed by
// direction as the other exports write them, BOM, the Indonesian dialect,
// and the same rows in an XLSX that excelize opens.
func TestHistoryExports(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c, _, _ := app.loginAs(t, db.RoleOwner)
	today := historyFixture(t, app)
	q := "?from=" + day(today.AddDate(0, 0, -1)) + "&to=" + day(today)
	header := []string{"occurred_at", "type", "direction", "method", "reference", "netzme_id", "description", "amount", "fee", "net", "status", "match"}

	res := c.get("/history.csv"+q).wantStatus(t, http.StatusOK)
	if ct, cd := res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"); ct != "text/csv; charset=utf-8" ||
		cd != `attachment; filename="history-`+day(today.AddDate(0, 0, -1))+`-`+day(today)+`.csv"` {
		t.Errorf("Content-Type %q, Content-Disposition %q", ct, cd)
	}
	recs := csvRecords(t, res.Body)
	if !slices.Equal(recs[0], header) {
		t.Fatalf("header %v\nwant %v", recs[0], header)
	}
	want := [][]string{
		{"withdrawal", "out", "", "WD-T3", "NZ-WD-T3", "BCA 0123456789", "-10000.00", "0.00", "-10000.00", "success", "unmatched"},
		{"sale", "in", "CVS", "PAY-T2", "TRX-PAY-T2", "Tiket konser", "50000.00", "0.00", "50000.00", "success", "unmatched"},
		{"sale", "in", "QRIS", "INV-T1", "TRX-INV-T1", "Kopi susu gula aren", "25000.00", "175.00", "24825.00", "success", "unmatched"},
		{"withdrawal", "out", "", "WD-Y2", "NZ-WD-Y2", "BCA 0123456789", "-3000.00", "0.00", "-3000.00", "failed", "unmatched"},
		{"sale", "in", "QRIS_STATIC", "RRN-Y1", "TRX-RRN-Y1", "BUDI", "17500.00", "122.50", "17377.50", "success", "unmatched"},
	}
	if len(recs) != len(want)+1 {
		t.Fatalf("%d rows, want %d", len(recs)-1, len(want))
	}
	for i, w := range want {
		if got := recs[i+1][1:]; !slices.Equal(got, w) {
			t.Errorf("row %d: %q\nwant %q", i+1, got, w)
		}
	}
	if at, err := time.Parse(time.RFC3339, recs[3][0]); err != nil || !at.Equal(today.Add(8*time.Hour)) || !strings.HasSuffix(recs[3][0], "+07:00") {
		t.Errorf("occurred_at %q (%v), want %s in Jakarta time", recs[3][0], err, today.Add(8*time.Hour))
	}

	// Indonesian Excel: semicolons and comma decimals, same columns.
	res = c.get("/history.csv"+q+"&dialect=id").wantStatus(t, http.StatusOK)
	body, ok := strings.CutPrefix(res.Body, utf8BOM)
	if !ok {
		t.Fatal("dialect=id without the byte-order mark")
	}
	r := csv.NewReader(strings.NewReader(body))
	r.Comma = ';'
	idRecs, err := r.ReadAll()
	if err != nil || !slices.Equal(idRecs[0], header) || len(idRecs) != len(recs) {
		t.Fatalf("dialect=id: %v, header %v, %d rows", err, idRecs[0], len(idRecs))
	}
	if got := idRecs[5][7:10]; !slices.Equal(got, []string{"17500,00", "122,50", "17377,50"}) {
		t.Errorf("dialect=id amounts %q", got)
	}
	if !strings.HasPrefix(body, "occurred_at;type;direction;") {
		t.Errorf("dialect=id header line %.60q", body)
	}

	// XLSX: the same rows, amounts as numbers, opened by excelize.
	res = c.get("/history.xlsx"+q).wantStatus(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Errorf("Content-Type %q", ct)
	}
	sheet, rows := xlsxRows(t, res.Body)
	if sheet != "history" || len(rows) != len(recs) || !slices.Equal(rows[0], header) {
		t.Fatalf("sheet %q, %d rows, header %v", sheet, len(rows), rows[0])
	}
	for i, w := range want {
		got := rows[i+1]
		amount, _ := strconv.ParseFloat(got[7], 64)
		wantAmount, _ := strconv.ParseFloat(w[6], 64)
		if got[1] != w[0] || got[2] != w[1] || got[4] != w[3] || amount != wantAmount || got[10] != w[9] {
			t.Errorf("xlsx row %d: %q, want %q", i+1, got, w)
		}
	}
	// The time cell is a date-time in Jakarta: its serial is the local
	// wall clock.
	f := excelizeOpen(t, res.Body)
	v, err := f.GetCellValue("history", "A4")
	if err != nil || v != today.Add(8*time.Hour).Format("2006-01-02 15:04:05") {
		t.Errorf("A4 reads %q (%v), want %s", v, err, today.Add(8*time.Hour).Format("2006-01-02 15:04:05"))
	}
	f.Close()
}

// TestHistoryCSVStreams reads the first rows of a history export while the
// handler is still writing it: rows go from the books to the client as they
// are read.
func TestHistoryCSVStreams(t *testing.T) {
	app := newTestApp(t)
	c, _, _ := app.loginAs(t, db.RoleOwner)
	today := jakartaMidnightOf(app.clock())
	const n = 4500 // several batches
	err := app.DB.InTx(t.Context(), func(tx *db.Tx) error {
		for i := range n {
			e := bookSale(fmt.Sprintf("ST-%05d", i), "QRIS", 1_000_000, 7_000, today.Add(time.Duration(i)*time.Second), "Kopi")
			e.MerchantID, e.Actor = app.merchant.ID, db.ActorNetzme
			if _, _, err := tx.PostLedger(t.Context(), e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	w := &pipeWriter{header: http.Header{}, w: pw}
	req := httptest.NewRequest(http.MethodGet, "/history.csv?from="+day(today), nil)
	req.RemoteAddr = c.remoteAddr
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer pw.Close()
		app.routes.ServeHTTP(w, req)
	}()
	defer func() { io.Copy(io.Discard, pr); <-done }()
	br := bufio.NewReader(pr)
	bom := make([]byte, len(utf8BOM))
	if !readFull(br, bom) || string(bom) != utf8BOM {
		t.Fatalf("starts with %q", bom)
	}
	r := csv.NewReader(br)
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	first, err := r.Read()
	if err != nil || first[4] != fmt.Sprintf("ST-%05d", n-1) {
		t.Fatalf("first row %v, %v; want the newest", first, err)
	}
	select {
	case <-done:
		t.Fatal("the handler finished before its rows were read")
	default:
	}
	rest, err := r.ReadAll()
	if err != nil || len(rest) != n-1 || rest[len(rest)-1][4] != "ST-00000" {
		t.Fatalf("%d more rows (%v), want %d ending with the oldest", len(rest), err, n-1)
	}
}

// TestHistoryXLSXStreams reads the workbook of a history export while the
// handler is still writing it: the sheet is the zip's first part, and its
// first rows (inflated as they come) arrive before the last is read — a
// transaction booked meanwhile, older than every other, is the sheet's last
// row.
func TestHistoryXLSXStreams(t *testing.T) {
	app := newTestApp(t)
	c, _, _ := app.loginAs(t, db.RoleOwner)
	today := jakartaMidnightOf(app.clock())
	const n = 4500 // several batches
	err := app.DB.InTx(t.Context(), func(tx *db.Tx) error {
		for i := range n {
			e := bookSale(fmt.Sprintf("XS-%05d", i), "QRIS", 1_000_000, 7_000, today.Add(time.Duration(i)*time.Second), "Kopi")
			e.MerchantID, e.Actor = app.merchant.ID, db.ActorNetzme
			if _, _, err := tx.PostLedger(t.Context(), e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	w := &pipeWriter{header: http.Header{}, w: pw}
	req := httptest.NewRequest(http.MethodGet, "/history.xlsx?from="+day(today.AddDate(0, 0, -1)), nil)
	req.RemoteAddr = c.remoteAddr
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer pw.Close()
		app.routes.ServeHTTP(w, req)
	}()
	defer func() { io.Copy(io.Discard, pr); <-done }()
	// The zip's first local file header, then its deflated data.
	br := bufio.NewReader(pr)
	head := make([]byte, 30)
	if !readFull(br, head) || string(head[:4]) != "PK\x03\x04" {
		t.Fatalf("not a zip: %q", head)
	}
	name := make([]byte, int(head[26])|int(head[27])<<8)
	extra := make([]byte, int(head[28])|int(head[29])<<8)
	if !readFull(br, name) || !readFull(br, extra) || string(name) != "xl/worksheets/sheet1.xml" {
		t.Fatalf("first part %q, want the sheet", name)
	}
	dec := xml.NewDecoder(flate.NewReader(br))
	// nextRow reads the sheet on to its next row: its cells' texts.
	nextRow := func() ([]string, bool) {
		var cells []string
		in := false
		for {
			tok, err := dec.Token()
			if err != nil {
				return nil, false
			}
			switch el := tok.(type) {
			case xml.StartElement:
				if el.Name.Local == "row" {
					in, cells = true, nil
				} else if el.Name.Local == "c" && in {
					cells = append(cells, "")
				}
			case xml.CharData:
				if in && len(cells) > 0 {
					cells[len(cells)-1] += string(el)
				}
			case xml.EndElement:
				if el.Name.Local == "row" {
					return cells, true
				}
			}
		}
	}
	refAt := func(cells []string) string { // the reference column (E)
		if len(cells) < 5 {
			return ""
		}
		return cells[4]
	}
	header, ok1 := nextRow()
	first, ok2 := nextRow()
	if !ok1 || !ok2 || len(header) == 0 || header[0] != "occurred_at" || refAt(first) != fmt.Sprintf("XS-%05d", n-1) {
		t.Fatalf("header %q, first row %q: want the newest first", header, first)
	}
	select {
	case <-done:
		t.Fatal("the handler finished before its rows were read")
	default:
	}
	// Meanwhile, a payment of yesterday is booked: older than every row.
	app.bookEntry(t, bookSale("XS-LATE", "QRIS", 500_000, 3_500, today.Add(-time.Hour), "Telat"))
	var last []string
	rows := 1
	for {
		row, ok := nextRow()
		if !ok {
			break
		}
		rows, last = rows+1, row
	}
	if rows != n+1 || refAt(last) != "XS-LATE" {
		t.Errorf("%d rows, last %q; want %d ending with the one booked during the export", rows, refAt(last), n+1)
	}
}
