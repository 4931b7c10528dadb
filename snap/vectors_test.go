package snap

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
)

// netzmeSampleKey is the 512-bit Private_Key printed on Netzme's public
// "Credentials & Signature" page (netzme §2.4): base64 PKCS#1 DER, no PEM.
const netzmeSampleKey = "MIIBOQIBAAJBAJalQt9eQzzNLvaNRA7WM1nUuFFc06T9TmeIl5Di3VI5IH1Fn//hVqgbCVf9FWPU/hrc0wZzr4dP53o2CnMLqHsCAwEAAQJAcGKB7Rnpl2aLbqwc5eSvEok7qJdT3XaME3k3eYOGEVwf91LUrR9soDJV9QAJA1Vg3vhCbyBwTdjCvnzJNUH1AQIhAMXvclXRO1xPEnSToHEDPv9WT9Q5j5AfYDFeIBC4C/LhAiEAwtZx5kzJUouj1CBhQp0KAOxWs2ecec9PnIUaJR2xItsCIEkdv32F8ciSiP25Ps4gZdgKeSirLqYNgQobe/rREdDhAiBywKiu0lTUiCgCfNurxyAoMQpTedfAKmiiMAaZC6bTdwIgNW0qKB9+h2+v5j3x8BrbQbf80xZRqsBcUyZWr5uGs5U="

// Netzme §2.7 symmetric vector.
const (
	vecSecret    = "f013bc2810be469790dc99773c08812e"
	vecTimestamp = "2022-08-10T00:00:00+07:00"
	vecToken     = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE2NjkzMTUwMTksImlhdCI6MTY2OTI2MTAxOSwiaXNzIjoiYmFua3N1bXBhaCJ9.eCt0QNx1J2CgK5T3SRNkCgGqxRfexVw_MGntV1UiO8KI2qAiIpL3jgB31HfzNuUeqYu9lXNi27RIbGoxrxVE-Q"
	vecBody      = `{"custIdMerchant":"M_TB1NMLig","partnerReferenceNo":"testing20210420090452526","additionalInfo":{"pin":"3db6b20266c102a909ce2adb404e5260c01928b87956f106f36bec745b8e1d2a","type":"create_pin"}}`
	vecBodyHash  = "b1e9223bed72cc3e627f7642fe4764bedb9825971031033fbfeb9d6cff547a6b"
	vecSignature = "9e38531f5e250ed43d386db2d4f9bc26542a848f5562308042ef5c8cfdfb6a49f9d98e99c6b9f54c8abed3dcd78f99eeda8a18ce003480b7f2ecf8bb9449cc70"
	vecPath      = "/api/v1.0/merchant/create-pin"
)

func TestSymmetricNetzmeVector(t *testing.T) {
	t.Parallel()
	if got := BodyHash([]byte(vecBody)); got != vecBodyHash {
		t.Fatalf("BodyHash = %s, want %s", got, vecBodyHash)
	}
	wantSTS := "POST:" + vecPath + ":" + vecToken + ":" + vecBodyHash + ":" + vecTimestamp
	if got := SymmetricStringToSign("POST", vecPath, vecToken, []byte(vecBody), vecTimestamp); got != wantSTS {
		t.Fatalf("stringToSign = %q, want %q", got, wantSTS)
	}
	sig := SignSymmetric(vecSecret, "POST", vecPath, vecToken, []byte(vecBody), vecTimestamp, Hex)
	if sig != vecSignature {
		t.Fatalf("hex signature = %s, want %s", sig, vecSignature)
	}
	if err := VerifySymmetric(vecSecret, "POST", vecPath, vecToken, []byte(vecBody), vecTimestamp, vecSignature, Hex); err != nil {
		t.Fatalf("verify vector: %v", err)
	}
	// Upper-case hex is the same bytes; gateways hex-decode before comparing.
	if err := VerifySymmetric(vecSecret, "POST", vecPath, vecToken, []byte(vecBody), vecTimestamp, strings.ToUpper(vecSignature), Hex); err != nil {
		t.Fatalf("verify upper-case hex: %v", err)
	}
	// Base64 output carries the same MAC bytes, 88 characters.
	b64 := SignSymmetric(vecSecret, "POST", vecPath, vecToken, []byte(vecBody), vecTimestamp, Base64)
	raw, _ := hex.DecodeString(vecSignature)
	if b64 != base64.StdEncoding.EncodeToString(raw) || len(b64) != 88 {
		t.Fatalf("base64 signature = %s", b64)
	}
	if err := VerifySymmetric(vecSecret, "POST", vecPath, vecToken, []byte(vecBody), vecTimestamp, b64, Base64); err != nil {
		t.Fatalf("verify base64: %v", err)
	}
	// Netzme hex-decodes the header: a base64 signature must not pass as hex.
	if err := VerifySymmetric(vecSecret, "POST", vecPath, vecToken, []byte(vecBody), vecTimestamp, b64, Hex); !errors.Is(err, ErrSignature) {
		t.Fatalf("base64 accepted as hex: %v", err)
	}
}

