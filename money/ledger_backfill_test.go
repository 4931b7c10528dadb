package money_test

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"lapak/db"
	"lapak/internal/clocktest"
	"lapak/migrations"
	"lapak/money"
)

// TestBackfillOfADatabaseMadeByThePreviousVersion builds a database as the
// version before the ledger left it (migrations up to 00007, records of
// every kind written with that version's SQL), opens it with this version
// (migration 00008) and runs the start-up step: the journal is filled, it
// verifies, every balance is what the records say, and a second pass posts
// nothing.
func TestBackfillOfADatabaseMadeByThePreviousVersion(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v7.db")
	old, err := sql.Open("sqlite", db.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, old, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	base := clocktest.Base(t)
	ts := func(d time.Duration) string { return base.Add(d).UTC().Format("2006-01-02T15:04:05.000000Z") }
	for _, q := range []string{
		`INSERT INTO merchants (id, name, netzme_cust_id, created_at) VALUES (1, 'Toko Lama', 'M_LAMA0001', '` + ts(-72*time.Hour) + `'),
			(2, 'Toko Kedua', 'M_DUA00002', '` + ts(-72*time.Hour) + `')`,
		`INSERT INTO users (id, email, password_hash, created_at) VALUES (1, 'pemilik@lama.test', '$argon2id$x', '` + ts(-72*time.Hour) + `')`,
		// Invoices: paid sale with fee, paid sale whose fee Netzme never said,
		// paid top-up, pending, expired; another merchant's paid sale.
		`INSERT INTO invoices (id, merchant_id, partner_reference_no, purpose, method, amount_minor, expires_at, status,
			netzme_trx_id, paid_amount_minor, fee_minor, net_minor, paid_at, created_at, updated_at) VALUES
			(1, 1, 'LPK-OLD-1', 'sale', 'QRIS', 5000000, '` + ts(time.Hour) + `', 'paid', 'trx-1', 5000000, 35000, 4965000, '` + ts(-48*time.Hour) + `', '` + ts(-49*time.Hour) + `', '` + ts(-48*time.Hour) + `'),
			(2, 1, 'LPK-OLD-2', 'sale', 'BCA_VA', 2000000, '` + ts(time.Hour) + `', 'paid', 'trx-2', 2000000, NULL, NULL, '` + ts(-47*time.Hour) + `', '` + ts(-49*time.Hour) + `', '` + ts(-47*time.Hour) + `'),
			(3, 1, 'LPK-OLD-3', 'topup_deposit', 'QRIS', 10000000, '` + ts(time.Hour) + `', 'paid', 'trx-3', 10000000, 70000, 9930000, '` + ts(-46*time.Hour) + `', '` + ts(-47*time.Hour) + `', '` + ts(-46*time.Hour) + `'),
			(4, 1, 'LPK-OLD-4', 'sale', 'QRIS', 1000000, '` + ts(time.Hour) + `', 'pending', 'trx-4', NULL, NULL, NULL, NULL, '` + ts(-time.Hour) + `', '` + ts(-time.Hour) + `'),
			(5, 1, 'LPK-OLD-5', 'sale', 'QRIS', 1000000, '` + ts(-24*time.Hour) + `', 'expired', 'trx-5', NULL, NULL, NULL, NULL, '` + ts(-25*time.Hour) + `', '` + ts(-24*time.Hour) + `'),
			(6, 2, 'LPK-OLD-6', 'sale', 'QRIS', 1000000, '` + ts(time.Hour) + `', 'paid', 'trx-6', 1000000, 7000, 993000, '` + ts(-2*time.Hour) + `', '` + ts(-3*time.Hour) + `', '` + ts(-2*time.Hour) + `')`,
		`INSERT INTO payments (id, merchant_id, kind, dedupe_key, rrn, local_date, issuer_id, amount_minor, fee_minor, net_minor,
			paid_at, created_at) VALUES (1, 1, 'qris_static', 'RRNOLD1|20260101|93600814', 'RRNOLD1', '20260101', '93600814',
			2500000, 17500, 2482500, '` + ts(-30*time.Hour) + `', '` + ts(-30*time.Hour) + `')`,
		`INSERT INTO cvs_bills (id, merchant_id, partner_service_id, customer_no, pay_no, partner_reference_no, customer_name,
			customer_phone, customer_email, goods_name, amount_minor, expires_at, status, paid_amount_minor, paid_at,
			payment_request_id, created_at, updated_at) VALUES
			(1, 1, '7015', '00000001', '701500000001', 'CVS-OLD-1', 'Budi', '0812', 'b@c.id', 'Sembako', 7500000, '` + ts(time.Hour) + `', 'paid', 7500000, '` + ts(-20*time.Hour) + `', 'PRID-OLD-1', '` + ts(-21*time.Hour) + `', '` + ts(-20*time.Hour) + `'),
			(2, 1, '7015', '00000002', '701500000002', 'CVS-OLD-2', 'Budi', '0812', 'b@c.id', 'Sembako', 100000, '` + ts(time.Hour) + `', 'open', NULL, NULL, '', '` + ts(-time.Hour) + `', '` + ts(-time.Hour) + `')`,
		`INSERT INTO withdraw_quotes (id, merchant_id, wallet, token, partner_reference_no, amount_minor, allowed, status, created_at, expires_at)
			SELECT value, CASE WHEN value = 7 THEN 2 ELSE 1 END, CASE WHEN value IN (4, 5) THEN 'deposit' ELSE 'sales' END,
				printf('token-%016d', value), printf('Q-%d', value), 1, 1, 'used', '` + ts(-40*time.Hour) + `', '` + ts(-39*time.Hour) + `'
			FROM json_each('[1,2,3,4,5,6,7]')`,
		// Withdrawals in every state (at most one open per merchant and wallet).
		`INSERT INTO withdrawals (id, merchant_id, wallet, quote_id, partner_reference_no, netzme_reference_no, amount_minor, status,
			requested_by, created_at, updated_at, final_at) VALUES
			(1, 1, 'sales', 1, 'WD-OLD-1', 'NZ-1', 3000000, 'success', 1, '` + ts(-40*time.Hour) + `', '` + ts(-39*time.Hour) + `', '` + ts(-39*time.Hour) + `'),
			(2, 1, 'sales', 2, 'WD-OLD-2', 'NZ-2', 1000000, 'failed', 1, '` + ts(-38*time.Hour) + `', '` + ts(-37*time.Hour) + `', '` + ts(-37*time.Hour) + `'),
			(3, 1, 'sales', 3, 'WD-OLD-3', 'NZ-3', 500000, 'pending', 1, '` + ts(-2*time.Hour) + `', '` + ts(-2*time.Hour) + `', NULL),
			(4, 1, 'deposit', 4, 'WD-OLD-4', 'NZ-4', 4000000, 'success', 1, '` + ts(-36*time.Hour) + `', '` + ts(-35*time.Hour) + `', '` + ts(-35*time.Hour) + `'),
			(5, 1, 'deposit', 5, 'WD-OLD-5', '', 100000, 'unknown', 1, '` + ts(-time.Hour) + `', '` + ts(-time.Hour) + `', NULL),
			(6, 1, 'sales', 6, 'WD-OLD-6', '', 999, 'cancelled', 1, '` + ts(-34*time.Hour) + `', '` + ts(-34*time.Hour) + `', '` + ts(-34*time.Hour) + `'),
			(7, 2, 'sales', 7, 'WD-OLD-7', '', 777, 'awaiting_approval', NULL, '` + ts(-time.Hour) + `', '` + ts(-time.Hour) + `', NULL)`,
		`INSERT INTO split_fees (id, merchant_id, invoice_id, partner_reference_no, reference_no, amount_minor, fee_minor, status,
			created_at, updated_at) VALUES
			(1, 1, 1, 'LPK-OLD-1', 'SF-OLD-1', 5000000, 99000, 'failed', '` + ts(-45*time.Hour) + `', '` + ts(-45*time.Hour) + `'),
			(2, 1, 1, 'LPK-OLD-1', 'SF-OLD-2', 5000000, 150000, 'success', '` + ts(-44*time.Hour) + `', '` + ts(-44*time.Hour) + `')`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	// This version opens it: 00008 applies, the backfill is pending.
	d, err := db.Open(ctx, path, clocktest.Fixed(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if pending, err := d.LedgerBackfillPending(ctx); err != nil || !pending {
		t.Fatalf("backfill pending = %v, %v; want true after the upgrade", pending, err)
	}
	svc := money.New(money.Deps{DB: d, Now: clocktest.Fixed(t)})
	r, ran, err := svc.StartLedger(ctx)
	if err != nil || !ran {
		t.Fatalf("start-up step: ran %v, %v", ran, err)
	}
	// 3 + 1 (merchant 2) paid invoices, 1 payment, 1 bill,
	// withdrawals 2+2+1+2+1, 1 split fee.
	if r.Posted != 15 {
		t.Errorf("backfill posted %d transactions, want 15 (report %+v)", r.Posted, r)
	}
	chk := verifyOK(t, d)
	if chk.Transactions != 15 || chk.Merchants != 2 || chk.Accounts != 22 {
		t.Errorf("verify summary %+v", chk)
	}
	want := map[db.LedgerAccount]int64{
		db.AccountNetzmeBalance:            4_965_000 + 2_000_000 + 2_482_500 - 3_000_000 - 1_000_000 + 1_000_000 - 500_000,
		db.AccountNetzmeDeposit:            9_930_000 - 150_000 - 4_000_000 - 100_000,
		db.AccountTransitWithdrawal:        500_000, // pending: neither at Netzme nor at the bank
		db.AccountTransitDepositWithdrawal: 100_000, // outcome unknown
		db.AccountBank:                     3_000_000 + 4_000_000,
		db.AccountNicepayReceivable:        7_500_000,
		db.AccountExpenseMDR:               35_000 + 70_000 + 17_500,
		db.AccountExpenseSplitFee:          150_000,
		db.AccountIncomeSales:              -(5_000_000 + 2_000_000 + 2_500_000 + 7_500_000),
		db.AccountEquityOwner:              -10_000_000,
		db.AccountEquityOpening:            0,
	}
	bs, err := d.LedgerBalances(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.BalanceMinor != want[b.Account] {
			t.Errorf("merchant 1 %s = %d, want %d", b.Account, b.BalanceMinor, want[b.Account])
		}
	}
	if got, err := d.LedgerBalance(ctx, 2, db.AccountNetzmeBalance); err != nil || got != 993_000 {
		t.Errorf("merchant 2 netzme:balance = %d %v, want 993000", got, err)
	}
	// Backfilled transactions keep the business time of their records.
	ts1, err := d.LedgerTransactionsOf(ctx, db.SourceInvoices, 1)
	if err != nil || len(ts1) != 1 || !ts1[0].OccurredAt.Equal(base.Add(-48*time.Hour)) || ts1[0].Actor != db.ActorBackfill {
		t.Errorf("invoice 1 in the journal: %+v %v", ts1, err)
	}

	// Done once: the step does not run again, and a forced pass posts nothing.
	if _, ran, err := svc.StartLedger(ctx); err != nil || ran {
		t.Errorf("second start-up: ran %v, %v", ran, err)
	}
	if r, err := svc.BackfillLedger(ctx); err != nil || r.Posted != 0 || r.Records != 12 {
		t.Errorf("second backfill: %+v %v, want 12 records read and nothing posted", r, err)
	}
	verifyOK(t, d)
}
