package money

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"lapak/db"
	"lapak/netzme"
)

// Netzme's callbacks, once authenticated and stored raw in the inbox by the
// web layer, are applied here: what each one means for the books (an
// invoice paid, a static-QRIS payment recorded, a withdrawal finished) or
// why it is kept for review.

// CallbackFacts is what the inbox copies out of a callback body for lists,
// filters, deduplication and the acknowledgement.
type CallbackFacts struct {
	// DedupeKey names the event: two callbacks with the same key are one.
	DedupeKey string
	// ReferenceNo is Netzme's id (trxId, withdrawal id), PartnerReferenceNo
	// ours; the acknowledgement echoes both.
	ReferenceNo, PartnerReferenceNo string
	CustIDMerchant                  string
	AmountMinor, FeeMinor, NetMinor sql.NullInt64

	// The typed callback the facts were read from, so that applying it
	// does not decode the body again (nil for a withdrawal).
	invoice *netzme.InvoiceCallback
	qris    *netzme.QRISCallback
}

// Fill copies f into the inbox row nc.
func (f CallbackFacts) Fill(nc *db.NewCallback) {
	nc.DedupeKey, nc.ReferenceNo, nc.PartnerRefNo, nc.CustIDMerchant = f.DedupeKey, f.ReferenceNo, f.PartnerReferenceNo, f.CustIDMerchant
	nc.AmountMinor, nc.FeeMinor, nc.NetMinor = f.AmountMinor, f.FeeMinor, f.NetMinor
}

// check refuses negative money: Netzme never sends it, and the inbox
// columns (CHECK >= 0) would refuse the row and lose the callback.
func (f CallbackFacts) check() error {
	for _, v := range []sql.NullInt64{f.AmountMinor, f.FeeMinor, f.NetMinor} {
		if v.Valid && v.Int64 < 0 {
			return fmt.Errorf("negative amount %d", v.Int64)
		}
	}
	return nil
}

// ReadCallback decodes a callback body of kind with the netzme decoders and
// returns its facts; an error means the body is malformed (undecodable, or
// negative money) and must be stored as rejected, never applied.
func ReadCallback(kind db.CallbackKind, body []byte) (CallbackFacts, error) {
	f, err := callbackFactsOf(kind, body)
	if err != nil {
		return CallbackFacts{}, err
	}
	return f, f.check()
}

// decodedAs reports whether f carries the typed callback applying a
// callback of kind needs.
func (f CallbackFacts) decodedAs(kind db.CallbackKind) bool {
	switch kind {
	case db.CallbackInvoice:
		return f.invoice != nil
	case db.CallbackQRIS, db.CallbackSNAPQRIS:
		return f.qris != nil
	}
	return true
}

func known(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: true} }

// withdrawExtra is what DecodeWithdrawCallback does not extract. guess,
// spec §3.9: custIdMerchant under additionalInfo, as in the invoice callback.
type withdrawExtra struct {
	AdditionalInfo struct {
		CustIDMerchant string `json:"custIdMerchant"`
	} `json:"additionalInfo"`
}

