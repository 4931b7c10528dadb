// Package speedcash is a small client for SpeedCash's QRIS MPM partner API,
// limited to what Lapak needs: Merchant Status (proprietary service code 23),
// with the B2B access token it requires. SpeedCash uses the SNAP envelope on a
// non-standard endpoint; the signatures and timestamps come from package snap.
// Simulator is a stateful stand-in served over real HTTP for the default run
// and for tests.
//
// References name sections of SpeedCash's Merchant Status specification
// ("speedcash §2.4"); docs/protocol.md lists the facts and guesses.
package speedcash

import (
	"bytes"
	"context"
	"crypto/rsa"
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

// Response codes of Merchant Status (speedcash §2.4). SpeedCash's codes must
// be read whole: 404 is used for a bad header and for a forbidden client.
const (
	CodeSuccess             = "2002300"
	CodeInvalidField        = "4002301"
	CodeBadSignature        = "4012300"
	CodeDuplicateExternalID = "4092300"
	CodeBadRequest          = "4042301"
	CodeForbidden           = "4042300"
	CodeGeneralError        = "5002301"
)

// Codes lists every documented Merchant Status response code.
var Codes = []string{CodeSuccess, CodeInvalidField, CodeBadSignature, CodeDuplicateExternalID, CodeBadRequest, CodeForbidden, CodeGeneralError}

// Default paths. The status path is documented as {base}/v1.0/merchant/status;
// the token path's version segment is not shown (guess, speedcash §4.1: we
// use SNAP's /v1.0/access-token/b2b).
const (
	DefaultTokenPath  = "/v1.0/access-token/b2b"
	DefaultStatusPath = "/v1.0/merchant/status"
)

// Merchant onboarding states of additionalInfo.status (speedcash §2.3).
const (
	StatusPending  = 0 // Belum Disetujui
	StatusAccepted = 1 // Diterima
	StatusRejected = 2 // Ditolak
)

// Config configures a Client. BaseURL, ClientID, ClientSecret and PrivateKey
// are required.
type Config struct {
	BaseURL      string
	HTTPClient   *http.Client // nil = a client with a 30 s timeout
	ClientID     string       // X-PARTNER-ID / X-CLIENT-KEY
	ClientSecret string       // HMAC key of "asymmetric with token" (speedcash §4.2)
	PrivateKey   *rsa.PrivateKey
	ChannelID    string // X-CHANNEL-ID and CHANNEL-ID; "" = "23412", the samples' value
	TokenPath    string // "" = DefaultTokenPath
	StatusPath   string // "" = DefaultStatusPath
	// SignPath is the pathUrl in the stringToSign; "" = StatusPath. SpeedCash's
	// samples disagree on the /v1.0 prefix (guess, speedcash §4.3).
	SignPath string
	Now      func() time.Time // nil = time.Now
	Observer Observer         // nil = none
}

// Call is one HTTP attempt, reported to the Observer. Bodies never contain
// the secret or the token (the token response body is replaced).
type Call struct {
	Endpoint     string // "token" or "merchant_status"
	Method, Path string
	ExternalID   string
	HTTPStatus   int // 0 = no answer
	ResponseCode string
	Latency      time.Duration
	RequestBody  []byte
	ResponseBody []byte
	Err          error
}

// Observer receives every HTTP attempt, e.g. to write api_calls.
type Observer interface {
	ObserveCall(ctx context.Context, c Call)
}

// APIError is a refusal by SpeedCash: the full 7-character code, its message
// and the HTTP status.
type APIError struct {
	HTTPStatus int
	Code       string
	Message    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("speedcash: %d %s %s", e.HTTPStatus, e.Code, e.Message)
}

// ErrNoAnswer wraps transport failures and unreadable answers: the status
// is then unknown, and asking again is safe (Merchant Status changes
// nothing).
var ErrNoAnswer = errors.New("speedcash: no usable answer")

// MerchantStatus is the answer to Merchant Status (speedcash §2.3). MID and
// NMID may be empty for pending or rejected merchants (guess, §2.3).
type MerchantStatus struct {
	Code        string
	Message     string
	Title       string
	Description string
	Status      int
	MerchantID  string
	StoreName   string
	MID         string
	NMID        string
	ExternalID  string
}

// Client calls SpeedCash. It caches the access token. Safe for concurrent use.
type Client struct {
	cfg Config

	mu       sync.Mutex
	token    string
	tokenExp time.Time
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	var missing []string
	if cfg.BaseURL == "" {
		missing = append(missing, "base URL")
	}
	if cfg.ClientID == "" {
		missing = append(missing, "client id")
	}
	if cfg.ClientSecret == "" {
		missing = append(missing, "client secret")
	}
	if cfg.PrivateKey == nil {
		missing = append(missing, "private key")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("speedcash: missing %s", strings.Join(missing, ", "))
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.ChannelID == "" {
		cfg.ChannelID = "23412"
	}
	if cfg.TokenPath == "" {
		cfg.TokenPath = DefaultTokenPath
	}
	if cfg.StatusPath == "" {
		cfg.StatusPath = DefaultStatusPath
	}
	if cfg.SignPath == "" {
		cfg.SignPath = cfg.StatusPath
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg}, nil
}

type statusResponse struct {
	ResponseCode    string `json:"responseCode"`
	ResponseMessage string `json:"responseMessage"`
	AdditionalInfo  *struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Status      *int   `json:"status"`
		MerchantID  string `json:"merchantId"`
		StoreName   string `json:"storeName"`
		MID         string `json:"mid"`
		NMID        string `json:"nmid"`
	} `json:"additionalInfo"`
}

// MerchantStatus asks for the onboarding status of the merchant whose owner
// has phone (already normalised, 62…). A refusal is an *APIError with
// SpeedCash's code; a transport failure or unreadable answer wraps
// ErrNoAnswer. externalID is the X-EXTERNAL-ID to send ("" = a fresh one).
func (c *Client) MerchantStatus(ctx context.Context, phone, externalID string) (MerchantStatus, error) {
	tok, err := c.accessToken(ctx)
	if err != nil {
		return MerchantStatus{}, err
	}
	body, _ := json.Marshal(map[string]string{"notelp_pemilik": phone})
	ts := snap.Timestamp(c.cfg.Now())
	if externalID == "" {
		externalID = snap.NewExternalID()
	}
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+tok)
	hdr.Set("X-TIMESTAMP", ts)
	hdr.Set("X-PARTNER-ID", c.cfg.ClientID)
	hdr.Set("x-client-key", c.cfg.ClientID)
	// Send both names until SpeedCash says which it reads (speedcash §2.1).
	hdr.Set("X-CHANNEL-ID", c.cfg.ChannelID)
	hdr.Set("CHANNEL-ID", c.cfg.ChannelID)
	hdr.Set("X-EXTERNAL-ID", externalID)
	hdr.Set("X-SIGNATURE", snap.SignSymmetric(c.cfg.ClientSecret, http.MethodPost, c.cfg.SignPath, tok, body, ts, snap.Base64))
	status, raw, err := c.post(ctx, "merchant_status", c.cfg.StatusPath, externalID, hdr, body, body)
	if err != nil {
		return MerchantStatus{ExternalID: externalID}, err
	}
	var res statusResponse
	if err := json.Unmarshal(raw, &res); err != nil || res.ResponseCode == "" {
		return MerchantStatus{ExternalID: externalID}, fmt.Errorf("%w: HTTP %d without a SNAP body", ErrNoAnswer, status)
	}
	if res.ResponseCode != CodeSuccess {
		return MerchantStatus{ExternalID: externalID}, &APIError{HTTPStatus: status, Code: res.ResponseCode, Message: res.ResponseMessage}
	}
	if res.AdditionalInfo == nil || res.AdditionalInfo.Status == nil || *res.AdditionalInfo.Status < 0 || *res.AdditionalInfo.Status > 2 {
		return MerchantStatus{ExternalID: externalID}, fmt.Errorf("%w: success without a status 0, 1 or 2", ErrNoAnswer)
	}
	ai := res.AdditionalInfo
	return MerchantStatus{Code: res.ResponseCode, Message: res.ResponseMessage, Title: ai.Title, Description: ai.Description,
		Status: *ai.Status, MerchantID: ai.MerchantID, StoreName: ai.StoreName, MID: ai.MID, NMID: ai.NMID, ExternalID: externalID}, nil
}

