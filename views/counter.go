package views

import (
	"strconv"
	"time"
)

// View models of issue 13's counter pages: counter mode (/kasir), the
// customer pay page (/p/{token}), receipts (struk), shifts (tutup kasir)
// and the share buttons.

// Share is what the share buttons of an invoice (and its dynamic QRIS code)
// or CVS bill offer: the public pay-page URL and a wa.me link whose text carries it.
// Zero hides the buttons.
type Share struct {
	PayURL, WhatsAppURL string
}

// KasirView is counter mode's amount screen.
type KasirView struct {
	Amount string // as typed (re-shown after an error)
	// Mode is "dynamic" (a QRIS invoice at Netzme) or "static" (a
	// fixed-amount code from the static QRIS).
	Mode      string
	HasStatic bool // the shop has a static QRIS to convert
	Linked    bool // the shop is linked to Netzme (dynamic needs it)
	Errors    FieldErrors
	// ShiftOpen says the person has an open shift (since ShiftSince).
	ShiftOpen  bool
	ShiftSince time.Time
	// Unique asks a fixed-amount code for a unique tail (issue 12 §3).
	Unique bool
}

// KasirQRView is counter mode's full-screen QR: amount, shop, the code and
// its live status. Status is pending, paid, expired, failed or unknown.
type KasirQRView struct {
	CodeID       int64
	Kind         string // "invoice" (dynamic) or "converted" (fixed amount)
	MerchantName string
	AmountMinor  int64
	SVG          string // drawn by Lapak from the payload (trusted markup)
	Status       string
	// Until is the invoice's expiry, or how long a fixed-amount code waits.
	Until     time.Time
	StatusURL string
	SoundURL  string
	// Set once paid.
	PaidAt                time.Time
	ReceiptURL, ReceiptWA string
	// SameAmount counts other fixed-amount codes waiting for the same
	// amount: then LUNAS cannot be matched and the cashier is told so.
	SameAmount int
	// TailMinor is the unique tail in AmountMinor (0: none): the price is
	// AmountMinor - TailMinor.
	TailMinor int64
}

// PayView is the public pay page: what a customer needs to pay, and nothing
// that names Lapak's records. Kind is "invoice" or "cvs"; Status is
// pending, paid, expired, failed or unknown.
type PayView struct {
	Kind         string
	MerchantName string
	AmountMinor  int64
	Status       string
	Method       string // payMethod of an invoice
	SVG          string // QR (trusted markup); "" when the method has none
	VANumbers    []VANumber
	PaymentURL   string // Netzme's payment page, for methods without QR or VA
	PayNo        string // CVS payment number
	ExpiresAt    time.Time
	PaidAt       time.Time
	StatusURL    string
}

// ReceiptView is a printable receipt (struk) of a payment. Size is "58mm"
// or "a6"; Base is the page's path without the size.
type ReceiptView struct {
	MerchantName, City string
	AmountMinor        int64
	// MethodKey is the catalogue key of how it was paid.
	MethodKey   string
	PaidAt      time.Time
	Reference   string
	Description string
	Lines       []ReceiptLine // further facts (payment number, issuer…)
	QRSVG       string        // QR of Reference (trusted markup)
	Size        string
	Base, Back  string
}

// ReceiptLine is one labelled fact on a receipt; Key is a catalogue key.
type ReceiptLine struct{ Key, Value string }

// MethodTotalRow is one method's line on a shift report. Key is the
// catalogue key of the method.
type MethodTotalRow struct {
	Key         string
	Count       int
	AmountMinor int64
}

// ShiftRow is one shift in a list.
type ShiftRow struct {
	ID                 int64
	Cashier            string
	OpenedAt, ClosedAt time.Time
	Open               bool
}

// ShiftsView is the shift page: the person's open shift (or none) and
// recent shifts; AllShifts lists every shift to owners and auditors.
type ShiftsView struct {
	Current   *ShiftReportView
	CanOpen   bool // the person sells here (owner or cashier)
	Mine      []ShiftRow
	AllShifts []ShiftRow
	ShowAll   bool
}

// ShiftReportView is one shift's report. Own is what its cashier rang up,
// Shop the whole shop over the same window (shown when ShowShop).
type ShiftReportView struct {
	Shift               ShiftRow
	Until               time.Time
	Own, Shop           []MethodTotalRow
	OwnCount, ShopCount int
	OwnMinor, ShopMinor int64
	Unmatched           int
	ShowShop            bool
	CanClose            bool
	MerchantName        string
	Size                string // print page: "58mm"
}

// grouped is n with Indonesian thousands separators ("1.234").
func grouped(n int) string { return groupThousands(strconv.Itoa(n)) }
