package views

import (
	"math"
	"testing"
	"time"
)

func TestIDR(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor int64
		want  string
	}{
		{0, "Rp 0"},
		{1, "Rp 0,01"},
		{50, "Rp 0,50"},
		{100, "Rp 1"},
		{99_900, "Rp 999"},
		{100_000, "Rp 1.000"},
		{2_000_000, "Rp 20.000"},
		{2_000_050, "Rp 20.000,50"},
		{2_000_005, "Rp 20.000,05"},
		{123_456_789_00, "Rp 123.456.789"},
		{100_000_000_000, "Rp 1.000.000.000"},
		{-500_000, "-Rp 5.000"},
		{-1, "-Rp 0,01"},
		{math.MaxInt64, "Rp 92.233.720.368.547.758,07"},
		{math.MinInt64, "-Rp 92.233.720.368.547.758,08"},
	}
	for _, tt := range tests {
		if got := IDR(tt.minor); got != tt.want {
			t.Errorf("IDR(%d) = %q, want %q", tt.minor, got, tt.want)
		}
	}
}

func TestWIB(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       time.Time
		want     string
		wantDate string
	}{
		{time.Date(2026, 11, 21, 7, 5, 0, 0, time.UTC), "21 Nov 2026 14:05 WIB", "21 Nov 2026"},
		// 18:30 UTC is already the next day in Jakarta.
		{time.Date(2026, 12, 31, 18, 30, 0, 0, time.UTC), "1 Jan 2027 01:30 WIB", "1 Jan 2027"},
		{time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC), "3 Mei 2026 07:00 WIB", "3 Mei 2026"},
		{time.Date(2026, 8, 17, 3, 0, 0, 0, time.FixedZone("X", 3600*9)), "17 Agu 2026 01:00 WIB", "17 Agu 2026"},
		{time.Time{}, "—", "—"},
	}
	for _, tt := range tests {
		if got := WIB(tt.in); got != tt.want {
			t.Errorf("WIB(%v) = %q, want %q", tt.in, got, tt.want)
		}
		if got := WIBDate(tt.in); got != tt.wantDate {
			t.Errorf("WIBDate(%v) = %q, want %q", tt.in, got, tt.wantDate)
		}
	}
}
