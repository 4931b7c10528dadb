package qris

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// example is the worked example of qris §6 (synthetic Netzme merchant).
const example = "00020101021126580013ID.NETZME.WWW01189360081400000000170208ABCD12340303UMI51440014ID.CO.QRIS.WWW0215ID10000000000010303UMI5204541153033605802ID5911TOKO CONTOH6007JAKARTA61051011062070703A016304E95D"

// exampleMerchant is what example encodes.
var exampleMerchant = Merchant{
	Name: "TOKO CONTOH", City: "JAKARTA", PostalCode: "10110", MCC: "5411",
	NMID: "ID1000000000001", GUID: "ID.NETZME.WWW", PAN: "936008140000000017",
	MerchantID: "ABCD1234", Criteria: "UMI",
}

func TestCRC16Vectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want uint16
	}{
		{"123456789", 0x29B1}, // catalogue check value, qris §6
		{"", 0xFFFF},
		{"HELLO", 0x49D6}, // fyvri/go-qris vectors, qris §9
		{"abcdef", 0x34ED},
		{example[:len(example)-4], 0xE95D},
	}
	for _, tt := range tests {
		if got := CRC16([]byte(tt.in)); got != tt.want {
			t.Errorf("CRC16(%q) = %04X, want %04X", tt.in, got, tt.want)
		}
	}
}

func TestCRCHexPads(t *testing.T) {
	t.Parallel()
	for c, want := range map[uint16]string{0x0830: "0830", 0x091D: "091D", 0x000A: "000A", 0xE95D: "E95D"} {
		if got := crcHex(c); got != want {
			t.Errorf("crcHex(%#x) = %q, want %q", c, got, want)
		}
	}
}

