package nicepay

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"lapak/snap"
)

// Variant selects how the X-SIGNATURE of an inquiry or payment request is
// checked. NICEPAY's documentation and its sibling products disagree (nicepay
// §3.4), so every candidate recipe is supported; production pins one.
type Variant string

// The signature variants of nicepay §3.4.
const (
	// VariantDocumented is the documented recipe and the default:
	// SHA256withRSA by NICEPAY's private key over clientId + "|" +
	// X-TIMESTAMP, base64. "clientId" is X-PARTNER-ID, then the configured
	// client id (which header is meant is itself a guess, nicepay §3.4).
	VariantDocumented Variant = "rsa-clientid"
	// VariantHMAC is SNAP recipe B with the client secret we gave NICEPAY:
	// HMAC-SHA512 over METHOD:path:token:sha256hex(body):X-TIMESTAMP,
	// base64 or hex (the NIVA sibling's 88-character example).
	VariantHMAC Variant = "hmac-sha512"
	// VariantService is SNAP recipe C: SHA256withRSA by NICEPAY's key over
	// METHOD:path:sha256hex(body):X-TIMESTAMP.
	VariantService Variant = "rsa-service"
	// VariantAny accepts any of the three and records which matched: for
	// UAT only, to learn which recipe NICEPAY really uses.
	VariantAny Variant = "any"
)

// Variants lists every accepted Variant value, default first.
var Variants = []Variant{VariantDocumented, VariantHMAC, VariantService, VariantAny}

// ParseVariant parses a configuration value; "" is VariantDocumented.
func ParseVariant(s string) (Variant, error) {
	if s == "" {
		return VariantDocumented, nil
	}
	for _, v := range Variants {
		if string(v) == s {
			return v, nil
		}
	}
	return "", fmt.Errorf("nicepay: signature variant %q: want one of rsa-clientid, hmac-sha512, rsa-service, any", s)
}

// DefaultSkew is how far NICEPAY's X-TIMESTAMP may be from our clock. The
// spec asks for "our skew window" without a number (guess, nicepay §2 step 2).
const DefaultSkew = 5 * time.Minute

// Verifier holds what Lapak knows about NICEPAY to check its requests: the
// client id and secret we issued to NICEPAY and NICEPAY's public key. It is
// a value; the zero Now means time.Now.
type Verifier struct {
	ClientID     string
	ClientSecret string // only for VariantHMAC / VariantAny
	PublicKey    *rsa.PublicKey
	Variant      Variant
	Skew         time.Duration // 0 = DefaultSkew
	Now          func() time.Time
}

func (v Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v Verifier) checkTimestamp(ts string, service string) *Error {
	t, err := snap.ParseReceivedTimestamp(ts)
	if err != nil {
		return Refusal(401, service, "00", "Timestamp")
	}
	skew := v.Skew
	if skew == 0 {
		skew = DefaultSkew
	}
	if d := v.now().Sub(t); d > skew || d < -skew {
		return Refusal(401, service, "00", "Timestamp")
	}
	return nil
}

// CheckToken applies nicepay §2 "Verification steps" 1-4 to a token request:
// X-CLIENT-KEY must be our client id (4017300 Unknown client), X-TIMESTAMP
// must parse, with or without milliseconds (snap.ParseReceivedTimestamp), and
// be within the skew (4017300 Timestamp), X-SIGNATURE must be
// NICEPAY's RSA signature over X-CLIENT-KEY|X-TIMESTAMP (4017300 Signature),
// and the body must carry grantType client_credentials (4007302 missing,
// 4007301 other value). nil means issue a token.
func (v Verifier) CheckToken(h http.Header, body []byte) *Error {
	clientKey := h.Get("X-CLIENT-KEY")
	if clientKey == "" || clientKey != v.ClientID {
		return Refusal(401, ServiceToken, "00", "Unknown client")
	}
	ts := h.Get("X-TIMESTAMP")
	if e := v.checkTimestamp(ts, ServiceToken); e != nil {
		return e
	}
	if snap.VerifyAsymmetric(v.PublicKey, clientKey, ts, h.Get("X-SIGNATURE")) != nil {
		return Refusal(401, ServiceToken, "00", "Signature")
	}
	var req TokenRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return Refusal(400, ServiceToken, "01", "body")
	}
	switch req.GrantType {
	case "":
		return Refusal(400, ServiceToken, "02", "grantType")
	case "client_credentials":
		return nil
	default:
		return Refusal(400, ServiceToken, "01", "grantType")
	}
}

// BearerToken returns the access token of an inquiry or payment request, or
// 4010003 "Token Not Found (B2B)" when the Authorization header has none
// (nicepay §3.5 rule 1).
func BearerToken(h http.Header) (string, *Error) {
	auth := h.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return "", Refusal(401, ServiceCVS, "03", "")
	}
	return strings.TrimSpace(tok), nil
}

