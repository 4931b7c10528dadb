package sandbox

import (
	"bytes"
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"lapak/snap"
)

// reply is one API answer: HTTP status and a JSON body. Netzme sets the HTTP
// status to the first three digits of responseCode (spec §2.13).
type reply struct {
	status int
	body   any
}

// fail builds a SNAP error answer for service code svc.
func fail(status int, svc, caseCode, msg string) *reply {
	return &reply{status: status, body: snap.Response{ResponseCode: snap.MakeCode(status, svc, caseCode), ResponseMessage: msg}}
}

// failRef is fail echoing partnerReferenceNo, as the create-pin error example does (spec §3.1).
func failRef(status int, svc, caseCode, msg, partnerRef string) *reply {
	return &reply{status: status, body: struct {
		snap.Response
		PartnerReferenceNo string `json:"partnerReferenceNo,omitempty"`
	}{snap.Response{ResponseCode: snap.MakeCode(status, svc, caseCode), ResponseMessage: msg}, partnerRef}}
}

func success(svc string) snap.Response {
	return snap.Response{ResponseCode: snap.MakeCode(http.StatusOK, svc, "00"), ResponseMessage: "Successful"}
}

func ok(body any) *reply { return &reply{status: http.StatusOK, body: body} }

// mandatory is the SNAP "400xx02 Invalid Mandatory Field {field}" answer.
func mandatory(svc, field string) *reply {
	return fail(http.StatusBadRequest, svc, "02", "Invalid Mandatory Field "+field)
}

// badFormat is the SNAP "400xx01 Invalid Field Format {field}" answer.
func badFormat(svc, field string) *reply {
	return fail(http.StatusBadRequest, svc, "01", "Invalid Field Format "+field)
}

func serverError(svc string) *reply {
	return fail(http.StatusInternalServerError, svc, "00", "General Error")
}

// call is one authenticated service request.
type call struct {
	s          *Sandbox
	ctx        context.Context
	svc        string
	body       []byte
	externalID string
	now        time.Time
}

// decode unmarshals the body into the endpoint's own wire struct. Like the
// Go gateway (spec §2.12) keys match case-insensitively and unknown fields
// are ignored.
func (c *call) decode(v any) *reply {
	if err := json.Unmarshal(c.body, v); err != nil {
		return fail(http.StatusBadRequest, c.svc, "00", "Invalid Request body")
	}
	return nil
}

// require answers 400xx02 for the first empty field, in order.
func (c *call) require(fields ...string) *reply {
	for i := 0; i+1 < len(fields); i += 2 {
		if strings.TrimSpace(fields[i+1]) == "" {
			return mandatory(c.svc, fields[i])
		}
	}
	return nil
}

// amount parses a request amount object: value in SNAP decimal form
// ("50000.00" or "50000"), currency IDR.
func (c *call) amount(field string, a *wAmount, positive bool) (int64, *reply) {
	if a == nil || a.Value == "" {
		return 0, mandatory(c.svc, field+".value")
	}
	if a.Currency == "" {
		return 0, mandatory(c.svc, field+".currency")
	}
	if a.Currency != "IDR" {
		return 0, badFormat(c.svc, field+".currency")
	}
	if !plainDecimal(a.Value) {
		return 0, badFormat(c.svc, field+".value")
	}
	v, err := snap.ParseAmount(a.Value)
	if err != nil || v < 0 || (positive && v == 0) {
		return 0, badFormat(c.svc, field+".value")
	}
	return v, nil
}

// plainDecimal accepts digits with at most two decimals: request amounts
// never carry the legacy "IDR 1.00" form (spec §2.12).
func plainDecimal(s string) bool {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || !digits(intPart) {
		return false
	}
	return !hasDot || (len(frac) >= 1 && len(frac) <= 2 && digits(frac))
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

type wAmount struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
}