func TestVerifySymmetricRejectsTampering(t *testing.T) {
	t.Parallel()
	ok := func() (string, string, string, string, []byte, string) {
		return vecSecret, "POST", vecPath, vecToken, []byte(vecBody), vecTimestamp
	}
	tests := []struct {
		name   string
		mutate func(secret, method, path, token *string, body *[]byte, ts *string)
	}{
		{"secret", func(s, _, _, _ *string, _ *[]byte, _ *string) { *s = "f013bc2810be469790dc99773c08812f" }},
		{"method", func(_, m, _, _ *string, _ *[]byte, _ *string) { *m = "PUT" }},
		{"path", func(_, _, p, _ *string, _ *[]byte, _ *string) { *p = "/api/v2.0/merchant/create-pin" }},
		{"query", func(_, _, p, _ *string, _ *[]byte, _ *string) { *p = vecPath + "?a=1" }},
		{"token", func(_, _, _, tk *string, _ *[]byte, _ *string) { *tk = "Bearer " + vecToken }},
		{"body", func(_, _, _, _ *string, b *[]byte, _ *string) {
			*b = []byte(strings.Replace(vecBody, "M_TB1NMLig", "M_TB1NMLih", 1))
		}},
		{"space inside string", func(_, _, _, _ *string, b *[]byte, _ *string) {
			*b = []byte(strings.Replace(vecBody, "create_pin", "create pin", 1))
		}},
		{"timestamp", func(_, _, _, _ *string, _ *[]byte, ts *string) { *ts = "2022-08-10T00:00:01+07:00" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, m, p, tk, b, ts := ok()
			tt.mutate(&s, &m, &p, &tk, &b, &ts)
			err := VerifySymmetric(s, m, p, tk, b, ts, vecSignature, Hex)
			if !errors.Is(err, ErrSignature) {
				t.Fatalf("err = %v, want ErrSignature", err)
			}
			if err != nil && strings.Contains(err.Error(), vecSecret) {
				t.Fatal("error leaks the secret")
			}
		})
	}
	if err := VerifySymmetric(vecSecret, "POST", vecPath, vecToken, []byte(vecBody), vecTimestamp, "zz", Hex); !errors.Is(err, ErrSignature) {
		t.Fatalf("garbage signature: %v", err)
	}
}

func TestBodyHash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, want string
	}{
		// snap §4.3 note 2 / netzme §2.7: empty body keeps the slot.
		{"empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		// netzme §2.6, "SNAP Asymmetric Signature" page example body.
		{"asymmetric page example", `{"partnerReferenceNo":"2020102900000000000001","balanceTypes":["BALANCE"],"additionalInfo":{"accessToken":"fa8sjjEj813Y9JGoqwOeOPWbnt4CUpvIJbU1mMU4a11MNDZ7Sg5u9a"}}`, "e9295c3253c05560273ff305d9eea6abf77fff65229bf90b1781383c09c29d98"},
		// snap §4.4: whitespace outside strings is not part of the hash.
		{"pretty printed", "{\n  \"custIdMerchant\": \"M_TB1NMLig\",\n  \"partnerReferenceNo\": \"testing20210420090452526\",\n  \"additionalInfo\": {\"pin\": \"3db6b20266c102a909ce2adb404e5260c01928b87956f106f36bec745b8e1d2a\", \"type\": \"create_pin\"}\n}\n", vecBodyHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BodyHash([]byte(tt.body)); got != tt.want {
				t.Errorf("BodyHash = %s, want %s", got, tt.want)
			}
		})
	}
	// snap §4.4 / §11.1: escapes are never normalised, so "&" and "\u0026" differ.
	if BodyHash([]byte(`{"a":"&"}`)) == BodyHash([]byte(`{"a":"\u0026"}`)) {
		t.Error("escape variants hash equal; the minifier must not re-encode strings")
	}
}

func TestAsymmetricNetzmeVector(t *testing.T) {
	// The doc key is 512-bit; reproducing Netzme's vector needs the explicit opt-in.
	t.Setenv("GODEBUG", "rsa1024min=0")
	key, err := ParsePrivateKey([]byte(netzmeSampleKey))
	if err != nil {
		t.Fatal(err)
	}
	if key.N.BitLen() != 512 {
		t.Fatalf("bits = %d", key.N.BitLen())
	}
	const want = "j78/iINaWlKXOYyYyDprE+48YB0d9CP2FA3++bRYIXelF+i8uf7+O+PYDBn34rjq+a42sE1RGdFi+lBzICuEYA=="
	got, err := SignAsymmetric(key, "TokoNetmeClientId", vecTimestamp)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("signature = %s, want %s", got, want)
	}
	if err := VerifyAsymmetric(&key.PublicKey, "TokoNetmeClientId", vecTimestamp, want); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := VerifyAsymmetric(&key.PublicKey, "TokoNetmeClientId", "2022-08-10T00:00:01+07:00", want); !errors.Is(err, ErrSignature) {
		t.Fatalf("other timestamp: %v", err)
	}
	// The same key in every accepted wrapping signs identically.
	der, _ := base64.StdEncoding.DecodeString(netzmeSampleKey)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string]string{
		"PKCS#1 PEM":          string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der})),
		"PKCS#8 PEM":          string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		"PKCS#8 bare base64":  base64.StdEncoding.EncodeToString(pkcs8),
		"wrapped base64 + nl": netzmeSampleKey[:64] + "\n" + netzmeSampleKey[64:] + "\n",
	}
	for name, text := range forms {
		k, err := ParsePrivateKey([]byte(text))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if s, _ := SignAsymmetric(k, "TokoNetmeClientId", vecTimestamp); s != want {
			t.Errorf("%s: signature %s", name, s)
		}
	}
}

