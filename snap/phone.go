package snap

import "errors"

// Phone is an Indonesian phone number (country code 62), held as its national
// significant number: the digits after the leading "0" or "62", e.g.
// "81234567890". Providers want it written differently, so it is parsed once
// (ParsePhone) and written with the formatter the provider needs:
//
//	E164          "+6281234567890"  Netzme §3.12 additionalInfo.phoneNumber
//	International "6281234567890"   SpeedCash notelp_pemilik (speedcash §2.2);
//	                                Netzme §3.5 phoneNo (guess, format not documented)
//	National      "081234567890"    NICEPAY payNoPhone (nicepay §3 example)
//
// The zero Phone is no number: its formatters return "".
type Phone struct{ nsn string }

// Length bounds of the national significant number. E.164 allows 15 digits
// with the country code, so at most 13 after "62"; the shortest Indonesian
// numbers (old landlines with a 2-digit area code) have 8.
const (
	minPhoneDigits = 8
	maxPhoneDigits = 13
)

// The reasons ParsePhone refuses an input, for errors.Is. Their messages never
// quote the input: phone numbers are personal data and errors reach logs.
var (
	ErrPhoneEmpty     = errors.New("snap: phone number is empty")
	ErrPhoneCharacter = errors.New("snap: phone number may hold only digits, spaces, dashes, dots, parentheses and a leading +")
	ErrPhonePrefix    = errors.New("snap: phone number must start with 0, 62 or +62, followed by a digit other than 0")
	ErrPhoneLength    = errors.New("snap: phone number must have 8 to 13 digits after its 0 or 62")
)

// ParsePhone reads an Indonesian number as people type it: "0812-3456-7890",
// "6281234567890", "+62 812 3456 7890", "(021) 555-1234", "0812.3456.789".
// Spaces, dashes, dots and parentheses are ignored; a "+" may only come
// first and must be followed by 62. Anything else is refused with one of the
// ErrPhone* errors: other characters, another country code, a missing prefix
// ("812…"), a 0 after the prefix ("+62 0812…", "0062…"), too few or too
// many digits.
func ParsePhone(s string) (Phone, error) {
	digits := make([]byte, 0, len(s))
	plus, seen := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
			seen = true
		case c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')':
		case c == '+' && !seen && !plus && len(digits) == 0:
			plus, seen = true, true
		default:
			return Phone{}, ErrPhoneCharacter
		}
	}
	d := string(digits)
	switch {
	case !seen:
		return Phone{}, ErrPhoneEmpty
	case len(d) >= 2 && d[:2] == "62":
		d = d[2:]
	case plus:
		return Phone{}, ErrPhonePrefix
	case len(d) >= 1 && d[0] == '0':
		d = d[1:]
	default:
		return Phone{}, ErrPhonePrefix
	}
	if d != "" && d[0] == '0' {
		return Phone{}, ErrPhonePrefix
	}
	if len(d) < minPhoneDigits || len(d) > maxPhoneDigits {
		return Phone{}, ErrPhoneLength
	}
	return Phone{nsn: d}, nil
}

// IsZero reports whether p is the zero Phone (no number).
func (p Phone) IsZero() bool { return p.nsn == "" }

// E164 writes p as "+62…", e.g. "+6281234567890".
func (p Phone) E164() string { return p.format("+62") }

// International writes p as "62…" (E.164 without the plus), e.g. "6281234567890".
func (p Phone) International() string { return p.format("62") }

// National writes p with the trunk prefix 0, e.g. "081234567890".
func (p Phone) National() string { return p.format("0") }

// String is E164, for logs and %v.
func (p Phone) String() string { return p.E164() }

func (p Phone) format(prefix string) string {
	if p.nsn == "" {
		return ""
	}
	return prefix + p.nsn
}
