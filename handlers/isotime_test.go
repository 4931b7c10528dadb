package handlers

import (
	"testing"
	"time"

	"lapak/views"
)

// The exports' fast ISO-8601 writer says what the time zone database says,
// for times across the years, the day boundaries and before 1964.
func TestISOTimeMatchesTheTimeZoneDatabase(t *testing.T) {
	for _, tc := range []time.Time{
		time.Date(2026, 11, 21, 7, 5, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 16, 59, 59, 999_999_000, time.UTC), // the last instant of the year in Jakarta
		time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC),             // Jakarta's new year
		time.Date(2024, 2, 28, 17, 30, 0, 0, time.UTC),             // 29 February in Jakarta
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1963, 12, 31, 16, 29, 59, 0, time.UTC), // UTC+7:30 then
		time.Date(1950, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 16, 59, 59, 0, time.UTC),
	} {
		want := tc.In(views.Jakarta).Format(time.RFC3339)
		if got := isoTime(tc); got != want {
			t.Errorf("isoTime(%s) = %s, want %s", tc, got, want)
		}
		if got := isoTime(tc.In(views.Jakarta)); got != want {
			t.Errorf("isoTime(%s in Jakarta) = %s, want %s", tc, got, want)
		}
	}
	for s := int64(-200_000_000); s < 4_000_000_000; s += 7_777_777 {
		tc := time.Unix(s, 0)
		if got, want := isoTime(tc), tc.In(views.Jakarta).Format(time.RFC3339); got != want {
			t.Fatalf("isoTime(%d) = %s, want %s", s, got, want)
		}
	}
	if isoTime(time.Time{}) != "" {
		t.Error("the zero time is written")
	}
}
