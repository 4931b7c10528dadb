package handlers

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"lapak/db"
	"lapak/money"
)

// reconApp is a moneyApp with a day of business at the sandbox: a sale
// paid and announced, a sale paid whose callback was lost, and a
// static-QRIS payment; then half an hour passes (past the grace period)
// and today's statements are synced.
type reconApp struct {
	*moneyApp
	owner *client
	lost  db.Invoice
}

func newReconApp(t *testing.T) *reconApp {
	t.Helper()
	m := newMoneyApp(t)
	m.handler.callbackToken = m.sb.Sandbox.Identity().CallbackToken
	ctx := t.Context()
	owner, _, _ := m.loginAs(t, db.RoleOwner)
	deliver := func(kind string) {
		t.Helper()
		ds := m.sb.Sandbox.Deliveries()
		for i := len(ds) - 1; i >= 0; i-- {
			if ds[i].Kind == kind {
				if res := m.sendCallback(kind, string(ds[i].Body), "x-callback-token", m.handler.callbackToken); res.Code != http.StatusOK {
					t.Fatalf("%s callback: %d %s", kind, res.Code, res.Body)
				}
				return
			}
		}
		t.Fatalf("no %s callback", kind)
	}
	start := m.clock()
	m.handler.money.RecordOpeningBalances(ctx, money.System(m.merchant.ID))
	sale := m.createInvoice(t, owner, invoiceForm("amount", "20.000"))
	if _, err := m.sb.Sandbox.PayInvoice(ctx, sale.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	deliver("invoice")
	lost := m.createInvoice(t, owner, invoiceForm("amount", "12.000"))
	if _, err := m.sb.Sandbox.PayInvoice(ctx, lost.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := m.sb.Sandbox.PayStaticQRIS(ctx, m.demo.CustID, 2_500_000); err != nil {
		t.Fatal(err)
	}
	deliver("qris")
	m.advance(31 * time.Minute)
	if err := m.handler.money.SyncStatements(ctx, money.System(m.merchant.ID), start, m.clock()); err != nil {
		t.Fatal(err)
	}
	return &reconApp{moneyApp: m, owner: owner, lost: lost}
}

func (r *reconApp) rows(t *testing.T, res *response) map[string]string {
	t.Helper()
	out := map[string]string{}
	res.doc.Find(`[data-testid=recon-row]`).Each(func(_ int, s *goquery.Selection) {
		out[s.AttrOr("data-netzme-id", "")] = s.AttrOr("data-outcome", "") + " " + strings.TrimSpace(s.Find(`[data-testid=recon-reason]`).Text())
	})
	return out
}

func TestReconciliationRoles(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	owner, _, merchant := m.loginAs(t, db.RoleOwner)
	auditor, _, _ := m.loginAs(t, db.RoleAuditor)
	cashier, _, _ := m.loginAs(t, db.RoleCashier)
	admin, _ := m.loginAdmin(t)

	for _, p := range []string{"/reconciliation", "/reconciliation.csv"} {
		cashier.get(p).wantStatus(t, http.StatusForbidden)
	}
	cashier.post("/reconciliation/1/resolve", url.Values{"note": {"x"}}).wantStatus(t, http.StatusForbidden)
	auditor.post("/reconciliation/1/resolve", url.Values{"note": {"x"}}).wantStatus(t, http.StatusForbidden)

	for who, c := range map[string]*client{"owner": owner, "auditor": auditor} {
		page := c.get("/reconciliation").wantStatus(t, http.StatusOK)
		if page.count("balance-proof") != 1 {
			t.Errorf("%s: no balance proof", who)
		}
		if got := page.doc.Find(`[data-testid=nav-reconciliation]`).Length(); got != 1 {
			t.Errorf("%s: menu has %d reconciliation links", who, got)
		}
	}
	if got := cashier.get("/").doc.Find(`[data-testid=nav-reconciliation]`).Length(); got != 0 {
		t.Error("a cashier's menu links the reconciliation")
	}
	// Never synced: nothing is compared yet, and the page says so.
	page := owner.get("/reconciliation")
	if proof := page.doc.Find(`[data-testid=balance-proof]`); proof.AttrOr("data-synced", "") != "false" ||
		!strings.Contains(proof.Text(), "Belum ada sinkronisasi") {
		t.Errorf("proof before any sync: %q", proof.Text())
	}
	// An administrator without a membership reads any shop's.
	admin.get("/reconciliation?merchant="+strconv.FormatInt(merchant.ID, 10)).wantStatus(t, http.StatusOK)
	admin.get("/reconciliation?merchant=999999").wantStatus(t, http.StatusNotFound)
}

// The page shows each pairing with its reason, the exception with what to
// do, the balance proof with the difference the exception explains; the
// filters and the CSV agree; resolving with a note and an adjustment
// makes the books agree and stays.
func TestReconciliationPageResolveAndCSV(t *testing.T) {
	t.Parallel()
	r := newReconApp(t)
	page := r.owner.get("/reconciliation").wantStatus(t, http.StatusOK)
	rows := r.rows(t, page)
	lost, err := r.DB.MerchantInvoice(t.Context(), r.merchant.ID, r.lost.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[lost.NetzmeTrxID]; !strings.HasPrefix(got, "netzme_only hanya di Netzme") {
		t.Errorf("lost callback row %q, want only at Netzme", got)
	}
	matched := 0
	for id, got := range rows {
		if id == lost.NetzmeTrxID {
			continue
		}
		switch {
		case got == "matched cocok: ID transaksi invoice sama", got == "matched cocok: rrn + tanggal + issuer":
			matched++
		default:
			t.Errorf("row %s: %q", id, got)
		}
	}
	if matched != 2 || len(rows) != 3 {
		t.Errorf("rows %v, want the sale and the static payment matched and the lost payment", rows)
	}
	row := page.doc.Find(`[data-testid=recon-row][data-outcome=netzme_only]`)
	if todo := row.Find(`[data-testid=recon-todo]`).Text(); !strings.Contains(todo, "Perbarui status") {
		t.Errorf("what to do: %q", todo)
	}
	proof := page.doc.Find(`[data-testid=balance-proof]`)
	diff, _ := strconv.ParseInt(proof.AttrOr("data-difference", ""), 10, 64)
	net := lost.AmountMinor - r.sb.Sandbox.MDR(lost.AmountMinor)
	if diff != net || !strings.Contains(proof.Text(), "Selisih Rp 11.916") || !strings.Contains(proof.Text(), "menjelaskan seluruh selisih") {
		t.Errorf("proof %d %q, want a difference of %d explained by the lost payment", diff, proof.Text(), net)
	}
	if n := page.text("recon-count-netzme_only"); !strings.Contains(n, "(1)") {
		t.Errorf("count of exceptions %q", n)
	}

	// Filters.
	only := r.owner.get("/reconciliation?outcome=netzme_only&resolved=no")
	if n := only.count("recon-row"); n != 1 {
		t.Errorf("netzme_only, unresolved: %d rows", n)
	}
	today := r.clock().In(time.FixedZone("WIB", 7*3600)).Format(time.DateOnly)
	if n := r.owner.get("/reconciliation?from=2001-01-01&to=2001-01-31").count("recon-row"); n != 0 {
		t.Errorf("a month long ago shows %d rows", n)
	}
	if n := r.owner.get("/reconciliation?from=" + today).count("recon-row"); n == 0 {
		t.Error("today shows nothing")
	}
	if res := r.owner.get("/reconciliation?from=2026-13-01"); res.Code != http.StatusOK || res.text("error-from") == "" {
		t.Errorf("a bad date: %d %q", res.Code, res.text("error-from"))
	}
	r.owner.get("/reconciliation?cursor=bogus").wantStatus(t, http.StatusBadRequest)

	// The CSV: BOM, the stable columns, a row per pairing.
	res := r.owner.get("/reconciliation.csv?outcome=netzme_only")
	if res.Code != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(res.Body, "\ufeff") {
		t.Fatalf("CSV: %d %q %q", res.Code, res.Header.Get("Content-Type"), res.Body[:min(10, len(res.Body))])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "outcome,rule,occurred_at,partner_reference_no,netzme_id,lapak_amount,netzme_amount,resolved,note" {
		t.Errorf("header %v", recs[0])
	}
	if len(recs) != 2 || recs[1][0] != "netzme_only" || recs[1][4] != lost.NetzmeTrxID || recs[1][5] != "" ||
		recs[1][6] != "12000.00" || recs[1][7] != "false" || !strings.HasSuffix(recs[1][2], "+07:00") {
		t.Errorf("CSV rows %v", recs)
	}
	all, _ := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.owner.get("/reconciliation.csv").Body, "\ufeff"))).ReadAll()
	if len(all) != 4 {
		t.Errorf("full CSV has %d records, want header + 3", len(all))
	}

	// Resolving: a note is required; an adjustment in rupiah text.
	id := row.AttrOr("data-id", "")
	back := "/reconciliation?outcome=netzme_only"
	bad := r.owner.post("/reconciliation/"+id+"/resolve", url.Values{"note": {"  "}, "adjust_amount": {"11.916"}, "return": {back}})
	bad.wantStatus(t, http.StatusUnprocessableEntity)
	if bad.text("error-note") == "" || bad.doc.Find(`[data-testid=recon-resolve][open]`).Length() != 1 {
		t.Errorf("no note: %q", bad.text("error-note"))
	}
	if got := bad.doc.Find(`[data-testid=recon-resolve][open] input[name=return]`).AttrOr("value", ""); got != back {
		t.Errorf("the re-shown form returns to %q, want %q", got, back)
	}
	if res := r.owner.post("/reconciliation/"+id+"/resolve", url.Values{"note": {"x"}, "adjust_amount": {"sebelas"}}); res.Code != http.StatusUnprocessableEntity ||
		res.text("error-adjust_amount") == "" {
		t.Errorf("bad amount: %d", res.Code)
	}
	ok := r.owner.post("/reconciliation/"+id+"/resolve", url.Values{"note": {"Pelanggan sudah bayar; callback hilang"},
		"adjust_amount": {"Rp 11.916"}, "return": {back}}).wantStatus(t, http.StatusSeeOther)
	if loc := ok.Header.Get("Location"); loc != back+"#recon-"+id {
		t.Errorf("back to %q", loc)
	}
	after := r.owner.get(back)
	if after.text("flash") == "" || !strings.Contains(after.text("recon-resolution"), "Pelanggan sudah bayar") {
		t.Errorf("after resolving: flash %q, resolution %q", after.text("flash"), after.text("recon-resolution"))
	}
	if after.count("recon-resolve") != 0 {
		t.Error("the resolved exception still offers its form")
	}
	proof = after.doc.Find(`[data-testid=balance-proof]`)
	if proof.AttrOr("data-difference", "") != "0" || !strings.Contains(proof.Text(), "Buku cocok") {
		t.Errorf("proof after the adjustment: %q %q", proof.AttrOr("data-difference", ""), proof.Text())
	}
	if n := r.owner.get("/reconciliation?resolved=yes").count("recon-row"); n != 1 {
		t.Errorf("resolved filter: %d rows", n)
	}
	if res := r.owner.post("/reconciliation/"+id+"/resolve", url.Values{"note": {"lagi"}}); res.Code != http.StatusSeeOther {
		t.Errorf("resolving twice: %d", res.Code)
	}
	found := false
	for _, e := range r.auditActions(t) {
		found = found || e.Action == "reconciliation.resolve"
	}
	if !found {
		t.Error("the resolution is not audited")
	}
	// The dashboard's compact proof agrees.
	dash := r.owner.get("/")
	if p := dash.doc.Find(`[data-testid=balance-proof]`); p.AttrOr("data-difference", "") != "0" {
		t.Errorf("dashboard proof %q", p.Text())
	}
	// Another shop's exception does not exist for this one.
	other, _ := r.otherMerchant(t)
	other.post("/reconciliation/"+id+"/resolve", url.Values{"note": {"x"}}).wantStatus(t, http.StatusNotFound)
}

// Counter mode offers the unique tail, ticked: the QR asks for the price
// plus Rp 1–99, says so plainly, and two codes of one price at once ask
// for different amounts — so each static payment finds its sale.
func TestCounterUniqueTail(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	m.handler.callbackToken = testCallbackToken
	cashier, _, _ := m.loginAs(t, db.RoleCashier)
	if form := cashier.get("/kasir").doc.Find(`[data-testid=kasir-unique]`); form.Length() != 1 || !form.Is("[checked]") {
		t.Fatal("the unique tail is not offered, ticked")
	}
	post := url.Values{"amount": {"25.000"}, "mode": {"static"}, "unique": {"1"}}
	a := m.kasirCode(t, cashier.post("/kasir", post))
	b := m.kasirCode(t, cashier.post("/kasir", post))
	for _, c := range []db.QRISCode{a, b} {
		tail := c.AmountMinor - 2_500_000
		if tail < 100 || tail > 9_900 || tail%100 != 0 {
			t.Fatalf("code %+v: tail %d sen", c, tail)
		}
	}
	if a.AmountMinor == b.AmountMinor {
		t.Fatalf("two waiting codes ask for the same %d", a.AmountMinor)
	}
	screen := cashier.get("/kasir/qris/"+itoa(int(a.ID))).wantStatus(t, http.StatusOK)
	want := "Harga Rp 25.000 + kode unik Rp " + strconv.FormatInt((a.AmountMinor-2_500_000)/100, 10)
	if note := screen.text("kasir-unique-note"); !strings.Contains(note, want) || screen.text("kasir-amount") == "Rp 25.000" {
		t.Errorf("screen says %q / %q, want %q", screen.text("kasir-amount"), note, want)
	}
	if txt := screen.text("kasir-static-note"); strings.Contains(txt, "tidak bisa dicocokkan") {
		t.Errorf("a unique code warns of the same amount: %q", txt)
	}
	m.sendCallback("qris", qrisBody("RRNUNIQUE001", m.demo.CustID, b.AmountMinor, 17_500))
	if s := cashier.status(t, "/kasir/qris/"+itoa(int(b.ID))+"/status"); s.Status != "paid" {
		t.Errorf("the second code's payment: %+v", s)
	}
	if s := cashier.status(t, "/kasir/qris/"+itoa(int(a.ID))+"/status"); s.Status != "pending" {
		t.Errorf("the first code after the second's payment: %+v", s)
	}
	// Without the tick, the price itself.
	plain := m.kasirCode(t, cashier.post("/kasir", url.Values{"amount": {"25.000"}, "mode": {"static"}}))
	if plain.AmountMinor != 2_500_000 || cashier.get("/kasir/qris/"+itoa(int(plain.ID))).count("kasir-unique-note") != 0 {
		t.Errorf("unticked code %+v", plain)
	}
}
