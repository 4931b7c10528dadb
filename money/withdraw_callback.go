package money

import (
	"context"
	"errors"
	"fmt"

	"lapak/db"
	"lapak/netzme"
)

// withdrawOutcome applies a Withdraw Status Notification (§3.9) to our
// withdrawal inside the callback's transaction: unknown/pending → success or
// failed along the guarded transition. A notification for a withdrawal Lapak
// did not make is only stored; anything inconsistent is kept for review.
// guess, spec §3.9: only the references are documented; the status comes
// from additionalInfo.status or latestTransactionStatus ("00" success, "06"
// failed as the sandbox sends).
func (s *Service) withdrawOutcome(ctx context.Context, tx *db.Tx, cb db.Callback, merchantID int64) (db.CallbackOutcome, error) {
	c, err := netzme.DecodeWithdrawCallback([]byte(cb.Body))
	if err != nil {
		return db.CallbackOutcome{Status: db.CallbackRejected, Reason: "malformed", Note: err.Error()}, nil
	}
	wd, err := tx.WithdrawalByReference(ctx, c.OriginalPartnerReferenceNo, c.OriginalReferenceNo)
	switch {
	case errors.Is(err, db.ErrNotFound):
		if merchantID == 0 {
			return review("unknown_merchant", "custIdMerchant is not linked to a merchant", 0), nil
		}
		return db.CallbackOutcome{Status: db.CallbackStored, MerchantID: merchantID}, nil
	case err != nil:
		return db.CallbackOutcome{}, err
	}
	if merchantID == 0 || wd.MerchantID != merchantID {
		return review("merchant_mismatch", "custIdMerchant does not own withdrawal "+wd.PartnerReferenceNo, 0), nil
	}
	if c.AmountMinor != 0 && c.AmountMinor != wd.AmountMinor {
		return review("amount_mismatch", fmt.Sprintf("notified %d sen, withdrawal is %d sen", c.AmountMinor, wd.AmountMinor), merchantID), nil
	}
	to := WithdrawStatusOf(c.Status)
	if c.Status == "" {
		switch c.LatestTransactionStatus {
		case netzme.StatusSuccess:
			to = db.WithdrawalSuccess
		case "06", "07":
			to = db.WithdrawalFailed
		}
	}
	if to == db.WithdrawalPending {
		return db.CallbackOutcome{Status: db.CallbackStored, MerchantID: merchantID}, nil
	}
	ch := db.WithdrawalChange{From: []db.WithdrawalStatus{db.WithdrawalUnknown, db.WithdrawalPending}, To: to,
		NetzmeReferenceNo: c.OriginalReferenceNo, At: s.now()}
	if to == db.WithdrawalFailed {
		ch.FailureCode, ch.FailureReason = "bank_failed", "withdraw notification: "+c.Status+" "+c.TransactionStatusDesc
	}
	applied, err := tx.ChangeWithdrawal(ctx, wd.ID, ch)
	if err != nil {
		return db.CallbackOutcome{}, err
	}
	if !applied {
		if wd.Status == to {
			return db.CallbackOutcome{Status: db.CallbackDuplicate, Reason: "already_final", Note: "withdrawal already " + string(to), MerchantID: merchantID}, nil
		}
		return review("status_conflict", "withdrawal is "+string(wd.Status)+", notification says "+string(to), merchantID), nil
	}
	return db.CallbackOutcome{Status: db.CallbackApplied, Note: "withdrawal " + wd.PartnerReferenceNo + " " + string(to), MerchantID: merchantID}, nil
}
