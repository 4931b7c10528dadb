package sandbox

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"lapak/snap"
)

// tokenTTL is the access-token lifetime (spec §2.5: 54000 s).
func (s *Sandbox) tokenTTL() time.Duration {
	if s.opts.TokenTTL > 0 {
		return s.opts.TokenTTL
	}
	return 54000 * time.Second
}

type wTokenRequest struct {
	GrantType      string          `json:"grantType"`
	AdditionalInfo json.RawMessage `json:"additionalInfo"`
}

type wTokenResponse struct {
	snap.Response
	AccessToken    string          `json:"accessToken"`
	TokenType      string          `json:"tokenType"`
	ExpiresIn      string          `json:"expiresIn"`
	AdditionalInfo json.RawMessage `json:"additionalInfo,omitempty"`
}

// handleToken is POST /api/v1/access-token/b2b (spec §2.5, §2.6), with the
// gateway's own error texts and codes.
func (s *Sandbox) handleToken(w http.ResponseWriter, r *http.Request) {
	const svc = "73"
	if v := r.PathValue("v"); v != "v1" && v != "v2" {
		writeReply(w, fail(http.StatusNotFound, svc, "00", "resource not found"))
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	bad := func(msg string) *reply { return fail(http.StatusBadRequest, "00", "00", msg) }
	rep := func() *reply {
		if r.Header.Get("Content-Type") != "application/json" {
			// HTTP 415 with a 400 code: the gateway's own mismatch (spec §2.5).
			return &reply{status: http.StatusUnsupportedMediaType, body: snap.Response{ResponseCode: "4000000", ResponseMessage: "Content Type application/json is required."}}
		}
		ts := r.Header.Get("X-TIMESTAMP")
		if ts == "" {
			return bad("The timestamp field is required.")
		}
		if len(ts) > 25 {
			return bad("The field timestamp must be a string or array type with a maximum length of '25'.")
		}
		t, err := snap.ParseTimestamp(ts)
		if err != nil {
			return fail(http.StatusBadRequest, svc, "01", "invalid Field Format Timestamp")
		}
		clientKey := r.Header.Get("X-CLIENT-KEY")
		if clientKey == "" {
			return bad("The clientId field is required.")
		}
		sig := r.Header.Get("X-SIGNATURE")
		if sig == "" {
			return bad("The signature field is required.")
		}
		if subtle.ConstantTimeCompare([]byte(clientKey), []byte(s.id.ClientID)) != 1 {
			return fail(http.StatusUnauthorized, "00", "00", "Invalid Client Key")
		}
		now := s.now()
		if d := now.Sub(t); d > s.skew() || d < -s.skew() {
			// guess, spec §2.11: skew tolerance not documented.
			return fail(http.StatusBadRequest, svc, "01", "Invalid Field Format X-TIMESTAMP")
		}
		if err := snap.VerifyAsymmetric(s.pub, clientKey, ts, sig); err != nil {
			return fail(http.StatusUnauthorized, svc, "00", "Invalid Token (B2B)")
		}
		var req wTokenRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return fail(http.StatusBadRequest, svc, "00", "Bad Request")
		}
		if req.GrantType == "" {
			return fail(http.StatusBadRequest, svc, "02", "Bad Request. The grantType field is required.")
		}
		if req.GrantType != "client_credentials" {
			return fail(http.StatusBadRequest, svc, "00", "grant_type must be set to client_credentials")
		}
		token, left, err := s.issueToken(r.Context(), now)
		if err != nil {
			s.log.Error("sandbox: issue token", "err", err)
			return serverError(svc)
		}
		info := req.AdditionalInfo
		if string(info) == "null" {
			info = nil
		}
		return ok(wTokenResponse{
			Response:       snap.Response{ResponseCode: "2007300", ResponseMessage: "Successful"},
			AccessToken:    token,
			TokenType:      "Bearer",
			ExpiresIn:      strconv.FormatInt(int64(left/time.Second), 10),
			AdditionalInfo: info,
		})
	}()
	writeReply(w, rep)
}

// issueToken returns the client's current token, or a new one when none is
// valid: the gateway caches one token per client and hands the same one back
// with the remaining lifetime (spec §2.5).
func (s *Sandbox) issueToken(ctx context.Context, now time.Time) (string, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var token string
	var exp int64
	err := s.db.QueryRowContext(ctx, `SELECT token, expires_at FROM tokens WHERE client_id = ? AND expires_at > ? ORDER BY expires_at DESC LIMIT 1`,
		s.id.ClientID, ms(now)).Scan(&token, &exp)
	if err == nil {
		return token, fromMS(exp).Sub(now), nil
	}
	if !isNoRows(err) {
		return "", 0, err
	}
	ttl := s.tokenTTL()
	// A JWT-shaped opaque token like Netzme's HS512 JWT (spec §2.5); the
	// sandbox checks it by lookup, so its signature part is just random.
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS512","typ":"JWT"}`))
	claims := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"exp":%d,"iat":%d,"iss":%q}`, now.Add(ttl).Unix(), now.Unix(), s.id.ClientID))
	token = hdr + "." + claims + "." + base64.RawURLEncoding.EncodeToString([]byte(randHex(32)))
	if _, err := s.db.ExecContext(ctx, `INSERT INTO tokens (token, client_id, issued_at, expires_at) VALUES (?, ?, ?, ?)`,
		token, s.id.ClientID, ms(now), ms(now.Add(ttl))); err != nil {
		return "", 0, err
	}
	return token, ttl, nil
}

// RevokeTokens invalidates every issued token, as a Netzme-side rotation
// would; clients must refresh on the next 401xx01 (spec §2.5).
func (s *Sandbox) RevokeTokens(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.db.ExecContext(ctx, `DELETE FROM tokens`)
	return err
}
