package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lapak/netzme"
	"lapak/netzme/sandbox"
	"lapak/netzme/sandbox/sandboxtest"
)

// receiver is Lapak's callback endpoint as seen by the sandbox.
type receiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	got   []received
	failN atomic.Int32 // answer 500 to this many next requests
}

type received struct {
	Path, Token, ContentType string
	Body                     []byte
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.URL.Path, r.Header.Get("x-callback-token"), r.Header.Get("Content-Type"), b})
		rc.mu.Unlock()
		if rc.failN.Add(-1) >= 0 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"responseCode":"2000000","responseMessage":"Successful"}`))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// clock is a settable fake clock shared by sandbox and client.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	srv  *sandboxtest.Server
	sb   *sandbox.Sandbox
	c    *netzme.Client
	rc   *receiver
	demo sandbox.Merchant
}

func newEnv(t *testing.T, opts ...func(*sandbox.Options)) *env {
	t.Helper()
	rc := newReceiver(t)
	opts = append([]func(*sandbox.Options){func(o *sandbox.Options) { o.CallbackBaseURL = rc.srv.URL }}, opts...)
	srv := sandboxtest.NewServer(t, opts...)
	c, err := netzme.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, sb: srv.Sandbox, c: c, rc: rc, demo: srv.Sandbox.DemoMerchant()}
}

var refN atomic.Int64

// ref returns a fresh partnerReferenceNo.
func ref() string { return fmt.Sprintf("lapak-test-%d-%d", time.Now().UnixNano(), refN.Add(1)) }

// wantAPIError asserts err is an *APIError with the given HTTP status and responseCode.
func wantAPIError(t *testing.T, err error, status int, code string) *netzme.APIError {
	t.Helper()
	var ae *netzme.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *APIError %s", err, code)
	}
	if ae.HTTPStatus != status || ae.ResponseCode != code {
		t.Fatalf("got HTTP %d %s (%s), want HTTP %d %s", ae.HTTPStatus, ae.ResponseCode, ae.Message, status, code)
	}
	return ae
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// qrisInvoice creates a QRIS invoice transaction for the demo merchant.
func (e *env) qrisInvoice(t *testing.T, amount int64) netzme.InvoiceTransaction {
	t.Helper()
	it, err := e.c.CreateInvoiceTransaction(ctxT(t), netzme.InvoiceTransactionRequest{
		PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID, AmountMinor: amount, PayMethod: netzme.PayQRIS,
		ExpireIn: 15 * time.Minute, Buyer: netzme.Buyer{FullName: "Budi", Description: "Kopi susu"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// fund pays an invoice of amount and returns the net credited.
func (e *env) fund(t *testing.T, amount int64) int64 {
	t.Helper()
	it := e.qrisInvoice(t, amount)
	p, err := e.sb.PayInvoice(ctxT(t), it.TrxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p.NetMinor
}
