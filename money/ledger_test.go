package money_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
	"lapak/money"
	"lapak/netzme"
	"lapak/netzme/sandbox"
	"lapak/netzme/sandbox/sandboxtest"
	"lapak/snap"
	"lapak/snap/nicepay"
)

// books is a Service on a fresh database talking HTTP to a sandbox whose
// demo merchant is linked, has a PIN, and whose withdrawals stay pending
// until the test settles them. Callbacks are not sent over HTTP: the test
// takes the body the sandbox would have sent and puts it through the inbox
// and ApplyCallback, as the web layer does after authenticating it.
type books struct {
	svc   *money.Service
	db    *db.DB
	sb    *sandboxtest.Server
	m     db.Merchant
	owner money.Actor
	cust  string
	now   time.Time
}

func newBooks(t *testing.T) *books {
	t.Helper()
	return newBooksOn(t, dbtest.Default())
}

// newBooksOn is newBooks on a database of engine e.
func newBooksOn(t *testing.T, e dbtest.Engine) *books {
	t.Helper()
	sb := sandboxtest.NewServer(t, func(o *sandbox.Options) {
		o.Now = clocktest.Running(t)
		o.WithdrawSettleDelay = -1
	})
	clock := clocktest.Fixed(t)
	d := dbtest.Open(t, e, clock)
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
	u, err := d.CreateUser(t.Context(), db.NewUser{Email: "pemilik@buku.test", Name: "Pemilik", PasswordHash: "$argon2id$test"})
	if err != nil {
		t.Fatal(err)
	}
	return &books{svc: money.New(money.Deps{DB: d, Netzme: nz, Now: clock}), db: d, sb: sb, m: m, cust: demo.CustID,
		owner: money.Actor{UserID: u.ID, UserEmail: u.Email, MerchantID: m.ID, RequestID: "req-books"}, now: clock()}
}

// deliver puts the newest callback of kind the sandbox produced through the
// inbox and applies it, returning the callback as stored.
func (b *books) deliver(t *testing.T, kind string) db.Callback {
	t.Helper()
	ds := b.sb.Sandbox.Deliveries()
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].Kind == kind {
			return b.apply(t, db.CallbackKind(kind), ds[i].Body)
		}
	}
	t.Fatalf("the sandbox produced no %s callback", kind)
	return db.Callback{}
}

func (b *books) apply(t *testing.T, kind db.CallbackKind, body []byte) db.Callback {
	t.Helper()
	facts, err := money.ReadCallback(kind, body)
	if err != nil {
		t.Fatal(err)
	}
	nc := db.NewCallback{Kind: kind, Body: string(body)}
	facts.Fill(&nc)
	id, err := b.db.InsertCallback(t.Context(), nc)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.svc.ApplyCallback(t.Context(), money.Actor{RequestID: "cb"}, id)
	if err != nil {
		t.Fatalf("apply %s callback: %v", kind, err)
	}
	return cb
}

