// Package nicepay is the wire side of NICEPAY's "Inquiry Convenience Store"
// (NICO) product, where the direction is reversed: NICEPAY calls the
// merchant's server. It holds the request and response types of the three
// merchant-hosted endpoints (token, CVS inquiry, CVS payment), the server-side
// checks (NICEPAY's signatures, field rules, response codes) and Store, a
// simulator of the store network that calls a merchant exactly as NICEPAY
// would.
//
// References name sections of NICEPAY's Inquiry Convenience Store
// specification ("nicepay §3.5") and of the SNAP standard notes ("snap §5");
// docs/protocol.md lists the facts and guesses. Everything the spec leaves
// unresolved is marked "guess" where it is used.
package nicepay

import (
	"fmt"
	"strings"

	"lapak/snap"
)

// Paths of the endpoints the merchant serves for NICEPAY (nicepay §2-§4).
const (
	PathToken   = "/api/v1.0/access-token/b2b"
	PathInquiry = "/api/v1.0/cvs/inquiry"
	// PathPayment is documented (NICO-PAY) but its body is not (nicepay §4):
	// PaymentRequest and PaymentResponse are guesses.
	PathPayment = "/api/v1.0/cvs/payment"
)

// Service codes inside responseCode. The token endpoint is SNAP service 73;
// inquiry and payment have no published service code, so they follow
// NICEPAY's own success example "2000000" (guess, nicepay §3.5 rule 1).
const (
	ServiceToken = "73"
	ServiceCVS   = "00"
)

// TokenLifetime is how long an access token we issue is valid: NICEPAY states
// 15 minutes and expects expiresIn "900" (nicepay §2).
const TokenLifetime = 900

// Field sizes of the inquiry (nicepay §3 request body table).
const (
	PartnerServiceIDLen = 4
	CustomerNoLen       = 8
	PayNoLen            = PartnerServiceIDLen + CustomerNoLen
	maxRequestIDLen     = 40
	maxMitraCdLen       = 4
)

// TokenRequest is the body NICEPAY sends to PathToken.
type TokenRequest struct {
	GrantType      string         `json:"grantType"`
	AdditionalInfo map[string]any `json:"additionalInfo,omitempty"`
}

// TokenResponse is our answer to a token request. On errors only the
// envelope is filled.
type TokenResponse struct {
	ResponseCode    string `json:"responseCode"`
	ResponseMessage string `json:"responseMessage"`
	AccessToken     string `json:"accessToken,omitempty"`
	TokenType       string `json:"tokenType,omitempty"`
	ExpiresIn       string `json:"expiresIn,omitempty"`
}

// InquiryRequest is the body of a CVS inquiry (nicepay §3). Field-name
// casing is reconstructed from a lower-cased scrape (guess, nicepay §0 note).
type InquiryRequest struct {
	PartnerServiceID string `json:"partnerServiceId"`
	CustomerNo       string `json:"customerNo"`
	PayNo            string `json:"payNo"`
	InquiryRequestID string `json:"inquiryRequestId"`
	MitraCd          string `json:"mitraCd"`
}

// InquiryResponse is our answer to an inquiry; PayNoData is present only on
// success. Field order follows the spec example.
type InquiryResponse struct {
	ResponseCode    string     `json:"responseCode"`
	ResponseMessage string     `json:"responseMessage"`
	PayNoData       *PayNoData `json:"payNoData,omitempty"`
}

// PayNoData is the bill behind a payNo. PayNoPhone and TotalAmount.Value are
// strings although the doc says "Number": the examples carry a leading zero
// and two decimals (nicepay §6.3).
type PayNoData struct {
	PartnerServiceID     string      `json:"partnerServiceId"`
	CustomerNo           string      `json:"customerNo"`
	PayNo                string      `json:"payNo"`
	PayNoName            string      `json:"payNoName"`
	GoodsName            string      `json:"goodsName"`
	PayNoPhone           string      `json:"payNoPhone"`
	PayNoEmail           string      `json:"payNoEmail"`
	InquiryRequestID     string      `json:"inquiryRequestId"`
	TotalAmount          snap.Amount `json:"totalAmount"`
	PartnerReferenceNo   string      `json:"partnerReferenceNo"`
	MitraCd              string      `json:"mitraCd"`
	PayNoExpiredDatetime string      `json:"payNoExpiredDatetime"`
}

// PaymentRequest is the payment confirmation NICEPAY sends after the customer
// paid at the counter. Guess, nicepay §4: the body table could not be
// retrieved; these fields follow NICEPAY's VA payment and SNAP VA payment.
// PaymentRequestID is the idempotency key.
type PaymentRequest struct {
	PartnerServiceID string      `json:"partnerServiceId"`
	CustomerNo       string      `json:"customerNo"`
	PayNo            string      `json:"payNo"`
	InquiryRequestID string      `json:"inquiryRequestId"`
	PaymentRequestID string      `json:"paymentRequestId"`
	PaidAmount       snap.Amount `json:"paidAmount"`
	MitraCd          string      `json:"mitraCd"`
	TrxDateTime      string      `json:"trxDateTime"`
}

// PaymentResponse is our answer to a payment confirmation (guess, nicepay §4).
type PaymentResponse struct {
	ResponseCode    string            `json:"responseCode"`
	ResponseMessage string            `json:"responseMessage"`
	PayNoData       *PaymentPayNoData `json:"payNoData,omitempty"`
}

