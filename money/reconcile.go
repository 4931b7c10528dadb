package money

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"lapak/db"
	"lapak/snap"
)

// Reconciliation (issue 12 §3). Every line of Netzme's statements (§3.4,
// §3.25; synced by sync.go) is paired with a ledger transaction and every
// ledger transaction that moves a Netzme wallet with a line, by rules tried
// in order and recorded with the pairing:
//
//  1. netzme_id      Netzme's transaction id: the trxId of an invoice (or its
//                    invoiceId), the referenceNo of a withdrawal
//  2. partner_ref    our partnerReferenceNo (a split fee is listed under it)
//  3. qris_key       rrn + date + issuer: a static-QRIS payment's
//                    referenceId (§3.15)
//  4. unique_amount  a static-QRIS payment whose amount is the only one of
//                    its kind on both sides within UniqueWindow (the counter's
//                    unique tail makes it so: Rp 25.037)
//
// Each pairing (db.ReconItem) has one outcome: matched, lapak_only,
// netzme_only, amount_differs (amount or fee), or waiting — one side is
// missing or differs but its grace period has not ended, or Netzme's list
// of the day was read before the payment and is to be read again.
// Anything older than the merchant's opening balance that has no pair is
// held by the opening balance (rule opening).
//
// The pass is incremental and idempotent: it reads the ledger transactions
// and line versions written since it last ran (a cursor, in the same
// transaction as its work), the opening balances recorded since, the days
// of Netzme's lists read again since, and the waits that ended. A pairing is
// updated in place, never rebuilt, so a person's resolution stays. It runs
// after each sync, in the background runner, and briefly before the page
// is shown.

// ReconcileOptions tunes the reconciliation; zero values take the defaults.
type ReconcileOptions struct {
	// Grace is how long a record seen on one side only waits for the other
	// before it is an exception; 0 = 30 min (guess, §2.9: Netzme's retries
	// of a callback are not documented for vSNAP; the legacy page retries
	// three times, and the resolver asks Netzme every 15 s).
	Grace time.Duration
	// UniqueWindow is the unique-amount rule's window on either side of a
	// payment; 0 = CounterWait.
	UniqueWindow time.Duration
	// Batch is how many rows one transaction of the pass reads; 0 = 100.
	// The pass holds SQLite's one writer for each transaction: 100 rows
	// are some 50 ms on an idle machine, so callbacks, sign-ins and the
	// job leases' renewals never wait long behind a catching-up pass (at
	// 500 a pass over a 200k journal on a loaded machine held the writer
	// for seconds and the leases' renewals timed out).
	Batch int
}

func (o ReconcileOptions) withDefaults() ReconcileOptions {
	if o.Grace <= 0 {
		o.Grace = 30 * time.Minute
	}
	if o.UniqueWindow <= 0 {
		o.UniqueWindow = CounterWait
	}
	if o.Batch <= 0 {
		o.Batch = 100
	}
	return o
}

// reconciler is the pass's in-process state: one pass at a time, and the
// background runner's wake-up.
type reconciler struct {
	opts ReconcileOptions
	mu   *sync.Mutex
	wake chan struct{}
}

func newReconciler(o ReconcileOptions) reconciler {
	return reconciler{opts: o.withDefaults(), mu: &sync.Mutex{}, wake: make(chan struct{}, 1)}
}

// ReconcileOptions returns the options in force (defaults filled in).
func (s *Service) ReconcileOptions() ReconcileOptions { return s.recon.opts }

// ReconcileReport is what a pass did.
type ReconcileReport struct {
	Ledger, Lines int  // ledger transactions and line versions read
	Rejudged      int  // pairings looked at again (waits ended, days read again, opening balances)
	More          bool // a bounded pass stopped with work left
}

func (r *ReconcileReport) add(o ReconcileReport) {
	r.Ledger, r.Lines, r.Rejudged = r.Ledger+o.Ledger, r.Lines+o.Lines, r.Rejudged+o.Rejudged
}

