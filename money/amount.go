package money

// Amount rules every form shares (issue 13 §9): whole rupiah, at least
// Rp 1, at most MaxAmountMinor — and for anything paid by QRIS at most
// MaxQRISMinor, the scheme's own cap (qris.md §2). Invoices, QRIS codes,
// counter mode, deposit top-ups and convenience-store bills all check here,
// so no form accepts what another refuses.

// MaxAmountMinor is the most one form may ask for, in sen: Rp 100.000.000
// (guess, §3.12: Netzme documents no limit for invoices; anything above is
// a typo at a shop counter).
const MaxAmountMinor = MaxInvoiceMinor

// CheckAmount returns nil, or a FieldError on field: ErrAmountZero below
// Rp 1, ErrNotWholeRupiah for sen, ErrAmountTooLarge above the cap (the
// QRIS cap when qris).
func CheckAmount(field string, minor int64, qris bool) error {
	switch {
	case minor < 100:
		return invalid(field, ErrAmountZero)
	case minor%100 != 0:
		return invalid(field, ErrNotWholeRupiah)
	case minor > MaxAmountMinor, qris && minor > MaxQRISMinor:
		return invalid(field, ErrAmountTooLarge)
	}
	return nil
}
