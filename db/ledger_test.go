package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

// ledgerDB is a fresh database with one merchant.
func ledgerDB(t *testing.T, e dbtest.Engine) (*db.DB, db.Merchant) {
	t.Helper()
	d := dbtest.Open(t, e, clocktest.Fixed(t))
	m, err := d.CreateMerchant(t.Context(), db.NewMerchant{Name: "Warung Buku"})
	if err != nil {
		t.Fatal(err)
	}
	return d, m
}

func sale(m db.Merchant, key string, gross, fee int64, at time.Time) db.LedgerEntry {
	return db.LedgerEntry{MerchantID: m.ID, Key: key, Kind: db.KindSale, Method: "QRIS", AmountMinor: gross, FeeMinor: fee,
		OccurredAt: at, Actor: db.ActorNetzme, Postings: []db.Posting{
			{Account: db.AccountNetzmeBalance, AmountMinor: gross - fee}, {Account: db.AccountExpenseMDR, AmountMinor: fee},
			{Account: db.AccountIncomeSales, AmountMinor: -gross}}}
}

func post(t *testing.T, d *db.DB, e db.LedgerEntry) (db.LedgerTransaction, bool) {
	t.Helper()
	var out db.LedgerTransaction
	var created bool
	err := d.InTx(t.Context(), func(tx *db.Tx) error {
		var err error
		out, created, err = tx.PostLedger(t.Context(), e)
		return err
	})
	if err != nil {
		t.Fatalf("post %s: %v", e.Key, err)
	}
	return out, created
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.SQL().QueryRowContext(t.Context(), d.Rebind(query), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func balance(t *testing.T, d *db.DB, m db.Merchant, a db.LedgerAccount) int64 {
	t.Helper()
	b, err := d.LedgerBalance(t.Context(), m.ID, a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawHeader inserts a ledger transaction with SQL, bypassing every Go check,
// as a bug or a person at the sqlite3 shell would.
func rawHeader(ctx context.Context, d *db.DB, merchantID int64, key string, count int, postings string, reverses any) error {
	_, err := d.SQL().ExecContext(ctx, d.Rebind(`INSERT INTO ledger_transactions (merchant_id, key, kind, amount_minor, occurred_at,
		recorded_at, actor, posting_count, postings, reverses_id)
		VALUES (?, ?, 'sale', 100, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', 'system', ?, ?, ?)`),
		merchantID, key, count, postings, reverses)
	return err
}

func TestEveryMerchantHasTheWholeChart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d, m := ledgerDB(t, e)
		bs, err := d.LedgerBalances(t.Context(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) != len(db.LedgerAccounts) {
			t.Fatalf("merchant has %d accounts, the chart %d", len(bs), len(db.LedgerAccounts))
		}
		for i, b := range bs {
			if b.Account != db.LedgerAccounts[i] || b.BalanceMinor != 0 {
				t.Errorf("account %d = %+v, want %s at 0", i, b, db.LedgerAccounts[i])
			}
		}
	})
}

// Invariant 1: a transaction balances or is refused — by the database itself,
// not only by Go.
func TestUnbalancedTransactionsAreRefusedByTheDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d, m := ledgerDB(t, e)
		ctx := t.Context()
		at := clocktest.Base(t)

		// The Go API refuses first, with ErrUnbalanced.
		bad := sale(m, "go-unbalanced", 10_000, 100, at)
		bad.Postings[0].AmountMinor++
		err := d.InTx(ctx, func(tx *db.Tx) error { _, _, err := tx.PostLedger(ctx, bad); return err })
		if !errors.Is(err, db.ErrUnbalanced) {
			t.Errorf("unbalanced entry: err = %v, want ErrUnbalanced", err)
		}

		// The database refuses whatever bypasses Go.
		for _, c := range []struct {
			name, postings string
			count          int
			want           string
		}{
			{"sum not zero", `[{"account":"netzme:balance","amount":100},{"account":"income:sales","amount":-99}]`, 2, "unbalanced"},
			{"one posting", `[{"account":"netzme:balance","amount":100}]`, 1, "unbalanced"},
			{"zero amounts", `[{"account":"netzme:balance","amount":0},{"account":"income:sales","amount":0}]`, 2, "non-zero integers"},
			{"fractional sen", `[{"account":"netzme:balance","amount":0.5},{"account":"income:sales","amount":-0.5}]`, 2, "non-zero integers"},
			{"count lies", `[{"account":"netzme:balance","amount":100},{"account":"income:sales","amount":-100}]`, 3, "posting_count"},
			{"unknown account", `[{"account":"netzme:balance","amount":100},{"account":"kas:rahasia","amount":-100}]`, 2, "account the merchant does not have"},
			{"one account twice", `[{"account":"netzme:balance","amount":100},{"account":"netzme:balance","amount":-100}]`, 2, "UNIQUE constraint failed: ledger_postings.transaction_id, ledger_postings.account_id"},
		} {
			if e == dbtest.Postgres {
				// PostgreSQL names the constraint, not its columns.
				c.want = strings.Replace(c.want, "UNIQUE constraint failed: ledger_postings.transaction_id, ledger_postings.account_id",
					`unique constraint "ledger_postings_transaction_id_account_id_key"`, 1)
			}
			err := rawHeader(ctx, d, m.ID, "raw-"+c.name, c.count, c.postings, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: err = %v, want a refusal mentioning %q", c.name, err, c.want)
			}
		}
		// Another merchant's accounts cannot be posted to either.
		other, err := d.CreateMerchant(ctx, db.NewMerchant{Name: "Toko Lain"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.SQL().ExecContext(ctx, d.Rebind(`INSERT INTO ledger_postings (transaction_id, seq, merchant_id, account_id, amount_minor, balance_after_minor)
		VALUES (1, 1, ?, (SELECT id FROM ledger_accounts WHERE merchant_id = ? AND code = 'bank'), 5, 5)`), other.ID, other.ID); err == nil {
			t.Error("a posting without its transaction was written")
		}
		if n := count(t, d, `SELECT count(*) FROM ledger_transactions`) + count(t, d, `SELECT count(*) FROM ledger_postings`); n != 0 {
			t.Errorf("%d ledger rows written by refused transactions", n)
		}
		for _, a := range db.LedgerAccounts {
			if b := balance(t, d, m, a); b != 0 {
				t.Errorf("%s moved to %d by refused transactions", a, b)
			}
		}
	})
}

// A posting can only be written by its transaction's own trigger: extra
// postings after the fact are refused, so a committed transaction stays
// balanced.
func TestPostingsCannotBeAddedToATransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d, m := ledgerDB(t, e)
		ctx := t.Context()
		tr, _ := post(t, d, sale(m, "invoice-paid:LPK1", 50_000, 350, clocktest.Base(t)))
		bank := count(t, d, `SELECT id FROM ledger_accounts WHERE merchant_id = ? AND code = 'bank'`, m.ID)
		for _, seq := range []int{1, 3, 4} {
			_, err := d.SQL().ExecContext(ctx, d.Rebind(`INSERT INTO ledger_postings (transaction_id, seq, merchant_id, account_id, amount_minor, balance_after_minor)
			VALUES (?, ?, ?, ?, 1000, 1000)`), tr.ID, seq, m.ID, bank)
			if err == nil {
				t.Errorf("an extra posting (seq %d) was added to a committed transaction", seq)
			}
		}
		if n := count(t, d, `SELECT count(*) FROM ledger_postings WHERE transaction_id = ?`, tr.ID); n != 3 {
			t.Errorf("transaction has %d postings, want 3", n)
		}
	})
}