func TestParseWorkedExample(t *testing.T) {
	t.Parallel()
	p, err := Parse("  " + example + "\r\n") // pasted input: outer whitespace trimmed
	if err != nil {
		t.Fatal(err)
	}
	want := Account{Tag: "26", GUID: "ID.NETZME.WWW", PAN: "936008140000000017", MerchantID: "ABCD1234", Criteria: "UMI"}
	if len(p.Accounts) != 1 || p.Accounts[0] != want {
		t.Errorf("Accounts = %+v, want [%+v]", p.Accounts, want)
	}
	checks := []struct{ name, got, want string }{
		{"Raw", p.Raw, example},
		{"PointOfInitiation", p.PointOfInitiation, "11"},
		{"NMID", p.NMID, "ID1000000000001"},
		{"MCC", p.MCC, "5411"},
		{"Currency", p.Currency, "360"},
		{"CountryCode", p.CountryCode, "ID"},
		{"MerchantName", p.MerchantName, "TOKO CONTOH"},
		{"MerchantCity", p.MerchantCity, "JAKARTA"},
		{"PostalCode", p.PostalCode, "10110"},
		{"CRC", p.CRC, "E95D"},
		{"Additional[07]", p.Additional["07"], "A01"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if p.IsDynamic() || p.HasAmount || p.AmountMinor != 0 {
		t.Errorf("static example: IsDynamic=%v HasAmount=%v AmountMinor=%d", p.IsDynamic(), p.HasAmount, p.AmountMinor)
	}
	if len(p.Warnings) != 0 {
		t.Errorf("Warnings = %q, want none", p.Warnings)
	}
	if len(p.Raw) != 197 {
		t.Errorf("len = %d, want 197 (qris §6)", len(p.Raw))
	}
}

// The converted forms given in qris §7 are valid dynamic codes too.
func TestParseSpecDynamicExamples(t *testing.T) {
	t.Parallel()
	head := example[:strings.Index(example, "5802ID")]
	tail := example[strings.Index(example, "5802ID") : len(example)-8]
	tests := []struct {
		name, insert, crc string
		amount            int64
	}{
		{"amount", "540525000", "998D", 2_500_000},
		{"fixed fee", "540525000550202560410005802ID"[:len("540525000550202560410005802ID")-6], "FF06", 2_500_000},
		{"percent fee", "54052500055020357032.5", "6D33", 2_500_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := strings.Replace(head, "010211", "010212", 1) + tt.insert + tail + "6304" + tt.crc
			p, err := Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			if !p.IsDynamic() || !p.HasAmount || p.AmountMinor != tt.amount {
				t.Errorf("IsDynamic=%v HasAmount=%v AmountMinor=%d, want dynamic %d", p.IsDynamic(), p.HasAmount, p.AmountMinor, tt.amount)
			}
		})
	}
}

// recrc replaces the CRC of s (which must end in 6304XXXX) with the correct one,
// so a test can check a rule other than the CRC.
func recrc(s string) string { return withCRC(s[:len(s)-8]) }

const account26 = "26580013ID.NETZME.WWW01189360081400000000170208ABCD12340303UMI"

func TestParseRejects(t *testing.T) {
	t.Parallel()
	rep := func(old, new string) string { return recrc(strings.Replace(example, old, new, 1)) }
	dynamic := strings.Replace(example, "010211", "010212", 1)
	withAmount := func(amount string) string {
		return recrc(strings.Replace(dynamic, "5802ID", fmt.Sprintf("54%02d%s5802ID", len(amount), amount), 1))
	}
	big := ""
	for _, id := range []string{"80", "81", "82", "83"} {
		big += id + "99" + "0095" + strings.Repeat("X", 95)
	}
	tests := []struct {
		name    string
		in      string
		kind    error
		tag     string
		message string // substring of Error()
	}{
		{"empty", "   ", ErrSyntax, "", "empty"},
		{"wrong CRC", example[:len(example)-4] + "E95E", ErrCRC, "63", "E95E"},
		{"altered name keeps old CRC", strings.Replace(example, "TOKO CONTOH", "TOKO CURANG", 1), ErrCRC, "63", "altered"},
		{"CRC not hex", example[:len(example)-4] + "XXXX", ErrCRC, "63", "not 4 hex"},
		{"CRC not padded", example[:len(example)-8] + "6303E95", ErrCRC, "63", "not 4 hex"},
		{"no CRC", example[:len(example)-8], ErrOrder, "62", "end with tag 63"},
		{"truncated", example[:len(example)-2], ErrSyntax, "63", "past the end"},
		{"stray tail", example + "12", ErrSyntax, "", "stray"},
		{"length not digits", strings.Replace(example, "5204", "52X4", 1), ErrSyntax, "52", "length"},
		{"00 not first", recrc(example[6:]), ErrOrder, "01", "start with tag 00"},
		{"CRC twice", recrc(example[:len(example)-8] + "6304E95D6304E95D"), ErrDuplicate, "63", "twice"},
		{"duplicate 59", rep("6007JAKARTA", "5902XX6007JAKARTA"), ErrDuplicate, "59", "twice"},
		{"duplicate inside 26", rep(account26, "2665"+account26[4:]+"0303UKE"), ErrDuplicate, "26.03", "twice"},
		{"too long", recrc(example[:len(example)-8] + big + "6304E95D"), ErrTooLong, "", "512"},
		{"non-ASCII", strings.Replace(example, "TOKO CONTOH", "TOKO CONTÖ", 1), ErrCharset, "", "0xC3"},
		{"control char", strings.Replace(example, "TOKO CONTOH", "TOKO\tCONTOH", 1), ErrCharset, "", "0x09"},
		{"format indicator", rep("000201", "000202"), ErrInvalid, "00", "must be 01"},
		{"point of initiation 13", rep("010211", "010213"), ErrInvalid, "01", "11 (static) or 12"},
		{"no point of initiation", rep("010211", ""), ErrMissing, "01", "missing"},
		{"no MCC", rep("52045411", ""), ErrMissing, "52", "missing"},
		{"no currency", rep("5303360", ""), ErrMissing, "53", "missing"},
		{"no country", rep("5802ID", ""), ErrMissing, "58", "missing"},
		{"no name", rep("5911TOKO CONTOH", ""), ErrMissing, "59", "missing"},
		{"no city", rep("6007JAKARTA", ""), ErrMissing, "60", "missing"},
		{"no account", rep(account26, ""), ErrMissing, "26", "merchant account"},
		{"account without GUID", rep(account26, "26340118936008140000000017"+"0208ABCD1234"), ErrMissing, "26.00", "globally unique"},
		{"currency USD", rep("5303360", "5303840"), ErrInvalid, "53", "360"},
		{"country MY", rep("5802ID", "5802MY"), ErrInvalid, "58", "country"},
		{"MCC letters", rep("52045411", "5204541A"), ErrInvalid, "52", "4 digits"},
		{"empty name", rep("5911TOKO CONTOH", "5900"), ErrInvalid, "59", "empty"},
		{"city too long", rep("6007JAKARTA", "6016JAKARTA SELATAN1"), ErrInvalid, "60", "1–15"},
		{"postal too long", rep("61051011", "61111234567890"), ErrInvalid, "61", "at most 10"},
		{"static with amount", rep("5802ID", "5405250005802ID"), ErrInvalid, "54", "static code"},
		{"amount thousands separator", withAmount("10.000"), ErrInvalid, "54", "thousands"},
		{"amount three decimals", withAmount("25000.000"), ErrInvalid, "54", "decimals"},
		{"amount trailing dot", withAmount("25000."), ErrInvalid, "54", "decimals"},
		{"amount comma", withAmount("25000,00"), ErrInvalid, "54", "digits"},
		{"amount negative", withAmount("-25000"), ErrInvalid, "54", "digits"},
		{"amount zero", withAmount("0.00"), ErrInvalid, "54", "greater than zero"},
		{"amount 14 chars", withAmount("12345678901234"), ErrInvalid, "54", "13"},
		{"fee 56 without 55", rep("5802ID", "560410005802ID"), ErrInvalid, "56", "without tip indicator"},
		{"fee 55=02 without 56", rep("5802ID", "5502025802ID"), ErrInvalid, "55", "needs tag 56"},
		{"fee 55=01 with 57", rep("5802ID", "550201570125802ID"), ErrInvalid, "55", "must not carry"},
		{"fee 55=04", rep("5802ID", "5502045802ID"), ErrInvalid, "55", "01, 02 or 03"},
		{"percent fee 100", rep("5802ID", "55020357031005802ID"), ErrInvalid, "57", "0.01–99.99"},
		{"broken template 26", rep("26580013ID.NETZME.WWW", "26580014ID.NETZME.WWW"), ErrSyntax, "26.11", "past the end"},
		{"broken template 62", rep("62070703A01", "62070704A01"), ErrSyntax, "62.07", "past the end"},
		{"62 sub too long", rep("62070703A01", "62300726"+strings.Repeat("A", 26)), ErrInvalid, "62.07", "at most 25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse accepted %q: %+v", tt.in, p)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %v", err, tt.kind)
			}
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("error %T is not *Error", err)
			}
			if qe.Tag != tt.tag {
				t.Errorf("Tag = %q, want %q (error %q)", qe.Tag, tt.tag, err)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not mention %q", err, tt.message)
			}
		})
	}
}