// ErrInvalidToken is 4010001 "Invalid Token (B2B)": a token we never issued
// or that has expired (nicepay §3.5 rule 1).
var ErrInvalidToken = Refusal(401, ServiceCVS, "01", "")

// requiredHeaders are the mandatory headers of inquiry and payment (nicepay
// §3 header table). A missing one is 4000002 naming it (guess: the spec lists
// no code for missing headers).
var requiredHeaders = []string{"X-TIMESTAMP", "X-SIGNATURE", "X-PARTNER-ID", "X-EXTERNAL-ID", "CHANNEL-ID"}

// Request is what CheckRequest needs of an inquiry or payment request.
// PathQuery is the request URI as received; Token is the bearer token.
type Request struct {
	Method    string
	PathQuery string
	Header    http.Header
	Body      []byte
	Token     string
}

// CheckRequest checks the headers and X-SIGNATURE of an inquiry or payment
// request after its token was accepted: a missing mandatory header is
// 4000002, a bad or stale X-TIMESTAMP 4010000 [Timestamp] (guess), a
// signature no configured recipe accepts 4010000 "Unauthorized.
// [Signature]" (nicepay §3.5 rule 2). On success it returns the name of the
// recipe that matched, to be recorded (nicepay §3.4 "log which recipe
// matches").
func (v Verifier) CheckRequest(r Request) (string, *Error) {
	for _, name := range requiredHeaders {
		if strings.TrimSpace(r.Header.Get(name)) == "" {
			return "", Refusal(400, ServiceCVS, "02", name)
		}
	}
	ts := r.Header.Get("X-TIMESTAMP")
	if e := v.checkTimestamp(ts, ServiceCVS); e != nil {
		return "", e
	}
	sig := r.Header.Get("X-SIGNATURE")
	variants := []Variant{v.Variant}
	if v.Variant == VariantAny {
		variants = []Variant{VariantDocumented, VariantHMAC, VariantService}
	} else if v.Variant == "" {
		variants = []Variant{VariantDocumented}
	}
	for _, variant := range variants {
		if recipe, ok := v.matches(variant, r, ts, sig); ok {
			return recipe, nil
		}
	}
	return "", Refusal(401, ServiceCVS, "00", "Signature")
}

func (v Verifier) matches(variant Variant, r Request, ts, sig string) (string, bool) {
	switch variant {
	case VariantDocumented:
		partner := r.Header.Get("X-PARTNER-ID")
		if snap.VerifyAsymmetric(v.PublicKey, partner, ts, sig) == nil {
			return string(VariantDocumented) + "/x-partner-id", true
		}
		if v.ClientID != partner && snap.VerifyAsymmetric(v.PublicKey, v.ClientID, ts, sig) == nil {
			return string(VariantDocumented) + "/client-id", true
		}
	case VariantHMAC:
		if v.ClientSecret == "" {
			return "", false
		}
		enc := snap.Base64
		if len(sig) == 128 {
			enc = snap.Hex
		}
		if snap.VerifySymmetric(v.ClientSecret, r.Method, r.PathQuery, r.Token, r.Body, ts, sig, enc) == nil {
			return string(VariantHMAC) + "/" + enc.String(), true
		}
	case VariantService:
		if snap.VerifyAsymmetricService(v.PublicKey, r.Method, r.PathQuery, r.Body, ts, sig) == nil {
			return string(VariantService), true
		}
	}
	return "", false
}

// Signer makes NICEPAY's signatures; the Store simulator uses it, and tests
// use it to play NICEPAY. VariantAny signs with the documented recipe.
type Signer struct {
	ClientID     string
	ClientSecret string
	PrivateKey   *rsa.PrivateKey
	Variant      Variant
}

// SignToken signs a token request: base64 SHA256withRSA over
// clientID|timestamp (nicepay §2).
func (s Signer) SignToken(timestamp string) (string, error) {
	return snap.SignAsymmetric(s.PrivateKey, s.ClientID, timestamp)
}

// SignRequest signs an inquiry or payment request with s.Variant. partnerID
// is the X-PARTNER-ID header sent.
func (s Signer) SignRequest(method, pathQuery, token, partnerID string, body []byte, timestamp string) (string, error) {
	switch s.Variant {
	case VariantHMAC:
		if s.ClientSecret == "" {
			return "", errors.New("nicepay: sign: no client secret for hmac-sha512")
		}
		return snap.SignSymmetric(s.ClientSecret, method, pathQuery, token, body, timestamp, snap.Base64), nil
	case VariantService:
		return snap.SignAsymmetricService(s.PrivateKey, method, pathQuery, body, timestamp)
	default:
		return snap.SignAsymmetric(s.PrivateKey, partnerID, timestamp)
	}
}