// callbackFactsOf decodes body with the netzme decoders. The dedupe keys
// follow spec §7 item 8, prefixed so kinds never collide; the status is part
// of the invoice and withdraw keys so that a later, different status of the
// same transaction is not mistaken for a repeat.
func callbackFactsOf(kind db.CallbackKind, body []byte) (CallbackFacts, error) {
	switch kind {
	case db.CallbackInvoice:
		c, err := netzme.DecodeInvoiceCallback(body)
		if err != nil {
			return CallbackFacts{}, err
		}
		id := c.OriginalReferenceNo // trxId
		if id == "" {
			id = "ref:" + c.OriginalPartnerReferenceNo
		}
		return CallbackFacts{DedupeKey: "invoice:" + id + ":" + c.LatestTransactionStatus, ReferenceNo: c.OriginalReferenceNo,
			PartnerReferenceNo: c.OriginalPartnerReferenceNo, CustIDMerchant: c.CustIDMerchant,
			AmountMinor: known(c.AmountMinor), FeeMinor: known(c.FeeMinor), NetMinor: known(c.NetAmountMinor), invoice: &c}, nil
	case db.CallbackQRIS, db.CallbackSNAPQRIS:
		c, err := netzme.DecodeQRISCallback(body)
		if err != nil {
			return CallbackFacts{}, err
		}
		// One key for both QRIS endpoints: a payment announced through both
		// (§3.18 and §3.19) counts once.
		return CallbackFacts{DedupeKey: "qris:" + c.DedupKey(), ReferenceNo: c.OriginalReferenceNo, CustIDMerchant: c.CustIDMerchant,
			AmountMinor: known(c.AmountMinor), FeeMinor: known(c.FeeMinor), NetMinor: known(c.NetAmountMinor), qris: &c}, nil
	case db.CallbackWithdraw:
		c, err := netzme.DecodeWithdrawCallback(body)
		if err != nil {
			return CallbackFacts{}, err
		}
		var x withdrawExtra
		_ = json.Unmarshal(body, &x) // the decoder above accepted the JSON
		id := c.OriginalReferenceNo
		if id == "" {
			id = "ref:" + c.OriginalPartnerReferenceNo
		}
		return CallbackFacts{DedupeKey: "withdraw:" + id + ":" + c.LatestTransactionStatus + ":" + c.Status,
			ReferenceNo: c.OriginalReferenceNo, PartnerReferenceNo: c.OriginalPartnerReferenceNo, CustIDMerchant: x.AdditionalInfo.CustIDMerchant,
			AmountMinor: known(c.AmountMinor)}, nil
	}
	return CallbackFacts{}, fmt.Errorf("unknown callback kind %q", kind)
}

// IngestCallback stores an authenticated callback nc with its facts (what
// ReadCallback returned for nc.Body) and applies it, in the writer's group-commit
// transaction (db.InBatchOr): the raw row, its effect on the books and the
// audit line commit together, sharing one fsync with the callbacks that
// arrived meanwhile, and IngestCallback returns only once they are durable.
// If applying fails, what it did is rolled back and the raw row is kept
// anyway, as needs_review/apply_failed (for an administrator to re-apply):
// nothing authenticated is lost, and the error is logged, not returned. An
// error means nothing was stored: answer so that Netzme sends it again. It
// returns the callback as stored.
func (s *Service) IngestCallback(ctx context.Context, a Actor, nc db.NewCallback, facts CallbackFacts) (db.Callback, error) {
	if !facts.decodedAs(nc.Kind) {
		f, err := ReadCallback(nc.Kind, []byte(nc.Body))
		if err != nil {
			return db.Callback{}, fmt.Errorf("money: ingest %s callback: %w", nc.Kind, err)
		}
		facts = f
	}
	facts.Fill(&nc)
	if nc.ReceivedAt.IsZero() {
		nc.ReceivedAt = s.now() // applying it may use it (a payment time Netzme left out)
	}
	var out db.Callback
	err := s.db.InBatchOr(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		out, err = s.ingest(ctx, tx, a, nc, &facts)
		return err
	}, func(ctx context.Context, tx *db.Tx, applyErr error) error {
		// What applying wrote is rolled back: keep the callback for review.
		o := review("apply_failed", applyErr.Error(), 0)
		cb, err := tx.StoreCallback(ctx, 0, nc, o)
		if errors.Is(err, db.ErrConflict) {
			// Another row took the event meanwhile: leave this one
			// received; the start-up pass settles it.
			cb, err = tx.InsertCallback(ctx, nc)
			o = db.CallbackOutcome{}
		}
		if err != nil {
			return err
		}
		out = cb
		s.log.LogAttrs(ctx, slog.LevelError, "callback not applied: kept for review", slog.Int64("callback_id", cb.ID),
			slog.String("kind", string(cb.Kind)), slog.String("request_id", a.RequestID), slog.String("err", applyErr.Error()))
		if o.Status == "" {
			return nil
		}
		return tx.Audit(ctx, s.audit(a, "callback.needs_review", map[string]any{"callback_id": cb.ID, "kind": cb.Kind,
			"status": o.Status, "reason": o.Reason, "reference_no": cb.ReferenceNo, "partner_reference_no": cb.PartnerRefNo}))
	})
	return out, err
}

