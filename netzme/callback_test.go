package netzme

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"lapak/snap"
)

// §3.15 example 1 [SEED], verbatim.
const invoiceCallbackQRIS = `{
  "originalReferenceNo": "1dd2d046a86c4058b4b7365e466b66f4",
  "originalPartnerReferenceNo": "PartnerBankS-12591418",
  "latestTransactionStatus": "00",
  "transactionStatusDesc": "Success",
  "amount":    { "value": "10002.00", "currency": "IDR" },
  "netAmount": { "value": "10002.00", "currency": "IDR" },
  "feeAmount": { "value": "0.00",     "currency": "IDR" },
  "additionalInfo": {
    "custIdMerchant": "M_TB1NMLig",
    "paymentTime": "2024-04-22T10:54:57.097+07:00",
    "paymentMethod": "QRIS",
    "qrDetail": {
      "amount": "IDR 10002.00",
      "netAmount": "IDR 10002.00",
      "issuerName": "Netzme",
      "issuerId": "93600814",
      "terminalId": "A01",
      "buyerUserId": "9360081456202571",
      "customerPan": "9360081456202571",
      "merchantFee": "IDR 0.00",
      "merchantPan": "936008140100000184",
      "referenceId": "4812598057952024042293600814",
      "acquirerName": "Netzme",
      "merchantName": "Toko Bu Inem             ",
      "buyerFullname": "Testing 2023__________________",
      "transactionId": "24042210547661292634",
      "merchantLocation": "SIMEULUE"
    },
    "invoiceId": "NETZ-INV-M_TB1NMLig1713757685199HxZ",
    "rrn": "481259805795",
    "localTrasactionDate": 20240422,
    "issuerId": "93600814"
  },
  "isSplitfee": false,
  "splitFees": []
}`

func TestDecodeInvoiceCallbackSpecExample(t *testing.T) {
	t.Parallel()
	cb, err := DecodeInvoiceCallback([]byte(invoiceCallbackQRIS))
	if err != nil {
		t.Fatal(err)
	}
	if !cb.Paid() || cb.OriginalReferenceNo != "1dd2d046a86c4058b4b7365e466b66f4" || cb.OriginalPartnerReferenceNo != "PartnerBankS-12591418" {
		t.Errorf("refs/status = %+v", cb)
	}
	if cb.AmountMinor != 1_000_200 || cb.NetAmountMinor != 1_000_200 || cb.FeeMinor != 0 {
		t.Errorf("amounts = %d/%d/%d", cb.AmountMinor, cb.NetAmountMinor, cb.FeeMinor)
	}
	if cb.LocalTransactionDate != "20240422" || cb.RRN != "481259805795" || cb.IssuerID != "93600814" || cb.InvoiceID != "NETZ-INV-M_TB1NMLig1713757685199HxZ" {
		t.Errorf("qris ids = %+v", cb)
	}
	if cb.PaymentTime.IsZero() || cb.PaymentTime.UTC().Hour() != 3 || cb.PaymentMethod != PayQRIS {
		t.Errorf("payment time = %v", cb.PaymentTime)
	}
	q := cb.QRDetail
	if q == nil || q.AmountMinor != 1_000_200 || q.MerchantFeeMinor != 0 || q.ReferenceID != "4812598057952024042293600814" || q.MerchantName != "Toko Bu Inem             " {
		t.Errorf("qrDetail = %+v", q)
	}
	if cb.IsSplitFee || len(cb.SplitFees) != 0 {
		t.Errorf("split = %v %v", cb.IsSplitFee, cb.SplitFees)
	}
}

func TestDecodeInvoiceCallbackVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, cb InvoiceCallback)
	}{
		{"seamless example 2, no qrDetail", `{"originalReferenceNo":"9b85206c-1c99-4518-b06a-900f547619c8","originalPartnerReferenceNo":"partnerrefme68","latestTransactionStatus":"00","transactionStatusDesc":"Success","amount":{"value":"5001.00","currency":"IDR"},"netAmount":{"value":"5001.00","currency":"IDR"},"feeAmount":{"value":"0.00","currency":"IDR"},"additionalInfo":{"custIdMerchant":"M_QLjyEqWF","paymentTime":"2023-10-31T14:48:25.632+07:00","paymentMethod":"NETZME_SEAMLESS","invoiceId":"NETZ-INV-M_Rp2uoK4R1698738492427sUW"}}`,
			func(t *testing.T, cb InvoiceCallback) {
				if cb.QRDetail != nil || cb.AmountMinor != 500_100 || cb.CustIDMerchant != "M_QLjyEqWF" {
					t.Errorf("%+v", cb)
				}
			}},
		{"REPLAY: fee, string date in qrDetail", `{"originalReferenceNo":"x","amount":{"value":"150000.00","currency":"IDR"},"netAmount":{"value":"148950.00","currency":"IDR"},"feeAmount":{"value":"1050.00","currency":"IDR"},"additionalInfo":{"qrDetail":{"localTransactionDate":"20250901","merchantFee":{"value":"1050.00","currency":"IDR"}}},"isSplitfee":false,"splitFees":[]}`,
			func(t *testing.T, cb InvoiceCallback) {
				if cb.FeeMinor != 105_000 || cb.NetAmountMinor != 14_895_000 || cb.LocalTransactionDate != "20250901" || cb.QRDetail.MerchantFeeMinor != 105_000 {
					t.Errorf("%+v %+v", cb, cb.QRDetail)
				}
			}},
		{"documented spellings isSplitFee/spiltFees under additionalInfo", `{"originalReferenceNo":"x","additionalInfo":{"isSplitFee":"true","spiltFees":[{"merchant":"M_1"}],"localTransactionDate":20240101}}`,
			func(t *testing.T, cb InvoiceCallback) {
				if !cb.IsSplitFee || len(cb.SplitFees) != 1 || cb.LocalTransactionDate != "20240101" {
					t.Errorf("%+v", cb)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb, err := DecodeInvoiceCallback([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, cb)
		})
	}
	for _, bad := range []string{``, `[]`, `{"amount":{"value":"1.00"}}`, `{"originalReferenceNo":"x","amount":{"value":"1e3","currency":"IDR"}}`,
		`{"originalReferenceNo":"x","amount":{"value":"1.00","currency":"USD"}}`, `{"originalReferenceNo":"x","additionalInfo":{"localTrasactionDate":true}}`} {
		if _, err := DecodeInvoiceCallback([]byte(bad)); !errors.Is(err, ErrCallback) {
			t.Errorf("DecodeInvoiceCallback(%s) err = %v", bad, err)
		}
	}
}

func TestDecodeQRISAndWithdrawCallbacks(t *testing.T) {
	t.Parallel()
	q, err := DecodeQRISCallback([]byte(`{"originalReferenceNo":"481259805795","amount":{"value":"10000.00","currency":"IDR"},"netAmount":{"value":"9970.00","currency":"IDR"},"feeAmount":{"value":"30.00","currency":"IDR"},"latestTransactionStatus":"00","transactionStatusDesc":"Success","additionalInfo":{"custIdMerchant":"M_1","rrn":"481259805795","localTrasactionDate":20240422,"issuerId":"93600814","type":"pay_qris"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !q.Paid() || q.AmountMinor != 1_000_000 || q.NetAmountMinor != 997_000 || q.FeeMinor != 3_000 || q.DedupKey() != "481259805795|20240422|93600814" {
		t.Errorf("qris = %+v", q)
	}
	if _, err := DecodeQRISCallback([]byte(`{"originalReferenceNo":"1"}`)); !errors.Is(err, ErrCallback) {
		t.Errorf("QRIS callback without amount accepted: %v", err)
	}
	// §5.2: Netzme's "07" is Failed; it must not count as paid.
	if q7, _ := DecodeQRISCallback([]byte(`{"originalReferenceNo":"1","latestTransactionStatus":"07","amount":{"value":"1.00","currency":"IDR"}}`)); q7.Paid() {
		t.Error("status 07 treated as paid")
	}
	w, err := DecodeWithdrawCallback([]byte(`{"originalReferenceNo":"r1","originalPartnerReferenceNo":"wd-1","withdrawalAmount":{"value":"300000.00","currency":"IDR"},"additionalInfo":{"status":"SUCCESS","bankCode":"014"}}`))
	if err != nil || w.AmountMinor != 30_000_000 || w.Status != "SUCCESS" || w.OriginalPartnerReferenceNo != "wd-1" {
		t.Errorf("withdraw = %+v, %v", w, err)
	}
	if _, err := DecodeWithdrawCallback([]byte(`{}`)); !errors.Is(err, ErrCallback) {
		t.Errorf("empty withdraw callback: %v", err)
	}
}

func TestCallbackAckAndToken(t *testing.T) {
	t.Parallel()
	got := string(CallbackAck("PartnerBankS-12591418", "1dd2d046a86c4058b4b7365e466b66f4"))
	want := `{"responseCode":"2000000","responseMessage":"Successful","additionalInfo":{"originalPartnerReferenceNo":"PartnerBankS-12591418","originalReferenceNo":"1dd2d046a86c4058b4b7365e466b66f4"}}`
	if got != want {
		t.Errorf("ack = %s", got)
	}
	if !VerifyCallbackToken("tok==", "tok==") || VerifyCallbackToken("tok=", "tok==") || VerifyCallbackToken("", "") {
		t.Error("callback token comparison wrong")
	}
}

func TestVerifySNAPCallback(t *testing.T) {
	t.Parallel()
	key := key2048(t)
	body := []byte(`{"originalReferenceNo":"481259805795","amount":{"value":"10000.00","currency":"IDR"}}`)
	const ts = "2024-04-22T10:54:57+07:00"
	sig, err := snap.SignAsymmetricService(key, "POST", "/netzme/qris", body, ts)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySNAPCallback(&key.PublicKey, "POST", "/netzme/qris", body, ts, sig); err != nil {
		t.Fatal(err)
	}
	tampered := []byte(strings.Replace(string(body), "10000.00", "99999.00", 1))
	if err := VerifySNAPCallback(&key.PublicKey, "POST", "/netzme/qris", tampered, ts, sig); !errors.Is(err, snap.ErrSignature) {
		t.Fatalf("tampered: %v", err)
	}
}

func FuzzDecodeInvoiceCallback(f *testing.F) {
	f.Add([]byte(invoiceCallbackQRIS))
	f.Add([]byte(`{"originalReferenceNo":"x","additionalInfo":{"isSplitFee":"true","spiltFees":[{}],"localTransactionDate":20240101}}`))
	f.Add([]byte(`{"originalReferenceNo":"x","amount":"IDR 1.00"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		cb, err := DecodeInvoiceCallback(body)
		if err != nil {
			if !errors.Is(err, ErrCallback) {
				t.Fatalf("error does not wrap ErrCallback: %v", err)
			}
			return
		}
		if cb.OriginalReferenceNo == "" && cb.OriginalPartnerReferenceNo == "" {
			t.Fatal("accepted a callback without references")
		}
		// The ack must always be valid JSON echoing the references.
		if _, err := parseAck(CallbackAck(cb.OriginalPartnerReferenceNo, cb.OriginalReferenceNo)); err != nil {
			t.Fatal(err)
		}
		_, _ = DecodeQRISCallback(body)
		_, _ = DecodeWithdrawCallback(body)
	})
}

// FuzzResponse feeds arbitrary answers to a money-moving call's response
// handling: it must never report success for a non-2xx status or a body
// without a 200xxxx code, and every 5xx must be ErrOutcomeUnknown.
func FuzzResponse(f *testing.F) {
	f.Add(200, []byte(`{"responseCode":"2004300","responseMessage":"Successful","referenceNo":"r"}`))
	f.Add(500, []byte(`{"status":500,"message":"halted"}`))
	f.Add(401, []byte(`{"responseCode":"4014301"}`))
	f.Add(202, []byte(`{"responseCode":"2024300"}`))
	f.Add(200, []byte(`<html>`))
	c := &Client{}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		var out map[string]any
		err := c.check(EndpointWithdrawProcess, status, body, &out)
		if err == nil && (status/100 != 2 || status == 202) {
			t.Fatalf("success for HTTP %d", status)
		}
		if status >= 500 && !errors.Is(err, ErrOutcomeUnknown) {
			t.Fatalf("HTTP %d not ErrOutcomeUnknown: %v", status, err)
		}
		if err == nil && parseError(status, body) != nil {
			t.Fatal("success although parseError reports an error")
		}
		_ = redact(body)
	})
}

