package netzme

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"lapak/snap"
)

// Config configures a Client. New validates it; nothing is read from the
// environment and nothing is global, so tests can run many clients at once.
type Config struct {
	BaseURL      string              // e.g. https://tokoapisnap-stg.netzme.com or the sandbox's http://127.0.0.1:port; no trailing path
	ClientID     string              // X-PARTNER-ID / X-CLIENT-KEY; also the PIN-hash key prefix (§2.15)
	ClientSecret string              // HMAC-SHA512 key for service calls (§2.7)
	PrivateKey   *rsa.PrivateKey     // signs the token request (§2.6); see snap.ParsePrivateKey
	ChannelID    string              // CHANNEL-ID header; "" = "95221", the value in Netzme's docs (§2.3)
	Versions     map[Endpoint]string // per-endpoint version segment override ("v1.0" default, "v1" for the token)
	Paths        map[Endpoint]string // per-endpoint path template override, "{v}" = version (for the paths §3.4/§3.14/§3.24 leave unclear)
	HTTPClient   *http.Client        // nil = a client with a 30 s timeout that does not follow redirects
	Now          func() time.Time    // nil = time.Now; drives X-TIMESTAMP and token expiry
	Observer     Observer            // nil = none; called once per HTTP attempt
	// TransactionList is the Get Transaction List variant (§3.4); "" =
	// TransactionListDocumented. Paths/Versions entries win over its path.
	TransactionList TransactionListVariant
}

// DefaultChannelID is the CHANNEL-ID Netzme's docs and clients send (§2.3).
const DefaultChannelID = "95221"

