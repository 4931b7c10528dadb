package money_test

import (
	"encoding/json"
	"errors"
	"net/http"
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
)

// reconGrace is the grace period of the reconciliation tests.
const reconGrace = 10 * time.Minute

// reconEnv is a shop whose every money event goes through Lapak and the
// sandbox over HTTP, with one settable clock for the database, money,
// the client and the sandbox: the test moves time past grace periods.
type reconEnv struct {
	*books
	clock *settable
	cfg   netzme.Config
}

func newReconEnv(t *testing.T) *reconEnv {
	t.Helper()
	clock := &settable{t: clocktest.Base(t)}
	sb := sandboxtest.NewServer(t, func(o *sandbox.Options) {
		o.Now, o.HistoryPageSize, o.WithdrawSettleDelay = clock.Now, 5, -1
	})
	d := dbtest.New(t, clock.Now)
	cfg := sb.Config()
	cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	cfg.Observer = money.Recorder{DB: d, Now: clock.Now}
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
	u, err := d.CreateUser(t.Context(), db.NewUser{Email: "pemilik@cocok.test", Name: "Pemilik", PasswordHash: "$argon2id$test"})
	if err != nil {
		t.Fatal(err)
	}
	svc := money.New(money.Deps{DB: d, Netzme: nz, Now: clock.Now, StatementSync: fastSync,
		Reconcile: money.ReconcileOptions{Grace: reconGrace}})
	b := &books{svc: svc, db: d, sb: sb, m: m, cust: demo.CustID, now: clock.Now(),
		owner: money.Actor{UserID: u.ID, UserEmail: u.Email, MerchantID: m.ID, RequestID: "req-cocok"}}
	return &reconEnv{books: b, clock: clock, cfg: cfg}
}

// sync reads today's Netzme lists (ending with the balance reading and the
// reconciliation pass, as every sync does).
func (e *reconEnv) sync(t *testing.T) {
	t.Helper()
	today := e.clock.Now()
	if err := e.svc.SyncStatements(t.Context(), money.System(e.m.ID), today, today); err != nil {
		t.Fatal(err)
	}
}

func (e *reconEnv) reconcile(t *testing.T) {
	t.Helper()
	if _, err := e.svc.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// items returns every pairing, newest first.
func (e *reconEnv) items(t *testing.T, f db.ReconFilter) []db.ReconItem {
	t.Helper()
	var out []db.ReconItem
	for it, err := range e.db.ReconItemRows(t.Context(), e.m.ID, f) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, it)
	}
	return out
}

// item returns the pairing of ledger transaction key, failing when there
// is none.
func (e *reconEnv) item(t *testing.T, key string) db.ReconItem {
	t.Helper()
	var l db.LedgerTransaction
	err := e.db.InTx(t.Context(), func(tx *db.Tx) error {
		var err error
		l, err = tx.LedgerTransactionByKey(t.Context(), e.m.ID, key)
		return err
	})
	if err != nil {
		t.Fatalf("ledger transaction %s: %v", key, err)
	}
	for _, it := range e.items(t, db.ReconFilter{}) {
		if it.LedgerID == l.ID {
			return it
		}
	}
	t.Fatalf("no pairing of %s", key)
	return db.ReconItem{}
}

// lineItem returns the pairing of Netzme line netzmeID.
func (e *reconEnv) lineItem(t *testing.T, netzmeID string) db.ReconItem {
	t.Helper()
	for _, it := range e.items(t, db.ReconFilter{}) {
		if it.LineNetzmeID == netzmeID {
			return it
		}
	}
	t.Fatalf("no pairing of Netzme line %s", netzmeID)
	return db.ReconItem{}
}

func wantItem(t *testing.T, what string, it db.ReconItem, outcome db.ReconOutcome, rule db.ReconRule) {
	t.Helper()
	if it.Outcome != outcome || it.Rule != rule {
		t.Errorf("%s: %s by %q, want %s by %q (%+v)", what, it.Outcome, it.Rule, outcome, rule, it)
	}
}

// latest returns the newest callback body of kind the sandbox produced.
func (e *reconEnv) latest(t *testing.T, kind string) []byte {
	t.Helper()
	ds := e.sb.Sandbox.Deliveries()
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].Kind == kind {
			return ds[i].Body
		}
	}
	t.Fatalf("no %s callback", kind)
	return nil
}

