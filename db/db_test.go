package db_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

const testHash = "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA"

func TestOpenEnforcesPragmas(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t, dbtest.SQLite, clocktest.Fixed(t))
	p, err := d.Pragmas(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := db.Pragmas{JournalMode: "wal", ForeignKeys: 1, BusyTimeoutMS: 5000, Synchronous: 2}
	if p != want {
		t.Errorf("pragmas = %+v, want %+v", p, want)
	}
	// Foreign keys really are enforced on the pooled connection.
	err = d.SetMembership(t.Context(), 999, 999, db.RoleOwner)
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("membership for missing user/merchant: err = %v, want a FOREIGN KEY failure", err)
	}
}

func TestMigrationsApplyToFreshFileAndReopen(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		migrationsApplyAndReopen(t, e)
	})
}

func migrationsApplyAndReopen(t *testing.T, e dbtest.Engine) {
	path := dbtest.Target(t, e)
	d, err := db.Open(t.Context(), path, clocktest.Fixed(t))
	if err != nil {
		t.Fatal(err)
	}
	tablesQuery := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN `
	if e == dbtest.Postgres {
		tablesQuery = `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
			AND table_name IN `
	}
	var tables int
	if err := d.SQL().QueryRow(tablesQuery + `('merchants','users','memberships','sessions','audit_log','api_calls','goose_db_version')`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 7 {
		t.Errorf("found %d of the 7 expected tables", tables)
	}
	if _, err := d.CreateUser(t.Context(), db.NewUser{Email: "a@b.id", PasswordHash: testHash}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	// Re-opening applies nothing twice and keeps the data.
	d, err = db.Open(t.Context(), path, clocktest.Fixed(t))
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer d.Close()
	if n, _ := d.CountUsers(t.Context()); n != 1 {
		t.Errorf("users after reopen = %d, want 1", n)
	}
}

func TestOpenRefusesNoClock(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d, err := db.Open(t.Context(), dbtest.Target(t, e), nil)
		if err == nil {
			d.Close()
			t.Fatal("Open with a nil clock succeeded; db must never fall back to the wall clock")
		}
		if !strings.Contains(err.Error(), "clock") {
			t.Errorf("err = %v, want it to name the missing clock", err)
		}
	})
}

// The clock given to Open stamps what db stores, inside and outside a
// transaction: here a clock 100 days before the base time, which the wall
// clock cannot be.
func TestStoredTimesComeFromTheClock(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		at := clocktest.Base(t).AddDate(0, 0, -100)
		d := dbtest.Open(t, e, func() time.Time { return at })
		ctx := t.Context()
		u, err := d.CreateUser(ctx, db.NewUser{Email: "jam@toko.id", PasswordHash: testHash})
		if err != nil {
			t.Fatal(err)
		}
		if !u.CreatedAt.Equal(at) {
			t.Errorf("user created_at = %v, want the clock's %v", u.CreatedAt, at)
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			return tx.Audit(ctx, db.AuditEntry{UserID: u.ID, Action: "test.clock"})
		}); err != nil {
			t.Fatal(err)
		}
		log, err := d.AuditLog(ctx, 0, 10)
		if err != nil || len(log) != 1 {
			t.Fatalf("audit log = %v, %v", log, err)
		}
		if !log[0].At.Equal(at) {
			t.Errorf("audit at = %v, want the clock's %v", log[0].At, at)
		}
	})
}

func TestUsers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		u, err := d.CreateUser(ctx, db.NewUser{Email: "  Siti@Toko.ID ", Name: "Siti", PasswordHash: testHash})
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "siti@toko.id" || u.Locale != "id" || u.IsAdmin || u.Disabled {
			t.Errorf("created user = %+v", u)
		}
		if _, err := d.CreateUser(ctx, db.NewUser{Email: "SITI@toko.id", PasswordHash: testHash}); !errors.Is(err, db.ErrConflict) {
			t.Errorf("duplicate e-mail: err = %v, want ErrConflict", err)
		}
		got, err := d.UserByEmail(ctx, "siti@TOKO.id")
		if err != nil || got.ID != u.ID {
			t.Errorf("UserByEmail = %+v, %v", got, err)
		}
		if _, err := d.UserByEmail(ctx, "nobody@toko.id"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("missing user: err = %v, want ErrNotFound", err)
		}
		if err := d.SetUserDisabled(ctx, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := d.SetUserLocale(ctx, u.ID, "en"); err != nil {
			t.Fatal(err)
		}
		got, _ = d.User(ctx, u.ID)
		if !got.Disabled || got.Locale != "en" {
			t.Errorf("after updates: %+v", got)
		}
		if err := d.SetUserLocale(ctx, u.ID, "fr"); err == nil {
			t.Error("locale fr accepted; the CHECK should refuse it")
		}
		if err := d.SetUserDisabled(ctx, 4242, true); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("disable missing user: err = %v, want ErrNotFound", err)
		}
		if _, err := d.CreateUser(ctx, db.NewUser{Email: "x@y.id", PasswordHash: "plaintext"}); err == nil {
			t.Error("a non-argon2id password hash was stored")
		}
	})
}

func TestMerchantsAndMemberships(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		a, err := d.CreateMerchant(ctx, db.NewMerchant{Name: "Toko A", NetzmeCustID: "M_AAAAAAAA"})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "Toko B"})
		c, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "Toko C"}) // two unlinked merchants may coexist
		if _, err := d.CreateMerchant(ctx, db.NewMerchant{Name: "Dup", NetzmeCustID: "M_AAAAAAAA"}); !errors.Is(err, db.ErrConflict) {
			t.Errorf("second merchant on one custIdMerchant: err = %v, want ErrConflict", err)
		}
		if err := d.UpdateMerchantNetzme(ctx, b.ID, "M_AAAAAAAA", "B", "", "", "", ""); !errors.Is(err, db.ErrConflict) {
			t.Errorf("linking B to A's custIdMerchant: err = %v, want ErrConflict", err)
		}
		if m, err := d.MerchantByNetzmeCustID(ctx, "M_AAAAAAAA"); err != nil || m.ID != a.ID {
			t.Errorf("MerchantByNetzmeCustID = %+v, %v", m, err)
		}
		if _, err := d.MerchantByNetzmeCustID(ctx, ""); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("empty custIdMerchant matched a merchant: %v", err)
		}

		u, _ := d.CreateUser(ctx, db.NewUser{Email: "kasir@a.id", PasswordHash: testHash})
		if err := d.SetMembership(ctx, u.ID, a.ID, db.RoleCashier); err != nil {
			t.Fatal(err)
		}
		if err := d.SetMembership(ctx, u.ID, a.ID, db.RoleAuditor); err != nil { // role change, not a second row
			t.Fatal(err)
		}
		if err := d.SetMembership(ctx, u.ID, c.ID, "boss"); err == nil {
			t.Error("invalid role accepted")
		}
		m, err := d.Membership(ctx, u.ID, a.ID)
		if err != nil || m.Role != db.RoleAuditor || m.MerchantName != "Toko A" {
			t.Errorf("membership = %+v, %v", m, err)
		}
		if _, err := d.Membership(ctx, u.ID, b.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("membership of a merchant the user is not in: err = %v, want ErrNotFound", err)
		}
		ms, _ := d.UserMemberships(ctx, u.ID)
		if len(ms) != 1 {
			t.Errorf("UserMemberships = %+v", ms)
		}
		if err := d.RemoveMembership(ctx, u.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := d.RemoveMembership(ctx, u.ID, a.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("second remove: err = %v, want ErrNotFound", err)
		}
	})
}

func TestAuditLogIsAppendOnlyAndScoped(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		a, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "A"})
		b, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "B"})
		for _, e := range []db.AuditEntry{
			{MerchantID: a.ID, Action: "invoice.create", Detail: `{"ref":"R1"}`, RemoteAddr: "127.0.0.1"},
			{MerchantID: b.ID, Action: "invoice.create"},
			{Action: "user.login"},
		} {
			if err := d.Audit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Audit(ctx, db.AuditEntry{Action: "x", Detail: "not json"}); err == nil {
			t.Error("audit detail that is not JSON was stored")
		}
		onlyA, _ := d.AuditLog(ctx, a.ID, 10)
		if len(onlyA) != 1 || onlyA[0].Detail != `{"ref":"R1"}` || onlyA[0].RemoteAddr != "127.0.0.1" {
			t.Errorf("merchant A's log = %+v", onlyA)
		}
		all, _ := d.AuditLog(ctx, 0, 10)
		if len(all) != 3 || all[0].Action != "user.login" {
			t.Errorf("full log (newest first) = %+v", all)
		}
		if _, err := d.SQL().Exec(d.Rebind(`UPDATE audit_log SET action = 'forged'`)); err == nil {
			t.Error("audit_log row was updated")
		}
		if _, err := d.SQL().Exec(d.Rebind(`DELETE FROM audit_log`)); err == nil {
			t.Error("audit_log row was deleted")
		}
	})
}

func TestInTxRollsBackOnError(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		boom := errors.New("boom")
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.CreateMerchant(ctx, db.NewMerchant{Name: "Ghost"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx err = %v", err)
		}
		if n, _ := d.CountMerchants(ctx); n != 0 {
			t.Errorf("merchants after rollback = %d, want 0", n)
		}
	})
}

func TestConcurrentWritersDoNotFail(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for range 50 {
			wg.Go(func() {
				errs <- d.InTx(ctx, func(tx *db.Tx) error { return tx.Audit(ctx, db.AuditEntry{Action: "load"}) })
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if log, _ := d.AuditLog(ctx, 0, 100); len(log) != 50 {
			t.Errorf("audit rows = %d, want 50", len(log))
		}
	})
}

func TestAPICalls(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		m, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "A"})
		if err := d.InsertAPICall(ctx, db.APICall{Provider: "netzme", Endpoint: "invoice.create-transaction",
			PartnerReferenceNo: "LPK-1", ExternalID: "123", HTTPStatus: 200, ResponseCode: "2004700", LatencyMS: 12, MerchantID: m.ID}); err != nil {
			t.Fatal(err)
		}
		if err := d.InsertAPICall(ctx, db.APICall{Provider: "paypal", Endpoint: "x"}); err == nil {
			t.Error("unknown provider accepted")
		}
		calls, err := d.APICalls(ctx, m.ID, 10)
		if err != nil || len(calls) != 1 || calls[0].ResponseCode != "2004700" || calls[0].Method != "POST" {
			t.Errorf("APICalls = %+v, %v", calls, err)
		}
	})
}
