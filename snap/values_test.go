package snap

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestTimestamp(t *testing.T) {
	t.Parallel()
	utc := time.Date(2022, 8, 9, 17, 0, 0, 123456789, time.UTC)
	got := Timestamp(utc)
	if got != "2022-08-10T00:00:00+07:00" {
		t.Fatalf("Timestamp = %q", got)
	}
	if len(got) != 25 {
		t.Fatalf("len = %d", len(got))
	}
	back, err := ParseTimestamp(got)
	if err != nil || !back.Equal(utc.Truncate(time.Second)) {
		t.Fatalf("round trip = %v, %v", back, err)
	}
}

func TestParseTimestamp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Time
		errPart string
	}{
		{in: "2022-08-10T00:00:00+07:00", want: time.Date(2022, 8, 9, 17, 0, 0, 0, time.UTC)},
		{in: "2022-08-10T00:00:00+00:00", want: time.Date(2022, 8, 10, 0, 0, 0, 0, time.UTC)}, // WP plugin sends UTC (netzme §2.11)
		{in: "2022-08-10T00:00:00Z", want: time.Date(2022, 8, 10, 0, 0, 0, 0, time.UTC)},
		{in: "", errPart: "empty"},
		{in: "2022-10-27T08:49:58.511+07:00", errPart: "longer than 25"},
		{in: "2022-10-27T08:49:58.5+07:00", errPart: "fractional"},
		{in: "2022-08-10 00:00:00+07:00", errPart: "yyyy-MM-dd"},
		{in: "2022-08-10T00:00:00", errPart: "yyyy-MM-dd"},
		{in: "2022-13-10T00:00:00+07:00", errPart: "yyyy-MM-dd"},
		{in: "10/08/2022", errPart: "yyyy-MM-dd"},
		{in: "2022-08-10T0:00:00+07:00", errPart: "yyyy-MM-dd"}, // found by FuzzParseTimestamp
		{in: "2022-08-10t00:00:00+07:00", errPart: "yyyy-MM-dd"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTimestamp(tt.in)
			if tt.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errPart) {
					t.Fatalf("err = %v, want mention of %q", err, tt.errPart)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestExternalID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	var digitCount [10]int
	for range 2000 {
		id := NewExternalID()
		if len(id) != 32 {
			t.Fatalf("len(%q) = %d", id, len(id))
		}
		if err := ValidExternalID(id); err != nil {
			t.Fatal(err)
		}
		if seen[id] {
			t.Fatalf("duplicate external id %s", id)
		}
		seen[id] = true
		for _, c := range id {
			digitCount[c-'0']++
		}
	}
	// 64000 digits: each should appear ~6400 times; a biased generator would not.
	for d, n := range digitCount {
		if n < 5600 || n > 7200 {
			t.Errorf("digit %d appears %d times of 64000", d, n)
		}
	}
	for _, bad := range []string{"", "12a4", "-1", strings.Repeat("1", 37), "2024-05-15T06:56:02.642Z", "１２"} {
		if ValidExternalID(bad) == nil {
			t.Errorf("ValidExternalID(%q) = nil", bad)
		}
	}
	for _, good := range []string{"0", "41807553358950093184162180797837", strings.Repeat("9", 36)} {
		if err := ValidExternalID(good); err != nil {
			t.Errorf("ValidExternalID(%q) = %v", good, err)
		}
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"20000.00", 2_000_000, true},
		{"10000", 1_000_000, true},
		{"0", 0, true},
		{"0.00", 0, true},
		{"IDR 10002.00", 1_000_200, true},
		{"IDR 1343486.00", 134_348_600, true},
		{"20000.5", 2_000_050, true},
		{"0.05", 5, true},
		{"199990", 19_999_000, true},
		{"-5.00", -500, true},
		{"92233720368547758.07", math.MaxInt64, true},
		{"-92233720368547758.08", math.MinInt64, true},
		{"92233720368547758.08", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"+1", 0, false},
		{"1e3", 0, false},
		{"1.005", 0, false},
		{"1.", 0, false},
		{".5", 0, false},
		{"1,000.00", 0, false},
		{"10.000,00", 0, false},
		{"abc", 0, false},
		{"IDR", 0, false},
		{"IDR10000", 0, false},
		{"USD 1.00", 0, false},
		{"--1", 0, false},
		{"1.-1", 0, false},
		{"NaN", 0, false},
		{"٣", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAmount(tt.in)
			if tt.ok {
				if err != nil || got != tt.want {
					t.Fatalf("ParseAmount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseAmount(%q) = %d, want error", tt.in, got)
			}
			if !strings.HasPrefix(err.Error(), "snap: amount") {
				t.Errorf("unclear error %q", err)
			}
		})
	}
}

func TestFormatAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   int64
		want string
	}{
		{2_000_000, "20000.00"},
		{0, "0.00"},
		{5, "0.05"},
		{150, "1.50"},
		{-500, "-5.00"},
		{-5, "-0.05"},
		{math.MaxInt64, "92233720368547758.07"},
		{math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := FormatAmount(tt.in); got != tt.want {
			t.Errorf("FormatAmount(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if a := IDR(2_000_000); a != (Amount{Value: "20000.00", Currency: "IDR"}) {
		t.Errorf("IDR = %+v", a)
	}
}

func TestAmountMinor(t *testing.T) {
	t.Parallel()
	if v, err := (Amount{Value: "20000.00", Currency: "IDR"}).Minor(); err != nil || v != 2_000_000 {
		t.Errorf("IDR: %d, %v", v, err)
	}
	if v, err := (Amount{Value: "10000"}).Minor(); err != nil || v != 1_000_000 {
		t.Errorf("no currency: %d, %v", v, err)
	}
	if _, err := (Amount{Value: "1.00", Currency: "USD"}).Minor(); !errors.Is(err, ErrCurrency) {
		t.Errorf("USD: %v", err)
	}
	if _, err := (Amount{Value: "x", Currency: "IDR"}).Minor(); err == nil {
		t.Error("garbage value accepted")
	}
}

func TestCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		status  int
		service string
		cse     string
	}{
		{"4014700", 401, "47", "00"},
		{"2007300", 200, "73", "00"},
		{"4090001", 409, "00", "01"},
		{"5040000", 504, "00", "00"},
	}
	for _, tt := range tests {
		c, err := ParseCode(tt.in)
		if err != nil || c.HTTPStatus != tt.status || c.Service != tt.service || c.Case != tt.cse || c.Raw != tt.in {
			t.Errorf("ParseCode(%q) = %+v, %v", tt.in, c, err)
		}
		if got := MakeCode(tt.status, tt.service, tt.cse); got != tt.in {
			t.Errorf("MakeCode = %q, want %q", got, tt.in)
		}
	}
	for _, bad := range []string{"", "400", "40147000", "401470a", " 401470", "-401470"} {
		if _, err := ParseCode(bad); err == nil {
			t.Errorf("ParseCode(%q) accepted", bad)
		}
	}
	messages := []struct {
		status int
		cse    string
		want   string
	}{
		{200, "00", "Successful"},
		{401, "00", "Unauthorized. [reason]"},
		{401, "01", "Invalid Token (B2B)"},
		{403, "14", "Insufficient Funds"},
		{404, "18", "Inconsistent Request"},
		{409, "00", "Conflict"},
		{409, "01", "Duplicate partnerReferenceNo"},
		{504, "00", "Timeout"},
		{418, "00", ""},
		{401, "99", ""},
	}
	for _, m := range messages {
		if got := StandardMessage(m.status, m.cse); got != m.want {
			t.Errorf("StandardMessage(%d, %q) = %q, want %q", m.status, m.cse, got, m.want)
		}
	}
	// snap §5.1 lists 63 status/case pairs.
	if len(standardMessages) != 63 {
		t.Errorf("table has %d entries, want 63", len(standardMessages))
	}
}

