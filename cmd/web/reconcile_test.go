package main

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"lapak/db"
	"lapak/handlers"
	"lapak/money"
	"lapak/netzme"
	"lapak/netzme/sandbox"
)

// webClient logs in through the real form over HTTP and keeps the session.
func webClient(t *testing.T, a *testApp, email, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.PostForm(a.URL+"/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/" {
		t.Fatalf("login as %s ended on %s, want the dashboard", email, res.Request.URL)
	}
	return c
}

func getDoc(t *testing.T, c *http.Client, u string) (*goquery.Document, int) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc, res.StatusCode
}

// A static-QRIS payment (no invoice) that Netzme reports by callback shows in
// the owner's history — once, read from the books — in today's total on the
// balance page and on the dashboard; a cashier's dashboard shows no balance
// at all.
func TestStaticQRISPaymentInHistoryBalanceAndDashboard(t *testing.T) {
	a := startTestApp(t, nil)
	ctx := t.Context()
	demo := a.sandbox.DemoMerchant()
	m, _ := a.db.MerchantByNetzmeCustID(ctx, demo.CustID)
	if _, err := a.sandbox.PayStaticQRIS(ctx, demo.CustID, 1_750_000); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "static payment recorded", func() bool {
		ps, _, _ := a.db.MerchantPayments(ctx, m.ID, db.PaymentFilter{})
		return len(ps) == 1
	})
	owner := webClient(t, a, testAdminEmail, testAdminPassword)

	doc, code := getDoc(t, owner, a.URL+"/history")
	if code != http.StatusOK {
		t.Fatalf("GET /history = %d", code)
	}
	row := doc.Find(`[data-testid=history-row][data-type=sale]`)
	if row.Length() != 1 {
		t.Fatalf("history has %d sale rows, want the one static-QRIS payment:\n%s", row.Length(), doc.Find("main").Text())
	}
	if !strings.Contains(row.Text(), "Rp 17.500") || !strings.Contains(row.Text(), "QRIS statis") {
		t.Errorf("payment row = %q, want Rp 17.500 by static QRIS", row.Text())
	}

	doc, _ = getDoc(t, owner, a.URL+"/balance")
	if got := strings.TrimSpace(doc.Find(`[data-testid=today-total]`).Text()); got != "Rp 17.500" {
		t.Errorf("balance page today's total = %q, want Rp 17.500 (the static-QRIS payment)", got)
	}
	if doc.Find(`[data-testid=recent-row]`).Length() != 1 {
		t.Errorf("recent payments on the balance page: %d rows, want 1", doc.Find(`[data-testid=recent-row]`).Length())
	}

	doc, _ = getDoc(t, owner, a.URL+"/")
	dash := doc.Find(`[data-testid=dashboard-balance]`)
	if dash.Length() != 1 || strings.TrimSpace(dash.Find(`[data-testid=today-total]`).Text()) != "Rp 17.500" {
		t.Errorf("owner's dashboard balance = %q", dash.Text())
	}
	if strings.TrimSpace(dash.Find(`[data-testid=balance-total]`).Text()) == "" {
		t.Errorf("owner's dashboard shows no Netzme balance: %q", dash.Text())
	}

	// A cashier of the same merchant: no balance on the dashboard.
	hash, err := handlers.HashPassword("kata-sandi-kasir-1")
	if err != nil {
		t.Fatal(err)
	}
	cashier, err := a.db.CreateUser(ctx, db.NewUser{Email: "kasir@toko.test", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.db.SetMembership(ctx, cashier.ID, m.ID, db.RoleCashier); err != nil {
		t.Fatal(err)
	}
	cc := webClient(t, a, "kasir@toko.test", "kata-sandi-kasir-1")
	doc, _ = getDoc(t, cc, a.URL+"/")
	if doc.Find(`[data-testid=dashboard-balance]`).Length() != 0 || strings.Contains(doc.Text(), "Rp 17.500") {
		t.Errorf("a cashier's dashboard shows balance figures")
	}
}

// The dashboard is where every login lands: when Netzme fails, the owner
// still gets it, with the Netzme figure marked unavailable and our own
// figures intact.
func TestDashboardSurvivesNetzmeBalanceFailure(t *testing.T) {
	a := startTestApp(t, nil)
	owner := webClient(t, a, testAdminEmail, testAdminPassword)
	a.sandbox.InjectFault(string(netzme.EndpointBalanceDetail), sandbox.Fault{Kind: sandbox.FaultGarbage})
	doc, code := getDoc(t, owner, a.URL+"/")
	if code != http.StatusOK {
		t.Fatalf("dashboard with Netzme failing = %d, want 200", code)
	}
	dash := doc.Find(`[data-testid=dashboard-balance]`)
	if dash.Find(`[data-testid=balance-total-unavailable]`).Length() != 1 {
		t.Errorf("failed balance not marked unavailable: %q", dash.Text())
	}
	if got := strings.TrimSpace(dash.Find(`[data-testid=balance-deposit]`).Text()); got != "Rp 0" {
		t.Errorf("deposit figure (its own call succeeded) = %q, want Rp 0", got)
	}
	if got := strings.TrimSpace(dash.Find(`[data-testid=today-total]`).Text()); got != "Rp 0" {
		t.Errorf("today's total from our own books = %q, want Rp 0", got)
	}
}

// NETZME_HISTORY_PATH picks how Lapak calls Get Transaction List (spec
// §3.4) — the statement sync does: the documented path by default, the QA
// tool's on request; the embedded sandbox answers both. The history page
// itself reads the books and calls nothing.
func TestHistoryPathSetting(t *testing.T) {
	for _, tc := range []struct{ setting, want string }{
		{"", "/api-qris/v2.0/transaction/history-list"},
		{"qa", "/api/v1.0/transaction/history-list"},
	} {
		t.Run("NETZME_HISTORY_PATH="+tc.setting, func(t *testing.T) {
			a := startTestApp(t, map[string]string{"NETZME_HISTORY_PATH": tc.setting})
			ctx := t.Context()
			owner := webClient(t, a, testAdminEmail, testAdminPassword)
			if _, code := getDoc(t, owner, a.URL+"/history"); code != http.StatusOK {
				t.Fatalf("GET /history = %d", code)
			}
			list := func() []string {
				var calls []string
				for _, r := range a.sandbox.Requests() {
					if r.Endpoint == string(netzme.EndpointTransactionList) {
						calls = append(calls, r.Path+" "+r.ResponseCode)
					}
				}
				return calls
			}
			if calls := list(); len(calls) != 0 {
				t.Errorf("the history page called Get Transaction List: %v", calls)
			}
			m, err := a.db.MerchantByNetzmeCustID(ctx, a.sandbox.DemoMerchant().CustID)
			if err != nil {
				t.Fatal(err)
			}
			today := a.now()
			if err := a.money.SyncStatements(ctx, money.System(m.ID), today, today); err != nil {
				t.Fatal(err)
			}
			if calls := list(); len(calls) == 0 || calls[0] != tc.want+" 2001200" {
				t.Errorf("Get Transaction List calls = %v, want %s answered 2001200", calls, tc.want)
			}
		})
	}
}
