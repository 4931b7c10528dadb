package money

import (
	"context"
	"errors"

	"lapak/db"
	"lapak/netzme"
	"lapak/snap"
)

// Split fees: Deduct Deposit and Split Fee (§3.20) reports a paid sale to
// Netzme so it deducts a fee from the merchant's deposit. The intent (status
// unknown, our references) is committed first. Resending an unknown
// deduction with the SAME references is safe: Netzme refuses a
// partnerReferenceNo it already has (netzme.ErrDuplicateReference), which
// tells us the earlier attempt went through.

// Reasons a split fee is refused before anything is sent (in a FieldError).
var (
	// ErrSplitFeeInvoice: not a paid sale invoice of the merchant; field
	// "invoice_id".
	ErrSplitFeeInvoice = errors.New("not a paid sale invoice")
	// ErrFeeTooLarge: the fee exceeds the invoice amount; field "fee".
	ErrFeeTooLarge = errors.New("fee above the invoice amount")
	// ErrProductTooLong: the product name is over maxProductName bytes;
	// field "product_name".
	ErrProductTooLong = errors.New("product name too long")
)

// ErrSplitFeeExists: the invoice already has a deduction that did not fail.
// Nothing was sent.
var ErrSplitFeeExists = errors.New("money: the invoice already has a deduction")

// maxProductName bounds the product name we send (guess, §3.20: the field's
// length is not documented).
const maxProductName = 100

// Codes a split fee records (db.SplitFee.FailureCode).
const (
	// SplitFeeDuplicate: recorded as success — Netzme already had the
	// deduction from an earlier attempt; nothing was deducted twice.
	SplitFeeDuplicate = "duplicate"
	// SplitFeeInsufficient: failed, the deposit is too low.
	SplitFeeInsufficient = "insufficient"
	// SplitFeeRefused: failed, any other clear refusal.
	SplitFeeRefused = "refused"
)

// SplitFeeInput asks for a fee to be deducted from the deposit for a paid
// sale invoice. Money in sen.
type SplitFeeInput struct {
	InvoiceID   int64
	FeeMinor    int64
	ProductName string // "" = the invoice's description
}

// SplitFeeResult is where a deduction stands after a use case.
type SplitFeeResult struct {
	// SplitFee as recorded: success (FailureCode "" or SplitFeeDuplicate),
	// failed (SplitFeeInsufficient, SplitFeeRefused) or unknown (no clear
	// answer; RetrySplitFee may resend it).
	SplitFee db.SplitFee
	// InvoiceReference is the invoice's partnerReferenceNo; also set with
	// ErrSplitFeeExists.
	InvoiceReference string
	// Sent: a request went to Netzme now (false: a retry of a deduction that
	// was no longer unknown).
	Sent bool
}

// DeductSplitFee commits a deduction for a's merchant's paid sale invoice
// in.InvoiceID and sends Deduct Deposit and Split Fee (§3.20) once. A
// refusal by Netzme is not an error: the deduction is failed with its code.
// Errors: a FieldError (ErrSplitFeeInvoice, ErrAmountZero or
// ErrFeeTooLarge, ErrProductTooLong); ErrNotLinked; ErrSplitFeeExists.
func (s *Service) DeductSplitFee(ctx context.Context, a Actor, in SplitFeeInput) (SplitFeeResult, error) {
	if len(in.ProductName) > maxProductName {
		return SplitFeeResult{}, invalid("product_name", ErrProductTooLong)
	}
	iv, err := s.db.MerchantInvoice(ctx, a.MerchantID, in.InvoiceID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && (iv.Status != db.InvoicePaid || iv.Purpose != "sale")) {
		return SplitFeeResult{}, invalid("invoice_id", ErrSplitFeeInvoice)
	} else if err != nil {
		return SplitFeeResult{}, err
	}
	switch {
	case in.FeeMinor <= 0:
		return SplitFeeResult{}, invalid("fee", ErrAmountZero)
	case in.FeeMinor > iv.AmountMinor:
		return SplitFeeResult{}, invalid("fee", ErrFeeTooLarge)
	}
	m, err := s.db.Merchant(ctx, a.MerchantID)
	if err != nil {
		return SplitFeeResult{}, err
	}
	if m.NetzmeCustID == "" {
		return SplitFeeResult{}, ErrNotLinked
	}
	product := in.ProductName
	if product == "" {
		product = iv.Description
	}
	res := SplitFeeResult{InvoiceReference: iv.PartnerReferenceNo}
	res.SplitFee, res.Sent, err = s.sendSplitFee(ctx, a, m.NetzmeCustID, iv, func(ctx context.Context) (db.SplitFee, error) {
		sf, err := s.db.StartSplitFee(ctx, db.SplitFee{MerchantID: m.ID, InvoiceID: iv.ID, ReferenceNo: NewReference(s.now()),
			FeeMinor: in.FeeMinor, ProductName: product, CreatedBy: a.UserID},
			s.audit(a, "splitfee.request", map[string]any{"invoice": iv.PartnerReferenceNo, "fee": snap.FormatAmount(in.FeeMinor)}))
		switch {
		case errors.Is(err, db.ErrConflict):
			return sf, ErrSplitFeeExists
		case errors.Is(err, db.ErrNotFound): // no longer paid
			return sf, invalid("invoice_id", ErrSplitFeeInvoice)
		}
		return sf, err
	})
	return res, err
}

