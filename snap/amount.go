package snap

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Amount is SNAP's money object, {"value":"20000.00","currency":"IDR"}
// (snap §7). Value is a decimal string so money never passes through float64
// and never becomes a JSON number that Netzme's gateway would re-minify
// (netzme §2.7).
type Amount struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
}

// IDR returns the Amount for minor units (sen) in rupiah, e.g.
// IDR(2_000_000) = {"20000.00", "IDR"}.
func IDR(minor int64) Amount {
	return Amount{Value: FormatAmount(minor), Currency: "IDR"}
}

// FormatAmount renders minor units (1/100 IDR) as SNAP's two-decimal string:
// 2_000_000 → "20000.00", 5 → "0.05", -500 → "-5.00". Integer arithmetic only.
func FormatAmount(minor int64) string {
	neg := minor < 0
	// Work in uint64 so math.MinInt64 does not overflow when negated.
	u := uint64(minor)
	if neg {
		u = -u
	}
	s := fmt.Sprintf("%d.%02d", u/100, u%100)
	if neg {
		return "-" + s
	}
	return s
}

// ParseAmount parses a SNAP amount value into minor units (sen). It accepts
// "20000.00", "10000" (no decimals, seen in Netzme requests), "20000.5" (one
// decimal), "0", a leading "-" for negative values, and the legacy
// "IDR 10002.00" form found inside Netzme callbacks (netzme §2.12). It rejects
// everything else — empty strings, signs other than "-", spaces, exponents,
// thousands separators, more than two decimals and values outside int64 —
// with an error that quotes the offending input.
func ParseAmount(s string) (int64, error) {
	orig := s
	s = strings.TrimPrefix(s, "IDR ")
	neg := false
	if strings.HasPrefix(s, "-") {
		neg = true
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || !allDigits(intPart) {
		return 0, fmt.Errorf("snap: amount %.40q is not a decimal number", orig)
	}
	if hasDot && (frac == "" || !allDigits(frac)) {
		return 0, fmt.Errorf("snap: amount %.40q is not a decimal number", orig)
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("snap: amount %.40q has more than two decimals", orig)
	}
	// Accumulate as a negative number so math.MinInt64 is representable.
	var v int64
	for _, c := range intPart + (frac + "00")[:2] {
		d := int64(c - '0')
		if v < (math.MinInt64+d)/10 {
			return 0, fmt.Errorf("snap: amount %.40q is out of range", orig)
		}
		v = v*10 - d
	}
	if neg {
		return v, nil
	}
	if v == math.MinInt64 {
		return 0, fmt.Errorf("snap: amount %.40q is out of range", orig)
	}
	return -v, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ErrCurrency is returned (wrapped) by Amount.Minor for a currency other than IDR.
var ErrCurrency = errors.New("snap: unsupported currency")

// Minor returns the amount in minor units. Currency must be "IDR" or empty
// (some Netzme payloads omit it); any other currency is ErrCurrency, because
// silently treating USD cents as sen would be a money bug.
func (a Amount) Minor() (int64, error) {
	if a.Currency != "" && a.Currency != "IDR" {
		return 0, fmt.Errorf("%w %.10q", ErrCurrency, a.Currency)
	}
	return ParseAmount(a.Value)
}
