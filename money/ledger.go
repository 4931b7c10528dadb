package money

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lapak/db"
)

// The books (issue 12 §1). Every money event is one ledger transaction of
// postings that sum to zero, written in the same database transaction as the
// event, under an idempotency key derived from its source. This file owns
// what each event posts (the recipes below, after the design's table) and
// the few places events are booked:
//
//	invoice or top-up paid   changeInvoice (callback apply and resolver), changeMatchedInvoice (callback)
//	static-QRIS payment      qrisOutcome, with the payment's insert
//	CVS bill paid            ApplyCVSPayment, with the bill's change
//	withdrawal sent          startWithdrawal / changeWithdrawal (into unknown)
//	… succeeded / failed     changeWithdrawal (callback, answer, resolver)
//	split fee deducted       finishSplitFee
//	adjustment, reversal     Adjust, Reverse (a person, with a reason, audited)
//
// A recipe reads the record as it stands after the change and returns every
// ledger transaction that state implies; booking writes those whose key is
// new. So booking twice posts nothing, and the backfill (which books every
// existing record the same way) cannot disagree with live booking.

// Methods of sales that are not invoices (ledger_transactions.method).
const (
	MethodStaticQRIS = "QRIS_STATIC" // a payment to the merchant's static QRIS code
	MethodCVS        = "CVS"         // a convenience-store bill through NICEPAY
)

// booker is who causes the ledger transactions being written.
type booker struct {
	actor  db.LedgerActor
	userID int64
}

// bookedBy is the booker of a use case run by a: the person when there is
// one, else the system actor given (the poller, Netzme's callback…).
func bookedBy(a Actor, system db.LedgerActor) booker {
	if a.UserID != 0 {
		return booker{db.ActorUser, a.UserID}
	}
	return booker{system, 0}
}

var (
	byNetzme  = booker{actor: db.ActorNetzme}
	byNicepay = booker{actor: db.ActorNicepay}
)

// book writes entries inside tx; entries already in the journal (same key)
// are left as they are. It returns how many it wrote.
func book(ctx context.Context, tx *db.Tx, by booker, entries []db.LedgerEntry) (int, error) {
	n := 0
	for _, e := range entries {
		e.Actor, e.UserID = by.actor, by.userID
		if _, created, err := tx.PostLedger(ctx, e); err != nil {
			return n, fmt.Errorf("money: book %s: %w", e.Key, err)
		} else if created {
			n++
		}
	}
	return n, nil
}

// grossPostings is the recipe of money in: gross g paid by a customer, fee f
// kept by Netzme. to receives g−f, the MDR expense f, from is credited g.
func grossPostings(to, from db.LedgerAccount, g, f int64) []db.Posting {
	var ps []db.Posting
	if g-f != 0 {
		ps = append(ps, db.Posting{Account: to, AmountMinor: g - f})
	}
	if f != 0 {
		ps = append(ps, db.Posting{Account: db.AccountExpenseMDR, AmountMinor: f})
	}
	return append(ps, db.Posting{Account: from, AmountMinor: -g})
}

// invoiceEntries: a paid sale invoice is netzme:balance +(G−F), expense:mdr
// +F, income:sales −G; a paid deposit top-up the same into netzme:deposit
// against equity:owner (the owner's own money, not a sale). G is what the
// customer paid (with feeType on_buyer it includes the fee), F Netzme's fee
// (0 when Netzme did not say: the difference then shows in reconciliation).
func invoiceEntries(iv db.Invoice) []db.LedgerEntry {
	if iv.Status != db.InvoicePaid || !iv.PaidAmountMinor.Valid || iv.PaidAmountMinor.Int64 <= 0 {
		return nil
	}
	g, f := iv.PaidAmountMinor.Int64, int64(0)
	if iv.FeeMinor.Valid {
		f = iv.FeeMinor.Int64
	}
	at := iv.UpdatedAt
	if iv.PaidAt.Valid {
		at = iv.PaidAt.Time
	}
	e := db.LedgerEntry{MerchantID: iv.MerchantID, Key: "invoice-paid:" + iv.PartnerReferenceNo, Kind: db.KindSale,
		Method: iv.Method, AmountMinor: g, FeeMinor: f, SourceTable: db.SourceInvoices, SourceID: iv.ID,
		Reference: iv.PartnerReferenceNo, ExternalID: iv.NetzmeTrxID, OccurredAt: at, Memo: clip(iv.Description)}
	if iv.Purpose == "topup_deposit" {
		e.Kind, e.Postings = db.KindTopup, grossPostings(db.AccountNetzmeDeposit, db.AccountEquityOwner, g, f)
	} else {
		e.Postings = grossPostings(db.AccountNetzmeBalance, db.AccountIncomeSales, g, f)
	}
	return []db.LedgerEntry{e}
}

