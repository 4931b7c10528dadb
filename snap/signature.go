package snap

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrSignature is returned, wrapped, by every Verify* function when the
// signature does not match or cannot be decoded. Test with errors.Is.
var ErrSignature = errors.New("snap: signature mismatch")

// Encoding is the text encoding of an HMAC signature.
type Encoding int

const (
	// Hex is lowercase hex, 128 characters for HMAC-SHA512: what Netzme sends
	// and demands (netzme §2.7).
	Hex Encoding = iota
	// Base64 is standard padded base64, 88 characters: the SNAP standard
	// and most other providers (snap §4.6).
	Base64
)

// emptyBodyHash is SHA-256 of the empty string; SNAP keeps the hash slot for
// bodiless requests (snap §4.3 note 2).
const emptyBodyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// BodyHash returns lowercase hex SHA-256 of the minified body (snap §4.4).
// Minifying means removing whitespace outside JSON strings only (json.Compact):
// escapes and key order are kept, so a sender that hashes the bytes it sends
// and a verifier that hashes the bytes it received agree even if one side
// pretty-printed. A body that is not JSON is hashed as is; an empty body
// hashes the empty string.
func BodyHash(body []byte) string {
	if len(body) == 0 {
		return emptyBodyHash
	}
	if bytes.ContainsAny(body, " \t\r\n") {
		var buf bytes.Buffer
		if json.Compact(&buf, body) == nil {
			body = buf.Bytes()
		}
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// AsymmetricStringToSign is the token-request stringToSign, clientID + "|" +
// timestamp (snap §4.2 recipe A, netzme §2.6).
func AsymmetricStringToSign(clientID, timestamp string) string {
	return clientID + "|" + timestamp
}

// SignAsymmetric signs the token request: base64(SHA256withRSA(key,
// clientID|timestamp)). It fails only when crypto/rsa refuses the key (for
// example a 512-bit key without GODEBUG=rsa1024min=0).
func SignAsymmetric(key *rsa.PrivateKey, clientID, timestamp string) (string, error) {
	return signRSA(key, AsymmetricStringToSign(clientID, timestamp))
}

// VerifyAsymmetric checks a token-request signature made by SignAsymmetric.
// A mismatch or undecodable signature returns an error wrapping ErrSignature.
func VerifyAsymmetric(pub *rsa.PublicKey, clientID, timestamp, signatureB64 string) error {
	return verifyRSA(pub, AsymmetricStringToSign(clientID, timestamp), signatureB64)
}

// SymmetricStringToSign is recipe B of snap §4.2:
// METHOD:pathQuery:accessToken:BodyHash(body):timestamp. pathQuery is the
// relative request URI exactly as sent, provider prefix and query string
// included; accessToken is the bare token without "Bearer ".
func SymmetricStringToSign(method, pathQuery, accessToken string, body []byte, timestamp string) string {
	return strings.ToUpper(method) + ":" + pathQuery + ":" + accessToken + ":" + BodyHash(body) + ":" + timestamp
}

// SignSymmetric returns HMAC-SHA512(secret, SymmetricStringToSign(...)) in
// the requested encoding. The key is the secret's UTF-8 bytes, never
// base64-decoded (snap §4.1).
func SignSymmetric(secret, method, pathQuery, accessToken string, body []byte, timestamp string, enc Encoding) string {
	mac := symmetricMAC(secret, SymmetricStringToSign(method, pathQuery, accessToken, body, timestamp))
	if enc == Base64 {
		return base64.StdEncoding.EncodeToString(mac)
	}
	return hex.EncodeToString(mac)
}

// VerifySymmetric checks an HMAC-SHA512 signature in encoding enc with a
// constant-time comparison. Hex is accepted in either letter case. A mismatch
// or undecodable signature returns an error wrapping ErrSignature; the error
// never includes the secret or the expected signature.
func VerifySymmetric(secret, method, pathQuery, accessToken string, body []byte, timestamp, signature string, enc Encoding) error {
	var got []byte
	var err error
	if enc == Base64 {
		got, err = base64.StdEncoding.DecodeString(signature)
	} else {
		got, err = hex.DecodeString(signature)
	}
	if err != nil {
		return fmt.Errorf("%w: signature is not valid %s", ErrSignature, enc)
	}
	want := symmetricMAC(secret, SymmetricStringToSign(method, pathQuery, accessToken, body, timestamp))
	if !hmac.Equal(got, want) {
		return ErrSignature
	}
	return nil
}

// String names the encoding for error messages.
func (e Encoding) String() string {
	if e == Base64 {
		return "base64"
	}
	return "hex"
}

func symmetricMAC(secret, stringToSign string) []byte {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return m.Sum(nil)
}

// ServiceStringToSign is recipe C of snap §4.2 (asymmetric, no token):
// METHOD:pathQuery:BodyHash(body):timestamp. Providers use it for
// notifications they sign with their private key.
func ServiceStringToSign(method, pathQuery string, body []byte, timestamp string) string {
	return strings.ToUpper(method) + ":" + pathQuery + ":" + BodyHash(body) + ":" + timestamp
}

// SignAsymmetricService returns base64(SHA256withRSA(key, ServiceStringToSign(...))).
func SignAsymmetricService(key *rsa.PrivateKey, method, pathQuery string, body []byte, timestamp string) (string, error) {
	return signRSA(key, ServiceStringToSign(method, pathQuery, body, timestamp))
}

// VerifyAsymmetricService checks a SignAsymmetricService signature; a mismatch
// returns an error wrapping ErrSignature.
func VerifyAsymmetricService(pub *rsa.PublicKey, method, pathQuery string, body []byte, timestamp, signatureB64 string) error {
	return verifyRSA(pub, ServiceStringToSign(method, pathQuery, body, timestamp), signatureB64)
}

func signRSA(key *rsa.PrivateKey, stringToSign string) (string, error) {
	if key == nil {
		return "", errors.New("snap: sign: no private key")
	}
	h := sha256.Sum256([]byte(stringToSign))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
	if err != nil {
		return "", fmt.Errorf("snap: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

func verifyRSA(pub *rsa.PublicKey, stringToSign, signatureB64 string) error {
	if pub == nil {
		return errors.New("snap: verify: no public key")
	}
	sig, err := base64.StdEncoding.DecodeString(signatureB64)
	if err != nil {
		return fmt.Errorf("%w: signature is not valid base64", ErrSignature)
	}
	h := sha256.Sum256([]byte(stringToSign))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
		if pub.N.BitLen() < 1024 && strings.Contains(err.Error(), "insecure") {
			// Not a mismatch: crypto/rsa refused the key size itself.
			return fmt.Errorf("snap: verify: %w (opt in with GODEBUG=rsa1024min=0)", err)
		}
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return nil
}
