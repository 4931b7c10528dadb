package sandbox_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"lapak/netzme"
	"lapak/netzme/sandbox"
)

func TestCallbackRetriedAfter500(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	e.rc.failN.Store(2) // Lapak answers 500 twice, then 200
	it := e.qrisInvoice(t, 1_000_000)
	if _, err := e.sb.PayInvoice(ctx, it.TrxID, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	got := e.rc.all()
	if len(got) != 3 {
		t.Fatalf("attempts received = %d, want 3", len(got))
	}
	for _, r := range got {
		if r.Token != e.sb.Identity().CallbackToken || string(r.Body) != string(got[0].Body) {
			t.Error("a retry changed token or body")
		}
	}
	d := e.sb.Deliveries()
	if len(d) != 1 || d[0].Status != "delivered" || d[0].Attempts != 3 || d[0].LastHTTPStatus != 200 {
		t.Errorf("delivery = %+v", d)
	}
}

func TestCallbackGivesUpAfterBoundedAttempts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *sandbox.Options) { o.CallbackAttempts = 3; o.CallbackBackoff = time.Millisecond })
	ctx := ctxT(t)
	e.rc.failN.Store(100)
	q, err := e.sb.PayStaticQRIS(ctx, e.demo.CustID, 1_500_000)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sb.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	d := e.sb.Deliveries()
	if len(d) != 1 || d[0].Status != "failed" || d[0].Attempts != 3 || d[0].Ref != q.ReferenceID {
		t.Errorf("delivery = %+v", d)
	}
	if n := len(e.rc.all()); n != 3 {
		t.Errorf("attempts = %d, want 3", n)
	}
}