// paymentEntries: a static-QRIS payment is a sale like a paid invoice, keyed
// by the QRIS key (rrn|yyyymmdd|issuer).
func paymentEntries(p db.Payment) []db.LedgerEntry {
	if p.AmountMinor <= 0 {
		return nil
	}
	memo := strings.TrimSpace(strings.Join([]string{p.BuyerName, p.IssuerName}, " "))
	return []db.LedgerEntry{{MerchantID: p.MerchantID, Key: "qris:" + p.DedupeKey, Kind: db.KindSale, Method: MethodStaticQRIS,
		AmountMinor: p.AmountMinor, FeeMinor: p.FeeMinor, SourceTable: db.SourcePayments, SourceID: p.ID, Reference: p.RRN,
		ExternalID: p.InvoiceNumber, OccurredAt: p.PaidAt, Memo: clip(memo),
		Postings: grossPostings(db.AccountNetzmeBalance, db.AccountIncomeSales, p.AmountMinor, p.FeeMinor)}}
}

// cvsEntries: a paid convenience-store bill is nicepay:receivable +G,
// income:sales −G — NICEPAY holds the money until it settles (no fee is
// known to Lapak).
func cvsEntries(b db.CVSBill) []db.LedgerEntry {
	if b.Status != db.CVSPaid || !b.PaidAmountMinor.Valid || b.PaidAmountMinor.Int64 <= 0 {
		return nil
	}
	key := "cvs-paid:" + b.PaymentRequestID
	if b.PaymentRequestID == "" {
		key = "cvs-paid:bill-" + strconv.FormatInt(b.ID, 10)
	}
	at := b.UpdatedAt
	if b.PaidAt.Valid {
		at = b.PaidAt.Time
	}
	g := b.PaidAmountMinor.Int64
	return []db.LedgerEntry{{MerchantID: b.MerchantID, Key: key, Kind: db.KindSale, Method: MethodCVS, AmountMinor: g,
		SourceTable: db.SourceCVSBills, SourceID: b.ID, Reference: b.PayNo, ExternalID: b.PaymentRequestID, OccurredAt: at,
		Memo: clip(b.GoodsName), Postings: []db.Posting{{Account: db.AccountNicepayReceivable, AmountMinor: g},
			{Account: db.AccountIncomeSales, AmountMinor: -g}}}}
}

// withdrawalEntries: a withdrawal is booked as sent (transit +A, the wallet
// −A) once it may have left — from the moment its intent is committed to be
// sent (status unknown), because after that Lapak may not get to record
// anything before Netzme moves the money. It ends succeeded (bank +A,
// transit −A) or failed (the wallet +A, transit −A). An outcome-unknown
// withdrawal stays in transit: neither at Netzme nor at the bank, which is
// the truth. Awaiting approval and cancelled withdrawals were never sent.
func withdrawalEntries(w db.Withdrawal) []db.LedgerEntry {
	switch w.Status {
	case db.WithdrawalUnknown, db.WithdrawalPending, db.WithdrawalSuccess, db.WithdrawalFailed:
	default:
		return nil
	}
	wallet, transit := db.AccountNetzmeBalance, db.AccountTransitWithdrawal
	sent, ok, failed := db.KindWithdrawalSent, db.KindWithdrawalSucceeded, db.KindWithdrawalFailed
	if w.Wallet == db.WalletDeposit {
		wallet, transit = db.AccountNetzmeDeposit, db.AccountTransitDepositWithdrawal
		sent, ok, failed = db.KindDepositWithdrawalSent, db.KindDepositWithdrawalSucceeded, db.KindDepositWithdrawalFailed
	}
	a := w.AmountMinor
	entry := func(step string, kind db.LedgerKind, debit, credit db.LedgerAccount) db.LedgerEntry {
		at := w.CreatedAt // sent: when it was requested …
		if w.Status == db.WithdrawalUnknown {
			at = w.UpdatedAt // … or approved, when that is what just happened
		}
		if step != "sent" && w.FinalAt.Valid {
			at = w.FinalAt.Time
		}
		return db.LedgerEntry{MerchantID: w.MerchantID, Key: "withdrawal:" + w.PartnerReferenceNo + ":" + step, Kind: kind,
			AmountMinor: a, SourceTable: db.SourceWithdrawals, SourceID: w.ID, Reference: w.PartnerReferenceNo,
			ExternalID: w.NetzmeReferenceNo, OccurredAt: at, Memo: clip(strings.TrimSpace(w.BankName + " " + w.AccountNumber)),
			Postings: []db.Posting{{Account: debit, AmountMinor: a}, {Account: credit, AmountMinor: -a}}}
	}
	out := []db.LedgerEntry{entry("sent", sent, transit, wallet)}
	switch w.Status {
	case db.WithdrawalSuccess:
		out = append(out, entry("succeeded", ok, db.AccountBank, transit))
	case db.WithdrawalFailed:
		out = append(out, entry("failed", failed, wallet, transit))
	}
	return out
}

