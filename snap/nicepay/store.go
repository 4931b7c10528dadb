package nicepay

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"lapak/snap"
)

// Store plays NICEPAY and the convenience-store network against a merchant
// server (Lapak): it obtains an access token from the merchant and sends CVS
// inquiries and payment confirmations exactly as nicepay §2-§4 describe. With
// no real NICEPAY configured, Lapak runs one for demos; tests use it for
// contract tests over HTTP. It is safe for concurrent use.
type Store struct {
	// BaseURL is the merchant's base URL, e.g. "http://127.0.0.1:8080".
	BaseURL    string
	HTTPClient *http.Client // nil = http.DefaultClient
	Signer     Signer
	// PartnerID is the X-PARTNER-ID sent; "" = Signer.ClientID.
	PartnerID string
	// ChannelID is the CHANNEL-ID sent; "" = Signer.ClientID, as in NICEPAY's
	// example (nicepay §3 headers).
	ChannelID string
	// MitraCd is the store partner code; "" = "ALMA" (Alfamart group).
	MitraCd string
	Now     func() time.Time // nil = time.Now

	mu       sync.Mutex
	token    string
	tokenExp time.Time
}

// Result is one HTTP exchange with the merchant: the status and raw body as
// received, so contract tests can compare exact bytes. Err gives a refusal's
// kind.
type Result struct {
	HTTPStatus int
	Body       []byte
	ExternalID string
	Code       string // responseCode, "" when the body had none
	Message    string
}

// InquiryResult is a Result with the request sent and the decoded answer.
type InquiryResult struct {
	Result
	Request  InquiryRequest
	Response InquiryResponse
}

// PaymentResult is a Result with the request sent and the decoded answer.
type PaymentResult struct {
	Result
	Request  PaymentRequest
	Response PaymentResponse
}

// CallOption changes one call, for tests of the merchant's refusals.
type CallOption func(*callOpts)

type callOpts struct {
	externalID string
	badSig     bool
	token      *string
	requestID  string
}

// WithExternalID sends id as X-EXTERNAL-ID instead of a fresh one.
func WithExternalID(id string) CallOption { return func(o *callOpts) { o.externalID = id } }

// WithBadSignature sends a signature over different input.
func WithBadSignature() CallOption { return func(o *callOpts) { o.badSig = true } }

// WithToken sends tok as the bearer token ("" = no Authorization header)
// instead of a token obtained from the merchant.
func WithToken(tok string) CallOption { return func(o *callOpts) { o.token = &tok } }

// WithRequestID sends id as inquiryRequestId or paymentRequestId.
func WithRequestID(id string) CallOption { return func(o *callOpts) { o.requestID = id } }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) client() *http.Client {
	if s.HTTPClient != nil {
		return s.HTTPClient
	}
	return http.DefaultClient
}

// Token requests an access token from the merchant (nicepay §2) and keeps it
// for later calls when granted. A refusal is a Result with the merchant's
// code, not an error; err is for transport failures.
func (s *Store) Token(ctx context.Context) (Result, TokenResponse, error) {
	ts := snap.Timestamp(s.now())
	sig, err := s.Signer.SignToken(ts)
	if err != nil {
		return Result{}, TokenResponse{}, err
	}
	body := []byte(`{"grantType":"client_credentials","additionalInfo":{}}`)
	hdr := http.Header{}
	hdr.Set("X-TIMESTAMP", ts)
	hdr.Set("X-CLIENT-KEY", s.Signer.ClientID)
	hdr.Set("X-SIGNATURE", sig)
	res, err := s.post(ctx, PathToken, hdr, body)
	if err != nil {
		return res, TokenResponse{}, err
	}
	var tr TokenResponse
	_ = json.Unmarshal(res.Body, &tr)
	if res.HTTPStatus == http.StatusOK && tr.AccessToken != "" {
		s.mu.Lock()
		// Refresh a minute early so a call never races the expiry.
		s.token, s.tokenExp = tr.AccessToken, s.now().Add(TokenLifetime*time.Second-time.Minute)
		s.mu.Unlock()
	}
	return res, tr, nil
}

func (s *Store) currentToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	tok, exp := s.token, s.tokenExp
	s.mu.Unlock()
	if tok != "" && s.now().Before(exp) {
		return tok, nil
	}
	res, tr, err := s.Token(ctx)
	if err != nil {
		return "", err
	}
	if tr.AccessToken == "" {
		err := res.Err()
		if err == nil {
			err = &Error{HTTPStatus: res.HTTPStatus, Code: res.Code, Message: "no accessToken"}
		}
		return "", fmt.Errorf("nicepay store: token refused: %w", err)
	}
	return tr.AccessToken, nil
}

