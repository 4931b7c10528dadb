package money

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"lapak/db"
	"lapak/netzme"
	"lapak/netzme/qris"
	"lapak/snap"
)

// Invoices: "charge a customer" (Create Invoice Transaction, §3.12) and the
// deposit top-up (§3.21) are one flow. Both write the intent row (status
// unknown, our partnerReferenceNo) and commit, call Netzme outside any
// transaction, and record the answer: pending with Netzme's ids, unknown
// (never sent again; the resolver asks §3.14), or failed. Only the purpose
// picks the endpoint, the methods offered and the audit actions.

// Purpose is what an invoice is for; the values are what invoices.purpose
// stores.
type Purpose string

const (
	// PurposeSale: a customer pays the merchant (§3.12).
	PurposeSale Purpose = "sale"
	// PurposeTopup: the merchant pays into its own deposit (§3.21: §3.12 with
	// additionalInfo.apiSource = "topup_deposit").
	PurposeTopup Purpose = "topup_deposit"
)

// Amount limits in sen. QRIS payments are capped at Rp 10.000.000 per
// transaction (qris §2); other methods at Rp 100.000.000 (guess, §3.12: no
// limit documented; a back-office invoice above that is a typo).
const (
	MaxQRISMinor    = 10_000_000_00
	MaxInvoiceMinor = 100_000_000_00
)

// Invoice lifetime bounds (guess, §3.12: expireInSecond has no documented
// bounds): the default hour, at least a minute, at most a week.
const (
	DefaultInvoiceExpiry = time.Hour
	MinInvoiceExpiry     = time.Minute
	MaxInvoiceExpiry     = 7 * 24 * time.Hour
)

// Text limits of an invoice, in characters.
const (
	maxDescription  = 200
	maxCustomerName = 60
)

// topupDescription is what a top-up invoice says about itself, to Netzme and
// in our list.
const topupDescription = "Top up deposit"

// Reasons an invoice is refused, wrapped in a FieldError.
var (
	ErrMethod      = errors.New("payment method not offered")
	ErrFeeType     = errors.New("fee type must be on_seller or on_buyer")
	ErrExpiry      = errors.New("expiry out of bounds")
	ErrTooLong     = errors.New("text too long")
	ErrLettersOnly = errors.New("letters and spaces only")
)

// InvoiceMethods are the payMethods a sale may use, QRIS first (§3.12 lists
// them; the QA-only names are left out as undocumented).
func InvoiceMethods() []string {
	return []string{
		netzme.PayQRIS, netzme.PayBankTransfer, netzme.PayBCA, netzme.PayNetzme, netzme.PayNetzmeSeamless,
		netzme.PayOVO, netzme.PayDANA, netzme.PayRetailOutlet, netzme.PayCreditCard,
	}
}

// TopupMethods are the payMethods a deposit top-up may use (guess, §3.21:
// the page shows VA numbers and QRIS; the others make no sense for a
// merchant paying itself).
func TopupMethods() []string { return []string{netzme.PayQRIS, netzme.PayBankTransfer} }

// InvoiceInput is an invoice to create. Text is trimmed here; parsing what a
// person typed (rupiah, phone numbers, e-mail syntax) is the caller's.
type InvoiceInput struct {
	Purpose     Purpose // "" = PurposeSale
	AmountMinor int64
	Method      string        // a payMethod of InvoiceMethods / TopupMethods; "" = QRIS
	FeeType     string        // netzme.FeeOnSeller or FeeOnBuyer; "" = on_seller
	Expiry      time.Duration // how long it stays payable (sent in whole seconds); 0 = DefaultInvoiceExpiry
	// Description is required for a sale; a top-up says "Top up deposit".
	Description   string
	CustomerName  string // letters and spaces only (§3.12 fullname)
	CustomerPhone string // already normalised to +62…
	CustomerEmail string
}

var lettersSpaces = regexp.MustCompile(`^[A-Za-z ]+$`)

// normalised returns in with defaults filled and text trimmed.
func (in InvoiceInput) normalised() InvoiceInput {
	if in.Purpose == "" {
		in.Purpose = PurposeSale
	}
	in.Method = strings.TrimSpace(in.Method)
	if in.Method == "" {
		in.Method = netzme.PayQRIS
	}
	in.FeeType = strings.TrimSpace(in.FeeType)
	if in.FeeType == "" {
		in.FeeType = netzme.FeeOnSeller
	}
	if in.Expiry == 0 {
		in.Expiry = DefaultInvoiceExpiry
	}
	in.Description = strings.TrimSpace(in.Description)
	if in.Description == "" && in.Purpose == PurposeTopup {
		in.Description = topupDescription
	}
	in.CustomerName = strings.TrimSpace(in.CustomerName)
	in.CustomerPhone = strings.TrimSpace(in.CustomerPhone)
	in.CustomerEmail = strings.TrimSpace(in.CustomerEmail)
	return in
}

