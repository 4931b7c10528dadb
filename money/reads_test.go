package money_test

import (
	"net/http"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
	"lapak/money"
	"lapak/netzme"
	"lapak/netzme/sandbox"
	"lapak/netzme/sandbox/sandboxtest"
)

// readsApp is a Service whose Netzme client talks HTTP to a sandbox, with
// one merchant linked to the sandbox's demo merchant.
func readsApp(t *testing.T) (*money.Service, *sandboxtest.Server, db.Merchant, *db.DB) {
	t.Helper()
	sb := sandboxtest.NewServer(t, func(o *sandbox.Options) { o.Now = clocktest.Running(t) })
	clock := clocktest.Fixed(t)
	d := dbtest.New(t, clock)
	cfg := sb.Config()
	cfg.HTTPClient = &http.Client{Timeout: 1500 * time.Millisecond}
	cfg.Observer = money.Recorder{DB: d, Now: clock}
	nz, err := netzme.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	demo := sb.Sandbox.DemoMerchant()
	m, err := d.CreateMerchant(t.Context(), db.NewMerchant{Name: demo.Name, NetzmeCustID: demo.CustID})
	if err != nil {
		t.Fatal(err)
	}
	return money.New(money.Deps{DB: d, Netzme: nz, Now: clock}), sb, m, d
}

func requestsTo(sb *sandboxtest.Server, ep netzme.Endpoint) int {
	n := 0
	for _, r := range sb.Sandbox.Requests() {
		if r.Endpoint == string(ep) {
			n++
		}
	}
	return n
}

func TestCheckStaticPaymentsAgainstNetzmeRecord(t *testing.T) {
	t.Parallel()
	s, sb, m, d := readsApp(t)
	q, err := sb.Sandbox.PayStaticQRIS(t.Context(), m.NetzmeCustID, 25_000_00)
	if err != nil {
		t.Fatal(err)
	}
	a := money.Actor{MerchantID: m.ID}
	got := s.CheckStaticPayments(t.Context(), a, []money.StaticPayment{
		{Key: q.ReferenceID, AmountMinor: q.AmountMinor},
		{Key: q.ReferenceID, AmountMinor: q.AmountMinor + 100},
		{Key: "NOSUCHRRN00020261121" + q.IssuerID, AmountMinor: 1},
	})
	want := []money.PaymentCheck{money.PaymentConfirmed, money.PaymentMismatch, money.PaymentMissing}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("check %d = %q, want %q", i, got[i], want[i])
		}
	}
	calls, _ := d.APICalls(t.Context(), m.ID, 10)
	lookups := 0
	for _, c := range calls {
		if c.Endpoint == string(netzme.EndpointQRISAcquireTransaction) {
			lookups++
		}
	}
	if lookups != 3 {
		t.Errorf("%d look-ups on record for the merchant, want 3", lookups)
	}

	// Netzme failing: the first look-up says so, the rest are not asked.
	before := requestsTo(sb, netzme.EndpointQRISAcquireTransaction)
	sb.Sandbox.InjectFault(string(netzme.EndpointQRISAcquireTransaction), sandbox.Fault{Kind: sandbox.Fault500})
	got = s.CheckStaticPayments(t.Context(), a, []money.StaticPayment{
		{Key: q.ReferenceID, AmountMinor: q.AmountMinor}, {Key: q.ReferenceID, AmountMinor: q.AmountMinor},
	})
	if got[0] != money.PaymentUnverified || got[1] != money.PaymentUnverified {
		t.Errorf("checks while Netzme fails = %q", got)
	}
	if n := requestsTo(sb, netzme.EndpointQRISAcquireTransaction) - before; n != 1 {
		t.Errorf("%d look-ups reached a failing Netzme, want 1", n)
	}
}

func TestNetzmeTransactionsStopWhenNetzmeFails(t *testing.T) {
	t.Parallel()
	s, sb, m, _ := readsApp(t)
	a := money.Actor{MerchantID: m.ID}
	day := time.Date(2026, 11, 18, 0, 0, 0, 0, time.FixedZone("WIB", 7*3600))
	if _, ok, err := s.NetzmeTransactions(t.Context(), a, day, day.AddDate(0, 0, 3)); err != nil || !ok {
		t.Fatalf("three quiet days: ok=%v err=%v", ok, err)
	}
	if n := requestsTo(sb, netzme.EndpointTransactionList); n != 3 {
		t.Errorf("%d list calls for three empty days, want 3", n)
	}
	sb.Sandbox.InjectFault(string(netzme.EndpointTransactionList), sandbox.Fault{Kind: sandbox.Fault500})
	_, ok, err := s.NetzmeTransactions(t.Context(), a, day, day.AddDate(0, 0, 3))
	if err != nil || ok {
		t.Errorf("with Netzme failing: ok=%v err=%v, want not ok and no error of Lapak's", ok, err)
	}
	if n := requestsTo(sb, netzme.EndpointTransactionList); n != 4 {
		t.Errorf("%d list calls in all, want 4: no day asked after the failure", n)
	}
}
