package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"lapak/db"
	"lapak/netzme/sandbox"
	"lapak/snap"
	"lapak/views"
)

// reconWalk is a shop on the whole app — web forms over HTTP, the
// embedded sandbox, callbacks delivered by it — as a new owner would use it.
type reconWalk struct {
	*testApp
	c *http.Client
	m db.Merchant
}

func newReconWalk(t *testing.T) *reconWalk {
	t.Helper()
	// One second of grace: a payment seen on one side is an exception at
	// the sync that follows the walk.
	a := startTestApp(t, map[string]string{"LAPAK_RECON_GRACE": "1s"})
	ctx := t.Context()
	m, err := a.db.MerchantByNetzmeCustID(ctx, a.sandbox.DemoMerchant().CustID)
	if err != nil {
		t.Fatal(err)
	}
	// The books open with Netzme's balance before the first sale.
	waitFor(t, "opening balance", func() bool {
		obs, _ := a.db.OpeningBalances(ctx, m.ID)
		return len(obs) == 2
	})
	return &reconWalk{testApp: a, c: webClient(t, a, testAdminEmail, testAdminPassword), m: m}
}

// post submits a form and returns the page it ends on (redirects followed).
func (w *reconWalk) post(t *testing.T, path string, form url.Values) (*http.Response, *goquery.Document) {
	t.Helper()
	res, err := w.c.PostForm(w.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s", path, res.StatusCode, doc.Find("main").Text())
	}
	return res, doc
}

// idAt is the record id at the end of the URL the form ended on.
func idAt(t *testing.T, res *http.Response, prefix string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(strings.TrimPrefix(res.Request.URL.Path, prefix), 10, 64)
	if err != nil {
		t.Fatalf("ended on %s, want %s{id}", res.Request.URL, prefix)
	}
	return id
}