// Invariant 2: postings and transactions are never updated or deleted, and
// checkpoints move only with a posting.
func TestLedgerIsAppendOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d, m := ledgerDB(t, e)
		ctx := t.Context()
		tr, _ := post(t, d, sale(m, "invoice-paid:LPK1", 50_000, 350, clocktest.Base(t)))
		for _, q := range []string{
			`UPDATE ledger_transactions SET amount_minor = 1 WHERE id = ?`,
			`UPDATE ledger_transactions SET memo = 'diam-diam' WHERE id = ?`,
			`DELETE FROM ledger_transactions WHERE id = ?`,
			`UPDATE ledger_postings SET amount_minor = amount_minor + 1 WHERE transaction_id = ?`,
			`DELETE FROM ledger_postings WHERE transaction_id = ?`,
			`UPDATE ledger_accounts SET balance_minor = balance_minor + 100000 WHERE merchant_id = (SELECT merchant_id FROM ledger_transactions WHERE id = ?)`,
			`DELETE FROM ledger_accounts WHERE merchant_id = (SELECT merchant_id FROM ledger_transactions WHERE id = ?)`,
			`DELETE FROM ledger_daily WHERE merchant_id = (SELECT merchant_id FROM ledger_transactions WHERE id = ?)`,
		} {
			if _, err := d.SQL().ExecContext(ctx, d.Rebind(q), tr.ID); err == nil {
				t.Errorf("%s: allowed", q)
			}
		}
		got, err := d.LedgerTransaction(ctx, m.ID, tr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.AmountMinor != 50_000 || got.Memo != "" || len(got.Postings) != 3 {
			t.Errorf("transaction changed: %+v", got)
		}
		if b := balance(t, d, m, db.AccountNetzmeBalance); b != 49_650 {
			t.Errorf("netzme:balance = %d, want 49650", b)
		}
	})
}

