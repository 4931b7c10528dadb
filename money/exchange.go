package money

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"lapak/db"
	"lapak/netzme"
	"lapak/snap/speedcash"
)

// Outcome is how a provider call that may move money ended.
type Outcome int

const (
	// Succeeded: the provider answered yes.
	Succeeded Outcome = iota
	// Unknown: no clear answer (timeout, connection lost after sending, 5xx,
	// unreadable body). The request may or may not have taken effect: it is
	// never sent again; the resolver asks the provider's status endpoint.
	Unknown
	// Refused: a clear no. Nothing moved.
	Refused
)

func (o Outcome) String() string {
	switch o {
	case Succeeded:
		return "succeeded"
	case Unknown:
		return "unknown"
	}
	return "refused"
}

// OutcomeOf classifies a provider call's error: nil is Succeeded, an error
// matching netzme.ErrOutcomeUnknown (or speedcash.ErrNoAnswer: no usable
// answer to a status query) is Unknown, any other is Refused.
func OutcomeOf(err error) Outcome {
	switch {
	case err == nil:
		return Succeeded
	case errors.Is(err, netzme.ErrOutcomeUnknown), errors.Is(err, speedcash.ErrNoAnswer):
		return Unknown
	}
	return Refused
}

// Answer is what a provider call returned, classified.
type Answer[T any] struct {
	Value   T
	Outcome Outcome
	Err     error // the call's error; nil when Succeeded
}

// step is one provider call under the house rule (STYLE.md "Transactions"):
//
//  1. Intent writes the intent row (status unknown, our reference) and its
//     audit line, and commits. If it fails nothing is sent.
//  2. Call makes the provider call outside any transaction, on a context
//     detached from the caller (a closed browser tab must not turn an
//     answered call into an unrecorded one), bounded by the service's
//     timeout and scoped to the actor for api_calls.
//  3. Record stores the answer — Succeeded, Unknown or Refused — on a
//     context that is not cancelled either.
type step[T any] struct {
	Intent func(ctx context.Context) error
	Call   func(ctx context.Context) (T, error)
	Record func(ctx context.Context, ans Answer[T]) error
	// Timeout, when set, bounds the call instead of the service's timeout:
	// read-only look-ups on pages people open all day answer within seconds
	// or show "unavailable".
	Timeout time.Duration
}

// exchange runs st for actor a. The returned error is Lapak's own (the intent
// or the record could not be written); the provider's answer is in Answer.
// Every flow that calls a provider goes through here.
func exchange[T any](ctx context.Context, s *Service, a Actor, st step[T]) (Answer[T], error) {
	if st.Intent != nil {
		if err := st.Intent(ctx); err != nil {
			return Answer[T]{}, err
		}
	}
	d := st.Timeout
	if d <= 0 {
		d = s.timeout
	}
	cctx, cancel := s.callContext(ctx, a, d)
	v, err := st.Call(cctx)
	cancel()
	ans := Answer[T]{Value: v, Outcome: OutcomeOf(err), Err: err}
	if st.Record != nil {
		if rerr := st.Record(context.WithoutCancel(ctx), ans); rerr != nil {
			return ans, rerr
		}
	}
	return ans, nil
}

// callContext is the context of one provider call made for a: detached from
// the caller, bounded by d, scoped for api_calls.
func (s *Service) callContext(ctx context.Context, a Actor, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(withCallScope(context.WithoutCancel(ctx), a.MerchantID, a.UserID), d)
}

type callScopeKey struct{}

type callScope struct{ merchantID, userID int64 }

// withCallScope marks ctx with the merchant and user a provider call is made
// for, so the api_calls row says whose action it was.
func withCallScope(ctx context.Context, merchantID, userID int64) context.Context {
	return context.WithValue(ctx, callScopeKey{}, callScope{merchantID, userID})
}

// Recorder writes every provider HTTP attempt to api_calls: it is the
// Observer of the Netzme and SpeedCash clients of the running app. The
// bodies arrive redacted by the adapters (PIN hash, secrets and tokens
// removed). A failure to record is logged, never returned: the call already
// happened.
type Recorder struct {
	DB     *db.DB
	Logger *slog.Logger // nil = discard
	Now    func() time.Time
}

// ObserveCall implements netzme.Observer.
func (rec Recorder) ObserveCall(ctx context.Context, c netzme.Call) {
	row := db.APICall{Provider: "netzme", Endpoint: string(c.Endpoint), Method: c.Method, Path: c.Path,
		PartnerReferenceNo: c.PartnerReferenceNo, ExternalID: c.ExternalID, HTTPStatus: c.HTTPStatus,
		ResponseCode: c.ResponseCode, RequestBody: string(c.RequestBody), ResponseBody: listBody(c.Endpoint, c.ResponseBody)}
	rec.insert(ctx, row, c.Latency, c.Err)
}

// listBodyKept bounds what api_calls keeps of the answer of a transaction
// list (§3.4, §3.25): the statement sync keeps every line whole, raw, in
// statement_lines, and a year of pages would otherwise double the database.
const listBodyKept = 2048

func listBody(ep netzme.Endpoint, body []byte) string {
	if (ep != netzme.EndpointTransactionList && ep != netzme.EndpointDepositTransactions) || len(body) <= listBodyKept {
		return string(body)
	}
	return strings.ToValidUTF8(string(body[:listBodyKept]), "") + fmt.Sprintf("… [%d bytes; the lines are kept in statement_lines]", len(body))
}

// SpeedCash returns the speedcash.Observer writing to the same table with
// provider "speedcash".
func (rec Recorder) SpeedCash() speedcash.Observer { return speedCashRecorder(rec) }

type speedCashRecorder Recorder

func (rec speedCashRecorder) ObserveCall(ctx context.Context, c speedcash.Call) {
	row := db.APICall{Provider: "speedcash", Endpoint: c.Endpoint, Method: c.Method, Path: c.Path,
		ExternalID: c.ExternalID, HTTPStatus: c.HTTPStatus, ResponseCode: c.ResponseCode,
		RequestBody: string(c.RequestBody), ResponseBody: string(c.ResponseBody)}
	Recorder(rec).insert(ctx, row, c.Latency, c.Err)
}

func (rec Recorder) insert(ctx context.Context, row db.APICall, latency time.Duration, callErr error) {
	scope, _ := ctx.Value(callScopeKey{}).(callScope)
	row.MerchantID, row.UserID = scope.merchantID, scope.userID
	row.At = rec.Now().Add(-latency)
	row.LatencyMS = latency.Milliseconds()
	if callErr != nil {
		row.Error = callErr.Error()
	}
	// Record even when the request's context was cancelled (a timeout is
	// exactly what must be on record).
	if err := rec.DB.InsertAPICall(context.WithoutCancel(ctx), row); err != nil && rec.Logger != nil {
		rec.Logger.LogAttrs(ctx, slog.LevelError, "record api call failed", slog.String("provider", row.Provider),
			slog.String("endpoint", row.Endpoint), slog.String("partner_reference_no", row.PartnerReferenceNo),
			slog.String("err", err.Error()))
	}
}
