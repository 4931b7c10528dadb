package money_test

import (
	"errors"
	"testing"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
	"lapak/money"
	"lapak/netzme"
	"lapak/netzme/sandbox"
	"lapak/netzme/sandbox/sandboxtest"
)

const outPIN = "246810"

// moneyOut is a Service on a fresh database, talking over HTTP to a sandbox
// whose demo merchant is linked and has a PIN.
type moneyOut struct {
	svc   *money.Service
	db    *db.DB
	sb    *sandboxtest.Server
	actor money.Actor
	cust  string
}

func newMoneyOut(t *testing.T) *moneyOut {
	t.Helper()
	// One pinned clock, the sandbox's base (today's deposit movements are
	// asked by calendar day); the sandbox runs on from it.
	sb := sandboxtest.NewServer(t, func(o *sandbox.Options) { o.Now = clocktest.Running(t) })
	clock := clocktest.Fixed(t)
	d := dbtest.New(t, clock)
	cfg := sb.Config()
	cfg.Observer = money.Recorder{DB: d, Now: clock}
	nz, err := netzme.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	demo := sb.Sandbox.DemoMerchant()
	m, err := d.CreateMerchant(t.Context(), db.NewMerchant{Name: demo.Name, NetzmeCustID: demo.CustID, City: demo.City,
		NMID: demo.NMID, Phone: demo.Phone, StaticQRIS: demo.StaticQRIS})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nz.CreatePIN(t.Context(), netzme.CreatePINRequest{PartnerReferenceNo: "PIN-" + demo.CustID,
		CustIDMerchant: demo.CustID, PIN: outPIN}); err != nil {
		t.Fatal(err)
	}
	return &moneyOut{svc: money.New(money.Deps{DB: d, Netzme: nz, Now: clock}), db: d, sb: sb,
		actor: money.Actor{MerchantID: m.ID, RequestID: "test"}, cust: demo.CustID}
}

func (o *moneyOut) sandboxWithdrawals(t *testing.T) []sandbox.Withdrawal {
	t.Helper()
	ws, err := o.sb.Sandbox.Withdrawals(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func TestSubmittingAFormTwiceShowsTheWithdrawalItStarted(t *testing.T) {
	t.Parallel()
	o := newMoneyOut(t)
	if err := o.sb.Sandbox.Credit(t.Context(), o.cust, sandbox.WalletBalance, 15_000_000, "sales"); err != nil {
		t.Fatal(err)
	}
	q, err := o.svc.WithdrawInquiry(t.Context(), o.actor, money.WithdrawInquiryInput{Wallet: db.WalletSales})
	if err != nil {
		t.Fatal(err)
	}
	first, err := o.svc.SubmitWithdrawal(t.Context(), o.actor, money.SubmitInput{Token: q.Token, PIN: outPIN})
	if err != nil {
		t.Fatal(err)
	}
	if first.Repeat || first.Withdrawal.Status != db.WithdrawalPending {
		t.Fatalf("first submit: %+v", first)
	}
	again, err := o.svc.SubmitWithdrawal(t.Context(), o.actor, money.SubmitInput{Token: q.Token, PIN: outPIN})
	if err != nil {
		t.Fatalf("second submit: %v", err)
	}
	if !again.Repeat || again.Withdrawal.ID != first.Withdrawal.ID {
		t.Errorf("second submit: %+v, want a repeat of withdrawal %d", again, first.Withdrawal.ID)
	}
	if n := len(o.sandboxWithdrawals(t)); n != 1 {
		t.Errorf("Netzme received %d withdrawals, want 1", n)
	}
	// While it is open, no new inquiry is made.
	_, err = o.svc.WithdrawInquiry(t.Context(), o.actor, money.WithdrawInquiryInput{Wallet: db.WalletSales})
	var open *money.OpenWithdrawalError
	if !errors.As(err, &open) || open.Withdrawal.ID != first.Withdrawal.ID {
		t.Errorf("inquiry while open: %v", err)
	}
}

func TestDepositWithdrawalLeavesTheDepositOnceAndShowsOnTheDepositPage(t *testing.T) {
	t.Parallel()
	o := newMoneyOut(t)
	if err := o.sb.Sandbox.Credit(t.Context(), o.cust, sandbox.WalletDeposit, 8_000_000, "top-up"); err != nil {
		t.Fatal(err)
	}
	before, err := o.svc.DepositOverview(t.Context(), o.actor)
	if err != nil {
		t.Fatal(err)
	}
	if before.Unavailable || !before.HasBalance || before.BalanceMinor != 8_000_000 {
		t.Fatalf("deposit before: %+v", before)
	}
	q, err := o.svc.WithdrawInquiry(t.Context(), o.actor, money.WithdrawInquiryInput{Wallet: db.WalletDeposit})
	if err != nil {
		t.Fatal(err)
	}
	if q.Wallet != db.WalletDeposit || q.AmountMinor != 8_000_000 || !q.Allowed {
		t.Fatalf("deposit quote: %+v", q)
	}
	// The PIN is checked before anything is sent.
	_, err = o.svc.SubmitWithdrawal(t.Context(), o.actor, money.SubmitInput{Token: q.Token, PIN: "12345"})
	var fe *money.FieldError
	if !errors.As(err, &fe) || fe.Field != "pin" || !errors.Is(err, money.ErrPINFormat) {
		t.Fatalf("short PIN: %v", err)
	}
	res, err := o.svc.SubmitWithdrawal(t.Context(), o.actor, money.SubmitInput{Token: q.Token, PIN: outPIN})
	if err != nil {
		t.Fatal(err)
	}
	if res.Withdrawal.Status != db.WithdrawalPending || res.Withdrawal.Wallet != db.WalletDeposit {
		t.Fatalf("deposit withdrawal: %+v", res.Withdrawal)
	}
	sw := o.sandboxWithdrawals(t)
	if len(sw) != 1 || sw[0].Wallet != sandbox.WalletDeposit || sw[0].AmountMinor != 8_000_000 {
		t.Fatalf("Netzme received %+v, want one deposit withdrawal of 8000000", sw)
	}
	after, err := o.svc.DepositOverview(t.Context(), o.actor)
	if err != nil {
		t.Fatal(err)
	}
	if after.Unavailable || after.BalanceMinor != 0 {
		t.Errorf("deposit after: %+v, want 0", after)
	}
	found := false
	for _, mv := range after.Movements {
		found = found || (mv.Type == "WITHDRAW" && mv.AmountMinor == 8_000_000)
	}
	if !found {
		t.Errorf("today's movements lack the withdrawal: %+v", after.Movements)
	}
}

func TestCheckPIN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pin string
		ok  bool
	}{
		{"246810", true}, {"000000", true},
		{"", false}, {"12345", false}, {"1234567", false}, {"12ab56", false}, {"１２３４５６", false}, {" 12345", false},
	} {
		err := money.CheckPIN(tc.pin)
		if (err == nil) != tc.ok {
			t.Errorf("CheckPIN(%q) = %v, want ok=%v", tc.pin, err, tc.ok)
		}
		var fe *money.FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != "pin" || !errors.Is(err, money.ErrPINFormat)) {
			t.Errorf("CheckPIN(%q) = %v, want a pin FieldError with ErrPINFormat", tc.pin, err)
		}
	}
}
