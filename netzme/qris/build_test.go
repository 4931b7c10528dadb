package qris

import (
	"errors"
	"strings"
	"testing"
)

func TestStaticReproducesWorkedExample(t *testing.T) {
	t.Parallel()
	got, err := Static(exampleMerchant)
	if err != nil {
		t.Fatal(err)
	}
	if got != example {
		t.Errorf("Static =\n%s\nwant\n%s", got, example)
	}
}

func TestStaticWithoutOptionalFields(t *testing.T) {
	t.Parallel()
	m := exampleMerchant
	m.NMID, m.PostalCode, m.MerchantID, m.Criteria = "", "", "", ""
	s, err := Static(m)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.NMID != "" || p.PostalCode != "" || strings.Contains(s, "ID.CO.QRIS.WWW") {
		t.Errorf("optional fields leaked into %q", s)
	}
	if want := "no national merchant ID (tag 51)"; len(p.Warnings) != 1 || p.Warnings[0] != want {
		t.Errorf("Warnings = %q, want [%q]", p.Warnings, want)
	}
}

func TestDynamicRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		amount  int64
		bill    string
		wantTag string // tag 54 as encoded
	}{
		{"whole rupiah", 2_500_000, "INV-0001", "540525000"},
		{"with sen", 2_500_050, "", "540825000.50"},
		{"one rupiah", 100, "X", "54011"},
		{"ten million", 1_000_000_000, "INV-2024-000000000000001", "540810000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Dynamic(exampleMerchant, tt.amount, tt.bill)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(s, "5303360"+tt.wantTag+"5802ID") {
				t.Errorf("payload %q lacks %q between 53 and 58", s, tt.wantTag)
			}
			p, err := Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			if !p.IsDynamic() || !p.HasAmount || p.AmountMinor != tt.amount {
				t.Errorf("IsDynamic=%v HasAmount=%v AmountMinor=%d, want %d", p.IsDynamic(), p.HasAmount, p.AmountMinor, tt.amount)
			}
			if p.Additional["01"] != tt.bill {
				t.Errorf("bill number = %q, want %q", p.Additional["01"], tt.bill)
			}
			if p.MerchantName != exampleMerchant.Name || p.NMID != exampleMerchant.NMID || p.Accounts[0].PAN != exampleMerchant.PAN {
				t.Errorf("merchant data changed: %+v", p)
			}
		})
	}
}

func TestBuildersRefuseBadInput(t *testing.T) {
	t.Parallel()
	mod := func(f func(*Merchant)) Merchant { m := exampleMerchant; f(&m); return m }
	tests := []struct {
		name   string
		m      Merchant
		amount int64
		bill   string
		kind   error
		tag    string
	}{
		{"empty name", mod(func(m *Merchant) { m.Name = "" }), 100, "", ErrInvalid, "59"},
		{"name 26 chars", mod(func(m *Merchant) { m.Name = strings.Repeat("A", 26) }), 100, "", ErrInvalid, "59"},
		{"city 16 chars", mod(func(m *Merchant) { m.City = strings.Repeat("A", 16) }), 100, "", ErrInvalid, "60"},
		{"postal 11 chars", mod(func(m *Merchant) { m.PostalCode = "12345678901" }), 100, "", ErrInvalid, "61"},
		{"MCC 3 digits", mod(func(m *Merchant) { m.MCC = "541" }), 100, "", ErrInvalid, "52"},
		{"PAN letters", mod(func(m *Merchant) { m.PAN = "93600814000000001X" }), 100, "", ErrInvalid, "26.01"},
		{"PAN 15 digits", mod(func(m *Merchant) { m.PAN = "936008140000000" }), 100, "", ErrInvalid, "26.01"},
		{"no GUID", mod(func(m *Merchant) { m.GUID = "" }), 100, "", ErrInvalid, "26.00"},
		{"criteria", mod(func(m *Merchant) { m.Criteria = "BIG" }), 100, "", ErrInvalid, "26.03"},
		{"non-ASCII name", mod(func(m *Merchant) { m.Name = "KOPI ☕" }), 100, "", ErrCharset, "59"},
		{"zero amount", exampleMerchant, 0, "", ErrInvalid, "54"},
		{"negative amount", exampleMerchant, -100, "", ErrInvalid, "54"},
		{"amount 14 chars", exampleMerchant, 1_000_000_000_000_000, "", ErrInvalid, "54"},
		{"bill 26 chars", exampleMerchant, 100, strings.Repeat("B", 26), ErrInvalid, "62.01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Dynamic(tt.m, tt.amount, tt.bill)
			checkErr(t, s, err, tt.kind, tt.tag)
			if tt.tag != "54" && tt.tag != "62.01" { // merchant problems stop Static too
				s, err := Static(tt.m)
				checkErr(t, s, err, tt.kind, tt.tag)
			}
		})
	}
}

