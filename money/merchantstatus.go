package money

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"lapak/db"
	"lapak/snap"
	"lapak/snap/speedcash"
)

// merchantStatusTimeout bounds one SpeedCash Merchant Status call: a read
// the owner waits for, safe to ask again.
const merchantStatusTimeout = 30 * time.Second

// CheckMerchantStatus asks SpeedCash for the merchant's onboarding status
// (speedcash §2.3) by the owner's phone (already in SpeedCash's form, see
// snap.ParsePhone, International): the intent row and its audit line
// "merchant_status.check" first, the call outside any transaction (the HTTP
// attempt goes to api_calls through the Recorder), then the answer recorded.
// The result is what was recorded: Outcome "ok" with the status, or "error"
// with SpeedCash's response code ("" when there was no usable answer). The
// error is Lapak's own (the intent or the record could not be written).
func (s *Service) CheckMerchantStatus(ctx context.Context, a Actor, phone string) (db.MerchantStatusResult, error) {
	ext := snap.NewExternalID()
	var id int64
	var res db.MerchantStatusResult
	_, err := exchange(ctx, s, a, step[speedcash.MerchantStatus]{
		Timeout: merchantStatusTimeout,
		Intent: func(ctx context.Context) (err error) {
			id, err = s.db.StartMerchantStatusCheck(ctx, a.MerchantID, a.UserID, phone, ext,
				s.audit(a, "merchant_status.check", map[string]any{"phone": phone, "externalId": ext}))
			return err
		},
		Call: func(ctx context.Context) (speedcash.MerchantStatus, error) {
			if s.speedcash == nil {
				return speedcash.MerchantStatus{}, errors.New("no SpeedCash client configured")
			}
			return s.speedcash.MerchantStatus(ctx, phone, ext)
		},
		Record: func(ctx context.Context, ans Answer[speedcash.MerchantStatus]) error {
			res = merchantStatusResult(ans)
			if res.Outcome == "error" && res.ResponseCode == "" {
				s.log.WarnContext(ctx, "speedcash merchant status: no answer", "err", ans.Err.Error(), "request_id", a.RequestID)
			}
			return s.db.FinishMerchantStatusCheck(ctx, id, res)
		},
	})
	return res, err
}

// merchantStatusResult is what a Merchant Status answer records.
func merchantStatusResult(ans Answer[speedcash.MerchantStatus]) db.MerchantStatusResult {
	var apiErr *speedcash.APIError
	switch st := ans.Value; {
	case ans.Err == nil:
		return db.MerchantStatusResult{Outcome: "ok", ResponseCode: st.Code, ResponseMessage: st.Message,
			Status: sql.NullInt64{Int64: int64(st.Status), Valid: true}, Title: st.Title, Description: st.Description,
			SCMerchantID: st.MerchantID, StoreName: st.StoreName, MID: st.MID, NMID: st.NMID}
	case errors.As(ans.Err, &apiErr):
		return db.MerchantStatusResult{Outcome: "error", ResponseCode: apiErr.Code, ResponseMessage: apiErr.Message}
	}
	return db.MerchantStatusResult{Outcome: "error"}
}
