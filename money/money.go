// Package money holds Lapak's money use cases: every flow that moves or
// records money (invoices and QRIS invoices, deposit top-ups, withdrawals and
// deposit withdrawals, split fees, the PIN, the merchant link, merchant
// status, callback application) and the resolver that settles outcomes Lapak
// does not know yet. It knows nothing of HTTP: the web pages, the background
// poller and the start-up pass all call the same methods with an Actor and
// typed input, and get typed results and errors back (never messages: the
// caller chooses the words).
//
// Every call to a provider follows one rule (see exchange): the intent is
// committed first, the call is made outside any transaction, and its answer
// — succeeded, refused, or outcome unknown — is recorded. A call whose
// outcome is unknown is never sent again; the resolver asks Netzme instead.
package money

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"lapak/db"
	"lapak/netzme"
	"lapak/snap/speedcash"
)

// Actor is who asks for a use case: the signed-in user acting for a merchant,
// with the request's id and client address for the audit log. The zero
// UserID is the system (the poller, the start-up pass, a provider's
// callback).
type Actor struct {
	UserID     int64
	UserEmail  string
	MerchantID int64
	RequestID  string
	ClientAddr string
}

// System is the actor of background work for merchant id.
func System(merchantID int64) Actor { return Actor{MerchantID: merchantID} }

// Deps is what the money use cases need; cmd/web builds it.
type Deps struct {
	DB     *db.DB
	Netzme *netzme.Client
	// SpeedCash is the Merchant Status client (real host or simulator); nil
	// makes a check end without an answer.
	SpeedCash *speedcash.Client
	// Now is the one clock; required (cmd/web passes the wall clock, tests a
	// pinned one).
	Now    func() time.Time
	Logger *slog.Logger // nil = discard
	// NetzmeTimeout bounds one provider call made for a person (0 = 60 s).
	NetzmeTimeout time.Duration
	// NotReceivedGrace is how long an outcome-unknown request must have
	// waited before Netzme's "no such record" is taken as proof it never
	// arrived (0 = 2 min). guess, §3.7 / §3.14: Netzme's processing delays
	// are not documented; a request stuck in a queue could still be applied
	// shortly after our timeout.
	NotReceivedGrace time.Duration
	// StatementSync tunes the Netzme statement sync (zero: defaults).
	StatementSync SyncOptions
	// Reconcile tunes the reconciliation (zero: defaults).
	Reconcile ReconcileOptions
}

// Service runs the money use cases. Build it with New; it is safe for
// concurrent use.
type Service struct {
	db      *db.DB
	netzme  *netzme.Client
	now     func() time.Time
	log     *slog.Logger
	timeout time.Duration
	grace   time.Duration

	speedcash *speedcash.Client // Merchant Status; nil: no answer

	syncOptions SyncOptions // the statement sync (sync.go)
	syncOnce    sync.Once
	syncs       *syncState

	recon reconciler // the reconciliation (reconcile.go)
}

// New returns the Service for d. It panics without a clock: there is no
// default, so no code path reads the wall clock by accident.
func New(d Deps) *Service {
	if d.Now == nil {
		panic("money.New: Deps.Now is required")
	}
	s := &Service{db: d.DB, netzme: d.Netzme, speedcash: d.SpeedCash, now: d.Now, log: d.Logger, timeout: d.NetzmeTimeout, grace: d.NotReceivedGrace,
		syncOptions: d.StatementSync, recon: newReconciler(d.Reconcile)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.timeout <= 0 {
		s.timeout = 60 * time.Second
	}
	if s.grace <= 0 {
		s.grace = 2 * time.Minute
	}
	return s
}

// Now is the service's clock, for callers that must agree with it.
func (s *Service) Now() time.Time { return s.now() }

// ErrNotLinked is returned when the merchant has no Netzme identity yet
// (custIdMerchant): nothing can be sent for it.
var ErrNotLinked = errors.New("money: merchant is not linked to Netzme")

// FieldError is invalid input: which field, and why (one of the Err*
// reasons below, or a provider kind). Nothing was changed.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return "money: " + e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func invalid(field string, err error) error { return &FieldError{Field: field, Err: err} }

// Reasons input is refused, wrapped in a FieldError.
var (
	ErrRequired       = errors.New("required")
	ErrAmountZero     = errors.New("amount must be at least Rp 1")
	ErrAmountTooLarge = errors.New("amount above the limit")
	ErrAmountTooSmall = errors.New("amount below the minimum")
	ErrFormat         = errors.New("invalid format")
)

// audit builds the audit line for an action by a, with a JSON detail that
// must hold no secret.
func (s *Service) audit(a Actor, action string, detail map[string]any) db.AuditEntry {
	e := db.AuditEntry{At: s.now(), UserID: a.UserID, UserEmail: a.UserEmail, MerchantID: a.MerchantID,
		Action: action, RemoteAddr: a.ClientAddr, RequestID: a.RequestID}
	if detail != nil {
		if b, err := json.Marshal(detail); err == nil {
			e.Detail = string(b)
		}
	}
	return e
}

// NewReference returns a fresh partnerReferenceNo: "LPK", the UTC time to
// the second and 8 random hex digits — unique, sortable, 25 characters
// (§2.10: unique per request; length not documented, ≤ 64 by SNAP norm).
func NewReference(now time.Time) string {
	b := make([]byte, 4)
	rand.Read(b)
	return "LPK" + now.UTC().Format("20060102150405") + strings.ToUpper(hex.EncodeToString(b))
}

// NewToken returns 128 random bits in hex: one-time form tokens.
func NewToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
