package handlers

import (
	"encoding/json"
	"testing"

	"lapak/db"
)

// FuzzCallbackIngest sends arbitrary bodies through the invoice and QRIS
// endpoints: the answer is always 200 or a 4xx (never a 500 or a panic),
// every answer leaves a stored row, and the invoice is never paid with an
// amount other than its own.
func FuzzCallbackIngest(f *testing.F) {
	a := callbackApp(f)
	iv := a.pendingInvoice(f, a.merchant.ID, "LPK-F", "trx-F", 1_000_000, "")
	f.Add(true, invoiceBody("trx-F", "LPK-F", "M_TOKO0001", 1_000_000, 7_000, a.clock()))
	f.Add(true, invoiceBody("trx-F", "LPK-F", "M_TOKO0001", 999_999, 0, a.clock()))
	f.Add(false, qrisBody("ABC123456789", "M_TOKO0001", 10_000, 70))
	f.Add(true, `{"originalReferenceNo":"trx-F","amount":{"value":"-1.00"}}`)
	f.Add(false, `{"originalReferenceNo":"x","amount":{"value":"1e9","currency":"IDR"},"additionalInfo":{"localTrasactionDate":20240422}}`)
	f.Fuzz(func(t *testing.T, invoice bool, body string) {
		path := "qris"
		if invoice {
			path = "invoice"
		}
		before := len(a.callbacks(t))
		res := a.sendCallback(path, body)
		if res.Code != 200 && (res.Code < 400 || res.Code >= 500) {
			t.Fatalf("answer %d %s", res.Code, res.Body)
		}
		if !json.Valid([]byte(res.Body)) {
			t.Fatalf("answer is not JSON: %q", res.Body)
		}
		if after := len(a.callbacks(t)); after != before+1 {
			t.Fatalf("%d rows stored for one callback", after-before)
		}
		got := a.invoice(t, a.merchant.ID, iv.ID)
		if got.Status == db.InvoicePaid && got.PaidAmountMinor.Int64 != 1_000_000 {
			t.Fatalf("invoice paid with %d sen", got.PaidAmountMinor.Int64)
		}
	})
}
