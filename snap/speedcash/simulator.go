package speedcash

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"lapak/snap"
)

// Simulator is a stand-in for SpeedCash's Merchant Status API, served over
// real HTTP (it is an http.Handler). It checks the token request's RSA
// signature, the bearer token, the mandatory headers, the HMAC signature and
// X-EXTERNAL-ID reuse per Jakarta day, exactly as a client must satisfy
// SpeedCash. Which answer a phone number gets depends on its last digit, so
// every documented code can be tried:
//
//	…0, …3 – …6  status 0 (Belum Disetujui)
//	…1           status 1 (Diterima), with merchant id, MID and NMID
//	…2           status 2 (Ditolak)
//	…7           4042300 Client Forbidden Access API
//	…8, …9       5002301 General Error
//
// A number that is not 62 + 8-13 digits gets 4002301, a missing header
// 4042301, a bad signature 4012300, a reused X-EXTERNAL-ID 4092300.
type Simulator struct {
	clientID     string
	clientSecret string
	key          *rsa.PrivateKey
	now          func() time.Time

	mu          sync.Mutex
	tokens      map[string]time.Time
	externalIDs map[string]bool // day + "|" + id
	calls       int
}

// NewSimulator returns a simulator with fresh credentials (a 2048-bit key
// pair, a random client id and secret). now nil = time.Now.
func NewSimulator(now func() time.Time) (*Simulator, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return newSimulator(key, now), nil
}

func newSimulator(key *rsa.PrivateKey, now func() time.Time) *Simulator {
	if now == nil {
		now = time.Now
	}
	return &Simulator{clientID: "sim-" + randomHex(8), clientSecret: randomHex(24), key: key, now: now,
		tokens: map[string]time.Time{}, externalIDs: map[string]bool{}}
}

// Config returns a client configuration for the simulator served at baseURL.
func (s *Simulator) Config(baseURL string) Config {
	return Config{BaseURL: baseURL, ClientID: s.clientID, ClientSecret: s.clientSecret, PrivateKey: s.key, Now: s.now}
}

// StatusCalls is how many Merchant Status requests reached the simulator.
func (s *Simulator) StatusCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	switch {
	case r.Method == http.MethodPost && r.URL.Path == DefaultTokenPath:
		s.serveToken(w, r, body)
	case r.Method == http.MethodPost && r.URL.Path == DefaultStatusPath:
		s.serveStatus(w, r, body)
	default:
		reply(w, 404, CodeBadRequest, "Bad Request", nil)
	}
}

func reply(w http.ResponseWriter, status int, code, msg string, extra map[string]any) {
	out := map[string]any{"responseCode": code, "responseMessage": msg}
	for k, v := range extra {
		out[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(out)
}

func (s *Simulator) serveToken(w http.ResponseWriter, r *http.Request, body []byte) {
	ck, ts := r.Header.Get("X-CLIENT-KEY"), r.Header.Get("X-TIMESTAMP")
	if ck != s.clientID || snap.VerifyAsymmetric(&s.key.PublicKey, ck, ts, r.Header.Get("X-SIGNATURE")) != nil {
		reply(w, 401, "4017300", "Unauthorized. Invalid Signature", nil)
		return
	}
	var req struct {
		GrantType string `json:"grantType"`
	}
	if json.Unmarshal(body, &req) != nil || req.GrantType != "client_credentials" {
		reply(w, 400, "4007301", "Invalid field format grantType", nil)
		return
	}
	tok := randomHex(24)
	s.mu.Lock()
	s.tokens[tok] = s.now().Add(15 * time.Minute)
	s.mu.Unlock()
	reply(w, 200, "2007300", "Successful", map[string]any{"accessToken": tok, "tokenType": "Bearer", "expiresIn": "900"})
}

func (s *Simulator) serveStatus(w http.ResponseWriter, r *http.Request, body []byte) {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	for _, h := range []string{"Authorization", "X-TIMESTAMP", "X-PARTNER-ID", "X-SIGNATURE", "X-EXTERNAL-ID"} {
		if r.Header.Get(h) == "" {
			reply(w, 404, CodeBadRequest, "Bad Request", nil)
			return
		}
	}
	if r.Header.Get("X-CHANNEL-ID") == "" && r.Header.Get("CHANNEL-ID") == "" {
		reply(w, 404, CodeBadRequest, "Bad Request", nil)
		return
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	exp, ok := s.tokens[tok]
	s.mu.Unlock()
	if !ok || s.now().After(exp) || r.Header.Get("X-PARTNER-ID") != s.clientID {
		// Not documented for this endpoint; SpeedCash's nearest code.
		reply(w, 404, CodeForbidden, "Unauthorized. Client Forbidden Access API", nil)
		return
	}
	ts := r.Header.Get("X-TIMESTAMP")
	if snap.VerifySymmetric(s.clientSecret, r.Method, r.URL.Path, tok, body, ts, r.Header.Get("X-SIGNATURE"), snap.Base64) != nil {
		reply(w, 401, CodeBadSignature, "Unauthorized. Invalid Signature", nil)
		return
	}
	key := snap.Timestamp(s.now())[:10] + "|" + r.Header.Get("X-EXTERNAL-ID")
	s.mu.Lock()
	dup := s.externalIDs[key]
	s.externalIDs[key] = true
	s.mu.Unlock()
	if dup {
		reply(w, 409, CodeDuplicateExternalID, "Cannot use same X-EXTERNAL-ID in same day", nil)
		return
	}
	var req struct {
		Phone string `json:"notelp_pemilik"`
	}
	if json.Unmarshal(body, &req) != nil {
		reply(w, 400, CodeInvalidField, "Invalid field format body", nil)
		return
	}
	if p, err := snap.ParsePhone(req.Phone); err != nil || p.International() != req.Phone {
		reply(w, 400, CodeInvalidField, "Invalid field format notelp_pemilik", nil)
		return
	}
	last := req.Phone[len(req.Phone)-1]
	info := map[string]any{"merchantId": "121" + req.Phone[len(req.Phone)-4:], "storeName": "Toko " + req.Phone[len(req.Phone)-4:]}
	switch last {
	case '7':
		reply(w, 404, CodeForbidden, "Unauthorized. Client Forbidden Access API", nil)
		return
	case '8', '9':
		reply(w, 500, CodeGeneralError, "General Error", nil)
		return
	case '1':
		info["title"], info["description"], info["status"] = "Berhasil", "Hore kamu berhasil jadi merchant speedcash lho", StatusAccepted
		info["mid"], info["nmid"] = "ID8273548"+req.Phone[len(req.Phone)-4:], "ID23465"+req.Phone[len(req.Phone)-4:]
	case '2':
		info["title"], info["description"], info["status"] = "Ditolak", "Dokumen KYC tidak sesuai", StatusRejected
	default:
		info["title"], info["description"], info["status"] = "Belum Disetujui", "Pendaftaran sedang ditinjau", StatusPending
	}
	reply(w, 200, CodeSuccess, "Successful", map[string]any{"additionalInfo": info})
}
