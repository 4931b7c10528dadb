package sandbox

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A read that stands alone — a balance, a transaction's status — neither
// takes the lock every change holds nor waits for the writer's connection:
// with a change under way (lock held, a transaction open on the writer) it
// answers at once, with what was committed.
func TestReadsDoNotWaitForAChange(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := Open(ctx, Options{StatePath: filepath.Join(t.TempDir(), "sandbox.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cust := s.DemoMerchant().CustID
	if err := s.Credit(ctx, cust, WalletBalance, 75_000, "modal"); err != nil {
		t.Fatal(err)
	}

	s.mu.Lock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		s.mu.Unlock()
		t.Fatal(err)
	}
	if err := s.post(ctx, tx, cust, WalletBalance, 1_000_000, "adjustment", "not yet committed"); err != nil {
		t.Error(err)
	}
	done := make(chan error, 1)
	var b Balances
	go func() {
		var err error
		if b, err = s.Balances(ctx, cust); err == nil {
			_, err = s.Merchant(ctx, cust)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
		if b.TotalMinor != 75_000 || b.SettledMinor != 75_000 {
			t.Errorf("balances during a change: %+v, want the committed 75000", b)
		}
	case <-time.After(5 * time.Second):
		t.Error("a balance read waited for the change under way")
		defer func() { <-done }() // it ends once the change does
	}
	tx.Rollback()
	s.mu.Unlock()
}
