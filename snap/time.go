package snap

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Jakarta must load on machines without a zoneinfo database.
)

// Jakarta is the Asia/Jakarta location (WIB, UTC+7). SNAP providers expect
// X-TIMESTAMP in local Indonesian time (snap §3.1, netzme §2.11).
var Jakarta = mustLoadJakarta()

func mustLoadJakarta() *time.Location {
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		// Unreachable: time/tzdata is embedded above.
		panic("snap: load Asia/Jakarta: " + err.Error())
	}
	return loc
}

// TimestampLayout is the SNAP X-TIMESTAMP layout: ISO-8601 with a numeric
// offset and no fractional seconds. Unlike time.RFC3339 it never prints "Z",
// so every value we send has the same 25-character shape (netzme §2.11).
const TimestampLayout = "2006-01-02T15:04:05-07:00"

// maxTimestampLen is the gateway's limit: Netzme rejects X-TIMESTAMP values
// longer than 25 characters, i.e. anything with fractional seconds (netzme §2.3).
const maxTimestampLen = 25

// Timestamp formats t in Jakarta time with TimestampLayout, e.g.
// "2022-08-10T00:00:00+07:00". The result is exactly 25 characters for years
// 0000-9999 and is what must be both sent and signed.
func Timestamp(t time.Time) string {
	return t.In(Jakarta).Format(TimestampLayout)
}

// ParseTimestamp parses an X-TIMESTAMP: RFC 3339 with an offset ("+07:00",
// "+00:00" or "Z"), at most 25 characters, so fractional seconds are rejected.
// The error says which rule failed; it quotes the input, which is never secret.
func ParseTimestamp(s string) (time.Time, error) {
	switch {
	case s == "":
		return time.Time{}, errors.New("snap: timestamp is empty")
	case len(s) > maxTimestampLen:
		return time.Time{}, fmt.Errorf("snap: timestamp %.40q is longer than %d characters (fractional seconds are not allowed)", s, maxTimestampLen)
	case strings.ContainsRune(s, '.'):
		return time.Time{}, fmt.Errorf("snap: timestamp %q has fractional seconds", s)
	}
	t, err := time.Parse(time.RFC3339, s)
	// time.Parse accepts a one-digit hour ("T0:00:00"); re-formatting
	// enforces the exact two-digit shape the standard prescribes.
	if err != nil || (t.Format(time.RFC3339) != s && t.Format(TimestampLayout) != s) {
		return time.Time{}, fmt.Errorf("snap: timestamp %q is not yyyy-MM-ddTHH:mm:ss±hh:mm", s)
	}
	return t, nil
}

// maxFractionDigits bounds the fractional seconds ParseReceivedTimestamp
// accepts: RFC 3339 allows any number, Go and Java print at most nine.
const maxFractionDigits = 9

// ParseReceivedTimestamp parses the X-TIMESTAMP of a request a provider sends
// Lapak: ParseTimestamp's shape with optional fractional seconds, so both
// "2026-11-21T10:54:21+07:00" and "2026-11-21T10:54:21.123+07:00" pass. The
// SNAP standard documents yyyy-MM-ddTHH:mm:ss.SSSTZD while providers' samples
// omit the milliseconds (snap §3.3, §4.3, §11 item 5); a verifier refusing
// either turns away a correctly signed request. Signatures are checked
// over the header as received, never over a re-formatted value. What Lapak
// sends stays in Timestamp's 25-character form (netzme §2.3 refuses longer).
func ParseReceivedTimestamp(s string) (time.Time, error) {
	dot := strings.IndexByte(s, '.')
	if dot < 0 {
		return ParseTimestamp(s)
	}
	if dot != len("2006-01-02T15:04:05") {
		return time.Time{}, fmt.Errorf("snap: timestamp %.40q is not yyyy-MM-ddTHH:mm:ss[.SSS]±hh:mm", s)
	}
	end := dot + 1
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	digits := s[dot+1 : end]
	if len(digits) == 0 || len(digits) > maxFractionDigits {
		return time.Time{}, fmt.Errorf("snap: timestamp %.40q: fractional seconds must be 1 to %d digits", s, maxFractionDigits)
	}
	t, err := ParseTimestamp(s[:dot] + s[end:])
	if err != nil {
		return time.Time{}, fmt.Errorf("snap: timestamp %.40q is not yyyy-MM-ddTHH:mm:ss[.SSS]±hh:mm", s)
	}
	ns := 0
	for i := range maxFractionDigits {
		ns *= 10
		if i < len(digits) {
			ns += int(digits[i] - '0')
		}
	}
	return t.Add(time.Duration(ns)), nil
}

// externalIDDigits is what Netzme's own QA tool generates: 32 random digits
// (netzme §2.10); 10^32 values make a same-day collision negligible.
const externalIDDigits = 32

// maxExternalIDLen is the header's String(36) limit (snap §3.1, netzme §2.3).
const maxExternalIDLen = 36

// NewExternalID returns a fresh X-EXTERNAL-ID: 32 uniformly random decimal
// digits from crypto/rand. Call it once per HTTP attempt, never per business
// request: providers reject a reused id within a day with 409xx00.
func NewExternalID() string {
	var out [externalIDDigits]byte
	var buf [64]byte
	n := 0
	for n < len(out) {
		if _, err := rand.Read(buf[:]); err != nil {
			// crypto/rand.Read never fails on supported platforms (Go ≥ 1.24).
			panic("snap: crypto/rand: " + err.Error())
		}
		for _, b := range buf {
			// Reject 250..255 so every digit is equally likely.
			if b >= 250 {
				continue
			}
			out[n] = '0' + b%10
			n++
			if n == len(out) {
				break
			}
		}
	}
	return string(out[:])
}

// ValidExternalID reports whether s is an acceptable X-EXTERNAL-ID: 1 to 36
// ASCII digits. Netzme's gateway answers 409xx00 for non-digits and 400xx02
// for more than 36 characters (netzme §2.3); the error names the rule broken.
func ValidExternalID(s string) error {
	if s == "" {
		return errors.New("snap: X-EXTERNAL-ID is empty")
	}
	if len(s) > maxExternalIDLen {
		return fmt.Errorf("snap: X-EXTERNAL-ID is %d characters, maximum %d", len(s), maxExternalIDLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return errors.New("snap: X-EXTERNAL-ID must be numeric only")
		}
	}
	return nil
}