// service wraps an endpoint handler with the checks every Toko service call
// gets (spec §2.3, §2.7, §2.10, §2.11), in the order the 2023 gateway runs them.
func (s *Sandbox) service(svc string, h func(*call) *reply) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			writeReply(w, fail(http.StatusBadRequest, svc, "00", "Invalid Request body"))
			return
		}
		// §2.2: v1.0 and v2.0; routes with a fixed version have no {v}.
		if v := r.PathValue("v"); v != "" && v != "v1.0" && v != "v2.0" {
			writeReply(w, fail(http.StatusNotFound, svc, "00", "resource not found"))
			return
		}
		c, rep := s.authenticate(r, body, svc)
		if rep == nil {
			rep = h(c)
		}
		writeReply(w, rep)
	})
}

func (s *Sandbox) authenticate(r *http.Request, body []byte, svc string) (*call, *reply) {
	// Exactly application/json: the gateway rejects "; charset=utf-8" (spec §2.3).
	if r.Header.Get("Content-Type") != "application/json" {
		return nil, mandatory(svc, "Content-Type")
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return nil, fail(http.StatusBadRequest, svc, "02", "bearer authorization is required")
	}
	scheme, token, found := strings.Cut(auth, " ")
	if !found || (scheme != "Bearer" && scheme != "bearer") || token == "" {
		return nil, fail(http.StatusBadRequest, svc, "02", "bearer authorization format invalid")
	}
	ts := r.Header.Get("X-TIMESTAMP")
	if ts == "" {
		return nil, mandatory(svc, "X-TIMESTAMP")
	}
	if len(ts) > 25 {
		return nil, fail(http.StatusBadRequest, svc, "01", "the field timestamp must be a string or array type with a maximum length of '25'")
	}
	t, err := snap.ParseTimestamp(ts)
	if err != nil {
		return nil, fail(http.StatusBadRequest, svc, "01", "invalid Field Format Timestamp")
	}
	sig := r.Header.Get("X-SIGNATURE")
	if sig == "" {
		return nil, mandatory(svc, "X-SIGNATURE")
	}
	partner := r.Header.Get("X-PARTNER-ID")
	if partner == "" {
		return nil, mandatory(svc, "X-PARTNER-ID")
	}
	ext := r.Header.Get("X-EXTERNAL-ID")
	if ext == "" {
		return nil, mandatory(svc, "X-EXTERNAL-ID")
	}
	if len(ext) > 36 {
		return nil, fail(http.StatusBadRequest, svc, "02", "X-EXTERNAL-ID is out of range, maximum 36 char")
	}
	if !digits(ext) {
		// The gateway really answers 409 for this (spec §2.13).
		return nil, fail(http.StatusConflict, svc, "00", "character X-EXTERNAL-ID is numeric only")
	}
	if r.Header.Get("CHANNEL-ID") == "" {
		return nil, mandatory(svc, "CHANNEL-ID")
	}
	if subtle.ConstantTimeCompare([]byte(partner), []byte(s.id.ClientID)) != 1 {
		return nil, fail(http.StatusUnauthorized, svc, "01", "Unauthorized. X-PARTNER-ID is Invalid")
	}
	now := s.now()
	if !s.tokenValid(r.Context(), token, now) {
		return nil, fail(http.StatusUnauthorized, svc, "01", "Access Token Invalid")
	}
	if d := now.Sub(t); d > s.skew() || d < -s.skew() {
		// guess, spec §2.11: skew tolerance and its error code are not documented.
		return nil, fail(http.StatusBadRequest, svc, "01", "Invalid Field Format X-TIMESTAMP")
	}
	if len(body) == 0 {
		return nil, fail(http.StatusBadRequest, svc, "01", "body is required")
	}
	if err := snap.VerifySymmetric(s.id.ClientSecret, r.Method, r.RequestURI, token, netzmeMinify(body), ts, sig, snap.Hex); err != nil {
		return nil, fail(http.StatusUnauthorized, svc, "00", "Unauthorized Signature")
	}
	if !json.Valid(body) {
		return nil, fail(http.StatusBadRequest, svc, "00", "Invalid Request body")
	}
	if rep := s.claimExternalID(r.Context(), ext, now, svc); rep != nil {
		return nil, rep
	}
	return &call{s: s, ctx: r.Context(), svc: svc, body: body, externalID: ext, now: now}, nil
}