// edit changes fields of a callback body (a dotted path into objects).
func edit(t *testing.T, body []byte, set map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	for path, v := range set {
		obj := m
		parts := strings.Split(path, ".")
		for _, p := range parts[:len(parts)-1] {
			obj = obj[p].(map[string]any)
		}
		obj[parts[len(parts)-1]] = v
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *reconEnv) proof(t *testing.T) money.BalanceProof {
	t.Helper()
	p, err := e.svc.BalanceProof(t.Context(), e.m.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Every money event a shop has is paired with Netzme's line by its rule —
// invoices and the top-up by Netzme's transaction id, the split fee by our
// partnerReferenceNo, the static-QRIS payment by rrn + date + issuer, the
// withdrawals by Netzme's reference (the failed one moved nothing on
// either side) — the CVS bill is NICEPAY's and not Netzme's to list, and
// the books agree with Netzme's balance at the sync.
func TestReconcilePairsEveryEventByItsRule(t *testing.T) {
	t.Parallel()
	e := newReconEnv(t)
	ctx := t.Context()
	if err := e.sb.Sandbox.Credit(ctx, e.cust, sandbox.WalletBalance, 4_000_000, "before Lapak"); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	// The books open with Netzme's balance (the first sync of a shop
	// linked before Lapak kept books does the same).
	e.svc.RecordOpeningBalances(ctx, money.System(e.m.ID))
	if n, err := e.svc.BookOpeningBalances(ctx, e.m.ID); err != nil || n != 1 {
		t.Fatalf("opening balance booked %d, %v", n, err)
	}
	e.clock.Add(time.Minute)

	sale := e.invoice(t, money.PurposeSale, 5_000_000)
	e.deliver(t, "invoice")
	topup := e.invoice(t, money.PurposeTopup, 3_000_000)
	e.deliver(t, "invoice")
	sf, err := e.svc.DeductSplitFee(ctx, e.owner, money.SplitFeeInput{InvoiceID: sale.ID, FeeMinor: 150_000})
	if err != nil || sf.SplitFee.Status != db.SplitFeeSuccess {
		t.Fatalf("split fee: %+v %v", sf.SplitFee, err)
	}
	w1 := e.withdraw(t, db.WalletSales, true)
	q, err := e.sb.Sandbox.PayStaticQRIS(ctx, e.cust, 2_500_000)
	if err != nil {
		t.Fatal(err)
	}
	e.deliver(t, "qris")
	w2 := e.withdraw(t, db.WalletSales, false)
	bill, err := e.db.CreateCVSBill(ctx, db.NewCVSBill{MerchantID: e.m.ID, PartnerServiceID: "7015", CustomerNo: "89101110",
		PartnerReferenceNo: "CVS-RECON-1", CustomerName: "Budi", CustomerPhone: "081234567890", CustomerEmail: "budi@contoh.id",
		GoodsName: "Sembako", AmountMinor: 7_500_000, ExpiresAt: e.clock.Now().Add(24 * time.Hour)}, db.AuditEntry{Action: "cvs.create"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.db.ReceiveCVSPayment(ctx, "PRID-R1", bill.PayNo, 7_500_000, "{}"); err != nil {
		t.Fatal(err)
	}

	e.sync(t)
	sale, topup = e.reload(t, sale), e.reload(t, topup)
	wantItem(t, "sale", e.item(t, "invoice-paid:"+sale.PartnerReferenceNo), db.OutcomeMatched, db.RuleNetzmeID)
	wantItem(t, "top-up", e.item(t, "invoice-paid:"+topup.PartnerReferenceNo), db.OutcomeMatched, db.RuleNetzmeID)
	wantItem(t, "split fee", e.item(t, "split-fee:"+sf.SplitFee.ReferenceNo), db.OutcomeMatched, db.RulePartnerRef)
	st := e.item(t, "qris:"+q.RRN+"|"+q.LocalDate+"|"+q.IssuerID)
	wantItem(t, "static QRIS", st, db.OutcomeMatched, db.RuleQRISKey)
	if st.NetzmeID != q.ReferenceID || st.LapakAmountMinor != 2_500_000 || st.NetzmeFeeMinor != q.FeeMinor || st.LapakFeeMinor != q.FeeMinor {
		t.Errorf("static QRIS pairing %+v", st)
	}
	wantItem(t, "withdrawal", e.item(t, "withdrawal:"+w1.PartnerReferenceNo+":sent"), db.OutcomeMatched, db.RuleNetzmeID)
	failed := e.item(t, "withdrawal:"+w2.PartnerReferenceNo+":sent")
	wantItem(t, "failed withdrawal", failed, db.OutcomeMatched, db.RuleNetzmeID)
	if failed.LapakAmountMinor != 0 || failed.NetzmeAmountMinor != 0 {
		t.Errorf("a failed withdrawal moved money: %+v", failed)
	}
	// The adjustment Netzme made before Lapak is held by the opening balance.
	all := e.items(t, db.ReconFilter{})
	for _, it := range all {
		if it.Kind == "ADJUSTMENT" {
			wantItem(t, "adjustment before Lapak", it, db.OutcomeMatched, db.RuleOpening)
		} else if it.Outcome != db.OutcomeMatched {
			t.Errorf("exception %+v", it)
		}
		if it.Method == money.MethodCVS {
			t.Errorf("the CVS bill is paired with Netzme: %+v", it)
		}
	}
	if len(all) != 7 {
		t.Errorf("%d pairings, want 7 (6 events and the adjustment)", len(all))
	}
	p := e.proof(t)
	if !p.Synced || !p.Agrees() || p.OpenCount != 0 || p.NetzmeMinor == 0 {
		t.Errorf("balance proof %+v, want the books to agree with Netzme", p)
	}
	nb, _ := e.sb.Sandbox.Balances(ctx, e.cust)
	if p.NetzmeMinor != nb.TotalMinor || p.LapakMinor != nb.TotalMinor {
		t.Errorf("proof %+v, Netzme holds %d", p, nb.TotalMinor)
	}

	// A second pass, and a second sync, change nothing.
	before := e.items(t, db.ReconFilter{})
	e.reconcile(t)
	e.clock.Add(time.Minute)
	e.sync(t)
	after := e.items(t, db.ReconFilter{})
	if len(after) != len(before) {
		t.Fatalf("%d pairings after a re-sync, %d before", len(after), len(before))
	}
	for i := range after {
		if after[i].ID != before[i].ID || after[i].Outcome != before[i].Outcome || after[i].Rule != before[i].Rule {
			t.Errorf("pairing moved on a re-sync: %+v → %+v", before[i], after[i])
		}
	}
}

// The exceptions: a payment whose callback never came waits out its grace
// period, then is only at Netzme until the resolver applies it; a payment
// Netzme never had is only in Lapak once Netzme's list was read after its
// grace; a fee Netzme reports differently is "amount differs". The
// balance proof's difference is what the open exceptions explain.
func TestReconcileExceptions(t *testing.T) {
	t.Parallel()
	e := newReconEnv(t)
	ctx := t.Context()
	e.svc.RecordOpeningBalances(ctx, money.System(e.m.ID))

	// Paid at Netzme; the callback is lost.
	dropped := e.invoice(t, money.PurposeSale, 1_200_000)
	// Paid, and the callback reports no fee where Netzme's list has one.
	feeless := e.invoice(t, money.PurposeSale, 3_300_000)
	body := edit(t, e.latest(t, "invoice"), map[string]any{"feeAmount": snap.IDR(0), "netAmount": snap.IDR(3_300_000)})
	if cb := e.apply(t, db.CallbackInvoice, body); cb.Status != db.CallbackApplied {
		t.Fatalf("feeless callback: %s %s", cb.Status, cb.Note)
	}
	// A static-QRIS callback for a payment Netzme never made.
	q, err := e.sb.Sandbox.PayStaticQRIS(ctx, e.cust, 900_000)
	if err != nil {
		t.Fatal(err)
	}
	phantom := strings.ReplaceAll(string(e.latest(t, "qris")), q.RRN, "PHANTOM00001")
	if cb := e.apply(t, db.CallbackQRIS, []byte(phantom)); cb.PaymentID == 0 {
		t.Fatalf("phantom callback recorded nothing: %+v", cb)
	}
	e.deliver(t, "qris") // the real one

	e.sync(t)
	dropped = e.reload(t, dropped)
	feeless = e.reload(t, feeless)
	wantItem(t, "lost callback inside its grace", e.lineItem(t, dropped.NetzmeTrxID), db.OutcomeWaiting, db.RuleNone)
	wantItem(t, "fee differs inside its grace", e.item(t, "invoice-paid:"+feeless.PartnerReferenceNo), db.OutcomeWaiting, db.RuleNetzmeID)
	phantomKey := "qris:PHANTOM00001|" + q.LocalDate + "|" + q.IssuerID
	wantItem(t, "phantom inside its grace", e.item(t, phantomKey), db.OutcomeWaiting, db.RuleNone)

	// The grace period ends; the phantom stays waiting until Netzme's list
	// of its day is read again.
	e.clock.Add(reconGrace + time.Minute)
	e.reconcile(t)
	lost := e.lineItem(t, dropped.NetzmeTrxID)
	wantItem(t, "lost callback", lost, db.OutcomeNetzmeOnly, db.RuleNone)
	if lost.HasLapak || lost.NetzmeAmountMinor != 1_200_000 || lost.NetzmeNetMinor != 1_200_000-lost.NetzmeFeeMinor {
		t.Errorf("lost callback pairing %+v", lost)
	}
	fee := e.item(t, "invoice-paid:"+feeless.PartnerReferenceNo)
	wantItem(t, "fee differs", fee, db.OutcomeAmountDiffers, db.RuleNetzmeID)
	if fee.LapakFeeMinor != 0 || fee.NetzmeFeeMinor == 0 || fee.LapakAmountMinor != fee.NetzmeAmountMinor {
		t.Errorf("fee pairing %+v", fee)
	}
	wantItem(t, "phantom before its day is read again", e.item(t, phantomKey), db.OutcomeWaiting, db.RuleNone)
	e.sync(t)
	ph := e.item(t, phantomKey)
	wantItem(t, "phantom", ph, db.OutcomeLapakOnly, db.RuleNone)

	// The proof: Netzme holds the lost payment's net more, the feeless
	// sale's fee less (the books did not count it) and the phantom less.
	p := e.proof(t)
	if p.Agrees() || p.OpenCount != 3 || !p.Explained() {
		t.Errorf("proof %+v: want a difference explained by the 3 open exceptions", p)
	}
	want := lost.NetzmeNetMinor + (fee.NetzmeNetMinor - fee.LapakNetMinor) - ph.LapakNetMinor
	if p.DifferenceMinor != want {
		t.Errorf("difference %d, want %d", p.DifferenceMinor, want)
	}

	// The resolver asks Netzme about the unpaid invoice and applies it:
	// the line is matched, by Netzme's id, in the same pairing.
	if r, err := e.svc.ResolveInvoice(ctx, money.System(e.m.ID), dropped); err != nil || r.To != db.InvoicePaid {
		t.Fatalf("resolve: %+v %v", r, err)
	}
	e.reconcile(t)
	got := e.lineItem(t, dropped.NetzmeTrxID)
	wantItem(t, "applied late", got, db.OutcomeMatched, db.RuleNetzmeID)
	if got.ID != lost.ID || !got.HasLapak {
		t.Errorf("the late payment is a new pairing %+v, want %d", got, lost.ID)
	}
}

// The unique amount: a counter code asks for Rp 25.000 plus a tail that no
// waiting code has; its payment is told from every other by its amount —
// the counter shows it paid, and when Netzme's line carries no key Lapak
// knows, reconciliation pairs them by the amount, "dalam 15 menit". Two
// payments of one amount are never paired by amount.
func TestReconcileUniqueAmount(t *testing.T) {
	t.Parallel()
	e := newReconEnv(t)
	ctx := t.Context()
	var codes []db.QRISCode
	seen := map[int64]bool{}
	for range 3 {
		c, tail, err := e.svc.CounterUniqueQRIS(ctx, e.owner, money.QRISInput{AmountMinor: 2_500_000, Label: "Kopi"})
		if err != nil {
			t.Fatal(err)
		}
		if tail < 100 || tail > money.MaxUniqueTail || tail%100 != 0 || c.AmountMinor != 2_500_000+tail || seen[c.AmountMinor] {
			t.Fatalf("code %+v with tail %d", c, tail)
		}
		if got, _ := e.db.QRISCodeTail(ctx, c.ID); got != tail {
			t.Errorf("stored tail %d, want %d", got, tail)
		}
		seen[c.AmountMinor] = true
		codes = append(codes, c)
	}
	// The customer pays the first code's amount; the counter shows it paid.
	if _, err := e.sb.Sandbox.PayStaticQRIS(ctx, e.cust, codes[0].AmountMinor); err != nil {
		t.Fatal(err)
	}
	cb := e.deliver(t, "qris")
	if c, err := e.db.QRISCodeByPayment(ctx, e.m.ID, cb.PaymentID); err != nil || c.ID != codes[0].ID {
		t.Fatalf("payment matched to code %+v, %v; want %d", c, err, codes[0].ID)
	}
	p, err := e.db.MerchantPayment(ctx, e.m.ID, cb.PaymentID)
	if err != nil {
		t.Fatal(err)
	}
	// Netzme's list gives the payment an id of its own (not the QRIS key),
	// beside a payment of another amount and two of one same amount.
	twin, err := e.sb.Sandbox.PayStaticQRIS(ctx, e.cust, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	e.deliver(t, "qris")
	body := e.latest(t, "qris")
	twinAgain := strings.ReplaceAll(string(body), twin.RRN, "TWINTWIN0002")
	e.apply(t, db.CallbackQRIS, []byte(twinAgain))

	day := e.clock.Now().In(snap.Jakarta).Format(time.DateOnly)
	line := func(id string, amount, fee int64) db.StatementLine {
		raw, _ := json.Marshal(map[string]any{"type": "PAYMENT", "status": "SUCCESS", "additionalInfo": map[string]any{"transactionId": id}})
		return db.StatementLine{NetzmeID: id, OccurredAt: e.clock.Now().Add(-time.Minute), Type: "PAYMENT", Status: "SUCCESS",
			Method: "QRIS", AmountMinor: amount, TotalMinor: amount, FeeMinor: fee, Raw: string(raw)}
	}
	for i, ls := range [][]db.StatementLine{{line("NZ-UNIQUE-1", p.AmountMinor, p.FeeMinor),
		line("NZ-TWIN-1", 1_000_000, twin.FeeMinor), line("NZ-TWIN-2", 1_000_000, twin.FeeMinor)}, nil} {
		if _, err := e.db.RecordStatementPage(ctx, db.StatementPage{MerchantID: e.m.ID, Source: db.SourceSales, Day: day,
			Page: i + 1, Lines: ls}, true); err != nil {
			t.Fatal(err)
		}
	}
	e.reconcile(t)
	it := e.lineItem(t, "NZ-UNIQUE-1")
	wantItem(t, "unique amount", it, db.OutcomeMatched, db.RuleUniqueAmount)
	if it.LapakAmountMinor != codes[0].AmountMinor || it.Method != money.MethodStaticQRIS || it.Reference != p.RRN {
		t.Errorf("unique-amount pairing %+v", it)
	}
	for _, id := range []string{"NZ-TWIN-1", "NZ-TWIN-2"} {
		if tw := e.lineItem(t, id); tw.HasLapak {
			t.Errorf("%s paired by an amount two payments share: %+v", id, tw)
		}
	}
}

// A resolved exception stays resolved — with its note and its one
// adjustment — through later passes and re-syncs; the adjustment, booked
// on the exception's date, makes the books agree; the database refuses to
// un-resolve it.
func TestResolvedExceptionSurvivesResync(t *testing.T) {
	t.Parallel()
	e := newReconEnv(t)
	ctx := t.Context()
	e.svc.RecordOpeningBalances(ctx, money.System(e.m.ID))
	iv := e.invoice(t, money.PurposeSale, 4_400_000) // its callback never comes
	e.sync(t)
	e.clock.Add(reconGrace + time.Minute)
	e.reconcile(t)
	iv = e.reload(t, iv)
	it := e.lineItem(t, iv.NetzmeTrxID)
	wantItem(t, "lost callback", it, db.OutcomeNetzmeOnly, db.RuleNone)

	if _, err := e.svc.ResolveException(ctx, e.owner, it.ID, money.ResolveInput{}); !isField(err, "note", money.ErrRequired) {
		t.Errorf("resolve without a note: %v", err)
	}
	if _, err := e.svc.ResolveException(ctx, money.Actor{MerchantID: e.m.ID + 1, UserID: e.owner.UserID}, it.ID,
		money.ResolveInput{Note: "x"}); !errorsIs(err, db.ErrNotFound) {
		t.Errorf("another shop resolved it: %v", err)
	}
	net := it.NetzmeNetMinor
	res, err := e.svc.ResolveException(ctx, e.owner, it.ID, money.ResolveInput{Note: "Dibayar pelanggan, callback hilang", AdjustMinor: net})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resolved || res.AdjustmentID == 0 || res.Note != "Dibayar pelanggan, callback hilang" {
		t.Fatalf("resolved %+v", res)
	}
	if _, err := e.svc.ResolveException(ctx, e.owner, it.ID, money.ResolveInput{Note: "lagi", AdjustMinor: net}); !errorsIs(err, money.ErrAlreadyResolved) {
		t.Errorf("resolved twice: %v", err)
	}
	adj, err := e.db.LedgerTransaction(ctx, e.m.ID, res.AdjustmentID)
	if err != nil || adj.Posting(db.AccountNetzmeBalance) != net || !adj.OccurredAt.Equal(it.OccurredAt) || adj.Actor != db.ActorUser {
		t.Errorf("adjustment %+v %v", adj, err)
	}
	e.clock.Add(time.Hour)
	e.sync(t)
	e.sync(t)
	again := e.lineItem(t, iv.NetzmeTrxID)
	if !again.Resolved || again.Note != res.Note || again.AdjustmentID != res.AdjustmentID || again.ID != it.ID {
		t.Errorf("after re-syncs: %+v, want it resolved as %+v", again, res)
	}
	if p := e.proof(t); !p.Agrees() || p.OpenCount != 0 {
		t.Errorf("proof after the adjustment %+v", p)
	}
	adjs := 0
	for _, tr := range e.items(t, db.ReconFilter{}) {
		if tr.Kind == string(db.KindAdjustment) {
			adjs++
		}
	}
	if adjs != 0 {
		t.Errorf("the adjustment itself became a pairing")
	}
	resolved := true
	if n := len(e.items(t, db.ReconFilter{Resolved: &resolved})); n != 1 {
		t.Errorf("%d resolved items, want 1", n)
	}
	for _, q := range []string{`UPDATE recon_items SET resolved = 0 WHERE id = ?`, `UPDATE recon_items SET note = 'lain' WHERE id = ?`,
		`DELETE FROM recon_items WHERE id = ?`} {
		if _, err := e.db.SQL().ExecContext(ctx, e.db.Rebind(q), it.ID); err == nil || !strings.Contains(err.Error(), "resolved") {
			t.Errorf("%s: %v, want the database to refuse", q, err)
		}
	}
}

// The opening balance is booked once, from Netzme's balance at link time;
// for a shop linked before its books began, from what Netzme held at the
// first sync beyond what the books held then.
func TestOpeningBalanceIsBookedOnce(t *testing.T) {
	t.Parallel()
	e := newReconEnv(t)
	ctx := t.Context()
	// Already linked, with a sale in the books, when Netzme's balance is
	// first read: Rp 40.000 were there before Lapak.
	if err := e.sb.Sandbox.Credit(ctx, e.cust, sandbox.WalletBalance, 4_000_000, "before Lapak"); err != nil {
		t.Fatal(err)
	}
	sale := e.invoice(t, money.PurposeSale, 1_000_000)
	e.deliver(t, "invoice")
	sale = e.reload(t, sale)
	e.clock.Add(time.Minute)
	e.sync(t)
	bal := e.balances(t)
	if bal[db.AccountEquityOpening] != -4_000_000 || bal[db.AccountNetzmeBalance] != 4_000_000+sale.NetMinor.Int64 {
		t.Errorf("after the first sync: %v", bal)
	}
	for range 2 {
		if n, err := e.svc.BookOpeningBalances(ctx, e.m.ID); err != nil || n != 0 {
			t.Errorf("booked again: %d %v", n, err)
		}
		e.sync(t)
	}
	if again := e.balances(t); again[db.AccountEquityOpening] != -4_000_000 {
		t.Errorf("opening booked twice: %v", again)
	}
	if p := e.proof(t); !p.Agrees() {
		t.Errorf("proof %+v", p)
	}
	verifyOK(t, e.db)
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// isField reports whether err is a FieldError of field for reason.
func isField(err error, field string, reason error) bool {
	var fe *money.FieldError
	return errors.As(err, &fe) && fe.Field == field && errors.Is(err, reason)
}
