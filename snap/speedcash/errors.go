package speedcash

import "errors"

// Error kinds. Every *APIError matches (errors.Is) at most one of them, so
// callers never compare response codes; ErrNoAnswer covers the calls that got
// no usable answer at all. The table below is the one place where SpeedCash's
// codes get a meaning (docs/protocol.md lists the same facts).
var (
	// ErrInvalidField: a field is malformed, e.g. notelp_pemilik (4002301,
	// speedcash §2.4).
	ErrInvalidField = errors.New("speedcash: invalid field")
	// ErrUnauthorized: signature or credentials refused (4012300 "Invalid
	// Signature", speedcash §2.4). A configuration problem, not the user's.
	ErrUnauthorized = errors.New("speedcash: unauthorized")
	// ErrDuplicateExternalID: X-EXTERNAL-ID already used today (4092300,
	// speedcash §2.4). Asking again with a fresh id is safe.
	ErrDuplicateExternalID = errors.New("speedcash: X-EXTERNAL-ID already used today")
	// ErrBadRequest: a request header is wrong or missing (4042301, speedcash
	// §2.4; HTTP 404 although nothing is "not found", §6 item 2).
	ErrBadRequest = errors.New("speedcash: request header wrong or missing")
	// ErrForbidden: this client may not call the API (4042300 "Client
	// Forbidden Access API", speedcash §2.4).
	ErrForbidden = errors.New("speedcash: client not allowed to call this API")
	// ErrGeneral: SpeedCash failed (5002301 "General Error", speedcash §2.4,
	// or any other 5xx); Merchant Status changes nothing, so try again later.
	ErrGeneral = errors.New("speedcash: general error")
)

// codeKinds maps SpeedCash's whole 7-character codes to kinds: the HTTP
// class is misleading for this provider (speedcash §2.4, §6 item 2).
var codeKinds = []struct {
	code string
	kind error
}{
	// Merchant Status (speedcash §2.4).
	{CodeInvalidField, ErrInvalidField},
	{CodeBadSignature, ErrUnauthorized},
	{CodeDuplicateExternalID, ErrDuplicateExternalID},
	{CodeBadRequest, ErrBadRequest},
	{CodeForbidden, ErrForbidden},
	{CodeGeneralError, ErrGeneral},
	// Token B2B (guess, speedcash §4.1: its codes are not documented; the
	// SNAP standard's 73 codes, snap §5.1).
	{"4007300", ErrInvalidField},
	{"4007301", ErrInvalidField},
	{"4007302", ErrInvalidField},
	{"4017300", ErrUnauthorized},
}

// kind returns e's kind, or nil for a code the table does not know (the
// *APIError still carries it).
func (e *APIError) kind() error {
	for _, r := range codeKinds {
		if r.code == e.Code {
			return r.kind
		}
	}
	if e.HTTPStatus >= 500 {
		return ErrGeneral
	}
	return nil
}

// Is reports whether e is of kind target, for errors.Is.
func (e *APIError) Is(target error) bool {
	k := e.kind()
	return k != nil && k == target
}