func TestStaticQRISCallback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	q, err := e.sb.PayStaticQRIS(ctx, e.demo.CustID, 2_100_000)
	if err != nil {
		t.Fatal(err)
	}
	e.sb.WaitIdle(ctx)
	got := e.rc.all()
	if len(got) != 1 || got[0].Path != "/callbacks/netzme/qris" {
		t.Fatalf("callbacks = %+v", got)
	}
	dec, err := netzme.DecodeQRISCallback(got[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	if !dec.Paid() || dec.RRN != q.RRN || dec.AmountMinor != 2_100_000 || dec.FeeMinor != q.FeeMinor ||
		dec.NetAmountMinor != 2_100_000-q.FeeMinor || dec.CustIDMerchant != e.demo.CustID || dec.LocalTransactionDate != q.LocalDate {
		t.Errorf("callback = %+v, payment %+v", dec, q)
	}
	// The merchant's history and balance show it.
	b, _ := e.sb.Balances(ctx, e.demo.CustID)
	if b.TotalMinor != 2_100_000-q.FeeMinor {
		t.Errorf("balance = %d", b.TotalMinor)
	}
	acq, err := e.c.QRISAcquireTransaction(ctx, netzme.QRISAcquireRequest{PartnerReferenceNo: ref(), ReferenceID: q.ReferenceID})
	if err != nil || acq.AmountMinor != 2_100_000 {
		t.Errorf("acquire = %+v %v", acq, err)
	}
}

func TestCallbackFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	e.sb.InjectCallbackFault(sandbox.CallbackFault{Kind: sandbox.CallbackDrop})
	dropped := e.qrisInvoice(t, 1_000_000)
	e.sb.PayInvoice(ctx, dropped.TrxID, 0)
	e.sb.InjectCallbackFault(sandbox.CallbackFault{Kind: sandbox.CallbackDuplicate})
	dup := e.qrisInvoice(t, 1_100_000)
	e.sb.PayInvoice(ctx, dup.TrxID, 0)
	e.sb.InjectCallbackFault(sandbox.CallbackFault{Kind: sandbox.CallbackDelay, Delay: 300 * time.Millisecond})
	delayed := e.qrisInvoice(t, 1_200_000)
	start := time.Now()
	e.sb.PayInvoice(ctx, delayed.TrxID, 0)
	if err := e.sb.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range e.rc.all() {
		cb, err := netzme.DecodeInvoiceCallback(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		count[cb.OriginalReferenceNo]++
	}
	if count[dropped.TrxID] != 0 || count[dup.TrxID] != 2 || count[delayed.TrxID] != 1 {
		t.Errorf("deliveries per transaction: dropped %d, duplicated %d, delayed %d", count[dropped.TrxID], count[dup.TrxID], count[delayed.TrxID])
	}
	for _, d := range e.sb.Deliveries() {
		if d.Ref == delayed.TrxID && d.DeliveredAt.Sub(start) < 250*time.Millisecond {
			t.Errorf("delayed callback delivered after %v", d.DeliveredAt.Sub(start))
		}
	}
	// A dropped callback still paid: status query shows it (reconciliation path).
	st, err := e.c.InvoiceTransaction(ctx, netzme.InvoiceTransactionQuery{PartnerReferenceNo: ref(), TrxID: dropped.TrxID})
	if err != nil || !st.Paid() {
		t.Errorf("dropped callback's transaction: %+v %v", st, err)
	}
}

func TestFaultInjection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *sandbox.Options) { o.WithdrawSettleDelay = -1 })
	ctx := ctxT(t)
	cfg := e.srv.Config()
	cfg.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond}
	c, err := netzme.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	before := func() int { all, _ := e.sb.InvoiceTransactions(ctx); return len(all) }
	req := func() netzme.InvoiceTransactionRequest {
		return netzme.InvoiceTransactionRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID, AmountMinor: 1_000_000, PayMethod: netzme.PayQRIS}
	}
	ep := string(netzme.EndpointCreateInvoiceTransaction)
	for _, tc := range []struct {
		kind  sandbox.FaultKind
		apply bool
	}{{sandbox.Fault500, false}, {sandbox.FaultGarbage, false}, {sandbox.FaultTimeout, false}, {sandbox.Fault500, true}, {sandbox.FaultTimeout, true}} {
		n := before()
		e.sb.InjectFault(ep, sandbox.Fault{Kind: tc.kind, Apply: tc.apply})
		r := req()
		_, err := c.CreateInvoiceTransaction(ctx, r)
		if !errors.Is(err, netzme.ErrOutcomeUnknown) {
			t.Errorf("%v apply=%v: err = %v, want ErrOutcomeUnknown", tc.kind, tc.apply, err)
		}
		created := before() - n
		if (created == 1) != tc.apply {
			t.Errorf("%v apply=%v: %d transactions created", tc.kind, tc.apply, created)
		}
		// Reconciliation: the status query by partner reference tells the truth.
		_, err = c.InvoiceTransaction(ctx, netzme.InvoiceTransactionQuery{PartnerReferenceNo: ref(), TrxID: r.PartnerReferenceNo})
		if found := err == nil; found != tc.apply {
			t.Errorf("%v apply=%v: status query found=%v (%v)", tc.kind, tc.apply, found, err)
		}
	}
	// The fault is used up: the next call works.
	if _, err := c.CreateInvoiceTransaction(ctx, req()); err != nil {
		t.Errorf("after faults: %v", err)
	}
	if len(e.sb.PendingFaults()) != 0 {
		t.Errorf("faults left: %v", e.sb.PendingFaults())
	}
	var faulted int
	for _, r := range e.sb.Requests() {
		if r.Fault != "" {
			faulted++
		}
	}
	if faulted != 5 {
		t.Errorf("requests with a fault = %d, want 5", faulted)
	}
}

// "Withdraw Process times out but Netzme did pay": the withdrawal exists,
// the status query finds it, and a resend is refused — never two payouts.
func TestWithdrawTimeoutButPaid(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *sandbox.Options) { o.WithdrawSettleDelay = -1 })
	ctx := ctxT(t)
	cust := e.demo.CustID
	e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust, PIN: "112233"})
	net := e.fund(t, 3_000_000)
	cfg := e.srv.Config()
	cfg.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond}
	c, _ := netzme.New(cfg)
	inq, err := c.WithdrawInquiry(ctx, netzme.WithdrawInquiryRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust})
	if err != nil {
		t.Fatal(err)
	}
	e.sb.InjectFault(string(netzme.EndpointWithdrawProcess), sandbox.Fault{Kind: sandbox.FaultTimeout, Apply: true})
	_, err = c.WithdrawProcess(ctx, inq.Withdrawal("wd-timeout", cust, "112233"))
	if !errors.Is(err, netzme.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	if err := e.sb.SettleWithdrawal("wd-timeout", true); err != nil {
		t.Fatal(err)
	}
	st, err := c.WithdrawInformation(ctx, netzme.WithdrawInformationRequest{PartnerReferenceNo: ref(), ReferenceNo: "wd-timeout"})
	if err != nil || st.Status != "SUCCESS" || st.AmountMinor != net {
		t.Fatalf("status = %+v %v", st, err)
	}
	_, err = c.WithdrawProcess(ctx, inq.Withdrawal("wd-timeout", cust, "112233"))
	wantAPIError(t, err, http.StatusConflict, "4094301")
	wds, _ := e.sb.Withdrawals(ctx)
	if len(wds) != 1 {
		t.Errorf("withdrawals = %d, want 1", len(wds))
	}
}

