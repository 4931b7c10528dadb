package money

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lapak/db"
	"lapak/netzme"
)

// The withdrawal PIN (owner): create it (§3.1) and ask Netzme to reset a
// forgotten one (§3.2). The PIN is hashed by the netzme client at the moment
// of use (§2.15); it is never stored, logged, audited or returned.

// ErrPINMismatch: the PIN and its confirmation differ.
var ErrPINMismatch = errors.New("the two PINs differ")

// CreatePIN registers the merchant's withdrawal PIN at Netzme (§3.1); pin2
// is the confirmation typed a second time. Errors: ErrNotLinked; a
// FieldError (pin: ErrPINFormat, pin2: ErrPINMismatch) before anything is
// sent; Netzme's refusal by kind (netzme.ErrPINExists: a different PIN
// exists); a call without a clear answer matches netzme.ErrUnavailable and
// leaves the intent unknown.
func (s *Service) CreatePIN(ctx context.Context, a Actor, pin, pin2 string) error {
	m, err := s.linkedMerchant(ctx, a)
	if err != nil {
		return err
	}
	if err := CheckPIN(pin); err != nil {
		return err
	}
	if pin2 != pin {
		return invalid("pin2", ErrPINMismatch)
	}
	_, err = pinExchange(ctx, s, a, m, "pin.create", func(ctx context.Context, ref string) (netzme.PINResult, error) {
		return s.netzme.CreatePIN(ctx, netzme.CreatePINRequest{PartnerReferenceNo: ref, CustIDMerchant: m.NetzmeCustID, PIN: pin})
	})
	if err == nil || errors.Is(err, netzme.ErrPINExists) {
		// Created now, or one existed already: either way there is a PIN.
		s.learnPIN(ctx, m.ID, db.PINSet)
	}
	return err
}

// ForgotPIN asks Netzme to reset the merchant's PIN (§3.2): Netzme sends the
// owner an SMS. It returns the cool-down before Netzme takes another
// request. Errors: ErrNotLinked; netzme.ErrTooSoon inside the cool-down,
// netzme.ErrPINMissing when no PIN was ever created, other refusals by kind;
// a call without a clear answer matches netzme.ErrUnavailable.
func (s *Service) ForgotPIN(ctx context.Context, a Actor) (time.Duration, error) {
	m, err := s.linkedMerchant(ctx, a)
	if err != nil {
		return 0, err
	}
	res, err := pinExchange(ctx, s, a, m, "pin.forgot", func(ctx context.Context, ref string) (netzme.ForgotPINResult, error) {
		return s.netzme.ForgotPIN(ctx, netzme.ForgotPINRequest{PartnerReferenceNo: ref, CustIDMerchant: m.NetzmeCustID})
	})
	switch {
	case err == nil, errors.Is(err, netzme.ErrTooSoon):
		s.learnPIN(ctx, m.ID, db.PINSet)
	case errors.Is(err, netzme.ErrPINMissing):
		s.learnPIN(ctx, m.ID, db.PINMissing)
	}
	return res.Cooldown, err
}

// PINTries is how many wrong PINs in a row Netzme takes before it blocks
// the PIN (guess, §3.7: not documented; the sandbox blocks at the third).
const PINTries = 3

// PINState is what Lapak knows of a's merchant's withdrawal PIN (db.PINSet,
// db.PINMissing or db.PINUnknown).
func (s *Service) PINState(ctx context.Context, a Actor) (string, error) {
	return s.db.PINState(ctx, a.MerchantID)
}

// PINTriesLeft is how many more wrong PINs a's merchant may type before
// Netzme blocks the PIN, counting the wrong ones since Netzme last accepted
// it (or it was created or reset).
func (s *Service) PINTriesLeft(ctx context.Context, a Actor) (int, error) {
	n, err := s.db.WrongPINsInARow(ctx, a.MerchantID)
	return max(PINTries-n, 0), err
}

// learnPIN records what Netzme's answer told about the merchant's PIN. It is
// a hint for the PIN page: a failure to record it is logged, not returned.
func (s *Service) learnPIN(ctx context.Context, merchantID int64, state string) {
	if err := s.db.SetPINState(context.WithoutCancel(ctx), merchantID, state); err != nil {
		s.log.Error("record pin state", "merchant", merchantID, "err", err)
	}
}

// linkedMerchant loads a's merchant; ErrNotLinked without a Netzme identity.
func (s *Service) linkedMerchant(ctx context.Context, a Actor) (db.Merchant, error) {
	m, err := s.db.Merchant(ctx, a.MerchantID)
	if err != nil {
		return db.Merchant{}, err
	}
	if m.NetzmeCustID == "" {
		return db.Merchant{}, ErrNotLinked
	}
	return m, nil
}

// pinExchange runs one PIN call with its intent row (netzme_actions, kind)
// and audit line. A clear answer finishes the intent (ok or failed); without
// one it stays unknown, since whether Netzme acted cannot be told.
func pinExchange[T any](ctx context.Context, s *Service, a Actor, m db.Merchant, kind string,
	call func(ctx context.Context, ref string) (T, error)) (T, error) {
	ref := NewReference(s.now())
	var act db.NetzmeAction
	ans, err := exchange(ctx, s, a, step[T]{
		Intent: func(ctx context.Context) (err error) {
			act, err = s.db.StartAction(ctx, db.NetzmeAction{MerchantID: m.ID, Kind: kind, PartnerReferenceNo: ref,
				CreatedBy: a.UserID}, s.audit(a, kind, map[string]any{"partner_reference_no": ref}))
			return err
		},
		Call: func(ctx context.Context) (T, error) { return call(ctx, ref) },
		Record: func(ctx context.Context, ans Answer[T]) error {
			if ans.Err == nil {
				_, err := s.db.FinishAction(ctx, act.ID, db.ActionOK, "")
				return err
			}
			if unclear(ans.Err) {
				return nil
			}
			_, err := s.db.FinishAction(ctx, act.ID, db.ActionFailed, netzme.Describe(ans.Err))
			return err
		},
	})
	if err != nil {
		return ans.Value, err
	}
	if ans.Err != nil && unclear(ans.Err) && !errors.Is(ans.Err, netzme.ErrUnavailable) {
		// No clear answer of a kind callers can name (an unreadable success
		// body): tell them what it means — try again later.
		return ans.Value, fmt.Errorf("%w: %w", netzme.ErrUnavailable, ans.Err)
	}
	return ans.Value, ans.Err
}
