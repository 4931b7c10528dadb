// Package qris reads, checks, builds and draws QRIS payloads: the EMVCo
// Merchant-Presented-Mode strings inside Indonesian payment QR codes
// (QRIS MPM, see docs/protocol.md). It imports nothing else of Lapak's, so the
// Netzme simulator and the web pages can both use it.
package qris

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxLen is the longest payload accepted or produced (qris §1, the EMVCo
// limit as commonly cited).
const MaxLen = 512

// Error kinds. Every error returned by Parse, and every refusal by the
// builders, is an *Error wrapping exactly one of these, so callers can choose
// a message with errors.Is and still show Error.Msg for the detail.
var (
	ErrSyntax    = errors.New("qris: malformed payload")          // TLV structure broken
	ErrDuplicate = errors.New("qris: duplicate tag")              // same ID twice at one level
	ErrOrder     = errors.New("qris: tag order")                  // 00 not first or 63 not last
	ErrCRC       = errors.New("qris: CRC mismatch")               // checksum wrong or not 4 hex digits
	ErrTooLong   = errors.New("qris: payload too long")           // over MaxLen characters
	ErrCharset   = errors.New("qris: invalid character")          // non-ASCII or control character
	ErrMissing   = errors.New("qris: mandatory tag missing")      // 01, 52, 53, 58, 59, 60 or an account
	ErrInvalid   = errors.New("qris: invalid field value")        // a value breaks its field's format
	ErrNotStatic = errors.New("qris: not a static merchant code") // ToDynamic on a dynamic or transfer code
)

// Error says what is wrong with a payload and where. Msg is plain English
// without payload secrets (a QRIS string holds none) and is safe to show to
// merchant staff; Tag is the EMV tag path ("54", "62.01"), empty for problems
// of the whole payload; Offset is the character position in the trimmed
// payload where the problem starts, or -1 when it has no single position.
type Error struct {
	Err    error
	Tag    string
	Offset int
	Msg    string
}

// Error renders "qris: tag 54 (transaction amount) at offset 120: <msg>".
func (e *Error) Error() string {
	var where []string
	if e.Tag != "" {
		tag := "tag " + e.Tag
		if name := tagNames[e.Tag]; name != "" {
			tag += " (" + name + ")"
		}
		where = append(where, tag)
	}
	if e.Offset >= 0 {
		where = append(where, fmt.Sprintf("at offset %d", e.Offset))
	}
	if len(where) == 0 {
		return "qris: " + e.Msg
	}
	return "qris: " + strings.Join(where, " ") + ": " + e.Msg
}

// Unwrap returns the error kind (ErrCRC, ErrInvalid, …).
func (e *Error) Unwrap() error { return e.Err }

var tagNames = map[string]string{
	"00": "payload format indicator", "01": "point of initiation",
	"51": "national merchant ID", "51.02": "NMID",
	"52": "merchant category code", "53": "currency", "54": "transaction amount",
	"55": "tip or convenience indicator", "56": "fixed convenience fee",
	"57": "percentage convenience fee", "58": "country code", "59": "merchant name",
	"60": "merchant city", "61": "postal code", "62": "additional data", "63": "CRC",
	"62.01": "bill number", "62.05": "reference label", "62.07": "terminal label",
}

// Account is one domestic merchant account template (root tags 26–45,
// qris §3.1): who acquires payments for the merchant.
type Account struct {
	Tag        string // root tag, "26" on almost every code
	GUID       string // sub 00, reverse domain of the acquirer, e.g. "ID.NETZME.WWW"
	PAN        string // sub 01, merchant PAN; not checked for a check digit (qris §3.1)
	MerchantID string // sub 02, merchant ID at the acquirer
	Criteria   string // sub 03, UMI/UKE/UME/UBE/URE
}

// Payload is a parsed QRIS string that passed the validation policy of
// qris §8. Fields hold values exactly as encoded (names are not trimmed).
type Payload struct {
	Raw               string            // the payload as parsed, outer whitespace trimmed
	PointOfInitiation string            // "11" static, "12" dynamic
	Accounts          []Account         // tags 26–45 in payload order, at least one
	NMID              string            // tag 51 sub 02 (national merchant ID); empty if tag 51 is absent
	MCC               string            // tag 52
	Currency          string            // tag 53, always "360"
	CountryCode       string            // tag 58, always "ID"
	MerchantName      string            // tag 59
	MerchantCity      string            // tag 60
	PostalCode        string            // tag 61, empty if absent
	AmountMinor       int64             // tag 54 in sen (Rp 1 = 100); 0 when absent
	HasAmount         bool              // tag 54 present
	Additional        map[string]string // tag 62 sub-tags by id ("01" bill number, "05" reference label, "07" terminal …); never nil
	CRC               string            // tag 63 as encoded (may be lowercase, see Warnings)

	// Warnings lists accepted oddities staff may want to see (qris §8):
	// no tag 51, lowercase CRC, long merchant name, dynamic code without amount.
	Warnings []string

	objs []object // root objects in payload order, for re-encoding
}

// IsDynamic reports whether the code is meant for one payment (tag 01 = "12").
func (p *Payload) IsDynamic() bool { return p.PointOfInitiation == "12" }

// Encode re-serializes the parsed objects in their original order with a
// freshly computed uppercase CRC. For a payload with an uppercase CRC this is
// exactly Raw; it is how a lowercase CRC gets normalized.
func (p *Payload) Encode() string {
	return withCRC(encodeTLV(p.objs[:len(p.objs)-1]))
}

// Parse trims outer whitespace from s, walks its TLV structure and applies the
// hard checks of qris §8. Any refusal is an *Error naming the tag and
// offset; the first problem found is reported. Structural problems and the
// CRC are checked before field values, so a tampered payload reports ErrCRC.
func Parse(s string) (*Payload, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, &Error{Err: ErrSyntax, Offset: -1, Msg: "payload is empty"}
	}
	if len(s) > MaxLen {
		return nil, &Error{Err: ErrTooLong, Offset: MaxLen, Msg: fmt.Sprintf("payload has %d characters, at most %d allowed", len(s), MaxLen)}
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return nil, &Error{Err: ErrCharset, Offset: i, Msg: fmt.Sprintf("byte 0x%02X is not printable ASCII", s[i])}
		}
	}
	objs, err := decodeTLV(s, 0, "")
	if err != nil {
		return nil, err
	}
	if objs[0].id != "00" {
		return nil, &Error{Err: ErrOrder, Tag: objs[0].id, Offset: 0, Msg: "payload must start with tag 00"}
	}
	last := objs[len(objs)-1]
	if last.id != "63" {
		return nil, &Error{Err: ErrOrder, Tag: last.id, Offset: last.off, Msg: "payload must end with tag 63 (CRC)"}
	}
	if len(last.value) != 4 || !isHex(last.value) {
		return nil, &Error{Err: ErrCRC, Tag: "63", Offset: last.off, Msg: fmt.Sprintf("CRC %q is not 4 hex digits", last.value)}
	}
	// By position, never by searching for "6304" (qris §6).
	want := crcHex(CRC16([]byte(s[:len(s)-4])))
	if !strings.EqualFold(want, last.value) {
		return nil, &Error{Err: ErrCRC, Tag: "63", Offset: last.off + 4, Msg: fmt.Sprintf("CRC is %s but the payload computes to %s; the code is damaged or was altered", last.value, want)}
	}

	p := &Payload{Raw: s, CRC: last.value, Additional: map[string]string{}, objs: objs}
	if last.value != want {
		p.warn("CRC is written in lowercase; QRIS writers use uppercase")
	}
	present := map[string]object{}
	for _, o := range objs[:len(objs)-1] {
		present[o.id] = o
		if err := p.field(o); err != nil {
			return nil, err
		}
	}
	for _, id := range []string{"01", "52", "53", "58", "59", "60"} {
		if _, ok := present[id]; !ok {
			return nil, &Error{Err: ErrMissing, Tag: id, Offset: -1, Msg: "mandatory tag is missing"}
		}
	}
	if len(p.Accounts) == 0 {
		return nil, &Error{Err: ErrMissing, Tag: "26", Offset: -1, Msg: "no merchant account template (tags 26–45)"}
	}
	if err := checkFee(present); err != nil {
		return nil, err
	}
	switch {
	case !p.IsDynamic() && p.HasAmount:
		o := present["54"]
		return nil, &Error{Err: ErrInvalid, Tag: "54", Offset: o.off, Msg: "static code (01=11) must not carry an amount"}
	case p.IsDynamic() && !p.HasAmount:
		p.warn("dynamic code without an amount (transfer-style code?)")
	}
	if _, ok := present["51"]; !ok {
		p.warn("no national merchant ID (tag 51)")
	}
	return p, nil
}

