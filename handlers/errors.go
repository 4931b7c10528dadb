package handlers

import (
	"errors"
	"net/http"

	"lapak/money"
	"lapak/netzme"
)

// errorMessages is the one place an error of a money use case (a money.Err*
// reason or a provider's error kind) becomes the user's message (a catalogue
// key) and an HTTP status. Order matters: the first kind the error matches
// wins, so specific kinds come before general ones.
var errorMessages = []struct {
	kind   error
	status int
	key    string
}{
	{money.ErrNotLinked, http.StatusUnprocessableEntity, "err.notlinked"},
	{money.ErrRequired, http.StatusUnprocessableEntity, "err.required"},
	{money.ErrAmountZero, http.StatusUnprocessableEntity, "err.amount.zero"},
	{money.ErrAmountTooLarge, http.StatusUnprocessableEntity, "err.amount.max"},
	{money.ErrFormat, http.StatusUnprocessableEntity, "err.amount"},
	{money.ErrPINFormat, http.StatusUnprocessableEntity, "err.pin.digits"},
	{money.ErrPINMismatch, http.StatusUnprocessableEntity, "err.pin.mismatch"},
	{money.ErrLinkChanged, http.StatusUnprocessableEntity, "err.link.changed"},
	{money.ErrMerchantTaken, http.StatusConflict, "err.custid.taken"},
	{netzme.ErrPINExists, http.StatusConflict, "err.pin.exists"},
	{netzme.ErrTooSoon, http.StatusTooManyRequests, "err.pin.cooldown"},
	{netzme.ErrPINMissing, http.StatusUnprocessableEntity, "err.pin.missing"},
	{netzme.ErrMerchantInactive, http.StatusUnprocessableEntity, "err.link.notfound"},
	{netzme.ErrInvalidField, http.StatusUnprocessableEntity, "err.pin.format"},
	// An unclear answer, an unreachable or failing Netzme: try again later.
	{netzme.ErrOutcomeUnknown, http.StatusBadGateway, "err.netzme.unavailable"},
	{netzme.ErrUnavailable, http.StatusBadGateway, "err.netzme.unavailable"},
	{netzme.ErrUnauthorized, http.StatusBadGateway, "err.netzme.unavailable"},
}

// errorMessage maps err to the user's message and the HTTP status to answer
// with. ok is false for Lapak's own failures (database, bugs): those are
// logged and shown as the generic 500 page by serverError, never explained.
func errorMessage(err error) (status int, key string, ok bool) {
	for _, m := range errorMessages {
		if errors.Is(err, m.kind) {
			return m.status, m.key, true
		}
	}
	if api := (*netzme.APIError)(nil); errors.As(err, &api) {
		// A clear refusal Lapak has no specific words for.
		return http.StatusUnprocessableEntity, "err.netzme.refused", true
	}
	return 0, "", false
}