// splitFeeEntries: a deducted split fee X (§3.20) is expense:split-fee +X,
// netzme:deposit −X.
func splitFeeEntries(sf db.SplitFee) []db.LedgerEntry {
	if sf.Status != db.SplitFeeSuccess || sf.FeeMinor <= 0 {
		return nil
	}
	return []db.LedgerEntry{{MerchantID: sf.MerchantID, Key: "split-fee:" + sf.ReferenceNo, Kind: db.KindSplitFee,
		AmountMinor: sf.FeeMinor, SourceTable: db.SourceSplitFees, SourceID: sf.ID, Reference: sf.PartnerReferenceNo,
		ExternalID: sf.ReferenceNo, OccurredAt: sf.UpdatedAt, Memo: clip(sf.ProductName),
		Postings: []db.Posting{{Account: db.AccountExpenseSplitFee, AmountMinor: sf.FeeMinor},
			{Account: db.AccountNetzmeDeposit, AmountMinor: -sf.FeeMinor}}}}
}

// clip bounds a memo to what the journal stores.
func clip(s string) string {
	if r := []rune(s); len(r) > 200 {
		return string(r[:200])
	}
	return s
}

// changeInvoice applies ch to invoice id inside tx and, when it made the
// invoice paid, books the payment in the same transaction. Every change of
// an invoice's status in money goes through here (or changeMatchedInvoice).
func (s *Service) changeInvoice(ctx context.Context, tx *db.Tx, by booker, id int64, ch db.InvoiceChange) (bool, error) {
	iv, applied, err := tx.ChangeInvoiceReturning(ctx, id, ch)
	if err != nil || !applied || ch.To != db.InvoicePaid {
		return applied, err
	}
	_, err = book(ctx, tx, by, invoiceEntries(iv))
	return true, err
}

// changeMatchedInvoice is changeInvoice for the invoice m describes
// (db.Tx.ChangeMatchedInvoice): found, changed and booked without reading it
// first. It returns the invoice as changed.
func (s *Service) changeMatchedInvoice(ctx context.Context, tx *db.Tx, by booker, m db.CallbackInvoiceMatch, ch db.InvoiceChange) (db.Invoice, bool, error) {
	iv, applied, err := tx.ChangeMatchedInvoice(ctx, m, ch)
	if err != nil || !applied || ch.To != db.InvoicePaid {
		return iv, applied, err
	}
	_, err = book(ctx, tx, by, invoiceEntries(iv))
	return iv, true, err
}

// changeInvoiceTx is changeInvoice in a transaction of its own, with audit
// written when the change applied.
func (s *Service) changeInvoiceTx(ctx context.Context, by booker, id int64, ch db.InvoiceChange, audit db.AuditEntry) (bool, error) {
	var applied bool
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if applied, err = s.changeInvoice(ctx, tx, by, id, ch); err != nil || !applied || audit.Action == "" {
			return err
		}
		return tx.Audit(ctx, audit)
	})
	return applied, err
}

// changeWithdrawal applies ch to withdrawal id inside tx and books what the
// withdrawal's new status implies (sent, succeeded, failed) in the same
// transaction. Every change of a withdrawal's status in money goes through
// here.
func (s *Service) changeWithdrawal(ctx context.Context, tx *db.Tx, by booker, id int64, ch db.WithdrawalChange) (bool, error) {
	applied, err := tx.ChangeWithdrawal(ctx, id, ch)
	if err != nil || !applied {
		return applied, err
	}
	w, err := tx.WithdrawalByID(ctx, id)
	if err != nil {
		return false, err
	}
	_, err = book(ctx, tx, by, withdrawalEntries(w))
	return true, err
}