// Observer receives one Call per HTTP attempt, including token requests and
// failed attempts, after the attempt finished. It runs synchronously on the
// calling goroutine, so it must be quick and must not call the Client.
type Observer interface {
	ObserveCall(ctx context.Context, c Call)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(ctx context.Context, c Call)

// ObserveCall calls f.
func (f ObserverFunc) ObserveCall(ctx context.Context, c Call) { f(ctx, c) }

// Call describes one HTTP attempt for auditing (the app's api_calls table).
// Bodies are redacted: PIN hashes, tokens and secrets read "[redacted]".
type Call struct {
	Endpoint           Endpoint
	Method, Path       string // Path includes the query string, as signed
	PartnerReferenceNo string // "" for the token call
	ExternalID         string // X-EXTERNAL-ID of this attempt ("" for the token call)
	HTTPStatus         int    // 0 when no response arrived
	ResponseCode       string // responseCode from the body, if any
	Latency            time.Duration
	RequestBody        []byte // redacted
	ResponseBody       []byte // redacted, at most maxBody bytes
	Err                error  // nil on success; the error returned to the caller otherwise
}

// APIError is a well-formed refusal from Netzme (or anything answering at
// BaseURL): a non-success HTTP status or responseCode.
type APIError struct {
	HTTPStatus   int    // HTTP status of the response
	ResponseCode string // raw responseCode, e.g. "4014700"; may be non-standard or empty
	Message      string // responseMessage (or "message" of Netzme's non-SNAP error body)
	Service      string // service code from ResponseCode, "" if it is not 7 digits
	Case         string // case code from ResponseCode, "" if it is not 7 digits
}

func (e *APIError) Error() string {
	code := e.ResponseCode
	if code == "" {
		code = "-"
	}
	return fmt.Sprintf("netzme: HTTP %d, responseCode %s: %s", e.HTTPStatus, code, e.Message)
}

// ErrOutcomeUnknown matches (errors.Is) every error from a money-moving call
// whose effect at Netzme is unknown: timeout, connection lost after sending,
// 5xx, 202 "in progress", or an unreadable success body. Callers must
// reconcile with the matching status endpoint (WithdrawInformation,
// InvoiceTransaction, ...) and must not resubmit blindly. The cause is wrapped
// too, so errors.As(err, *APIError) still works.
var ErrOutcomeUnknown = errors.New("netzme: outcome unknown, reconcile before retrying")

// Client calls Toko Netzme. It is safe for concurrent use; all callers share
// one access token.
type Client struct {
	base     string
	cfg      Config
	http     *http.Client
	now      func() time.Time
	tokenSem chan struct{} // one token fetch at a time; a channel so waiting honours ctx
	tok      token         // guarded by tokenSem
}

type token struct {
	value   string
	refresh time.Time // fetch a new one at or after this instant
}

// New validates cfg and returns a Client. It does not contact Netzme. Errors
// name the missing or bad field and never include secret values. A private
// key that crypto/rsa will refuse (under 1024 bits without
// GODEBUG=rsa1024min=0) is rejected here, at start-up.
func New(cfg Config) (*Client, error) {
	var missing []string
	if cfg.BaseURL == "" {
		missing = append(missing, "BaseURL")
	}
	if cfg.ClientID == "" {
		missing = append(missing, "ClientID")
	}
	if cfg.ClientSecret == "" {
		missing = append(missing, "ClientSecret")
	}
	if cfg.PrivateKey == nil {
		missing = append(missing, "PrivateKey")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("netzme: config: missing %s", strings.Join(missing, ", "))
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("netzme: config: BaseURL %q must be http(s)://host[:port]", cfg.BaseURL)
	}
	// Signing probe: catches small keys without the explicit GODEBUG opt-in.
	if _, err := snap.SignAsymmetric(cfg.PrivateKey, cfg.ClientID, snap.Timestamp(time.Unix(0, 0))); err != nil {
		bits := cfg.PrivateKey.N.BitLen()
		return nil, fmt.Errorf("netzme: config: private key (%d bits) cannot sign: Go refuses RSA keys under 1024 bits; "+
			"ask Netzme for a 2048-bit key or opt in explicitly with GODEBUG=rsa1024min=0", bits)
	}
	for ep, tmpl := range cfg.Paths {
		if _, ok := endpointSpecs[ep]; !ok || !strings.HasPrefix(tmpl, "/") {
			return nil, fmt.Errorf("netzme: config: Paths[%q] = %q: unknown endpoint or path without leading /", ep, tmpl)
		}
	}
	if _, err := ParseTransactionListVariant(string(cfg.TransactionList)); err != nil {
		return nil, fmt.Errorf("netzme: config: TransactionList: %w", err)
	}
	for ep := range cfg.Versions {
		if _, ok := endpointSpecs[ep]; !ok {
			return nil, fmt.Errorf("netzme: config: Versions: unknown endpoint %q", ep)
		}
	}
	if cfg.ChannelID == "" {
		cfg.ChannelID = DefaultChannelID
	}
	c := &Client{
		base:     strings.TrimRight(cfg.BaseURL, "/"),
		cfg:      cfg,
		http:     cfg.HTTPClient,
		now:      cfg.Now,
		tokenSem: make(chan struct{}, 1),
	}
	if c.http == nil {
		c.http = &http.Client{
			Timeout: 30 * time.Second,
			// §7.12: http answers 308; re-sending a signed POST elsewhere hides
			// the misconfiguration, so surface the redirect instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// ClientID returns the configured client id, e.g. to compute PINHash.
func (c *Client) ClientID() string { return c.cfg.ClientID }

// path returns the request path of ep under this configuration.
func (c *Client) path(ep Endpoint) string {
	s := endpointSpecs[ep]
	if ep == EndpointTransactionList && c.cfg.TransactionList == TransactionListQA {
		s = qaTransactionList
	}
	v := c.cfg.Versions[ep]
	if v == "" {
		v = s.version
	}
	tmpl := s.path
	if p := c.cfg.Paths[ep]; p != "" {
		tmpl = p
	}
	return strings.ReplaceAll(tmpl, "{v}", v)
}

// maxBody caps how much of a response we read; Netzme answers are small
// (the largest is a QRIS PNG data URI).
const maxBody = 4 << 20

// tokenMargin is how long before expiry a token is replaced (§7.2 "expiresIn − 5 min").
const tokenMargin = 5 * time.Minute

// accessToken returns a valid token, fetching one if the cache is empty or
// due for refresh. Concurrent callers wait for a single fetch.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	select {
	case c.tokenSem <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("netzme: access token: %w", ctx.Err())
	}
	defer func() { <-c.tokenSem }()
	if c.tok.value != "" && c.now().Before(c.tok.refresh) {
		return c.tok.value, nil
	}
	tok, err := c.fetchToken(ctx)
	if err != nil {
		return "", err
	}
	c.tok = tok
	return tok.value, nil
}

// invalidate drops the cached token if it is still old; a caller that lost
// the race against another refresh keeps the newer token.
func (c *Client) invalidate(ctx context.Context, old string) {
	select {
	case c.tokenSem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	if c.tok.value == old {
		c.tok = token{}
	}
	<-c.tokenSem
}

type tokenRequest struct {
	GrantType      string   `json:"grantType"`
	AdditionalInfo struct{} `json:"additionalInfo"`
}

type tokenResponse struct {
	snap.Response
	AccessToken string     `json:"accessToken"`
	TokenType   string     `json:"tokenType"`
	ExpiresIn   flexString `json:"expiresIn"` // a string per §2.5; some providers send a number (snap §11.7)
}

func (c *Client) fetchToken(ctx context.Context) (token, error) {
	body, _ := json.Marshal(tokenRequest{GrantType: "client_credentials"})
	path := c.path(EndpointToken)
	ts := snap.Timestamp(c.now())
	sig, err := snap.SignAsymmetric(c.cfg.PrivateKey, c.cfg.ClientID, ts)
	if err != nil {
		return token{}, fmt.Errorf("netzme: access token: %w", err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-TIMESTAMP", ts)
	h.Set("X-CLIENT-KEY", c.cfg.ClientID)
	h.Set("X-SIGNATURE", sig)
	call := Call{Endpoint: EndpointToken, Method: http.MethodPost, Path: path}
	status, respBody, err := c.send(ctx, &call, h, body)
	var res tokenResponse
	if err == nil {
		err = c.check(EndpointToken, status, respBody, &res)
	}
	if err == nil && (res.AccessToken == "" || strings.ContainsAny(res.AccessToken, " \r\n")) {
		err = &APIError{HTTPStatus: status, ResponseCode: res.ResponseCode, Message: "token response without a usable accessToken"}
	}
	var ttl time.Duration
	if err == nil {
		secs, perr := strconv.ParseInt(strings.TrimSpace(string(res.ExpiresIn)), 10, 64)
		if perr != nil || secs <= 0 {
			err = &APIError{HTTPStatus: status, ResponseCode: res.ResponseCode, Message: "token response with invalid expiresIn"}
		}
		ttl = time.Duration(secs) * time.Second
	}
	call.ResponseCode = res.ResponseCode
	c.observe(ctx, &call, err)
	if err != nil {
		return token{}, fmt.Errorf("netzme: access token: %w", err)
	}
	margin := min(tokenMargin, ttl/2)
	return token{value: res.AccessToken, refresh: c.now().Add(ttl - margin)}, nil
}

// do performs one service call: marshal once, sign those bytes, send them,
// and decode a success answer into out. A 401xx01 (token invalid) is retried
// once with a fresh token — Netzme refused it before doing anything.
func (c *Client) do(ctx context.Context, ep Endpoint, partnerRef string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("netzme: %s: encode request: %w", ep, err)
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		err = c.attempt(ctx, ep, partnerRef, tok, body, out)
		var apiErr *APIError
		if attempt == 0 && errors.As(err, &apiErr) && apiErr.HTTPStatus == http.StatusUnauthorized && apiErr.Case == "01" {
			c.invalidate(ctx, tok)
			continue
		}
		if err != nil {
			return fmt.Errorf("netzme: %s %s: %w", ep, partnerRef, err)
		}
		return nil
	}
}

func (c *Client) attempt(ctx context.Context, ep Endpoint, partnerRef, tok string, body []byte, out any) error {
	path := c.path(ep)
	ts := snap.Timestamp(c.now())
	extID := snap.NewExternalID()
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Authorization", "Bearer "+tok)
	h.Set("X-TIMESTAMP", ts)
	h.Set("X-SIGNATURE", snap.SignSymmetric(c.cfg.ClientSecret, http.MethodPost, path, tok, body, ts, snap.Hex))
	h.Set("X-PARTNER-ID", c.cfg.ClientID)
	h.Set("X-EXTERNAL-ID", extID)
	h.Set("CHANNEL-ID", c.cfg.ChannelID)
	call := Call{Endpoint: ep, Method: http.MethodPost, Path: path, PartnerReferenceNo: partnerRef, ExternalID: extID}
	status, respBody, err := c.send(ctx, &call, h, body)
	if err == nil {
		err = c.check(ep, status, respBody, out)
		var env snap.Response
		if json.Unmarshal(respBody, &env) == nil {
			call.ResponseCode = env.ResponseCode
		}
	}
	c.observe(ctx, &call, err)
	return err
}

// send performs the HTTP exchange and fills the transport parts of call.
func (c *Client) send(ctx context.Context, call *Call, h http.Header, body []byte) (int, []byte, error) {
	if c.cfg.Observer != nil {
		call.RequestBody = redact(body)
	}
	start := time.Now()
	defer func() { call.Latency = time.Since(start) }()
	req, err := http.NewRequestWithContext(ctx, call.Method, c.base+call.Path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("build request: %w", err)
	}
	req.Header = h
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, c.transportError(call.Endpoint, err)
	}
	defer resp.Body.Close()
	call.HTTPStatus = resp.StatusCode
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if c.cfg.Observer != nil {
		call.ResponseBody = redact(respBody)
	}
	if err != nil {
		err = fmt.Errorf("read response (HTTP %d): %w", resp.StatusCode, err)
		if call.Endpoint.MovesMoney() {
			err = unknown(err)
		}
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, respBody, nil
}

// transportError classifies a failed exchange. Only a failure to connect
// proves the request never left; anything later may have been executed.
func (c *Client) transportError(ep Endpoint, err error) error {
	var timeout error
	if isTimeout(err) {
		timeout = ErrTimeout
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return withKinds(fmt.Errorf("connect: %w", err), ErrUnavailable, timeout)
	}
	if ep.MovesMoney() {
		return unknown(withKinds(err, timeout))
	}
	return withKinds(err, ErrUnavailable, timeout)
}

// check turns an HTTP answer into nil (success, out decoded), *APIError, or
// an ErrOutcomeUnknown error for uncertain answers to money-moving calls.
// Success needs a 2xx status and a responseCode starting with "200" (§7.9);
// the HTTP status is trusted first (snap §11.12).
func (c *Client) check(ep Endpoint, status int, body []byte, out any) error {
	apiErr := parseError(status, body)
	money := ep.MovesMoney()
	switch {
	case status >= 500 || (apiErr != nil && apiErr.HTTPStatus/100 == 2):
		// 5xx, 202 "in progress" or a 2xx whose body is not a success.
		if money {
			return unknown(apiErr)
		}
		return withKinds(apiErr, ErrUnavailable)
	case apiErr != nil:
		return withKinds(apiErr, classify(ep, apiErr))
	}
	if err := json.Unmarshal(body, out); err != nil {
		err = fmt.Errorf("decode %d-byte success body: %w", len(body), err)
		if money {
			return unknown(err)
		}
		return err
	}
	return nil
}

// parseError returns nil for a success answer and an *APIError otherwise,
// including non-JSON and non-SNAP bodies ({"status":500,"message":...}).
func parseError(status int, body []byte) *APIError {
	var env struct {
		ResponseCode    flexString `json:"responseCode"`
		ResponseMessage string     `json:"responseMessage"`
		Message         string     `json:"message"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return &APIError{HTTPStatus: status, Message: nonJSONMessage(status, body)}
	}
	e := &APIError{HTTPStatus: status, ResponseCode: string(env.ResponseCode), Message: env.ResponseMessage}
	if e.Message == "" {
		e.Message = env.Message
	}
	if code, err := snap.ParseCode(e.ResponseCode); err == nil {
		e.Service, e.Case = code.Service, code.Case
	}
	if status == http.StatusAccepted || strings.HasPrefix(e.ResponseCode, "202") {
		if e.Message == "" {
			e.Message = "request in progress"
		}
		return e
	}
	if status/100 == 2 && strings.HasPrefix(e.ResponseCode, "200") && len(e.ResponseCode) == 7 {
		return nil
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	if status/100 == 2 && e.ResponseCode == "" {
		e.Message = "success status without a responseCode"
	}
	return e
}

func nonJSONMessage(status int, body []byte) string {
	const max = 120
	snippet := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, string(body))
	if len(snippet) > max {
		snippet = snippet[:max] + "…"
	}
	if snippet == "" {
		return fmt.Sprintf("empty non-JSON body (%s)", http.StatusText(status))
	}
	return fmt.Sprintf("non-JSON body (%s): %q", http.StatusText(status), snippet)
}

func (c *Client) observe(ctx context.Context, call *Call, err error) {
	if c.cfg.Observer == nil {
		return
	}
	call.Err = err
	c.cfg.Observer.ObserveCall(ctx, *call)
}

// outcomeUnknown wraps the cause of an uncertain money-moving call so both
// errors.Is(err, ErrOutcomeUnknown) and errors.As(err, **APIError) work.
type outcomeUnknown struct{ cause error }

func unknown(cause error) error { return &outcomeUnknown{cause} }

func (e *outcomeUnknown) Error() string {
	return "outcome unknown, reconcile before retrying: " + e.cause.Error()
}

func (e *outcomeUnknown) Unwrap() []error { return []error{ErrOutcomeUnknown, e.cause} }

// flexString decodes a JSON string or number into its text, for fields whose
// type varies between Netzme examples (expiresIn, localTrasactionDate, ...).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want string or number, got %.20s", b)
	}
	*f = flexString(n.String())
	return nil
}
