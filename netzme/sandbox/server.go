package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"lapak/netzme"
)

// Server is a sandbox served over real HTTP for tests.
type Server struct {
	URL     string
	Sandbox *Sandbox
	srv     *httptest.Server
}

// Config returns the client configuration for this server.
func (s *Server) Config() netzme.Config { return s.Sandbox.Config(s.URL) }

// Close stops the sandbox and the HTTP server; t.Cleanup calls it too.
func (s *Server) Close() {
	s.Sandbox.Close()
	s.srv.Close()
}

var (
	testKeyOnce sync.Once
	testKeyPEM  []byte
)

// sharedTestKey spares every test a 2048-bit key generation.
func sharedTestKey(t testing.TB) []byte {
	testKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatalf("sandbox: test key: %v", err)
		}
		testKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	})
	return testKeyPEM
}

// NewServer starts an in-memory sandbox on an httptest server, closed by
// t.Cleanup. PublicURL is the server's URL; opts may set anything else
// (e.g. CallbackBaseURL, Now, WithdrawSettleDelay). Callbacks retry fast
// (20 ms back-off) unless opts say otherwise.
func NewServer(t testing.TB, opts ...func(*Options)) *Server {
	t.Helper()
	o := Options{PrivateKeyPEM: sharedTestKey(t), CallbackBackoff: 20 * time.Millisecond}
	srv := httptest.NewUnstartedServer(nil)
	o.PublicURL = "http://" + srv.Listener.Addr().String()
	for _, f := range opts {
		f(&o)
	}
	sb, err := Open(t.Context(), o)
	if err != nil {
		srv.Close()
		t.Fatalf("sandbox: open: %v", err)
	}
	srv.Config.Handler = sb.Handler()
	srv.Start()
	s := &Server{URL: srv.URL, Sandbox: sb, srv: srv}
	t.Cleanup(s.Close)
	return s
}