// accessToken returns the cached token or requests one (speedcash §4.1).
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if c.token != "" && now.Before(c.tokenExp) {
		return c.token, nil
	}
	ts := snap.Timestamp(now)
	sig, err := snap.SignAsymmetric(c.cfg.PrivateKey, c.cfg.ClientID, ts)
	if err != nil {
		return "", fmt.Errorf("speedcash: token: %w", err)
	}
	body := []byte(`{"grantType":"client_credentials"}`)
	hdr := http.Header{}
	hdr.Set("X-TIMESTAMP", ts)
	hdr.Set("X-CLIENT-KEY", c.cfg.ClientID)
	hdr.Set("X-SIGNATURE", sig)
	status, raw, err := c.post(ctx, "token", c.cfg.TokenPath, "", hdr, body, body)
	if err != nil {
		return "", err
	}
	var res struct {
		ResponseCode    string `json:"responseCode"`
		ResponseMessage string `json:"responseMessage"`
		AccessToken     string `json:"accessToken"`
		ExpiresIn       any    `json:"expiresIn"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return "", fmt.Errorf("%w: token: HTTP %d without a SNAP body", ErrNoAnswer, status)
	}
	if status != http.StatusOK || res.AccessToken == "" {
		return "", &APIError{HTTPStatus: status, Code: res.ResponseCode, Message: res.ResponseMessage}
	}
	life := 900 * time.Second
	switch v := res.ExpiresIn.(type) {
	case float64:
		life = time.Duration(v) * time.Second
	case string:
		if d, err := time.ParseDuration(v + "s"); err == nil {
			life = d
		}
	}
	c.token, c.tokenExp = res.AccessToken, now.Add(life-time.Minute)
	return c.token, nil
}

func (c *Client) post(ctx context.Context, endpoint, path, externalID string, hdr http.Header, body, logBody []byte) (int, []byte, error) {
	start := time.Now()
	call := Call{Endpoint: endpoint, Method: http.MethodPost, Path: path, ExternalID: externalID, RequestBody: logBody}
	defer func() {
		call.Latency = time.Since(start)
		if c.cfg.Observer != nil {
			c.cfg.Observer.ObserveCall(ctx, call)
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		call.Err = err
		return 0, nil, fmt.Errorf("speedcash: %s: %w", endpoint, err)
	}
	req.Header = hdr
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		call.Err = err
		return 0, nil, fmt.Errorf("%w: %s: %v", ErrNoAnswer, endpoint, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	call.HTTPStatus = resp.StatusCode
	if err != nil {
		call.Err = err
		return resp.StatusCode, nil, fmt.Errorf("%w: %s: read: %v", ErrNoAnswer, endpoint, err)
	}
	var env snap.Response
	if json.Unmarshal(raw, &env) == nil {
		call.ResponseCode = env.ResponseCode
	}
	call.ResponseBody = raw
	if endpoint == "token" {
		// The token is a credential: keep only the envelope on record.
		call.ResponseBody, _ = json.Marshal(env)
	}
	return resp.StatusCode, raw, nil
}
