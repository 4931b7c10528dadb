package netzme

import (
	"crypto/rsa"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"lapak/snap"
)

// StatusSuccess is latestTransactionStatus for a successful payment. Netzme's
// "07" means Failed, not the standard's "Not Found" (§5.2): never map Netzme
// statuses through the SNAP table.
const StatusSuccess = "00"

// VerifyCallbackToken reports whether the x-callback-token header of a
// callback equals the configured token, in constant time (§2.9). An empty
// configured token never matches.
func VerifyCallbackToken(got, want string) bool {
	if want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// VerifySNAPCallback checks the V2 "SNAP Payment Success Callback QRIS"
// signature (§3.19): base64 SHA256withRSA over
// METHOD:path:sha256hex(body):X-TIMESTAMP with Netzme's public key. guess,
// §3.19: the page's details are not stored; this follows the "SNAP
// Asymmetric Signature" page (§2.6). X-TIMESTAMP may carry milliseconds or
// not (snap.ParseReceivedTimestamp): Netzme's body timestamps have them
// (§2.11) and the callback header is not documented. Returns an error
// wrapping snap.ErrSignature on mismatch.
func VerifySNAPCallback(pub *rsa.PublicKey, method, pathQuery string, body []byte, timestamp, signature string) error {
	if _, err := snap.ParseReceivedTimestamp(timestamp); err != nil {
		return fmt.Errorf("netzme: callback: %w", err)
	}
	return snap.VerifyAsymmetricService(pub, method, pathQuery, body, timestamp, signature)
}

// CallbackAck returns the body to answer a callback with HTTP 200 (§2.9): the
// "2000000 Successful" envelope echoing both references in additionalInfo.
// Empty references are left out.
func CallbackAck(originalPartnerReferenceNo, originalReferenceNo string) []byte {
	type info struct {
		OriginalPartnerReferenceNo string `json:"originalPartnerReferenceNo,omitempty"`
		OriginalReferenceNo        string `json:"originalReferenceNo,omitempty"`
	}
	b, _ := json.Marshal(struct {
		snap.Response
		AdditionalInfo info `json:"additionalInfo"`
	}{snap.Response{ResponseCode: "2000000", ResponseMessage: "Successful"}, info{originalPartnerReferenceNo, originalReferenceNo}})
	return b
}

// QRDetail is the QRIS part of an invoice callback (§3.15); amounts arrive
// as "IDR 10002.00" strings and are converted to minor units.
type QRDetail struct {
	AmountMinor          int64
	NetAmountMinor       int64
	MerchantFeeMinor     int64
	IssuerName           string
	IssuerID             string
	TerminalID           string
	BuyerUserID          string
	CustomerPan          string
	MerchantPan          string
	ReferenceID          string // rrn + YYYYMMDD + issuerId: the key for QRISAcquireTransaction
	AcquirerName         string
	MerchantName         string // space-padded by Netzme; kept as sent
	BuyerFullname        string // underscore-padded by Netzme; kept as sent
	TransactionID        string
	MerchantLocation     string
	LocalTransactionDate string // YYYYMMDD, from either spelling
}

// InvoiceCallback is the Payment Success Callback (Invoice) (§3.15).
type InvoiceCallback struct {
	OriginalReferenceNo        string // trxId from CreateInvoiceTransaction
	OriginalPartnerReferenceNo string // our partnerReferenceNo
	LatestTransactionStatus    string
	TransactionStatusDesc      string
	AmountMinor                int64
	NetAmountMinor             int64
	FeeMinor                   int64
	CustIDMerchant             string
	PaymentTime                time.Time // zero if absent or unparsable
	PaymentTimeRaw             string
	PaymentMethod              string
	PaymentChannel             string
	BankCode                   string
	TransactionID              string
	InvoiceID                  string
	RRN                        string
	LocalTransactionDate       string // YYYYMMDD; "localTrasactionDate" (sic) int or string
	IssuerID                   string
	IsSplitFee                 bool
	SplitFees                  []json.RawMessage // element shape not documented (§3.15)
	QRDetail                   *QRDetail         // nil unless the payment was QRIS
}

// Paid reports whether the callback announces a successful payment.
func (c InvoiceCallback) Paid() bool { return c.LatestTransactionStatus == StatusSuccess }

// splitWire collects the documented spellings of the split-fee fields.
type splitWire struct {
	IsSplitfee *flexBool         `json:"isSplitfee"`
	IsSplitFee *flexBool         `json:"isSplitFee"`
	SplitFees  []json.RawMessage `json:"splitFees"`
	SpiltFees  []json.RawMessage `json:"spiltFees"`
}

func (s splitWire) merge(isSplit *bool, fees *[]json.RawMessage) {
	for _, b := range []*flexBool{s.IsSplitfee, s.IsSplitFee} {
		if b != nil && bool(*b) {
			*isSplit = true
		}
	}
	*fees = append(*fees, s.SplitFees...)
	*fees = append(*fees, s.SpiltFees...)
}

// dateWire collects both spellings of the local transaction date.
type dateWire struct {
	Trasaction  flexString `json:"localTrasactionDate"`
	Transaction flexString `json:"localTransactionDate"`
}

func (d dateWire) value() string {
	if d.Trasaction != "" {
		return string(d.Trasaction)
	}
	return string(d.Transaction)
}

type qrDetailWire struct {
	Amount           money      `json:"amount"`
	NetAmount        money      `json:"netAmount"`
	MerchantFee      money      `json:"merchantFee"` // a string in the example, an Object per the table
	IssuerName       string     `json:"issuerName"`
	IssuerID         string     `json:"issuerId"`
	TerminalID       string     `json:"terminalId"`
	BuyerUserID      string     `json:"buyerUserId"`
	CustomerPan      string     `json:"customerPan"`
	MerchantPan      string     `json:"merchantPan"`
	ReferenceID      string     `json:"referenceId"`
	AcquirerName     string     `json:"acquirerName"`
	MerchantName     string     `json:"merchantName"`
	BuyerFullname    string     `json:"buyerFullname"`
	TransactionID    flexString `json:"transactionId"`
	MerchantLocation string     `json:"merchantLocation"`
	dateWire
}

type invoiceCallbackWire struct {
	OriginalReferenceNo        string     `json:"originalReferenceNo"`
	OriginalPartnerReferenceNo string     `json:"originalPartnerReferenceNo"`
	LatestTransactionStatus    flexString `json:"latestTransactionStatus"`
	TransactionStatusDesc      string     `json:"transactionStatusDesc"`
	Amount                     money      `json:"amount"`
	NetAmount                  money      `json:"netAmount"`
	FeeAmount                  money      `json:"feeAmount"`
	AdditionalInfo             struct {
		CustIDMerchant string        `json:"custIdMerchant"`
		BankCode       string        `json:"bankCode"`
		PaymentTime    string        `json:"paymentTime"`
		PaymentMethod  string        `json:"paymentMethod"`
		PaymentChannel string        `json:"paymentChannel"`
		TransactionID  flexString    `json:"transactionId"`
		QRDetail       *qrDetailWire `json:"qrDetail"`
		InvoiceID      string        `json:"invoiceId"`
		RRN            flexString    `json:"rrn"`
		IssuerID       string        `json:"issuerId"`
		dateWire
		splitWire
	} `json:"additionalInfo"`
	splitWire
}

// ErrCallback is wrapped by every callback decoding error.
var ErrCallback = errors.New("netzme: malformed callback")

// DecodeInvoiceCallback decodes §3.15 leniently: unknown fields are ignored,
// isSplitfee/isSplitFee and splitFees/spiltFees are accepted at top level and
// under additionalInfo, localTrasactionDate/localTransactionDate may be an
// integer or a string, qrDetail amounts may be "IDR 10002.00" strings. It is
// strict where money or identity is concerned: invalid JSON, a missing
// originalReferenceNo and malformed amounts are errors wrapping ErrCallback.
func DecodeInvoiceCallback(body []byte) (InvoiceCallback, error) {
	var w invoiceCallbackWire
	if err := json.Unmarshal(body, &w); err != nil {
		return InvoiceCallback{}, fmt.Errorf("%w: invoice: %v", ErrCallback, err)
	}
	if w.OriginalReferenceNo == "" && w.OriginalPartnerReferenceNo == "" {
		return InvoiceCallback{}, fmt.Errorf("%w: invoice: no originalReferenceNo or originalPartnerReferenceNo", ErrCallback)
	}
	a := w.AdditionalInfo
	out := InvoiceCallback{
		OriginalReferenceNo: w.OriginalReferenceNo, OriginalPartnerReferenceNo: w.OriginalPartnerReferenceNo,
		LatestTransactionStatus: string(w.LatestTransactionStatus), TransactionStatusDesc: w.TransactionStatusDesc,
		AmountMinor: w.Amount.minor, NetAmountMinor: w.NetAmount.minor, FeeMinor: w.FeeAmount.minor,
		CustIDMerchant: a.CustIDMerchant, PaymentTime: parseTime(a.PaymentTime), PaymentTimeRaw: a.PaymentTime,
		PaymentMethod: a.PaymentMethod, PaymentChannel: a.PaymentChannel, BankCode: a.BankCode,
		TransactionID: string(a.TransactionID), InvoiceID: a.InvoiceID, RRN: string(a.RRN),
		LocalTransactionDate: a.dateWire.value(), IssuerID: a.IssuerID,
	}
	w.splitWire.merge(&out.IsSplitFee, &out.SplitFees)
	a.splitWire.merge(&out.IsSplitFee, &out.SplitFees)
	if q := a.QRDetail; q != nil {
		out.QRDetail = &QRDetail{
			AmountMinor: q.Amount.minor, NetAmountMinor: q.NetAmount.minor, MerchantFeeMinor: q.MerchantFee.minor,
			IssuerName: q.IssuerName, IssuerID: q.IssuerID, TerminalID: q.TerminalID, BuyerUserID: q.BuyerUserID,
			CustomerPan: q.CustomerPan, MerchantPan: q.MerchantPan, ReferenceID: q.ReferenceID,
			AcquirerName: q.AcquirerName, MerchantName: q.MerchantName, BuyerFullname: q.BuyerFullname,
			TransactionID: string(q.TransactionID), MerchantLocation: q.MerchantLocation,
			LocalTransactionDate: q.dateWire.value(),
		}
		if out.LocalTransactionDate == "" {
			out.LocalTransactionDate = out.QRDetail.LocalTransactionDate
		}
	}
	return out, nil
}

// QRISCallback is the QRIS (non-invoice) payment callback, §3.16 and the
// identical V2 field list of §3.18; also the presumed body of §3.19.
type QRISCallback struct {
	OriginalReferenceNo     string // RRN
	LatestTransactionStatus string
	TransactionStatusDesc   string
	AmountMinor             int64
	NetAmountMinor          int64
	FeeMinor                int64
	InvoiceNumber           string
	CustIDMerchant          string
	BuyerUserID             string
	BuyerFullname           string
	CustomerPan             string
	AcquirerName            string
	IssuerName              string
	MerchantPan             string
	MerchantName            string
	MerchantLocation        string
	Type                    string
	RRN                     string
	LocalTransactionDate    string // YYYYMMDD
	IssuerID                string
}

// Paid reports whether the callback announces a successful payment.
func (c QRISCallback) Paid() bool { return c.LatestTransactionStatus == StatusSuccess }

// DedupKey identifies the payment across retries: RRNs are unique only per
// issuer per day (§3.16, inferred from QRIS practice).
func (c QRISCallback) DedupKey() string {
	rrn := c.RRN
	if rrn == "" {
		rrn = c.OriginalReferenceNo
	}
	return rrn + "|" + c.LocalTransactionDate + "|" + c.IssuerID
}

// DecodeQRISCallback decodes §3.16/§3.18 with the same tolerance and
// strictness as DecodeInvoiceCallback. guess, §3.16: no example payload is
// documented; the decoder follows the field table.
func DecodeQRISCallback(body []byte) (QRISCallback, error) {
	var w struct {
		OriginalReferenceNo     string     `json:"originalReferenceNo"`
		LatestTransactionStatus flexString `json:"latestTransactionStatus"`
		TransactionStatusDesc   string     `json:"transactionStatusDesc"`
		Amount                  money      `json:"amount"`
		NetAmount               money      `json:"netAmount"`
		FeeAmount               money      `json:"feeAmount"`
		AdditionalInfo          struct {
			InvoiceNumber    string     `json:"invoiceNumber"`
			CustIDMerchant   string     `json:"custIdMerchant"`
			BuyerUserID      string     `json:"buyerUserId"`
			BuyerFullname    string     `json:"buyerFullname"`
			CustomerPan      string     `json:"customerPan"`
			AcquirerName     string     `json:"acquirerName"`
			IssuerName       string     `json:"issuerName"`
			MerchantPan      string     `json:"merchantPan"`
			MerchantName     string     `json:"merchantName"`
			MerchantLocation string     `json:"merchantLocation"`
			Type             string     `json:"type"`
			RRN              flexString `json:"rrn"`
			IssuerID         string     `json:"issuerId"`
			dateWire
		} `json:"additionalInfo"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return QRISCallback{}, fmt.Errorf("%w: qris: %v", ErrCallback, err)
	}
	a := w.AdditionalInfo
	if w.OriginalReferenceNo == "" && a.RRN == "" {
		return QRISCallback{}, fmt.Errorf("%w: qris: no originalReferenceNo or rrn", ErrCallback)
	}
	if !w.Amount.set {
		return QRISCallback{}, fmt.Errorf("%w: qris: no amount", ErrCallback)
	}
	return QRISCallback{
		OriginalReferenceNo: w.OriginalReferenceNo, LatestTransactionStatus: string(w.LatestTransactionStatus),
		TransactionStatusDesc: w.TransactionStatusDesc, AmountMinor: w.Amount.minor,
		NetAmountMinor: w.NetAmount.minor, FeeMinor: w.FeeAmount.minor,
		InvoiceNumber: a.InvoiceNumber, CustIDMerchant: a.CustIDMerchant, BuyerUserID: a.BuyerUserID,
		BuyerFullname: a.BuyerFullname, CustomerPan: a.CustomerPan, AcquirerName: a.AcquirerName,
		IssuerName: a.IssuerName, MerchantPan: a.MerchantPan, MerchantName: a.MerchantName,
		MerchantLocation: a.MerchantLocation, Type: a.Type, RRN: string(a.RRN),
		LocalTransactionDate: a.dateWire.value(), IssuerID: a.IssuerID,
	}, nil
}

// WithdrawCallback is the Withdraw Status Notification (§3.9). guess, §3.9:
// only the two reference fields are documented; the rest follows the invoice
// callback and Get Information Withdraw (§3.8). Confirm with WithdrawInformation
// before marking a withdrawal final.
type WithdrawCallback struct {
	OriginalReferenceNo        string
	OriginalPartnerReferenceNo string
	LatestTransactionStatus    string
	TransactionStatusDesc      string
	AmountMinor                int64  // amount or withdrawalAmount, whichever is present
	Status                     string // additionalInfo.status, e.g. "SUCCESS"
	AccountHolderName          string
	BankAccountNumber          string
	BankCode                   string
	BankName                   string
}

// DecodeWithdrawCallback decodes §3.9 leniently; invalid JSON, malformed
// amounts and a body without any reference are errors wrapping ErrCallback.
func DecodeWithdrawCallback(body []byte) (WithdrawCallback, error) {
	var w struct {
		OriginalReferenceNo        string     `json:"originalReferenceNo"`
		OriginalPartnerReferenceNo string     `json:"originalPartnerReferenceNo"`
		LatestTransactionStatus    flexString `json:"latestTransactionStatus"`
		TransactionStatusDesc      string     `json:"transactionStatusDesc"`
		Amount                     money      `json:"amount"`
		WithdrawalAmount           money      `json:"withdrawalAmount"`
		AdditionalInfo             struct {
			Status            string `json:"status"`
			AccountHolderName string `json:"accountHolderName"`
			BankAccountNumber string `json:"bankAccountNumber"`
			BankCode          string `json:"bankCode"`
			BankName          string `json:"bankName"`
		} `json:"additionalInfo"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return WithdrawCallback{}, fmt.Errorf("%w: withdraw: %v", ErrCallback, err)
	}
	if w.OriginalReferenceNo == "" && w.OriginalPartnerReferenceNo == "" {
		return WithdrawCallback{}, fmt.Errorf("%w: withdraw: no originalReferenceNo or originalPartnerReferenceNo", ErrCallback)
	}
	amount := w.Amount.minor
	if !w.Amount.set {
		amount = w.WithdrawalAmount.minor
	}
	a := w.AdditionalInfo
	return WithdrawCallback{
		OriginalReferenceNo: w.OriginalReferenceNo, OriginalPartnerReferenceNo: w.OriginalPartnerReferenceNo,
		LatestTransactionStatus: string(w.LatestTransactionStatus), TransactionStatusDesc: w.TransactionStatusDesc,
		AmountMinor: amount, Status: a.Status, AccountHolderName: a.AccountHolderName,
		BankAccountNumber: a.BankAccountNumber, BankCode: a.BankCode, BankName: a.BankName,
	}, nil
}
