package handlers

import (
	"context"
	"log/slog"
	"time"

	"lapak/db"
	"lapak/netzme"
)

type callScopeKey struct{}

type callScope struct{ merchantID, userID int64 }

// WithCallScope marks ctx with the merchant and user a provider call is made
// for, so the api_calls row says whose action it was. Use it on the context
// handed to every netzme.Client method.
func WithCallScope(ctx context.Context, merchantID, userID int64) context.Context {
	return context.WithValue(ctx, callScopeKey{}, callScope{merchantID, userID})
}

// CallRecorder writes every Netzme HTTP attempt to api_calls. It is the
// netzme.Config.Observer of the running app.
type CallRecorder struct {
	DB     *db.DB
	Logger *slog.Logger
}

// ObserveCall implements netzme.Observer. The bodies arrive redacted by the
// adapter (PIN hash, secrets and tokens removed). A failure to record is
// logged, never returned: the call already happened.
func (rec CallRecorder) ObserveCall(ctx context.Context, c netzme.Call) {
	scope, _ := ctx.Value(callScopeKey{}).(callScope)
	row := db.APICall{
		At:                 time.Now().Add(-c.Latency),
		Provider:           "netzme",
		Endpoint:           string(c.Endpoint),
		Method:             c.Method,
		Path:               c.Path,
		PartnerReferenceNo: c.PartnerReferenceNo,
		ExternalID:         c.ExternalID,
		HTTPStatus:         c.HTTPStatus,
		ResponseCode:       c.ResponseCode,
		LatencyMS:          c.Latency.Milliseconds(),
		RequestBody:        string(c.RequestBody),
		ResponseBody:       string(c.ResponseBody),
		MerchantID:         scope.merchantID,
		UserID:             scope.userID,
	}
	if c.Err != nil {
		row.Error = c.Err.Error()
	}
	// Record even when the request's context was cancelled (a timeout is
	// exactly what must be on record).
	if err := rec.DB.InsertAPICall(context.WithoutCancel(ctx), row); err != nil && rec.Logger != nil {
		rec.Logger.LogAttrs(ctx, slog.LevelError, "record api call failed",
			slog.String("endpoint", row.Endpoint), slog.String("partner_reference_no", row.PartnerReferenceNo),
			slog.String("err", err.Error()))
	}
}