// changeWithdrawalTx is changeWithdrawal in a transaction of its own, with
// audit written when the change applied.
func (s *Service) changeWithdrawalTx(ctx context.Context, by booker, id int64, ch db.WithdrawalChange, audit db.AuditEntry) (bool, error) {
	var applied bool
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if applied, err = s.changeWithdrawal(ctx, tx, by, id, ch); err != nil || !applied || audit.Action == "" {
			return err
		}
		return tx.Audit(ctx, audit)
	})
	return applied, err
}

// startWithdrawal commits a new withdrawal from the quote with token (see
// db.DB.StartWithdrawal) and, when it is to be sent now, books it as sent —
// one transaction.
func (s *Service) startWithdrawal(ctx context.Context, by booker, merchantID int64, token, ref string, requestedBy int64,
	needApproval bool, audit db.AuditEntry) (db.Withdrawal, error) {
	var w db.Withdrawal
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if w, err = tx.StartWithdrawal(ctx, merchantID, token, ref, requestedBy, needApproval, s.now(), audit); err != nil {
			return err
		}
		_, err = book(ctx, tx, by, withdrawalEntries(w))
		return err
	})
	return w, err
}

// finishSplitFee records the answer to a split fee (see
// db.DB.FinishSplitFee) and, when the deduction succeeded, books it — one
// transaction.
func (s *Service) finishSplitFee(ctx context.Context, by booker, id int64, status db.SplitFeeStatus, code, reason string,
	audit db.AuditEntry) (bool, error) {
	var applied bool
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if applied, err = tx.FinishSplitFee(ctx, id, status, code, reason, audit); err != nil || !applied {
			return err
		}
		sf, err := tx.SplitFeeByID(ctx, id)
		if err != nil {
			return err
		}
		_, err = book(ctx, tx, by, splitFeeEntries(sf))
		return err
	})
	return applied, err
}

// Errors of the ledger use cases.
var (
	// ErrAlreadyReversed: the transaction was reversed before (at most once).
	ErrAlreadyReversed = errors.New("money: ledger transaction already reversed")
	// ErrIsReversal: a reversal is not reversed again; post an adjustment.
	ErrIsReversal = errors.New("money: a reversal cannot be reversed")
	// ErrPersonRequired: adjustments and reversals are made by a person.
	ErrPersonRequired = errors.New("money: only a signed-in person may adjust the books")
)

// AdjustInput is a correction of the books by an owner or an administrator:
// AmountMinor (signed sen, debit positive) on Account, against
// equity:opening, with the reason a person gave.
type AdjustInput struct {
	Account     db.LedgerAccount
	AmountMinor int64
	Reason      string
	// Key makes a resubmitted form post once (e.g. the form's one-time
	// token); "" = a fresh key.
	Key string
	// OccurredAt is when the event the adjustment corrects happened (a
	// reconciliation exception); zero = now.
	OccurredAt time.Time
}

// Adjust posts an adjustment to a's merchant's books, audited
// ("ledger.adjust") in the same transaction. Whether a may adjust (owner or
// administrator) is the caller's check. Errors: ErrPersonRequired; a
// FieldError: "reason" ErrRequired, "amount" ErrAmountZero, "account"
// ErrFormat (not in the chart, or equity:opening itself).
func (s *Service) Adjust(ctx context.Context, a Actor, in AdjustInput) (db.LedgerTransaction, error) {
	if a.UserID == 0 {
		return db.LedgerTransaction{}, ErrPersonRequired
	}
	in.Reason = strings.TrimSpace(in.Reason)
	switch {
	case in.Reason == "":
		return db.LedgerTransaction{}, invalid("reason", ErrRequired)
	case in.AmountMinor == 0:
		return db.LedgerTransaction{}, invalid("amount", ErrAmountZero)
	case !inChart(in.Account) || in.Account == db.AccountEquityOpening:
		return db.LedgerTransaction{}, invalid("account", ErrFormat)
	}
	key := in.Key
	if key == "" {
		key = NewToken()
	}
	amount := in.AmountMinor
	if amount < 0 {
		amount = -amount
	}
	at := s.now()
	if !in.OccurredAt.IsZero() {
		at = in.OccurredAt
	}
	e := db.LedgerEntry{MerchantID: a.MerchantID, Key: "adjustment:" + key, Kind: db.KindAdjustment, AmountMinor: amount,
		OccurredAt: at, Memo: clip(in.Reason), Postings: []db.Posting{{Account: in.Account, AmountMinor: in.AmountMinor},
			{Account: db.AccountEquityOpening, AmountMinor: -in.AmountMinor}}}
	var out db.LedgerTransaction
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		by := bookedBy(a, db.ActorUser)
		e.Actor, e.UserID = by.actor, by.userID
		t, created, err := tx.PostLedger(ctx, e)
		if err != nil || !created {
			out = t
			return err
		}
		out = t
		return tx.Audit(ctx, s.audit(a, "ledger.adjust", map[string]any{"transaction_id": t.ID, "account": in.Account,
			"amount_minor": in.AmountMinor, "reason": in.Reason}))
	})
	return out, err
}

