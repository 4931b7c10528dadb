package handlers

import "testing"

// CVS bills read amounts with the same rules as every other form, in whole
// rupiah only and within the one upper limit every form shares.
func TestParseCVSAmount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"25000": 2_500_000, "25.000": 2_500_000, "Rp 25.000": 2_500_000, "Rp25.000": 2_500_000, "25000,00": 2_500_000,
		"": -1, "0": -1, "2.5.000": -1, "25.000,50": -1, "abc": -1, "-5000": -1, "100.000.001": -1,
		"50.000.001": 5_000_000_100, "0,01": -1,
	} {
		got, ok := parseCVSAmount(in)
		if want < 0 && ok {
			t.Errorf("parseCVSAmount(%q) accepted as %d", in, got)
		}
		if want >= 0 && (!ok || got != want) {
			t.Errorf("parseCVSAmount(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}
