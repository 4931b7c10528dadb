// Package sandbox is an embedded, stateful simulator of the Toko Netzme vSNAP
// API ("spec §n.m" cites its sections; docs/protocol.md lists the sandbox's
// choices). Lapak serves it on loopback when no real Netzme is configured,
// and tests start it with sandboxtest.NewServer. It is deliberately strict: it
// verifies every signature, header and mandatory field the way the spec says
// Netzme does, so client bugs surface here and not in production. It decodes
// requests with its own wire structs, never the client's.
package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"lapak/netzme"
	"lapak/snap"
)

// Options configures a Sandbox. Every identity field left empty is generated
// once and stored in the state, so a demo keeps the same credentials across
// restarts; a non-empty field overrides the stored one (not persisted).
type Options struct {
	StatePath     string // SQLite file; "" = in-memory (lost on Close)
	ClientID      string // partner id (X-PARTNER-ID / X-CLIENT-KEY)
	ClientSecret  string // HMAC key of the service signature (spec §2.7)
	PrivateKeyPEM []byte // partner RSA private key; the sandbox verifies token requests with its public half
	CallbackToken string // x-callback-token sent on every callback (spec §2.9)

	// CallbackBaseURL is Lapak's public URL; callbacks go to
	// CallbackBaseURL + "/callbacks/netzme/invoice" | "/qris" | "/withdraw".
	// Empty: callbacks are recorded as "skipped" and never sent.
	CallbackBaseURL string
	// PublicURL is the sandbox's own base URL, used for paymentUrl links.
	PublicURL string

	Now    func() time.Time // nil = time.Now; drives tokens, expiry, skew checks
	Logger *slog.Logger     // nil = discard

	// TimestampSkew is the accepted |X-TIMESTAMP - now|; 0 = 5 minutes
	// (guess, spec §2.11: skew tolerance not documented).
	TimestampSkew time.Duration
	// TokenTTL is the access-token lifetime; 0 = 54000 s (spec §2.5).
	TokenTTL time.Duration
	// WithdrawSettleDelay is how long a withdrawal stays PENDING before it
	// succeeds by itself, measured on the sandbox clock (Now); 0 = 300 ms
	// ("immediate-ish"); negative = never, only SettleWithdrawal ends it.
	WithdrawSettleDelay time.Duration
	// FeeBasisPoints is the MDR charged on payments in 1/100 %; 0 = 70
	// (0.7 %, guess from the legacy QRIS callback in spec §3.16); negative = no fee.
	FeeBasisPoints int
	// CallbackBackoff is the first retry delay of a failed callback, doubled
	// per attempt up to 30 s; 0 = 500 ms.
	CallbackBackoff time.Duration
	// CallbackAttempts bounds delivery attempts per callback; 0 = 8
	// (guess, spec §2.9: vSNAP retry policy not documented; legacy retried 3 times).
	CallbackAttempts int
	// HistoryPageSize is the number of lines per page of the transaction
	// lists (spec §3.4, §3.25); 0 = 10 (guess: Netzme does not document it).
	HistoryPageSize int
	// HTTPClient sends callbacks; nil = a client with a 10 s timeout.
	HTTPClient *http.Client
}

// Identity is the partner identity the sandbox accepts. The private key is
// the partner's half: like Netzme (spec §2.4) the sandbox generates the pair
// and hands the private key to the partner.
type Identity struct {
	ClientID      string
	ClientSecret  string
	PrivateKeyPEM []byte
	CallbackToken string
	ChannelID     string
}

