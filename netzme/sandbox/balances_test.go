package sandbox_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"lapak/netzme"
	"lapak/netzme/sandbox"
)

// journalOf sums one merchant's ledger in the state file the way the
// balances are defined: every entry of a wallet, and the sales entries
// settled by now.
func journalOf(t *testing.T, path, cust string, now time.Time) sandbox.Balances {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b sandbox.Balances
	err = db.QueryRow(`SELECT
		COALESCE(SUM(CASE WHEN wallet = 'balance' THEN amount_minor END), 0),
		COALESCE(SUM(CASE WHEN wallet = 'balance' AND settle_at <= ? THEN amount_minor END), 0),
		COALESCE(SUM(CASE WHEN wallet = 'deposit' THEN amount_minor END), 0)
		FROM ledger WHERE cust_id = ?`, now.UnixMilli(), cust).Scan(&b.TotalMinor, &b.SettledMinor, &b.DepositMinor)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantBalances checks the sandbox's balances, by method and over the API,
// against the journal itself.
func (e *env) wantBalances(t *testing.T, path string, now time.Time, want sandbox.Balances) {
	t.Helper()
	ctx := ctxT(t)
	if j := journalOf(t, path, e.demo.CustID, now); j != want {
		t.Fatalf("journal sums to %+v, the test expected %+v", j, want)
	}
	got, err := e.sb.Balances(ctx, e.demo.CustID)
	if err != nil || got != want {
		t.Errorf("Balances = %+v, %v; the journal sums to %+v", got, err, want)
	}
	bal, err := e.c.BalanceDetail(ctx, netzme.BalanceRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID})
	if err != nil || bal.TotalMinor != want.TotalMinor || bal.SettledMinor != want.SettledMinor {
		t.Errorf("Get Balance Detail: total %d settled %d (%v), want %d / %d", bal.TotalMinor, bal.SettledMinor, err, want.TotalMinor, want.SettledMinor)
	}
	dep, err := e.c.DepositBalance(ctx, netzme.BalanceRequest{PartnerReferenceNo: ref(), CustIDMerchant: e.demo.CustID})
	if err != nil || dep.TotalMinor != want.DepositMinor {
		t.Errorf("Get Balance Deposit: %d (%v), want %d", dep.TotalMinor, err, want.DepositMinor)
	}
}

func TestBalancesFollowEveryKindOfMovement(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sandbox.db")
	now := time.Now()
	e := newEnv(t, func(o *sandbox.Options) { o.StatePath = path })
	ctx := ctxT(t)
	var want sandbox.Balances

	net := e.fund(t, 2_500_000) // an invoice paid by QRIS, net of MDR
	want.TotalMinor += net
	want.SettledMinor += net
	e.wantBalances(t, path, time.Now(), want)

	if err := e.sb.Credit(ctx, e.demo.CustID, sandbox.WalletDeposit, 7_000_000, "modal awal"); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.Credit(ctx, e.demo.CustID, sandbox.WalletBalance, -100_000, "koreksi"); err != nil {
		t.Fatal(err)
	}
	want.DepositMinor += 7_000_000
	want.TotalMinor -= 100_000
	want.SettledMinor -= 100_000
	e.wantBalances(t, path, time.Now(), want)

	// Bulk-seeded history moves the same totals: a payment, a failed and a
	// succeeded withdrawal, a split fee from the deposit, and a payment
	// that settles only in an hour (counted in the total, not the settled).
	err := e.sb.SeedHistory(ctx, e.demo.CustID, []sandbox.Movement{
		{Kind: sandbox.MoveInvoicePayment, At: now.Add(-3 * time.Hour), AmountMinor: 1_000_000, FeeMinor: 7_000},
		{Kind: sandbox.MoveWithdrawal, At: now.Add(-2 * time.Hour), AmountMinor: 300_000},
		{Kind: sandbox.MoveWithdrawal, At: now.Add(-2 * time.Hour), AmountMinor: 200_000, Status: "FAILED"},
		{Kind: sandbox.MoveSplitFee, At: now.Add(-time.Hour), AmountMinor: 1_000_000, FeeMinor: 5_000},
		{Kind: sandbox.MoveStaticQRIS, At: now.Add(time.Hour), AmountMinor: 50_000, FeeMinor: 350},
	})
	if err != nil {
		t.Fatal(err)
	}
	want.TotalMinor += 993_000 - 300_000 + 49_650
	want.SettledMinor += 993_000 - 300_000
	want.DepositMinor -= 5_000
	e.wantBalances(t, path, time.Now(), want)

	// Other merchants' money is theirs.
	other, err := e.sb.AddMerchant(ctx, sandbox.Merchant{Name: "Warung Lain"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sb.Credit(ctx, other.CustID, sandbox.WalletBalance, 42_000, "lain"); err != nil {
		t.Fatal(err)
	}
	e.wantBalances(t, path, time.Now(), want)
	if b, _ := e.sb.Balances(ctx, other.CustID); b != (sandbox.Balances{TotalMinor: 42_000, SettledMinor: 42_000}) {
		t.Errorf("other merchant: %+v", b)
	}
}

// A state file written before the running totals existed gets them from
// its journal when it is opened, and they move on from there.
func TestBalancesOfAStateFromBeforeTheTotals(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sandbox.db")
	ctx := ctxT(t)
	first, err := sandbox.Open(ctx, sandbox.Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	cust := first.DemoMerchant().CustID
	for i, amount := range []int64{1_500_000, -250_000, 80_000} {
		if err := first.Credit(ctx, cust, sandbox.WalletBalance, amount, "saldo"); err != nil {
			t.Fatal(i, err)
		}
	}
	if err := first.Credit(ctx, cust, sandbox.WalletDeposit, 900_000, "deposit"); err != nil {
		t.Fatal(err)
	}
	first.Close()

	// What an older build's file looks like: a journal and no totals.
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DROP TRIGGER ledger_wallet_totals; DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete;
		DROP TABLE wallet_totals`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	second, err := sandbox.Open(ctx, sandbox.Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	want := sandbox.Balances{TotalMinor: 1_330_000, SettledMinor: 1_330_000, DepositMinor: 900_000}
	if b, err := second.Balances(ctx, cust); err != nil || b != want {
		t.Errorf("after upgrade: %+v, %v; want %+v", b, err, want)
	}
	if err := second.Credit(ctx, cust, sandbox.WalletBalance, 20_000, "lagi"); err != nil {
		t.Fatal(err)
	}
	want.TotalMinor += 20_000
	want.SettledMinor += 20_000
	if b, _ := second.Balances(ctx, cust); b != want {
		t.Errorf("after a credit: %+v, want %+v", b, want)
	}
	if j := journalOf(t, path, cust, time.Now()); j != want {
		t.Errorf("journal %+v, balances %+v", j, want)
	}
}

// The journal is what the totals are derived from: it can only grow.
func TestSandboxLedgerIsAppendOnly(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sandbox.db")
	ctx := context.Background()
	sb, err := sandbox.Open(ctx, sandbox.Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if err := sb.Credit(ctx, sb.DemoMerchant().CustID, sandbox.WalletBalance, 10_000, "x"); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{`UPDATE ledger SET amount_minor = 1`, `DELETE FROM ledger`} {
		if _, err := raw.Exec(q); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
}