// Check applies the business rules to in without creating anything. It
// returns nil, or every problem at once: FieldErrors joined (errors.Join),
// with Field one of amount, method, fee_type, expiry, description,
// customer_name. An unknown Purpose is a plain error (a bug, not input).
func (in InvoiceInput) Check() error {
	in = in.normalised()
	var errs []error
	methods := InvoiceMethods()
	switch in.Purpose {
	case PurposeSale:
	case PurposeTopup:
		methods = TopupMethods()
	default:
		return fmt.Errorf("money: unknown invoice purpose %q", in.Purpose)
	}
	if !slices.Contains(methods, in.Method) {
		errs = append(errs, invalid("method", ErrMethod))
	}
	if err := CheckAmount("amount", in.AmountMinor, in.Method == netzme.PayQRIS); err != nil {
		errs = append(errs, err)
	}
	if in.FeeType != netzme.FeeOnSeller && in.FeeType != netzme.FeeOnBuyer {
		errs = append(errs, invalid("fee_type", ErrFeeType))
	}
	if in.Expiry < MinInvoiceExpiry || in.Expiry > MaxInvoiceExpiry {
		errs = append(errs, invalid("expiry", ErrExpiry))
	}
	switch {
	case in.Description == "":
		errs = append(errs, invalid("description", ErrRequired))
	case utf8.RuneCountInString(in.Description) > maxDescription:
		errs = append(errs, invalid("description", ErrTooLong))
	}
	switch {
	case utf8.RuneCountInString(in.CustomerName) > maxCustomerName:
		errs = append(errs, invalid("customer_name", ErrTooLong))
	case in.CustomerName != "" && !lettersSpaces.MatchString(in.CustomerName):
		// Netzme accepts letters only in fullname (§3.12).
		errs = append(errs, invalid("customer_name", ErrLettersOnly))
	}
	return errors.Join(errs...)
}

// InvoiceResult is how a creation ended. The invoice is stored in every
// case; Outcome says what Netzme answered (Unknown: the resolver settles it;
// Refused: the invoice is failed with Netzme's reason).
type InvoiceResult struct {
	Invoice db.Invoice // as stored after the answer
	// QRIS is the printable code of a sale whose QR Netzme sent (decoded and
	// valid); zero ID otherwise.
	QRIS    db.QRISCode
	Outcome Outcome
}

// invoiceFlow is what differs between the purposes; nothing else may.
type invoiceFlow struct {
	create, answer string // audit actions (unchanged from before issue 10)
	createdNote    string // timeline note of a created invoice
	call           func(*netzme.Client, context.Context, netzme.InvoiceTransactionRequest) (netzme.InvoiceTransaction, error)
	printable      bool // its QR becomes one of the merchant's QRIS codes
}

var invoiceFlows = map[Purpose]invoiceFlow{
	PurposeSale: {create: "invoice.create", answer: "invoice.answer", createdNote: "created at Netzme",
		call: (*netzme.Client).CreateInvoiceTransaction, printable: true},
	// A top-up's QR pays Netzme, not the merchant: it is shown on the
	// invoice page but never listed among the codes to print.
	PurposeTopup: {create: "deposit.topup", answer: "deposit.topup.answer", createdNote: "top-up created at Netzme",
		call: (*netzme.Client).TopupDeposit},
}

