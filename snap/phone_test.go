package snap

import (
	"errors"
	"testing"
)

func TestParsePhone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in                            string
		e164, international, national string
	}{
		{"081234567890", "+6281234567890", "6281234567890", "081234567890"},
		{"6281234567890", "+6281234567890", "6281234567890", "081234567890"},
		{"+6281234567890", "+6281234567890", "6281234567890", "081234567890"},
		{"+62 812-3456-7890", "+6281234567890", "6281234567890", "081234567890"},
		{"0812-3456-7890", "+6281234567890", "6281234567890", "081234567890"},
		{"(0812) 345 678", "+62812345678", "62812345678", "0812345678"},
		{"0812.3456.789", "+628123456789", "628123456789", "08123456789"},
		{" +62 (812) 3456-7890 ", "+6281234567890", "6281234567890", "081234567890"},
		{"(021) 555-1234", "+62215551234", "62215551234", "0215551234"},
		{"087771122333", "+6287771122333", "6287771122333", "087771122333"},         // NICEPAY's example (nicepay §3)
		{"+62813293333333", "+62813293333333", "62813293333333", "0813293333333"},   // Netzme §3.12 example
		{"628120026123", "+628120026123", "628120026123", "08120026123"},            // SpeedCash sample shape (speedcash §2.2)
		{"0341123456", "+62341123456", "62341123456", "0341123456"},                 // 8 digits after 0 is the minimum
		{"08123456789012", "+628123456789012", "628123456789012", "08123456789012"}, // 13: E.164's 15 with 62
	} {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParsePhone(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if p.E164() != tc.e164 || p.International() != tc.international || p.National() != tc.national || p.String() != tc.e164 {
				t.Errorf("got %q %q %q, want %q %q %q", p.E164(), p.International(), p.National(), tc.e164, tc.international, tc.national)
			}
		})
	}
}

func TestParsePhoneRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"", ErrPhoneEmpty},
		{"   ", ErrPhoneEmpty},
		{"( - )", ErrPhoneEmpty},
		{"0812abc4567", ErrPhoneCharacter},
		{"0812/3456/789", ErrPhoneCharacter},
		{"０８１２３４５６７８９", ErrPhoneCharacter}, // full-width digits
		{"0812+3456789", ErrPhoneCharacter},
		{"++6281234567890", ErrPhoneCharacter},
		{"62+81234567890", ErrPhoneCharacter},
		{"+1 415 555 0100", ErrPhonePrefix},
		{"+", ErrPhonePrefix},
		{"81234567890", ErrPhonePrefix},
		{"+62 0812 3456 789", ErrPhonePrefix},
		{"0062 812 3456 789", ErrPhonePrefix},
		{"00812345678", ErrPhonePrefix},
		{"62812", ErrPhoneLength},
		{"0812", ErrPhoneLength},
		{"081234", ErrPhoneLength},
		{"0812345678901234", ErrPhoneLength},
		{"62", ErrPhoneLength},
		{"0", ErrPhoneLength},
	} {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParsePhone(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParsePhone(%q) = %q, %v; want %v", tc.in, p.E164(), err, tc.want)
			}
			if !p.IsZero() || p.E164() != "" || p.International() != "" || p.National() != "" {
				t.Errorf("refused input gave a number: %q", p.E164())
			}
		})
	}
}

// Property: every format of a parsed number parses back to the same number.
func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"081234567890", "+62 812-3456-7890", "(021) 555-1234", "62812", "+1 415", "0812.3456.789", "+62 (0) 812"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePhone(s)
		if err != nil {
			if !p.IsZero() {
				t.Fatalf("%q: error %v with a number %q", s, err, p.E164())
			}
			for _, k := range []error{ErrPhoneEmpty, ErrPhoneCharacter, ErrPhonePrefix, ErrPhoneLength} {
				if errors.Is(err, k) {
					return
				}
			}
			t.Fatalf("%q: error %v is none of the ErrPhone kinds", s, err)
		}
		for _, out := range []string{p.E164(), p.International(), p.National()} {
			back, err := ParsePhone(out)
			if err != nil || back != p {
				t.Fatalf("%q → %q → %v, %v; want %v", s, out, back, err, p)
			}
		}
		if n := len(p.International()); n < 2+minPhoneDigits || n > 2+maxPhoneDigits {
			t.Fatalf("%q → %q: %d digits", s, p.International(), n)
		}
	})
}
