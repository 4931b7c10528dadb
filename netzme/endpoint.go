package netzme

import (
	"fmt"
	"strings"
)

// Endpoint names one Toko Netzme API operation. Its value is stable and is
// what the Observer reports, so it can be stored (e.g. in api_calls).
type Endpoint string

// Every Toko Netzme operation of spec §2.5 and §3.
const (
	EndpointToken                      Endpoint = "access-token"                 // §2.5
	EndpointCreatePIN                  Endpoint = "create-pin"                   // §3.1
	EndpointForgotPIN                  Endpoint = "forgot-pin"                   // §3.2
	EndpointBalanceDetail              Endpoint = "balance-detail"               // §3.3
	EndpointTransactionList            Endpoint = "transaction-list"             // §3.4
	EndpointMerchantDetail             Endpoint = "merchant-detail"              // §3.5
	EndpointWithdrawInquiry            Endpoint = "withdraw-inquiry"             // §3.6
	EndpointWithdrawProcess            Endpoint = "withdraw-process"             // §3.7
	EndpointWithdrawInformation        Endpoint = "withdraw-information"         // §3.8
	EndpointQRISAcquireTransaction     Endpoint = "qris-acquire-transaction"     // §3.10
	EndpointCreateInvoice              Endpoint = "create-invoice"               // §3.11
	EndpointCreateInvoiceTransaction   Endpoint = "create-invoice-transaction"   // §3.12
	EndpointInvoiceTransaction         Endpoint = "invoice-transaction"          // §3.14
	EndpointDeductDepositSplitFee      Endpoint = "deduct-deposit-split-fee"     // §3.20
	EndpointTopupDeposit               Endpoint = "topup-deposit"                // §3.21
	EndpointWithdrawDepositInquiry     Endpoint = "withdraw-deposit-inquiry"     // §3.22
	EndpointWithdrawDeposit            Endpoint = "withdraw-deposit"             // §3.23
	EndpointWithdrawDepositInformation Endpoint = "withdraw-deposit-information" // §3.24
	EndpointDepositTransactions        Endpoint = "deposit-transactions"         // §3.25
	EndpointDepositBalance             Endpoint = "deposit-balance"              // §3.26
)

type endpointSpec struct {
	path    string // template; "{v}" is replaced by the version segment
	version string // default version segment
	service string // SNAP service code (§2.14)
	money   bool   // moves money: never retried, uncertain answers are ErrOutcomeUnknown
}

// DefaultVersion is the version segment every known working client uses (§2.2).
const DefaultVersion = "v1.0"

var endpointSpecs = map[Endpoint]endpointSpec{
	// §2.5: the token path is "v1", without ".0".
	EndpointToken:         {"/api/{v}/access-token/b2b", "v1", "73", false},
	EndpointCreatePIN:     {"/api/{v}/merchant/create-pin", DefaultVersion, "00", false},
	EndpointForgotPIN:     {"/api/{v}/merchant/forgot-pin", DefaultVersion, "00", false},
	EndpointBalanceDetail: {"/api/{v}/payment/balance-inquiry", DefaultVersion, "11", false},
	// §3.4: the page documents /api-qris/v2.0/... and says only v2.0
	// exists; Netzme's QA tool calls another path (TransactionListQA).
	EndpointTransactionList:        {"/api-qris/{v}/transaction/history-list", "v2.0", "12", false},
	EndpointMerchantDetail:         {"/api/{v}/registration-account-inquiry", DefaultVersion, "08", false},
	EndpointWithdrawInquiry:        {"/api/{v}/emoney/bank-account-inquiry", DefaultVersion, "42", false},
	EndpointWithdrawProcess:        {"/api/{v}/emoney/transfer-bank", DefaultVersion, "43", true},
	EndpointWithdrawInformation:    {"/api/{v}/debit/status", DefaultVersion, "00", false},
	EndpointQRISAcquireTransaction: {"/api-qris/{v}/transaction-history-detail", DefaultVersion, "13", false},
	// Create Invoice makes a payable invoice; treated as money-moving so a
	// timeout never leads to a duplicate invoice (issue 3 §2).
	EndpointCreateInvoice:            {"/api/{v}/invoice/create", DefaultVersion, "00", true},
	EndpointCreateInvoiceTransaction: {"/api/{v}/invoice/create-transaction", DefaultVersion, "47", true},
	// §3.14: the page says only v2.0 exists, yet QA and POS clients use v1.0.
	EndpointInvoiceTransaction:     {"/api-invoice/{v}/transaction-history-detail", DefaultVersion, "13", false},
	EndpointDeductDepositSplitFee:  {"/api/{v}/merchant/payment-notif", DefaultVersion, "00", true},
	EndpointTopupDeposit:           {"/api/{v}/invoice/create-transaction", DefaultVersion, "47", true},
	EndpointWithdrawDepositInquiry: {"/api/{v}/emoney/bank-account-inquiry/deposit", DefaultVersion, "42", false},
	EndpointWithdrawDeposit:        {"/api/{v}/emoney/transfer-bank/deposit", DefaultVersion, "43", true},
	// guess, §3.24: path from Netzme's QA tool (the doc URL line is blank);
	// service code not documented, "00" by analogy with §3.8.
	EndpointWithdrawDepositInformation: {"/api/{v}/debit/status-deposit", DefaultVersion, "00", false},
	EndpointDepositTransactions:        {"/api/{v}/deposit/transaction-history-list", DefaultVersion, "12", false},
	EndpointDepositBalance:             {"/api/{v}/deposit/balance-inquiry", DefaultVersion, "11", false},
}

