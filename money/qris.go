package money

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"lapak/db"
	"lapak/netzme"
	"lapak/netzme/qris"
	"lapak/snap"
)

// QRIS codes a merchant can print: its static code (from Get Merchant
// Detail, kept on the merchant), dynamic codes — each a QRIS invoice at
// Netzme (§3.12 payMethod QRIS), made by CreateInvoice — and fixed-amount
// codes converted from the static one (qris §7), which no invoice stands
// behind. Codes are stored as payloads; callers draw them.

// MaxQRISLabel is the longest label of a code, in characters.
const MaxQRISLabel = 60

// Reasons a QRIS code is refused, wrapped in a FieldError.
var (
	// ErrNoStaticQRIS: the merchant has no valid static code to convert.
	ErrNoStaticQRIS = errors.New("no valid static QRIS")
	// ErrNotWholeRupiah: a converted code carries whole rupiah only (qris §7).
	ErrNotWholeRupiah = errors.New("whole rupiah only")
)

// QRISInput is a code to make for an amount.
type QRISInput struct {
	AmountMinor int64
	Label       string // printed with the code; at most MaxQRISLabel characters
}

// Check applies the rules every code for an amount follows (CheckAmount
// with the QRIS cap, label length), without creating anything: nil, or
// FieldErrors (fields amount, label) joined. ConvertStaticQRIS adds its own.
func (in QRISInput) Check() error {
	var errs []error
	if err := CheckAmount("amount", in.AmountMinor, true); err != nil {
		errs = append(errs, err)
	}
	if utf8.RuneCountInString(strings.TrimSpace(in.Label)) > MaxQRISLabel {
		errs = append(errs, invalid("label", ErrTooLong))
	}
	return errors.Join(errs...)
}

// StaticQRIS returns the stored code of the merchant's static QRIS, storing
// it the first time it is asked for. ErrNoStaticQRIS (bare) when the
// merchant has none or it is not a valid QRIS.
func (s *Service) StaticQRIS(ctx context.Context, a Actor) (db.QRISCode, error) {
	m, err := s.db.Merchant(ctx, a.MerchantID)
	if err != nil {
		return db.QRISCode{}, err
	}
	return s.staticQRIS(ctx, m)
}

func (s *Service) staticQRIS(ctx context.Context, m db.Merchant) (db.QRISCode, error) {
	if m.StaticQRIS == "" {
		return db.QRISCode{}, ErrNoStaticQRIS
	}
	if _, err := qris.Parse(m.StaticQRIS); err != nil {
		return db.QRISCode{}, ErrNoStaticQRIS
	}
	c, err := s.db.StaticQRISCode(ctx, m.ID, m.StaticQRIS)
	if !errors.Is(err, db.ErrNotFound) {
		return c, err
	}
	return s.db.AddQRISCode(ctx, db.QRISCode{MerchantID: m.ID, Kind: db.QRISStatic, Payload: m.StaticQRIS,
		Label: m.Name}, db.AuditEntry{})
}

// CreateQRISInvoice makes a dynamic QRIS code: a sale invoice with payMethod
// QRIS whose description is the label (required: the caller picks the words
// of a default). The result's QRIS is the code when Netzme answered with a
// valid QR. Errors as CreateInvoice, with FieldErrors on amount and label.
func (s *Service) CreateQRISInvoice(ctx context.Context, a Actor, in QRISInput) (InvoiceResult, error) {
	in.Label = strings.TrimSpace(in.Label)
	if err := in.Check(); err != nil {
		return InvoiceResult{}, err
	}
	if in.Label == "" {
		return InvoiceResult{}, invalid("label", ErrRequired)
	}
	return s.CreateInvoice(ctx, a, InvoiceInput{Purpose: PurposeSale, AmountMinor: in.AmountMinor,
		Method: netzme.PayQRIS, Description: in.Label})
}

// ConvertStaticQRIS stores a fixed-amount code made from the merchant's
// static code (qris §7): no invoice stands behind it and Netzme is not
// called, so a payment to it is only seen in Netzme's history. FieldErrors
// (amount, label) for invalid input; the amount field also carries
// ErrNoStaticQRIS and the parser's kinds (qris.Err*) when the static code
// cannot be converted.
func (s *Service) ConvertStaticQRIS(ctx context.Context, a Actor, in QRISInput) (db.QRISCode, error) {
	return s.convertStaticQRIS(ctx, a, in, time.Time{}, s.db.AddQRISCode)
}

// convertStaticQRIS is ConvertStaticQRIS; a non-zero awaitUntil makes the
// code wait for its payment at the counter until then. add stores the code
// with its audit line.
func (s *Service) convertStaticQRIS(ctx context.Context, a Actor, in QRISInput, awaitUntil time.Time,
	add func(context.Context, db.QRISCode, db.AuditEntry) (db.QRISCode, error)) (db.QRISCode, error) {
	in.Label = strings.TrimSpace(in.Label)
	errs := []error{in.Check()}
	m, err := s.db.Merchant(ctx, a.MerchantID)
	if err != nil {
		return db.QRISCode{}, err
	}
	st, err := s.staticQRIS(ctx, m)
	if errors.Is(err, ErrNoStaticQRIS) {
		errs = append(errs, invalid("amount", err))
	} else if err != nil {
		return db.QRISCode{}, err
	}
	if err := errors.Join(errs...); err != nil {
		return db.QRISCode{}, err
	}
	payload, err := qris.ToDynamic(st.Payload, in.AmountMinor)
	if err != nil {
		return db.QRISCode{}, invalid("amount", err)
	}
	detail := map[string]any{"amount": snap.FormatAmount(in.AmountMinor), "label": in.Label}
	if !awaitUntil.IsZero() {
		detail["counter"] = true
	}
	return add(ctx, db.QRISCode{MerchantID: m.ID, Kind: db.QRISConverted, Payload: payload,
		AmountMinor: in.AmountMinor, Label: in.Label, CreatedBy: a.UserID, AwaitingUntil: awaitUntil},
		s.audit(a, "qris.convert", detail))
}