// Reconcile runs the pass until nothing is left to read (or ctx ends),
// waiting for a pass already running.
func (s *Service) Reconcile(ctx context.Context) (ReconcileReport, error) {
	s.recon.mu.Lock()
	defer s.recon.mu.Unlock()
	var total ReconcileReport
	if pending, err := s.db.ReconWorkPending(ctx, s.now()); err != nil || !pending {
		return total, err
	}
	for {
		start := s.now()
		r, err := s.reconcileStep(ctx)
		total.add(r)
		if err != nil || r.Ledger+r.Lines+r.Rejudged == 0 {
			return total, err
		}
		// Catching up (a whole batch read: a journal of a year that was
		// never reconciled, after an upgrade or a seed): rest as long as
		// the step took, so the pass takes at most half of the writer and
		// of a core, and pages, callbacks and sign-ins go on at their pace
		// meanwhile. A 1M-transaction load run with the pass at full speed
		// had every page 8–12× slower until it was done.
		if r.Ledger+r.Lines >= s.recon.opts.Batch {
			if d := s.now().Sub(start); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// ReconcileSome runs the pass for at most about maxRows rows, unless a pass
// is running already (then it returns at once, More set): pages call it so
// that what they show is current, without ever waiting long.
func (s *Service) ReconcileSome(ctx context.Context, maxRows int) (ReconcileReport, error) {
	// Most page views find nothing to do: ask the read pool first, and
	// take the writer only for work.
	if pending, err := s.db.ReconWorkPending(ctx, s.now()); err != nil || !pending {
		return ReconcileReport{}, err
	}
	if !s.recon.mu.TryLock() {
		return ReconcileReport{More: true}, nil
	}
	defer s.recon.mu.Unlock()
	var total ReconcileReport
	for total.Ledger+total.Lines+total.Rejudged < maxRows {
		r, err := s.reconcileStep(ctx)
		total.add(r)
		if err != nil || r.Ledger+r.Lines+r.Rejudged == 0 {
			return total, err
		}
	}
	total.More = true
	s.PokeReconcile()
	return total, nil
}

// PokeReconcile wakes the background runner.
func (s *Service) PokeReconcile() {
	select {
	case s.recon.wake <- struct{}{}:
	default:
	}
}

// RunReconciler is the background job: a pass when poked and every
// interval, until ctx ends.
func (s *Service) RunReconciler(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Minute
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if _, err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("reconcile: pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.recon.wake:
		}
	}
}

// reconcileStep does one transaction's worth of the pass: new ledger
// transactions first, then new line versions, then (when both are read)
// the pairings to look at again.
func (s *Service) reconcileStep(ctx context.Context) (ReconcileReport, error) {
	var r ReconcileReport
	o := s.recon.opts
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		r = ReconcileReport{}
		st, err := tx.ReconState(ctx)
		if err != nil {
			return err
		}
		ls, err := tx.LedgerTransactionsAfter(ctx, st.LedgerAfter, o.Batch)
		if err != nil {
			return err
		}
		for _, l := range ls {
			if err := s.reconLedger(ctx, tx, l); err != nil {
				return fmt.Errorf("money: reconcile ledger transaction %d: %w", l.ID, err)
			}
			st.LedgerAfter = l.ID
		}
		r.Ledger = len(ls)
		if room := o.Batch - len(ls); room > 0 {
			lines, err := tx.StatementLinesAfter(ctx, st.LineAfter, room)
			if err != nil {
				return err
			}
			for _, l := range lines {
				if err := s.reconLine(ctx, tx, l); err != nil {
					return fmt.Errorf("money: reconcile line %d: %w", l.ID, err)
				}
				st.LineAfter = l.ID
			}
			r.Lines = len(lines)
		}
		if r.Ledger+r.Lines == 0 {
			if r.Rejudged, err = s.rejudgeDue(ctx, tx, &st, o.Batch); err != nil {
				return err
			}
		}
		return tx.SetReconState(ctx, st)
	})
	return r, err
}

// rejudgeDue looks again at the pairings that may have moved on without a
// new row: those older than an opening balance recorded since the last
// pass, the waiting ones of days Netzme's list was read again for, and
// those whose grace period ended.
func (s *Service) rejudgeDue(ctx context.Context, tx *db.Tx, st *db.ReconState, limit int) (int, error) {
	n := 0
	obs, err := tx.OpeningBalancesAfter(ctx, st.OpeningAfter)
	if err != nil {
		return 0, err
	}
	for _, b := range obs {
		its, err := tx.OpenReconItemsBefore(ctx, b.MerchantID, b.Wallet, b.AsOf)
		if err != nil {
			return n, err
		}
		for _, it := range its {
			if err := s.rejudge(ctx, tx, it); err != nil {
				return n, err
			}
		}
		n, st.OpeningAfter = n+len(its)+1, b.ID
	}
	days, err := tx.DaysSyncedSince(ctx, st.DaysCheckedAt)
	if err != nil {
		return n, err
	}
	for _, d := range days {
		its, err := tx.WaitingReconItemsOfDay(ctx, d.MerchantID, db.Wallet(d.Source), d.Day)
		if err != nil {
			return n, err
		}
		for _, it := range its {
			if err := s.rejudge(ctx, tx, it); err != nil {
				return n, err
			}
		}
		n += len(its)
		if d.SyncedAt.After(st.DaysCheckedAt) {
			st.DaysCheckedAt = d.SyncedAt
		}
	}
	due, err := tx.WaitingReconItemsDue(ctx, s.now(), limit)
	if err != nil {
		return n, err
	}
	for _, it := range due {
		if err := s.rejudge(ctx, tx, it); err != nil {
			return n, err
		}
	}
	return n + len(due), nil
}