// ingest applies arriving callback nc inside tx and stores it with its
// outcome, and the audit line. The row is written once, with its outcome,
// after what applying changed (which names it by the id it will take) —
// except a QRIS payment's: the payment refers to its callback row
// (payments.callback_id), so that row goes first and gets its outcome after.
func (s *Service) ingest(ctx context.Context, tx *db.Tx, a Actor, nc db.NewCallback, facts *CallbackFacts) (db.Callback, error) {
	look, err := tx.CallbackLookup(ctx, facts.DedupeKey, facts.CustIDMerchant, 0)
	if err != nil {
		return db.Callback{}, err
	}
	rowFirst := nc.Kind == db.CallbackQRIS || nc.Kind == db.CallbackSNAPQRIS
	var cb db.Callback
	if rowFirst {
		if cb, err = tx.InsertCallback(ctx, nc); err != nil {
			return db.Callback{}, err
		}
	} else {
		cb = arriving(look.NextID, nc)
	}
	o, err := s.outcome(ctx, tx, cb, facts, look)
	if err != nil {
		return db.Callback{}, err
	}
	if rowFirst {
		if err := tx.FinishCallback(ctx, cb.ID, o); err != nil {
			return db.Callback{}, err
		}
		cb = withOutcome(cb, o)
	} else if cb, err = tx.StoreCallback(ctx, look.NextID, nc, o); err != nil {
		return db.Callback{}, err
	}
	e := s.audit(a, "callback."+string(o.Status), map[string]any{"callback_id": cb.ID, "kind": cb.Kind, "status": o.Status,
		"reason": o.Reason, "reference_no": cb.ReferenceNo, "partner_reference_no": cb.PartnerRefNo})
	e.MerchantID = o.MerchantID
	return cb, tx.Audit(ctx, e)
}

// arriving is callback nc as it will be stored with id, before it is.
func arriving(id int64, nc db.NewCallback) db.Callback {
	return db.Callback{ID: id, Kind: nc.Kind, ReceivedAt: nc.ReceivedAt, Status: db.CallbackReceived, DedupeKey: nc.DedupeKey,
		ReferenceNo: nc.ReferenceNo, PartnerRefNo: nc.PartnerRefNo, CustIDMerchant: nc.CustIDMerchant,
		AmountMinor: nc.AmountMinor, FeeMinor: nc.FeeMinor, NetMinor: nc.NetMinor, Headers: nc.Headers, Body: nc.Body,
		RemoteAddr: nc.RemoteAddr, RequestID: nc.RequestID}
}

// withOutcome is cb as FinishCallback leaves it after outcome o.
func withOutcome(cb db.Callback, o db.CallbackOutcome) db.Callback {
	if o.Status == "" {
		return cb
	}
	cb.Status, cb.Reason, cb.Note = o.Status, o.Reason, o.Note
	cb.MerchantID, cb.InvoiceID, cb.PaymentID = o.MerchantID, o.InvoiceID, o.PaymentID
	if o.Effect != "" {
		cb.Effect = o.Effect
	}
	if o.Status != db.CallbackReceived {
		cb.Attempts++
	}
	return cb
}

// ApplyReceivedCallbacks applies, at start-up, every callback left
// "received": stored but never applied (a crash of an older version between
// the two, or an apply whose failure could not be recorded). It returns how
// many it applied; one that fails again is logged and left for review.
func (s *Service) ApplyReceivedCallbacks(ctx context.Context) (int, error) {
	n := 0
	var after int64
	for {
		ids, err := s.db.ReceivedCallbacks(ctx, after, 100)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		for _, id := range ids {
			after = id
			if _, err := s.ApplyCallback(ctx, Actor{RequestID: "startup"}, id); err != nil {
				s.log.LogAttrs(ctx, slog.LevelError, "start-up: callback not applied", slog.Int64("callback_id", id),
					slog.String("err", err.Error()))
				continue
			}
			n++
		}
	}
}

