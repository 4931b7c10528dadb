package qris

import (
	"fmt"
	"strconv"
)

// Merchant is what a merchant's own QRIS code says about it. Builders encode
// it field by field; they never edit an existing string.
type Merchant struct {
	Name       string // tag 59, 1–25 characters
	City       string // tag 60, 1–15 characters
	PostalCode string // tag 61, optional, at most 10 characters
	MCC        string // tag 52, 4 digits (ISO 18245)
	NMID       string // tag 51 sub 02; optional (tag 51 is omitted when empty)
	GUID       string // tag 26 sub 00, e.g. "ID.NETZME.WWW"
	PAN        string // tag 26 sub 01, 16–19 digits starting with the acquirer's NNS
	MerchantID string // tag 26 sub 02, optional, at most 15 characters
	Criteria   string // tag 26/51 sub 03, optional: UMI, UKE, UME, UBE or URE
}

// terminalLabel is what tag 62 sub 07 carries on nearly every QRIS code and
// Netzme's default terminalId (qris §4, §3.12 terminalId).
const terminalLabel = "A01"

// Static builds the merchant's static QRIS payload (01=11, no amount). It
// returns an *Error wrapping ErrInvalid when a field does not fit QRIS.
func Static(m Merchant) (string, error) {
	return build(m, "11", nil, []object{{id: "07", value: terminalLabel}})
}

// Dynamic builds a one-payment QRIS payload (01=12) for amountMinor sen,
// which must be positive; whole rupiah are written without decimals, other
// amounts with two ("25000.50"). billNumber, if not empty, goes into tag 62
// sub 01 (at most 25 characters) so the payer's receipt shows it.
func Dynamic(m Merchant, amountMinor int64, billNumber string) (string, error) {
	amt, err := formatAmount("54", amountMinor)
	if err != nil {
		return "", err
	}
	var add []object
	if billNumber != "" {
		if err := checkText("62.01", billNumber, 1, 25); err != nil {
			return "", err
		}
		add = append(add, object{id: "01", value: billNumber})
	}
	add = append(add, object{id: "07", value: terminalLabel})
	return build(m, "12", []object{{id: "54", value: amt}}, add)
}

// build encodes a merchant's code in ascending tag order, then parses the
// result so a builder can never hand out a payload Parse would refuse.
func build(m Merchant, poi string, amount []object, additional []object) (string, error) {
	if err := m.validate(); err != nil {
		return "", err
	}
	acct := []object{{id: "00", value: m.GUID}, {id: "01", value: m.PAN}}
	if m.MerchantID != "" {
		acct = append(acct, object{id: "02", value: m.MerchantID})
	}
	if m.Criteria != "" {
		acct = append(acct, object{id: "03", value: m.Criteria})
	}
	objs := []object{{id: "00", value: "01"}, {id: "01", value: poi}, {id: "26", value: encodeTLV(acct)}}
	if m.NMID != "" {
		nat := []object{{id: "00", value: "ID.CO.QRIS.WWW"}, {id: "02", value: m.NMID}}
		if m.Criteria != "" {
			nat = append(nat, object{id: "03", value: m.Criteria})
		}
		objs = append(objs, object{id: "51", value: encodeTLV(nat)})
	}
	objs = append(objs, object{id: "52", value: m.MCC}, object{id: "53", value: "360"})
	objs = append(objs, amount...)
	objs = append(objs, object{id: "58", value: "ID"}, object{id: "59", value: m.Name}, object{id: "60", value: m.City})
	if m.PostalCode != "" {
		objs = append(objs, object{id: "61", value: m.PostalCode})
	}
	if len(additional) > 0 {
		objs = append(objs, object{id: "62", value: encodeTLV(additional)})
	}
	return finish(objs)
}

// finish checks template and payload lengths, appends the CRC and re-parses.
func finish(objs []object) (string, error) {
	for _, o := range objs {
		if len(o.value) > 99 {
			return "", &Error{Err: ErrInvalid, Tag: o.id, Offset: -1, Msg: fmt.Sprintf("value has %d characters, at most 99 fit", len(o.value))}
		}
	}
	s := withCRC(encodeTLV(objs))
	if len(s) > MaxLen {
		return "", &Error{Err: ErrTooLong, Offset: -1, Msg: fmt.Sprintf("payload would have %d characters, at most %d allowed", len(s), MaxLen)}
	}
	if _, err := Parse(s); err != nil {
		return "", err
	}
	return s, nil
}

func (m Merchant) validate() error {
	checks := []struct {
		tag, v   string
		min, max int
	}{
		{"59", m.Name, 1, 25}, {"60", m.City, 1, 15}, {"61", m.PostalCode, 0, 10},
		{"51.02", m.NMID, 0, 30}, {"26.00", m.GUID, 1, 32}, {"26.02", m.MerchantID, 0, 15},
	}
	for _, c := range checks {
		if err := checkText(c.tag, c.v, c.min, c.max); err != nil {
			return err
		}
	}
	if len(m.MCC) != 4 || !isDigits(m.MCC) {
		return &Error{Err: ErrInvalid, Tag: "52", Offset: -1, Msg: fmt.Sprintf("merchant category code must be 4 digits, got %q", m.MCC)}
	}
	if len(m.PAN) < 16 || len(m.PAN) > 19 || !isDigits(m.PAN) {
		return &Error{Err: ErrInvalid, Tag: "26.01", Offset: -1, Msg: "merchant PAN must be 16–19 digits"}
	}
	switch m.Criteria {
	case "", "UMI", "UKE", "UME", "UBE", "URE":
	default:
		return &Error{Err: ErrInvalid, Tag: "26.03", Offset: -1, Msg: fmt.Sprintf("merchant criteria must be UMI, UKE, UME, UBE or URE, got %q", m.Criteria)}
	}
	return nil
}

