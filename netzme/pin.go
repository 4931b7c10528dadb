package netzme

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// PINHash returns the PIN as Netzme expects it in Create pin, Withdraw
// Process and Withdraw Deposit: lowercase hex HMAC-SHA256 keyed with
// clientID + custIDMerchant over the clear PIN, 64 characters (§2.15).
// clientID is our own client id (the X-PARTNER-ID), not a Netzme-side id.
// Compute it at the moment of use; never store clear PINs.
func PINHash(clientID, custIDMerchant, pin string) string {
	m := hmac.New(sha256.New, []byte(clientID+custIDMerchant))
	m.Write([]byte(pin))
	return hex.EncodeToString(m.Sum(nil))
}