func TestSmallKeyNeedsExplicitOptIn(t *testing.T) {
	t.Setenv("GODEBUG", "rsa1024min=1")
	_, err := ParsePrivateKey([]byte(netzmeSampleKey))
	if err == nil {
		t.Fatal("512-bit key accepted without GODEBUG=rsa1024min=0")
	}
	for _, want := range []string{"512 bits", "GODEBUG=rsa1024min=0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), netzmeSampleKey[:20]) {
		t.Error("error leaks key material")
	}
}

func TestParseKeyErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"empty":          "",
		"garbage":        "not a key at all!",
		"base64 not DER": base64.StdEncoding.EncodeToString([]byte("hello world")),
		"broken PEM":     "-----BEGIN RSA PRIVATE KEY-----\nAAAA",
		"wrong PEM type": string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1, 2, 3}})),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParsePrivateKey([]byte(in)); err == nil || !strings.HasPrefix(err.Error(), "snap: private key") {
				t.Errorf("ParsePrivateKey err = %v", err)
			}
			if _, err := ParsePublicKey([]byte(in)); err == nil || !strings.HasPrefix(err.Error(), "snap: public key") {
				t.Errorf("ParsePublicKey err = %v", err)
			}
		})
	}
}

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
)

// key2048 generates one 2048-bit key per test binary; RSA signatures are
// deterministic, so round trips and tamper checks need no fixed key.
func key2048(t testing.TB) *rsa.PrivateKey {
	testKeyOnce.Do(func() {
		var err error
		if testKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return testKey
}

func TestPublicKeyForms(t *testing.T) {
	t.Parallel()
	key := key2048(t)
	pkix, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pkcs1 := x509.MarshalPKCS1PublicKey(&key.PublicKey)
	tmpl := &x509.Certificate{SerialNumber: bigOne()}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string]string{
		"PKIX PEM":    string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})),
		"PKCS#1 PEM":  string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1})),
		"cert PEM":    string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert})),
		"PKIX bare":   base64.StdEncoding.EncodeToString(pkix),
		"PKCS#1 bare": base64.StdEncoding.EncodeToString(pkcs1),
		"cert bare":   base64.StdEncoding.EncodeToString(cert),
	}
	sig, err := SignAsymmetric(key, "client", vecTimestamp)
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range forms {
		pub, err := ParsePublicKey([]byte(text))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := VerifyAsymmetric(pub, "client", vecTimestamp, sig); err != nil {
			t.Errorf("%s: verify: %v", name, err)
		}
	}
}

func TestAsymmetricServiceSignature(t *testing.T) {
	t.Parallel()
	key := key2048(t)
	body := []byte(`{"originalReferenceNo":"abc","amount":{"value":"20000.00","currency":"IDR"}}`)
	const path = "/v1.0/qr/qr-mpm-notify?x=1"
	want := "POST:" + path + ":" + BodyHash(body) + ":" + vecTimestamp
	if got := ServiceStringToSign("post", path, body, vecTimestamp); got != want {
		t.Fatalf("stringToSign = %q, want %q", got, want)
	}
	sig, err := SignAsymmetricService(key, "POST", path, body, vecTimestamp)
	if err != nil {
		t.Fatal(err)
	}
	if len(sig) != 344 {
		t.Errorf("RSA-2048 base64 signature length = %d, want 344 (snap §4.6)", len(sig))
	}
	if err := VerifyAsymmetricService(&key.PublicKey, "POST", path, body, vecTimestamp, sig); err != nil {
		t.Fatal(err)
	}
	tampered := []byte(strings.Replace(string(body), "20000.00", "20001.00", 1))
	if err := VerifyAsymmetricService(&key.PublicKey, "POST", path, tampered, vecTimestamp, sig); !errors.Is(err, ErrSignature) {
		t.Fatalf("tampered body: %v", err)
	}
	if err := VerifyAsymmetricService(&key.PublicKey, "POST", path, body, vecTimestamp, "%%%"); !errors.Is(err, ErrSignature) {
		t.Fatalf("garbage signature: %v", err)
	}
}

func BenchmarkSignSymmetric(b *testing.B) {
	body := []byte(vecBody)
	b.ReportAllocs()
	for b.Loop() {
		SignSymmetric(vecSecret, "POST", vecPath, vecToken, body, vecTimestamp, Hex)
	}
}