// RetrySplitFee resends a's merchant's deduction id while its outcome is
// unknown, with the same references (safe, see above); for any other status
// it sends nothing and reports the deduction as it is. Errors:
// db.ErrNotFound; ErrNotLinked.
func (s *Service) RetrySplitFee(ctx context.Context, a Actor, id int64) (SplitFeeResult, error) {
	sf, err := s.db.MerchantSplitFee(ctx, a.MerchantID, id)
	if err != nil {
		return SplitFeeResult{}, err
	}
	res := SplitFeeResult{SplitFee: sf, InvoiceReference: sf.PartnerReferenceNo}
	if sf.Status != db.SplitFeeUnknown {
		return res, nil
	}
	iv, err := s.db.MerchantInvoice(ctx, a.MerchantID, sf.InvoiceID)
	if err != nil {
		return res, err
	}
	m, err := s.db.Merchant(ctx, a.MerchantID)
	if err != nil {
		return res, err
	}
	if m.NetzmeCustID == "" {
		return res, ErrNotLinked
	}
	res.SplitFee, res.Sent, err = s.sendSplitFee(ctx, a, m.NetzmeCustID, iv,
		func(context.Context) (db.SplitFee, error) { return sf, nil }) // the intent is on record already
	return res, err
}

// sendSplitFee runs one Deduct Deposit exchange for invoice iv: intent
// commits (or returns) the unknown deduction, the request is sent, the
// answer recorded. An unclear answer leaves the deduction unknown. If the
// answer cannot be recorded the deduction stays unknown, and that is what
// is returned (sent true, no error).
func (s *Service) sendSplitFee(ctx context.Context, a Actor, custID string, iv db.Invoice,
	intent func(context.Context) (db.SplitFee, error)) (sf db.SplitFee, sent bool, err error) {
	_, err = exchange(ctx, s, a, step[netzme.DeductDepositResult]{
		Intent: func(ctx context.Context) (err error) {
			sf, err = intent(ctx)
			return err
		},
		Call: func(ctx context.Context) (netzme.DeductDepositResult, error) {
			sent = true
			return s.netzme.DeductDepositSplitFee(ctx, netzme.DeductDepositRequest{
				ReferenceNo: sf.ReferenceNo, PartnerReferenceNo: sf.PartnerReferenceNo, CustIDMerchant: custID,
				AmountMinor: sf.AmountMinor, FeeMinor: sf.FeeMinor, SKU: iv.PartnerReferenceNo, ProductName: sf.ProductName,
				// guess, §3.20: bankName from the legacy list; our money came through Netzme.
				PayMethod: splitPayMethod(iv.Method), BankName: "NETZME", Qty: 1, Desc: iv.Description,
			})
		},
		Record: func(ctx context.Context, ans Answer[netzme.DeductDepositResult]) error {
			if ans.Outcome == Unknown {
				// Left unknown: a retry resends the same references safely.
				return s.db.Audit(ctx, s.audit(a, "splitfee.answer", map[string]any{"invoice": iv.PartnerReferenceNo, "status": db.SplitFeeUnknown}))
			}
			status, code, reason := splitFeeAnswer(ans.Err)
			applied, err := s.finishSplitFee(ctx, bookedBy(a, db.ActorSystem), sf.ID, status, code, reason, s.audit(a, "splitfee.answer",
				map[string]any{"invoice": iv.PartnerReferenceNo, "status": status, "code": code}))
			if err != nil {
				return err
			}
			if !applied { // a parallel retry recorded it first
				sf, err = s.db.MerchantSplitFee(ctx, sf.MerchantID, sf.ID)
				return err
			}
			sf.Status, sf.FailureCode, sf.FailureReason = status, code, reason
			return nil
		},
	})
	if err != nil && sent {
		s.log.Error("record split fee answer", "split_fee", sf.ID, "err", err)
		return sf, true, nil
	}
	return sf, sent, err
}

// splitFeeAnswer is how a clear answer to Deduct Deposit is recorded.
func splitFeeAnswer(err error) (db.SplitFeeStatus, string, string) {
	switch {
	case err == nil:
		return db.SplitFeeSuccess, "", ""
	case errors.Is(err, netzme.ErrDuplicateReference):
		// §3.20: Netzme already has this payment — an earlier attempt went
		// through.
		return db.SplitFeeSuccess, SplitFeeDuplicate, netzme.Describe(err)
	case errors.Is(err, netzme.ErrInsufficientFunds):
		return db.SplitFeeFailed, SplitFeeInsufficient, netzme.Describe(err)
	}
	return db.SplitFeeFailed, SplitFeeRefused, netzme.Describe(err)
}

// splitPayMethod maps our invoice method to §3.20's legacy payMethod list.
func splitPayMethod(method string) string {
	switch method {
	case netzme.PayQRIS:
		return "QRIS"
	case netzme.PayOVO, netzme.PayDANA, netzme.PayNetzme, netzme.PayNetzmeSeamless:
		return "EWALLET"
	case netzme.PayRetailOutlet:
		return "RETAIL_OUTLET"
	}
	return "BANK_TRANSFER"
}