func checkErr(t *testing.T, s string, err error, kind error, tag string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted, built %q", s)
	}
	var qe *Error
	if !errors.Is(err, kind) || !errors.As(err, &qe) || qe.Tag != tag {
		t.Errorf("error %q, want %v on tag %s", err, kind, tag)
	}
}

func TestToDynamicSpecVectors(t *testing.T) {
	t.Parallel()
	head := strings.Replace(example[:strings.Index(example, "5802ID")], "010211", "010212", 1)
	tail := example[strings.Index(example, "5802ID") : len(example)-8]
	tests := []struct {
		name   string
		amount int64
		fee    Fee
		insert string
		crc    string
	}{ // qris §7
		{"amount only", 2_500_000, Fee{}, "540525000", "998D"},
		{"fixed fee", 2_500_000, Fee{FixedMinor: 100_000}, "54052500055020256041000", "FF06"},
		{"percent fee", 2_500_000, Fee{PercentHundredths: 250}, "54052500055020357032.5", "6D33"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ToDynamicWithFee(example, tt.amount, tt.fee)
			if err != nil {
				t.Fatal(err)
			}
			if want := head + tt.insert + tail + "6304" + tt.crc; got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
	plain, err := ToDynamic(example, 2_500_000)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(plain, "6304998D") {
		t.Errorf("ToDynamic = %q, want CRC 998D", plain)
	}
}

func TestToDynamicKeepsMerchantData(t *testing.T) {
	t.Parallel()
	// A name containing "5802ID" and a tag 62-99 containing "6304" break
	// string-replacing converters (qris §7, known mistakes).
	m := exampleMerchant
	m.Name = "TOKO 5802ID 010211"
	static, err := Static(m)
	if err != nil {
		t.Fatal(err)
	}
	before, err := Parse(static)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := ToDynamic(static, 1_234_500)
	if err != nil {
		t.Fatal(err)
	}
	after, err := Parse(dyn)
	if err != nil {
		t.Fatal(err)
	}
	if !after.IsDynamic() || after.AmountMinor != 1_234_500 {
		t.Errorf("IsDynamic=%v AmountMinor=%d", after.IsDynamic(), after.AmountMinor)
	}
	if after.MerchantName != m.Name || after.MerchantCity != before.MerchantCity || after.NMID != before.NMID ||
		after.MCC != before.MCC || after.PostalCode != before.PostalCode || after.Accounts[0] != before.Accounts[0] ||
		after.Additional["07"] != "A01" {
		t.Errorf("merchant data changed:\nbefore %+v\nafter  %+v", before, after)
	}
	if strings.Count(dyn, "540512345") != 1 {
		t.Errorf("amount not present exactly once in %q", dyn)
	}
}

func TestToDynamicDropsOldFee(t *testing.T) {
	t.Parallel()
	withTip := recrc(strings.Replace(example, "5802ID", "5502015802ID", 1))
	got, err := ToDynamicWithFee(withTip, 500_000, Fee{FixedMinor: 50_000})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(got, "5502") != 1 || !strings.Contains(got, "54045000550202560350058") {
		t.Errorf("old tip indicator kept or new fee missing: %q", got)
	}
}

func TestToDynamicRefuses(t *testing.T) {
	t.Parallel()
	dynamic, err := Dynamic(exampleMerchant, 100_000, "")
	if err != nil {
		t.Fatal(err)
	}
	transfer := recrc(strings.Replace(example, "51440014", "40080004TEST51440014", 1))
	tests := []struct {
		name   string
		in     string
		amount int64
		fee    Fee
		kind   error
		tag    string
	}{
		{"already dynamic", dynamic, 200_000, Fee{}, ErrNotStatic, "01"},
		{"transfer code", transfer, 200_000, Fee{}, ErrNotStatic, "40"},
		{"bad CRC", example[:len(example)-1] + "E", 200_000, Fee{}, ErrCRC, "63"},
		{"sen amount", example, 200_050, Fee{}, ErrInvalid, "54"},
		{"zero", example, 0, Fee{}, ErrInvalid, "54"},
		{"14 digits", example, 10_000_000_000_000 * 100, Fee{}, ErrInvalid, "54"},
		{"two fees", example, 200_000, Fee{FixedMinor: 100, PercentHundredths: 1}, ErrInvalid, "55"},
		{"percent 100", example, 200_000, Fee{PercentHundredths: 10_000}, ErrInvalid, "57"},
		{"fee in sen", example, 200_000, Fee{FixedMinor: 150}, ErrInvalid, "56"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ToDynamicWithFee(tt.in, tt.amount, tt.fee)
			checkErr(t, s, err, tt.kind, tt.tag)
		})
	}
}

func TestFormatPercent(t *testing.T) {
	t.Parallel()
	for h, want := range map[int64]string{250: "2.5", 100: "1", 1: "0.01", 9999: "99.99", 1250: "12.5", 1000: "10"} {
		if got := formatPercent(h); got != want {
			t.Errorf("formatPercent(%d) = %q, want %q", h, got, want)
		}
	}
}
