package sandbox_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"lapak/netzme"
	"lapak/netzme/qris"
	"lapak/netzme/sandbox"
	"lapak/snap"
)

func TestPINLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	cust := e.demo.CustID

	if _, err := e.c.ForgotPIN(ctx, netzme.ForgotPINRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust}); err != nil {
		wantAPIError(t, err, http.StatusNotFound, "4040025") // no PIN yet
	} else {
		t.Fatal("forgot pin before create pin succeeded")
	}
	res, err := e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: "pin-1", CustIDMerchant: cust, PIN: "123456"})
	if err != nil {
		t.Fatal(err)
	}
	if res.PartnerReferenceNo != "pin-1" {
		t.Errorf("echo = %q", res.PartnerReferenceNo)
	}
	// Same PIN again is accepted; a different one is the documented 4040020.
	if _, err := e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust, PIN: "123456"}); err != nil {
		t.Fatalf("same PIN again: %v", err)
	}
	_, err = e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust, PIN: "654321"})
	if ae := wantAPIError(t, err, http.StatusNotFound, "4040020"); ae.Message != "PIN already exist with different value" {
		t.Errorf("message = %q", ae.Message)
	}
	_, err = e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: ref(), CustIDMerchant: "M_unknown1", PIN: "123456"})
	wantAPIError(t, err, http.StatusNotFound, "4040008")

	fp, err := e.c.ForgotPIN(ctx, netzme.ForgotPINRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust})
	if err != nil {
		t.Fatal(err)
	}
	if fp.Cooldown != 5*time.Minute {
		t.Errorf("cooldown = %v, want 5m (spec §3.2 example 300000)", fp.Cooldown)
	}
	_, err = e.c.ForgotPIN(ctx, netzme.ForgotPINRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust})
	if ae := wantAPIError(t, err, http.StatusForbidden, "4030004"); !strings.HasPrefix(ae.Message, "Activity Count Limit Exceeded. wait ") {
		t.Errorf("message = %q", ae.Message)
	}
	sms := e.sb.LastSMS(ctx, cust)
	newPIN := ""
	for _, f := range strings.Fields(sms) {
		if len(strings.Trim(f, ".")) == 6 && strings.Trim(f, ".0123456789") == "" {
			newPIN = strings.Trim(f, ".")
		}
	}
	if newPIN == "" || newPIN == "123456" {
		t.Fatalf("no new PIN in SMS %q", sms)
	}
	// The old PIN is now "different": the reset really replaced it.
	_, err = e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust, PIN: "123456"})
	wantAPIError(t, err, http.StatusNotFound, "4040020")
	if _, err := e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust, PIN: newPIN}); err != nil {
		t.Errorf("new PIN from SMS refused: %v", err)
	}
}

