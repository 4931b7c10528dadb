package handlers

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"lapak/db"
	"lapak/netzme"
)

// callbackBodyLimit caps a callback body. The largest documented callback
// (§3.15 Example 1) is about 1.5 KB; 64 KiB leaves room for split-fee lists
// without letting anyone fill the disk.
const callbackBodyLimit = 64 << 10

// unauthenticatedBodyKeep is how much of an unauthenticated body is kept:
// enough to recognise a real Netzme callback sent with a rotated token, too
// little to make the inbox a free store for strangers.
const unauthenticatedBodyKeep = 2 << 10

// callbackRoutes are Netzme's callbacks. They sit outside sessions and CSRF
// protection: Netzme authenticates with x-callback-token (§2.9) or, for the
// SNAP QRIS callback, an RSA signature (§3.19).
func (h *Handler) callbackRoutes(r chi.Router) {
	r.Use(limitBody(callbackBodyLimit))
	r.Post("/invoice", h.callbackHandler(db.CallbackInvoice))
	r.Post("/qris", h.callbackHandler(db.CallbackQRIS))
	r.Post("/snap-qris", h.callbackHandler(db.CallbackSNAPQRIS))
	r.Post("/withdraw", h.callbackHandler(db.CallbackWithdraw))
}

// snapAnswer writes a SNAP-shaped JSON answer.
func snapAnswer(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"responseCode": code, "responseMessage": message})
	w.Write(b)
}

// callbackHandler serves one callback endpoint: authenticate, store raw,
// commit, apply in one transaction, and only then answer 2000000.
func (h *Handler) callbackHandler(kind db.CallbackKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		// Reading the whole (limited) body first: the signature of §3.19 is
		// over the body, and an unauthenticated attempt keeps its first bytes.
		body, readErr := io.ReadAll(r.Body)
		base := db.NewCallback{
			Kind: kind, ReceivedAt: h.now(), Headers: callbackHeaders(r),
			RemoteAddr: ClientIP(ctx), RequestID: middleware.GetReqID(ctx),
		}
		if reason := h.authenticateCallback(kind, r, body); reason != "" {
			h.log.LogAttrs(ctx, slog.LevelWarn, "callback refused: not authenticated",
				slog.String("kind", string(kind)), slog.String("reason", reason),
				slog.String("remote_addr", base.RemoteAddr), slog.String("request_id", base.RequestID),
				slog.Int("body_bytes", len(body)))
			base.Status, base.Reason = db.CallbackRejected, "unauthenticated"
			base.Note = reason
			if len(body) > unauthenticatedBodyKeep {
				body = body[:unauthenticatedBodyKeep]
			}
			base.Body = string(body)
			if _, err := h.db.InsertCallback(context.WithoutCancel(ctx), base); err != nil {
				h.log.LogAttrs(ctx, slog.LevelError, "record refused callback failed", slog.String("err", err.Error()))
			}
			snapAnswer(w, http.StatusUnauthorized, "4010000", "Unauthorized")
			return
		}
		base.Body = string(body)
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(readErr, &tooBig):
			h.rejectCallback(w, r, base, "too_large", http.StatusRequestEntityTooLarge, "4130000", "Request Entity Too Large")
			return
		case readErr != nil:
			h.rejectCallback(w, r, base, "unreadable", http.StatusBadRequest, "4000000", "Bad Request")
			return
		case !isJSON(r.Header.Get("Content-Type")):
			h.rejectCallback(w, r, base, "content_type", http.StatusUnsupportedMediaType, "4150000", "Unsupported Media Type")
			return
		}
		facts, err := callbackFactsOf(kind, body)
		if err == nil {
			err = facts.check()
		}
		if err != nil {
			base.Note = err.Error()
			h.rejectCallback(w, r, base, "malformed", http.StatusBadRequest, "4000001", "Invalid Field Format")
			return
		}
		facts.fill(&base)
		// Inbox first: committed before anything is applied.
		id, err := h.db.InsertCallback(ctx, base)
		if err != nil {
			h.callbackFailed(w, r, kind, err)
			return
		}
		if _, err := h.applyCallback(ctx, id, db.AuditEntry{RemoteAddr: base.RemoteAddr, RequestID: base.RequestID}); err != nil {
			h.callbackFailed(w, r, kind, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(netzme.CallbackAck(facts.partnerRef, facts.ref))
	}
}

