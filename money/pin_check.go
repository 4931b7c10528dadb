package money

import "errors"

// ErrPINFormat is the reason a PIN is refused before anything is sent: it
// is not exactly six ASCII digits.
var ErrPINFormat = errors.New("PIN must be exactly 6 digits")

// CheckPIN returns nil when pin has the shape Netzme requires — exactly six
// ASCII digits (§2.15, §3.1) — and otherwise a FieldError for field "pin"
// with reason ErrPINFormat. It is the one PIN-shape check.
func CheckPIN(pin string) error {
	if len(pin) != 6 {
		return invalid("pin", ErrPINFormat)
	}
	for i := range len(pin) {
		if pin[i] < '0' || pin[i] > '9' {
			return invalid("pin", ErrPINFormat)
		}
	}
	return nil
}
