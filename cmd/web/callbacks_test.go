package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
	"lapak/netzme"
	"lapak/netzme/sandbox"
)

// roundTripInvoice creates an invoice for the demo merchant the way the
// invoice pages do — intent first, then Create Invoice Transaction on the
// sandbox, then Netzme's answer — and returns it with its trxId.
func roundTripInvoice(t *testing.T, a *testApp, ref string, amountMinor int64) (db.Invoice, string) {
	t.Helper()
	ctx := t.Context()
	demo := a.sandbox.DemoMerchant()
	m, err := a.db.MerchantByNetzmeCustID(ctx, demo.CustID)
	if err != nil {
		t.Fatal(err)
	}
	iv, err := a.db.CreateInvoiceIntent(ctx, db.NewInvoice{MerchantID: m.ID, PartnerReferenceNo: ref, Method: "QRIS",
		AmountMinor: amountMinor, ExpiresAt: a.now().Add(time.Hour)}, db.AuditEntry{Action: "invoice.create"})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := a.netzme.CreateInvoiceTransaction(ctx, netzme.InvoiceTransactionRequest{PartnerReferenceNo: ref,
		CustIDMerchant: demo.CustID, AmountMinor: amountMinor, PayMethod: netzme.PayQRIS, TerminalID: "A01", ExpireIn: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.ChangeInvoice(ctx, iv.ID, db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown}, To: db.InvoicePending,
		Source: "netzme", Created: &db.InvoiceCreated{NetzmeTrxID: tr.TrxID, NetzmeInvoiceID: tr.InvoiceID, ExpiresAt: tr.ExpiresAt}}, db.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	// The app's resolver may have settled the unknown intent first (it asks
	// Netzme about every unknown invoice): either way it is pending now.
	if iv, err = a.db.MerchantInvoice(ctx, m.ID, iv.ID); err != nil || iv.Status != db.InvoicePending || iv.NetzmeTrxID != tr.TrxID {
		t.Fatalf("invoice after creation: %s trx %q, %v; want pending with %s", iv.Status, iv.NetzmeTrxID, err, tr.TrxID)
	}
	return iv, tr.TrxID
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func invoiceCallbacks(t *testing.T, a *testApp) []db.Callback {
	t.Helper()
	p, err := a.db.Callbacks(t.Context(), db.CallbackFilter{Kind: db.CallbackInvoice}, "", 10_000)
	if err != nil {
		t.Fatal(err)
	}
	return p.Rows
}

func statusCount(cbs []db.Callback) map[db.CallbackStatus]int {
	m := map[db.CallbackStatus]int{}
	for _, c := range cbs {
		m[c.Status]++
	}
	return m
}

// checkPaidOnce asserts the one correct record: invoice paid with the
// sandbox's gross/fee/net and exactly one paid step in its timeline.
func checkPaidOnce(t *testing.T, a *testApp, iv db.Invoice, p sandbox.Payment) {
	t.Helper()
	got, err := a.db.MerchantInvoice(t.Context(), iv.MerchantID, iv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != db.InvoicePaid || got.PaidAmountMinor.Int64 != p.AmountMinor {
		t.Errorf("invoice = %s paid %v, want paid %d", got.Status, got.PaidAmountMinor, p.AmountMinor)
	}
	evs, _ := a.db.InvoiceEvents(t.Context(), iv.ID)
	n := 0
	for _, e := range evs {
		if e.Status == db.InvoicePaid {
			n++
		}
	}
	if n != 1 {
		t.Errorf("timeline has %d paid steps, want 1", n)
	}
}

func TestSandboxPaymentCallbackMarksInvoicePaid(t *testing.T) {
	a := startTestApp(t, nil)
	iv, trx := roundTripInvoice(t, a, "RT-PAID-1", 2_000_000)
	p, err := a.sandbox.PayInvoice(t.Context(), trx, 0)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "callback applied", func() bool { return statusCount(invoiceCallbacks(t, a))[db.CallbackApplied] == 1 })
	checkPaidOnce(t, a, iv, p)
	got, _ := a.db.MerchantInvoice(t.Context(), iv.MerchantID, iv.ID)
	if got.FeeMinor.Int64 != p.FeeMinor || got.NetMinor.Int64 != p.NetMinor {
		t.Errorf("fee/net = %v/%v, want %d/%d", got.FeeMinor, got.NetMinor, p.FeeMinor, p.NetMinor)
	}
	if d := a.sandbox.Deliveries(); len(d) != 1 || d[0].Status != "delivered" {
		t.Errorf("sandbox deliveries = %+v, want one delivered", d)
	}
}

// Also on PostgreSQL, started through LAPAK_DATABASE_URL as an operator would.
func TestSandboxDuplicatedCallbackCreditsOnce(t *testing.T) {
	dbtest.Each(t, sandboxDuplicatedCallbackCreditsOnce)
}

func sandboxDuplicatedCallbackCreditsOnce(t *testing.T, e dbtest.Engine) {
	var env map[string]string
	if e == dbtest.Postgres {
		env = map[string]string{"LAPAK_DATABASE_URL": dbtest.PostgresURL(t)}
	}
	a := startTestApp(t, env)
	if a.db.Engine() != string(e) {
		t.Fatalf("the app runs on %s, want %s", a.db.Engine(), e)
	}
	iv, trx := roundTripInvoice(t, a, "RT-DUP-1", 750_000)
	a.sandbox.InjectCallbackFault(sandbox.CallbackFault{Kind: sandbox.CallbackDuplicate})
	p, err := a.sandbox.PayInvoice(t.Context(), trx, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := a.sandbox.WaitDelivered(ctx, 2); err != nil {
		t.Fatal(err)
	}
	c := statusCount(invoiceCallbacks(t, a))
	if c[db.CallbackApplied] != 1 || c[db.CallbackDuplicate] != 1 {
		t.Errorf("callbacks = %v, want 1 applied + 1 duplicate", c)
	}
	checkPaidOnce(t, a, iv, p)
}

func TestSandboxDroppedCallbackThenRetry(t *testing.T) {
	a := startTestApp(t, nil)
	iv, trx := roundTripInvoice(t, a, "RT-DROP-1", 1_250_000)
	a.sandbox.InjectCallbackFault(sandbox.CallbackFault{Kind: sandbox.CallbackDrop})
	p, err := a.sandbox.PayInvoice(t.Context(), trx, 0)
	if err != nil {
		t.Fatal(err)
	}
	ds := a.sandbox.Deliveries()
	if len(ds) != 1 || ds[0].Status != "dropped" {
		t.Fatalf("deliveries = %+v, want one dropped", ds)
	}
	if got, _ := a.db.MerchantInvoice(t.Context(), iv.MerchantID, iv.ID); got.Status != db.InvoicePending {
		t.Fatalf("invoice %s before any callback", got.Status)
	}
	// Netzme retries the same notification (twice, for good measure).
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/callbacks/netzme/invoice", bytes.NewReader(ds[0].Body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-callback-token", a.sandbox.Identity().CallbackToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("retry answered %d", res.StatusCode)
		}
	}
	c := statusCount(invoiceCallbacks(t, a))
	if c[db.CallbackApplied] != 1 || c[db.CallbackDuplicate] != 1 {
		t.Errorf("callbacks = %v, want 1 applied + 1 duplicate", c)
	}
	checkPaidOnce(t, a, iv, p)
}

func TestSandboxDelayedCallbackAfterManualRefresh(t *testing.T) {
	a := startTestApp(t, nil)
	iv, trx := roundTripInvoice(t, a, "RT-LATE-1", 990_000)
	a.sandbox.InjectCallbackFault(sandbox.CallbackFault{Kind: sandbox.CallbackDelay, Delay: 700 * time.Millisecond})
	p, err := a.sandbox.PayInvoice(t.Context(), trx, 0)
	if err != nil {
		t.Fatal(err)
	}
	// "Perbarui status": Get Invoice Transaction, then the guarded change.
	st, err := a.netzme.InvoiceTransaction(t.Context(), netzme.InvoiceTransactionQuery{PartnerReferenceNo: "RT-LATE-1-q", TrxID: trx})
	if err != nil || !st.Paid() {
		t.Fatalf("status query = %+v, %v", st, err)
	}
	if ok, err := a.db.ChangeInvoice(t.Context(), iv.ID, db.InvoiceChange{From: []db.InvoiceStatus{db.InvoicePending}, To: db.InvoicePaid,
		Source: "refresh", Paid: &db.InvoicePayment{PaidAmountMinor: st.AmountMinor, PaidAt: a.now()}}, db.AuditEntry{}); !ok || err != nil {
		t.Fatalf("refresh: %v %v", ok, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := a.sandbox.WaitDelivered(ctx, 1); err != nil {
		t.Fatal(err)
	}
	cbs := invoiceCallbacks(t, a)
	if len(cbs) != 1 || cbs[0].Status != db.CallbackDuplicate || cbs[0].Reason != "already_paid" {
		t.Errorf("late callback = %+v, want duplicate/already_paid", cbs)
	}
	checkPaidOnce(t, a, iv, p)
}

func TestStaticQRISRoundTripRecordsPayment(t *testing.T) {
	a := startTestApp(t, nil)
	demo := a.sandbox.DemoMerchant()
	q, err := a.sandbox.PayStaticQRIS(t.Context(), demo.CustID, 1_500_000)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := a.db.MerchantByNetzmeCustID(t.Context(), demo.CustID)
	waitFor(t, "payment recorded", func() bool {
		ps, _, _ := a.db.MerchantPayments(t.Context(), m.ID, db.PaymentFilter{})
		return len(ps) == 1
	})
	ps, tot, _ := a.db.MerchantPayments(t.Context(), m.ID, db.PaymentFilter{})
	if ps[0].AmountMinor != q.AmountMinor || ps[0].FeeMinor != q.FeeMinor || tot.NetMinor != q.AmountMinor-q.FeeMinor {
		t.Errorf("payment = %+v, sandbox paid %+v", ps[0], q)
	}
}

func TestPublicKeyFileConfiguresSNAPCallbacks(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a key"), 0o600)
	cfg, err := parseConfig([]string{"lapak"}, func(k string) string {
		return map[string]string{"NETZME_PUBLIC_KEY_FILE": bad, "LAPAK_DB": filepath.Join(t.TempDir(), "x.db"),
			"LAPAK_ADDR": "127.0.0.1:0", "LAPAK_SANDBOX_ADDR": "127.0.0.1:0"}[k]
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newApp(t.Context(), cfg, clocktest.Running(t), slog.New(slog.DiscardHandler), io.Discard); err == nil {
		t.Error("a bad NETZME_PUBLIC_KEY_FILE must stop start-up")
	}
}
