package nicepay

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strings"
	"testing"
	"time"

	"lapak/internal/clocktest"
	"lapak/snap"
)

func TestValidateInquiry(t *testing.T) {
	t.Parallel()
	ok := InquiryRequest{PartnerServiceID: "7015", CustomerNo: "89101110", PayNo: "701589101110", InquiryRequestID: "418", MitraCd: "ALMA"}
	cases := []struct {
		name   string
		change func(*InquiryRequest)
		want   string // "" = accepted
	}{
		{"spec example", func(*InquiryRequest) {}, ""},
		{"missing mitraCd", func(r *InquiryRequest) { r.MitraCd = "" }, "4000002 Invalid Mandatory Field mitraCd"},
		{"missing payNo", func(r *InquiryRequest) { r.PayNo = " " }, "4000002 Invalid Mandatory Field payNo"},
		{"letters in customerNo", func(r *InquiryRequest) { r.CustomerNo = "8910111A" }, "4000001 Invalid Field Format customerNo"},
		{"long inquiryRequestId", func(r *InquiryRequest) { r.InquiryRequestID = string(make([]byte, 41)) }, "4000001 Invalid Field Format inquiryRequestId"},
		{"long mitraCd", func(r *InquiryRequest) { r.MitraCd = "ALMAX" }, "4000001 Invalid Field Format mitraCd"},
	}
	for _, tc := range cases {
		r := ok
		tc.change(&r)
		got := ""
		if e := r.Validate(); e != nil {
			got = e.Code + " " + e.Message
		}
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestParseVariant(t *testing.T) {
	t.Parallel()
	if v, err := ParseVariant(""); err != nil || v != VariantDocumented {
		t.Errorf(`"" = %v, %v; want the documented default`, v, err)
	}
	if _, err := ParseVariant("hmac"); err == nil {
		t.Error("unknown variant accepted")
	}
}

func TestCheckTokenAndRequestRecipes(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	now := clocktest.Base(t)
	ts := snap.Timestamp(now)
	v := Verifier{ClientID: "IONPAYTEST", ClientSecret: "s3cret", PublicKey: &key.PublicKey, Variant: VariantAny,
		Now: func() time.Time { return now }}
	sig, _ := snap.SignAsymmetric(key, "IONPAYTEST", ts)
	h := http.Header{"X-Client-Key": {"IONPAYTEST"}, "X-Timestamp": {ts}, "X-Signature": {sig}}
	if e := v.CheckToken(h, []byte(`{"grantType":"client_credentials"}`)); e != nil {
		t.Fatalf("valid token request refused: %v", e)
	}
	if e := v.CheckToken(h, []byte(`{"grantType":"password"}`)); e == nil || e.Code != "4007301" {
		t.Errorf("other grant: %v", e)
	}
	if e := v.CheckToken(h, []byte(`{}`)); e == nil || e.Code != "4007302" {
		t.Errorf("missing grant: %v", e)
	}

	body := []byte(`{"payNo":"701589101110"}`)
	base := func() http.Header {
		return http.Header{"X-Timestamp": {ts}, "X-Partner-Id": {"IONPAYTEST"}, "X-External-Id": {"1"}, "Channel-Id": {"IONPAYTEST"}}
	}
	hmacSig := snap.SignSymmetric("s3cret", "POST", PathInquiry, "tok", body, ts, snap.Hex)
	svcSig, _ := snap.SignAsymmetricService(key, "POST", PathInquiry, body, ts)
	for _, tc := range []struct {
		sig, want string
	}{
		{sig, "rsa-clientid/x-partner-id"},
		{hmacSig, "hmac-sha512/hex"},
		{svcSig, "rsa-service"},
	} {
		hd := base()
		hd.Set("X-SIGNATURE", tc.sig)
		got, e := v.CheckRequest(Request{Method: "POST", PathQuery: PathInquiry, Header: hd, Body: body, Token: "tok"})
		if e != nil || got != tc.want {
			t.Errorf("recipe = %q, %v; want %q", got, e, tc.want)
		}
	}
	// The HMAC recipe binds the body: another body fails.
	hd := base()
	hd.Set("X-SIGNATURE", hmacSig)
	if _, e := v.CheckRequest(Request{Method: "POST", PathQuery: PathInquiry, Header: hd, Body: []byte(`{}`), Token: "tok"}); e == nil || e.Code != "4010000" {
		t.Errorf("tampered body accepted: %v", e)
	}
}

// NICEPAY documents X-TIMESTAMP without milliseconds, the SNAP standard with
// (snap §3.3): token, inquiry and payment accept both, signed as received,
// and still enforce the skew window.
func TestTimestampWithOrWithoutMillis(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 21, 3, 54, 21, 0, time.UTC)
	v := Verifier{ClientID: "IONPAYTEST", PublicKey: &key.PublicKey, Variant: VariantDocumented,
		Now: func() time.Time { return now }}
	body := []byte(`{"payNo":"701589101110"}`)
	for _, tc := range []struct {
		ts   string
		want string // "" = accepted, else the code of the refusal (token / request)
	}{
		{"2026-11-21T10:54:21+07:00", ""},
		{"2026-11-21T10:54:21.123+07:00", ""},
		{"2026-11-21T10:54:21.123456+07:00", ""},
		{"2026-11-21T03:54:21.123Z", ""},
		{"2026-11-21T10:44:21.123+07:00", "skew"},
		{"2026-11-21T10:54:21.+07:00", "format"},
		{"2026-11-21T10:54:21,123+07:00", "format"},
	} {
		t.Run(tc.ts, func(t *testing.T) {
			sig, err := snap.SignAsymmetric(key, "IONPAYTEST", tc.ts)
			if err != nil {
				t.Fatal(err)
			}
			tokenErr := v.CheckToken(http.Header{"X-Client-Key": {"IONPAYTEST"}, "X-Timestamp": {tc.ts}, "X-Signature": {sig}},
				[]byte(`{"grantType":"client_credentials"}`))
			for _, path := range []string{"", PathInquiry, PathPayment} {
				e := tokenErr
				if path != "" {
					hd := http.Header{"X-Timestamp": {tc.ts}, "X-Partner-Id": {"IONPAYTEST"}, "X-External-Id": {"1"},
						"Channel-Id": {"IONPAYTEST"}, "X-Signature": {sig}}
					_, e = v.CheckRequest(Request{Method: "POST", PathQuery: path, Header: hd, Body: body, Token: "tok"})
				}
				switch {
				case tc.want == "" && e != nil:
					t.Errorf("%q: refused: %v", path, e)
				case tc.want != "" && (e == nil || e.HTTPStatus != http.StatusUnauthorized || e.Message == "" ||
					!strings.Contains(e.Message, "Timestamp")):
					t.Errorf("%q: %v, want a 401 naming the Timestamp (%s)", path, e, tc.want)
				}
			}
		})
	}
}
