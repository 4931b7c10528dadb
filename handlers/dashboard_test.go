package handlers

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"lapak/db"
	"lapak/money"
	"lapak/netzme"
	"lapak/views"
)

// TestDashboardSalesComeFromTheBooks: the owner's dashboard counts today's
// sales — invoices and static QRIS, not the owner's deposit top-up — from
// the daily totals, lists the last payments from the journal, and draws 30
// days of sales as server-side SVG that the CSP allows (no script, no inline
// style).
func TestDashboardSalesComeFromTheBooks(t *testing.T) {
	m := newMoneyApp(t)
	ctx := t.Context()
	c, owner, _ := m.loginAs(t, db.RoleOwner)
	token := m.sb.Sandbox.Identity().CallbackToken
	deliver := func(kind string) {
		t.Helper()
		ds := m.sb.Sandbox.Deliveries()
		for i := len(ds) - 1; i >= 0; i-- {
			if ds[i].Kind == kind {
				if res := m.sendCallback(kind, string(ds[i].Body), "x-callback-token", token); res.Code != http.StatusOK {
					t.Fatalf("%s callback: %d %s", kind, res.Code, res.Body)
				}
				return
			}
		}
		t.Fatalf("no %s callback", kind)
	}

	// Today: a sale of Rp 20.000 and a static-QRIS payment of Rp 25.000…
	sale := m.createInvoice(t, c, invoiceForm("amount", "20.000"))
	if _, err := m.sb.Sandbox.PayInvoice(ctx, sale.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	deliver("invoice")
	if _, err := m.sb.Sandbox.PayStaticQRIS(ctx, m.demo.CustID, 2_500_000); err != nil {
		t.Fatal(err)
	}
	deliver("qris")
	// … and the owner's deposit top-up of Rp 100.000, which is no sale.
	top, err := m.handler.money.CreateInvoice(ctx, money.Actor{UserID: owner.ID, MerchantID: m.merchant.ID},
		money.InvoiceInput{Purpose: money.PurposeTopup, AmountMinor: 10_000_000, Method: netzme.PayQRIS})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.sb.Sandbox.PayInvoice(ctx, top.Invoice.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	deliver("invoice")
	// Three days ago (Netzme's payment time): a sale of Rp 12.345.
	old := m.createInvoice(t, c, invoiceForm("amount", "12.345"))
	paidAt := m.clock().Add(-72 * time.Hour)
	if res := m.sendCallback("invoice", invoiceBody(old.NetzmeTrxID, old.PartnerReferenceNo, m.demo.CustID, 1_234_500, 8_600, paidAt),
		"x-callback-token", token); res.Code != http.StatusOK {
		t.Fatalf("old sale callback: %d %s", res.Code, res.Body)
	}

	res := c.get("/").wantStatus(t, http.StatusOK)
	if got := res.text("today-total"); got != "Rp 45.000" {
		t.Errorf("today's sales = %q, want Rp 45.000 (the invoice and the static QRIS, not the top-up)", got)
	}
	if got := res.text("today-count"); got != "2 penjualan" {
		t.Errorf("today's count = %q, want 2 penjualan", got)
	}
	bars := res.doc.Find(`[data-testid=dashboard-balance] svg [data-testid=chart-bar]`)
	if bars.Length() != 30 {
		t.Fatalf("chart has %d bars, want 30", bars.Length())
	}
	today := m.clock().In(views.Jakarta)
	want := map[string][2]string{ // day -> amount, count
		today.Format(time.DateOnly):                    {"4500000", "2"},
		today.AddDate(0, 0, -3).Format(time.DateOnly):  {"1234500", "1"},
		today.AddDate(0, 0, -1).Format(time.DateOnly):  {"0", "0"},
		today.AddDate(0, 0, -29).Format(time.DateOnly): {"0", "0"},
	}
	heights := map[string]string{}
	bars.Each(func(i int, s *goquery.Selection) {
		day, _ := s.Attr("data-day")
		amount, _ := s.Attr("data-amount")
		count, _ := s.Attr("data-count")
		heights[day], _ = s.Attr("height")
		if w, ok := want[day]; ok && (w[0] != amount || w[1] != count) {
			t.Errorf("bar %s = %s sen × %s, want %s × %s", day, amount, count, w[0], w[1])
		}
		if i == 29 && day != today.Format(time.DateOnly) {
			t.Errorf("last bar is %s, want today", day)
		}
	})
	if heights[today.Format(time.DateOnly)] != "96" || heights[today.AddDate(0, 0, -1).Format(time.DateOnly)] != "0" {
		t.Errorf("bar heights %v: the best day is full height, an empty day flat", heights)
	}
	if got := res.text("chart-summary"); got != "Rp 57.345 dari 3 penjualan" {
		t.Errorf("chart summary = %q", got)
	}
	// CSP-safe: no inline script or style anywhere on the page.
	if strings.Contains(res.Body, "style=") || res.doc.Find("style").Length() != 0 {
		t.Error("the dashboard has inline style")
	}
	res.doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src, ok := s.Attr("src"); !ok || src == "" || strings.TrimSpace(s.Text()) != "" {
			t.Errorf("inline script on the dashboard: %q", s.Text())
		}
	})

	// The last payments, newest first, from the journal: the top-up is
	// there as what it is.
	bal := c.get("/balance").wantStatus(t, http.StatusOK)
	rows := bal.doc.Find(`[data-testid=recent-row]`)
	if rows.Length() != 4 {
		t.Fatalf("%d recent payments, want 4", rows.Length())
	}
	if first := rows.First().Text(); !strings.Contains(first, "Isi deposit") || !strings.Contains(first, "Rp 100.000") {
		t.Errorf("newest payment row = %q, want the top-up", first)
	}
	if last := rows.Last().Text(); !strings.Contains(last, "Rp 12.345") || !strings.Contains(last, old.PartnerReferenceNo) {
		t.Errorf("oldest payment row = %q, want the sale of three days ago", last)
	}

	// Cashiers see neither figures nor chart; another merchant sees none of ours.
	cashier, _, _ := m.loginAs(t, db.RoleCashier)
	if r := cashier.get("/"); r.count("sales-chart") != 0 || strings.Contains(r.Body, "Rp 45.000") {
		t.Error("a cashier's dashboard shows sales")
	}
	other, _ := m.otherMerchant(t)
	if r := other.get("/balance"); r.text("today-total") != "Rp 0" || r.text("chart-summary") != "Rp 0 dari 0 penjualan" {
		t.Errorf("another merchant sees %q / %q", r.text("today-total"), r.text("chart-summary"))
	}
}
