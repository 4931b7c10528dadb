package money

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"time"

	"lapak/db"
)

// The counter and the everyday (issue 13): public pay links, fixed-amount
// codes shown at the counter, and what a shift took.

// payTokenBytes is the randomness of a pay link: 144 bits, 24 base64url
// characters — unguessable, short enough for a WhatsApp message.
const payTokenBytes = 18

// NewPayToken returns a fresh pay-link token.
func NewPayToken() string {
	b := make([]byte, payTokenBytes)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// PayLink returns the public pay link of t (an invoice or CVS bill of a's
// merchant), making it on first use. db.ErrNotFound when t is
// not the merchant's.
func (s *Service) PayLink(ctx context.Context, a Actor, t db.PayTarget) (db.PayLink, error) {
	for range 3 {
		l, err := s.db.EnsurePayLink(ctx, a.MerchantID, t, NewPayToken())
		if !errors.Is(err, db.ErrConflict) {
			return l, err
		}
	}
	return db.PayLink{}, errors.New("money: no free pay-link token after 3 draws")
}

// CounterWait is how long a fixed-amount code shown at the counter waits for
// its payment (guess, qris.md §7: a converted code has no expiry of its
// own; a customer at the counter pays within minutes, and a shorter window
// makes a wrong match less likely).
const CounterWait = 15 * time.Minute

// CounterStaticQRIS makes a fixed-amount code from the merchant's static
// QRIS for a sale at the counter (ConvertStaticQRIS, same rules and errors),
// waiting CounterWait for its payment: a static-QRIS payment of exactly the
// amount in that window is matched to it when no other waiting code has the
// same amount (see db.MatchCounterCode). Others also waiting for the same
// amount are returned, so the cashier can be told LUNAS cannot be matched.
func (s *Service) CounterStaticQRIS(ctx context.Context, a Actor, in QRISInput) (code db.QRISCode, sameAmount int, err error) {
	code, err = s.convertStaticQRIS(ctx, a, in, s.now().Add(CounterWait), s.db.AddQRISCode)
	if err != nil {
		return code, 0, err
	}
	waiting, err := s.db.CounterCodesWaiting(ctx, a.MerchantID, code.AmountMinor, code.CreatedAt)
	return code, max(len(waiting)-1, 0), err
}

// MaxUniqueTail is the largest unique tail of a counter code, in sen: Rp
// 99, so the customer pays at most Rp 99 more (whole rupiah: qris §7).
const MaxUniqueTail = 99 * 100

// CounterUniqueQRIS is CounterStaticQRIS with a unique tail: the code asks
// for in.AmountMinor plus 1 to 99 rupiah (Rp 25.000 → Rp 25.037), chosen at
// random among the tails no code of the shop waiting now has, so that its
// static-QRIS payment is told apart from any other by its amount alone
// (issue 12 §3) — the counter shows LUNAS for it and reconciliation pairs it
// with Netzme's line. The tail is returned (0 when every tail is taken:
// the code then asks for the amount itself, as CounterStaticQRIS).
func (s *Service) CounterUniqueQRIS(ctx context.Context, a Actor, in QRISInput) (code db.QRISCode, tailMinor int64, err error) {
	in.Label = strings.TrimSpace(in.Label)
	if err := in.Check(); err != nil {
		return code, 0, err
	}
	taken, err := s.db.CounterAmountsWaiting(ctx, a.MerchantID, in.AmountMinor+100, in.AmountMinor+MaxUniqueTail, s.now())
	if err != nil {
		return code, 0, err
	}
	var free []int64
	for t := int64(100); t <= MaxUniqueTail; t += 100 {
		if !taken[in.AmountMinor+t] {
			free = append(free, t)
		}
	}
	for range 5 {
		if len(free) == 0 {
			break
		}
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(free))))
		i := int(n.Int64())
		tail := free[i]
		code, err = s.convertStaticQRIS(ctx, a, QRISInput{AmountMinor: in.AmountMinor + tail, Label: in.Label}, s.now().Add(CounterWait),
			func(ctx context.Context, q db.QRISCode, audit db.AuditEntry) (db.QRISCode, error) {
				return s.db.AddUniqueCounterCode(ctx, q, tail, audit)
			})
		if !errors.Is(err, db.ErrConflict) {
			return code, tail, err
		}
		free = append(free[:i], free[i+1:]...) // taken meanwhile by another till
	}
	code, _, err = s.CounterStaticQRIS(ctx, a, in)
	return code, 0, err
}

// matchCounterCode ties static-QRIS payment p to the counter code waiting
// for it, inside the callback's transaction; it returns the code's id, or 0.
func matchCounterCode(ctx context.Context, tx *db.Tx, p db.Payment) (int64, error) {
	c, ok, err := tx.MatchCounterCode(ctx, p)
	if err != nil || !ok {
		return 0, err
	}
	return c.ID, nil
}
