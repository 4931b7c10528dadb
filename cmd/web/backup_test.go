package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"lapak/db"
	"lapak/internal/clocktest"
)

func backupCmd(ctx context.Context, env map[string]string, args ...string) (string, error) {
	var out bytes.Buffer
	err := runBackup(ctx, append([]string{"lapak", "backup"}, args...), func(k string) string { return env[k] }, &out, io.Discard)
	return out.String(), err
}

// An operator backs up the database while Lapak keeps writing to it: the
// copy is a consistent snapshot that Lapak opens as it is (the restore), it
// holds what was committed before the backup began, and nothing but the
// copy is left behind.
func TestBackupCommandWhileInUse(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "lapak.db"), filepath.Join(dir, "cadangan", "lapak-2026.db")
	if err := os.Mkdir(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	clock := clocktest.Fixed(t)
	live, err := db.Open(ctx, src, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	first, err := live.CreateMerchant(ctx, db.NewMerchant{Name: "Warung Cadangan", City: "Bandung"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := live.CreateUser(ctx, db.NewUser{Email: "pemilik@cadangan.test", PasswordHash: "$argon2id$x"}); err != nil {
		t.Fatal(err)
	}

	// Lapak keeps writing while the backup runs.
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; wctx.Err() == nil; i++ {
			if _, err := live.CreateMerchant(wctx, db.NewMerchant{Name: fmt.Sprintf("Toko %d", i)}); err != nil && wctx.Err() == nil {
				t.Errorf("write during the backup: %v", err)
				return
			}
		}
	})
	var before int
	waitUntil(t, "the writer to get going", 10*time.Second, func() bool {
		before, err = live.CountMerchants(ctx)
		return err != nil || before >= 5
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := backupCmd(ctx, nil, "-db", src, "-out", dst)
	stop()
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	after, err := live.CountMerchants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, dst) || !strings.Contains(out, "integrity_check ok") {
		t.Errorf("output does not say where the checked backup is:\n%s", out)
	}
	left, _ := os.ReadDir(filepath.Dir(dst))
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{filepath.Base(dst)}) {
		t.Errorf("backup folder holds %v, want only the backup", names)
	}

	// The restore: Lapak opens the copy as its database.
	restored, err := db.Open(ctx, dst, clock)
	if err != nil {
		t.Fatalf("open the backup: %v", err)
	}
	defer restored.Close()
	n, err := restored.CountMerchants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("merchants: %d before, %d in the backup, %d after", before, n, after)
	if n < before || n > after {
		t.Errorf("backup holds %d merchants; %d were committed before it began, %d after it ended", n, before, after)
	}
	if m, err := restored.Merchant(ctx, first.ID); err != nil || m.Name != "Warung Cadangan" || m.City != "Bandung" {
		t.Errorf("first merchant in the backup = %+v, %v", m, err)
	}
	if u, err := restored.UserByEmail(ctx, "pemilik@cadangan.test"); err != nil || u.Email != "pemilik@cadangan.test" {
		t.Errorf("user in the backup = %+v, %v", u, err)
	}
	// The live database goes on as before.
	if _, err := live.CreateMerchant(ctx, db.NewMerchant{Name: "Sesudah cadangan"}); err != nil {
		t.Errorf("write after the backup: %v", err)
	}
}

// The backup never overwrites a file, never creates a database that was not
// there, and points PostgreSQL users at pg_dump.
func TestBackupCommandRefuses(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	src := filepath.Join(dir, "lapak.db")
	d, err := db.Open(ctx, src, clocktest.Fixed(t))
	if err != nil {
		t.Fatal(err)
	}
	d.Close()

	existing := filepath.Join(dir, "kemarin.db")
	if err := os.WriteFile(existing, []byte("yesterday's backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := backupCmd(ctx, nil, "-db", src, "-out", existing); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("backup onto an existing file: %v", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "yesterday's backup" {
		t.Errorf("the existing file was changed to %q", b)
	}

	missing, out := filepath.Join(dir, "tidak-ada.db"), filepath.Join(dir, "x.db")
	if _, err := backupCmd(ctx, nil, "-db", missing, "-out", out); err == nil {
		t.Error("backup of a missing database succeeded")
	}
	for _, p := range []string{missing, out} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was created", p)
		}
	}

	if _, err := backupCmd(ctx, nil, "-db", src); err == nil || !strings.Contains(err.Error(), "-out is required") {
		t.Errorf("backup without -out: %v", err)
	}
	// LAPAK_DB is the default of -db.
	viaEnv := filepath.Join(dir, "via-env.db")
	if _, err := backupCmd(ctx, map[string]string{"LAPAK_DB": src}, "-out", viaEnv); err != nil {
		t.Errorf("backup of LAPAK_DB: %v", err)
	} else if _, err := os.Stat(viaEnv); err != nil {
		t.Errorf("backup of LAPAK_DB: %v", err)
	}
	if _, err := backupCmd(ctx, map[string]string{"LAPAK_DATABASE_URL": "postgres:///lapak"}, "-db", src, "-out", filepath.Join(dir, "pg.db")); err == nil ||
		!strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup with LAPAK_DATABASE_URL: %v, want a pointer to pg_dump", err)
	}
}