func parseAck(b []byte) (map[string]any, error) {
	var m map[string]any
	err := json.Unmarshal(b, &m)
	return m, err
}

// Netzme's own body timestamps carry milliseconds (§2.11), so the SNAP QRIS
// callback's X-TIMESTAMP may too (§3.19 is not documented): both forms pass,
// signed as received.
func TestVerifySNAPCallbackTimestampForms(t *testing.T) {
	t.Parallel()
	key := key2048(t)
	body := []byte(`{"originalReferenceNo":"481259805795","amount":{"value":"10000.00","currency":"IDR"}}`)
	for _, tc := range []struct {
		ts string
		ok bool
	}{
		{"2026-11-21T10:54:21+07:00", true},
		{"2026-11-21T10:54:21.123+07:00", true},
		{"2026-11-21T03:54:21.123Z", true},
		{"2026-11-21T10:54:21.+07:00", false},
		{"2026-11-21 10:54:21.123+07:00", false},
		{"1763697261", false},
	} {
		t.Run(tc.ts, func(t *testing.T) {
			sig, err := snap.SignAsymmetricService(key, "POST", "/callbacks/netzme/snap-qris", body, tc.ts)
			if err != nil {
				t.Fatal(err)
			}
			err = VerifySNAPCallback(&key.PublicKey, "POST", "/callbacks/netzme/snap-qris", body, tc.ts, sig)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatal("accepted a malformed X-TIMESTAMP")
			}
		})
	}
}