// authenticateCallback returns "" when the request comes from Netzme, else a
// reason fit for the log (never the token itself).
func (h *Handler) authenticateCallback(kind db.CallbackKind, r *http.Request, body []byte) string {
	if kind == db.CallbackSNAPQRIS {
		if h.netzmePublicKey == nil {
			return "no Netzme public key configured (NETZME_PUBLIC_KEY_FILE)"
		}
		// guess, spec §3.19: header names and string-to-sign are not
		// documented; X-TIMESTAMP/X-SIGNATURE over the path as received.
		err := netzme.VerifySNAPCallback(h.netzmePublicKey, r.Method, r.URL.RequestURI(), body,
			r.Header.Get("X-TIMESTAMP"), r.Header.Get("X-SIGNATURE"))
		if err != nil {
			return "bad signature"
		}
		return ""
	}
	got := r.Header.Get("x-callback-token")
	if got == "" {
		return "missing x-callback-token"
	}
	if !netzme.VerifyCallbackToken(got, h.callbackToken) {
		return "wrong x-callback-token"
	}
	return ""
}

// rejectCallback stores an authenticated but unusable callback as rejected
// and answers with a SNAP error body.
func (h *Handler) rejectCallback(w http.ResponseWriter, r *http.Request, nc db.NewCallback, reason string, status int, code, msg string) {
	nc.Status, nc.Reason = db.CallbackRejected, reason
	if _, err := h.db.InsertCallback(context.WithoutCancel(r.Context()), nc); err != nil {
		h.callbackFailed(w, r, nc.Kind, err)
		return
	}
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "callback rejected", slog.String("kind", string(nc.Kind)),
		slog.String("reason", reason), slog.String("request_id", nc.RequestID))
	snapAnswer(w, status, code, msg)
}

// callbackFailed answers 500 so that Netzme retries; the inbox row (if
// written) stays "received" for re-apply.
func (h *Handler) callbackFailed(w http.ResponseWriter, r *http.Request, kind db.CallbackKind, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelError, "callback failed", slog.String("kind", string(kind)),
		slog.String("err", err.Error()), slog.String("request_id", middleware.GetReqID(r.Context())))
	snapAnswer(w, http.StatusInternalServerError, "5000000", "General Error")
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// keptHeaders are the request headers worth keeping with a callback.
var keptHeaders = []string{"Content-Type", "User-Agent", "X-Timestamp", "X-Signature", "X-Partner-Id",
	"X-External-Id", "Channel-Id", "X-Forwarded-For"}

