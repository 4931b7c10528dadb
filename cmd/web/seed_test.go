package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lapak/db"
	"lapak/internal/clocktest"
	"lapak/money"
)

const (
	seedOwner    = "pemilik@toko.test"
	seedPassword = "rahasia-sekali-123"
)

// seedDB runs `lapak seed` into dir and returns the database path.
func seedDB(t *testing.T, dir string, invoices, merchants, days int, now func() time.Time) string {
	t.Helper()
	path := filepath.Join(dir, "seed.db")
	var out strings.Builder
	err := runSeed(t.Context(), []string{"lapak", "seed", "-db", path, "-invoices", itoa(invoices), "-merchants", itoa(merchants),
		"-days", itoa(days), "-owner", seedOwner, "-password", seedPassword}, func(string) string { return "" }, now, &out, io.Discard)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	t.Log(strings.TrimSpace(out.String()))
	return path
}

func itoa(n int) string { return itoa64(int64(n)) }

func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func count(t *testing.T, d *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// A seeded database is one the app serves as its own: the owner signs in and
// sees the rows, and paying a seeded open invoice on the sandbox page sends
// a callback that Lapak applies. The rows keep every rule of the schema,
// foreign keys included (the seed writes them unchecked).
func TestSeedThenServe(t *testing.T) {
	now := clocktest.Running(t)
	dir := t.TempDir()
	path := seedDB(t, dir, 2000, 2, 30, now)

	raw := openRaw(t, path)
	if n := count(t, raw, `SELECT count(*) FROM pragma_foreign_key_check`); n != 0 {
		t.Errorf("%d foreign key violations in the seeded database", n)
	}
	var ok string
	raw.QueryRow(`PRAGMA integrity_check`).Scan(&ok)
	if ok != "ok" {
		t.Errorf("integrity_check = %q", ok)
	}
	if n := count(t, raw, `SELECT count(*) FROM invoices`); n != 2000 {
		t.Errorf("%d invoices, want 2000", n)
	}
	for status, want := range map[string][2]int{"paid": {1200, 1600}, "pending": {250, 550}, "expired": {50, 250}, "failed": {10, 120}} {
		if n := count(t, raw, `SELECT count(*) FROM invoices WHERE status = ?`, status); n < want[0] || n > want[1] {
			t.Errorf("%d %s invoices, want %d to %d", n, status, want[0], want[1])
		}
	}
	start := now().Add(-30 * 24 * time.Hour)
	if n := count(t, raw, `SELECT count(*) FROM invoices WHERE created_at < ? OR created_at > ?`,
		start.UTC().Format(seedTimeLayout), now().UTC().Format(seedTimeLayout)); n != 0 {
		t.Errorf("%d invoices outside the 30 days ending now", n)
	}
	if n := count(t, raw, `SELECT count(*) FROM invoices WHERE status = 'paid' AND paid_at > ?`, now().UTC().Format(seedTimeLayout)); n != 0 {
		t.Errorf("%d invoices paid in the future", n)
	}
	if n := count(t, raw, `SELECT count(*) FROM payments`); n < 200 {
		t.Errorf("%d static-QRIS payments, want about 300", n)
	}
	if n := count(t, raw, `SELECT count(*) FROM withdrawals WHERE status = 'success'`); n < 4 {
		t.Errorf("%d withdrawals over 30 days at 2 shops, want weekly ones", n)
	}
	if n := count(t, raw, `SELECT count(*) FROM memberships WHERE user_id = (SELECT id FROM users WHERE email = ?) AND role = 'owner'`, seedOwner); n != 2 {
		t.Errorf("the owner owns %d shops, want 2", n)
	}
	var trxID, ref string
	var invoiceID int64
	err := raw.QueryRow(`SELECT id, netzme_trx_id, partner_reference_no FROM invoices WHERE status = 'pending' ORDER BY id DESC LIMIT 1`).
		Scan(&invoiceID, &trxID, &ref)
	if err != nil {
		t.Fatal(err)
	}
	raw.Close()

	a := startTestApp(t, map[string]string{"LAPAK_DB": path})
	if a.sandbox == nil {
		t.Fatal("no embedded sandbox")
	}
	owner := webClient(t, a, seedOwner, seedPassword)
	for _, page := range []struct{ path, row string }{
		{"/invoices", "invoice-row"}, {"/notifications", "notif-row"}, {"/audit", "audit-row"}, {"/withdrawals", "withdrawal-row"},
	} {
		doc, code := getDoc(t, owner, a.URL+page.path)
		if code != http.StatusOK {
			t.Errorf("GET %s = %d", page.path, code)
			continue
		}
		if n := doc.Find(`[data-testid=` + page.row + `]`).Length(); n == 0 {
			t.Errorf("GET %s shows no %s", page.path, page.row)
		}
	}
	// Netzme (the sandbox) knows the seed's static-QRIS payments: the
	// history's §3.10 check confirms them.
	ps, _, err := a.db.MerchantPayments(t.Context(), 1, db.PaymentFilter{})
	if err != nil || len(ps) == 0 {
		t.Fatalf("payments of shop 1: %d, %v", len(ps), err)
	}
	var check []money.StaticPayment
	for _, p := range []db.Payment{ps[0], ps[len(ps)/2], ps[len(ps)-1]} {
		check = append(check, money.StaticPayment{Key: money.StaticPaymentKey(p), AmountMinor: p.AmountMinor})
	}
	for i, c := range a.money.CheckStaticPayments(t.Context(), money.Actor{MerchantID: 1}, check) {
		if c != money.PaymentConfirmed {
			t.Errorf("Netzme's record of seeded static payment %s: %s, want it confirmed", check[i].Key, c)
		}
	}

	// Pay the newest open invoice on the sandbox page, as a person would.
	res, err := http.PostForm(a.sandboxURL+"/sandbox/pay/"+trxID, url.Values{"action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || strings.Contains(res.Request.URL.RawQuery, "Gagal") {
		t.Fatalf("sandbox pay %s: %d %s", trxID, res.StatusCode, res.Request.URL)
	}
	waitFor(t, "seeded invoice paid by its callback", func() bool {
		iv, err := a.db.MerchantInvoice(context.Background(), invoiceMerchant(t, a, invoiceID), invoiceID)
		return err == nil && iv.Status == db.InvoicePaid
	})
	cbPage, err := a.db.Callbacks(t.Context(), db.CallbackFilter{}, "", 1)
	cbs := cbPage.Rows
	if err != nil || len(cbs) != 1 || cbs[0].Status != db.CallbackApplied || cbs[0].PartnerRefNo != ref {
		t.Errorf("newest callback = %+v (%v), want the applied payment of %s", cbs, err, ref)
	}
}

func invoiceMerchant(t *testing.T, a *testApp, invoiceID int64) int64 {
	var m int64
	if err := a.db.SQL().QueryRow(`SELECT merchant_id FROM invoices WHERE id = ?`, invoiceID).Scan(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The seed writes only into a database nobody uses: a second run replaces
// a database only the seed wrote; one a person has signed in to, or one a
// server created for real use, is refused with a message that says why.
func TestSeedRefusesADatabaseInUse(t *testing.T) {
	now := clocktest.Running(t)
	dir := t.TempDir()
	path := seedDB(t, dir, 50, 1, 3, now)
	path2 := seedDB(t, dir, 60, 1, 3, now) // same path: replaced
	if path2 != path {
		t.Fatal("paths differ")
	}
	raw := openRaw(t, path)
	if n := count(t, raw, `SELECT count(*) FROM invoices`); n != 60 {
		t.Errorf("after the second seed: %d invoices, want 60 (replaced, not added)", n)
	}
	raw.Close()

	a := startTestApp(t, map[string]string{"LAPAK_DB": path})
	webClient(t, a, seedOwner, seedPassword) // a session and an audit line: the database is in use
	a.stop(t)
	args := []string{"lapak", "seed", "-db", path, "-invoices", "10", "-merchants", "1", "-days", "1", "-owner", seedOwner, "-password", seedPassword}
	err := runSeed(t.Context(), args, func(string) string { return "" }, now, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "holds data the seed did not write") {
		t.Errorf("seeding a database in use: %v, want a refusal", err)
	}

	fresh := startTestApp(t, nil) // a server's own database: an administrator and the demo shop
	fresh.stop(t)
	args[3] = fresh.cfg.DBPath
	err = runSeed(t.Context(), args, func(string) string { return "" }, now, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "users") {
		t.Errorf("seeding a server's database: %v, want a refusal naming what it holds", err)
	}
}

func TestSeedFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-invoices", "10"}, "-db is required"},
		{[]string{"-db", filepath.Join(dir, "a.db"), "-owner", "nobody", "-password", seedPassword}, "not an e-mail"},
		{[]string{"-db", filepath.Join(dir, "a.db"), "-owner", seedOwner, "-password", "short"}, "too short"},
		{[]string{"-db", filepath.Join(dir, "a.db"), "-owner", seedOwner, "-password", seedPassword, "-merchants", "0"}, "-merchants"},
		{[]string{"-db", filepath.Join(dir, "a.db"), "-owner", seedOwner, "-password", seedPassword, "-days", "0"}, "-days"},
		{[]string{"-db", filepath.Join(dir, "a.db"), "-owner", seedOwner, "-password", seedPassword, "extra"}, "unexpected argument"},
	} {
		err := runSeed(t.Context(), append([]string{"lapak", "seed"}, tc.args...), func(string) string { return "" },
			clocktest.Fixed(t), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("seed %v: %v, want %q", tc.args, err, tc.want)
		}
	}
}
