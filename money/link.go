package money

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"lapak/db"
	"lapak/netzme"
	"lapak/netzme/qris"
)

// Linking a Netzme merchant (owner): look the merchant up by its registered
// phone number (Get Merchant Detail, §3.5), show what Netzme knows, and save
// only after the owner confirms. Saving looks the merchant up again so what
// is stored is Netzme's answer, not form fields a browser could alter.

var (
	// ErrLinkChanged: Netzme's answer differs from the one the owner
	// confirmed (another custIdMerchant); nothing was saved.
	ErrLinkChanged = errors.New("Netzme's answer changed since the lookup")
	// ErrMerchantTaken: another Lapak merchant is linked to this Netzme
	// merchant already.
	ErrMerchantTaken = errors.New("Netzme merchant linked to another shop")
)

// MerchantFound is what Netzme knows of a merchant (§3.5), with the NMID and
// city read from its static QRIS when that parses.
type MerchantFound struct {
	Name, CustID, Phone string
	NMID, City          string
	HasQRIS             bool
	StaticQRIS          string // the payload, when HasQRIS
}

// LookupMerchant asks Get Merchant Detail (§3.5) for the merchant registered
// with phone (the "62…" form), with an intent row (netzme_actions
// "merchant.link") and an audit line "merchant.lookup". Errors:
// netzme.ErrMerchantInactive when Netzme knows no active merchant with that
// number; ErrMerchantTaken (and nothing of it) when another Lapak merchant is
// linked to it; other Netzme failures by kind.
func (s *Service) LookupMerchant(ctx context.Context, a Actor, phone string) (MerchantFound, error) {
	ref := NewReference(s.now())
	var act db.NetzmeAction
	ans, err := exchange(ctx, s, a, step[netzme.MerchantDetail]{
		Intent: func(ctx context.Context) (err error) {
			act, err = s.db.StartAction(ctx, db.NetzmeAction{MerchantID: a.MerchantID, Kind: "merchant.link",
				PartnerReferenceNo: ref, CreatedBy: a.UserID},
				s.audit(a, "merchant.lookup", map[string]any{"partner_reference_no": ref, "phone": phone}))
			return err
		},
		Call: func(ctx context.Context) (netzme.MerchantDetail, error) {
			return s.netzme.MerchantDetail(ctx, netzme.MerchantDetailRequest{PartnerReferenceNo: ref, PhoneNo: phone})
		},
		Record: func(ctx context.Context, ans Answer[netzme.MerchantDetail]) error {
			status, note := db.ActionOK, ans.Value.CustIDMerchant
			if ans.Err != nil {
				status, note = db.ActionFailed, netzme.Describe(ans.Err)
			}
			_, err := s.db.FinishAction(ctx, act.ID, status, note)
			return err
		},
	})
	if err != nil {
		return MerchantFound{}, err
	}
	if ans.Err != nil {
		if errors.Is(ans.Err, netzme.ErrNotFound) && !errors.Is(ans.Err, netzme.ErrMerchantInactive) {
			// §3.5: the legacy lookup answered 404 for an unknown or inactive
			// merchant; it means the same as 4030818.
			return MerchantFound{}, fmt.Errorf("%w: %w", netzme.ErrMerchantInactive, ans.Err)
		}
		return MerchantFound{}, ans.Err
	}
	d := ans.Value
	// A Netzme merchant another Lapak shop is linked to is that shop's:
	// its name, phone and code are not shown here (issue 13 §9).
	if other, err := s.db.MerchantByNetzmeCustID(ctx, d.CustIDMerchant); err == nil && other.ID != a.MerchantID {
		return MerchantFound{}, ErrMerchantTaken
	} else if err != nil && !errors.Is(err, db.ErrNotFound) {
		return MerchantFound{}, err
	}
	f := MerchantFound{Name: d.AccountName, CustID: d.CustIDMerchant, Phone: d.AccountNo}
	if d.QRStatic != "" {
		if p, err := qris.Parse(d.QRStatic); err == nil {
			f.NMID, f.City, f.HasQRIS, f.StaticQRIS = p.NMID, p.MerchantCity, true, d.QRStatic
		}
	}
	return f, nil
}

// LinkMerchant links a's merchant to the Netzme merchant registered with
// phone: it looks it up again (LookupMerchant) and saves Netzme's answer
// when its custIdMerchant is confirmCustID, the one the owner saw. The
// merchant keeps its own name when Netzme's is empty, and its NMID and city
// when Netzme's static QRIS does not parse. Audited "merchant.link". Errors:
// LookupMerchant's; ErrLinkChanged (the fresh answer is returned so it can
// be shown again); ErrMerchantTaken. Once linked, the merchant's balances
// at Netzme are recorded as its opening balance (RecordOpeningBalances).
func (s *Service) LinkMerchant(ctx context.Context, a Actor, phone, confirmCustID string) (MerchantFound, error) {
	f, err := s.LookupMerchant(ctx, a, phone)
	if err != nil {
		return f, err
	}
	if f.CustID != confirmCustID {
		return f, ErrLinkChanged
	}
	m, err := s.db.Merchant(ctx, a.MerchantID)
	if err != nil {
		return f, err
	}
	static, nmid, city := "", m.NMID, m.City
	if f.HasQRIS {
		static, nmid, city = f.StaticQRIS, f.NMID, f.City
	}
	name := f.Name
	if strings.TrimSpace(name) == "" {
		name = m.Name
	}
	err = s.db.UpdateMerchantNetzme(ctx, m.ID, f.CustID, name, city, nmid, phone, static)
	if errors.Is(err, db.ErrConflict) {
		return f, ErrMerchantTaken
	} else if err != nil {
		return f, err
	}
	f.Name = name
	if err := s.db.Audit(ctx, s.audit(a, "merchant.link", map[string]any{"custIdMerchant": f.CustID, "name": name,
		"nmid": nmid, "phone": phone})); err != nil {
		return f, err
	}
	// The ledger opens with Netzme's balances as they are now (§3.3,
	// §3.26); one Netzme does not give now is read later by the sync runner.
	s.RecordOpeningBalances(ctx, a)
	if _, err := s.BookOpeningBalances(ctx, m.ID); err != nil {
		s.log.Error("link: opening balance", "merchant", m.ID, "err", err)
	}
	return f, nil
}
