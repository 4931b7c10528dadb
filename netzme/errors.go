package netzme

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
)

// Error kinds. Every error a Client method returns matches (errors.Is) at most
// one of these besides ErrOutcomeUnknown, so callers never read response codes:
// the one table below maps Netzme's answers to kinds, next to the spec sections
// they come from (docs/protocol.md lists the same facts).
var (
	// ErrNotFound: Netzme has no such record (§2.13 404xx00 "resource not
	// found"; §3.8 / §3.14 status queries about something Netzme never saw).
	ErrNotFound = errors.New("netzme: not found")
	// ErrMerchantInactive: the merchant is unknown to Netzme or inactive
	// (§3.5 4030818 "Account Inactive", §2.13 4040008 "Invalid Merchant").
	ErrMerchantInactive = errors.New("netzme: merchant unknown or inactive")
	// ErrPINWrong: the PIN hash did not match (guess, §3.7: wrong-PIN codes
	// are not documented; SNAP's 401xx00 on the withdraw endpoints).
	ErrPINWrong = errors.New("netzme: wrong PIN")
	// ErrPINBlocked: too many wrong PINs (guess, §3.7: 403xx04 "Activity
	// Count Limit Exceeded" on the withdraw endpoints).
	ErrPINBlocked = errors.New("netzme: PIN blocked")
	// ErrPINExists: Create pin with a PIN different from the existing one
	// (§3.1 4040020; the 2023 gateway answered 4000000 with the same message).
	ErrPINExists = errors.New("netzme: a different PIN already exists")
	// ErrPINMissing: no PIN was ever created (§3.2 4040025 "Existing Pin not
	// found."; guess: the same code on the withdraw endpoints).
	ErrPINMissing = errors.New("netzme: no PIN created yet")
	// ErrTooSoon: called again inside a cool-down (§3.2 4030004 "Activity
	// Count Limit Exceeded. wait N millisecond.").
	ErrTooSoon = errors.New("netzme: called again too soon")
	// ErrInsufficientFunds: not enough balance or deposit (§3.20 4030014;
	// guess, §3.7: 403xx14 on the withdraw endpoints).
	ErrInsufficientFunds = errors.New("netzme: insufficient funds")
	// ErrAmountMismatch: the amount differs from the amount the inquiry
	// closed (guess, §5.3: 404xx13 on Withdraw Process).
	ErrAmountMismatch = errors.New("netzme: amount differs from the inquiry")
	// ErrBelowMinimum: the amount is below Netzme's minimum (guess, §3.7:
	// 403xx15 on the withdraw endpoints).
	ErrBelowMinimum = errors.New("netzme: amount below the minimum")
	// ErrDuplicateReference: partnerReferenceNo already used (§2.13 4090001
	// "Duplicate partnerReferenceNo"). On Deduct Deposit (§3.20) it means an
	// earlier attempt went through.
	ErrDuplicateReference = errors.New("netzme: duplicate partnerReferenceNo")
	// ErrUnauthorized: credentials, token or signature refused (§2.13
	// 401xx00–401xx03, §2.5 token errors). A configuration problem, not the
	// user's.
	ErrUnauthorized = errors.New("netzme: unauthorized")
	// ErrInvalidField: Netzme refused a field (§2.13 400xx00–400xx02).
	ErrInvalidField = errors.New("netzme: invalid field")
	// ErrUnavailable: Netzme could not be reached or failed (connect error,
	// timeout, 5xx) on a call that moves no money; safe to try again later.
	ErrUnavailable = errors.New("netzme: unavailable")
	// ErrTimeout matches, in addition to ErrUnavailable or ErrOutcomeUnknown,
	// a call that ran out of time (the HTTP client's timeout or the context's).
	ErrTimeout = errors.New("netzme: timeout")
)

// kindRule maps one answer shape to a kind. An empty endpoint list applies to
// every endpoint; status 0 matches any HTTP status; caseCode "" any case code.
type kindRule struct {
	endpoints []Endpoint
	status    int
	code      string // the whole 7-digit responseCode, "" = by status and case
	caseCode  string
	kind      error
}

var withdrawEndpoints = []Endpoint{EndpointWithdrawProcess, EndpointWithdrawDeposit}

