package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"lapak/db"
	"lapak/netzme"
)

// MoneyOut resolves withdrawals whose outcome Lapak does not know yet
// (status unknown or pending) by asking Netzme — never by sending them again.
// The web pages use it for "Perbarui status"; cmd/web runs it once at
// start-up and then as a background poller (Run). Safe for concurrent use:
// every change is a guarded transition, so two resolvers cannot undo each
// other.
type MoneyOut struct {
	DB     *db.DB
	Netzme *netzme.Client
	Logger *slog.Logger     // nil = discard
	Now    func() time.Time // nil = time.Now
}

// NewMoneyOut returns the resolver for the running app.
func NewMoneyOut(d *db.DB, nz *netzme.Client, logger *slog.Logger) *MoneyOut {
	return &MoneyOut{DB: d, Netzme: nz, Logger: logger}
}

// notReceivedGrace is how long an unknown withdrawal must have waited before
// "Netzme has no such withdrawal" is taken as final: a request stuck in a
// queue could still be applied shortly after our timeout (guess, spec §3.7:
// Netzme's processing delays are not documented).
const notReceivedGrace = 2 * time.Minute

func (m *MoneyOut) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *MoneyOut) log() *slog.Logger {
	if m.Logger != nil {
		return m.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Run resolves every unresolved withdrawal now (the start-up pass: rows left
// unknown or pending by a crash between intent and answer) and then every
// interval until ctx is done. It never submits a withdrawal.
func (m *MoneyOut) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 15 * time.Second
	}
	for {
		m.ResolveAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// ResolveAll asks Netzme about every unknown and pending withdrawal of every
// merchant and applies the answers. It returns how many are still open.
// Failures are logged (without secrets) and retried on the next pass.
func (m *MoneyOut) ResolveAll(ctx context.Context) int {
	ws, err := m.DB.UnresolvedWithdrawals(ctx)
	if err != nil {
		m.log().Error("money out: list unresolved withdrawals", "err", err)
		return -1
	}
	open := 0
	for _, w := range ws {
		st, err := m.Resolve(ctx, w, db.AuditEntry{})
		if err != nil {
			m.log().Warn("money out: resolve withdrawal", "withdrawal", w.ID, "partner_reference_no", w.PartnerReferenceNo, "err", err)
		}
		if st.Open() {
			open++
		}
	}
	return open
}

// errUnconfirmed is returned by Resolve when Netzme's answer did not settle
// the withdrawal (no answer, or an answer that does not match our row).
var errUnconfirmed = errors.New("money out: withdrawal status not confirmed")

// Resolve asks Get Information Withdraw (§3.8, or §3.24 for the deposit)
// about w and applies the answer: SUCCESS → success; a failure status →
// failed (money back in the balance); PENDING → pending; "no such withdrawal"
// for an unknown row older than notReceivedGrace → failed (it never reached
// Netzme). It returns the status w has afterwards. audit carries the acting
// user, request id and address when a person asked (zero for the poller).
func (m *MoneyOut) Resolve(ctx context.Context, w db.Withdrawal, audit db.AuditEntry) (db.WithdrawalStatus, error) {
	if w.Status != db.WithdrawalUnknown && w.Status != db.WithdrawalPending {
		return w.Status, nil
	}
	// guess, spec §3.8: which id goes in referenceNo is ambiguous; we send
	// Netzme's withdrawal id when we have it, else our own partnerReferenceNo
	// of the withdrawal (what the legacy API was keyed by).
	key := w.NetzmeReferenceNo
	if key == "" {
		key = w.PartnerReferenceNo
	}
	cctx, cancel := context.WithTimeout(WithCallScope(context.WithoutCancel(ctx), w.MerchantID, audit.UserID), netzmeTimeout)
	defer cancel()
	q := netzme.WithdrawInformationRequest{PartnerReferenceNo: newReference(m.now()), ReferenceNo: key}
	var st netzme.WithdrawStatus
	var err error
	if w.Wallet == db.WalletDeposit {
		st, err = m.Netzme.WithdrawDepositInformation(cctx, q)
	} else {
		st, err = m.Netzme.WithdrawInformation(cctx, q)
	}
	audit.MerchantID, audit.Action = w.MerchantID, "withdrawal.resolve"
	if audit.At.IsZero() {
		audit.At = m.now()
	}
	detail := func(result string) db.AuditEntry {
		a := audit
		a.Detail = jsonDetail(map[string]any{"partner_reference_no": w.PartnerReferenceNo, "wallet": w.Wallet, "result": result})
		return a
	}
	from := []db.WithdrawalStatus{db.WithdrawalUnknown, db.WithdrawalPending}
	if err != nil {
		var api *netzme.APIError
		if errors.As(err, &api) && api.HTTPStatus == http.StatusNotFound && !errors.Is(err, netzme.ErrOutcomeUnknown) &&
			w.Status == db.WithdrawalUnknown && m.now().Sub(w.UpdatedAt) >= notReceivedGrace {
			// Netzme has no such withdrawal, long after we sent it: it never
			// arrived, nothing was paid out, the balance is untouched.
			if _, err := m.DB.ChangeWithdrawal(ctx, w.ID, db.WithdrawalChange{From: []db.WithdrawalStatus{db.WithdrawalUnknown},
				To: db.WithdrawalFailed, FailureCode: "not_received", FailureReason: failureText(err), At: m.now()},
				detail("failed: not received")); err != nil {
				return w.Status, err
			}
			return db.WithdrawalFailed, nil
		}
		m.DB.Audit(ctx, detail("no answer: "+failureText(err)))
		return w.Status, errors.Join(errUnconfirmed, errors.New(failureText(err)))
	}
	if st.PartnerReferenceNo != "" && st.PartnerReferenceNo != w.PartnerReferenceNo &&
		(w.NetzmeReferenceNo == "" || st.ReferenceNo != w.NetzmeReferenceNo) {
		// Netzme answered about another withdrawal: touch nothing.
		m.DB.Audit(ctx, detail("reference mismatch"))
		return w.Status, errors.Join(errUnconfirmed, errors.New("reference mismatch"))
	}
	if st.AmountMinor != 0 && st.AmountMinor != w.AmountMinor {
		m.DB.Audit(ctx, detail("amount mismatch"))
		return w.Status, errors.Join(errUnconfirmed, errors.New("amount mismatch"))
	}
	ch := db.WithdrawalChange{From: from, NetzmeReferenceNo: st.ReferenceNo, At: m.now()}
	switch to := withdrawStatusOf(st.Status); to {
	case db.WithdrawalSuccess, db.WithdrawalFailed:
		ch.To = to
		if to == db.WithdrawalFailed {
			ch.FailureCode, ch.FailureReason = "bank_failed", "Get Information Withdraw: "+st.Status
		}
	default:
		if w.Status == db.WithdrawalPending {
			return w.Status, nil // still on its way; nothing to record
		}
		ch.To = db.WithdrawalPending
	}
	applied, err := m.DB.ChangeWithdrawal(ctx, w.ID, ch, detail(string(ch.To)))
	if err != nil {
		return w.Status, err
	}
	if !applied {
		// A callback or another resolver got there first.
		cur, err := m.DB.Withdrawal(ctx, w.ID)
		return cur.Status, err
	}
	return ch.To, nil
}

// withdrawStatusOf maps Netzme's withdrawal status word. Only "SUCCESS" is
// documented (spec §3.8, §5.3); the failure words are guesses ("FAILED" is
// what the sandbox sends). Anything else counts as still pending.
func withdrawStatusOf(s string) db.WithdrawalStatus {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "SUCCESS", "SUCCEEDED", "PAID":
		return db.WithdrawalSuccess
	case "FAILED", "FAIL", "FAILURE", "REJECTED", "CANCELLED", "CANCELED", "REVERSED":
		return db.WithdrawalFailed
	}
	return db.WithdrawalPending
}
