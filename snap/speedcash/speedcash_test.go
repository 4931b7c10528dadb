package speedcash

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"lapak/snap"
)

type recorder struct {
	mu    sync.Mutex
	calls []Call
}

func (r *recorder) ObserveCall(_ context.Context, c Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

var (
	keyOnce sync.Once
	simKey  *rsa.PrivateKey
	keyErr  error
)

// newPair returns a client talking to a simulator over HTTP. The key pair is
// generated once per test binary: RSA 2048 generation is slow.
func newPair(t *testing.T) (*Client, *Simulator, *recorder, *httptest.Server) {
	t.Helper()
	keyOnce.Do(func() { simKey, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	s := newSimulator(simKey, nil)
	s.clientID, s.clientSecret = "sim-test", "secret-"+t.Name()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	rec := &recorder{}
	cfg := s.Config(srv.URL)
	cfg.Observer = rec
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, s, rec, srv
}

func TestMerchantStatusEveryDocumentedCode(t *testing.T) {
	t.Parallel()
	c, _, rec, _ := newPair(t)
	cases := []struct {
		phone    string
		code     string
		status   int
		httpCode int
		wantMID  bool
	}{
		{"6281200261230", CodeSuccess, StatusPending, 200, false},
		{"6281200261231", CodeSuccess, StatusAccepted, 200, true},
		{"6281200261232", CodeSuccess, StatusRejected, 200, false},
		{"6281200261237", CodeForbidden, 0, 404, false},
		{"6281200261239", CodeGeneralError, 0, 500, false},
		{"0812", CodeInvalidField, 0, 400, false},
	}
	kinds := map[string]error{CodeForbidden: ErrForbidden, CodeGeneralError: ErrGeneral, CodeInvalidField: ErrInvalidField}
	for _, tc := range cases {
		t.Run(tc.phone, func(t *testing.T) {
			got, err := c.MerchantStatus(t.Context(), tc.phone, "")
			if tc.code == CodeSuccess {
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != tc.status || got.Title == "" || got.Description == "" || got.MerchantID == "" || got.StoreName == "" {
					t.Errorf("status = %+v", got)
				}
				if (got.MID != "" && got.NMID != "") != tc.wantMID {
					t.Errorf("MID/NMID = %q/%q, want present %v", got.MID, got.NMID, tc.wantMID)
				}
				return
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Code != tc.code || apiErr.HTTPStatus != tc.httpCode {
				t.Fatalf("err = %v, want code %s HTTP %d", err, tc.code, tc.httpCode)
			}
			if !errors.Is(err, kinds[tc.code]) || errors.Is(err, ErrNoAnswer) {
				t.Errorf("err = %v is not of kind %v", err, kinds[tc.code])
			}
		})
	}
	// One token for all calls; every attempt observed, token redacted.
	tokens := 0
	for _, call := range rec.calls {
		if call.Endpoint == "token" {
			tokens++
			if strings.Contains(string(call.ResponseBody), "accessToken") {
				t.Errorf("token response recorded with the token: %s", call.ResponseBody)
			}
		}
	}
	if tokens != 1 || len(rec.calls) != len(cases)+1 {
		t.Errorf("observed %d calls (%d token), want %d (1 token)", len(rec.calls), tokens, len(cases)+1)
	}
}

func TestMerchantStatusDuplicateExternalID(t *testing.T) {
	t.Parallel()
	c, _, _, _ := newPair(t)
	if _, err := c.MerchantStatus(t.Context(), "6281200261231", "20240515065602642"); err != nil {
		t.Fatal(err)
	}
	_, err := c.MerchantStatus(t.Context(), "6281200261231", "20240515065602642")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != CodeDuplicateExternalID || apiErr.HTTPStatus != 409 || !errors.Is(err, ErrDuplicateExternalID) {
		t.Fatalf("err = %v, want 4092300 (ErrDuplicateExternalID)", err)
	}
}

func TestMerchantStatusBadSignature(t *testing.T) {
	t.Parallel()
	c, _, _, _ := newPair(t)
	c.cfg.ClientSecret = "not-the-secret"
	_, err := c.MerchantStatus(t.Context(), "6281200261231", "")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != CodeBadSignature || apiErr.HTTPStatus != 401 || !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want 4012300 (ErrUnauthorized)", err)
	}
}

// A token refused by SpeedCash is a configuration problem: ErrUnauthorized,
// and no Merchant Status request is made.
func TestTokenRefusedIsUnauthorized(t *testing.T) {
	t.Parallel()
	c, s, _, _ := newPair(t)
	c.cfg.ClientID = "someone-else"
	_, err := c.MerchantStatus(t.Context(), "6281200261231", "")
	if !errors.Is(err, ErrUnauthorized) || s.StatusCalls() != 0 {
		t.Fatalf("err = %v after %d status calls, want ErrUnauthorized before any", err, s.StatusCalls())
	}
}

// Every documented refusal has exactly one kind, and the kinds are distinct
// except where the table says two codes mean the same.
func TestEveryDocumentedCodeHasOneKind(t *testing.T) {
	t.Parallel()
	all := []error{ErrInvalidField, ErrUnauthorized, ErrDuplicateExternalID, ErrBadRequest, ErrForbidden, ErrGeneral, ErrNoAnswer}
	seen := map[error]string{}
	for _, code := range Codes {
		e := &APIError{HTTPStatus: snapStatus(code), Code: code}
		var matched []error
		for _, k := range all {
			if errors.Is(e, k) {
				matched = append(matched, k)
			}
		}
		switch {
		case code == CodeSuccess && len(matched) != 0:
			t.Errorf("%s (success) matches %v", code, matched)
		case code != CodeSuccess && len(matched) != 1:
			t.Errorf("%s matches %v, want exactly one kind", code, matched)
		case code != CodeSuccess:
			if other, dup := seen[matched[0]]; dup {
				t.Errorf("%s and %s share the kind %v", code, other, matched[0])
			}
			seen[matched[0]] = code
		}
	}
	if e := (&APIError{HTTPStatus: 502, Code: "5022399"}); !errors.Is(e, ErrGeneral) {
		t.Error("an undocumented 5xx is not ErrGeneral")
	}
	if e := (&APIError{HTTPStatus: 400, Code: "4002399"}); errors.Is(e, ErrInvalidField) || errors.Is(e, ErrBadRequest) {
		t.Error("an undocumented 4xx code got a kind by its HTTP class")
	}
}

func snapStatus(code string) int {
	c, err := snap.ParseCode(code)
	if err != nil {
		return 0
	}
	return c.HTTPStatus
}

func TestMerchantStatusMissingHeader(t *testing.T) {
	t.Parallel()
	c, _, _, srv := newPair(t)
	if _, err := c.accessToken(t.Context()); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+DefaultStatusPath, strings.NewReader(`{"notelp_pemilik":"6281200261231"}`))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("X-TIMESTAMP", snap.Timestamp(time.Now()))
	// No X-PARTNER-ID, X-SIGNATURE, X-EXTERNAL-ID.
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Fatalf("HTTP %d, want 404 (4042301)", res.StatusCode)
	}
}

func TestMerchantStatusNoAnswer(t *testing.T) {
	t.Parallel()
	c, _, _, srv := newPair(t)
	srv.Close()
	_, err := c.MerchantStatus(t.Context(), "6281200261231", "")
	if !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("err = %v, want ErrNoAnswer", err)
	}
}

func TestSignatureIsSentOverExactBody(t *testing.T) {
	t.Parallel()
	// The simulator verifies with the secret over the received bytes; a
	// client signing another path must be refused.
	c, _, _, _ := newPair(t)
	c.cfg.SignPath = "/merchant/status"
	_, err := c.MerchantStatus(t.Context(), "6281200261231", "")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != CodeBadSignature {
		t.Fatalf("err = %v, want 4012300 for the path without /v1.0", err)
	}
}

func TestNewRequiresCredentials(t *testing.T) {
	t.Parallel()
	_, err := New(Config{BaseURL: "http://x"})
	if err == nil || !strings.Contains(err.Error(), "client id") || !strings.Contains(err.Error(), "private key") {
		t.Fatalf("err = %v", err)
	}
}