// Inquire asks the merchant what payNo is for, as NICEPAY does when a
// customer gives the number at the counter (nicepay §3).
func (s *Store) Inquire(ctx context.Context, payNo string, opts ...CallOption) (InquiryResult, error) {
	o := applyOpts(opts)
	req := InquiryRequest{PayNo: payNo, InquiryRequestID: o.requestID, MitraCd: s.mitraCd()}
	req.PartnerServiceID, req.CustomerNo = SplitPayNo(payNo)
	if req.InquiryRequestID == "" {
		req.InquiryRequestID = randomDigits(20)
	}
	body, _ := json.Marshal(req)
	res, err := s.signedPost(ctx, PathInquiry, body, o)
	out := InquiryResult{Result: res, Request: req}
	if err == nil {
		_ = json.Unmarshal(res.Body, &out.Response)
	}
	return out, err
}

// Pay confirms that the customer paid amountMinor for payNo at the counter
// (guess, nicepay §4: body undocumented). inquiryRequestID links it to the
// inquiry that showed the amount.
func (s *Store) Pay(ctx context.Context, payNo string, amountMinor int64, inquiryRequestID string, opts ...CallOption) (PaymentResult, error) {
	o := applyOpts(opts)
	req := PaymentRequest{PayNo: payNo, InquiryRequestID: inquiryRequestID, PaymentRequestID: o.requestID,
		PaidAmount: snap.IDR(amountMinor), MitraCd: s.mitraCd(), TrxDateTime: snap.Timestamp(s.now())}
	req.PartnerServiceID, req.CustomerNo = SplitPayNo(payNo)
	if req.PaymentRequestID == "" {
		req.PaymentRequestID = randomDigits(20)
	}
	body, _ := json.Marshal(req)
	res, err := s.signedPost(ctx, PathPayment, body, o)
	out := PaymentResult{Result: res, Request: req}
	if err == nil {
		_ = json.Unmarshal(res.Body, &out.Response)
	}
	return out, err
}

// SplitPayNo splits a payNo into partnerServiceId (first four characters)
// and customerNo (the rest), nicepay §3 [infer].
func SplitPayNo(payNo string) (partnerServiceID, customerNo string) {
	if len(payNo) < PartnerServiceIDLen {
		return payNo, ""
	}
	return payNo[:PartnerServiceIDLen], payNo[PartnerServiceIDLen:]
}

func (s *Store) mitraCd() string {
	if s.MitraCd == "" {
		return "ALMA"
	}
	return s.MitraCd
}

func applyOpts(opts []CallOption) callOpts {
	var o callOpts
	for _, f := range opts {
		f(&o)
	}
	return o
}

func (s *Store) signedPost(ctx context.Context, path string, body []byte, o callOpts) (Result, error) {
	var tok string
	if o.token != nil {
		tok = *o.token
	} else {
		var err error
		if tok, err = s.currentToken(ctx); err != nil {
			return Result{}, err
		}
	}
	partner := s.PartnerID
	if partner == "" {
		partner = s.Signer.ClientID
	}
	channel := s.ChannelID
	if channel == "" {
		channel = s.Signer.ClientID
	}
	ts := snap.Timestamp(s.now())
	signed := body
	if o.badSig {
		signed = append([]byte(`{"tampered":true}`), body...)
	}
	sig, err := s.Signer.SignRequest(http.MethodPost, path, tok, partner, signed, ts)
	if err != nil {
		return Result{}, err
	}
	if o.badSig && s.Signer.Variant != VariantHMAC && s.Signer.Variant != VariantService {
		// The documented recipe does not cover the body: sign another time.
		sig, err = s.Signer.SignRequest(http.MethodPost, path, tok, partner, body, snap.Timestamp(s.now().Add(-time.Hour)))
		if err != nil {
			return Result{}, err
		}
	}
	ext := o.externalID
	if ext == "" {
		ext = snap.NewExternalID()
	}
	hdr := http.Header{}
	if tok != "" {
		hdr.Set("Authorization", "Bearer "+tok)
	}
	hdr.Set("X-TIMESTAMP", ts)
	hdr.Set("X-PARTNER-ID", partner)
	hdr.Set("X-SIGNATURE", sig)
	hdr.Set("X-EXTERNAL-ID", ext)
	hdr.Set("CHANNEL-ID", channel)
	res, err := s.post(ctx, path, hdr, body)
	res.ExternalID = ext
	return res, err
}

func (s *Store) post(ctx context.Context, path string, hdr http.Header, body []byte) (Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.BaseURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return Result{}, fmt.Errorf("nicepay store: %w", err)
	}
	req.Header = hdr
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client().Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("nicepay store: %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Result{}, fmt.Errorf("nicepay store: %s: read: %w", path, err)
	}
	res := Result{HTTPStatus: resp.StatusCode, Body: raw}
	var env snap.Response
	if json.Unmarshal(raw, &env) == nil {
		res.Code, res.Message = env.ResponseCode, env.ResponseMessage
	}
	return res, nil
}

// randomDigits returns n digits from crypto/rand.
func randomDigits(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("nicepay: crypto/rand: " + err.Error()))
	}
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

// RandomDigits returns n decimal digits from crypto/rand, for customer
// numbers and request ids. The tiny modulo bias does not matter for
// identifiers that are checked for uniqueness anyway.
func RandomDigits(n int) string { return randomDigits(n) }
