package handlers

import (
	"context"

	"lapak/db"
)

// withdrawOutcome applies a Withdraw Status Notification (§3.9), already
// authenticated and stored, inside the callback's transaction; the rules
// live in money.
func (h *Handler) withdrawOutcome(ctx context.Context, tx *db.Tx, cb db.Callback, merchantID int64) (db.CallbackOutcome, error) {
	return h.money.ApplyWithdrawNotification(ctx, tx, cb, merchantID)
}
