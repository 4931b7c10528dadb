package snap

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ParsePrivateKey parses an RSA private key given as PEM ("RSA PRIVATE KEY"
// PKCS#1 or "PRIVATE KEY" PKCS#8) or as bare base64 DER without armour, which
// is how Netzme e-mails it (netzme §2.4). Errors never contain key material.
//
// Go refuses to sign with RSA keys under 1024 bits, and every Netzme sample
// key is 512-bit (netzme §2.6). Such a key is accepted only when the operator
// opted in explicitly with GODEBUG=rsa1024min=0; otherwise the error says so,
// so the failure happens at start-up rather than on the first payment.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	der, pemType, err := keyDER(data)
	if err != nil {
		return nil, fmt.Errorf("snap: private key: %w", err)
	}
	var parsed any
	switch pemType {
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(der)
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(der)
	case "":
		if parsed, err = x509.ParsePKCS1PrivateKey(der); err != nil {
			parsed, err = x509.ParsePKCS8PrivateKey(der)
		}
	default:
		return nil, fmt.Errorf("snap: private key: unexpected PEM block %q (want RSA PRIVATE KEY or PRIVATE KEY)", pemType)
	}
	if err != nil {
		return nil, errors.New("snap: private key: not a PKCS#1 or PKCS#8 RSA private key")
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("snap: private key: %T is not an RSA key", parsed)
	}
	if err := checkKeySize(key); err != nil {
		return nil, err
	}
	return key, nil
}

// checkKeySize signs a probe with keys under 1024 bits: that is the only
// reliable way to learn whether GODEBUG=rsa1024min=0 is in force, and it
// reproduces exactly the check crypto/rsa applies on every later signature.
func checkKeySize(key *rsa.PrivateKey) error {
	bits := key.N.BitLen()
	if bits >= 1024 {
		return nil
	}
	h := sha256.Sum256([]byte("snap key size probe"))
	if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:]); err != nil {
		return fmt.Errorf("snap: private key is %d bits; Go refuses RSA keys under 1024 bits. "+
			"Ask the provider for a 2048-bit key, or opt in explicitly with GODEBUG=rsa1024min=0 "+
			"(or `godebug rsa1024min=0` in go.mod)", bits)
	}
	return nil
}

// ParsePublicKey parses an RSA public key given as PEM ("PUBLIC KEY" PKIX,
// "RSA PUBLIC KEY" PKCS#1 or "CERTIFICATE") or as bare base64 DER of any of
// those forms. Verifiers use it for provider or partner keys.
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	der, pemType, err := keyDER(data)
	if err != nil {
		return nil, fmt.Errorf("snap: public key: %w", err)
	}
	var parsed any
	switch pemType {
	case "PUBLIC KEY":
		parsed, err = x509.ParsePKIXPublicKey(der)
	case "RSA PUBLIC KEY":
		parsed, err = x509.ParsePKCS1PublicKey(der)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(der); err == nil {
			parsed = cert.PublicKey
		}
	case "":
		parsed, err = parseBarePublic(der)
	default:
		return nil, fmt.Errorf("snap: public key: unexpected PEM block %q", pemType)
	}
	if err != nil {
		return nil, errors.New("snap: public key: not a PKIX, PKCS#1 or certificate RSA public key")
	}
	pub, ok := parsed.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("snap: public key: %T is not an RSA key", parsed)
	}
	return pub, nil
}

func parseBarePublic(der []byte) (any, error) {
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return cert.PublicKey, nil
}

// keyDER returns the DER bytes and the PEM block type ("" for bare base64).
func keyDER(data []byte) ([]byte, string, error) {
	text := strings.TrimSpace(string(data))
	if text == "" {
		return nil, "", errors.New("empty")
	}
	if strings.HasPrefix(text, "-----BEGIN") {
		block, _ := pem.Decode([]byte(text))
		if block == nil {
			return nil, "", errors.New("malformed PEM")
		}
		return block.Bytes, block.Type, nil
	}
	// Bare base64, possibly wrapped over several lines as in e-mails.
	compact := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, text)
	der, err := base64.StdEncoding.DecodeString(compact)
	if err != nil {
		return nil, "", errors.New("neither PEM nor base64 DER")
	}
	return der, "", nil
}