// checkText enforces a length range and printable ASCII (qris §1).
func checkText(tag, v string, min, max int) error {
	if len(v) < min || len(v) > max {
		return &Error{Err: ErrInvalid, Tag: tag, Offset: -1, Msg: fmt.Sprintf("must be %d–%d characters, got %d", min, max, len(v))}
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7E {
			return &Error{Err: ErrCharset, Tag: tag, Offset: -1, Msg: "only printable ASCII characters are allowed"}
		}
	}
	return nil
}

// formatAmount writes positive sen in tag 54/56 form with integer math.
func formatAmount(tag string, minor int64) (string, error) {
	if minor <= 0 {
		return "", &Error{Err: ErrInvalid, Tag: tag, Offset: -1, Msg: "amount must be greater than zero"}
	}
	s := strconv.FormatInt(minor/100, 10)
	if minor%100 != 0 {
		s += fmt.Sprintf(".%02d", minor%100)
	}
	if len(s) > 13 {
		return "", &Error{Err: ErrInvalid, Tag: tag, Offset: -1, Msg: "amount is longer than 13 characters"}
	}
	return s, nil
}

// Fee is an optional convenience fee added by ToDynamicWithFee (tags 55–57).
// Set at most one field.
type Fee struct {
	FixedMinor        int64 // fixed fee in sen, whole rupiah (55=02, 56)
	PercentHundredths int64 // percentage in hundredths of a percent, 1–9999 (55=03, 57); 250 = 2.5 %
}

// ToDynamic turns a static QRIS into a fixed-amount one for amountMinor sen
// following qris §7: parse and check the input, refuse codes that are not
// static merchant codes (ErrNotStatic), set 01=12, drop any 54–57, insert 54
// before the first tag above 57, and re-encode with a new CRC. Merchant
// identity (26–51, 52, 58–61) and tag 62 are copied unchanged. The amount
// must be whole rupiah (§7 step 3). The per-transaction cap is configuration
// and is the caller's to enforce.
//
// The result still pays the merchant's static account: it carries no
// invoice reference (qris §7, product caveat).
func ToDynamic(static string, amountMinor int64) (string, error) {
	return ToDynamicWithFee(static, amountMinor, Fee{})
}

// ToDynamicWithFee is ToDynamic with a convenience fee the payer's app adds
// on top of the amount (qris §7 step 6). A zero Fee adds none.
func ToDynamicWithFee(static string, amountMinor int64, fee Fee) (string, error) {
	p, err := Parse(static)
	if err != nil {
		return "", err
	}
	if p.IsDynamic() {
		return "", &Error{Err: ErrNotStatic, Tag: "01", Offset: -1, Msg: "code is already dynamic; its amount must not be changed"}
	}
	for _, o := range p.objs {
		if o.id == "40" {
			// Observed transfer codes use tag 40 (qris §2); they are not merchant codes.
			return "", &Error{Err: ErrNotStatic, Tag: "40", Offset: o.off, Msg: "code is a transfer code, not a merchant payment code"}
		}
	}
	if amountMinor%100 != 0 {
		return "", &Error{Err: ErrInvalid, Tag: "54", Offset: -1, Msg: "amount must be whole rupiah"}
	}
	amt, err := formatAmount("54", amountMinor)
	if err != nil {
		return "", err
	}
	insert := []object{{id: "54", value: amt}}
	switch {
	case fee.FixedMinor != 0 && fee.PercentHundredths != 0:
		return "", &Error{Err: ErrInvalid, Tag: "55", Offset: -1, Msg: "choose a fixed or a percentage fee, not both"}
	case fee.FixedMinor != 0:
		if fee.FixedMinor%100 != 0 {
			return "", &Error{Err: ErrInvalid, Tag: "56", Offset: -1, Msg: "fixed fee must be whole rupiah"}
		}
		f, err := formatAmount("56", fee.FixedMinor)
		if err != nil {
			return "", err
		}
		insert = append(insert, object{id: "55", value: "02"}, object{id: "56", value: f})
	case fee.PercentHundredths != 0:
		if fee.PercentHundredths < 1 || fee.PercentHundredths > 9999 {
			return "", &Error{Err: ErrInvalid, Tag: "57", Offset: -1, Msg: "percentage fee must be 0.01–99.99"}
		}
		insert = append(insert, object{id: "55", value: "03"}, object{id: "57", value: formatPercent(fee.PercentHundredths)})
	}

	var out []object
	inserted := false
	for _, o := range p.objs[:len(p.objs)-1] { // drop 63
		switch o.id {
		case "54", "55", "56", "57":
			continue
		case "01":
			o.value = "12"
		}
		if !inserted && o.id > "57" {
			out = append(out, insert...)
			inserted = true
		}
		out = append(out, o)
	}
	if !inserted {
		out = append(out, insert...)
	}
	return finish(out)
}

// formatPercent writes hundredths of a percent without trailing zeros, as
// converters do ("2.5" for 250, qris §7 example).
func formatPercent(h int64) string {
	s := strconv.FormatInt(h/100, 10)
	if f := h % 100; f != 0 {
		s += "." + fmt.Sprintf("%02d", f)
		if s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
	}
	return s
}
