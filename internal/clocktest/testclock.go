// Package clocktest gives every test suite one base time to derive its times
// from, so that the suite can be proven on any date: LAPAK_TEST_NOW (RFC 3339)
// when set, else the real current time (so the suite also runs on the day it
// is run, never only on one frozen date). It imports nothing of ours: any
// package's tests may use it without pulling in the rest of Lapak.
package clocktest

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// Env names the variable that pins the base time, e.g.
// LAPAK_TEST_NOW=2020-02-29T23:30:00+07:00 go test ./...
const Env = "LAPAK_TEST_NOW"

var (
	base   = sync.OnceValues(func() (time.Time, error) { return parse(os.Getenv(Env), time.Now()) })
	logged sync.Map // testing.TB -> true: the base is logged once per test
)

// parse turns the value of Env into the base time; "" means now.
func parse(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return now.UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s=%q: want RFC 3339, such as 2020-02-29T23:30:00+07:00", Env, v)
	}
	return t.UTC().Truncate(time.Second), nil
}

// Base returns the base time of this test binary, read once: LAPAK_TEST_NOW
// when set, else the real current time; in UTC, to the whole second (what
// SNAP's X-TIMESTAMP carries). A malformed LAPAK_TEST_NOW fails the test. The
// value is logged once per test (shown on failure and with -v) so that a
// failure can be replayed on the same date.
func Base(t testing.TB) time.Time {
	t.Helper()
	b, err := base()
	if err != nil {
		t.Fatal(err)
	}
	if _, dup := logged.LoadOrStore(t, true); !dup {
		t.Logf("test base time: %s=%s", Env, b.Format(time.RFC3339))
	}
	return b
}

// Fixed returns a clock that always reads Base(t); a test moves time on by
// its own means (a settable clock of its own) or not at all.
func Fixed(t testing.TB) func() time.Time {
	t.Helper()
	b := Base(t)
	return func() time.Time { return b }
}

// Running returns a clock that reads Base(t) when Running is called and then
// advances with real time: for harnesses where time must pass by itself (a
// sandbox that settles a withdrawal after 300 ms, a whole app in cmd/web).
func Running(t testing.TB) func() time.Time {
	t.Helper()
	b := Base(t)
	start := time.Now()
	return func() time.Time { return b.Add(time.Since(start)) }
}