func TestMerchantDetail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	for _, phone := range []string{"6281234567890", "+6281234567890", "081234567890", "+62 812-3456-7890", "(0812) 3456 7890"} {
		d, err := e.c.MerchantDetail(ctx, netzme.MerchantDetailRequest{PartnerReferenceNo: ref(), PhoneNo: phone})
		if err != nil {
			t.Fatalf("%s: %v", phone, err)
		}
		if d.CustIDMerchant != e.demo.CustID || d.AccountName != "Toko Contoh" || d.ClientID != e.sb.Identity().ClientID {
			t.Errorf("%s: got %+v", phone, d)
		}
		p, err := qris.Parse(d.QRStatic)
		if err != nil {
			t.Fatalf("static QRIS invalid: %v", err)
		}
		if p.IsDynamic() || p.NMID != e.demo.NMID || p.MerchantName != "Toko Contoh" {
			t.Errorf("static QRIS = %+v", p)
		}
	}
	for _, phone := range []string{"6289999999999", "1281234567890", "+62 0812 3456 7890", "6281234567890x"} {
		_, err := e.c.MerchantDetail(ctx, netzme.MerchantDetailRequest{PartnerReferenceNo: ref(), PhoneNo: phone})
		wantAPIError(t, err, http.StatusForbidden, "4030818")
	}

	// A merchant registered with a typed number is found by any form of it.
	m, err := e.sb.AddMerchant(ctx, sandbox.Merchant{Name: "Warung Baru", Phone: "0857-1111-2222"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Phone != "6285711112222" {
		t.Errorf("stored phone = %q, want 6285711112222", m.Phone)
	}
	if d, err := e.c.MerchantDetail(ctx, netzme.MerchantDetailRequest{PartnerReferenceNo: ref(), PhoneNo: "+6285711112222"}); err != nil || d.CustIDMerchant != m.CustID {
		t.Errorf("lookup by +62 form: %+v, %v", d, err)
	}
	if _, err := e.sb.AddMerchant(ctx, sandbox.Merchant{Name: "Warung Asing", Phone: "+1 415 555 0100"}); !errors.Is(err, snap.ErrPhonePrefix) {
		t.Errorf("foreign phone: err = %v, want snap.ErrPhonePrefix", err)
	}
}

func TestInvoiceTransactionQRISPaidEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *sandbox.Options) { o.FeeBasisPoints = 70 })
	ctx := ctxT(t)
	it := e.qrisInvoice(t, 2_500_000)
	if !strings.HasPrefix(it.PaymentURL, e.srv.URL+"/sandbox/pay/") || !strings.HasSuffix(it.PaymentURL, it.TrxID) {
		t.Errorf("paymentUrl = %q", it.PaymentURL)
	}
	if !strings.HasPrefix(it.InvoiceID, "NETZ-INV-"+e.demo.CustID) || it.NMID != e.demo.NMID || it.TerminalID != "A01" {
		t.Errorf("transaction = %+v", it)
	}
	payload, err := qris.DecodeDataURI(it.QRImage)
	if err != nil {
		t.Fatalf("qrImage: %v", err)
	}
	p, err := qris.Parse(payload)
	if err != nil {
		t.Fatalf("dynamic QRIS invalid: %v", err)
	}
	if !p.IsDynamic() || p.AmountMinor != 2_500_000 || p.NMID != e.demo.NMID {
		t.Errorf("QRIS = dynamic %v amount %d nmid %s", p.IsDynamic(), p.AmountMinor, p.NMID)
	}
	if got := e.sb.Requests(); got[len(got)-1].Endpoint != string(netzme.EndpointCreateInvoiceTransaction) {
		t.Errorf("last request endpoint = %q", got[len(got)-1].Endpoint)
	}

	st, err := e.c.InvoiceTransaction(ctx, netzme.InvoiceTransactionQuery{PartnerReferenceNo: ref(), TrxID: it.TrxID})
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != netzme.InvoiceInit || st.AmountMinor != 2_500_000 {
		t.Errorf("before payment: %+v", st)
	}

	pay, err := e.sb.PayInvoice(ctx, it.TrxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if pay.FeeMinor != 17_500 || pay.NetMinor != 2_482_500 {
		t.Errorf("fee/net = %d/%d, want 0.7%%: 17500/2482500", pay.FeeMinor, pay.NetMinor)
	}
	if _, err := e.sb.PayInvoice(ctx, it.TrxID, 0); err == nil {
		t.Error("paying twice succeeded")
	}
	if err := e.sb.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	got := e.rc.all()
	if len(got) != 1 {
		t.Fatalf("callbacks = %d, want 1", len(got))
	}
	cb := got[0]
	if cb.Path != "/callbacks/netzme/invoice" || cb.Token != e.sb.Identity().CallbackToken || cb.ContentType != "application/json" {
		t.Errorf("callback path %q token ok %v content type %q", cb.Path, cb.Token == e.sb.Identity().CallbackToken, cb.ContentType)
	}
	dec, err := netzme.DecodeInvoiceCallback(cb.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !dec.Paid() || dec.OriginalReferenceNo != it.TrxID || dec.OriginalPartnerReferenceNo != it.PartnerReferenceNo ||
		dec.AmountMinor != 2_500_000 || dec.FeeMinor != 17_500 || dec.NetAmountMinor != 2_482_500 ||
		dec.InvoiceID != it.InvoiceID || dec.QRDetail == nil || dec.RRN != pay.RRN || dec.IssuerID != "93600814" {
		t.Errorf("callback = %+v", dec)
	}
	for _, quirk := range []string{`"localTrasactionDate":`, `"isSplitfee":false`, `"amount":"IDR 25000.00"`} {
		if !strings.Contains(string(cb.Body), quirk) {
			t.Errorf("callback lacks %s: %s", quirk, cb.Body)
		}
	}

	st, err = e.c.InvoiceTransaction(ctx, netzme.InvoiceTransactionQuery{PartnerReferenceNo: ref(), TrxID: it.TrxID})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Paid() || st.InvoiceStatus != "paid" || st.PaidTs == "" {
		t.Errorf("after payment: %+v", st)
	}
	// The partner reference finds it too (spec §3.14 ambiguity).
	if st2, err := e.c.InvoiceTransaction(ctx, netzme.InvoiceTransactionQuery{PartnerReferenceNo: ref(), TrxID: it.PartnerReferenceNo}); err != nil || st2.ReferenceNo != it.TrxID {
		t.Errorf("by partner reference: %+v %v", st2, err)
	}
	_, err = e.c.InvoiceTransaction(ctx, netzme.InvoiceTransactionQuery{PartnerReferenceNo: ref(), TrxID: "nope"})
	wantAPIError(t, err, http.StatusNotFound, "4041301")

	bal, err := e.c.BalanceDetail(ctx, netzme.BalanceRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID})
	if err != nil {
		t.Fatal(err)
	}
	if bal.TotalMinor != 2_482_500 || bal.SettledMinor != 2_482_500 {
		t.Errorf("balance = %+v", bal)
	}
	acq, err := e.c.QRISAcquireTransaction(ctx, netzme.QRISAcquireRequest{PartnerReferenceNo: ref(), ReferenceID: pay.ReferenceID})
	if err != nil {
		t.Fatal(err)
	}
	if acq.AmountMinor != 2_500_000 || acq.MDRMinor != 17_500 || acq.OriginalPartnerReferenceNo != pay.ReferenceID {
		t.Errorf("acquire = %+v", acq)
	}
	_, err = e.c.QRISAcquireTransaction(ctx, netzme.QRISAcquireRequest{PartnerReferenceNo: ref(), ReferenceID: "XXXXXXXXXXXX2024010193600814"})
	wantAPIError(t, err, http.StatusNotFound, "4041301")

	now := time.Now()
	page, err := e.c.TransactionList(ctx, netzme.TransactionListRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID,
		From: now.Add(-time.Hour), To: now.Add(time.Hour), Page: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Transactions) != 1 || page.Transactions[0].Status != "SUCCESS" || page.Transactions[0].AmountMinor != 2_500_000 || page.Transactions[0].Type != "PAYMENT" {
		t.Errorf("history = %+v", page.Transactions)
	}
	page2, err := e.c.TransactionList(ctx, netzme.TransactionListRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID,
		From: now.Add(-time.Hour), To: now.Add(time.Hour), Page: 2})
	if err != nil || len(page2.Transactions) != 0 {
		t.Errorf("page 2 = %+v, %v", page2.Transactions, err)
	}
	_, err = e.c.TransactionList(ctx, netzme.TransactionListRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID,
		From: now.Add(-72 * time.Hour), To: now})
	wantAPIError(t, err, http.StatusBadRequest, "4001201")
}

func TestInvoiceTransactionValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	base := func() netzme.InvoiceTransactionRequest {
		return netzme.InvoiceTransactionRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID, AmountMinor: 1_000_000, PayMethod: netzme.PayQRIS}
	}
	tests := []struct {
		name   string
		mut    func(*netzme.InvoiceTransactionRequest)
		status int
		code   string
	}{
		{"unknown merchant", func(r *netzme.InvoiceTransactionRequest) { r.CustIDMerchant = "M_nobody00" }, 404, "4044708"},
		{"unknown method", func(r *netzme.InvoiceTransactionRequest) { r.PayMethod = "BITCOIN" }, 400, "4004701"},
		{"fullname with digits", func(r *netzme.InvoiceTransactionRequest) { r.Buyer.FullName = "Budi 2" }, 400, "4004701"},
		{"over the QRIS cap", func(r *netzme.InvoiceTransactionRequest) { r.AmountMinor = 10_000_001_00 }, 403, "4034702"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.mut(&r)
			_, err := e.c.CreateInvoiceTransaction(ctx, r)
			wantAPIError(t, err, tt.status, tt.code)
		})
	}
	r := base()
	if _, err := e.c.CreateInvoiceTransaction(ctx, r); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.CreateInvoiceTransaction(ctx, r)
	wantAPIError(t, err, http.StatusConflict, "4094701")

	va, err := e.c.CreateInvoiceTransaction(ctx, netzme.InvoiceTransactionRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID,
		AmountMinor: 5_000_000, PayMethod: netzme.PayBankTransfer, FeeType: netzme.FeeOnBuyer})
	if err != nil {
		t.Fatal(err)
	}
	if len(va.VirtualAccounts) != 3 || va.QRImage != "" || va.TotalMinor != 5_035_000 || va.FeeMinor != 35_000 {
		t.Errorf("bank transfer = %+v", va)
	}
}