func inChart(a db.LedgerAccount) bool {
	for _, c := range db.LedgerAccounts {
		if c == a {
			return true
		}
	}
	return false
}

// Reverse posts the reversal of a's merchant's ledger transaction id: the
// same postings negated, naming the original, with a person's reason,
// audited ("ledger.reverse") in the same transaction. A transaction is
// reversed at most once (the database refuses a second reversal too).
// Errors: ErrPersonRequired; FieldError "reason" ErrRequired; db.ErrNotFound;
// ErrIsReversal; ErrAlreadyReversed.
func (s *Service) Reverse(ctx context.Context, a Actor, id int64, reason string) (db.LedgerTransaction, error) {
	if a.UserID == 0 {
		return db.LedgerTransaction{}, ErrPersonRequired
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		return db.LedgerTransaction{}, invalid("reason", ErrRequired)
	}
	var out db.LedgerTransaction
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		orig, err := tx.LedgerTransaction(ctx, a.MerchantID, id)
		if err != nil {
			return err
		}
		if orig.ReversesID != 0 {
			return ErrIsReversal
		}
		if _, err := tx.ReversalOf(ctx, id); err == nil {
			return ErrAlreadyReversed
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		e := orig.LedgerEntry
		by := bookedBy(a, db.ActorUser)
		e.Key, e.ReversesID, e.OccurredAt, e.Actor, e.UserID = "reversal:"+strconv.FormatInt(id, 10), id, s.now(), by.actor, by.userID
		e.AmountMinor, e.FeeMinor, e.Memo = -orig.AmountMinor, -orig.FeeMinor, clip(reason)
		e.Postings = make([]db.Posting, len(orig.Postings))
		for i, p := range orig.Postings {
			e.Postings[i] = db.Posting{Account: p.Account, AmountMinor: -p.AmountMinor}
		}
		t, created, err := tx.PostLedger(ctx, e)
		if errors.Is(err, db.ErrConflict) || (err == nil && !created) {
			return ErrAlreadyReversed
		} else if err != nil {
			return err
		}
		out = t
		return tx.Audit(ctx, s.audit(a, "ledger.reverse", map[string]any{"transaction_id": t.ID, "reverses": id,
			"key": orig.Key, "reason": reason}))
	})
	return out, err
}

// BackfillReport is what a backfill pass did.
type BackfillReport struct {
	Records int // records read (paid invoices, payments, paid bills, withdrawals, split fees)
	Posted  int // ledger transactions written (0 on a second pass)
}

// backfillBatch is how many records one backfill transaction books: small
// enough that a live write never waits long behind it.
const backfillBatch = 500

// BackfillEntries returns what BackfillLedger books for one record as it
// stands — a db.Invoice, db.Payment, db.CVSBill, db.Withdrawal or
// db.SplitFee — for a bulk loader that writes the journal itself (`lapak
// seed`: db.BulkLedgerValues): the recipes of live booking, the backfill's
// actor. Any other type is an error.
func BackfillEntries(rec any) ([]db.LedgerEntry, error) {
	var es []db.LedgerEntry
	switch r := rec.(type) {
	case db.Invoice:
		es = invoiceEntries(r)
	case db.Payment:
		es = paymentEntries(r)
	case db.CVSBill:
		es = cvsEntries(r)
	case db.Withdrawal:
		es = withdrawalEntries(r)
	case db.SplitFee:
		es = splitFeeEntries(r)
	default:
		return nil, fmt.Errorf("money: no ledger recipe for %T", rec)
	}
	for i := range es {
		es[i].Actor = db.ActorBackfill
	}
	return es, nil
}