// TransactionListVariant selects how Get Transaction List (§3.4) is called:
// the page and Netzme's QA tool disagree on the path, the version and where
// the merchant goes in the body, and neither is known to work in production
// (guess, §3.4). Config.Paths and Config.Versions still override the path.
type TransactionListVariant string

const (
	// TransactionListDocumented is the default: POST
	// /api-qris/v2.0/transaction/history-list with
	// additionalInfo.custIdMerchant, as the §3.4 page documents it.
	TransactionListDocumented TransactionListVariant = "documented"
	// TransactionListQA is POST /api/v1.0/transaction/history-list with
	// custIdMerchant at the top level, as Netzme's QA tool sends it (§3.4
	// "Alternative path"; the 2023 gateway knew this path too).
	TransactionListQA TransactionListVariant = "qa"
)

// qaTransactionList is the path of TransactionListQA.
var qaTransactionList = endpointSpec{"/api/{v}/transaction/history-list", DefaultVersion, "12", false}

// ParseTransactionListVariant reads a configuration value: "" or
// "documented" is TransactionListDocumented, "qa" TransactionListQA.
func ParseTransactionListVariant(s string) (TransactionListVariant, error) {
	switch TransactionListVariant(s) {
	case "", TransactionListDocumented:
		return TransactionListDocumented, nil
	case TransactionListQA:
		return TransactionListQA, nil
	}
	return "", fmt.Errorf("netzme: transaction list variant %q: want documented or qa", s)
}

// Endpoints lists every known endpoint (token first), e.g. for a simulator's
// router or for tests that must cover them all.
func Endpoints() []Endpoint {
	return []Endpoint{
		EndpointToken, EndpointCreatePIN, EndpointForgotPIN, EndpointBalanceDetail,
		EndpointTransactionList, EndpointMerchantDetail, EndpointWithdrawInquiry,
		EndpointWithdrawProcess, EndpointWithdrawInformation, EndpointQRISAcquireTransaction,
		EndpointCreateInvoice, EndpointCreateInvoiceTransaction, EndpointInvoiceTransaction,
		EndpointDeductDepositSplitFee, EndpointTopupDeposit, EndpointWithdrawDepositInquiry,
		EndpointWithdrawDeposit, EndpointWithdrawDepositInformation, EndpointDepositTransactions,
		EndpointDepositBalance,
	}
}

// Path returns the endpoint's default request path with the version segment
// set to version ("" = the endpoint's default: "v1" for the token, "v2.0"
// for the transaction list, "v1.0" otherwise), e.g. EndpointCreatePIN.Path("") = "/api/v1.0/merchant/create-pin".
// Unknown endpoints return "".
func (e Endpoint) Path(version string) string {
	s, ok := endpointSpecs[e]
	if !ok {
		return ""
	}
	if version == "" {
		version = s.version
	}
	return strings.ReplaceAll(s.path, "{v}", version)
}

// ServiceCode returns the SNAP service code Netzme uses in this endpoint's
// responseCode (§2.14), e.g. "47" for create-invoice-transaction.
func (e Endpoint) ServiceCode() string { return endpointSpecs[e].service }

// MovesMoney reports whether a call to e can move money or create something
// payable. Such calls are never retried by the client, and an uncertain
// answer is reported as ErrOutcomeUnknown.
func (e Endpoint) MovesMoney() bool { return endpointSpecs[e].money }
