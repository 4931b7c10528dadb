package handlers

import (
	"errors"
	"net/http"

	"lapak/money"
	"lapak/netzme"
	"lapak/netzme/qris"
	"lapak/views"
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
	{money.ErrNotWholeRupiah, http.StatusUnprocessableEntity, "err.amount.whole"},
	{money.ErrMethod, http.StatusUnprocessableEntity, "err.method"},
	{money.ErrFeeType, http.StatusUnprocessableEntity, "err.feetype"},
	{money.ErrExpiry, http.StatusUnprocessableEntity, "err.expiry"},
	{money.ErrTooLong, http.StatusUnprocessableEntity, "err.toolong"},
	{money.ErrLettersOnly, http.StatusUnprocessableEntity, "err.lettersonly"},
	{money.ErrNoStaticQRIS, http.StatusUnprocessableEntity, "err.nostatic"},
	// A QRIS payload the parser refused (a pasted one, or a static code that
	// cannot be converted).
	{qris.ErrCRC, http.StatusUnprocessableEntity, "err.qris.crc"},
	{qris.ErrNotStatic, http.StatusUnprocessableEntity, "err.qris.notstatic"},
	{qris.ErrMissing, http.StatusUnprocessableEntity, "err.qris.missing"},
	{qris.ErrInvalid, http.StatusUnprocessableEntity, "err.qris.invalid"},
	{qris.ErrSyntax, http.StatusUnprocessableEntity, "err.qris.syntax"},
	{qris.ErrDuplicate, http.StatusUnprocessableEntity, "err.qris.syntax"},
	{qris.ErrOrder, http.StatusUnprocessableEntity, "err.qris.syntax"},
	{qris.ErrTooLong, http.StatusUnprocessableEntity, "err.qris.syntax"},
	{qris.ErrCharset, http.StatusUnprocessableEntity, "err.qris.syntax"},
	// Money out: withdrawals (before the Netzme kinds: a failed inquiry has
	// its own words whatever Netzme answered).
	{money.ErrPINFormat, http.StatusUnprocessableEntity, "err.pin.digits"},
	{money.ErrWithdrawNotAllowed, http.StatusUnprocessableEntity, "withdraw.notallowed"},
	{money.ErrOwnApproval, http.StatusForbidden, "withdraw.ownapproval"},
	{money.ErrWithdrawalOpen, http.StatusConflict, "flash.withdraw.open"},
	{money.ErrFormExpired, http.StatusConflict, "flash.withdraw.expired"},
	{money.ErrInquiryFailed, http.StatusBadGateway, "flash.withdraw.inquiryfailed"},
	// Money out: split fees.
	{money.ErrSplitFeeInvoice, http.StatusUnprocessableEntity, "err.splitfee.invoice"},
	{money.ErrFeeTooLarge, http.StatusUnprocessableEntity, "err.splitfee.toobig"},
	{money.ErrProductTooLong, http.StatusUnprocessableEntity, "err.toolong"},
	{money.ErrSplitFeeExists, http.StatusConflict, "flash.splitfee.exists"},
	// Netzme statement sync.
	{money.ErrSyncRange, http.StatusUnprocessableEntity, "err.sync.range"},
	{money.ErrSyncRunning, http.StatusConflict, "flash.sync.running"},
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

// fieldMessages puts the message of each error in err (one, or several
// joined by errors.Join) into errs for a form: a money.FieldError under its
// field (renamed by rename where the form calls it otherwise), any other
// error with a 422 message (e.g. money.ErrNotLinked) under main. A message
// the form's own parsing already set is kept. It reports false when err
// holds something that is not a 422 message (Lapak's own failure, or an
// answer that is not about the form): the caller handles err as a whole.
func fieldMessages(errs views.FieldErrors, err error, main string, rename map[string]string) bool {
	if err == nil {
		return true
	}
	fe := (*money.FieldError)(nil)
	// Several field errors joined; an error with several kinds (a provider's)
	// is one error and matched as a whole.
	if j, ok := err.(interface{ Unwrap() []error }); ok && errors.As(err, &fe) {
		all := true
		for _, e := range j.Unwrap() {
			all = fieldMessages(errs, e, main, rename) && all
		}
		return all
	}
	status, key, ok := errorMessage(err)
	if !ok || status != http.StatusUnprocessableEntity {
		return false
	}
	field := main
	if errors.As(err, &fe) {
		field = fe.Field
		if f, ok := rename[field]; ok {
			field = f
		}
	}
	if errs[field] == "" {
		errs[field] = key
	}
	return true
}