// refAmount is an independent oracle: exact rational arithmetic from math/big.
func refAmount(s string) (*big.Int, bool) {
	s = strings.TrimPrefix(s, "IDR ")
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, false
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() {
		return nil, false
	}
	return r.Num(), true
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"20000.00", "10000", "0", "IDR 10002.00", "20000.5", "-5.00", "1e3", "", " 1", "+1",
		"92233720368547758.07", "92233720368547758.08", "-92233720368547758.08", "1.005", ".5", "1.", "0x10", "1_000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseAmount(s)
		if err != nil {
			return
		}
		want, ok := refAmount(s)
		if !ok || !want.IsInt64() || want.Int64() != v {
			t.Fatalf("ParseAmount(%q) = %d; big.Rat says %v (ok=%v)", s, v, want, ok)
		}
		// Only digits, one optional dot and a leading minus may be accepted.
		body := strings.TrimPrefix(strings.TrimPrefix(s, "IDR "), "-")
		if strings.ContainsAny(body, "+-eE_xX ") {
			t.Fatalf("ParseAmount accepted %q", s)
		}
		if back, err := ParseAmount(FormatAmount(v)); err != nil || back != v {
			t.Fatalf("round trip of %d: %d, %v", v, back, err)
		}
	})
}

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"2022-08-10T00:00:00+07:00", "2022-08-10T00:00:00Z", "2022-10-27T08:49:58.511+07:00",
		"2022-08-10T00:00:00+00:00", "", "2022-02-30T00:00:00+07:00", "2022-08-10T24:00:00+07:00", "9999-12-31T23:59:59-23:59"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseTimestamp(s)
		if err != nil {
			return
		}
		if len(s) > 25 || strings.Contains(s, ".") {
			t.Fatalf("accepted %q", s)
		}
		if y := ts.In(Jakarta).Year(); y < 1970 || y > 9999 {
			// Before 1924 Jakarta used LMT (+07:07:12), which no ±hh:mm
			// offset can express; payments are never dated then.
			return
		}
		out := Timestamp(ts)
		back, err := ParseTimestamp(out)
		if err != nil || !back.Equal(ts) {
			t.Fatalf("%q → %q → %v, %v", s, out, back, err)
		}
	})
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"2007300", "4014700", "400", "", "40147000", "abcdefg", "４０１４７００"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			return
		}
		if got := MakeCode(c.HTTPStatus, c.Service, c.Case); got != s {
			t.Fatalf("MakeCode(ParseCode(%q)) = %q", s, got)
		}
		if c.HTTPStatus < 0 || c.HTTPStatus > 999 || len(c.Service) != 2 || len(c.Case) != 2 {
			t.Fatalf("ParseCode(%q) = %+v", s, c)
		}
	})
}

func TestParseReceivedTimestamp(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 11, 21, 3, 54, 21, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		errPart string
	}{
		{in: "2026-11-21T10:54:21+07:00", want: base},
		{in: "2026-11-21T10:54:21.123+07:00", want: base.Add(123 * time.Millisecond)},
		{in: "2026-11-21T10:54:21.1+07:00", want: base.Add(100 * time.Millisecond)},
		{in: "2026-11-21T10:54:21.000+07:00", want: base},
		{in: "2026-11-21T10:54:21.123456789+07:00", want: base.Add(123456789)},
		{in: "2026-11-21T03:54:21.642Z", want: base.Add(642 * time.Millisecond)},
		{in: "2026-11-21T03:54:21+00:00", want: base},
		{in: "", errPart: "empty"},
		{in: "2026-11-21T10:54:21.+07:00", errPart: "1 to 9 digits"},
		{in: "2026-11-21T10:54:21.1234567890+07:00", errPart: "1 to 9 digits"},
		{in: "2026-11-21T10:54:21.12a+07:00", errPart: "yyyy-MM-dd"},
		{in: "2026-11-21T10:54:21.123", errPart: "yyyy-MM-dd"},
		{in: "2026-11-21T10:54:21+07.5:00", errPart: "yyyy-MM-dd"},
		{in: "2026-11-21T10:54.5:21+07:00", errPart: "yyyy-MM-dd"},
		{in: "2026-11-21 10:54:21.123+07:00", errPart: "yyyy-MM-dd"},
		{in: "2026-11-21T10:54:21.123+07:00x", errPart: "yyyy-MM-dd"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseReceivedTimestamp(tt.in)
			if tt.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errPart) {
					t.Fatalf("got %v, %v; want an error mentioning %q", got, err, tt.errPart)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func FuzzParseReceivedTimestamp(f *testing.F) {
	for _, s := range []string{"2026-11-21T10:54:21+07:00", "2026-11-21T10:54:21.123+07:00", "2026-11-21T03:54:21.642Z", "2026-11-21T10:54:21.+07:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseReceivedTimestamp(s)
		if err != nil {
			return
		}
		// Without its fraction the value is one ParseTimestamp accepts, one
		// second apart at most.
		whole := s
		if dot := strings.IndexByte(s, '.'); dot >= 0 {
			end := dot + 1
			for end < len(s) && s[end] >= '0' && s[end] <= '9' {
				end++
			}
			whole = s[:dot] + s[end:]
		}
		strict, err := ParseTimestamp(whole)
		if err != nil {
			t.Fatalf("accepted %q, whose whole-second form %q ParseTimestamp refuses: %v", s, whole, err)
		}
		if d := got.Sub(strict); d < 0 || d >= time.Second {
			t.Fatalf("%q = %v, %v from its whole second", s, got, d)
		}
	})
}