// The sandbox refuses an amount that is not basicAmount + shippingAmount
// (raw_test.go); the client never sends one: it derives basicAmount from the
// total and the shipping, whatever the split (§3.12, §3.21).
func TestInvoiceTransactionAmountsAddUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	for _, tc := range []struct {
		total, shipping int64
		topup           bool
	}{
		{1_000_000, 0, false},
		{1_000_001, 1, false},
		{5_900_000, 900_000, false},
		{1_234_567, 1_234_567, false},
		{10_000_000_00, 15_000_00, false},
		{2_500_000, 50_050, true},
	} {
		in := netzme.InvoiceTransactionRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID,
			AmountMinor: tc.total, ShippingMinor: tc.shipping, PayMethod: netzme.PayBankTransfer}
		create := e.c.CreateInvoiceTransaction
		if tc.topup {
			create = e.c.TopupDeposit
		}
		if _, err := create(ctx, in); err != nil {
			t.Errorf("total %d, shipping %d (topup %v): %v", tc.total, tc.shipping, tc.topup, err)
			continue
		}
		reqs := e.sb.Requests()
		last := reqs[len(reqs)-1]
		var body struct {
			Amount       snap.Amount `json:"amount"`
			AmountDetail struct {
				BasicAmount, ShippingAmount snap.Amount
			} `json:"amountDetail"`
		}
		if err := json.Unmarshal(last.RequestBody, &body); err != nil {
			t.Fatal(err)
		}
		total, _ := body.Amount.Minor()
		basic, _ := body.AmountDetail.BasicAmount.Minor()
		shipping, _ := body.AmountDetail.ShippingAmount.Minor()
		if total != tc.total || shipping != tc.shipping || basic+shipping != total {
			t.Errorf("sent amount %d = basic %d + shipping %d, want %d with shipping %d", total, basic, shipping, tc.total, tc.shipping)
		}
	}
}

func TestCreateInvoice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	inv, err := e.c.CreateInvoice(ctx, netzme.InvoiceRequest{PartnerReferenceNo: "inv-1", CustIDMerchant: e.demo.CustID, AmountMinor: 5_900_000, ShippingMinor: 900_000})
	if err != nil {
		t.Fatal(err)
	}
	if inv.PartnerReferenceNo != "inv-1" || !strings.HasPrefix(inv.InvoiceID, "NETZ-INV-"+e.demo.CustID) {
		t.Errorf("invoice = %+v", inv)
	}
	_, err = e.c.CreateInvoice(ctx, netzme.InvoiceRequest{PartnerReferenceNo: ref(), CustIDMerchant: "M_nobody00", AmountMinor: 100})
	wantAPIError(t, err, http.StatusNotFound, "4040008")
}

