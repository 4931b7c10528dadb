package clocktest

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2030, 6, 1, 2, 3, 4, 567_000_000, time.FixedZone("X", 3600))
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Date(2030, 6, 1, 1, 3, 4, 0, time.UTC)}, // now, in UTC, whole seconds
		{"2020-02-29T23:30:00+07:00", time.Date(2020, 2, 29, 16, 30, 0, 0, time.UTC)},
		{"2035-12-31T23:59:00+07:00", time.Date(2035, 12, 31, 16, 59, 0, 0, time.UTC)},
		{"2035-12-31T16:59:00.75Z", time.Date(2035, 12, 31, 16, 59, 0, 0, time.UTC)},
	} {
		got, err := parse(tc.in, now)
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"2020-02-29", "29/02/2020 23:30", "2020-02-30T00:00:00Z"} {
		if _, err := parse(bad, now); err == nil {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}

func TestRunningStartsAtBaseAndAdvances(t *testing.T) {
	b := Base(t)
	clock := Running(t)
	first := clock()
	if first.Before(b) || first.Sub(b) > time.Second {
		t.Errorf("first reading %v, want about the base %v", first, b)
	}
	time.Sleep(20 * time.Millisecond)
	if d := clock().Sub(first); d < 20*time.Millisecond {
		t.Errorf("clock advanced %v in 20 ms of real time", d)
	}
}
