package nicepay

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestResultErrKinds(t *testing.T) {
	t.Parallel()
	kinds := []error{ErrUnauthorized, ErrInvalidField, ErrDuplicateExternalID, ErrBillNotFound, ErrBillPaid,
		ErrBillExpired, ErrBadAmount, ErrInvalidToken, ErrGeneral}
	for _, tc := range []struct {
		status int
		code   string
		want   error // nil = no kind
		ok     bool  // Err() == nil
	}{
		{200, "2000000", nil, true},
		{200, "2007300", nil, true},
		{401, "4017300", ErrUnauthorized, false}, // token: client, timestamp or signature
		{401, "4010000", ErrUnauthorized, false}, // inquiry signature
		{401, "4010003", ErrUnauthorized, false}, // no token
		{401, "4010001", ErrInvalidToken, false},
		{400, "4007301", ErrInvalidField, false},
		{400, "4007302", ErrInvalidField, false},
		{400, "4000001", ErrInvalidField, false},
		{400, "4000002", ErrInvalidField, false},
		{409, "4090000", ErrDuplicateExternalID, false},
		{404, "4040012", ErrBillNotFound, false},
		{404, "4040014", ErrBillPaid, false},
		{404, "4040019", ErrBillExpired, false},
		{404, "4040013", ErrBadAmount, false},
		{500, "5000000", ErrGeneral, false},
		{504, "5040000", ErrGeneral, false},
		{502, "", ErrGeneral, false}, // a proxy's page, no SNAP body
		{404, "4040011", nil, false}, // a 404 the table does not know
		{200, "4040014", ErrBillPaid, false},
	} {
		err := Result{HTTPStatus: tc.status, Code: tc.code}.Err()
		if (err == nil) != tc.ok {
			t.Errorf("%d %s: Err() = %v, want ok %v", tc.status, tc.code, err, tc.ok)
			continue
		}
		for _, k := range kinds {
			if got := errors.Is(err, k); got != (k == tc.want) {
				t.Errorf("%d %s: errors.Is(%v) = %v", tc.status, tc.code, k, got)
			}
		}
		var e *Error
		if err != nil && (!errors.As(err, &e) || e.Code != tc.code || e.HTTPStatus != tc.status) {
			t.Errorf("%d %s: %v does not carry what was received", tc.status, tc.code, err)
		}
	}
}

// Over HTTP: a merchant that refuses NICEPAY's token, and one that answers
// an inquiry with Paid Bill, give the Store errors of the matching kind.
func TestStoreErrorsHaveKinds(t *testing.T) {
	t.Parallel()
	nicepayKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	v := Verifier{ClientID: "IONPAYTEST", PublicKey: &nicepayKey.PublicKey}
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		answer := func(status int, v any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(v)
		}
		if r.URL.Path == PathToken {
			if e := v.CheckToken(r.Header, body); e != nil {
				answer(e.HTTPStatus, e.Response())
				return
			}
			answer(200, TokenResponse{ResponseCode: "2007300", ResponseMessage: "Successful", AccessToken: "tok", TokenType: "Bearer", ExpiresIn: "900"})
			return
		}
		if _, e := v.CheckRequest(Request{Method: r.Method, PathQuery: r.URL.RequestURI(), Header: r.Header, Body: body, Token: "tok"}); e != nil {
			answer(e.HTTPStatus, e.Response())
			return
		}
		answer(ErrBillPaid.HTTPStatus, ErrBillPaid.Response())
	}))
	t.Cleanup(merchant.Close)

	stranger := &Store{BaseURL: merchant.URL, Signer: Signer{ClientID: "IONPAYTEST", PrivateKey: other}}
	_, err = stranger.Inquire(t.Context(), "701589101110")
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "4017300") {
		t.Errorf("token signed with another key: err = %v, want ErrUnauthorized (4017300)", err)
	}

	store := &Store{BaseURL: merchant.URL, Signer: Signer{ClientID: "IONPAYTEST", PrivateKey: nicepayKey}}
	res, err := store.Inquire(t.Context(), "701589101110")
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res.Err(), ErrBillPaid) || errors.Is(res.Err(), ErrBillNotFound) {
		t.Errorf("inquiry of a paid bill: %v, want ErrBillPaid only", res.Err())
	}
}