// walletOf is the Netzme wallet a ledger transaction moves, if any:
// reconciliation covers what Netzme's lists can show. Adjustments and the
// opening balance are Lapak's own corrections; a CVS bill is NICEPAY's.
func walletOf(l db.LedgerTransaction) (db.Wallet, bool) {
	if l.Kind == db.KindAdjustment || l.Kind == db.KindOpeningBalance {
		return "", false
	}
	switch {
	case l.Posting(db.AccountNetzmeBalance) != 0:
		return db.WalletSales, true
	case l.Posting(db.AccountNetzmeDeposit) != 0:
		return db.WalletDeposit, true
	}
	return "", false
}

func walletAccount(w db.Wallet) db.LedgerAccount {
	if w == db.WalletDeposit {
		return db.AccountNetzmeDeposit
	}
	return db.AccountNetzmeBalance
}

// moneyIn reports whether a ledger kind brings money in (its amount is a
// gross with a fee).
func moneyIn(k string) bool { return k == string(db.KindSale) || k == string(db.KindTopup) }

// followUp reports whether l continues an event booked before it: a
// withdrawal's outcome, or a reversal.
func followUp(l db.LedgerTransaction) bool {
	switch l.Kind {
	case db.KindWithdrawalSucceeded, db.KindWithdrawalFailed, db.KindDepositWithdrawalSucceeded, db.KindDepositWithdrawalFailed:
		return true
	}
	return l.ReversesID != 0
}

// primaryOf returns the ledger transaction that opened l's event: l
// itself, the sent transaction of a withdrawal's outcome, what a reversal
// reverses.
func primaryOf(ctx context.Context, tx *db.Tx, l db.LedgerTransaction) (db.LedgerTransaction, error) {
	for range 3 {
		if !followUp(l) {
			return l, nil
		}
		if l.ReversesID != 0 {
			o, err := tx.LedgerTransaction(ctx, l.MerchantID, l.ReversesID)
			if err != nil {
				return l, err
			}
			l = o
			continue
		}
		ts, err := tx.LedgerOfSource(ctx, l.SourceTable, l.SourceID)
		if err != nil {
			return l, err
		}
		for _, t := range ts {
			if !followUp(t) {
				return t, nil
			}
		}
		return l, fmt.Errorf("money: no sent transaction for %s", l.Key)
	}
	return l, fmt.Errorf("money: %s: no primary transaction", l.Key)
}