// kindRules is the one table from Netzme's answers to error kinds, tried in
// order; the first match wins. Sources: §2.13 (gateway codes), §3.1, §3.2,
// §3.5, §3.7 (guesses, marked), §3.20.
var kindRules = []kindRule{
	// Whole codes documented for one meaning (§2.13).
	{code: "4040020", kind: ErrPINExists},         // §3.1
	{code: "4040025", kind: ErrPINMissing},        // §3.2
	{code: "4030818", kind: ErrMerchantInactive},  // §3.5
	{code: "4040008", kind: ErrMerchantInactive},  // §2.13 "Invalid Merchant"
	{code: "4030014", kind: ErrInsufficientFunds}, // §3.20
	{code: "4090001", kind: ErrDuplicateReference},
	{endpoints: []Endpoint{EndpointForgotPIN}, code: "4030004", kind: ErrTooSoon}, // §3.2
	// Withdraw Process / Withdraw Deposit (guess, §3.7: not documented; SNAP
	// case codes as the sandbox answers them).
	{endpoints: withdrawEndpoints, status: http.StatusUnauthorized, caseCode: "00", kind: ErrPINWrong},
	{endpoints: withdrawEndpoints, status: http.StatusForbidden, caseCode: "04", kind: ErrPINBlocked},
	{endpoints: withdrawEndpoints, status: http.StatusNotFound, caseCode: "25", kind: ErrPINMissing},
	{endpoints: withdrawEndpoints, status: http.StatusForbidden, caseCode: "14", kind: ErrInsufficientFunds},
	{endpoints: withdrawEndpoints, status: http.StatusNotFound, caseCode: "13", kind: ErrAmountMismatch},
	{endpoints: withdrawEndpoints, status: http.StatusForbidden, caseCode: "15", kind: ErrBelowMinimum},
	// Generic SNAP shapes (§2.13).
	{status: http.StatusConflict, caseCode: "01", kind: ErrDuplicateReference},
	{status: http.StatusUnauthorized, kind: ErrUnauthorized},
	{status: http.StatusBadRequest, kind: ErrInvalidField},
	{status: http.StatusUnsupportedMediaType, kind: ErrInvalidField},
	{status: http.StatusNotFound, kind: ErrNotFound},
	{status: http.StatusTooManyRequests, kind: ErrTooSoon},
}

// classify returns the kind of a refusal from ep, or nil when no rule
// matches (a refusal Lapak has no specific words for).
func classify(ep Endpoint, e *APIError) error {
	if e.HTTPStatus >= 500 {
		return ErrUnavailable
	}
	for _, r := range kindRules {
		if len(r.endpoints) > 0 && !hasEndpoint(r.endpoints, ep) {
			continue
		}
		if r.code != "" {
			if e.ResponseCode == r.code {
				return r.kind
			}
			continue
		}
		if r.status != 0 && e.HTTPStatus != r.status {
			continue
		}
		if r.caseCode != "" && e.Case != r.caseCode {
			continue
		}
		return r.kind
	}
	return nil
}

func hasEndpoint(list []Endpoint, ep Endpoint) bool {
	for _, e := range list {
		if e == ep {
			return true
		}
	}
	return false
}

// kindError attaches kinds to a cause, so errors.Is finds the kinds and
// errors.As still finds the cause (*APIError, *net.OpError, ...).
type kindError struct {
	cause error
	kinds []error
}

func (e *kindError) Error() string   { return e.cause.Error() }
func (e *kindError) Unwrap() []error { return append([]error{e.cause}, e.kinds...) }

func withKinds(cause error, kinds ...error) error {
	var ks []error
	for _, k := range kinds {
		if k != nil {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return cause
	}
	return &kindError{cause: cause, kinds: ks}
}

// isTimeout reports whether err is a deadline: the context's or the HTTP
// client's (net.Error.Timeout), never by matching error text.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Describe returns what Lapak keeps of a failed call in its own records: the
// response code and message of a refusal (which never carry our secrets), or
// a short phrase for a transport failure (whose text may quote URLs). It is
// what the intent rows, audit lines and failure reasons store.
func Describe(err error) string {
	var api *APIError
	if errors.As(err, &api) {
		code := api.ResponseCode
		if code == "" {
			code = "HTTP " + strconv.Itoa(api.HTTPStatus)
		}
		msg := api.Message
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return code + " " + msg
	}
	switch {
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrOutcomeUnknown):
		return "unreadable answer"
	case errors.Is(err, ErrUnavailable):
		return "Netzme unreachable"
	}
	return "request not accepted"
}
