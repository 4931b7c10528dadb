// Package sandboxtest starts the Netzme sandbox on an httptest server for
// tests. It lives apart from package sandbox so that the shipped binary, which
// embeds the sandbox, never links testing or net/http/httptest.
package sandboxtest

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
	"lapak/netzme/sandbox"
)

// Server is a sandbox served over real HTTP for tests.
type Server struct {
	URL     string
	Sandbox *sandbox.Sandbox
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
	testKeyErr  error
)

// sharedKey spares every test a 2048-bit key generation.
func sharedKey(t testing.TB) []byte {
	testKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			testKeyErr = err
			return
		}
		testKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	})
	if testKeyErr != nil {
		t.Fatalf("sandboxtest: test key: %v", testKeyErr)
	}
	return testKeyPEM
}

// NewServer starts an in-memory sandbox on an httptest server, closed by
// t.Cleanup. PublicURL is the server's URL; opts may set anything else
// (e.g. CallbackBaseURL, Now, WithdrawSettleDelay). Callbacks retry fast
// (20 ms back-off) unless opts say otherwise.
func NewServer(t testing.TB, opts ...func(*sandbox.Options)) *Server {
	t.Helper()
	o := sandbox.Options{PrivateKeyPEM: sharedKey(t), CallbackBackoff: 20 * time.Millisecond}
	srv := httptest.NewUnstartedServer(nil)
	o.PublicURL = "http://" + srv.Listener.Addr().String()
	for _, f := range opts {
		f(&o)
	}
	sb, err := sandbox.Open(t.Context(), o)
	if err != nil {
		srv.Close()
		t.Fatalf("sandboxtest: open: %v", err)
	}
	srv.Config.Handler = sb.Handler()
	srv.Start()
	s := &Server{URL: srv.URL, Sandbox: sb, srv: srv}
	t.Cleanup(s.Close)
	return s
}