func (s *Sandbox) skew() time.Duration {
	if s.opts.TimestampSkew > 0 {
		return s.opts.TimestampSkew
	}
	return 5 * time.Minute
}

// claimExternalID enforces "unique for every request within the same
// calendar day" (spec §2.10) with the SNAP answer 409xx00 Conflict (snap §5.1).
func (s *Sandbox) claimExternalID(ctx context.Context, ext string, now time.Time, svc string) *reply {
	day := now.In(snap.Jakarta).Format("2006-01-02")
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.db.ExecContext(ctx, `INSERT INTO external_ids (client_id, day, external_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, s.id.ClientID, day, ext)
	if err != nil {
		s.log.Error("sandbox: external id", "err", err)
		return serverError(svc)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fail(http.StatusConflict, svc, "00", "Conflict")
	}
	return nil
}

func (s *Sandbox) tokenValid(ctx context.Context, token string, now time.Time) bool {
	var client string
	var exp int64
	err := s.rdb.QueryRowContext(ctx, `SELECT client_id, expires_at FROM tokens WHERE token = ?`, token).Scan(&client, &exp)
	if err != nil {
		return false
	}
	return client == s.id.ClientID && ms(now) < exp
}

func writeReply(w http.ResponseWriter, rep *reply) {
	b, err := json.Marshal(rep.body)
	if err != nil {
		rep = fail(http.StatusInternalServerError, "00", "00", "General Error")
		b, _ = json.Marshal(rep.body)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	w.Write(b)
}

// netzmeMinify reproduces what Netzme's gateway hashes (spec §2.7): the body
// re-minified by tdewolff/minify, which removes whitespace and also rewrites
// JSON numbers (1000→1e3, 1.50→1.5, 1.0→1). A client that sends such
// numbers therefore fails the signature check here, as it would at Netzme.
func netzmeMinify(body []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, body) != nil {
		return body
	}
	in := buf.Bytes()
	out := make([]byte, 0, len(in))
	inString := false
	for i := 0; i < len(in); i++ {
		ch := in[i]
		if inString {
			out = append(out, ch)
			if ch == '\\' && i+1 < len(in) {
				i++
				out = append(out, in[i])
			} else if ch == '"' {
				inString = false
			}
			continue
		}
		if ch == '"' {
			inString = true
			out = append(out, ch)
			continue
		}
		if ch == '-' || (ch >= '0' && ch <= '9') {
			j := i
			for j < len(in) && strings.IndexByte("+-.eE0123456789", in[j]) >= 0 {
				j++
			}
			out = append(out, minifyNumber(string(in[i:j]))...)
			i = j - 1
			continue
		}
		out = append(out, ch)
	}
	return out
}

// minifyNumber shortens a plain JSON number the way tdewolff/minify v2.12
// does for the cases the spec verified: trailing fractional zeros go, and an
// integer with three or more trailing zeros becomes mantissa + "e" + count.
func minifyNumber(n string) string {
	if strings.ContainsAny(n, "eE") {
		return n
	}
	sign := ""
	if strings.HasPrefix(n, "-") {
		sign, n = "-", n[1:]
	}
	if i, f, ok := strings.Cut(n, "."); ok {
		f = strings.TrimRight(f, "0")
		if f != "" {
			return sign + i + "." + f
		}
		n = i
	}
	trimmed := strings.TrimRight(n, "0")
	zeros := len(n) - len(trimmed)
	if trimmed == "" {
		return sign + "0"
	}
	if exp := fmt.Sprint(zeros); zeros > 0 && len(trimmed)+1+len(exp) < len(n) {
		return sign + trimmed + "e" + exp
	}
	return sign + n
}

var errNotFound = errors.New("sandbox: not found")

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
