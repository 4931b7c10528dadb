package money

import (
	"context"
	"errors"
	"time"

	"lapak/db"
)

// Shifts (tutup kasir, issue 13 §4): a cashier opens a shift, sells, and
// closes it; the report counts what came in during the shift, by method.
//
// Attribution (what "the cashier's own" means): a paid sale invoice or a paid
// convenience-store bill belongs to whoever created it; a static-QRIS
// payment belongs to whoever showed the counter code it was matched to. An
// unmatched static payment belongs to nobody: the report counts it apart.
// Totals are computed from the books over [opened, closed) each time, so a
// payment confirmed late still shows on a reprint.

// ErrShiftOpen: the person already has an open shift at this shop.
var ErrShiftOpen = errors.New("money: a shift is already open")

// ErrShiftNotYours: a cashier may close only their own shift.
var ErrShiftNotYours = errors.New("money: not your shift")

// OpenShift opens a shift for a at a's merchant, audited "shift.open".
// ErrShiftOpen when one is open already (returned with it).
func (s *Service) OpenShift(ctx context.Context, a Actor) (db.Shift, error) {
	sh, err := s.db.OpenShift(ctx, a.MerchantID, a.UserID, s.audit(a, "shift.open", nil))
	if errors.Is(err, db.ErrConflict) {
		open, oerr := s.db.OpenShiftOf(ctx, a.MerchantID, a.UserID)
		if oerr != nil {
			return db.Shift{}, oerr
		}
		return open, ErrShiftOpen
	}
	return sh, err
}

// CloseShift closes shift id of a's merchant, audited "shift.close". Only
// its cashier closes it, unless anyone is true (an owner closing a forgotten
// shift): else ErrShiftNotYours. Closing a closed shift changes nothing and
// returns it. db.ErrNotFound for another shop's shift.
func (s *Service) CloseShift(ctx context.Context, a Actor, id int64, anyone bool) (db.Shift, error) {
	sh, err := s.db.MerchantShift(ctx, a.MerchantID, id)
	if err != nil {
		return db.Shift{}, err
	}
	if sh.UserID != a.UserID && !anyone {
		return db.Shift{}, ErrShiftNotYours
	}
	sh, _, err = s.db.CloseShift(ctx, a.MerchantID, id, a.UserID, s.audit(a, "shift.close",
		map[string]any{"shift_id": id, "cashier": sh.UserEmail}))
	return sh, err
}

// ShiftReport is what came in during a shift, by method. Money in sen.
type ShiftReport struct {
	Shift db.Shift
	// Until is the end of the window: the close, or now for an open shift.
	Until time.Time
	// Own is what the shift's cashier rang up; Shop is the whole shop in
	// the same window (every cashier, and payments nobody rang up).
	Own, Shop []db.MethodTotal
	// OwnCount, OwnMinor, ShopCount, ShopMinor are the totals of Own and Shop.
	OwnCount, ShopCount int
	OwnMinor, ShopMinor int64
	// Unmatched counts static-QRIS payments in the window no counter code
	// was matched to (the owner acknowledges them).
	Unmatched int
}

// ShiftReport computes sh's report (sh is one of a's merchant's shifts).
func (s *Service) ShiftReport(ctx context.Context, sh db.Shift) (ShiftReport, error) {
	r := ShiftReport{Shift: sh, Until: sh.ClosedAt}
	if sh.Open() {
		r.Until = s.now()
	}
	var err error
	if r.Own, err = s.db.SalesByMethod(ctx, sh.MerchantID, sh.UserID, sh.OpenedAt, r.Until); err != nil {
		return r, err
	}
	if r.Shop, err = s.db.SalesByMethod(ctx, sh.MerchantID, 0, sh.OpenedAt, r.Until); err != nil {
		return r, err
	}
	for _, m := range r.Own {
		r.OwnCount, r.OwnMinor = r.OwnCount+m.Count, r.OwnMinor+m.AmountMinor
	}
	for _, m := range r.Shop {
		r.ShopCount, r.ShopMinor = r.ShopCount+m.Count, r.ShopMinor+m.AmountMinor
	}
	r.Unmatched, err = s.db.UnmatchedStaticPayments(ctx, sh.MerchantID, sh.OpenedAt, r.Until)
	return r, err
}
