package db_test

import (
	"testing"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

// Netzme's answers are facts: once recorded, the database itself refuses
// to change or remove them, whatever code runs against it.
func TestNetzmeFactsAreAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d := dbtest.New(t, clocktest.Fixed(t))
	m, err := d.CreateMerchant(ctx, db.NewMerchant{Name: "Toko", NetzmeCustID: "M_facts001"})
	if err != nil {
		t.Fatal(err)
	}
	b := db.OpeningBalance{MerchantID: m.ID, CustID: "M_facts001", Wallet: db.WalletSales, TotalMinor: 100, SettledMinor: 50, Raw: `{"a":1}`, AsOf: clocktest.Base(t)}
	if added, err := d.RecordOpeningBalance(ctx, b); err != nil || !added {
		t.Fatalf("first opening balance: %v %v", added, err)
	}
	b.TotalMinor = 999
	if added, err := d.RecordOpeningBalance(ctx, b); err != nil || added {
		t.Fatalf("second opening balance for the same Netzme merchant: added %v, %v", added, err)
	}
	if obs, _ := d.OpeningBalances(ctx, m.ID); len(obs) != 1 || obs[0].TotalMinor != 100 {
		t.Errorf("opening balances = %+v", obs)
	}
	if _, err := d.RecordStatementPage(ctx, db.StatementPage{MerchantID: m.ID, Source: db.SourceSales, Day: "2025-01-02", Page: 1,
		Lines: []db.StatementLine{{NetzmeID: "T1", Type: "PAYMENT", Status: "SUCCESS", Raw: `{"x":1}`}}}, true); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE netzme_opening_balances SET total_minor = 1`,
		`DELETE FROM netzme_opening_balances`,
		`UPDATE statement_lines SET amount_minor = 1`,
		`DELETE FROM statement_lines`,
	} {
		if _, err := d.SQL().ExecContext(ctx, q); err == nil {
			t.Errorf("%.60s… was allowed", q)
		}
	}
}
