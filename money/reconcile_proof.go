package money

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lapak/db"
	"lapak/netzme"
)

// The balance proof (issue 12 §4) and the opening balance it rests on.
// At the end of every sync Lapak reads Netzme's balances (Get Balance
// Detail §3.3, Get Balance Deposit §3.26) and keeps them; the proof puts
// Netzme's totalBalance of the last sync next to the books' netzme:balance
// at that moment — every transaction that occurred by then, whenever it was
// written — and names the open exceptions that explain a difference.

// BalanceProof is the books next to Netzme at the last sync.
type BalanceProof struct {
	Synced      bool      // a sync has read Netzme's balance; false: nothing to compare yet
	AsOf        time.Time // when Netzme answered
	NetzmeMinor int64     // Netzme's totalBalance then
	LapakMinor  int64     // netzme:balance in the books, at AsOf
	// DifferenceMinor is Netzme's balance less the books' (positive:
	// Netzme holds more); 0 when the books agree.
	DifferenceMinor int64
	// OpenCount unresolved exceptions up to AsOf explain ExplainedMinor of
	// the difference (Netzme's side less the books'); Open are the newest.
	OpenCount      int
	ExplainedMinor int64
	Open           []db.ReconItem
}

// Agrees reports whether the books agree with Netzme.
func (p BalanceProof) Agrees() bool { return p.Synced && p.DifferenceMinor == 0 }

// Explained reports whether the open exceptions explain the whole
// difference.
func (p BalanceProof) Explained() bool { return p.ExplainedMinor == p.DifferenceMinor }

// BalanceProof returns the merchant's balance proof with at most list open
// exceptions. It reads Lapak's tables only (index seeks): a page may show
// it at any size of journal.
func (s *Service) BalanceProof(ctx context.Context, merchantID int64, list int) (BalanceProof, error) {
	snap, err := s.db.LatestBalanceSnapshot(ctx, merchantID, db.WalletSales)
	if errors.Is(err, db.ErrNotFound) {
		return BalanceProof{}, nil
	} else if err != nil {
		return BalanceProof{}, err
	}
	p := BalanceProof{Synced: true, AsOf: snap.AsOf, NetzmeMinor: snap.TotalMinor}
	if p.LapakMinor, err = s.db.LedgerBalanceAt(ctx, merchantID, db.AccountNetzmeBalance, snap.AsOf); err != nil {
		return p, err
	}
	p.DifferenceMinor = p.NetzmeMinor - p.LapakMinor
	if p.OpenCount, p.ExplainedMinor, err = s.db.OpenExceptionSum(ctx, merchantID, db.WalletSales, snap.AsOf); err != nil {
		return p, err
	}
	if list > 0 && p.OpenCount > 0 {
		if p.Open, err = s.db.OpenExceptions(ctx, merchantID, db.WalletSales, snap.AsOf, list); err != nil {
			return p, err
		}
	}
	return p, nil
}

// BookOpeningBalances books each of the merchant's opening balances
// (recorded at link time, or at the first sync of a merchant linked before
// — RecordOpeningBalances) into the ledger, once: kind opening_balance, key
// opening:<wallet>:<custIdMerchant>, the wallet's account against
// equity:opening, on the balance's date. The amount is Netzme's balance
// then less what the books had written on the wallet before that moment —
// all of it for a fresh link; for a merchant whose books began before, the
// part they did not explain (guess: an older payment whose callback comes
// only later is then counted twice, and shows in the balance proof). The decision is recorded with
// the posting (db.RecordOpeningBooking), so a later call books nothing. It
// returns how many ledger transactions it wrote.
func (s *Service) BookOpeningBalances(ctx context.Context, merchantID int64) (int, error) {
	n := 0
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		obs, err := tx.OpeningRowsOf(ctx, merchantID)
		if err != nil {
			return err
		}
		for _, b := range obs {
			done, err := tx.OpeningBooked(ctx, b.ID)
			if err != nil || done {
				if err != nil {
					return err
				}
				continue
			}
			acct := walletAccount(b.Wallet)
			held, err := tx.LedgerBalanceRecordedBefore(ctx, merchantID, acct, b.AsOf)
			if err != nil {
				return err
			}
			amount, ledgerID := b.TotalMinor-held, int64(0)
			if amount != 0 {
				abs := amount
				if abs < 0 {
					abs = -abs
				}
				memo := "Saldo awal Netzme (§3.3)"
				if b.Wallet == db.WalletDeposit {
					memo = "Saldo awal deposit Netzme (§3.26)"
				}
				t, created, err := tx.PostLedger(ctx, db.LedgerEntry{MerchantID: merchantID,
					Key: "opening:" + string(b.Wallet) + ":" + b.CustID, Kind: db.KindOpeningBalance, AmountMinor: abs,
					Reference: b.CustID, OccurredAt: b.AsOf, Actor: db.ActorSystem, Memo: memo,
					Postings: []db.Posting{{Account: acct, AmountMinor: amount}, {Account: db.AccountEquityOpening, AmountMinor: -amount}}})
				if err != nil {
					return err
				}
				ledgerID = t.ID
				if created {
					n++
				}
			}
			if err := tx.RecordOpeningBooking(ctx, b.ID, merchantID, ledgerID, held); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("money: book opening balances of merchant %d: %w", merchantID, err)
	}
	return n, nil
}

// openBooks records and books the opening balance of every linked
// merchant that has none yet (a merchant linked before Lapak kept its
// books): the sync runner's first step.
func (s *Service) openBooks(ctx context.Context) {
	ms, err := s.db.Merchants(ctx)
	if err != nil {
		s.log.Error("reconcile: list merchants", "err", err)
		return
	}
	for _, m := range ms {
		if m.NetzmeCustID == "" || ctx.Err() != nil {
			continue
		}
		s.RecordOpeningBalances(ctx, System(m.ID))
		if _, err := s.BookOpeningBalances(ctx, m.ID); err != nil {
			s.log.Error("reconcile: opening balance", "merchant", m.ID, "err", err)
		}
	}
}

// afterSync ends a sync run that read Netzme's lists: the opening balance
// is booked if it is not yet, Netzme's balances are read for the proof,
// and the reconciliation pass runs. Failures are logged; the sync stands.
func (s *Service) afterSync(ctx context.Context, run db.SyncRun) {
	a := System(run.MerchantID)
	s.RecordOpeningBalances(ctx, a)
	if _, err := s.BookOpeningBalances(ctx, run.MerchantID); err != nil {
		s.log.Error("reconcile: opening balance", "merchant", run.MerchantID, "err", err)
	}
	for _, w := range []db.Wallet{db.WalletSales, db.WalletDeposit} {
		read := (*netzme.Client).BalanceDetail
		if w == db.WalletDeposit {
			read = (*netzme.Client).DepositBalance
		}
		b, err := s.balance(ctx, a, read)
		if err != nil {
			s.log.Warn("reconcile: balance not read", "merchant", run.MerchantID, "wallet", w, "err", netzme.Describe(err))
			continue
		}
		if err := s.db.RecordBalanceSnapshot(ctx, db.BalanceSnapshot{MerchantID: run.MerchantID, Wallet: w, TotalMinor: b.TotalMinor,
			SettledMinor: b.SettledMinor, Raw: string(b.Raw), RunID: run.ID, AsOf: s.now()}); err != nil {
			s.log.Error("reconcile: balance snapshot", "merchant", run.MerchantID, "err", err)
		}
	}
	if _, err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("reconcile: pass after sync", "run", run.ID, "err", err)
	}
}
