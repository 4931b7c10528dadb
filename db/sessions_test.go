package db_test

import (
	"context"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

func TestSessionStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		s := db.NewSessionStore(d, 0)
		ctx := t.Context()
		if _, found, err := s.FindCtx(ctx, "nope"); found || err != nil {
			t.Fatalf("unknown token: found %v, %v", found, err)
		}
		// scs computes expiry from the wall clock; so does the store.
		if err := s.CommitCtx(ctx, "tok-1", []byte("data-1"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.CommitCtx(ctx, "tok-old", []byte("old"), time.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if b, found, err := s.FindCtx(ctx, "tok-1"); !found || err != nil || string(b) != "data-1" {
			t.Fatalf("saved session: %q %v %v", b, found, err)
		}
		if _, found, _ := s.FindCtx(ctx, "tok-old"); found {
			t.Error("an expired session was found")
		}
		// A save replaces the data.
		if err := s.Commit("tok-1", []byte("data-2"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		// Looking a session up never waits for the writer.
		release := holdWriter(t, d)
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		if b, found, err := s.FindCtx(rctx, "tok-1"); !found || err != nil || string(b) != "data-2" {
			t.Errorf("session while the writer is busy: %q %v %v", b, found, err)
		}
		cancel()
		release()
		if err := s.DeleteExpired(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.SQL().QueryRow(d.Rebind(`SELECT count(*) FROM sessions`)).Scan(&n); err != nil || n != 1 {
			t.Errorf("sessions after sweeping = %d, %v; want 1", n, err)
		}
		if err := s.Delete("tok-1"); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := s.Find("tok-1"); found {
			t.Error("a deleted session was found")
		}
		if err := s.DeleteCtx(ctx, "tok-1"); err != nil {
			t.Errorf("deleting a missing session: %v", err)
		}
	})
}
