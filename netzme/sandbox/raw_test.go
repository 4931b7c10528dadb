package sandbox_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"lapak/internal/clocktest"
	"lapak/netzme"
	"lapak/netzme/sandbox"
	"lapak/netzme/sandbox/sandboxtest"
	"lapak/snap"
)

// rawClient speaks the wire protocol by hand so tests can break it on purpose.
type rawClient struct {
	t     *testing.T
	srv   *sandboxtest.Server
	id    sandbox.Identity
	now   func() time.Time
	token string
}

func newRaw(t *testing.T, srv *sandboxtest.Server, now func() time.Time) *rawClient {
	if now == nil {
		now = time.Now
	}
	return &rawClient{t: t, srv: srv, id: srv.Sandbox.Identity(), now: now}
}

type rawResp struct {
	Status int
	Code   string
	Msg    string
	Body   map[string]any
}

func (rc *rawClient) do(req *http.Request) rawResp {
	rc.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		rc.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	code, _ := body["responseCode"].(string)
	msg, _ := body["responseMessage"].(string)
	return rawResp{resp.StatusCode, code, msg, body}
}

func (rc *rawClient) tokenRequest(mut func(r *http.Request)) rawResp {
	rc.t.Helper()
	ts := snap.Timestamp(rc.now())
	key, err := snap.ParsePrivateKey(rc.id.PrivateKeyPEM)
	if err != nil {
		rc.t.Fatal(err)
	}
	sig, err := snap.SignAsymmetric(key, rc.id.ClientID, ts)
	if err != nil {
		rc.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, rc.srv.URL+"/api/v1/access-token/b2b", strings.NewReader(`{"grantType":"client_credentials","additionalInfo":{}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-TIMESTAMP", ts)
	req.Header.Set("X-CLIENT-KEY", rc.id.ClientID)
	req.Header.Set("X-SIGNATURE", sig)
	if mut != nil {
		mut(req)
	}
	return rc.do(req)
}

func (rc *rawClient) login() {
	rc.t.Helper()
	r := rc.tokenRequest(nil)
	if r.Code != "2007300" {
		rc.t.Fatalf("token: %+v", r)
	}
	rc.token = r.Body["accessToken"].(string)
}

// service builds a correctly signed service request; mut may break it
// afterwards (re-signing is the caller's business).
func (rc *rawClient) service(path, body string, mut func(r *http.Request)) rawResp {
	rc.t.Helper()
	ts := snap.Timestamp(rc.now())
	req, _ := http.NewRequest(http.MethodPost, rc.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+rc.token)
	req.Header.Set("X-TIMESTAMP", ts)
	req.Header.Set("X-SIGNATURE", snap.SignSymmetric(rc.id.ClientSecret, http.MethodPost, path, rc.token, []byte(body), ts, snap.Hex))
	req.Header.Set("X-PARTNER-ID", rc.id.ClientID)
	req.Header.Set("X-EXTERNAL-ID", snap.NewExternalID())
	req.Header.Set("CHANNEL-ID", sandbox.ChannelID)
	if mut != nil {
		mut(req)
	}
	return rc.do(req)
}

// resign recomputes X-SIGNATURE for the request as it now stands.
func (rc *rawClient) resign(r *http.Request, body string) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	r.Header.Set("X-SIGNATURE", snap.SignSymmetric(rc.id.ClientSecret, r.Method, r.URL.RequestURI(), tok, []byte(body), r.Header.Get("X-TIMESTAMP"), snap.Hex))
}

func TestRawServiceHeaderChecks(t *testing.T) {
	t.Parallel()
	srv := sandboxtest.NewServer(t)
	rc := newRaw(t, srv, nil)
	rc.login()
	const path = "/api/v1.0/payment/balance-inquiry"
	body := `{"partnerReferenceNo":"raw-1","accountNo":"` + srv.Sandbox.DemoMerchant().CustID + `"}`
	set := func(h, v string) func(*http.Request) { return func(r *http.Request) { r.Header.Set(h, v) } }
	del := func(h string) func(*http.Request) { return func(r *http.Request) { r.Header.Del(h) } }
	tests := []struct {
		name   string
		mut    func(*http.Request)
		status int
		code   string
		msg    string
	}{
		{"valid", nil, 200, "2001100", "Successful"},
		{"content type with charset", set("Content-Type", "application/json; charset=utf-8"), 400, "4001102", "Invalid Mandatory Field Content-Type"},
		{"no authorization", del("Authorization"), 400, "4001102", "bearer authorization is required"},
		{"token without Bearer", func(r *http.Request) { r.Header.Set("Authorization", rc.token) }, 400, "4001102", "bearer authorization format invalid"},
		{"no timestamp", del("X-TIMESTAMP"), 400, "4001102", "Invalid Mandatory Field X-TIMESTAMP"},
		{"timestamp with milliseconds", set("X-TIMESTAMP", "2024-01-02T10:00:00.123+07:00"), 400, "4001101", "the field timestamp must be a string or array type with a maximum length of '25'"},
		{"timestamp not RFC 3339", set("X-TIMESTAMP", "2024-01-02 10:00:00"), 400, "4001101", "invalid Field Format Timestamp"},
		{"no signature", del("X-SIGNATURE"), 400, "4001102", "Invalid Mandatory Field X-SIGNATURE"},
		{"no partner id", del("X-PARTNER-ID"), 400, "4001102", "Invalid Mandatory Field X-PARTNER-ID"},
		{"other partner id", set("X-PARTNER-ID", "intruder"), 401, "4011101", "Unauthorized. X-PARTNER-ID is Invalid"},
		{"no external id", del("X-EXTERNAL-ID"), 400, "4001102", "Invalid Mandatory Field X-EXTERNAL-ID"},
		{"external id not numeric", set("X-EXTERNAL-ID", "abc123"), 409, "4091100", "character X-EXTERNAL-ID is numeric only"},
		{"external id too long", set("X-EXTERNAL-ID", strings.Repeat("1", 37)), 400, "4001102", "X-EXTERNAL-ID is out of range, maximum 36 char"},
		{"no channel id", del("CHANNEL-ID"), 400, "4001102", "Invalid Mandatory Field CHANNEL-ID"},
		{"unknown token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, 401, "4011101", "Access Token Invalid"},
		{"base64 signature (standard SNAP, not Netzme)", func(r *http.Request) {
			r.Header.Set("X-SIGNATURE", snap.SignSymmetric(rc.id.ClientSecret, "POST", path, rc.token, []byte(body), r.Header.Get("X-TIMESTAMP"), snap.Base64))
		}, 401, "4011100", "Unauthorized Signature"},
		{"signature over another path", func(r *http.Request) {
			r.Header.Set("X-SIGNATURE", snap.SignSymmetric(rc.id.ClientSecret, "POST", "/api/v2.0/payment/balance-inquiry", rc.token, []byte(body), r.Header.Get("X-TIMESTAMP"), snap.Hex))
		}, 401, "4011100", "Unauthorized Signature"},
		{"skewed timestamp, correctly signed", func(r *http.Request) {
			r.Header.Set("X-TIMESTAMP", snap.Timestamp(time.Now().Add(-10*time.Minute)))
			rc.resign(r, body)
		}, 400, "4001101", "Invalid Field Format X-TIMESTAMP"},
		{"UTC timestamp inside the window", func(r *http.Request) {
			r.Header.Set("X-TIMESTAMP", time.Now().UTC().Format("2006-01-02T15:04:05+00:00"))
			rc.resign(r, body)
		}, 200, "2001100", "Successful"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rc.service(path, body, tt.mut)
			if got.Status != tt.status || got.Code != tt.code || got.Msg != tt.msg {
				t.Errorf("got %d %s %q, want %d %s %q", got.Status, got.Code, got.Msg, tt.status, tt.code, tt.msg)
			}
		})
	}
}

func TestRawBodyChecks(t *testing.T) {
	t.Parallel()
	srv := sandboxtest.NewServer(t)
	rc := newRaw(t, srv, nil)
	rc.login()
	cust := srv.Sandbox.DemoMerchant().CustID
	tests := []struct {
		name, path, body string
		status           int
		code, msg        string
	}{
		{"empty body", "/api/v1.0/payment/balance-inquiry", "", 400, "4001101", "body is required"},
		{"not JSON", "/api/v1.0/payment/balance-inquiry", "{nope", 400, "4001100", "Invalid Request body"},
		{"missing accountNo", "/api/v1.0/payment/balance-inquiry", `{"partnerReferenceNo":"x"}`, 400, "4001102", "Invalid Mandatory Field accountNo"},
		{"create pin wrong type", "/api/v1.0/merchant/create-pin", `{"custIdMerchant":"` + cust + `","partnerReferenceNo":"x","additionalInfo":{"pin":"` + strings.Repeat("a", 64) + `","type":"created_pin"}}`, 400, "4000001", "Invalid Field Format type"},
		{"create pin clear PIN", "/api/v1.0/merchant/create-pin", `{"custIdMerchant":"` + cust + `","partnerReferenceNo":"x","additionalInfo":{"pin":"123456","type":"create_pin"}}`, 400, "4000001", "Invalid Field Format pin"},
		{"invoice amount as float text", "/api/v1.0/invoice/create-transaction", `{"custIdMerchant":"` + cust + `","partnerReferenceNo":"x1","amount":{"value":"1e3","currency":"IDR"},"amountDetail":{"basicAmount":{"value":"1000.00","currency":"IDR"},"shippingAmount":{"value":"0.00","currency":"IDR"}},"payMethod":"QRIS"}`, 400, "4004701", "Invalid Field Format amount.value"},
		{"invoice without amountDetail", "/api/v1.0/invoice/create-transaction", `{"custIdMerchant":"` + cust + `","partnerReferenceNo":"x2","amount":{"value":"1000.00","currency":"IDR"},"payMethod":"QRIS"}`, 400, "4004702", "Invalid Mandatory Field amountDetail"},
		{"invoice amount not basic + shipping", "/api/v1.0/invoice/create-transaction", `{"custIdMerchant":"` + cust + `","partnerReferenceNo":"x3","amount":{"value":"1000.00","currency":"IDR"},"amountDetail":{"basicAmount":{"value":"1000.00","currency":"IDR"},"shippingAmount":{"value":"500.00","currency":"IDR"}},"payMethod":"QRIS"}`, 400, "4004701", "Invalid Field Format amount"},
		{"topup amount not basic + shipping", "/api/v1.0/invoice/create-transaction", `{"custIdMerchant":"` + cust + `","partnerReferenceNo":"x4","amount":{"value":"1500.00","currency":"IDR"},"amountDetail":{"basicAmount":{"value":"1000.00","currency":"IDR"},"shippingAmount":{"value":"0.00","currency":"IDR"}},"payMethod":"QRIS","additionalInfo":{"apiSource":"topup_deposit"}}`, 400, "4004701", "Invalid Field Format amount"},
		{"deduct in USD", "/api/v1.0/merchant/payment-notif", `{"referenceNo":"r","partnerReferenceNo":"p","amount":{"value":"20000.00","currency":"USD"},"feeAmount":{"value":"100","currency":"USD"},"additionalInfo":{"custIdMerchant":"` + cust + `","sku":"a","productName":"b","paymentStatus":"SUCCESS","payMethod":"QRIS","bankName":"BCA","type":"payment_notification_to_split_fee"}}`, 404, "4040024", "Invalid Currency."},
		{"unknown version", "/api/v3.0/payment/balance-inquiry", `{}`, 404, "4041100", "resource not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rc.service(tt.path, tt.body, nil)
			if got.Status != tt.status || got.Code != tt.code || got.Msg != tt.msg {
				t.Errorf("got %d %s %q, want %d %s %q", got.Status, got.Code, got.Msg, tt.status, tt.code, tt.msg)
			}
		})
	}
}

// Netzme re-minifies numbers before hashing (spec §2.7): a body with 1000
// signed as sent fails there, so it fails here; 0 and 600 survive.
func TestRawNumberMinifyQuirk(t *testing.T) {
	t.Parallel()
	srv := sandboxtest.NewServer(t)
	rc := newRaw(t, srv, nil)
	rc.login()
	cust := srv.Sandbox.DemoMerchant().CustID
	mk := func(ref, commission string) string {
		return `{"custIdMerchant":"` + cust + `","partnerReferenceNo":"` + ref + `","amount":{"value":"50000.00","currency":"IDR"},"commissionPercentage":` + commission + `}`
	}
	if got := rc.service("/api/v1.0/invoice/create", mk("q1", "0"), nil); got.Code != "2000000" {
		t.Errorf("commission 0: %+v", got)
	}
	if got := rc.service("/api/v1.0/invoice/create", mk("q2", "10.0"), nil); got.Status != 401 || got.Code != "4010000" {
		t.Errorf("commission 10.0 signed as sent: got %d %s, want 401 4010000", got.Status, got.Code)
	}
}

func TestRawExternalIDReuseAndExpiredToken(t *testing.T) {
	t.Parallel()
	clk := &clock{t: clocktest.Base(t)}
	srv := sandboxtest.NewServer(t, func(o *sandbox.Options) { o.Now = clk.Now; o.TokenTTL = time.Hour })
	rc := newRaw(t, srv, clk.Now)
	rc.login()
	path := "/api/v1.0/payment/balance-inquiry"
	body := `{"partnerReferenceNo":"raw","accountNo":"` + srv.Sandbox.DemoMerchant().CustID + `"}`
	fixed := func(r *http.Request) { r.Header.Set("X-EXTERNAL-ID", "12345678901234567890") }
	if got := rc.service(path, body, fixed); got.Code != "2001100" {
		t.Fatalf("first use: %+v", got)
	}
	if got := rc.service(path, body, fixed); got.Status != 409 || got.Code != "4091100" || got.Msg != "Conflict" {
		t.Errorf("reuse same day: %+v", got)
	}
	// A repeated token request returns the same token with less time left (spec §2.5).
	clk.Add(10 * time.Minute)
	again := rc.tokenRequest(nil)
	if again.Body["accessToken"] != rc.token || again.Body["expiresIn"] != "3000" {
		t.Errorf("second token request: token same %v, expiresIn %v", again.Body["accessToken"] == rc.token, again.Body["expiresIn"])
	}
	clk.Add(time.Hour)
	if got := rc.service(path, body, nil); got.Status != 401 || got.Code != "4011101" || got.Msg != "Access Token Invalid" {
		t.Errorf("expired token: %+v", got)
	}
	// Next Jakarta day, the old external id is free again, with a new token.
	clk.Add(24 * time.Hour)
	rc.login()
	if got := rc.service(path, body, fixed); got.Code != "2001100" {
		t.Errorf("reuse next day: %+v", got)
	}
}

func TestRawTokenChecks(t *testing.T) {
	t.Parallel()
	srv := sandboxtest.NewServer(t)
	rc := newRaw(t, srv, nil)
	other := newRaw(t, srv, nil)
	other.id.PrivateKeyPEM = otherKeyPEM(t)
	set := func(h, v string) func(*http.Request) { return func(r *http.Request) { r.Header.Set(h, v) } }
	body := func(b string) func(*http.Request) {
		return func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(b))
			r.ContentLength = int64(len(b))
		}
	}
	tests := []struct {
		name   string
		rc     *rawClient
		mut    func(*http.Request)
		status int
		code   string
	}{
		{"valid", rc, nil, 200, "2007300"},
		{"form content type", rc, set("Content-Type", "application/x-www-form-urlencoded"), 415, "4000000"},
		{"no timestamp", rc, set("X-TIMESTAMP", ""), 400, "4000000"},
		{"no client key", rc, set("X-CLIENT-KEY", ""), 400, "4000000"},
		{"unknown client", rc, set("X-CLIENT-KEY", "stranger"), 401, "4010000"},
		{"no signature", rc, set("X-SIGNATURE", ""), 400, "4000000"},
		{"signed with another key", other, nil, 401, "4017300"},
		{"grant type missing", rc, body(`{"additionalInfo":{}}`), 400, "4007302"},
		{"grant type wrong", rc, body(`{"grantType":"password"}`), 400, "4007300"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.rc.tokenRequest(tt.mut)
			if got.Status != tt.status || got.Code != tt.code {
				t.Errorf("got %d %s %q, want %d %s", got.Status, got.Code, got.Msg, tt.status, tt.code)
			}
		})
	}
	ok := rc.tokenRequest(nil)
	// The same token comes back with its remaining lifetime, a string (spec §2.5).
	if left, _ := strconv.Atoi(fmt.Sprint(ok.Body["expiresIn"])); ok.Body["tokenType"] != "Bearer" || left < 53900 || left > 54000 {
		t.Errorf("token response = %v", ok.Body)
	}
	if _, isObj := ok.Body["additionalInfo"].(map[string]any); !isObj {
		t.Errorf("additionalInfo not echoed: %v", ok.Body)
	}
}

// Get Transaction List (§3.4) is served only where the page documents it
// (/api-qris/v2.0) and at the QA tool's path, each reading the merchant where
// its variant puts it; the client's two variants both work.
func TestTransactionListPaths(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	it := e.qrisInvoice(t, 2_500_000)
	if _, err := e.sb.PayInvoice(ctx, it.TrxID, 0); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, variant := range []netzme.TransactionListVariant{"", netzme.TransactionListDocumented, netzme.TransactionListQA} {
		cfg := e.srv.Config()
		cfg.TransactionList = variant
		c, err := netzme.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		page, err := c.TransactionList(ctx, netzme.TransactionListRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID,
			From: now.Add(-time.Hour), To: now.Add(time.Hour)})
		if err != nil || len(page.Transactions) != 1 || page.Transactions[0].AmountMinor != 2_500_000 {
			t.Errorf("variant %q: %+v, %v", variant, page.Transactions, err)
		}
	}
	reqs := e.sb.Requests()
	var paths []string
	for _, r := range reqs {
		if r.Endpoint == string(netzme.EndpointTransactionList) {
			paths = append(paths, r.Path)
		}
	}
	want := []string{"/api-qris/v2.0/transaction/history-list", "/api-qris/v2.0/transaction/history-list", "/api/v1.0/transaction/history-list"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("paths called = %v, want %v", paths, want)
	}

	rc := newRaw(t, e.srv, nil)
	rc.login()
	from, to := snap.Timestamp(now.Add(-time.Hour)), snap.Timestamp(now.Add(time.Hour))
	nested := fmt.Sprintf(`{"pageNumber":"1","partnerReferenceNo":"%s","fromDateTime":"%s","toDateTime":"%s","additionalInfo":{"custIdMerchant":"%s"}}`, ref(), from, to, e.demo.CustID)
	top := fmt.Sprintf(`{"pageNumber":"1","partnerReferenceNo":"%s","fromDateTime":"%s","toDateTime":"%s","custIdMerchant":"%s"}`, ref(), from, to, e.demo.CustID)
	for _, tc := range []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"documented", "/api-qris/v2.0/transaction/history-list", nested, 200, "2001200"},
		{"QA variant", "/api/v1.0/transaction/history-list", top, 200, "2001200"},
		{"undocumented api-qris v1.0", "/api-qris/v1.0/transaction/history-list", nested, 404, ""},
		{"QA path at v2.0", "/api/v2.0/transaction/history-list", top, 404, ""},
		{"documented path, merchant at top level", "/api-qris/v2.0/transaction/history-list", top, 400, "4001202"},
		{"QA path, merchant nested", "/api/v1.0/transaction/history-list", nested, 400, "4001202"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rc.service(tc.path, tc.body, nil)
			if got.Status != tc.status || got.Code != tc.code {
				t.Errorf("got %d %s %q, want %d %s", got.Status, got.Code, got.Msg, tc.status, tc.code)
			}
		})
	}
}
