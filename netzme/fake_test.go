package netzme

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lapak/snap"
)

const (
	testClientID = "TokoLapakTest"
	testSecret   = "f013bc2810be469790dc99773c08812e"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

func key2048(tb testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

// fake is a strict stand-in for Netzme: it verifies the token request's RSA
// signature and every service call's headers and HMAC over the exact bytes
// received, then hands valid calls to a per-path handler.
type fake struct {
	t          *testing.T
	srv        *httptest.Server
	tokenFetch atomic.Int32
	tokenDelay time.Duration
	expiresIn  string
	tokens     atomic.Int32 // token generation counter
	mu         sync.Mutex
	handlers   map[string]http.HandlerFunc
	requests   []recorded
	currentTok atomic.Value // string
}

type recorded struct {
	Path   string
	Header http.Header
	Body   []byte
}

func newFake(t *testing.T) *fake {
	f := &fake{t: t, handlers: map[string]http.HandlerFunc{}, expiresIn: "900"}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) handle(path string, h http.HandlerFunc) {
	f.mu.Lock()
	f.handlers[path] = h
	f.mu.Unlock()
}

func (f *fake) served(path string) []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []recorded
	for _, r := range f.requests {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, recorded{Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
	h := f.handlers[r.URL.Path]
	f.mu.Unlock()
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		writeJSON(w, 400, `{"responseCode":"4000002","responseMessage":"Invalid Mandatory Field Content-Type"}`)
		return
	}
	if r.URL.Path == "/api/v1/access-token/b2b" {
		f.tokenFetch.Add(1)
		time.Sleep(f.tokenDelay)
		ts := r.Header.Get("X-TIMESTAMP")
		if _, err := snap.ParseTimestamp(ts); err != nil || r.Header.Get("X-CLIENT-KEY") != testClientID {
			writeJSON(w, 400, `{"responseCode":"4007301","responseMessage":"bad header"}`)
			return
		}
		if err := snap.VerifyAsymmetric(&key2048(f.t).PublicKey, testClientID, ts, r.Header.Get("X-SIGNATURE")); err != nil {
			writeJSON(w, 401, `{"responseCode":"4017300","responseMessage":"Invalid Token (B2B)"}`)
			return
		}
		if string(body) != `{"grantType":"client_credentials","additionalInfo":{}}` {
			writeJSON(w, 400, `{"responseCode":"4007302","responseMessage":"bad body"}`)
			return
		}
		tok := "tok-" + string(rune('A'+f.tokens.Add(1)-1))
		f.currentTok.Store(tok)
		writeJSON(w, 200, `{"responseCode":"2007300","responseMessage":"Successful","accessToken":"`+tok+`","tokenType":"Bearer","expiresIn":"`+f.expiresIn+`","additionalInfo":{}}`)
		return
	}
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	ts := r.Header.Get("X-TIMESTAMP")
	ext := r.Header.Get("X-EXTERNAL-ID")
	switch {
	case !ok || r.Header.Get("X-PARTNER-ID") != testClientID || r.Header.Get("CHANNEL-ID") == "":
		writeJSON(w, 400, `{"responseCode":"4000002","responseMessage":"Invalid Mandatory Field header"}`)
		return
	case len(ts) != 25 || snap.ValidExternalID(ext) != nil || len(ext) != 32:
		writeJSON(w, 400, `{"responseCode":"4000001","responseMessage":"Invalid Field Format"}`)
		return
	case snap.VerifySymmetric(testSecret, r.Method, r.URL.RequestURI(), tok, body, ts, r.Header.Get("X-SIGNATURE"), snap.Hex) != nil:
		writeJSON(w, 401, `{"responseCode":"4010000","responseMessage":"Unauthorized Signature"}`)
		return
	}
	if cur, _ := f.currentTok.Load().(string); tok != cur {
		writeJSON(w, 401, `{"responseCode":"4010001","responseMessage":"Access Token Invalid"}`)
		return
	}
	if h == nil {
		writeJSON(w, 404, `{"responseCode":"4040000","responseMessage":"resource not found"}`)
		return
	}
	h(w, r)
}

// rotate makes the fake forget the current token, as if Netzme rotated it.
func (f *fake) rotate() { f.currentTok.Store("rotated") }

func (f *fake) client(t *testing.T, mutate ...func(*Config)) *Client {
	cfg := Config{BaseURL: f.srv.URL, ClientID: testClientID, ClientSecret: testSecret, PrivateKey: key2048(t)}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// decodeBody decodes a request body keeping numbers as json.Number.
func decodeBody(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("request body %s: %v", b, err)
	}
	return m
}