// Every balance is the sum of its ledger, and the ledger matches the
// business records: money in = money out + balance.
func TestLedgerInvariant(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *sandbox.Options) { o.WithdrawSettleDelay = -1 })
	ctx := ctxT(t)
	cust := e.demo.CustID
	e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust, PIN: "121212"})
	const credit = 777_700
	e.sb.Credit(ctx, cust, sandbox.WalletBalance, credit, "opening")
	for _, a := range []int64{1_000_000, 2_345_600, 9_999_900} {
		e.fund(t, a)
	}
	wrong := e.qrisInvoice(t, 5_000_000)
	e.sb.PayInvoice(ctx, wrong.TrxID, 4_000_000) // paid too little
	e.sb.PayStaticQRIS(ctx, cust, 1_234_500)
	top, _ := e.c.TopupDeposit(ctx, netzme.InvoiceTransactionRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust, AmountMinor: 10_000_000, PayMethod: netzme.PayQRIS})
	e.sb.PayInvoice(ctx, top.TrxID, 0)
	const fee = 250_000
	e.c.DeductDepositSplitFee(ctx, netzme.DeductDepositRequest{ReferenceNo: ref(), PartnerReferenceNo: ref(), CustIDMerchant: cust,
		AmountMinor: 5_000_000, FeeMinor: fee, SKU: "s", ProductName: "p", PayMethod: "QRIS", BankName: "BCA"})
	inq, _ := e.c.WithdrawInquiry(ctx, netzme.WithdrawInquiryRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust})
	first, err := e.c.WithdrawProcess(ctx, inq.Withdrawal(ref(), cust, "121212"))
	if err != nil {
		t.Fatal(err)
	}
	e.sb.SettleWithdrawal(first.ReferenceNo, false) // money comes back
	e.fund(t, 1_500_000)
	inq, _ = e.c.WithdrawInquiry(ctx, netzme.WithdrawInquiryRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust})
	second, err := e.c.WithdrawProcess(ctx, inq.Withdrawal(ref(), cust, "121212"))
	if err != nil {
		t.Fatal(err)
	}
	e.sb.SettleWithdrawal(second.ReferenceNo, true)
	e.fund(t, 1_100_000) // something left in the balance

	var in, depositIn int64
	trxs, _ := e.sb.InvoiceTransactions(ctx)
	for _, tr := range trxs {
		if tr.Status != "SUCCESS" {
			continue
		}
		if tr.APISource == "topup_deposit" {
			depositIn += tr.PaidAmountMinor - tr.PaidFeeMinor
		} else {
			in += tr.PaidAmountMinor - tr.PaidFeeMinor
		}
	}
	qs, _ := e.sb.QRISPayments(ctx)
	for _, q := range qs {
		if q.TrxID == "" {
			in += q.AmountMinor - q.FeeMinor
		}
	}
	var out int64
	wds, _ := e.sb.Withdrawals(ctx)
	for _, w := range wds {
		if w.Status != "FAILED" && w.Wallet == sandbox.WalletBalance {
			out += w.AmountMinor
		}
	}
	b, _ := e.sb.Balances(ctx, cust)
	if in+credit != out+b.TotalMinor {
		t.Errorf("sales: in %d + credit %d != out %d + balance %d", in, credit, out, b.TotalMinor)
	}
	if depositIn != fee+b.DepositMinor {
		t.Errorf("deposit: in %d != fee %d + deposit %d", depositIn, fee, b.DepositMinor)
	}
	if b.TotalMinor <= 0 || out <= 0 {
		t.Errorf("scenario moved no money: balance %d out %d", b.TotalMinor, out)
	}
	// The API reports exactly the ledger.
	bal, _ := e.c.BalanceDetail(ctx, netzme.BalanceRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust})
	dep, _ := e.c.DepositBalance(ctx, netzme.BalanceRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust})
	if bal.TotalMinor != b.TotalMinor || dep.TotalMinor != b.DepositMinor {
		t.Errorf("API balance %d/%d, ledger %d/%d", bal.TotalMinor, dep.TotalMinor, b.TotalMinor, b.DepositMinor)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sandbox.db")
	ctx := ctxT(t)
	open := func(opts sandbox.Options) *sandbox.Sandbox {
		opts.StatePath = path
		sb, err := sandbox.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		return sb
	}
	first := open(sandbox.Options{})
	id, demo := first.Identity(), first.DemoMerchant()
	if demo.Name != "Toko Contoh" || len(id.ClientSecret) != 32 || id.CallbackToken == "" {
		t.Errorf("generated identity %q secret len %d, demo %q", id.ClientID, len(id.ClientSecret), demo.Name)
	}
	first.Credit(ctx, demo.CustID, sandbox.WalletBalance, 1_234_500, "demo")
	first.Close()

	second := open(sandbox.Options{})
	if got := second.Identity(); got.ClientID != id.ClientID || got.ClientSecret != id.ClientSecret || string(got.PrivateKeyPEM) != string(id.PrivateKeyPEM) || got.CallbackToken != id.CallbackToken {
		t.Error("identity changed across restart")
	}
	if got := second.DemoMerchant(); got != demo {
		t.Errorf("demo merchant changed: %+v vs %+v", got, demo)
	}
	if b, _ := second.Balances(ctx, demo.CustID); b.TotalMinor != 1_234_500 {
		t.Errorf("balance after restart = %d", b.TotalMinor)
	}
	second.Close()

	// Options override the stored identity (NETZME_* set by an operator).
	third := open(sandbox.Options{ClientSecret: "override-secret", CallbackToken: "cb-token"})
	defer third.Close()
	if got := third.Identity(); got.ClientSecret != "override-secret" || got.CallbackToken != "cb-token" || got.ClientID != id.ClientID {
		t.Errorf("override: %+v", got)
	}
	cfg := third.Config("http://127.0.0.1:1")
	if cfg.ClientSecret != "override-secret" || cfg.ChannelID != sandbox.ChannelID || cfg.PrivateKey == nil {
		t.Errorf("config = %+v", cfg.ClientID)
	}
}