func (w *reconWalk) invoice(t *testing.T, id int64) db.Invoice {
	t.Helper()
	iv, err := w.db.MerchantInvoice(t.Context(), w.m.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return iv
}

// sale creates an invoice by the form, has the sandbox's buyer pay it and
// waits for its callback unless lost.
func (w *reconWalk) sale(t *testing.T, path string, form url.Values, lost bool) db.Invoice {
	t.Helper()
	res, _ := w.post(t, path, form)
	iv := w.invoice(t, idAt(t, res, "/invoices/"))
	if lost {
		w.sandbox.InjectCallbackFault(sandbox.CallbackFault{Kind: sandbox.CallbackDrop})
	}
	if _, err := w.sandbox.PayInvoice(t.Context(), iv.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	if !lost {
		waitFor(t, "invoice "+iv.PartnerReferenceNo+" paid", func() bool { return w.invoice(t, iv.ID).Status == db.InvoicePaid })
	}
	return w.invoice(t, iv.ID)
}

// sync asks for today's sync by the form and waits for the run to end.
func (w *reconWalk) sync(t *testing.T) {
	t.Helper()
	now := w.app.now().In(snap.Jakarta)
	w.post(t, "/sync", url.Values{"from": {now.AddDate(0, 0, -1).Format(time.DateOnly)}, "to": {now.Format(time.DateOnly)}})
	waitFor(t, "sync done", func() bool {
		res, err := w.c.Get(w.URL + "/sync/status")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var st struct {
			Running bool   `json:"running"`
			Error   string `json:"error"`
		}
		json.NewDecoder(res.Body).Decode(&st)
		if st.Error != "" {
			t.Fatalf("sync failed: %s", st.Error)
		}
		return !st.Running
	})
}

// reconRow is a row of /reconciliation as a person reads it.
type reconRow struct{ outcome, rule, reason, netzmeID, reference string }

func (w *reconWalk) page(t *testing.T) ([]reconRow, *goquery.Selection) {
	t.Helper()
	doc, code := getDoc(t, w.c, w.URL+"/reconciliation")
	if code != http.StatusOK {
		t.Fatalf("GET /reconciliation = %d", code)
	}
	var rows []reconRow
	doc.Find(`[data-testid=recon-row]`).Each(func(_ int, s *goquery.Selection) {
		rows = append(rows, reconRow{s.AttrOr("data-outcome", ""), s.AttrOr("data-rule", ""),
			strings.TrimSpace(s.Find(`[data-testid=recon-reason]`).Text()), s.AttrOr("data-netzme-id", ""), s.AttrOr("data-reference", "")})
	})
	return rows, doc.Find(`[data-testid=balance-proof]`)
}

// TestReconciliationDoneWhenWalk is issue 12's "done when", tried as a new
// owner would on the sandbox: invoices paid, the static QRIS paid with and
// without a unique amount, one callback dropped by the sandbox, a
// withdrawal, a deposit top-up, a split fee and a CVS bill; then a sync.
// /reconciliation shows exactly the dropped payment as only at Netzme,
// every other line matched with its reason; once the payment is applied
// (Perbarui status) and synced again, every line is matched and the
// balance proof reads "Buku cocok" with data-difference="0".
func TestReconciliationDoneWhenWalk(t *testing.T) {
	w := newReconWalk(t)
	ctx := t.Context()
	cust := w.sandbox.DemoMerchant().CustID

	// A PIN for the withdrawal.
	w.post(t, "/pin", url.Values{"action": {"create"}, "pin": {"135790"}, "pin2": {"135790"}})
	// Two sales by invoice, one of them by bank transfer.
	sale := w.sale(t, "/invoices", url.Values{"amount": {"Rp 50.000"}, "description": {"Beras 5 kg"}, "method": {"QRIS"}}, false)
	w.sale(t, "/invoices", url.Values{"amount": {"30.000"}, "description": {"Minyak"}, "method": {"BCA"}}, false)
	// The static QRIS, at the counter with its unique tail …
	res, _ := w.post(t, "/kasir", url.Values{"amount": {"25.000"}, "mode": {"static"}, "unique": {"1"}})
	code, err := w.db.MerchantQRISCode(ctx, w.m.ID, idAt(t, res, "/kasir/qris/"))
	if err != nil || code.AmountMinor == 2_500_000 {
		t.Fatalf("counter code %+v %v: want a unique tail", code, err)
	}
	if _, err := w.sandbox.PayStaticQRIS(ctx, cust, code.AmountMinor); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "counter code paid", func() bool {
		c, _ := w.db.MerchantQRISCode(ctx, w.m.ID, code.ID)
		return c.PaymentID != 0
	})
	// … and a customer scanning the sticker with an amount of their own.
	if _, err := w.sandbox.PayStaticQRIS(ctx, cust, 1_750_000); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "static payment", func() bool {
		ps, _, _ := w.db.MerchantPayments(ctx, w.m.ID, db.PaymentFilter{})
		return len(ps) == 2
	})
	// A payment whose callback the sandbox drops.
	lost := w.sale(t, "/invoices", url.Values{"amount": {"12.000"}, "description": {"Gula"}, "method": {"QRIS"}}, true)
	// The whole settled balance withdrawn.
	res, _ = w.post(t, "/withdrawals/inquiry", nil)
	token := strings.TrimPrefix(res.Request.URL.Path, "/withdrawals/confirm/")
	res, _ = w.post(t, "/withdrawals/confirm/"+token, url.Values{"pin": {"135790"}})
	wd, err := w.db.MerchantWithdrawal(ctx, w.m.ID, idAt(t, res, "/withdrawals/"))
	if err != nil || (wd.Status != db.WithdrawalPending && wd.Status != db.WithdrawalSuccess) {
		t.Fatalf("withdrawal %+v %v", wd, err)
	}
	// The deposit topped up, and a split fee taken from it.
	top := w.sale(t, "/deposits/topup", url.Values{"amount": {"100.000"}, "method": {"QRIS"}}, false)
	if top.Purpose != "topup_deposit" {
		t.Fatalf("top-up %+v", top)
	}
	w.post(t, "/deposits/splitfee", url.Values{"invoice_id": {strconv.FormatInt(sale.ID, 10)}, "fee": {"1.500"}})
	// A convenience-store bill, paid at the store (NICEPAY simulated).
	res, _ = w.post(t, "/cvs", url.Values{"name": {"Siti Aminah"}, "phone": {"0812 3456 7890"}, "email": {"siti@contoh.id"},
		"goods": {"Paket sembako"}, "amount": {"75.000"}, "expiry": {"24"}})
	bill := idAt(t, res, "/cvs/")
	w.post(t, "/cvs/"+strconv.FormatInt(bill, 10)+"/simulate", url.Values{"step": {"pay"}})
	waitFor(t, "CVS bill paid", func() bool {
		b, _ := w.db.MerchantCVSBill(ctx, w.m.ID, bill)
		return b.Status == db.CVSPaid
	})
	if iv := w.invoice(t, lost.ID); iv.Status != db.InvoicePending {
		t.Fatalf("the dropped callback arrived: %s", iv.Status)
	}

	// Past the grace period, the owner syncs.
	time.Sleep(1200 * time.Millisecond)
	w.sync(t)
	var rows []reconRow
	var proof *goquery.Selection
	waitFor(t, "the pairing of the sync", func() bool {
		rows, proof = w.page(t)
		return len(rows) >= 8
	})
	var exceptions []reconRow
	reasons := map[string]int{}
	for _, r := range rows {
		if r.outcome != string(db.OutcomeMatched) {
			exceptions = append(exceptions, r)
			continue
		}
		if !strings.HasPrefix(r.reason, "cocok: ") {
			t.Errorf("matched row without its reason: %+v", r)
		}
		reasons[r.reason]++
	}
	if len(exceptions) != 1 || exceptions[0].outcome != string(db.OutcomeNetzmeOnly) || exceptions[0].netzmeID != lost.NetzmeTrxID ||
		!strings.Contains(exceptions[0].reason, "hanya di Netzme") {
		t.Fatalf("exceptions %+v, want exactly the dropped payment %s as only at Netzme", exceptions, lost.NetzmeTrxID)
	}
	// Three invoices (two sales, the top-up), two static payments, the
	// withdrawal, the split fee; the CVS bill is NICEPAY's.
	for reason, n := range map[string]int{"cocok: ID transaksi invoice sama": 3, "cocok: rrn + tanggal + issuer": 2,
		"cocok: nomor referensi penarikan sama": 1, "cocok: partnerReferenceNo kita sama": 1} {
		if reasons[reason] != n {
			t.Errorf("%d rows %q, want %d (all: %v)", reasons[reason], reason, n, reasons)
		}
	}
	net := lost.AmountMinor - w.sandbox.MDR(lost.AmountMinor)
	if d := proof.AttrOr("data-difference", ""); d != strconv.FormatInt(net, 10) || !strings.Contains(proof.Text(), "menjelaskan seluruh selisih") {
		t.Errorf("proof before the payment is applied: difference %s, %q; want %d explained", d, proof.Text(), net)
	}

	// The owner presses "Perbarui status" on the invoice: Netzme says it
	// was paid; after the next sync the books agree.
	w.post(t, "/invoices/"+strconv.FormatInt(lost.ID, 10)+"/refresh", nil)
	if iv := w.invoice(t, lost.ID); iv.Status != db.InvoicePaid {
		t.Fatalf("after Perbarui status: %s", iv.Status)
	}
	w.sync(t)
	waitFor(t, "everything matched", func() bool {
		rows, proof = w.page(t)
		for _, r := range rows {
			if r.outcome != string(db.OutcomeMatched) {
				return false
			}
		}
		return len(rows) >= 8 && proof.AttrOr("data-difference", "") == "0"
	})
	if !strings.Contains(proof.Find(`[data-testid=balance-proof-state]`).Text(), "Buku cocok") {
		t.Errorf("proof %q, want Buku cocok", proof.Text())
	}
	nb, err := w.sandbox.Balances(ctx, cust)
	if err != nil {
		t.Fatal(err)
	}
	if got := proof.Find(`[data-testid=balance-proof-netzme]`).Text(); got != views.IDR(nb.TotalMinor) {
		t.Errorf("Netzme's balance shown %q, the sandbox holds %d", got, nb.TotalMinor)
	}
	// The dashboard says the same.
	doc, _ := getDoc(t, w.c, w.URL+"/")
	if d := doc.Find(`[data-testid=balance-proof]`).AttrOr("data-difference", ""); d != "0" {
		t.Errorf("dashboard proof difference %q", d)
	}
}