// Sandbox is the simulator: state, HTTP handler, payer and callback sender.
// All methods are safe for concurrent use.
type Sandbox struct {
	opts    Options
	db      *sql.DB // the writer: one connection, changes under mu
	rdb     *sql.DB // reads that need no lock: a pool of its own for a state file, else db
	log     *slog.Logger
	id      Identity
	pub     *rsa.PublicKey
	priv    *rsa.PrivateKey
	demoID  string
	handler http.Handler
	client  *http.Client

	// mu serialises every state change and the reads a change decides on.
	// A read that stands alone (a balance, a status, a history page) goes
	// to rdb without it.
	mu sync.Mutex

	fmu       sync.Mutex
	faults    map[string][]Fault
	cbFaults  []CallbackFault
	requests  []Request
	inflight  map[int64]bool
	wake      chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// ChannelID is the CHANNEL-ID the sandbox hands out (spec §7 item 5).
const ChannelID = "95221"

// Open opens or creates the sandbox state, generating the default identity
// and the demo merchant "Toko Contoh" on first run, and starts the background
// worker that settles withdrawals and delivers callbacks. Close stops it.
func Open(ctx context.Context, opts Options) (*Sandbox, error) {
	db, rdb, err := openDB(ctx, opts.StatePath)
	if err != nil {
		return nil, err
	}
	s := &Sandbox{
		opts:     opts,
		db:       db,
		rdb:      rdb,
		log:      opts.Logger,
		faults:   map[string][]Fault{},
		inflight: map[int64]bool{},
		wake:     make(chan struct{}, 1),
		closed:   make(chan struct{}),
		client:   opts.HTTPClient,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 10 * time.Second}
	}
	if err := s.loadIdentity(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	if err := s.ensureDemoMerchant(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	// Callbacks left pending by the previous run are due now.
	if _, err := db.ExecContext(ctx, `UPDATE deliveries SET not_before = ? WHERE status = 'pending'`, ms(time.Now())); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("sandbox: resume callbacks: %w", err)
	}
	s.handler = s.routes()
	s.wg.Add(1)
	go s.worker()
	return s, nil
}

// Close stops callback delivery and withdrawal settlement and closes the
// state. Undelivered callbacks stay pending in a file-backed state and are
// sent after the next Open.
func (s *Sandbox) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		s.wg.Wait()
		s.mu.Lock()
		err = s.closeDBs()
		s.mu.Unlock()
	})
	return err
}

func (s *Sandbox) closeDBs() error {
	err := s.db.Close()
	if s.rdb != s.db {
		err = errors.Join(err, s.rdb.Close())
	}
	return err
}

// Handler serves the Netzme API (spec §2, §3) and the sandbox pages under /sandbox/.
func (s *Sandbox) Handler() http.Handler { return s.handler }

// Identity returns the credentials the sandbox accepts, including secrets;
// callers must not log them.
func (s *Sandbox) Identity() Identity {
	id := s.id
	id.PrivateKeyPEM = append([]byte(nil), s.id.PrivateKeyPEM...)
	return id
}

// Config returns a client configuration for the sandbox served at baseURL.
// It shares the sandbox clock so skew and expiry checks agree with a test's
// fake clock.
func (s *Sandbox) Config(baseURL string) netzme.Config {
	return netzme.Config{
		BaseURL:      baseURL,
		ClientID:     s.id.ClientID,
		ClientSecret: s.id.ClientSecret,
		PrivateKey:   s.priv,
		ChannelID:    ChannelID,
		Now:          s.opts.Now,
	}
}

func (s *Sandbox) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

func (s *Sandbox) loadIdentity(ctx context.Context) error {
	get := func(key, override string, gen func() (string, error)) (string, error) {
		if override != "" {
			return override, nil
		}
		v, ok, err := s.meta(ctx, key)
		if err != nil || ok {
			return v, err
		}
		if v, err = gen(); err != nil {
			return "", err
		}
		return v, s.setMeta(ctx, key, v)
	}
	var err error
	if s.id.ClientID, err = get("client_id", s.opts.ClientID, func() (string, error) {
		return "lapak-sandbox-" + randHex(4), nil
	}); err != nil {
		return err
	}
	if s.id.ClientSecret, err = get("client_secret", s.opts.ClientSecret, func() (string, error) {
		return randHex(16), nil // 32 hex like Netzme's UUID-without-dashes secrets (spec §2.4)
	}); err != nil {
		return err
	}
	if s.id.CallbackToken, err = get("callback_token", s.opts.CallbackToken, func() (string, error) {
		return randBase64(32), nil // 44-char base64 like the spec §2.4 examples
	}); err != nil {
		return err
	}
	keyPEM, err := get("private_key_pem", string(s.opts.PrivateKeyPEM), func() (string, error) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return "", fmt.Errorf("sandbox: generate key: %w", err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})), nil
	})
	if err != nil {
		return err
	}
	priv, err := snap.ParsePrivateKey([]byte(keyPEM))
	if err != nil {
		return fmt.Errorf("sandbox: partner private key: %w", err)
	}
	s.id.PrivateKeyPEM = []byte(keyPEM)
	s.id.ChannelID = ChannelID
	s.priv = priv
	s.pub = &priv.PublicKey
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randFrom returns n characters drawn uniformly from alphabet (at most 256
// characters) with crypto/rand: random bytes, those past the last whole
// multiple of the alphabet's size skipped.
func randFrom(alphabet string, n int) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		rand.Read(buf)
		for _, c := range buf {
			if int(c) < limit && len(out) < n {
				out = append(out, alphabet[int(c)%len(alphabet)])
			}
		}
	}
	return string(out)
}

func randDigits(n int) string { return randFrom("0123456789", n) }

func randBase64(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64Std(b)
}

// errClosed is returned by payer methods after Close.
var errClosed = errors.New("sandbox: closed")

// ms converts to the stored Unix-millisecond form.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
