package money

import "errors"

// ErrPINFormat: a PIN is not exactly six digits (§3.1).
var ErrPINFormat = errors.New("PIN must be exactly 6 digits")

// CheckPIN is the one check of a PIN's shape: exactly six ASCII digits
// (§3.1). It returns ErrPINFormat otherwise; the error never holds the PIN.
func CheckPIN(pin string) error {
	if len(pin) != 6 {
		return ErrPINFormat
	}
	for i := range len(pin) {
		if pin[i] < '0' || pin[i] > '9' {
			return ErrPINFormat
		}
	}
	return nil
}