func TestParseWarnings(t *testing.T) {
	t.Parallel()
	rep := func(old, new string) string { return recrc(strings.Replace(example, old, new, 1)) }
	longName := strings.Repeat("N", 30)
	tests := []struct {
		name, in, warning string
	}{
		{"lowercase CRC", example[:len(example)-4] + "e95d", "lowercase"},
		{"no tag 51", rep("51440014ID.CO.QRIS.WWW0215ID10000000000010303UMI", ""), "tag 51"},
		{"long name", rep("5911TOKO CONTOH", "5930"+longName), "30 characters"},
		{"dynamic without amount", rep("010211", "010212"), "without an amount"},
		{"GPNQR repository accepted", rep("51440014ID.CO.QRIS.WWW", "51450015ID.OR.GPNQR.WWW"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(p.Warnings, "; ")
			if tt.warning == "" && got != "" || !strings.Contains(got, tt.warning) {
				t.Errorf("Warnings = %q, want one mentioning %q", got, tt.warning)
			}
		})
	}
}

func TestEncodeNormalizesCRC(t *testing.T) {
	t.Parallel()
	p, err := Parse(example[:len(example)-4] + "e95d")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Encode(); got != example {
		t.Errorf("Encode = %q, want %q", got, example)
	}
}

// Offsets point into the trimmed payload, also for errors inside templates,
// so a UI can highlight the broken part.
func TestErrorOffsets(t *testing.T) {
	t.Parallel()
	rep := func(old, new string) string { return recrc(strings.Replace(example, old, new, 1)) }
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"length not digits", strings.Replace(example, "5204", "52X4", 1), strings.Index(example, "5204") + 2},
		{"bad CRC", example[:len(example)-4] + "0000", len(example) - 4},
		{"inside tag 62", rep("62070703A01", "62070704A01"), strings.Index(example, "0703A01")},
		{"currency", rep("5303360", "5303840"), strings.Index(example, "5303360")},
		{"after leading blanks", "  \t" + example[:len(example)-4] + "0000", len(example) - 4},
		{"non-ASCII", strings.Replace(example, "JAKARTA", "JAKARTÄ", 1), strings.Index(example, "JAKARTA") + 6},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var qe *Error
		if !errors.As(err, &qe) {
			t.Fatalf("%s: error %v is not *Error", tt.name, err)
		}
		if qe.Offset != tt.want {
			t.Errorf("%s: Offset = %d, want %d (%v)", tt.name, qe.Offset, tt.want, err)
		}
	}
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Err: ErrSyntax, Offset: -1, Msg: "payload is empty"}, "qris: payload is empty"},
		{&Error{Err: ErrInvalid, Tag: "54", Offset: 120, Msg: "bad"}, "qris: tag 54 (transaction amount) at offset 120: bad"},
		{&Error{Err: ErrMissing, Tag: "59", Offset: -1, Msg: "missing"}, "qris: tag 59 (merchant name): missing"},
		{&Error{Err: ErrCharset, Offset: 7, Msg: "x"}, "qris: at offset 7: x"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
