package db_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
	"lapak/migrations"
)

// Netzme's answers are facts: once recorded, the database itself refuses
// to change or remove them, whatever code runs against it.
func TestNetzmeFactsAreAppendOnly(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		ctx := t.Context()
		d := dbtest.Open(t, e, clocktest.Fixed(t))
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
			if _, err := d.SQL().ExecContext(ctx, d.Rebind(q)); err == nil {
				t.Errorf("%.60s… was allowed", q)
			}
		}
	})
}

// A database made before 00012 (lines synced by the first statement sync)
// takes the migration: its lines stay, with the new columns empty, and stay
// append-only.
func TestStatementsMigrationKeepsEarlierLines(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "before.db")
	raw, err := sql.Open("sqlite", db.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, raw, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 11); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO merchants (id, name, netzme_cust_id, city, nmid, phone, static_qris, created_at) VALUES (1, 'Toko', 'M_before01', '', '', '', '', '2025-01-01T00:00:00.000000Z')`,
		`INSERT INTO statement_lines (merchant_id, source, netzme_id, version, day, type, status, amount_minor, raw, raw_sha256, fetched_at)
			VALUES (1, 'sales', 'T-OLD', 1, '2025-01-01', 'PAYMENT', 'SUCCESS', 100, '{"a":1}', '` + strings.Repeat("c", 64) + `', '2025-01-02T00:00:00.000000Z')`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	d, err := db.Open(ctx, path, clocktest.Fixed(t))
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer d.Close()
	ls, err := d.StatementLines(ctx, 1, "2025-01-01", "2025-01-01")
	if err != nil || len(ls) != 1 || ls[0].NetzmeID != "T-OLD" || ls[0].Description != "" || !ls[0].PaidAt.IsZero() {
		t.Fatalf("lines after the upgrade = %+v, %v", ls, err)
	}
	if _, err := d.SQL().ExecContext(ctx, d.Rebind(`UPDATE statement_lines SET description = 'x'`)); err == nil {
		t.Error("an upgraded line was updated")
	}
}