func (p *Payload) warn(msg string) { p.Warnings = append(p.Warnings, msg) }

// field checks one root object and stores what it means.
func (p *Payload) field(o object) error {
	bad := func(format string, args ...any) error {
		return &Error{Err: ErrInvalid, Tag: o.id, Offset: o.off, Msg: fmt.Sprintf(format, args...)}
	}
	id, _ := strconv.Atoi(o.id)
	switch {
	case o.id == "00":
		if o.value != "01" {
			return bad("payload format indicator must be 01, got %q", o.value)
		}
	case o.id == "01":
		if o.value != "11" && o.value != "12" {
			return bad("point of initiation must be 11 (static) or 12 (dynamic), got %q", o.value)
		}
		p.PointOfInitiation = o.value
	case 26 <= id && id <= 51:
		subs, err := subObjects(o)
		if err != nil {
			return err
		}
		if subs["00"] == "" {
			return &Error{Err: ErrMissing, Tag: o.id + ".00", Offset: o.off, Msg: "merchant account template has no globally unique identifier"}
		}
		switch {
		case id <= 45:
			p.Accounts = append(p.Accounts, Account{Tag: o.id, GUID: subs["00"], PAN: subs["01"], MerchantID: subs["02"], Criteria: subs["03"]})
		case id == 51:
			p.NMID = subs["02"]
			if g := subs["00"]; g != "ID.CO.QRIS.WWW" && g != "ID.OR.GPNQR.WWW" {
				p.warn(fmt.Sprintf("unexpected national repository %q in tag 51", g))
			}
			if p.NMID == "" {
				p.warn("tag 51 carries no NMID (sub-tag 02)")
			}
		}
	case o.id == "52":
		if len(o.value) != 4 || !isDigits(o.value) {
			return bad("merchant category code must be 4 digits, got %q", o.value)
		}
		p.MCC = o.value
	case o.id == "53":
		if o.value != "360" {
			return bad("currency must be 360 (IDR), got %q", o.value)
		}
		p.Currency = o.value
	case o.id == "54":
		minor, msg := parseAmount(o.value)
		if msg != "" {
			return bad("%s", msg)
		}
		p.AmountMinor, p.HasAmount = minor, true
	case o.id == "55":
		if o.value != "01" && o.value != "02" && o.value != "03" {
			return bad("tip indicator must be 01, 02 or 03, got %q", o.value)
		}
	case o.id == "56":
		if _, msg := parseAmount(o.value); msg != "" {
			return bad("fixed fee: %s", msg)
		}
	case o.id == "57":
		if _, msg := parsePercent(o.value); msg != "" {
			return bad("%s", msg)
		}
	case o.id == "58":
		if o.value != "ID" {
			return bad("country must be ID, got %q", o.value)
		}
		p.CountryCode = o.value
	case o.id == "59":
		if o.value == "" {
			return bad("merchant name is empty")
		}
		if len(o.value) > 25 {
			p.warn(fmt.Sprintf("merchant name has %d characters, the standard allows 25", len(o.value)))
		}
		p.MerchantName = o.value
	case o.id == "60":
		if o.value == "" || len(o.value) > 15 {
			return bad("merchant city must be 1–15 characters, got %d", len(o.value))
		}
		p.MerchantCity = o.value
	case o.id == "61":
		if len(o.value) > 10 {
			return bad("postal code must be at most 10 characters, got %d", len(o.value))
		}
		p.PostalCode = o.value
	case o.id == "62":
		subs, err := subObjects(o)
		if err != nil {
			return err
		}
		for k, v := range subs {
			if max := additionalMax(k); max > 0 && len(v) > max {
				return &Error{Err: ErrInvalid, Tag: "62." + k, Offset: o.off, Msg: fmt.Sprintf("at most %d characters allowed, got %d", max, len(v))}
			}
			p.Additional[k] = v
		}
	case o.id == "64" || 80 <= id:
		if _, err := subObjects(o); err != nil {
			return err
		}
	case 65 <= id && id <= 79:
		p.warn(fmt.Sprintf("tag %s is reserved for EMVCo", o.id))
	}
	return nil
}