// ApplyCallback applies stored callback id in ONE transaction: the outcome
// (applied, duplicate, needs_review…), the change to the books and the audit
// line commit together or not at all. It is idempotent: a callback already
// applied, stored or resolved is left as it is, an unauthenticated one is
// never applied, and a second callback with the same dedupe key becomes a
// duplicate. a is the system for a callback as it arrives (its client
// address and request id) or the administrator who re-applies it; the
// audit line is "callback.<status>", or "callback.reapply" for a person.
// It returns the callback as stored afterwards.
func (s *Service) ApplyCallback(ctx context.Context, a Actor, id int64) (db.Callback, error) {
	var out db.Callback
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		cb, err := tx.Callback(ctx, id)
		if err != nil {
			return err
		}
		_, changed, err := s.apply(ctx, tx, a, cb)
		if err != nil || !changed {
			out = cb
			return err
		}
		out, err = tx.Callback(ctx, id)
		return err
	})
	return out, err
}

// apply applies stored callback cb inside tx (see ApplyCallback), reading
// its facts from its body; changed is false when cb is left as it is.
func (s *Service) apply(ctx context.Context, tx *db.Tx, a Actor, cb db.Callback) (o db.CallbackOutcome, changed bool, err error) {
	switch cb.Status {
	case db.CallbackApplied, db.CallbackStored, db.CallbackResolved:
		return db.CallbackOutcome{}, false, nil
	case db.CallbackRejected:
		if cb.Reason == "unauthenticated" {
			return db.CallbackOutcome{}, false, nil // never apply what Netzme did not sign for
		}
	}
	if f, err := ReadCallback(cb.Kind, []byte(cb.Body)); err != nil {
		o = db.CallbackOutcome{Status: db.CallbackRejected, Reason: "malformed", Note: err.Error()}
	} else {
		look, err := tx.CallbackLookup(ctx, f.DedupeKey, f.CustIDMerchant, cb.ID)
		if err != nil {
			return o, false, err
		}
		if o, err = s.outcome(ctx, tx, cb, &f, look); err != nil {
			return o, false, err
		}
	}
	if err := tx.FinishCallback(ctx, cb.ID, o); err != nil {
		return o, false, err
	}
	action := "callback." + string(o.Status)
	if a.UserID != 0 {
		action = "callback.reapply"
	}
	e := s.audit(a, action, map[string]any{"callback_id": cb.ID, "kind": cb.Kind, "status": o.Status,
		"reason": o.Reason, "reference_no": cb.ReferenceNo, "partner_reference_no": cb.PartnerRefNo})
	e.MerchantID = o.MerchantID
	if err := tx.Audit(ctx, e); err != nil {
		return o, false, err
	}
	return o, true, nil
}

// outcome decides what callback cb, with its facts and what CallbackLookup
// found for them, means for the books, and makes the change (invoice paid,
// payment recorded) inside tx.
func (s *Service) outcome(ctx context.Context, tx *db.Tx, cb db.Callback, facts *CallbackFacts, look db.CallbackContext) (db.CallbackOutcome, error) {
	if !facts.decodedAs(cb.Kind) {
		return db.CallbackOutcome{}, fmt.Errorf("money: callback %d: facts of another kind", cb.ID)
	}
	if taker := look.TakenBy; facts.DedupeKey != "" && taker != 0 {
		first, err := tx.Callback(ctx, taker)
		if err != nil {
			return db.CallbackOutcome{}, err
		}
		note := fmt.Sprintf("same event as #%d", taker)
		if first.Body != cb.Body {
			note += " (body differs)"
		}
		return db.CallbackOutcome{Status: db.CallbackDuplicate, Reason: "same_event", Note: note,
			MerchantID: first.MerchantID, InvoiceID: first.InvoiceID, PaymentID: first.PaymentID}, nil
	}
	merchantID := look.MerchantID
	switch cb.Kind {
	case db.CallbackInvoice:
		return s.invoiceOutcome(ctx, tx, cb, *facts.invoice, merchantID)
	case db.CallbackQRIS, db.CallbackSNAPQRIS:
		return s.qrisOutcome(ctx, tx, cb, *facts.qris, merchantID)
	default: // withdraw: applied to the withdrawals of issue 6.
		return s.ApplyWithdrawNotification(ctx, tx, cb, merchantID)
	}
}