func (b *books) journal(t *testing.T, table string, id int64) []db.LedgerTransaction {
	t.Helper()
	ts, err := b.db.LedgerTransactionsOf(t.Context(), table, id)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// wantJournal checks that record (table, id) has exactly the ledger
// transactions of kinds, each balanced, with the amount given, the first by
// actor.
func (b *books) wantJournal(t *testing.T, what, table string, id int64, amount int64, actor db.LedgerActor, kinds ...db.LedgerKind) []db.LedgerTransaction {
	t.Helper()
	ts := b.journal(t, table, id)
	var got []string
	for _, tr := range ts {
		got = append(got, string(tr.Kind))
		var sum int64
		for _, p := range tr.Postings {
			sum += p.AmountMinor
		}
		if sum != 0 || len(tr.Postings) < 2 {
			t.Errorf("%s: transaction %s does not balance: %+v", what, tr.Key, tr.Postings)
		}
		if tr.AmountMinor != amount || tr.MerchantID != b.m.ID || (tr.ID == ts[0].ID && tr.Actor != actor) {
			t.Errorf("%s: transaction %s: amount %d by %s for merchant %d; want %d by %s for %d", what, tr.Key,
				tr.AmountMinor, tr.Actor, tr.MerchantID, amount, actor, b.m.ID)
		}
	}
	var want []string
	for _, k := range kinds {
		want = append(want, string(k))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("%s: journal has %v, want %v", what, got, want)
	}
	return ts
}

func (b *books) balances(t *testing.T) map[db.LedgerAccount]int64 {
	t.Helper()
	bs, err := b.db.LedgerBalances(t.Context(), b.m.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[db.LedgerAccount]int64{}
	for _, x := range bs {
		out[x.Account] = x.BalanceMinor
	}
	return out
}

func verifyOK(t *testing.T, d *db.DB) db.LedgerCheck {
	t.Helper()
	chk, err := d.VerifyLedger(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !chk.OK() {
		t.Fatalf("ledger verify: %d problems: %+v", chk.ProblemCount, chk.Problems)
	}
	return chk
}

func (b *books) invoice(t *testing.T, purpose money.Purpose, amount int64) db.Invoice {
	t.Helper()
	res, err := b.svc.CreateInvoice(t.Context(), b.owner, money.InvoiceInput{Purpose: purpose, AmountMinor: amount,
		Method: netzme.PayQRIS, Description: "Kopi susu"})
	if err != nil || res.Invoice.Status != db.InvoicePending {
		t.Fatalf("create invoice: %+v %v", res.Invoice, err)
	}
	if _, err := b.sb.Sandbox.PayInvoice(t.Context(), res.Invoice.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	return res.Invoice
}

func (b *books) reload(t *testing.T, iv db.Invoice) db.Invoice {
	t.Helper()
	iv, err := b.db.MerchantInvoice(t.Context(), b.m.ID, iv.ID)
	if err != nil {
		t.Fatal(err)
	}
	return iv
}

func (b *books) withdraw(t *testing.T, wallet db.Wallet, settle bool) db.Withdrawal {
	t.Helper()
	q, err := b.svc.WithdrawInquiry(t.Context(), b.owner, money.WithdrawInquiryInput{Wallet: wallet})
	if err != nil || !q.Allowed {
		t.Fatalf("inquiry %s: %+v %v", wallet, q, err)
	}
	res, err := b.svc.SubmitWithdrawal(t.Context(), b.owner, money.SubmitInput{Token: q.Token, PIN: outPIN})
	if err != nil || res.Withdrawal.Status != db.WithdrawalPending {
		t.Fatalf("submit %s: %+v %v", wallet, res.Withdrawal, err)
	}
	w := res.Withdrawal
	kind := db.KindWithdrawalSent
	if wallet == db.WalletDeposit {
		kind = db.KindDepositWithdrawalSent
	}
	b.wantJournal(t, "withdrawal sent", db.SourceWithdrawals, w.ID, w.AmountMinor, db.ActorUser, kind)
	if err := b.sb.Sandbox.SettleWithdrawal(w.NetzmeReferenceNo, settle); err != nil {
		t.Fatal(err)
	}
	cb := b.deliver(t, "withdraw")
	if cb.Status != db.CallbackApplied {
		t.Fatalf("withdraw notification: %s %s %s", cb.Status, cb.Reason, cb.Note)
	}
	// A repeated notification books nothing more.
	if again := b.deliver(t, "withdraw"); again.Status != db.CallbackDuplicate {
		t.Errorf("repeated withdraw notification: %s", again.Status)
	}
	w, err = b.db.MerchantWithdrawal(t.Context(), b.m.ID, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestEveryMoneyEventIsBookedOnceBalanced walks every money event a merchant
// can have — a sale paid by callback and one settled by the resolver, a
// deposit top-up, a static-QRIS payment, a CVS bill, a withdrawal that
// succeeds and one that fails, a split fee, a deposit withdrawal — replaying
// each notification, and checks after each that its record has exactly its
// balanced ledger transactions; at the end the books verify and every
// balance is what the records say.
func TestEveryMoneyEventIsBookedOnceBalanced(t *testing.T) {
	dbtest.Each(t, everyMoneyEventIsBookedOnceBalanced)
}

func everyMoneyEventIsBookedOnceBalanced(t *testing.T, e dbtest.Engine) {
	b := newBooksOn(t, e)
	ctx := t.Context()
	var salesNet, salesGross, salesFee int64 // what the records say
	sales := 0

	// A sale paid by callback; the callback delivered twice.
	sale := b.invoice(t, money.PurposeSale, 5_000_000)
	if cb := b.deliver(t, "invoice"); cb.Status != db.CallbackApplied {
		t.Fatalf("invoice callback: %s %s", cb.Status, cb.Note)
	}
	if cb := b.deliver(t, "invoice"); cb.Status != db.CallbackDuplicate {
		t.Errorf("replayed invoice callback: %s", cb.Status)
	}
	sale = b.reload(t, sale)
	tr := b.wantJournal(t, "sale by callback", db.SourceInvoices, sale.ID, 5_000_000, db.ActorNetzme, db.KindSale)[0]
	if tr.Key != "invoice-paid:"+sale.PartnerReferenceNo || tr.FeeMinor != sale.FeeMinor.Int64 || tr.FeeMinor == 0 ||
		tr.Posting(db.AccountNetzmeBalance) != sale.NetMinor.Int64 || tr.Posting(db.AccountIncomeSales) != -5_000_000 ||
		!tr.OccurredAt.Equal(sale.PaidAt.Time) || tr.ExternalID != sale.NetzmeTrxID {
		t.Errorf("sale transaction %+v does not match the invoice %+v", tr, sale)
	}
	salesGross, salesFee, salesNet, sales = salesGross+5_000_000, salesFee+sale.FeeMinor.Int64, salesNet+sale.NetMinor.Int64, sales+1

	// A sale whose callback is late: the resolver settles it, the callback
	// then books nothing.
	late := b.invoice(t, money.PurposeSale, 1_234_500)
	if r, err := b.svc.ResolveInvoice(ctx, money.System(b.m.ID), late); err != nil || r.To != db.InvoicePaid {
		t.Fatalf("resolve: %+v %v", r, err)
	}
	if cb := b.deliver(t, "invoice"); cb.Status != db.CallbackDuplicate {
		t.Errorf("late callback after the resolver: %s", cb.Status)
	}
	late = b.reload(t, late)
	b.wantJournal(t, "sale by resolver", db.SourceInvoices, late.ID, 1_234_500, db.ActorSystem, db.KindSale)
	salesGross, salesFee, salesNet, sales = salesGross+1_234_500, salesFee+late.FeeMinor.Int64, salesNet+late.NetMinor.Int64, sales+1

	// A deposit top-up is the owner's money into the deposit, not a sale.
	topup := b.invoice(t, money.PurposeTopup, 10_000_000)
	b.deliver(t, "invoice")
	topup = b.reload(t, topup)
	tr = b.wantJournal(t, "top-up", db.SourceInvoices, topup.ID, 10_000_000, db.ActorNetzme, db.KindTopup)[0]
	if tr.Posting(db.AccountNetzmeDeposit) != topup.NetMinor.Int64 || tr.Posting(db.AccountEquityOwner) != -10_000_000 ||
		tr.Posting(db.AccountIncomeSales) != 0 {
		t.Errorf("top-up postings %+v", tr.Postings)
	}

	// A withdrawal of the whole sales balance, which succeeds.
	w1 := b.withdraw(t, db.WalletSales, true)
	ts := b.wantJournal(t, "withdrawal", db.SourceWithdrawals, w1.ID, w1.AmountMinor, db.ActorUser,
		db.KindWithdrawalSent, db.KindWithdrawalSucceeded)
	if ts[1].Actor != db.ActorNetzme || ts[1].Posting(db.AccountBank) != w1.AmountMinor || ts[0].Posting(db.AccountNetzmeBalance) != -w1.AmountMinor {
		t.Errorf("withdrawal transactions %+v", ts)
	}

	// A static-QRIS payment, announced twice.
	q, err := b.sb.Sandbox.PayStaticQRIS(ctx, b.cust, 2_500_000)
	if err != nil {
		t.Fatal(err)
	}
	if cb := b.deliver(t, "qris"); cb.PaymentID == 0 {
		t.Fatalf("QRIS callback recorded no payment: %+v", cb)
	}
	if cb := b.deliver(t, "qris"); cb.Status != db.CallbackDuplicate {
		t.Errorf("replayed QRIS callback: %s", cb.Status)
	}
	ps, _, err := b.db.MerchantPayments(ctx, b.m.ID, db.PaymentFilter{})
	if err != nil || len(ps) != 1 {
		t.Fatalf("payments %+v %v", ps, err)
	}
	tr = b.wantJournal(t, "static QRIS", db.SourcePayments, ps[0].ID, 2_500_000, db.ActorNetzme, db.KindSale)[0]
	if tr.Method != money.MethodStaticQRIS || tr.FeeMinor != q.FeeMinor || tr.Key != "qris:"+ps[0].DedupeKey {
		t.Errorf("static QRIS transaction %+v", tr)
	}
	salesGross, salesFee, salesNet, sales = salesGross+2_500_000, salesFee+q.FeeMinor, salesNet+2_500_000-q.FeeMinor, sales+1

	// A withdrawal that the bank fails: the money comes back.
	w2 := b.withdraw(t, db.WalletSales, false)
	if w2.Status != db.WithdrawalFailed {
		t.Fatalf("second withdrawal %s", w2.Status)
	}
	b.wantJournal(t, "failed withdrawal", db.SourceWithdrawals, w2.ID, w2.AmountMinor, db.ActorUser,
		db.KindWithdrawalSent, db.KindWithdrawalFailed)

	// A CVS bill paid at the counter; a second confirmation is refused.
	bill, err := b.db.CreateCVSBill(ctx, db.NewCVSBill{MerchantID: b.m.ID, PartnerServiceID: "7015", CustomerNo: "89101110",
		PartnerReferenceNo: "CVS-LEDGER-1", CustomerName: "Budi", CustomerPhone: "081234567890", CustomerEmail: "budi@contoh.id",
		GoodsName: "Sembako", AmountMinor: 7_500_000, ExpiresAt: b.now.Add(24 * time.Hour)}, db.AuditEntry{Action: "cvs.create"})
	if err != nil {
		t.Fatal(err)
	}
	for i, prid := range []string{"PRID-1", "PRID-2"} {
		p, _, err := b.db.ReceiveCVSPayment(ctx, prid, bill.PayNo, 7_500_000, "{}")
		if err != nil {
			t.Fatal(err)
		}
		ans, err := b.svc.ApplyCVSPayment(ctx, money.Actor{RequestID: "np"}, p, nicepay.PaymentRequest{PartnerServiceID: "7015",
			CustomerNo: "89101110", PayNo: bill.PayNo, PaymentRequestID: prid, PaidAmount: snap.IDR(7_500_000), MitraCd: "ALMA"})
		if err != nil || (i == 0) != (ans.Status == 200) {
			t.Fatalf("CVS confirmation %d: %d %v", i, ans.Status, err)
		}
	}
	tr = b.wantJournal(t, "CVS bill", db.SourceCVSBills, bill.ID, 7_500_000, db.ActorNicepay, db.KindSale)[0]
	if tr.Posting(db.AccountNicepayReceivable) != 7_500_000 || tr.Method != money.MethodCVS || tr.Key != "cvs-paid:PRID-1" {
		t.Errorf("CVS transaction %+v", tr)
	}
	salesGross, sales = salesGross+7_500_000, sales+1

	// A split fee deducted from the deposit.
	sf, err := b.svc.DeductSplitFee(ctx, b.owner, money.SplitFeeInput{InvoiceID: sale.ID, FeeMinor: 150_000})
	if err != nil || sf.SplitFee.Status != db.SplitFeeSuccess {
		t.Fatalf("split fee: %+v %v", sf.SplitFee, err)
	}
	b.wantJournal(t, "split fee", db.SourceSplitFees, sf.SplitFee.ID, 150_000, db.ActorUser, db.KindSplitFee)

	// The rest of the deposit withdrawn.
	w3 := b.withdraw(t, db.WalletDeposit, true)
	b.wantJournal(t, "deposit withdrawal", db.SourceWithdrawals, w3.ID, w3.AmountMinor, db.ActorUser,
		db.KindDepositWithdrawalSent, db.KindDepositWithdrawalSucceeded)

	// The books verify, and every balance is what the records say.
	chk := verifyOK(t, b.db)
	if chk.Transactions != 12 {
		t.Errorf("%d ledger transactions, want 12", chk.Transactions)
	}
	got := b.balances(t)
	want := map[db.LedgerAccount]int64{
		db.AccountNetzmeBalance:            salesNet - w1.AmountMinor,
		db.AccountNetzmeDeposit:            topup.NetMinor.Int64 - 150_000 - w3.AmountMinor,
		db.AccountTransitWithdrawal:        0,
		db.AccountTransitDepositWithdrawal: 0,
		db.AccountBank:                     w1.AmountMinor + w3.AmountMinor,
		db.AccountNicepayReceivable:        7_500_000,
		db.AccountExpenseMDR:               salesFee + topup.FeeMinor.Int64,
		db.AccountExpenseSplitFee:          150_000,
		db.AccountIncomeSales:              -salesGross,
		db.AccountEquityOwner:              -10_000_000,
		db.AccountEquityOpening:            0,
	}
	for a, v := range want {
		if got[a] != v {
			t.Errorf("%s = %d, want %d", a, got[a], v)
		}
	}
	// The books agree with Netzme: what the sandbox holds is what the
	// ledger says is at Netzme.
	nb, err := b.sb.Sandbox.Balances(ctx, b.cust)
	if err != nil {
		t.Fatal(err)
	}
	if nb.TotalMinor != got[db.AccountNetzmeBalance] || nb.DepositMinor != got[db.AccountNetzmeDeposit] {
		t.Errorf("Netzme holds %d + deposit %d, the books say %d + %d", nb.TotalMinor, nb.DepositMinor,
			got[db.AccountNetzmeBalance], got[db.AccountNetzmeDeposit])
	}

	// Today's sales: the two invoices, the static QRIS and the CVS bill —
	// not the top-up.
	today := b.now.In(snap.Jakarta).Format(time.DateOnly)
	sums, err := b.db.DailySums(ctx, b.m.ID, db.KindSale, today, today)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 1 || sums[0].Count != sales || sums[0].AmountMinor != salesGross {
		t.Errorf("today's sales %+v, want %d for %d sen", sums, sales, salesGross)
	}
}

// Invariant 4: the ledger transaction and its event commit together or not
// at all. When booking fails, the invoice stays unpaid and the callback
// stays "received" for a re-apply; when the event fails after booking, the
// booking is gone with it.
func TestBookingAndItsEventCommitTogether(t *testing.T) {
	dbtest.Each(t, bookingAndItsEventCommitTogether)
}

func bookingAndItsEventCommitTogether(t *testing.T, e dbtest.Engine) {
	b := newBooksOn(t, e)
	ctx := t.Context()
	count := func() int {
		var n int
		if err := b.db.SQL().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM ledger_transactions)
			+ (SELECT count(*) FROM ledger_postings) + (SELECT count(*) FROM ledger_daily)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	exec := func(q string) {
		t.Helper()
		if _, err := b.db.SQL().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// refuse makes the database refuse inserts into table (those where
	// when holds, if given) with message, until the returned undo runs.
	refuse := func(name, table, when, message string) (undo func()) {
		if e == dbtest.Postgres {
			if when != "" {
				when = "WHEN (" + when + ") "
			}
			exec(`CREATE TRIGGER ` + name + ` BEFORE INSERT ON ` + table + ` FOR EACH ROW ` + when +
				`EXECUTE FUNCTION refuse_change('` + message + `')`)
			return func() { exec(`DROP TRIGGER ` + name + ` ON ` + table) }
		}
		if when != "" {
			when = "WHEN " + when + " "
		}
		exec(`CREATE TRIGGER ` + name + ` BEFORE INSERT ON ` + table + ` ` + when + `BEGIN SELECT RAISE(ABORT, '` + message + `'); END`)
		return func() { exec(`DROP TRIGGER ` + name) }
	}
	iv := b.invoice(t, money.PurposeSale, 3_000_000)
	var body []byte
	for _, d := range b.sb.Sandbox.Deliveries() {
		if d.Kind == "invoice" {
			body = d.Body
		}
	}
	facts, _ := money.ReadCallback(db.CallbackInvoice, body)
	nc := db.NewCallback{Kind: db.CallbackInvoice, Body: string(body)}
	facts.Fill(&nc)
	id, err := b.db.InsertCallback(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	unchanged := func(step string) {
		t.Helper()
		if got := b.reload(t, iv); got.Status != db.InvoicePending {
			t.Errorf("%s: invoice is %s, want still pending", step, got.Status)
		}
		cb, err := b.db.Callback(ctx, 0, id)
		if err != nil || cb.Status != db.CallbackReceived {
			t.Errorf("%s: callback %s %v, want still received", step, cb.Status, err)
		}
		if n := count(); n != 0 {
			t.Errorf("%s: %d ledger rows", step, n)
		}
	}

	// The books refuse: nothing of the event is kept.
	undo := refuse("test_books_down", "ledger_transactions", "", "books unavailable")
	if _, err := b.svc.ApplyCallback(ctx, money.Actor{}, id); err == nil || !strings.Contains(err.Error(), "books unavailable") {
		t.Fatalf("apply with the books refusing: %v", err)
	}
	unchanged("booking failed")
	undo()

	// The event fails after it was booked (its audit line cannot be
	// written): the booking is rolled back with it.
	undo = refuse("test_audit_down", "audit_log", "NEW.action = 'callback.applied'", "audit unavailable")
	if _, err := b.svc.ApplyCallback(ctx, money.Actor{}, id); err == nil || !strings.Contains(err.Error(), "audit unavailable") {
		t.Fatalf("apply with the audit log refusing: %v", err)
	}
	unchanged("event failed")
	undo()

	// Re-applied once both work: paid and booked, once.
	if cb, err := b.svc.ApplyCallback(ctx, money.Actor{}, id); err != nil || cb.Status != db.CallbackApplied {
		t.Fatalf("re-apply: %+v %v", cb, err)
	}
	b.wantJournal(t, "re-applied sale", db.SourceInvoices, iv.ID, 3_000_000, db.ActorNetzme, db.KindSale)
	verifyOK(t, b.db)
}

// Corrections: an adjustment needs a person and a reason and is audited; a
// reversal negates exactly one transaction, at most once, and the daily
// totals follow.
func TestAdjustmentsAndReversals(t *testing.T) {
	b := newBooks(t)
	ctx := t.Context()
	var fe *money.FieldError
	for _, c := range []struct {
		a    money.Actor
		in   money.AdjustInput
		want error
	}{
		{money.System(b.m.ID), money.AdjustInput{Account: db.AccountNetzmeBalance, AmountMinor: 100, Reason: "x"}, money.ErrPersonRequired},
		{b.owner, money.AdjustInput{Account: db.AccountNetzmeBalance, AmountMinor: 100, Reason: "  "}, money.ErrRequired},
		{b.owner, money.AdjustInput{Account: db.AccountNetzmeBalance, Reason: "selisih"}, money.ErrAmountZero},
		{b.owner, money.AdjustInput{Account: "kas:laci", AmountMinor: 100, Reason: "selisih"}, money.ErrFormat},
		{b.owner, money.AdjustInput{Account: db.AccountEquityOpening, AmountMinor: 100, Reason: "selisih"}, money.ErrFormat},
	} {
		if _, err := b.svc.Adjust(ctx, c.a, c.in); !errors.Is(err, c.want) {
			t.Errorf("adjust %+v: err = %v, want %v", c.in, err, c.want)
		}
	}
	if _, err := b.svc.Adjust(ctx, b.owner, money.AdjustInput{Account: db.AccountNetzmeBalance, AmountMinor: 100}); !errors.As(err, &fe) || fe.Field != "reason" {
		t.Errorf("adjust without a reason: %v", err)
	}

	in := money.AdjustInput{Account: db.AccountNetzmeBalance, AmountMinor: 1_234_500, Reason: "Saldo awal di Netzme", Key: "form-1"}
	adj, err := b.svc.Adjust(ctx, b.owner, in)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := b.svc.Adjust(ctx, b.owner, in); err != nil || again.ID != adj.ID {
		t.Errorf("resubmitted adjustment: %+v %v, want the first", again, err)
	}
	if adj.Actor != db.ActorUser || adj.UserID != b.owner.UserID || adj.Memo != in.Reason ||
		adj.Posting(db.AccountNetzmeBalance) != 1_234_500 || adj.Posting(db.AccountEquityOpening) != -1_234_500 {
		t.Errorf("adjustment %+v", adj)
	}
	if got := b.balances(t)[db.AccountNetzmeBalance]; got != 1_234_500 {
		t.Errorf("netzme:balance after the adjustment = %d", got)
	}

	// A sale, then its reversal.
	sale := b.invoice(t, money.PurposeSale, 2_000_000)
	b.deliver(t, "invoice")
	tr := b.wantJournal(t, "sale", db.SourceInvoices, sale.ID, 2_000_000, db.ActorNetzme, db.KindSale)[0]
	if _, err := b.svc.Reverse(ctx, b.owner, tr.ID, ""); !errors.Is(err, money.ErrRequired) {
		t.Errorf("reversal without a reason: %v", err)
	}
	rev, err := b.svc.Reverse(ctx, b.owner, tr.ID, "Pembeli membatalkan, uang dikembalikan tunai")
	if err != nil {
		t.Fatal(err)
	}
	if rev.ReversesID != tr.ID || rev.Kind != db.KindSale || rev.AmountMinor != -2_000_000 ||
		rev.Posting(db.AccountIncomeSales) != 2_000_000 || rev.SourceID != sale.ID {
		t.Errorf("reversal %+v", rev)
	}
	if _, err := b.svc.Reverse(ctx, b.owner, tr.ID, "lagi"); !errors.Is(err, money.ErrAlreadyReversed) {
		t.Errorf("second reversal: %v, want ErrAlreadyReversed", err)
	}
	if _, err := b.svc.Reverse(ctx, b.owner, rev.ID, "batal batal"); !errors.Is(err, money.ErrIsReversal) {
		t.Errorf("reversing a reversal: %v, want ErrIsReversal", err)
	}
	other, err := b.db.CreateMerchant(ctx, db.NewMerchant{Name: "Toko Lain"})
	if err != nil {
		t.Fatal(err)
	}
	stranger := b.owner
	stranger.MerchantID = other.ID
	if _, err := b.svc.Reverse(ctx, stranger, adj.ID, "bukan punya saya"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("reversing another merchant's transaction: %v, want ErrNotFound", err)
	}
	bal := b.balances(t)
	if bal[db.AccountIncomeSales] != 0 || bal[db.AccountExpenseMDR] != 0 || bal[db.AccountNetzmeBalance] != 1_234_500 {
		t.Errorf("balances after the reversal: %+v", bal)
	}
	today := b.now.In(snap.Jakarta).Format(time.DateOnly)
	if sums, err := b.db.DailySums(ctx, b.m.ID, db.KindSale, today, today); err != nil || len(sums) != 1 ||
		sums[0].Count != 0 || sums[0].AmountMinor != 0 {
		t.Errorf("today's sales after the reversal: %+v %v, want 0 × 0", sums, err)
	}
	log, err := b.db.AuditLog(ctx, b.m.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, l := range log {
		if strings.HasPrefix(l.Action, "ledger.") && l.UserID == b.owner.UserID {
			actions = append(actions, l.Action)
		}
	}
	if strings.Join(actions, " ") != "ledger.reverse ledger.adjust" {
		t.Errorf("audit %v, want one adjust and one reverse by the owner", actions)
	}
	verifyOK(t, b.db)
}

// A withdrawal that waits for a second owner is not in the books until it
// is approved (then it is sent, by the approver); a cancelled request never
// is.
func TestWithdrawalAwaitingApprovalIsBookedWhenApproved(t *testing.T) {
	b := newBooks(t)
	ctx := t.Context()
	if err := b.sb.Sandbox.Credit(ctx, b.cust, sandbox.WalletBalance, 9_000_000, "sales"); err != nil {
		t.Fatal(err)
	}
	if err := b.svc.SetSecondApprover(ctx, b.owner, true); err != nil {
		t.Fatal(err)
	}
	u2, err := b.db.CreateUser(ctx, db.NewUser{Email: "pemilik2@buku.test", PasswordHash: "$argon2id$test"})
	if err != nil {
		t.Fatal(err)
	}
	second := money.Actor{UserID: u2.ID, MerchantID: b.m.ID}
	request := func() db.Withdrawal {
		t.Helper()
		q, err := b.svc.WithdrawInquiry(ctx, b.owner, money.WithdrawInquiryInput{Wallet: db.WalletSales})
		if err != nil {
			t.Fatal(err)
		}
		res, err := b.svc.SubmitWithdrawal(ctx, b.owner, money.SubmitInput{Token: q.Token})
		if err != nil || res.Withdrawal.Status != db.WithdrawalAwaitingApproval {
			t.Fatalf("request: %+v %v", res.Withdrawal, err)
		}
		b.wantJournal(t, "awaiting approval", db.SourceWithdrawals, res.Withdrawal.ID, 0, "")
		return res.Withdrawal
	}
	cancelled := request()
	if w, err := b.svc.CancelWithdrawal(ctx, b.owner, cancelled.ID); err != nil || w.Status != db.WithdrawalCancelled {
		t.Fatalf("cancel: %+v %v", w, err)
	}
	b.wantJournal(t, "cancelled", db.SourceWithdrawals, cancelled.ID, 0, "")

	w := request()
	res, err := b.svc.ApproveWithdrawal(ctx, second, money.ApproveInput{ID: w.ID, PIN: outPIN})
	if err != nil || res.Withdrawal.Status != db.WithdrawalPending {
		t.Fatalf("approve: %+v %v", res.Withdrawal, err)
	}
	tr := b.wantJournal(t, "approved", db.SourceWithdrawals, w.ID, 9_000_000, db.ActorUser, db.KindWithdrawalSent)[0]
	if tr.UserID != u2.ID {
		t.Errorf("sent booked by user %d, want the approver %d", tr.UserID, u2.ID)
	}
	verifyOK(t, b.db)
}
