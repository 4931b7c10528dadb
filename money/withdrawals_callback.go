package money

import (
	"context"
	"errors"
	"fmt"

	"lapak/db"
	"lapak/netzme"
)

// latestTransactionStatus values of a Withdraw Status Notification that end
// a withdrawal as failed. guess, §3.9: the body is not documented; "06" is
// SNAP's Failed (the SNAP standard §7) and what the sandbox sends, "07" is
// Failed in Netzme's QRIS notification (§4.6; SNAP's "Not found").
const (
	statusSNAPFailed       = "06"
	statusNetzmeQRISFailed = "07"
)

// ApplyWithdrawNotification applies a Withdraw Status Notification (§3.9),
// already authenticated and stored by the caller as cb, to our withdrawal
// inside the callback's transaction tx: unknown/pending → success or failed
// along the guarded transition. merchantID is the merchant the notification's
// custIdMerchant is linked to (0: none). A notification about a withdrawal
// Lapak did not make is only stored; anything inconsistent is kept for
// review. The status comes from additionalInfo.status, else from
// latestTransactionStatus (guess, §3.9). The error is Lapak's own (the
// transaction must roll back).
func (s *Service) ApplyWithdrawNotification(ctx context.Context, tx *db.Tx, cb db.Callback, merchantID int64) (db.CallbackOutcome, error) {
	review := func(reason, note string, merchantID int64) db.CallbackOutcome {
		return db.CallbackOutcome{Status: db.CallbackNeedsReview, Reason: reason, Note: note, MerchantID: merchantID}
	}
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
		case statusSNAPFailed, statusNetzmeQRISFailed:
			to = db.WithdrawalFailed
		}
	}
	if to == db.WithdrawalPending {
		return db.CallbackOutcome{Status: db.CallbackStored, MerchantID: merchantID}, nil
	}
	ch := db.WithdrawalChange{From: []db.WithdrawalStatus{db.WithdrawalUnknown, db.WithdrawalPending}, To: to,
		NetzmeReferenceNo: c.OriginalReferenceNo, At: s.now()}
	if to == db.WithdrawalFailed {
		ch.FailureCode, ch.FailureReason = FailureBankFailed, "withdraw notification: "+c.Status+" "+c.TransactionStatusDesc
	}
	applied, err := s.changeWithdrawal(ctx, tx, byNetzme, wd.ID, ch) // booked in this transaction
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
