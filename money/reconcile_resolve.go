package money

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"lapak/db"
)

// Resolving an exception (issue 12 §3): an owner or administrator looked at
// it, says what they found, and may post an adjustment through the ledger
// (Adjust) so the books say what Netzme says. The resolution stays across
// every later pass and re-sync (the schema keeps it).

// MaxResolveNote is the longest note of a resolution, in characters.
const MaxResolveNote = 1000

// Errors of resolving.
var (
	// ErrNotException: a matched pairing needs no resolution.
	ErrNotException = errors.New("money: the pairing is matched, not an exception")
	// ErrAlreadyResolved: the exception was resolved before; a resolution stands.
	ErrAlreadyResolved = errors.New("money: the exception is resolved already")
	// ErrNothingToAdjust: the two sides have the same effect on the
	// balance, so no adjustment can bring them together; wrapped in a
	// FieldError (adjust_amount).
	ErrNothingToAdjust = errors.New("nothing to adjust")
)

// ResolveInput is a resolution: a note, and optionally an adjustment of
// AdjustMinor sen (> 0) posted in the direction that brings the books
// towards Netzme — onto the wallet when Netzme holds more, off it when
// Netzme holds less.
type ResolveInput struct {
	Note        string
	AdjustMinor int64
}

// AdjustmentFor is what would make the books say what Netzme says for it:
// Netzme's effect on the wallet less the books' (signed sen).
func AdjustmentFor(it db.ReconItem) int64 { return it.NetzmeNetMinor - it.LapakNetMinor }

// ResolveException records a's resolution of exception id of a's merchant,
// audited ("reconciliation.resolve"); with an adjustment, that is posted
// first through Adjust (audited "ledger.adjust", on the date of the
// exception, keyed by the exception so a resubmitted form posts once).
// Whether a may resolve (owner or administrator) is the caller's check.
// Errors: ErrPersonRequired; FieldError "note" (ErrRequired, ErrTooLong),
// "adjust_amount" (ErrAmountZero, ErrNothingToAdjust); db.ErrNotFound;
// ErrNotException; ErrAlreadyResolved.
func (s *Service) ResolveException(ctx context.Context, a Actor, id int64, in ResolveInput) (db.ReconItem, error) {
	if a.UserID == 0 {
		return db.ReconItem{}, ErrPersonRequired
	}
	in.Note = strings.TrimSpace(in.Note)
	switch {
	case in.Note == "":
		return db.ReconItem{}, invalid("note", ErrRequired)
	case utf8.RuneCountInString(in.Note) > MaxResolveNote:
		return db.ReconItem{}, invalid("note", ErrTooLong)
	case in.AdjustMinor < 0:
		return db.ReconItem{}, invalid("adjust_amount", ErrFormat)
	}
	it, err := s.db.ReconItem(ctx, a.MerchantID, id)
	if err != nil {
		return it, err
	}
	switch {
	case it.Resolved:
		return it, ErrAlreadyResolved
	case !it.Outcome.IsException():
		return it, ErrNotException
	}
	var adjustmentID, signed int64
	if in.AdjustMinor > 0 {
		diff := AdjustmentFor(it)
		if diff == 0 {
			return it, invalid("adjust_amount", ErrNothingToAdjust)
		}
		signed = in.AdjustMinor
		if diff < 0 {
			signed = -signed
		}
		t, err := s.Adjust(ctx, a, AdjustInput{Account: walletAccount(it.Wallet), AmountMinor: signed, Reason: in.Note,
			Key: "reconciliation-" + strconv.FormatInt(it.ID, 10), OccurredAt: it.OccurredAt})
		if err != nil {
			return it, err
		}
		adjustmentID = t.ID
	}
	out, err := s.db.ResolveReconItem(ctx, a.MerchantID, id, a.UserID, in.Note, adjustmentID,
		s.audit(a, "reconciliation.resolve", map[string]any{"item": it.ID, "outcome": it.Outcome, "reference": it.Reference,
			"netzme_id": it.NetzmeID, "note": in.Note, "adjustment_id": adjustmentID, "adjust_minor": signed}))
	if errors.Is(err, db.ErrConflict) {
		return out, ErrAlreadyResolved
	}
	return out, err
}
