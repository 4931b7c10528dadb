package views

import (
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Jakarta must resolve on machines without a zoneinfo database.
)

// Jakarta is the Asia/Jakarta location (WIB, UTC+7). Times are stored UTC and
// shown in WIB because every Lapak merchant and cashier reads Jakarta time.
var Jakarta = mustLoad("Asia/Jakarta")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// Cannot happen with time/tzdata embedded; fail loudly at start-up if it does.
		panic("views: load " + name + ": " + err.Error())
	}
	return loc
}

// Indonesian month abbreviations: the UI defaults to Bahasa Indonesia and the
// same abbreviations read fine to English users ("Agu", "Okt", "Des" are the
// only ones that differ).
var months = [...]string{"Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"}

// IDR formats an amount in minor units (sen, 1/100 rupiah) the Indonesian
// way: 2_000_000 → "Rp 20.000", 2_000_050 → "Rp 20.000,50" (sen only when not
// zero), -500_000 → "-Rp 5.000". It never uses floating point.
func IDR(minor int64) string {
	neg := minor < 0
	// uint64 keeps math.MinInt64 exact: its negation does not fit in int64.
	u := uint64(minor)
	if neg {
		u = -u
	}
	rupiah, sen := u/100, u%100
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString("Rp ")
	b.WriteString(groupThousands(strconv.FormatUint(rupiah, 10)))
	if sen != 0 {
		b.WriteByte(',')
		if sen < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.FormatUint(sen, 10))
	}
	return b.String()
}

// groupThousands inserts '.' every three digits from the right.
func groupThousands(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	first := len(digits) % 3
	if first > 0 {
		b.WriteString(digits[:first])
	}
	for i := first; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// WIB formats t in Jakarta time as "21 Nov 2026 14:05 WIB". The zero time
// (a value that was never set) renders as "—" so pages never show year 1.
func WIB(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	j := t.In(Jakarta)
	return WIBDate(t) + " " + j.Format("15:04") + " WIB"
}

// WIBDate formats the Jakarta calendar date of t as "21 Nov 2026" (a UTC
// evening is already the next day in Jakarta). The zero time renders as "—".
func WIBDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	j := t.In(Jakarta)
	return strconv.Itoa(j.Day()) + " " + months[j.Month()-1] + " " + strconv.Itoa(j.Year())
}

// Form fields get the input type and keyboard their content needs, by name:
// a phone shows digits for amounts and phone numbers and "@" for e-mail.
// Amounts stay type=text (with a numeric keyboard): "Rp 20.000" is valid
// input and type=number would refuse the dots.
var (
	amountFields = map[string]bool{"amount": true, "fee": true, "expiry_minutes": true}
	phoneFields  = map[string]bool{"phone": true, "customer_phone": true}
	emailFields  = map[string]bool{"email": true, "customer_email": true}
)

func fieldType(name string) string {
	switch {
	case phoneFields[name]:
		return "tel"
	case emailFields[name]:
		return "email"
	}
	return "text"
}

func fieldInputMode(name string) string {
	if amountFields[name] {
		return "numeric"
	}
	return ""
}

func fieldAutocomplete(name string) string {
	switch {
	case amountFields[name]:
		return "off"
	case name == "customer_phone", emailFields[name]:
		return "off" // someone else's: a buyer's, a new user's
	case phoneFields[name]:
		return "tel"
	}
	return ""
}
