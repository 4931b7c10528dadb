package qris

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that whatever it accepts
// re-encodes to itself (nothing dropped or reordered), and that converting an
// accepted static code yields a code Parse accepts with the same merchant.
// Each input is also tried with its last 8 characters replaced by a correct
// CRC object, so the fuzzer explores the structure checks behind the CRC.
func FuzzParse(f *testing.F) {
	f.Add(example)
	f.Add(example[:len(example)-4] + "e95d")
	f.Add("00020101021226580013ID.NETZME.WWW01189360081400000000170208ABCD12340303UMI51440014ID.CO.QRIS.WWW0215ID10000000000010303UMI520454115303360540525000550202560410005802ID5911TOKO CONTOH6007JAKARTA61051011062070703A016304FF06")
	f.Add("00020101021226580013ID.NETZME.WWW01189360081400000000170208ABCD12340303UMI51440014ID.CO.QRIS.WWW0215ID10000000000010303UMI52045411530336054052500055020357032.55802ID5911TOKO CONTOH6007JAKARTA61051011062070703A0163046D33")
	f.Add("000201")
	f.Add("6304")
	f.Add("0002010102126304ABCD")
	f.Fuzz(func(t *testing.T, s string) {
		checkParse(t, s)
		if trimmed := strings.TrimSpace(s); len(trimmed) >= 8 {
			checkParse(t, withCRC(trimmed[:len(trimmed)-8]))
		}
	})
}

// checkParse asserts the round-trip properties for one input.
func checkParse(t *testing.T, s string) {
	t.Helper()
	p, err := Parse(s)
	if err != nil {
		if p != nil {
			t.Fatalf("Parse returned both a payload and %v", err)
		}
		return
	}
	want := p.Raw[:len(p.Raw)-4] + strings.ToUpper(p.CRC)
	if got := p.Encode(); got != want {
		t.Fatalf("re-encoded\n%q\nparsed\n%q", got, p.Raw)
	}
	if p.Raw != strings.TrimSpace(s) {
		t.Fatalf("Raw %q is not the trimmed input", p.Raw)
	}
	if !p.IsDynamic() && p.HasAmount {
		t.Fatalf("accepted a static code with an amount")
	}
	again, err := Parse(p.Encode())
	if err != nil {
		t.Fatalf("re-encoded payload refused: %v", err)
	}
	p.Raw, p.CRC, p.Warnings, p.objs = "", "", nil, nil
	again.Raw, again.CRC, again.Warnings, again.objs = "", "", nil, nil
	if !reflect.DeepEqual(p, again) {
		t.Fatalf("fields changed on re-parse:\n%+v\n%+v", p, again)
	}
	dyn, err := ToDynamic(s, 1_000_000)
	if err != nil {
		return // dynamic, transfer code, or too long once the amount is added
	}
	d, err := Parse(dyn)
	if err != nil {
		t.Fatalf("ToDynamic produced an invalid code: %v", err)
	}
	if !d.IsDynamic() || d.AmountMinor != 1_000_000 || d.MerchantName != p.MerchantName ||
		d.NMID != p.NMID || !reflect.DeepEqual(d.Accounts, p.Accounts) || !reflect.DeepEqual(d.Additional, p.Additional) {
		t.Fatalf("ToDynamic changed the merchant: %+v", d)
	}
}
