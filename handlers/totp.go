package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP as RFC 6238 with the parameters every authenticator app assumes:
// HMAC-SHA-1, 6 digits, 30-second steps from the Unix epoch. A code is
// accepted for the current step and one step either side (clock drift and
// typing time), and only for a step later than the last one accepted.
const (
	totpPeriod    = 30
	totpDigits    = 6
	totpSkew      = 1
	totpSecretLen = 20 // 160 bits, the HMAC-SHA-1 block-friendly size RFC 4226 §4 recommends
	totpIssuer    = "Lapak"

	recoveryCodeCount = 10
	recoveryCodeLen   = 16 // base32 characters: 80 random bits
)

// b32 is base32 without padding, as otpauth:// URIs and authenticator apps
// expect the secret.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTOTPSecret returns a fresh random shared secret.
func newTOTPSecret() ([]byte, error) {
	s := make([]byte, totpSecretLen)
	if _, err := rand.Read(s); err != nil {
		return nil, fmt.Errorf("handlers: totp secret: %w", err)
	}
	return s, nil
}

// totpStep is the RFC 6238 time step T of at.
func totpStep(at time.Time) int64 { return at.Unix() / totpPeriod }

// totpCode is the 6-digit HOTP value (RFC 4226 §5.3) of secret at step.
func totpCode(secret []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, bin%1_000_000)
}

// checkTOTP returns the step code is valid for at at, if that step is later
// than lastStep. Every candidate is compared in constant time.
func checkTOTP(secret []byte, code string, at time.Time, lastStep int64) (int64, bool) {
	if len(code) != totpDigits {
		return 0, false
	}
	cur := totpStep(at)
	var found int64
	ok := false
	for s := cur - totpSkew; s <= cur+totpSkew; s++ {
		if subtle.ConstantTimeCompare([]byte(totpCode(secret, s)), []byte(code)) == 1 && s > lastStep && !ok {
			found, ok = s, true
		}
	}
	return found, ok
}

// totpURI is the otpauth:// URI authenticator apps read from the QR code
// (the Key Uri Format of Google Authenticator, which the others follow).
func totpURI(email string, secret []byte) string {
	label := url.PathEscape(totpIssuer + ":" + email)
	q := url.Values{}
	q.Set("secret", b32.EncodeToString(secret))
	q.Set("issuer", totpIssuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(totpDigits))
	q.Set("period", fmt.Sprint(totpPeriod))
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// groupSecret writes a base32 secret in groups of four for typing it by hand.
func groupSecret(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// normalizeCode strips what people type around a code: spaces, dashes, case.
func normalizeCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, strings.TrimSpace(s))
}

// isTOTPCode reports whether a normalised code is 6 digits (not a recovery code).
func isTOTPCode(s string) bool {
	if len(s) != totpDigits {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// newRecoveryCodes returns recoveryCodeCount fresh codes for showing
// ("abcd-efgh-ijkl-mnop") and their hashes for storing.
func newRecoveryCodes() (codes, hashes []string, err error) {
	raw := make([]byte, recoveryCodeLen*5/8)
	for range recoveryCodeCount {
		if _, err := rand.Read(raw); err != nil {
			return nil, nil, fmt.Errorf("handlers: recovery code: %w", err)
		}
		c := strings.ToLower(b32.EncodeToString(raw))
		codes = append(codes, c[0:4]+"-"+c[4:8]+"-"+c[8:12]+"-"+c[12:16])
		hashes = append(hashes, recoveryHash(c))
	}
	return codes, hashes, nil
}

// recoveryHash is the stored form of a normalised recovery code.
func recoveryHash(normalized string) string {
	sum := sha256.Sum256([]byte(normalized))
	return hex.EncodeToString(sum[:])
}