// BackfillLedger books every existing record — paid invoices and top-ups,
// static-QRIS payments, paid CVS bills, withdrawals, successful split fees —
// with the same recipes as live booking, in batches of short transactions,
// and marks the backfill done. It is idempotent (the keys): a second run, or
// a run beside live traffic, posts nothing twice. The start-up step calls
// it.
func (s *Service) BackfillLedger(ctx context.Context) (BackfillReport, error) {
	var r BackfillReport
	by := booker{actor: db.ActorBackfill}
	pass := func(name string, next func(tx *db.Tx, after int64) (int64, []db.LedgerEntry, int, error)) error {
		after := int64(0)
		for {
			var n, posted int
			var last int64
			err := s.db.InTx(ctx, func(tx *db.Tx) error {
				var entries []db.LedgerEntry
				var err error
				if last, entries, n, err = next(tx, after); err != nil {
					return err
				}
				// Counted once committed: on PostgreSQL a refused
				// transaction runs again (db.DB.InTx).
				posted, err = book(ctx, tx, by, entries)
				return err
			})
			if err != nil {
				return fmt.Errorf("money: backfill %s: %w", name, err)
			}
			r.Records, r.Posted, after = r.Records+n, r.Posted+posted, last
			if n < backfillBatch {
				return nil
			}
		}
	}
	steps := []struct {
		name string
		next func(tx *db.Tx, after int64) (int64, []db.LedgerEntry, int, error)
	}{
		{"invoices", func(tx *db.Tx, after int64) (int64, []db.LedgerEntry, int, error) {
			ivs, err := tx.PaidInvoicesAfter(ctx, after, backfillBatch)
			var es []db.LedgerEntry
			for _, iv := range ivs {
				es, after = append(es, invoiceEntries(iv)...), iv.ID
			}
			return after, es, len(ivs), err
		}},
		{"payments", func(tx *db.Tx, after int64) (int64, []db.LedgerEntry, int, error) {
			ps, err := tx.PaymentsAfter(ctx, after, backfillBatch)
			var es []db.LedgerEntry
			for _, p := range ps {
				es, after = append(es, paymentEntries(p)...), p.ID
			}
			return after, es, len(ps), err
		}},
		{"cvs bills", func(tx *db.Tx, after int64) (int64, []db.LedgerEntry, int, error) {
			bs, err := tx.PaidCVSBillsAfter(ctx, after, backfillBatch)
			var es []db.LedgerEntry
			for _, b := range bs {
				es, after = append(es, cvsEntries(b)...), b.ID
			}
			return after, es, len(bs), err
		}},
		{"withdrawals", func(tx *db.Tx, after int64) (int64, []db.LedgerEntry, int, error) {
			ws, err := tx.WithdrawalsAfter(ctx, after, backfillBatch)
			var es []db.LedgerEntry
			for _, w := range ws {
				es, after = append(es, withdrawalEntries(w)...), w.ID
			}
			return after, es, len(ws), err
		}},
		{"split fees", func(tx *db.Tx, after int64) (int64, []db.LedgerEntry, int, error) {
			sfs, err := tx.SplitFeesAfter(ctx, after, backfillBatch)
			var es []db.LedgerEntry
			for _, sf := range sfs {
				es, after = append(es, splitFeeEntries(sf)...), sf.ID
			}
			return after, es, len(sfs), err
		}},
	}
	for _, st := range steps {
		if err := pass(st.name, st.next); err != nil {
			return r, err
		}
	}
	return r, s.db.InTx(ctx, func(tx *db.Tx) error { return tx.MarkLedgerBackfilled(ctx) })
}

// StartLedger is the start-up step: when migration 00008 left the backfill
// pending (a database made by an earlier version), it books every existing
// record (BackfillLedger). ran reports whether it did.
func (s *Service) StartLedger(ctx context.Context) (r BackfillReport, ran bool, err error) {
	pending, err := s.db.LedgerBackfillPending(ctx)
	if err != nil || !pending {
		return r, false, err
	}
	r, err = s.BackfillLedger(ctx)
	if err == nil {
		s.log.Info("ledger backfilled", "records", r.Records, "posted", r.Posted)
	}
	return r, true, err
}