// CreateInvoice creates an invoice for a.MerchantID: a sale through Create
// Invoice Transaction (§3.12) or a deposit top-up (§3.21), by in.Purpose.
// Errors: FieldErrors (joined) for invalid input and ErrNotLinked, both before
// anything is written; any other error is Lapak's own (the intent or the
// answer could not be written). Netzme's answer is in the result, never an
// error.
func (s *Service) CreateInvoice(ctx context.Context, a Actor, in InvoiceInput) (InvoiceResult, error) {
	if err := in.Check(); err != nil {
		return InvoiceResult{}, err
	}
	in = in.normalised()
	flow := invoiceFlows[in.Purpose]
	m, err := s.db.Merchant(ctx, a.MerchantID)
	if err != nil {
		return InvoiceResult{}, err
	}
	if m.NetzmeCustID == "" {
		return InvoiceResult{}, ErrNotLinked
	}
	now := s.now()
	ref := NewReference(now)
	req := netzme.InvoiceTransactionRequest{PartnerReferenceNo: ref, CustIDMerchant: m.NetzmeCustID,
		AmountMinor: in.AmountMinor, PayMethod: in.Method, ExpireIn: in.Expiry, FeeType: in.FeeType,
		Buyer: netzme.Buyer{Email: in.CustomerEmail, Description: in.Description, Notes: in.Description,
			PhoneNumber: in.CustomerPhone, FullName: in.CustomerName}}
	if in.Purpose == PurposeTopup && req.Buyer.FullName == "" {
		req.Buyer.FullName = m.Name
	}
	var iv db.Invoice
	var code db.QRISCode
	ans, err := exchange(ctx, s, a, step[netzme.InvoiceTransaction]{
		Intent: func(ctx context.Context) error {
			var err error
			iv, err = s.db.CreateInvoiceIntent(ctx, db.NewInvoice{
				MerchantID: m.ID, PartnerReferenceNo: ref, Purpose: string(in.Purpose), Method: in.Method,
				AmountMinor: in.AmountMinor, FeeType: in.FeeType, Description: in.Description,
				CustomerName: in.CustomerName, CustomerPhone: in.CustomerPhone, CustomerEmail: in.CustomerEmail,
				ExpiresAt: now.Add(in.Expiry), CreatedBy: a.UserID,
			}, s.audit(a, flow.create, map[string]any{"partner_reference_no": ref, "method": in.Method,
				"amount": snap.FormatAmount(in.AmountMinor), "fee_type": in.FeeType}))
			return err
		},
		Call: func(ctx context.Context) (netzme.InvoiceTransaction, error) {
			return flow.call(s.netzme, ctx, req)
		},
		Record: func(ctx context.Context, ans Answer[netzme.InvoiceTransaction]) error {
			var err error
			code, err = s.recordInvoiceAnswer(ctx, a, flow, iv, ans)
			return err
		},
	})
	if err != nil {
		return InvoiceResult{}, err
	}
	res := InvoiceResult{QRIS: code, Outcome: ans.Outcome}
	res.Invoice, err = s.db.MerchantInvoice(context.WithoutCancel(ctx), m.ID, iv.ID)
	return res, err
}

// recordInvoiceAnswer stores Netzme's answer to the creation of iv, and for
// a printable QR its QRIS code, in one transaction. A callback that got
// there first wins (the change then applies nothing).
func (s *Service) recordInvoiceAnswer(ctx context.Context, a Actor, flow invoiceFlow, iv db.Invoice,
	ans Answer[netzme.InvoiceTransaction]) (db.QRISCode, error) {
	ch := db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown}, Source: "netzme", UserID: a.UserID}
	switch ans.Outcome {
	case Succeeded:
		trx := ans.Value
		created := &db.InvoiceCreated{NetzmeTrxID: trx.TrxID, NetzmeInvoiceID: trx.InvoiceID,
			PaymentURL: trx.PaymentURL, ExpiresAt: trx.ExpiresAt, VANumbers: vaJSON(trx.VirtualAccounts)}
		var problem string
		created.QRISPayload, problem = qrisPayload(trx.QRImage)
		ch.To, ch.Note, ch.Created = db.InvoicePending, flow.createdNote+problem, created
	case Unknown:
		ch.To, ch.Note = db.InvoiceUnknown, "no clear answer from Netzme: "+netzme.Describe(ans.Err)
	default:
		ch.To, ch.Note, ch.Failure = db.InvoiceFailed, "refused by Netzme", netzme.Describe(ans.Err)
	}
	audit := s.audit(a, flow.answer, map[string]any{"partner_reference_no": iv.PartnerReferenceNo, "status": ch.To})
	var code db.QRISCode
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		applied, err := s.changeInvoice(ctx, tx, bookedBy(a, db.ActorSystem), iv.ID, ch)
		if err != nil || !applied {
			return err
		}
		if err := tx.Audit(ctx, audit); err != nil {
			return err
		}
		if !flow.printable || ch.Created == nil || ch.Created.QRISPayload == "" {
			return nil
		}
		code, err = tx.AddQRISCode(ctx, db.QRISCode{MerchantID: iv.MerchantID, Kind: db.QRISInvoice, InvoiceID: iv.ID,
			Payload: ch.Created.QRISPayload, AmountMinor: iv.AmountMinor, Label: iv.Description, CreatedBy: a.UserID})
		return err
	})
	return code, err
}

// qrisPayload reads the EMV payload out of the QR image Netzme sends (a PNG
// data URI, §3.12), so we draw the code crisp ourselves — only if it is a
// valid QRIS. problem is a note for the timeline when it is not.
func qrisPayload(dataURI string) (payload, problem string) {
	if dataURI == "" {
		return "", ""
	}
	payload, err := qris.DecodeDataURI(dataURI)
	if err != nil {
		return "", "; QR image unreadable"
	}
	if _, err := qris.Parse(payload); err != nil {
		return "", "; QR payload invalid"
	}
	return payload, ""
}

// vaJSON is what invoices.va_numbers stores: [{bankCode, number}].
func vaJSON(vas []netzme.VirtualAccount) string {
	type va struct {
		BankCode string `json:"bankCode"`
		Number   string `json:"number"`
	}
	out := make([]va, 0, len(vas))
	for _, v := range vas {
		out = append(out, va{v.BankCode, v.Number})
	}
	b, _ := json.Marshal(out)
	return string(b)
}