func TestFailAndExpireInvoice(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	e := newEnv(t, func(o *sandbox.Options) { o.Now = clk.Now })
	ctx := ctxT(t)
	failed := e.qrisInvoice(t, 1_000_000)
	if err := e.sb.FailInvoice(ctx, failed.TrxID); err != nil {
		t.Fatal(err)
	}
	expiring := e.qrisInvoice(t, 1_000_000)
	clk.Add(16 * time.Minute)
	for _, tc := range []struct{ trx, invoiceStatus string }{{failed.TrxID, "failed"}, {expiring.TrxID, "expired"}} {
		st, err := e.c.InvoiceTransaction(ctx, netzme.InvoiceTransactionQuery{PartnerReferenceNo: ref(), TrxID: tc.trx})
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != netzme.InvoiceClosed || st.InvoiceStatus != tc.invoiceStatus {
			t.Errorf("%s: status %s/%s, want CLOSED/%s", tc.trx, st.Status, st.InvoiceStatus, tc.invoiceStatus)
		}
		if _, err := e.sb.PayInvoice(ctx, tc.trx, 0); err == nil {
			t.Errorf("%s: paying a closed transaction succeeded", tc.trx)
		}
	}
	e.sb.WaitIdle(ctx)
	if n := len(e.rc.all()); n != 0 {
		t.Errorf("%d callbacks for failed/expired payments, want none (spec §3.15 documents success only)", n)
	}
}

func TestWithdrawalFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *sandbox.Options) { o.WithdrawSettleDelay = -1 })
	ctx := ctxT(t)
	cust := e.demo.CustID
	if _, err := e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust, PIN: "246810"}); err != nil {
		t.Fatal(err)
	}
	net := e.fund(t, 5_000_000)
	e.sb.WaitIdle(ctx)

	inq, err := e.c.WithdrawInquiry(ctx, netzme.WithdrawInquiryRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust})
	if err != nil {
		t.Fatal(err)
	}
	if inq.AmountMinor != net || !inq.AmountAllowed || inq.BeneficiaryAccountNumber != e.demo.BankAccountNumber || inq.MinimumMinor != 1_000_000 {
		t.Errorf("inquiry = %+v (net %d)", inq, net)
	}

	// Wrong PIN, wrong amount, wrong account: refused, nothing moves.
	_, err = e.c.WithdrawProcess(ctx, inq.Withdrawal(ref(), cust, "000000"))
	wantAPIError(t, err, http.StatusUnauthorized, "4014300")
	short := inq.Withdrawal(ref(), cust, "246810")
	short.AmountMinor--
	_, err = e.c.WithdrawProcess(ctx, short)
	wantAPIError(t, err, http.StatusNotFound, "4044313")
	more := inq.Withdrawal(ref(), cust, "246810")
	more.AmountMinor++
	_, err = e.c.WithdrawProcess(ctx, more)
	wantAPIError(t, err, http.StatusForbidden, "4034314")
	other := inq.Withdrawal(ref(), cust, "246810")
	other.BeneficiaryAccountNumber = "999"
	_, err = e.c.WithdrawProcess(ctx, other)
	wantAPIError(t, err, http.StatusNotFound, "4044311")

	req := inq.Withdrawal("wd-1", cust, "246810")
	res, err := e.c.WithdrawProcess(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.ReferenceNo == "" || res.PartnerReferenceNo != "wd-1" {
		t.Errorf("withdraw result = %+v", res)
	}
	_, err = e.c.WithdrawProcess(ctx, req)
	wantAPIError(t, err, http.StatusConflict, "4094301") // never pays twice

	for _, key := range []string{res.ReferenceNo, "wd-1", inq.ReferenceNo} {
		st, err := e.c.WithdrawInformation(ctx, netzme.WithdrawInformationRequest{PartnerReferenceNo: ref(), ReferenceNo: key})
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if st.Status != "PENDING" || st.AmountMinor != net || st.PartnerReferenceNo != "wd-1" {
			t.Errorf("%s: status = %+v", key, st)
		}
	}
	b, _ := e.sb.Balances(ctx, cust)
	if b.TotalMinor != 0 {
		t.Errorf("balance while pending = %d, want 0 (held)", b.TotalMinor)
	}
	if err := e.sb.SettleWithdrawal(res.ReferenceNo, true); err != nil {
		t.Fatal(err)
	}
	st, err := e.c.WithdrawInformation(ctx, netzme.WithdrawInformationRequest{PartnerReferenceNo: ref(), ReferenceNo: res.ReferenceNo})
	if err != nil || st.Status != "SUCCESS" {
		t.Fatalf("after settle: %+v %v", st, err)
	}
	if err := e.sb.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	var wcb []received
	for _, r := range e.rc.all() {
		if r.Path == "/callbacks/netzme/withdraw" {
			wcb = append(wcb, r)
		}
	}
	if len(wcb) != 1 {
		t.Fatalf("withdraw callbacks = %d", len(wcb))
	}
	dec, err := netzme.DecodeWithdrawCallback(wcb[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	if dec.OriginalReferenceNo != res.ReferenceNo || dec.OriginalPartnerReferenceNo != "wd-1" || dec.Status != "SUCCESS" || dec.AmountMinor != net {
		t.Errorf("withdraw callback = %+v", dec)
	}
	_, err = e.c.WithdrawInformation(ctx, netzme.WithdrawInformationRequest{PartnerReferenceNo: ref(), ReferenceNo: "unknown"})
	wantAPIError(t, err, http.StatusNotFound, "4040001")
}

func TestWithdrawalFailedReturnsMoney(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *sandbox.Options) { o.WithdrawSettleDelay = -1 })
	ctx := ctxT(t)
	cust := e.demo.CustID
	e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust, PIN: "246810"})
	net := e.fund(t, 2_000_000)
	inq, err := e.c.WithdrawInquiry(ctx, netzme.WithdrawInquiryRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.c.WithdrawProcess(ctx, inq.Withdrawal(ref(), cust, "246810"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sb.SettleWithdrawal(res.ReferenceNo, false); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.SettleWithdrawal(res.ReferenceNo, true); err == nil {
		t.Error("a FAILED withdrawal could be settled again")
	}
	b, _ := e.sb.Balances(ctx, cust)
	if b.SettledMinor != net {
		t.Errorf("balance after failed withdrawal = %d, want %d back", b.SettledMinor, net)
	}
	st, _ := e.c.WithdrawInformation(ctx, netzme.WithdrawInformationRequest{PartnerReferenceNo: ref(), ReferenceNo: res.ReferenceNo})
	if st.Status != "FAILED" {
		t.Errorf("status = %q", st.Status)
	}
}

func TestWithdrawalSettlesByItself(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *sandbox.Options) { o.WithdrawSettleDelay = 50 * time.Millisecond })
	ctx := ctxT(t)
	cust := e.demo.CustID
	e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust, PIN: "246810"})
	e.fund(t, 2_000_000)
	inq, _ := e.c.WithdrawInquiry(ctx, netzme.WithdrawInquiryRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust})
	if _, err := e.c.WithdrawProcess(ctx, inq.Withdrawal("auto-1", cust, "246810")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := e.c.WithdrawInformation(ctx, netzme.WithdrawInformationRequest{PartnerReferenceNo: ref(), ReferenceNo: "auto-1"})
		if err == nil && st.Status == "SUCCESS" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("withdrawal still %q after 5 s", st.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWithdrawRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	small, err := e.sb.AddMerchant(ctx, sandbox.Merchant{Name: "Warung Kecil"})
	if err != nil {
		t.Fatal(err)
	}
	// No PIN yet.
	e.sb.Credit(ctx, small.CustID, sandbox.WalletBalance, 500_000, "test")
	inq, err := e.c.WithdrawInquiry(ctx, netzme.WithdrawInquiryRequest{PartnerReferenceNo: ref(), CustIDMerchant: small.CustID})
	if err != nil {
		t.Fatal(err)
	}
	if inq.AmountAllowed || inq.AmountMinor != 500_000 {
		t.Errorf("Rp 5.000 below the Rp 10.000 minimum: %+v", inq)
	}
	_, err = e.c.WithdrawProcess(ctx, inq.Withdrawal(ref(), small.CustID, "111111"))
	wantAPIError(t, err, http.StatusNotFound, "4044325")
	e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: ref(), CustIDMerchant: small.CustID, PIN: "111111"})
	_, err = e.c.WithdrawProcess(ctx, inq.Withdrawal(ref(), small.CustID, "111111"))
	wantAPIError(t, err, http.StatusForbidden, "4034315")

	_, err = e.c.WithdrawInquiry(ctx, netzme.WithdrawInquiryRequest{PartnerReferenceNo: ref(), CustIDMerchant: "M_nobody00"})
	wantAPIError(t, err, http.StatusNotFound, "4044208")

	// Three wrong PINs block; even the right PIN is then refused.
	for i := range 3 {
		_, err = e.c.WithdrawProcess(ctx, inq.Withdrawal(ref(), small.CustID, "999999"))
		if i < 2 {
			wantAPIError(t, err, http.StatusUnauthorized, "4014300")
		} else {
			wantAPIError(t, err, http.StatusForbidden, "4034304")
		}
	}
	_, err = e.c.WithdrawProcess(ctx, inq.Withdrawal(ref(), small.CustID, "111111"))
	wantAPIError(t, err, http.StatusForbidden, "4034304")
}

func TestDepositFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *sandbox.Options) { o.WithdrawSettleDelay = -1 })
	ctx := ctxT(t)
	cust := e.demo.CustID
	e.c.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust, PIN: "135790"})

	top, err := e.c.TopupDeposit(ctx, netzme.InvoiceTransactionRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust,
		AmountMinor: 20_000_000, PayMethod: netzme.PayBankTransfer})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.sb.Requests(); got[len(got)-1].Endpoint != string(netzme.EndpointTopupDeposit) {
		t.Errorf("top-up recorded as %q", got[len(got)-1].Endpoint)
	}
	pay, err := e.sb.PayInvoice(ctx, top.TrxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	dep, err := e.c.DepositBalance(ctx, netzme.BalanceRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust})
	if err != nil {
		t.Fatal(err)
	}
	if dep.TotalMinor != pay.NetMinor {
		t.Errorf("deposit = %d, want %d", dep.TotalMinor, pay.NetMinor)
	}
	if bal, _ := e.sb.Balances(ctx, cust); bal.TotalMinor != 0 {
		t.Errorf("a top-up credited the sales balance: %+v", bal)
	}

	ded := netzme.DeductDepositRequest{ReferenceNo: ref(), PartnerReferenceNo: "split-1", CustIDMerchant: cust, AmountMinor: 2_000_000,
		FeeMinor: 1_000_000, SKU: "abc", ProductName: "Tiket", PayMethod: "BANK_TRANSFER", BankName: "BCA", Qty: 2, Desc: "beli 2 tiket"}
	if r, err := e.c.DeductDepositSplitFee(ctx, ded); err != nil || r.PartnerReferenceNo != "split-1" {
		t.Fatalf("deduct: %+v %v", r, err)
	}
	_, err = e.c.DeductDepositSplitFee(ctx, ded)
	wantAPIError(t, err, http.StatusConflict, "4090001")
	big := ded
	big.PartnerReferenceNo, big.FeeMinor = "split-2", 1_000_000_000
	_, err = e.c.DeductDepositSplitFee(ctx, big)
	wantAPIError(t, err, http.StatusForbidden, "4030014")
	nobody := ded
	nobody.PartnerReferenceNo, nobody.CustIDMerchant = "split-3", "M_nobody00"
	_, err = e.c.DeductDepositSplitFee(ctx, nobody)
	wantAPIError(t, err, http.StatusNotFound, "4040008")

	left := pay.NetMinor - 1_000_000
	now := time.Now()
	page, err := e.c.DepositTransactions(ctx, netzme.TransactionListRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust, From: now.Add(-time.Hour), To: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, tr := range page.Transactions {
		types[tr.Type]++
	}
	if types["TOP_UP"] != 1 || types["DEDUCT"] != 1 {
		t.Errorf("deposit history types = %v", types)
	}

	inq, err := e.c.WithdrawDepositInquiry(ctx, netzme.WithdrawInquiryRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust})
	if err != nil {
		t.Fatal(err)
	}
	if inq.AmountMinor != left || !inq.AmountAllowed || inq.MinimumMinor != 5_000_000 {
		t.Errorf("deposit inquiry = %+v, want %d", inq, left)
	}
	res, err := e.c.WithdrawDeposit(ctx, inq.Withdrawal("dwd-1", cust, "135790"))
	if err != nil {
		t.Fatal(err)
	}
	// The sales-balance status endpoint does not know deposit withdrawals.
	_, err = e.c.WithdrawInformation(ctx, netzme.WithdrawInformationRequest{PartnerReferenceNo: ref(), ReferenceNo: "dwd-1"})
	wantAPIError(t, err, http.StatusNotFound, "4040001")
	e.sb.SettleWithdrawal(res.ReferenceNo, true)
	st, err := e.c.WithdrawDepositInformation(ctx, netzme.WithdrawInformationRequest{PartnerReferenceNo: ref(), ReferenceNo: "dwd-1"})
	if err != nil || st.Status != "SUCCESS" || st.AmountMinor != left {
		t.Errorf("deposit withdrawal status = %+v %v", st, err)
	}
	if dep, _ := e.c.DepositBalance(ctx, netzme.BalanceRequest{PartnerReferenceNo: ref(), CustIDMerchant: cust}); dep.TotalMinor != 0 {
		t.Errorf("deposit after withdrawal = %d", dep.TotalMinor)
	}
}

func TestBalanceUnknownMerchantAndBadCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	_, err := e.c.BalanceDetail(ctx, netzme.BalanceRequest{PartnerReferenceNo: ref(), CustIDMerchant: "M_nobody00"})
	wantAPIError(t, err, http.StatusNotFound, "4041108")
	_, err = e.c.DepositBalance(ctx, netzme.BalanceRequest{PartnerReferenceNo: ref(), CustIDMerchant: "M_nobody00"})
	wantAPIError(t, err, http.StatusNotFound, "4041108")

	cfg := e.srv.Config()
	cfg.ClientSecret = strings.Repeat("0", 32)
	bad, _ := netzme.New(cfg)
	_, err = bad.BalanceDetail(ctx, netzme.BalanceRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID})
	if ae := wantAPIError(t, err, http.StatusUnauthorized, "4011100"); ae.Message != "Unauthorized Signature" {
		t.Errorf("message = %q", ae.Message)
	}

	cfg = e.srv.Config()
	other, _ := snap.ParsePrivateKey(otherKeyPEM(t))
	cfg.PrivateKey = other
	bad, _ = netzme.New(cfg)
	_, err = bad.BalanceDetail(ctx, netzme.BalanceRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID})
	wantAPIError(t, err, http.StatusUnauthorized, "4017300")

	cfg = e.srv.Config()
	cfg.ClientID = "someone-else"
	bad, _ = netzme.New(cfg)
	_, err = bad.BalanceDetail(ctx, netzme.BalanceRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID})
	wantAPIError(t, err, http.StatusUnauthorized, "4010000")
}
