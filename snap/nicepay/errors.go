package nicepay

import (
	"errors"
	"fmt"
)

// Error kinds of an answer the Store (playing NICEPAY) received from a
// merchant: Result.Err returns an *Error matching (errors.Is) at most one of
// them, so callers never compare response codes. The bill-state kinds are the
// refusals Lapak itself sends (ErrBillNotFound, ErrBillPaid, ErrBillExpired,
// ErrBadAmount, ErrInvalidToken, ErrGeneral): one vocabulary for both ends.
// The table below is the one place where codes get a meaning
// (docs/protocol.md lists the same facts).
var (
	// ErrUnauthorized: the merchant refused the client, the timestamp or the
	// signature (4017300, nicepay §2 steps 1-3; 4010000 and 4010003, §3.5
	// rules 1-2). ErrInvalidToken (4010001) has its own kind.
	ErrUnauthorized = errors.New("nicepay: unauthorized")
	// ErrInvalidField: a field or header is missing or malformed (400xx01,
	// 400xx02: nicepay §2 step 4, §3.5 rule 4).
	ErrInvalidField = errors.New("nicepay: invalid field")
	// ErrDuplicateExternalID: X-EXTERNAL-ID reused the same day (409xx00,
	// nicepay §3.5 rule 3).
	ErrDuplicateExternalID = errors.New("nicepay: X-EXTERNAL-ID already used today")
)

// kindRule maps one answer shape to a kind: the whole code when code is set,
// else the HTTP status (and the case code when caseCode is set).
type kindRule struct {
	code     string
	status   int
	caseCode string
	kind     error
}

// kindRules is the one table from merchant answers to kinds, tried in order;
// the first match wins. The bill-state codes follow the ASPI list, not
// NICEPAY's own (guess, nicepay §5: 404xx13/14 disagree).
var kindRules = []kindRule{
	{code: ErrBillNotFound.Code, kind: ErrBillNotFound}, // 4040012, nicepay §3.5 rule 5
	{code: ErrBillPaid.Code, kind: ErrBillPaid},         // 4040014, §3.5 rule 5
	{code: ErrBillExpired.Code, kind: ErrBillExpired},   // 4040019, §3.5 rule 5
	{code: ErrBadAmount.Code, kind: ErrBadAmount},       // 4040013, §4 (guess)
	{code: ErrInvalidToken.Code, kind: ErrInvalidToken}, // 4010001, §3.5 rule 1
	{status: 401, kind: ErrUnauthorized},                // §2 steps 1-3, §3.5 rules 1-2
	{status: 400, caseCode: "01", kind: ErrInvalidField},
	{status: 400, caseCode: "02", kind: ErrInvalidField}, // §2 step 4, §3.5 rule 4
	{status: 409, caseCode: "00", kind: ErrDuplicateExternalID},
}

// kind returns e's kind, or nil for an answer the table does not know.
func (e *Error) kind() error {
	for _, r := range kindRules {
		switch {
		case r.code != "":
			if e.Code == r.code {
				return r.kind
			}
		case e.HTTPStatus == r.status && (r.caseCode == "" || caseOf(e.Code) == r.caseCode):
			return r.kind
		}
	}
	if e.HTTPStatus >= 500 {
		return ErrGeneral // 500xx00, 504xx00: nicepay §3.5 rule 7
	}
	return nil
}

// caseOf returns the case code of a 7-digit responseCode, "" otherwise.
func caseOf(code string) string {
	if len(code) != 7 || !digits(code) {
		return ""
	}
	return code[5:]
}

// Is reports whether e is of kind target, for errors.Is: a refusal received
// with code 4040014 is ErrBillPaid even though it is another *Error value.
func (e *Error) Is(target error) bool {
	k := e.kind()
	return k != nil && k == target
}

// Err returns nil when the merchant accepted the call (HTTP 200 with a
// 200xxxx code), else an *Error holding what was received, whose kind
// errors.Is finds.
func (r Result) Err() error {
	if r.HTTPStatus == 200 && len(r.Code) == 7 && r.Code[:3] == "200" {
		return nil
	}
	msg := r.Message
	if r.Code == "" {
		msg = fmt.Sprintf("HTTP %d without a SNAP body", r.HTTPStatus)
	}
	return &Error{HTTPStatus: r.HTTPStatus, Code: r.Code, Message: msg}
}