// reconLedger pairs a ledger transaction read for the first time.
func (s *Service) reconLedger(ctx context.Context, tx *db.Tx, l db.LedgerTransaction) error {
	wallet, ok := walletOf(l)
	if !ok {
		return nil
	}
	p, err := primaryOf(ctx, tx, l)
	if err != nil {
		return err
	}
	it, err := tx.ReconItemByLedger(ctx, p.ID)
	switch {
	case err == nil:
		return s.rejudge(ctx, tx, it) // a follow-up (or a second read): the event's pairing moves on
	case !errors.Is(err, db.ErrNotFound):
		return err
	}
	it = db.ReconItem{MerchantID: p.MerchantID, Wallet: wallet, LedgerID: p.ID}
	line, rule, found, err := s.findLine(ctx, tx, p, wallet)
	if err != nil {
		return err
	}
	if found {
		if other, err := tx.ReconItemByLine(ctx, p.MerchantID, wallet, line.NetzmeID); err == nil {
			// The line was seen first (a Netzme-only item): the ledger
			// side joins it, so a resolution of it stays.
			other.LedgerID = p.ID
			other.Rule = rule
			return s.rejudge(ctx, tx, other, seenSides{&p, &line})
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		it.LineNetzmeID, it.LineID, it.Rule = line.NetzmeID, line.ID, rule
		return s.rejudge(ctx, tx, it, seenSides{&p, &line})
	}
	return s.rejudge(ctx, tx, it, seenSides{ledger: &p})
}

// reconLine pairs a line version read for the first time.
func (s *Service) reconLine(ctx context.Context, tx *db.Tx, l db.ReconLine) error {
	if !l.Current {
		return nil // a newer version is read after it
	}
	wallet := db.Wallet(l.Source)
	it, err := tx.ReconItemByLine(ctx, l.MerchantID, wallet, l.NetzmeID)
	switch {
	case err == nil && it.LineID == l.ID:
		return nil // paired with this very version already (from its ledger side, in this pass)
	case err == nil:
		return s.rejudge(ctx, tx, it)
	case !errors.Is(err, db.ErrNotFound):
		return err
	}
	led, rule, found, err := s.findLedger(ctx, tx, l, wallet)
	if err != nil {
		return err
	}
	if found {
		it, err := tx.ReconItemByLedger(ctx, led.ID)
		if errors.Is(err, db.ErrNotFound) {
			it = db.ReconItem{MerchantID: l.MerchantID, Wallet: wallet, LedgerID: led.ID}
		} else if err != nil {
			return err
		}
		it.LineNetzmeID, it.LineID, it.Rule = l.NetzmeID, l.ID, rule
		return s.rejudge(ctx, tx, it, seenSides{&led, &l})
	}
	if side := netzmeSide(l.StatementLine); side.amount == 0 && side.net == 0 {
		return nil // nothing moved (an open or closed invoice): nothing to pair
	}
	return s.rejudge(ctx, tx, db.ReconItem{MerchantID: l.MerchantID, Wallet: wallet, LineNetzmeID: l.NetzmeID, LineID: l.ID}, seenSides{line: &l})
}

// side is one side's effect: the gross amount (or the amount moved out),
// the fee, and the signed effect on the wallet.
type side struct{ amount, fee, net int64 }

// lapakSide is what the books say of the event opened by p: money in counts
// its gross and fee unless reversed; money out the net the wallet lost over
// the event's transactions (a failed withdrawal: nothing).
func lapakSide(ctx context.Context, tx *db.Tx, p db.LedgerTransaction, wallet db.Wallet) (side, error) {
	ts := []db.LedgerTransaction{p}
	if p.SourceTable != "" {
		var err error
		if ts, err = tx.LedgerOfSource(ctx, p.SourceTable, p.SourceID); err != nil {
			return side{}, err
		}
	} else if r, err := tx.ReversalOf(ctx, p.ID); err == nil {
		ts = append(ts, r)
	} else if !errors.Is(err, db.ErrNotFound) {
		return side{}, err
	}
	acct := walletAccount(wallet)
	var net int64
	for _, t := range ts {
		net += t.Posting(acct)
	}
	if moneyIn(string(p.Kind)) {
		if net == 0 {
			return side{}, nil
		}
		return side{amount: p.AmountMinor, fee: p.FeeMinor, net: net}, nil
	}
	return side{amount: -net, net: net}, nil
}

// Netzme's statuses (guess, §3.4: the values are not documented): a payment
// or top-up moved money once paid; anything else moved it unless it failed.
var (
	paidStatuses   = map[string]bool{"SUCCESS": true, "PAID": true, "SETTLED": true, "SETTLEMENT": true, "COMPLETED": true, "DONE": true}
	failedStatuses = map[string]bool{"FAILED": true, "FAIL": true, "CLOSED": true, "EXPIRED": true, "CANCELLED": true,
		"CANCELED": true, "REJECTED": true, "REFUNDED": true, "REVERSED": true, "INIT": true}
)

// lineMoneyIn reports whether a line of Netzme's list brings money in.
func lineMoneyIn(typ string) bool {
	t := strings.ToUpper(typ)
	return t == "PAYMENT" || t == "TOP_UP"
}

// netzmeSide is what a line of Netzme's list says moved: a payment or
// top-up its total (what the buyer paid; the amount when no total) and
// fee once paid; a withdrawal or deduction its amount out unless it failed;
// an adjustment (or any other type) its signed amount.
func netzmeSide(l db.StatementLine) side {
	status := strings.ToUpper(l.Status)
	if lineMoneyIn(l.Type) {
		if !paidStatuses[status] {
			return side{}
		}
		gross := l.TotalMinor
		if gross == 0 {
			gross = l.AmountMinor
		}
		return side{amount: gross, fee: l.FeeMinor, net: gross - l.FeeMinor}
	}
	if failedStatuses[status] {
		return side{}
	}
	switch strings.ToUpper(l.Type) {
	case "WITHDRAW", "WITHDRAWAL", "DEDUCT":
		a := l.AmountMinor
		if a < 0 {
			a = -a
		}
		return side{amount: a, net: -a}
	}
	return side{amount: l.AmountMinor, net: l.AmountMinor}
}

// lineTime is when a line's money moved: paid, else created, else read.
func lineTime(l db.StatementLine) time.Time {
	switch {
	case !l.PaidAt.IsZero():
		return l.PaidAt
	case !l.OccurredAt.IsZero():
		return l.OccurredAt
	}
	return l.FetchedAt
}

// qrisKey is the static-QRIS key of a payment's ledger transaction as
// Netzme writes it (§3.15 referenceId: rrn + date + issuer), or "".
func qrisKey(l db.LedgerTransaction) string {
	k, ok := strings.CutPrefix(l.Key, "qris:")
	if !ok {
		return ""
	}
	return strings.ReplaceAll(k, "|", "")
}

// ledgerQRISKey turns a referenceId (rrn, 12 characters; YYYYMMDD; issuer
// id) back into the ledger key of its payment, or "".
func ledgerQRISKey(referenceID string) string {
	if len(referenceID) <= 20 {
		return ""
	}
	date := referenceID[12:20]
	for _, c := range date {
		if c < '0' || c > '9' {
			return ""
		}
	}
	return "qris:" + referenceID[:12] + "|" + date + "|" + referenceID[20:]
}

// findLine finds the line of ledger transaction p (a primary one), by the
// rules in order, among lines no other ledger transaction has.
func (s *Service) findLine(ctx context.Context, tx *db.Tx, p db.LedgerTransaction, wallet db.Wallet) (db.ReconLine, db.ReconRule, bool, error) {
	src := db.StatementSource(wallet)
	free := func(l db.ReconLine) (bool, error) {
		it, err := tx.ReconItemByLine(ctx, p.MerchantID, wallet, l.NetzmeID)
		if errors.Is(err, db.ErrNotFound) {
			return true, nil
		}
		return err == nil && (it.LedgerID == 0 || it.LedgerID == p.ID), err
	}
	byID := func(ids ...string) (db.ReconLine, bool, error) {
		seen := map[string]bool{}
		for _, id := range ids {
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			l, err := tx.CurrentLine(ctx, p.MerchantID, src, id)
			if errors.Is(err, db.ErrNotFound) {
				continue
			} else if err != nil {
				return l, false, err
			}
			if ok, err := free(l); err != nil || ok {
				return l, ok, err
			}
		}
		return db.ReconLine{}, false, nil
	}
	first := func(ls []db.ReconLine, err error) (db.ReconLine, bool, error) {
		if err != nil {
			return db.ReconLine{}, false, err
		}
		for _, l := range ls {
			if ok, err := free(l); err != nil || ok {
				return l, ok, err
			}
		}
		return db.ReconLine{}, false, nil
	}

	// 1. Netzme's id: as booked, and as the record knows it now.
	ids := []string{p.ExternalID}
	invoiceID := ""
	switch p.SourceTable {
	case db.SourceInvoices:
		iv, err := tx.InvoiceByID(ctx, p.SourceID)
		if err != nil {
			return db.ReconLine{}, "", false, err
		}
		ids, invoiceID = append(ids, iv.NetzmeTrxID), iv.NetzmeInvoiceID
	case db.SourceWithdrawals:
		w, err := tx.WithdrawalByID(ctx, p.SourceID)
		if err != nil {
			return db.ReconLine{}, "", false, err
		}
		ids = append(ids, w.NetzmeReferenceNo)
	}
	if l, ok, err := byID(ids...); err != nil || ok {
		return l, db.RuleNetzmeID, ok, err
	}
	if invoiceID != "" {
		if l, ok, err := first(tx.LinesByInvoiceID(ctx, p.MerchantID, src, invoiceID)); err != nil || ok {
			return l, db.RuleNetzmeID, ok, err
		}
	}
	// 2. Our partnerReferenceNo (a static payment's reference is its rrn,
	// not ours).
	if p.SourceTable != db.SourcePayments && p.Reference != "" {
		if l, ok, err := byID(p.Reference); err != nil || ok {
			return l, db.RulePartnerRef, ok, err
		}
		if l, ok, err := first(tx.LinesByPartnerRef(ctx, p.MerchantID, src, p.Reference)); err != nil || ok {
			return l, db.RulePartnerRef, ok, err
		}
	}
	if p.Method != MethodStaticQRIS {
		return db.ReconLine{}, "", false, nil
	}
	// 3. The QRIS key.
	if l, ok, err := byID(qrisKey(p)); err != nil || ok {
		return l, db.RuleQRISKey, ok, err
	}
	// 4. The unique amount: the only static-QRIS line of this amount in the
	// window, and this the only payment of the amount in the window around
	// that line, neither paired yet.
	w := s.recon.opts.UniqueWindow
	ls, err := tx.LinesOfAmountBetween(ctx, p.MerchantID, src, p.AmountMinor, p.OccurredAt.Add(-w), p.OccurredAt.Add(w))
	if err != nil {
		return db.ReconLine{}, "", false, err
	}
	var cands []db.ReconLine
	for _, l := range ls {
		if staticCandidate(l.StatementLine, p.AmountMinor) {
			if ok, err := free(l); err != nil {
				return db.ReconLine{}, "", false, err
			} else if ok {
				cands = append(cands, l)
			}
		}
	}
	if len(cands) != 1 {
		return db.ReconLine{}, "", false, nil
	}
	if n, err := s.unpairedStatic(ctx, tx, p.MerchantID, p.AmountMinor, lineTime(cands[0].StatementLine), p.ID); err != nil || n != 1 {
		return db.ReconLine{}, "", false, err
	}
	return cands[0], db.RuleUniqueAmount, true, nil
}

// staticCandidate reports whether line l may be a static-QRIS payment of
// gross amountMinor.
func staticCandidate(l db.StatementLine, amountMinor int64) bool {
	return lineMoneyIn(l.Type) && strings.Contains(strings.ToUpper(l.Method), "QRIS") && l.InvoiceID == "" &&
		netzmeSide(l).amount == amountMinor
}

// unpairedStatic counts the merchant's static-QRIS ledger transactions of
// amountMinor within the window around t that have no line yet (self counts
// as unpaired).
func (s *Service) unpairedStatic(ctx context.Context, tx *db.Tx, merchantID, amountMinor int64, t time.Time, self int64) (int, error) {
	w := s.recon.opts.UniqueWindow
	ls, err := tx.LedgerSalesBetween(ctx, merchantID, MethodStaticQRIS, amountMinor, t.Add(-w), t.Add(w))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range ls {
		if l.ReversesID != 0 {
			continue
		}
		it, err := tx.ReconItemByLedger(ctx, l.ID)
		if errors.Is(err, db.ErrNotFound) || (err == nil && (it.LineNetzmeID == "" || l.ID == self)) {
			n++
		} else if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// findLedger finds the ledger transaction of line l by the rules in order,
// among primary transactions of l's wallet that have no line yet.
func (s *Service) findLedger(ctx context.Context, tx *db.Tx, l db.ReconLine, wallet db.Wallet) (db.LedgerTransaction, db.ReconRule, bool, error) {
	avail := func(t db.LedgerTransaction) (db.LedgerTransaction, bool, error) {
		if w, ok := walletOf(t); !ok || w != wallet {
			return t, false, nil
		}
		p, err := primaryOf(ctx, tx, t)
		if err != nil {
			return t, false, err
		}
		it, err := tx.ReconItemByLedger(ctx, p.ID)
		if errors.Is(err, db.ErrNotFound) {
			return p, true, nil
		}
		return p, err == nil && (it.LineNetzmeID == "" || it.LineNetzmeID == l.NetzmeID), err
	}
	first := func(ts []db.LedgerTransaction, err error) (db.LedgerTransaction, bool, error) {
		if err != nil {
			return db.LedgerTransaction{}, false, err
		}
		for _, t := range ts {
			if p, ok, err := avail(t); err != nil || ok {
				return p, ok, err
			}
		}
		return db.LedgerTransaction{}, false, nil
	}
	m := l.MerchantID
	// 1. Netzme's id, in the journal and in the records.
	if t, ok, err := first(tx.LedgerByExternalID(ctx, m, l.NetzmeID)); err != nil || ok {
		return t, db.RuleNetzmeID, ok, err
	}
	recs, err := tx.RecordsByNetzmeID(ctx, m, l.NetzmeID, l.InvoiceID)
	if err != nil {
		return db.LedgerTransaction{}, "", false, err
	}
	for _, r := range []struct {
		table string
		id    int64
	}{{db.SourceInvoices, recs.InvoiceByTrxID}, {db.SourceWithdrawals, recs.WithdrawalByRef}, {db.SourceInvoices, recs.InvoiceByInvoiceID}} {
		if r.id == 0 {
			continue
		}
		if t, ok, err := first(tx.LedgerOfSource(ctx, r.table, r.id)); err != nil || ok {
			return t, db.RuleNetzmeID, ok, err
		}
	}
	// 2. Our partnerReferenceNo.
	for _, ref := range []string{l.NetzmeID, l.PartnerReferenceNo} {
		if ref == "" {
			continue
		}
		ts, err := tx.LedgerByReference(ctx, m, ref)
		if err != nil {
			return db.LedgerTransaction{}, "", false, err
		}
		var ours []db.LedgerTransaction
		for _, t := range ts {
			if t.SourceTable != db.SourcePayments {
				ours = append(ours, t)
			}
		}
		if t, ok, err := first(ours, nil); err != nil || ok {
			return t, db.RulePartnerRef, ok, err
		}
	}
	// 3. The QRIS key.
	if key := ledgerQRISKey(l.NetzmeID); key != "" {
		t, err := tx.LedgerTransactionByKey(ctx, m, key)
		if err == nil {
			if p, ok, err := avail(t); err != nil || ok {
				return p, db.RuleQRISKey, ok, err
			}
		} else if !errors.Is(err, db.ErrNotFound) {
			return db.LedgerTransaction{}, "", false, err
		}
	}
	// 4. The unique amount.
	side := netzmeSide(l.StatementLine)
	if !staticCandidate(l.StatementLine, side.amount) || side.amount <= 0 {
		return db.LedgerTransaction{}, "", false, nil
	}
	w, at := s.recon.opts.UniqueWindow, lineTime(l.StatementLine)
	ts, err := tx.LedgerSalesBetween(ctx, m, MethodStaticQRIS, side.amount, at.Add(-w), at.Add(w))
	if err != nil {
		return db.LedgerTransaction{}, "", false, err
	}
	var cands []db.LedgerTransaction
	for _, t := range ts {
		if t.ReversesID != 0 {
			continue
		}
		if p, ok, err := avail(t); err != nil {
			return db.LedgerTransaction{}, "", false, err
		} else if ok {
			cands = append(cands, p)
		}
	}
	if len(cands) != 1 {
		return db.LedgerTransaction{}, "", false, nil
	}
	// And no other unpaired line of the amount around that payment.
	ls, err := tx.LinesOfAmountBetween(ctx, m, db.StatementSource(wallet), side.amount, cands[0].OccurredAt.Add(-w), cands[0].OccurredAt.Add(w))
	if err != nil {
		return db.LedgerTransaction{}, "", false, err
	}
	others := 0
	for _, o := range ls {
		if o.NetzmeID == l.NetzmeID || !staticCandidate(o.StatementLine, side.amount) {
			continue
		}
		it, err := tx.ReconItemByLine(ctx, m, wallet, o.NetzmeID)
		if errors.Is(err, db.ErrNotFound) || (err == nil && it.LedgerID == 0) {
			others++
		} else if err != nil {
			return db.LedgerTransaction{}, "", false, err
		}
	}
	if others > 0 {
		return db.LedgerTransaction{}, "", false, nil
	}
	return cands[0], db.RuleUniqueAmount, true, nil
}

// seenSides are sides a caller has just read (nil: read them here).
type seenSides struct {
	ledger *db.LedgerTransaction
	line   *db.ReconLine
}

// rejudge reads both sides of it afresh (but for those the caller knows),
// tries again to pair a one-sided item, decides its outcome and stores it.
func (s *Service) rejudge(ctx context.Context, tx *db.Tx, it db.ReconItem, kn ...seenSides) error {
	var k seenSides
	if len(kn) > 0 {
		k = kn[0]
	}
	if !it.Resolved && (it.LedgerID == 0) != (it.LineNetzmeID == "") && it.ID != 0 {
		merged, err := s.pairAgain(ctx, tx, it)
		if err != nil {
			return err
		}
		it = merged
	}
	var l db.LedgerTransaction
	var line db.ReconLine
	it.HasLapak, it.HasNetzme = false, false
	if it.LedgerID != 0 {
		var err error
		if k.ledger != nil && k.ledger.ID == it.LedgerID {
			l = *k.ledger
		} else if l, err = tx.LedgerTransaction(ctx, it.MerchantID, it.LedgerID); err != nil {
			return err
		}
		sd, err := lapakSide(ctx, tx, l, it.Wallet)
		if err != nil {
			return err
		}
		it.HasLapak, it.LapakAmountMinor, it.LapakFeeMinor, it.LapakNetMinor = true, sd.amount, sd.fee, sd.net
		it.Kind, it.Method, it.OccurredAt, it.Reference = string(l.Kind), l.Method, l.OccurredAt, l.Reference
		if it.NetzmeID == "" {
			it.NetzmeID = l.ExternalID
		}
	}
	if it.LineNetzmeID != "" {
		var err error
		if k.line != nil && k.line.NetzmeID == it.LineNetzmeID && k.line.Current {
			line = *k.line
		} else if line, err = tx.CurrentLine(ctx, it.MerchantID, db.StatementSource(it.Wallet), it.LineNetzmeID); err != nil {
			return err
		}
		sd := netzmeSide(line.StatementLine)
		it.HasNetzme, it.NetzmeAmountMinor, it.NetzmeFeeMinor, it.NetzmeNetMinor = true, sd.amount, sd.fee, sd.net
		it.LineID, it.NetzmeID = line.ID, line.NetzmeID
		if !it.HasLapak {
			it.Kind, it.Method, it.OccurredAt, it.Reference = line.Type, line.Method, lineTime(line.StatementLine), line.PartnerReferenceNo
		}
	}
	it.Day = it.OccurredAt.In(snap.Jakarta).Format(time.DateOnly)
	if err := s.judge(ctx, tx, &it, l, line); err != nil {
		return err
	}
	_, err := tx.SaveReconItem(ctx, it)
	return err
}

// pairAgain tries the rules again for a one-sided item (a key learnt later,
// an amount that became unique). When the other side has an item of its
// own, the two become one: the resolved one is kept (an item of which both
// sides were resolved apart stays apart).
func (s *Service) pairAgain(ctx context.Context, tx *db.Tx, it db.ReconItem) (db.ReconItem, error) {
	if it.LedgerID != 0 {
		l, err := tx.LedgerTransaction(ctx, it.MerchantID, it.LedgerID)
		if err != nil {
			return it, err
		}
		line, rule, found, err := s.findLine(ctx, tx, l, it.Wallet)
		if err != nil || !found {
			return it, err
		}
		other, err := tx.ReconItemByLine(ctx, it.MerchantID, it.Wallet, line.NetzmeID)
		if errors.Is(err, db.ErrNotFound) {
			it.LineNetzmeID, it.LineID, it.Rule = line.NetzmeID, line.ID, rule
			return it, nil
		} else if err != nil {
			return it, err
		}
		if other.Resolved {
			return it, nil // merged from the other side when that one is looked at
		}
		if err := tx.DeleteReconItem(ctx, other.ID); err != nil {
			return it, err
		}
		it.LineNetzmeID, it.LineID, it.Rule = line.NetzmeID, line.ID, rule
		return it, nil
	}
	line, err := tx.CurrentLine(ctx, it.MerchantID, db.StatementSource(it.Wallet), it.LineNetzmeID)
	if err != nil {
		return it, err
	}
	l, rule, found, err := s.findLedger(ctx, tx, line, it.Wallet)
	if err != nil || !found {
		return it, err
	}
	other, err := tx.ReconItemByLedger(ctx, l.ID)
	if errors.Is(err, db.ErrNotFound) {
		it.LedgerID, it.Rule = l.ID, rule
		return it, nil
	} else if err != nil {
		return it, err
	}
	if other.Resolved && it.Resolved {
		return it, nil
	}
	if err := tx.DeleteReconItem(ctx, other.ID); err != nil {
		return it, err
	}
	it.LedgerID, it.Rule = l.ID, rule
	return it, nil
}

// judge decides it's outcome from its sides (l and line are the sides as
// read; zero when absent) and the time.
func (s *Service) judge(ctx context.Context, tx *db.Tx, it *db.ReconItem, l db.LedgerTransaction, line db.ReconLine) error {
	grace, now := s.recon.opts.Grace, s.now()
	it.WaitUntil = time.Time{}
	wait := func(until time.Time) {
		it.Outcome = db.OutcomeWaiting
		if now.Before(until) {
			it.WaitUntil = until
		}
	}
	equal := it.LapakAmountMinor == it.NetzmeAmountMinor && it.LapakFeeMinor == it.NetzmeFeeMinor
	if it.Rule == db.RuleOpening {
		it.Rule = db.RuleNone
	}
	switch {
	case it.HasLapak && it.HasNetzme:
		if equal {
			it.Outcome = db.OutcomeMatched
			return nil
		}
		until := it.OccurredAt
		if t := lineTime(line.StatementLine); t.After(until) {
			until = t
		}
		until = until.Add(grace)
		switch {
		case now.Before(until):
			wait(until)
		case line.FetchedAt.Before(l.OccurredAt):
			// Netzme's list was read before the books had the event: the
			// next read of the day tells.
			wait(time.Time{})
		default:
			it.Outcome = db.OutcomeAmountDiffers
		}
		return nil
	case it.LapakAmountMinor == 0 && it.LapakNetMinor == 0 && it.NetzmeAmountMinor == 0 && it.NetzmeNetMinor == 0:
		// Nothing moved on either side (a withdrawal that failed, a line
		// that was closed): nothing to pair.
		it.Outcome = db.OutcomeMatched
		return nil
	}
	if before, err := s.beforeOpening(ctx, tx, it.MerchantID, it.Wallet, it.OccurredAt); err != nil {
		return err
	} else if before {
		it.Outcome, it.Rule = db.OutcomeMatched, db.RuleOpening
		return nil
	}
	until := it.OccurredAt.Add(grace)
	if it.HasNetzme {
		if now.Before(until) {
			wait(until)
		} else {
			it.Outcome = db.OutcomeNetzmeOnly
		}
		return nil
	}
	if now.Before(until) {
		wait(until)
		return nil
	}
	// Only in the books: certain once Netzme's list of the day was read
	// after the grace period ended.
	synced, err := tx.DaySyncedAt(ctx, it.MerchantID, db.StatementSource(it.Wallet), it.Day)
	if err != nil {
		return err
	}
	if synced.Before(until) {
		wait(time.Time{})
	} else {
		it.Outcome = db.OutcomeLapakOnly
	}
	return nil
}

// beforeOpening reports whether t is before the merchant's opening balance
// of wallet: what happened then is in that balance.
func (s *Service) beforeOpening(ctx context.Context, tx *db.Tx, merchantID int64, wallet db.Wallet, t time.Time) (bool, error) {
	b, err := tx.OpeningOf(ctx, merchantID, wallet)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return t.Before(b.AsOf), nil
}