func review(reason, note string, merchantID int64) db.CallbackOutcome {
	return db.CallbackOutcome{Status: db.CallbackNeedsReview, Reason: reason, Note: note, MerchantID: merchantID}
}

// invoiceOutcome applies a Payment Success Callback (Invoice) (§3.15):
// unknown/pending → paid with gross, fee and net, along the only valid
// transition; everything unexpected is kept for review instead.
func (s *Service) invoiceOutcome(ctx context.Context, tx *db.Tx, cb db.Callback, c netzme.InvoiceCallback, merchantID int64) (db.CallbackOutcome, error) {
	paidAt := c.PaymentTime
	if paidAt.IsZero() {
		paidAt = cb.ReceivedAt
	}
	paid := func(from ...db.InvoiceStatus) db.InvoiceChange {
		return db.InvoiceChange{From: from, To: db.InvoicePaid,
			Source: "callback", Note: fmt.Sprintf("Netzme callback #%d", cb.ID),
			Paid: &db.InvoicePayment{PaidAmountMinor: c.AmountMinor, FeeMinor: known(c.FeeMinor),
				NetMinor: known(c.NetAmountMinor), PaidAt: paidAt}}
	}
	applied := func(iv db.Invoice, from db.InvoiceStatus) (db.CallbackOutcome, error) {
		effect, _ := json.Marshal(map[string]any{"invoice_id": iv.ID, "partner_reference_no": iv.PartnerReferenceNo,
			"from": from, "to": db.InvoicePaid, "paid_amount_minor": c.AmountMinor, "fee_minor": c.FeeMinor,
			"net_minor": c.NetAmountMinor, "paid_at": paidAt.UTC().Format(time.RFC3339)})
		return db.CallbackOutcome{Status: db.CallbackApplied, MerchantID: merchantID, InvoiceID: iv.ID, Effect: string(effect)}, nil
	}
	// The usual case first, in one statement: a successful payment of a
	// pending invoice of this merchant, named by both references, of its
	// amount, before it expired — each condition the same as a check below,
	// so anything else changes nothing here and is looked at below.
	if c.Paid() && c.NetAmountMinor+c.FeeMinor == c.AmountMinor {
		iv, ok, err := s.changeMatchedInvoice(ctx, tx, byNetzme, db.CallbackInvoiceMatch{TrxID: c.OriginalReferenceNo,
			Reference: c.OriginalPartnerReferenceNo, MerchantID: merchantID, AmountMinor: c.AmountMinor,
			OnBuyerAmountMinor: c.NetAmountMinor, NotExpiredAt: paidAt}, paid(db.InvoicePending))
		if err != nil {
			return db.CallbackOutcome{}, err
		}
		if ok {
			return applied(iv, db.InvoicePending)
		}
	}
	iv, err := findInvoice(ctx, tx, c)
	var mismatch *refMismatch
	switch {
	case errors.As(err, &mismatch):
		return review("reference_mismatch", err.Error(), 0), nil
	case errors.Is(err, db.ErrNotFound):
		return review("unknown_reference", "no invoice with trxId "+c.OriginalReferenceNo+
			" or partnerReferenceNo "+c.OriginalPartnerReferenceNo, merchantID), nil
	case err != nil:
		return db.CallbackOutcome{}, err
	}
	if merchantID == 0 || iv.MerchantID != merchantID {
		// Another merchant's invoice (or a merchant we do not know): touch
		// nothing, and show it to administrators only.
		o := review("merchant_mismatch", "custIdMerchant "+c.CustIDMerchant+" does not own invoice "+iv.PartnerReferenceNo, 0)
		o.InvoiceID = iv.ID
		return o, nil
	}
	withInvoice := func(o db.CallbackOutcome) (db.CallbackOutcome, error) {
		o.InvoiceID = iv.ID
		return o, nil
	}
	if !c.Paid() {
		return withInvoice(review("not_success", "latestTransactionStatus "+c.LatestTransactionStatus+" "+c.TransactionStatusDesc, merchantID))
	}
	if c.NetAmountMinor+c.FeeMinor != c.AmountMinor {
		return withInvoice(review("inconsistent_amounts", fmt.Sprintf("amount %d ≠ net %d + fee %d sen",
			c.AmountMinor, c.NetAmountMinor, c.FeeMinor), merchantID))
	}
	// guess, spec §3.15: with feeType on_buyer the buyer pays amount + fee,
	// so amount is the total and net is the invoice amount (the sandbox does so).
	if c.AmountMinor != iv.AmountMinor && !(iv.FeeType == netzme.FeeOnBuyer && c.NetAmountMinor == iv.AmountMinor) {
		return withInvoice(review("amount_mismatch", fmt.Sprintf("paid %d sen, invoice is %d sen", c.AmountMinor, iv.AmountMinor), merchantID))
	}
	switch iv.Status {
	case db.InvoicePaid:
		if iv.PaidAmountMinor.Valid && iv.PaidAmountMinor.Int64 == c.AmountMinor {
			// Paid already, e.g. by a manual status refresh before this
			// (delayed) callback: one record, nothing to change.
			return withInvoice(db.CallbackOutcome{Status: db.CallbackDuplicate, Reason: "already_paid",
				Note: "invoice already paid", MerchantID: merchantID})
		}
		return withInvoice(review("paid_twice", fmt.Sprintf("invoice already paid with %d sen", iv.PaidAmountMinor.Int64), merchantID))
	case db.InvoiceExpired:
		return withInvoice(review("paid_after_expiry", "invoice is expired", merchantID))
	case db.InvoiceFailed:
		return withInvoice(review("paid_after_close", "invoice is failed", merchantID))
	}
	if paidAt.After(iv.ExpiresAt) {
		return withInvoice(review("paid_after_expiry", "paid at "+paidAt.UTC().Format(time.RFC3339)+
			", expired at "+iv.ExpiresAt.UTC().Format(time.RFC3339), merchantID))
	}
	// The payment is booked in this transaction (changeInvoice).
	ok, err := s.changeInvoice(ctx, tx, byNetzme, iv.ID, paid(db.InvoiceUnknown, db.InvoicePending))
	if err != nil {
		return db.CallbackOutcome{}, err
	}
	if !ok {
		return withInvoice(db.CallbackOutcome{Status: db.CallbackDuplicate, Reason: "already_paid", MerchantID: merchantID})
	}
	return applied(iv, iv.Status)
}

