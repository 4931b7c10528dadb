package snap

import (
	"fmt"
	"strconv"
)

// Code is a parsed SNAP responseCode: HTTP status (3 digits) + service code (2)
// + case code (2), e.g. "4014700" → {401, "47", "00"} (snap §5).
type Code struct {
	Raw        string // the 7-digit string as received
	HTTPStatus int    // first three digits
	Service    string // service code, e.g. "47" QR MPM generate, "73" access token
	Case       string // case code, e.g. "01" for 401 Invalid Token (B2B)
}

// ParseCode splits a 7-digit responseCode. Anything that is not exactly seven
// ASCII digits (Netzme sometimes answers "400" or nothing at all, netzme §2.13)
// is an error; callers should then fall back to the HTTP status.
func ParseCode(s string) (Code, error) {
	if len(s) != 7 || !allDigits(s) {
		return Code{}, fmt.Errorf("snap: responseCode %.20q is not 7 digits", s)
	}
	status, _ := strconv.Atoi(s[:3]) // cannot fail: three ASCII digits
	return Code{Raw: s, HTTPStatus: status, Service: s[3:5], Case: s[5:7]}, nil
}

// MakeCode builds a responseCode, e.g. MakeCode(401, "47", "00") = "4014700".
// httpStatus must be 100..999 and service and caseCode two digits each; the
// caller owns those inputs (they are constants in practice).
func MakeCode(httpStatus int, service, caseCode string) string {
	return fmt.Sprintf("%03d%s%s", httpStatus, service, caseCode)
}

// Response is the envelope every SNAP response and callback acknowledgement
// carries (snap §5, netzme §2.13).
type Response struct {
	ResponseCode    string `json:"responseCode"`
	ResponseMessage string `json:"responseMessage"`
}

// StandardMessage returns the standard's message for an HTTP status and case
// code, from the table in snap §5.1 — e.g. (401, "00") "Unauthorized. [reason]",
// (409, "00") "Conflict". Bracketed placeholders are kept verbatim for the
// caller to fill. It returns "" for a pair the standard does not define.
func StandardMessage(httpStatus int, caseCode string) string {
	return standardMessages[codeKey{httpStatus, caseCode}]
}

type codeKey struct {
	status int
	cse    string
}

// standardMessages is snap §5.1, "Daftar Response Code", as standardised
// (including its capitalisation).
var standardMessages = map[codeKey]string{
	{200, "00"}: "Successful",
	{202, "00"}: "Request In Progress",
	{400, "00"}: "Bad Request",
	{400, "01"}: "Invalid Field Format {field name}",
	{400, "02"}: "Invalid Mandatory Field {field name}",
	{401, "00"}: "Unauthorized. [reason]",
	{401, "01"}: "Invalid Token (B2B)",
	{401, "02"}: "Invalid Customer Token",
	{401, "03"}: "Token Not Found (B2B)",
	{401, "04"}: "Customer Token Not Found",
	{403, "00"}: "Transaction Expired",
	{403, "01"}: "Feature Not Allowed [Reason]",
	{403, "02"}: "Exceeds Transaction Amount Limit",
	{403, "03"}: "Suspected Fraud",
	{403, "04"}: "Activity Count Limit Exceeded",
	{403, "05"}: "Do Not Honor",
	{403, "06"}: "Feature Not Allowed At This Time. [reason]",
	{403, "07"}: "Card Blocked",
	{403, "08"}: "Card Expired",
	{403, "09"}: "Dormant Account",
	{403, "10"}: "Need To Set Token Limit",
	{403, "11"}: "OTP Blocked",
	{403, "12"}: "OTP Lifetime Expired",
	{403, "13"}: "OTP Sent To Cardholder",
	{403, "14"}: "Insufficient Funds",
	{403, "15"}: "Transaction Not Permitted.[reason]",
	{403, "16"}: "Suspend Transaction",
	{403, "17"}: "Token Limit Exceeded",
	{403, "18"}: "Inactive Card/Account/Customer",
	{403, "19"}: "Merchant Blacklisted",
	{403, "20"}: "Merchant Limit Exceed",
	{403, "21"}: "Set Limit Not Allowed",
	{403, "22"}: "Token Limit Invalid",
	{403, "23"}: "Account Limit Exceed",
	{404, "00"}: "Invalid Transaction Status",
	{404, "01"}: "Transaction Not Found",
	{404, "02"}: "Invalid Routing",
	{404, "03"}: "Bank Not Supported By Switch",
	{404, "04"}: "Transaction Cancelled",
	{404, "05"}: "Merchant Is Not Registered For Card Registration Services",
	{404, "06"}: "Need To Request OTP",
	{404, "07"}: "Journey Not Found",
	{404, "08"}: "Invalid Merchant",
	{404, "09"}: "No Issuer",
	{404, "10"}: "Invalid API Transition",
	{404, "11"}: "Invalid Card/Account/Customer [info]/Virtual Account",
	{404, "12"}: "Invalid Bill/Virtual Account [Reason]",
	{404, "13"}: "Invalid Amount",
	{404, "14"}: "Paid Bill",
	{404, "15"}: "Invalid OTP",
	{404, "16"}: "Partner Not Found",
	{404, "17"}: "Invalid Terminal",
	{404, "18"}: "Inconsistent Request",
	{404, "19"}: "Invalid Bill/Virtual Account",
	{405, "00"}: "Requested Function Is Not Supported",
	{405, "01"}: "Requested Operation Is Not Allowed",
	{409, "00"}: "Conflict",
	{409, "01"}: "Duplicate partnerReferenceNo",
	{429, "00"}: "Too Many Requests",
	{500, "00"}: "General Error",
	{500, "01"}: "Internal Server Error",
	{500, "02"}: "External Server Error",
	{504, "00"}: "Timeout",
}