// Invariant 3: one transaction per key — a replay posts nothing.
func TestSameKeyPostsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d, m := ledgerDB(t, e)
		at := clocktest.Base(t)
		first, created := post(t, d, sale(m, "qris:RRN1|20260101|936", 25_000, 175, at))
		if !created {
			t.Fatal("first post not created")
		}
		again, created := post(t, d, sale(m, "qris:RRN1|20260101|936", 25_000, 175, at))
		if created || again.ID != first.ID {
			t.Errorf("replay: created %v id %d, want the first (%d) back", created, again.ID, first.ID)
		}
		if n := count(t, d, `SELECT count(*) FROM ledger_transactions`); n != 1 {
			t.Errorf("%d transactions, want 1", n)
		}
		if b := balance(t, d, m, db.AccountIncomeSales); b != -25_000 {
			t.Errorf("income:sales = %d, want -25000 (booked once)", b)
		}
		// The same key for another merchant is another event.
		other, err := d.CreateMerchant(t.Context(), db.NewMerchant{Name: "Toko Lain"})
		if err != nil {
			t.Fatal(err)
		}
		if _, created := post(t, d, sale(other, "qris:RRN1|20260101|936", 25_000, 175, at)); !created {
			t.Error("another merchant's event with the same key was taken as a replay")
		}
	})
}

// Invariant 4 at the storage level: a ledger row written in a transaction
// that fails afterwards is gone with it.
func TestLedgerRowsRollBackWithTheirTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d, m := ledgerDB(t, e)
		boom := errors.New("the event failed")
		err := d.InTx(t.Context(), func(tx *db.Tx) error {
			if _, _, err := tx.PostLedger(t.Context(), sale(m, "invoice-paid:LPK9", 10_000, 70, clocktest.Base(t))); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if n := count(t, d, `SELECT (SELECT count(*) FROM ledger_transactions) + (SELECT count(*) FROM ledger_postings)
		+ (SELECT count(*) FROM ledger_daily)`); n != 0 {
			t.Errorf("%d ledger rows survived a rolled-back event", n)
		}
		if b := balance(t, d, m, db.AccountNetzmeBalance); b != 0 {
			t.Errorf("netzme:balance = %d after a rolled-back event", b)
		}
	})
}

// A transaction is reversed at most once, by its exact negation.
func TestReversalAtMostOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d, m := ledgerDB(t, e)
		ctx := t.Context()
		at := clocktest.Base(t)
		orig, _ := post(t, d, sale(m, "invoice-paid:LPK1", 50_000, 350, at))
		rev := sale(m, "reversal:1", -50_000, -350, at.Add(time.Hour))
		for i := range rev.Postings {
			rev.Postings[i].AmountMinor = -orig.Postings[i].AmountMinor
		}
		rev.ReversesID = orig.ID
		// Not the negation: refused.
		wrong := rev
		wrong.Key = "reversal:wrong"
		wrong.Postings = []db.Posting{{Account: db.AccountNetzmeBalance, AmountMinor: -50_000}, {Account: db.AccountIncomeSales, AmountMinor: 50_000}}
		if err := d.InTx(ctx, func(tx *db.Tx) error { _, _, err := tx.PostLedger(ctx, wrong); return err }); err == nil ||
			!strings.Contains(err.Error(), "reversal") {
			t.Errorf("a reversal that is not the negation: err = %v", err)
		}
		r1, created := post(t, d, rev)
		if !created {
			t.Fatal("reversal not written")
		}
		for _, a := range []db.LedgerAccount{db.AccountNetzmeBalance, db.AccountExpenseMDR, db.AccountIncomeSales} {
			if b := balance(t, d, m, a); b != 0 {
				t.Errorf("%s = %d after the reversal, want 0", a, b)
			}
		}
		// A second reversal under another key: the database refuses it.
		rev2 := rev
		rev2.Key = "reversal:again"
		err := d.InTx(ctx, func(tx *db.Tx) error { _, _, err := tx.PostLedger(ctx, rev2); return err })
		if !errors.Is(err, db.ErrConflict) {
			t.Errorf("second reversal: err = %v, want ErrConflict", err)
		}
		// A reversal is not reversed.
		revrev := sale(m, "reversal:of-reversal", 50_000, 350, at)
		revrev.ReversesID = r1.ID
		if err := d.InTx(ctx, func(tx *db.Tx) error { _, _, err := tx.PostLedger(ctx, revrev); return err }); err == nil {
			t.Error("a reversal was reversed")
		}
		if n := count(t, d, `SELECT count(*) FROM ledger_transactions`); n != 2 {
			t.Errorf("%d transactions, want the original and one reversal", n)
		}
	})
}

