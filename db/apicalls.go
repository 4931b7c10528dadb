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
	_, err := d.w.ExecContext(ctx,
		`INSERT INTO api_calls (at, provider, endpoint, method, path, partner_reference_no, external_id,
		  http_status, response_code, latency_ms, request_body, response_body, error, merchant_id, user_id)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		formatTime(c.At), c.Provider, c.Endpoint, c.Method, c.Path, c.PartnerReferenceNo, c.ExternalID,
		c.HTTPStatus, c.ResponseCode, c.LatencyMS, c.RequestBody, c.ResponseBody, c.Error,
		nullID(c.MerchantID), nullID(c.UserID))
	if err != nil {
		return fmt.Errorf("db: api call %s %s: %w", c.Provider, c.Endpoint, err)
	}
	return nil
}

// APICalls returns recorded calls newest first; merchantID 0 returns all.
func (d *DB) APICalls(ctx context.Context, merchantID int64, limit, offset int) ([]APICall, error) {
	query := `SELECT id, at, provider, endpoint, method, path, partner_reference_no, external_id, http_status,
		response_code, latency_ms, request_body, response_body, error, coalesce(merchant_id, 0), coalesce(user_id, 0)
		FROM api_calls`
	args := []any{}
	if merchantID != 0 {
		query += ` WHERE merchant_id = ?`
		args = append(args, merchantID)
	}
	query += ` ORDER BY id DESC LIMIT ? OFFSET ?`
	args = append(args, limit, offset)
	rows, err := d.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: api calls: %w", err)
	}
	defer rows.Close()
	var out []APICall
	for rows.Next() {
		var c APICall
		var at string
		if err := rows.Scan(&c.ID, &at, &c.Provider, &c.Endpoint, &c.Method, &c.Path, &c.PartnerReferenceNo,
			&c.ExternalID, &c.HTTPStatus, &c.ResponseCode, &c.LatencyMS, &c.RequestBody, &c.ResponseBody, &c.Error,
			&c.MerchantID, &c.UserID); err != nil {
			return nil, fmt.Errorf("db: api calls: %w", err)
		}
		if c.At, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: api calls: %w", err)
	}
	return out, nil
}