// subObjects parses a template's value; a template whose inside does not
// parse is refused even when the outer CRC is right (qris §8).
func subObjects(o object) (map[string]string, error) {
	objs, err := decodeTLV(o.value, o.off+4, o.id)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(objs))
	for _, s := range objs {
		m[s.id] = s.value
	}
	return m, nil
}

// additionalMax is the EMVCo length limit of a tag 62 sub-tag (qris §4),
// 0 for sub-tags without one.
func additionalMax(id string) int {
	switch id {
	case "01", "02", "03", "04", "05", "06", "07", "08":
		return 25
	case "09", "11":
		return 3
	case "10":
		return 20
	}
	return 0
}

// checkFee applies the 55/56/57 rules of qris §2.
func checkFee(present map[string]object) error {
	ind, has55 := present["55"]
	_, has56 := present["56"]
	_, has57 := present["57"]
	bad := func(tag string, msg string) error {
		return &Error{Err: ErrInvalid, Tag: tag, Offset: present[tag].off, Msg: msg}
	}
	switch {
	case !has55 && has56:
		return bad("56", "fixed fee without tip indicator 55=02")
	case !has55 && has57:
		return bad("57", "percentage fee without tip indicator 55=03")
	case !has55:
		return nil
	case ind.value == "01" && (has56 || has57):
		return bad("55", "tip prompt (55=01) must not carry a fee in 56 or 57")
	case ind.value == "02" && (!has56 || has57):
		return bad("55", "fixed fee (55=02) needs tag 56 and no tag 57")
	case ind.value == "03" && (!has57 || has56):
		return bad("55", "percentage fee (55=03) needs tag 57 and no tag 56")
	}
	return nil
}