// callbackHeaders returns the headers to store, as JSON. The callback token
// is a secret: only whether it was present is kept.
func callbackHeaders(r *http.Request) string {
	m := map[string]string{}
	for _, k := range keptHeaders {
		if v := r.Header.Get(k); v != "" {
			m[k] = v
		}
	}
	if r.Header.Get("x-callback-token") != "" {
		m["X-Callback-Token"] = "[redacted]"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// callbackFacts is what the inbox copies out of a body for lists, filters
// and the acknowledgement.
type callbackFacts struct {
	key, ref, partnerRef, custID string
	amount, fee, net             sql.NullInt64
}

func (f callbackFacts) fill(nc *db.NewCallback) {
	nc.DedupeKey, nc.ReferenceNo, nc.PartnerRefNo, nc.CustIDMerchant = f.key, f.ref, f.partnerRef, f.custID
	nc.AmountMinor, nc.FeeMinor, nc.NetMinor = f.amount, f.fee, f.net
}

// check refuses negative money: Netzme never sends it, and the inbox
// columns (CHECK >= 0) would refuse the row and lose the callback.
func (f callbackFacts) check() error {
	for _, v := range []sql.NullInt64{f.amount, f.fee, f.net} {
		if v.Valid && v.Int64 < 0 {
			return fmt.Errorf("negative amount %d", v.Int64)
		}
	}
	return nil
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
func callbackFactsOf(kind db.CallbackKind, body []byte) (callbackFacts, error) {
	switch kind {
	case db.CallbackInvoice:
		c, err := netzme.DecodeInvoiceCallback(body)
		if err != nil {
			return callbackFacts{}, err
		}
		id := c.OriginalReferenceNo // trxId
		if id == "" {
			id = "ref:" + c.OriginalPartnerReferenceNo
		}
		return callbackFacts{key: "invoice:" + id + ":" + c.LatestTransactionStatus, ref: c.OriginalReferenceNo,
			partnerRef: c.OriginalPartnerReferenceNo, custID: c.CustIDMerchant,
			amount: known(c.AmountMinor), fee: known(c.FeeMinor), net: known(c.NetAmountMinor)}, nil
	case db.CallbackQRIS, db.CallbackSNAPQRIS:
		c, err := netzme.DecodeQRISCallback(body)
		if err != nil {
			return callbackFacts{}, err
		}
		// One key for both QRIS endpoints: a payment announced through both
		// (§3.18 and §3.19) counts once.
		return callbackFacts{key: "qris:" + c.DedupKey(), ref: c.OriginalReferenceNo, custID: c.CustIDMerchant,
			amount: known(c.AmountMinor), fee: known(c.FeeMinor), net: known(c.NetAmountMinor)}, nil
	case db.CallbackWithdraw:
		c, err := netzme.DecodeWithdrawCallback(body)
		if err != nil {
			return callbackFacts{}, err
		}
		var x withdrawExtra
		_ = json.Unmarshal(body, &x) // the decoder above accepted the JSON
		id := c.OriginalReferenceNo
		if id == "" {
			id = "ref:" + c.OriginalPartnerReferenceNo
		}
		return callbackFacts{key: "withdraw:" + id + ":" + c.LatestTransactionStatus + ":" + c.Status,
			ref: c.OriginalReferenceNo, partnerRef: c.OriginalPartnerReferenceNo, custID: x.AdditionalInfo.CustIDMerchant,
			amount: known(c.AmountMinor)}, nil
	}
	return callbackFacts{}, fmt.Errorf("unknown callback kind %q", kind)
}

// applyCallback applies stored callback id in ONE transaction: the outcome
// (applied, duplicate, needs_review…), the change to the books and the audit
// line commit together or not at all. It is idempotent: a callback already
// applied, stored or resolved is left as it is, and a second callback with
// the same dedupe key becomes a duplicate. audit carries the request's
// address and id (and the acting user for a re-apply).
func (h *Handler) applyCallback(ctx context.Context, id int64, audit db.AuditEntry) (db.Callback, error) {
	var out db.Callback
	err := h.db.InTx(ctx, func(tx *db.Tx) error {
		cb, err := tx.Callback(ctx, id)
		if err != nil {
			return err
		}
		switch cb.Status {
		case db.CallbackApplied, db.CallbackStored, db.CallbackResolved:
			out = cb
			return nil
		case db.CallbackRejected:
			if cb.Reason == "unauthenticated" {
				out = cb // never apply what Netzme did not sign for
				return nil
			}
		}
		o, err := h.outcome(ctx, tx, cb)
		if err != nil {
			return err
		}
		if err := tx.FinishCallback(ctx, id, o); err != nil {
			return err
		}
		action := "callback." + string(o.Status)
		if audit.UserID != 0 {
			action = "callback.reapply"
		}
		audit.At, audit.Action, audit.MerchantID = h.now(), action, o.MerchantID
		b, _ := json.Marshal(map[string]any{"callback_id": id, "kind": cb.Kind, "status": o.Status,
			"reason": o.Reason, "reference_no": cb.ReferenceNo, "partner_reference_no": cb.PartnerRefNo})
		audit.Detail = string(b)
		if err := tx.Audit(ctx, audit); err != nil {
			return err
		}
		out, err = tx.Callback(ctx, id)
		return err
	})
	return out, err
}

// outcome decides what callback cb means for the books, and makes the change
// (invoice paid, payment recorded) inside tx.
func (h *Handler) outcome(ctx context.Context, tx *db.Tx, cb db.Callback) (db.CallbackOutcome, error) {
	facts, err := callbackFactsOf(cb.Kind, []byte(cb.Body))
	if err == nil {
		err = facts.check()
	}
	if err != nil {
		return db.CallbackOutcome{Status: db.CallbackRejected, Reason: "malformed", Note: err.Error()}, nil
	}
	if taker, err := tx.CallbackTaking(ctx, facts.key, cb.ID); err != nil {
		return db.CallbackOutcome{}, err
	} else if taker != 0 {
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
	merchantID, err := tx.MerchantIDByNetzmeCustID(ctx, facts.custID)
	if errors.Is(err, db.ErrNotFound) {
		merchantID = 0
	} else if err != nil {
		return db.CallbackOutcome{}, err
	}
	switch cb.Kind {
	case db.CallbackInvoice:
		c, _ := netzme.DecodeInvoiceCallback([]byte(cb.Body))
		return h.invoiceOutcome(ctx, tx, cb, c, merchantID)
	case db.CallbackQRIS, db.CallbackSNAPQRIS:
		c, _ := netzme.DecodeQRISCallback([]byte(cb.Body))
		return h.qrisOutcome(ctx, tx, cb, c, merchantID)
	default: // withdraw: applied to the withdrawals of issue 6.
		return h.withdrawOutcome(ctx, tx, cb, merchantID)
	}
}

func review(reason, note string, merchantID int64) db.CallbackOutcome {
	return db.CallbackOutcome{Status: db.CallbackNeedsReview, Reason: reason, Note: note, MerchantID: merchantID}
}

// invoiceOutcome applies a Payment Success Callback (Invoice) (§3.15):
// unknown/pending → paid with gross, fee and net, along the only valid
// transition; everything unexpected is kept for review instead.
func (h *Handler) invoiceOutcome(ctx context.Context, tx *db.Tx, cb db.Callback, c netzme.InvoiceCallback, merchantID int64) (db.CallbackOutcome, error) {
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
	paidAt := c.PaymentTime
	if paidAt.IsZero() {
		paidAt = cb.ReceivedAt
	}
	if paidAt.After(iv.ExpiresAt) {
		return withInvoice(review("paid_after_expiry", "paid at "+paidAt.UTC().Format(time.RFC3339)+
			", expired at "+iv.ExpiresAt.UTC().Format(time.RFC3339), merchantID))
	}
	applied, err := tx.ChangeInvoice(ctx, iv.ID, db.InvoiceChange{
		From: []db.InvoiceStatus{db.InvoiceUnknown, db.InvoicePending}, To: db.InvoicePaid,
		Source: "callback", Note: fmt.Sprintf("Netzme callback #%d", cb.ID),
		Paid: &db.InvoicePayment{PaidAmountMinor: c.AmountMinor, FeeMinor: known(c.FeeMinor),
			NetMinor: known(c.NetAmountMinor), PaidAt: paidAt},
	})
	if err != nil {
		return db.CallbackOutcome{}, err
	}
	if !applied {
		return withInvoice(db.CallbackOutcome{Status: db.CallbackDuplicate, Reason: "already_paid", MerchantID: merchantID})
	}
	effect, _ := json.Marshal(map[string]any{"invoice_id": iv.ID, "partner_reference_no": iv.PartnerReferenceNo,
		"from": iv.Status, "to": db.InvoicePaid, "paid_amount_minor": c.AmountMinor, "fee_minor": c.FeeMinor,
		"net_minor": c.NetAmountMinor, "paid_at": paidAt.UTC().Format(time.RFC3339)})
	return db.CallbackOutcome{Status: db.CallbackApplied, MerchantID: merchantID, InvoiceID: iv.ID, Effect: string(effect)}, nil
}

// refMismatch is two references naming two different invoices.
type refMismatch struct{ trxID, partnerRef string }

func (e *refMismatch) Error() string {
	return "trxId " + e.trxID + " and partnerReferenceNo " + e.partnerRef + " name different invoices"
}

// findInvoice looks the invoice up by trxId, then by our partnerReferenceNo
// (an invoice whose creation timed out has no trxId yet).
func findInvoice(ctx context.Context, tx *db.Tx, c netzme.InvoiceCallback) (db.Invoice, error) {
	byTrx, errTrx := tx.InvoiceByTrxID(ctx, c.OriginalReferenceNo)
	if errTrx != nil && !errors.Is(errTrx, db.ErrNotFound) {
		return db.Invoice{}, errTrx
	}
	if c.OriginalPartnerReferenceNo == "" {
		return byTrx, errTrx
	}
	byRef, errRef := tx.InvoiceByReference(ctx, c.OriginalPartnerReferenceNo)
	if errRef != nil && !errors.Is(errRef, db.ErrNotFound) {
		return db.Invoice{}, errRef
	}
	switch {
	case errTrx == nil && errRef == nil && byTrx.ID != byRef.ID:
		return db.Invoice{}, &refMismatch{c.OriginalReferenceNo, c.OriginalPartnerReferenceNo}
	case errTrx == nil:
		return byTrx, nil
	case errRef == nil:
		if byRef.NetzmeTrxID != "" && c.OriginalReferenceNo != "" && byRef.NetzmeTrxID != c.OriginalReferenceNo {
			return db.Invoice{}, &refMismatch{c.OriginalReferenceNo, c.OriginalPartnerReferenceNo}
		}
		return byRef, nil
	}
	return db.Invoice{}, errRef
}

// qrisOutcome records a non-invoice QRIS payment (§3.16/§3.18/§3.19) as a
// payment of the merchant — once per rrn+date+issuer — and keeps the
// callback for review: money arrived without a Lapak invoice.
func (h *Handler) qrisOutcome(ctx context.Context, tx *db.Tx, cb db.Callback, c netzme.QRISCallback, merchantID int64) (db.CallbackOutcome, error) {
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
	effect, _ := json.Marshal(map[string]any{"payment_id": p.ID, "amount_minor": p.AmountMinor, "fee_minor": p.FeeMinor,
		"net_minor": p.NetMinor, "rrn": p.RRN})
	o := review("static_qris", "QRIS payment without a Lapak invoice (rrn "+rrn+")", merchantID)
	o.PaymentID, o.Effect = p.ID, string(effect)
	return o, nil
}