// Checkpoints, running balances and daily totals move with each
// transaction; the day is Jakarta's.
func TestBalancesAndDailyTotals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d, m := ledgerDB(t, e)
		ctx := t.Context()
		// 23:30 and 00:30 Jakarta on either side of midnight.
		day1 := time.Date(2026, 3, 9, 23, 30, 0, 0, time.FixedZone("WIB", 7*3600))
		day2 := day1.Add(time.Hour)
		post(t, d, sale(m, "key1", 10_000, 70, day1))
		post(t, d, sale(m, "key2", 20_000, 140, day2))
		post(t, d, sale(m, "key3", 30_000, 210, day2))
		topup := db.LedgerEntry{MerchantID: m.ID, Key: "key4", Kind: db.KindTopup, Method: "QRIS", AmountMinor: 100_000, FeeMinor: 700,
			OccurredAt: day2, Actor: db.ActorNetzme, Postings: []db.Posting{{Account: db.AccountNetzmeDeposit, AmountMinor: 99_300},
				{Account: db.AccountExpenseMDR, AmountMinor: 700}, {Account: db.AccountEquityOwner, AmountMinor: -100_000}}}
		post(t, d, topup)

		if b := balance(t, d, m, db.AccountNetzmeBalance); b != 60_000-420 {
			t.Errorf("netzme:balance = %d, want %d", b, 60_000-420)
		}
		if b := balance(t, d, m, db.AccountExpenseMDR); b != 420+700 {
			t.Errorf("expense:mdr = %d", b)
		}
		var after []int64
		rows, err := d.SQL().QueryContext(ctx, d.Rebind(`SELECT p.balance_after_minor FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
		WHERE a.merchant_id = ? AND a.code = 'income:sales' ORDER BY p.id`), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v int64
			rows.Scan(&v)
			after = append(after, v)
		}
		rows.Close()
		if len(after) != 3 || after[0] != -10_000 || after[1] != -30_000 || after[2] != -60_000 {
			t.Errorf("income:sales running balances = %v, want [-10000 -30000 -60000]", after)
		}
		sums, err := d.DailySums(ctx, m.ID, db.KindSale, "2026-03-01", "2026-03-31")
		if err != nil {
			t.Fatal(err)
		}
		want := []db.DaySum{{Day: "2026-03-09", Count: 1, AmountMinor: 10_000, FeeMinor: 70}, {Day: "2026-03-10", Count: 2, AmountMinor: 50_000, FeeMinor: 350}}
		if len(sums) != 2 || sums[0] != want[0] || sums[1] != want[1] {
			t.Errorf("daily sales = %+v, want %+v (the top-up is not a sale)", sums, want)
		}
		chk, err := d.VerifyLedger(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !chk.OK() || chk.Transactions != 4 || chk.Postings != 12 {
			t.Errorf("verify: %+v", chk)
		}
	})
}

// ledger verify recomputes from the postings: a checkpoint or a daily total
// changed behind the books' back is caught.
func TestVerifyCatchesTamperedCheckpointAndTotals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d, m := ledgerDB(t, e)
		ctx := t.Context()
		post(t, d, sale(m, "key1", 10_000, 70, clocktest.Base(t)))
		if chk, err := d.VerifyLedger(ctx); err != nil || !chk.OK() {
			t.Fatalf("clean books: %+v %v", chk, err)
		}
		// The guard refuses the tamper; an attacker with the shell drops it first.
		if _, err := d.SQL().ExecContext(ctx, d.Rebind(`UPDATE ledger_accounts SET balance_minor = 1 WHERE merchant_id = ? AND code = 'bank'`), m.ID); err == nil {
			t.Fatal("the checkpoint guard let a balance change")
		}
		drop := `DROP TRIGGER ledger_accounts_guard`
		if e == dbtest.Postgres {
			drop += ` ON ledger_accounts`
		}
		for _, q := range []string{
			drop,
			`UPDATE ledger_accounts SET balance_minor = balance_minor + 500000 WHERE code = 'netzme:balance'`,
			`UPDATE ledger_daily SET amount_minor = amount_minor + 1`,
		} {
			if _, err := d.SQL().ExecContext(ctx, d.Rebind(q)); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		chk, err := d.VerifyLedger(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := map[string]bool{}
		for _, p := range chk.Problems {
			found[p.Check] = true
		}
		if chk.OK() || !found["checkpoints"] || !found["daily totals"] {
			t.Errorf("verify after tampering: ok=%v problems=%+v; want checkpoints and daily totals", chk.OK(), chk.Problems)
		}
		for _, b := range chk.Balances {
			if b.Account == db.AccountNetzmeBalance && b.BalanceMinor != 9_930 {
				t.Errorf("recomputed netzme:balance = %d, want 9930 (from the postings, not the checkpoint)", b.BalanceMinor)
			}
		}
	})
}