// PaymentPayNoData echoes the bill and the payment (guess, nicepay §4).
type PaymentPayNoData struct {
	PartnerServiceID   string      `json:"partnerServiceId"`
	CustomerNo         string      `json:"customerNo"`
	PayNo              string      `json:"payNo"`
	PayNoName          string      `json:"payNoName"`
	PaymentRequestID   string      `json:"paymentRequestId"`
	PaidAmount         snap.Amount `json:"paidAmount"`
	PartnerReferenceNo string      `json:"partnerReferenceNo"`
	PaymentFlagStatus  string      `json:"paymentFlagStatus"` // "00" success, as in SNAP VA payment (guess)
}

// Error is a refusal: the HTTP status and the SNAP envelope to answer with.
// It carries no secret and is safe to log and to send.
type Error struct {
	HTTPStatus int
	Code       string
	Message    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("nicepay: %d %s %s", e.HTTPStatus, e.Code, e.Message)
}

// Response returns the envelope to send for e.
func (e *Error) Response() snap.Response {
	return snap.Response{ResponseCode: e.Code, ResponseMessage: e.Message}
}

// Refusal builds an Error for an HTTP status and case code under service,
// with the standard's message (snap §5.1); reason fills the message's
// "[reason]"/"{field name}" placeholder, or replaces the whole message when
// the standard has none.
func Refusal(httpStatus int, service, caseCode, reason string) *Error {
	msg := snap.StandardMessage(httpStatus, caseCode)
	switch {
	case strings.Contains(msg, "{field name}"):
		msg = strings.Replace(msg, "{field name}", reason, 1)
	case strings.Contains(msg, "[reason]"), strings.Contains(msg, "[Reason]"):
		msg = strings.NewReplacer("[reason]", "["+reason+"]", "[Reason]", "["+reason+"]").Replace(msg)
	case msg == "":
		msg = reason
	case reason != "":
		msg += " [" + reason + "]"
	}
	return &Error{HTTPStatus: httpStatus, Code: snap.MakeCode(httpStatus, service, caseCode), Message: strings.TrimSpace(msg)}
}

// The bill-state refusals of nicepay §3.5 rule 5. NICEPAY's own code list
// disagrees with ASPI's on 404xx13/14; we follow ASPI until NICEPAY confirms
// (guess, nicepay §5).
var (
	ErrBillNotFound = Refusal(404, ServiceCVS, "12", "Not Found") // "Invalid Bill/Virtual Account [Not Found]"
	ErrBillPaid     = Refusal(404, ServiceCVS, "14", "")          // "Paid Bill"
	ErrBillExpired  = Refusal(404, ServiceCVS, "19", "")          // "Invalid Bill/Virtual Account"
	ErrBadAmount    = Refusal(404, ServiceCVS, "13", "")          // "Invalid Amount" (payment only, guess nicepay §4)
	ErrGeneral      = Refusal(500, ServiceCVS, "00", "")          // "General Error"
)

// Validate applies the field rules of nicepay §3 to an inquiry: a missing
// field is 4000002 "Invalid Mandatory Field <name>", a field that is too long
// or not digits where digits are required is 4000001 "Invalid Field Format
// <name>". Whether payNo matches partnerServiceId+customerNo is a lookup
// question (nicepay §3.5 rule 5), not checked here.
func (r InquiryRequest) Validate() *Error {
	return validateFields([]field{
		{"partnerServiceId", r.PartnerServiceID, PartnerServiceIDLen, true},
		{"customerNo", r.CustomerNo, CustomerNoLen, true},
		{"payNo", r.PayNo, PayNoLen, true},
		{"inquiryRequestId", r.InquiryRequestID, maxRequestIDLen, false},
		{"mitraCd", r.MitraCd, maxMitraCdLen, false},
	})
}

// Validate applies the same rules to a payment confirmation, plus a valid
// IDR paidAmount (guess, nicepay §4).
func (r PaymentRequest) Validate() *Error {
	if e := validateFields([]field{
		{"partnerServiceId", r.PartnerServiceID, PartnerServiceIDLen, true},
		{"customerNo", r.CustomerNo, CustomerNoLen, true},
		{"payNo", r.PayNo, PayNoLen, true},
		{"paymentRequestId", r.PaymentRequestID, maxRequestIDLen, false},
		{"paidAmount.value", r.PaidAmount.Value, 16, false},
	}); e != nil {
		return e
	}
	if len(r.InquiryRequestID) > maxRequestIDLen {
		return Refusal(400, ServiceCVS, "01", "inquiryRequestId")
	}
	if len(r.MitraCd) > maxMitraCdLen {
		return Refusal(400, ServiceCVS, "01", "mitraCd")
	}
	if v, err := r.PaidAmount.Minor(); err != nil || v < 0 {
		return Refusal(400, ServiceCVS, "01", "paidAmount")
	}
	return nil
}

type field struct {
	name, value string
	max         int
	digits      bool
}

func validateFields(fs []field) *Error {
	for _, f := range fs {
		if strings.TrimSpace(f.value) == "" {
			return Refusal(400, ServiceCVS, "02", f.name)
		}
	}
	for _, f := range fs {
		if len(f.value) > f.max || (f.digits && !digits(f.value)) {
			return Refusal(400, ServiceCVS, "01", f.name)
		}
	}
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ValidPartnerServiceID reports whether s can prefix our payNos: exactly four
// digits (nicepay §6.6, assigned by NICEPAY).
func ValidPartnerServiceID(s string) bool { return len(s) == PartnerServiceIDLen && digits(s) }