// refMismatch is two references naming two different invoices.
type refMismatch struct{ trxID, partnerRef string }

func (e *refMismatch) Error() string {
	return "trxId " + e.trxID + " and partnerReferenceNo " + e.partnerRef + " name different invoices"
}

// findInvoice looks the invoice up by trxId, then by our partnerReferenceNo
// (an invoice whose creation timed out has no trxId yet), in one statement.
func findInvoice(ctx context.Context, tx *db.Tx, c netzme.InvoiceCallback) (db.Invoice, error) {
	byTrx, byRef, err := tx.CallbackInvoices(ctx, c.OriginalReferenceNo, c.OriginalPartnerReferenceNo)
	switch {
	case err != nil:
		return db.Invoice{}, err
	case byTrx != nil && byRef != nil && byTrx.ID != byRef.ID:
		return db.Invoice{}, &refMismatch{c.OriginalReferenceNo, c.OriginalPartnerReferenceNo}
	case byTrx != nil:
		return *byTrx, nil
	case byRef != nil:
		if byRef.NetzmeTrxID != "" && c.OriginalReferenceNo != "" && byRef.NetzmeTrxID != c.OriginalReferenceNo {
			return db.Invoice{}, &refMismatch{c.OriginalReferenceNo, c.OriginalPartnerReferenceNo}
		}
		return *byRef, nil
	}
	return db.Invoice{}, fmt.Errorf("money: invoice by trxId %q or reference %q: %w", c.OriginalReferenceNo,
		c.OriginalPartnerReferenceNo, db.ErrNotFound)
}