func TestRequestsRedactPIN(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: "redact-1", CustIDMerchant: e.demo.CustID, PIN: "987654"})
	reqs := e.sb.Requests()
	last := reqs[len(reqs)-1]
	if last.Endpoint != string(netzme.EndpointCreatePIN) || last.PartnerReferenceNo != "redact-1" || last.ResponseCode != "2000000" || last.ExternalID == "" {
		t.Errorf("request = %+v", last)
	}
	var body struct {
		AdditionalInfo struct{ PIN string } `json:"additionalInfo"`
	}
	json.Unmarshal(last.RequestBody, &body)
	if body.AdditionalInfo.PIN != "***" {
		t.Errorf("PIN hash kept in the log: %q", body.AdditionalInfo.PIN)
	}
}

// A callback that could not be delivered before a restart is delivered after
// it, to the callback URL of the new run.
func TestPendingCallbackSurvivesRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sandbox.db")
	ctx := ctxT(t)
	down := newReceiver(t)
	down.failN.Store(1000)
	first, err := sandbox.Open(ctx, sandbox.Options{StatePath: path, CallbackBaseURL: down.srv.URL, CallbackBackoff: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	q, err := first.PayStaticQRIS(ctx, first.DemoMerchant().CustID, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	for len(down.all()) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	first.Close()

	up := newReceiver(t)
	second, err := sandbox.Open(ctx, sandbox.Options{StatePath: path, CallbackBaseURL: up.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if err := second.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	got := up.all()
	if len(got) != 1 {
		t.Fatalf("after restart: %d deliveries", len(got))
	}
	dec, err := netzme.DecodeQRISCallback(got[0].Body)
	if err != nil || dec.RRN != q.RRN {
		t.Errorf("delivered %+v %v", dec, err)
	}
	if d := second.Deliveries(); d[0].Attempts != 2 || d[0].URL != up.srv.URL+"/callbacks/netzme/qris" {
		t.Errorf("delivery = %+v", d[0])
	}
}
