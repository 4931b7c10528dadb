package db

import (
	"context"
	"fmt"
	"time"
)

// APICall is one HTTP attempt to a payment provider, as the adapter's
// observer reported it. Bodies are already redacted by the adapter.
type APICall struct {
	ID                 int64
	At                 time.Time // when the attempt started; set by InsertAPICall when zero
	Provider           string    // "netzme", "nicepay", "speedcash"
	Endpoint           string
	Method             string
	Path               string
	PartnerReferenceNo string
	ExternalID         string
	HTTPStatus         int // 0 when no HTTP answer came (timeout, refused)
	ResponseCode       string
	LatencyMS          int64
	RequestBody        string
	ResponseBody       string
	Error              string
	MerchantID         int64 // 0 = not tied to a merchant (token calls)
	UserID             int64 // 0 = the system
}

// InsertAPICall records one provider call.
func (d *DB) InsertAPICall(ctx context.Context, c APICall) error {
	if c.At.IsZero() {
		c.At = d.now()
	}
	if c.Method == "" {
		c.Method = "POST"
	}
	// Through the group-commit writer: a dashboard makes two Netzme calls
	// per view, and with many clients their records share the commit (and
	// its fsync) with the session saves of the same moment.
	err := d.InBatch(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx,
			`INSERT INTO api_calls (at, provider, endpoint, method, path, partner_reference_no, external_id,
		  http_status, response_code, latency_ms, request_body, response_body, error, merchant_id, user_id)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			formatTime(c.At), c.Provider, c.Endpoint, c.Method, c.Path, c.PartnerReferenceNo, c.ExternalID,
			c.HTTPStatus, c.ResponseCode, c.LatencyMS, c.RequestBody, c.ResponseBody, c.Error,
			nullID(c.MerchantID), nullID(c.UserID))
		return err
	})
	if err != nil {
		return fmt.Errorf("db: api call %s %s: %w", c.Provider, c.Endpoint, err)
	}
	return nil
}

// APICalls returns the newest limit recorded calls, newest first;
// merchantID 0 returns every merchant's (and the unattributed ones).
func (d *DB) APICalls(ctx context.Context, merchantID int64, limit int) ([]APICall, error) {
	var conds []string
	var args []any
	from := "api_calls"
	if merchantID != 0 {
		conds, args = []string{"merchant_id = ?"}, []any{merchantID}
		from += " INDEXED BY api_calls_list_merchant" // as InvoiceFilter.from explains
	}
	out, err := queryKeyset(ctx, d.sql, apiCallKeys, Cursor{}, limit, `SELECT id, at, provider, endpoint, method, path,
		partner_reference_no, external_id, http_status, response_code, latency_ms, request_body, response_body, error,
		coalesce(merchant_id, 0), coalesce(user_id, 0) FROM `+from, conds, args, scanAPICall)
	if err != nil {
		return nil, fmt.Errorf("db: api calls: %w", err)
	}
	return out, nil
}

// api_calls is append-only: id order is time order.
var apiCallKeys = keyset{list: "api_calls", id: "id", kind: keyNone, desc: true}

func scanAPICall(s scanner) (APICall, error) {
	var c APICall
	var at string
	if err := s.Scan(&c.ID, &at, &c.Provider, &c.Endpoint, &c.Method, &c.Path, &c.PartnerReferenceNo,
		&c.ExternalID, &c.HTTPStatus, &c.ResponseCode, &c.LatencyMS, &c.RequestBody, &c.ResponseBody, &c.Error,
		&c.MerchantID, &c.UserID); err != nil {
		return APICall{}, err
	}
	var err error
	c.At, err = parseTime(at)
	return c, err
}