// parseAmount reads a tag 54/56 amount ("50000", "69300.00") into sen with
// integer math. The message is empty on success.
func parseAmount(v string) (int64, string) {
	if len(v) > 13 {
		return 0, fmt.Sprintf("amount %q is longer than 13 characters", v)
	}
	whole, frac, dot := strings.Cut(v, ".")
	if !isDigits(whole) || dot && (len(frac) < 1 || len(frac) > 2 || !isDigits(frac)) {
		return 0, fmt.Sprintf("amount %q must be digits with an optional '.' and 1–2 decimals, no thousands separators", v)
	}
	w, _ := strconv.ParseInt(whole, 10, 64) // at most 13 digits: fits
	var f int64
	if dot {
		f, _ = strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			f *= 10
		}
	}
	minor := w*100 + f
	if minor == 0 {
		return 0, "amount must be greater than zero"
	}
	return minor, ""
}

// parsePercent reads tag 57 (≤ 5 characters, 00.01–99.99) into hundredths of
// a percent.
func parsePercent(v string) (int64, string) {
	h, msg := parseAmount(v)
	if msg != "" || len(v) > 5 || h > 9999 {
		return 0, fmt.Sprintf("percentage fee %q must be 0.01–99.99 in at most 5 characters", v)
	}
	return h, ""
}