// qrisOutcome records a non-invoice QRIS payment (§3.16/§3.18/§3.19) as a
// payment of the merchant — once per rrn+date+issuer — and keeps the
// callback for review: money arrived without a Lapak invoice.
func (s *Service) qrisOutcome(ctx context.Context, tx *db.Tx, cb db.Callback, c netzme.QRISCallback, merchantID int64) (db.CallbackOutcome, error) {
	if merchantID == 0 {
		return review("unknown_merchant", "custIdMerchant "+c.CustIDMerchant+" is not linked to a merchant", 0), nil
	}
	if !c.Paid() {
		return review("not_success", "latestTransactionStatus "+c.LatestTransactionStatus+" "+c.TransactionStatusDesc, merchantID), nil
	}
	if c.NetAmountMinor+c.FeeMinor != c.AmountMinor {
		return review("inconsistent_amounts", fmt.Sprintf("amount %d ≠ net %d + fee %d sen",
			c.AmountMinor, c.NetAmountMinor, c.FeeMinor), merchantID), nil
	}
	rrn := c.RRN
	if rrn == "" {
		rrn = c.OriginalReferenceNo
	}
	p, created, err := tx.InsertPayment(ctx, db.NewPayment{MerchantID: merchantID, DedupeKey: c.DedupKey(), RRN: rrn,
		LocalDate: c.LocalTransactionDate, IssuerID: c.IssuerID, IssuerName: c.IssuerName, InvoiceNumber: c.InvoiceNumber,
		BuyerName: c.BuyerFullname, AmountMinor: c.AmountMinor, FeeMinor: c.FeeMinor, NetMinor: c.NetAmountMinor,
		PaidAt: cb.ReceivedAt, CallbackID: cb.ID})
	if err != nil {
		return db.CallbackOutcome{}, err
	}
	if !created && p.CallbackID != cb.ID {
		return db.CallbackOutcome{Status: db.CallbackDuplicate, Reason: "same_event",
			Note: fmt.Sprintf("payment #%d already recorded", p.ID), MerchantID: merchantID, PaymentID: p.ID}, nil
	}
	// The sale is booked with the payment, in this transaction (its QRIS key
	// makes a second booking a no-op).
	if _, err := book(ctx, tx, byNetzme, paymentEntries(p)); err != nil {
		return db.CallbackOutcome{}, err
	}
	// A fixed-amount code shown at the counter may be waiting for exactly
	// this payment (issue 13 §1): tie them, so the counter shows LUNAS.
	codeID, err := matchCounterCode(ctx, tx, p)
	if err != nil {
		return db.CallbackOutcome{}, err
	}
	fx := map[string]any{"payment_id": p.ID, "amount_minor": p.AmountMinor, "fee_minor": p.FeeMinor,
		"net_minor": p.NetMinor, "rrn": p.RRN}
	note := "QRIS payment without a Lapak invoice (rrn " + rrn + ")"
	if codeID != 0 {
		fx["qris_code_id"] = codeID
		note += fmt.Sprintf("; matched by amount to counter code #%d", codeID)
	}
	effect, _ := json.Marshal(fx)
	o := review("static_qris", note, merchantID)
	o.PaymentID, o.Effect = p.ID, string(effect)
	return o, nil
}
