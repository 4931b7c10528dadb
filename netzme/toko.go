package netzme

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"lapak/snap"
)

// ---- §3.1 Create pin / §3.2 Forgot pin ----

// CreatePINRequest registers a merchant's withdrawal PIN. PIN is the clear
// 6-digit PIN; the client hashes it (§2.15) and never sends or logs it.
type CreatePINRequest struct {
	PartnerReferenceNo string
	CustIDMerchant     string
	PIN                string
}

// PINResult is Netzme's acknowledgement of a PIN call.
type PINResult struct {
	PartnerReferenceNo string
}

// CreatePIN registers the merchant's PIN (§3.1). A different existing PIN is
// an *APIError with ResponseCode "4040020".
func (c *Client) CreatePIN(ctx context.Context, in CreatePINRequest) (PINResult, error) {
	if in.CustIDMerchant == "" || in.PIN == "" {
		return PINResult{}, errors.New("netzme: create pin: CustIDMerchant and PIN are required")
	}
	body := struct {
		CustIDMerchant     string `json:"custIdMerchant"`
		PartnerReferenceNo string `json:"partnerReferenceNo"`
		AdditionalInfo     struct {
			PIN  string `json:"pin"`
			Type string `json:"type"`
		} `json:"additionalInfo"`
	}{CustIDMerchant: in.CustIDMerchant, PartnerReferenceNo: in.PartnerReferenceNo}
	body.AdditionalInfo.PIN = PINHash(c.cfg.ClientID, in.CustIDMerchant, in.PIN)
	body.AdditionalInfo.Type = "create_pin" // §3.1: the doc's "created_pin" is a typo
	var res struct {
		PartnerReferenceNo string `json:"partnerReferenceNo"`
	}
	if err := c.do(ctx, EndpointCreatePIN, in.PartnerReferenceNo, body, &res); err != nil {
		return PINResult{}, err
	}
	return PINResult{PartnerReferenceNo: res.PartnerReferenceNo}, nil
}

// ForgotPINRequest asks Netzme to reset a merchant's PIN by SMS.
type ForgotPINRequest struct {
	PartnerReferenceNo string
	CustIDMerchant     string
}

// ForgotPINResult tells how long to wait before another reset is accepted.
type ForgotPINResult struct {
	PartnerReferenceNo string
	Cooldown           time.Duration // additionalInfo.timeLeftInMillis
}

// ForgotPIN requests a PIN reset (§3.2). Calling again inside the cool-down
// is an *APIError "4030004".
func (c *Client) ForgotPIN(ctx context.Context, in ForgotPINRequest) (ForgotPINResult, error) {
	body := merchantTypeBody{CustIDMerchant: in.CustIDMerchant, PartnerReferenceNo: in.PartnerReferenceNo}
	body.AdditionalInfo.Type = "forgot_pin"
	var res struct {
		PartnerReferenceNo string `json:"partnerReferenceNo"`
		AdditionalInfo     struct {
			TimeLeftInMillis flexString `json:"timeLeftInMillis"`
		} `json:"additionalInfo"`
	}
	if err := c.do(ctx, EndpointForgotPIN, in.PartnerReferenceNo, body, &res); err != nil {
		return ForgotPINResult{}, err
	}
	ms, _ := strconv.ParseInt(string(res.AdditionalInfo.TimeLeftInMillis), 10, 64)
	return ForgotPINResult{PartnerReferenceNo: res.PartnerReferenceNo, Cooldown: time.Duration(ms) * time.Millisecond}, nil
}

type merchantTypeBody struct {
	CustIDMerchant     string `json:"custIdMerchant"`
	PartnerReferenceNo string `json:"partnerReferenceNo"`
	AdditionalInfo     struct {
		Type string `json:"type"`
	} `json:"additionalInfo"`
}

// ---- §3.3 / §3.26 balances ----

// BalanceRequest asks for a merchant's balance.
type BalanceRequest struct {
	PartnerReferenceNo string
	CustIDMerchant     string // sent as accountNo
}

// Balance is a merchant balance. For BalanceDetail, TotalMinor includes
// unsettled funds and SettledMinor is what can be withdrawn (§3.3, inferred
// from the names). Accounts keeps every entry as received.
type Balance struct {
	PartnerReferenceNo string
	CustIDMerchant     string
	TotalMinor         int64
	SettledMinor       int64
	Accounts           []BalanceAccount
	// Raw is the answer as Netzme sent it, for records that keep
	// Netzme's own words (the opening balance).
	Raw json.RawMessage
}

// BalanceAccount is one accountInfo entry.
type BalanceAccount struct {
	Type        string // balanceType, e.g. "totalBalance", "settledBalance"
	AmountMinor int64
}

type balanceWire struct {
	PartnerReferenceNo string `json:"partnerReferenceNo"`
	AccountInfo        []struct {
		BalanceType      string `json:"balanceType"`
		AvailableBalance money  `json:"availableBalance"`
	} `json:"accountInfo"`
	AdditionalInfo struct {
		CustIDMerchant string `json:"custIdMerchant"`
	} `json:"additionalInfo"`
}

func (w balanceWire) balance() Balance {
	b := Balance{PartnerReferenceNo: w.PartnerReferenceNo, CustIDMerchant: w.AdditionalInfo.CustIDMerchant}
	for _, a := range w.AccountInfo {
		b.Accounts = append(b.Accounts, BalanceAccount{Type: a.BalanceType, AmountMinor: a.AvailableBalance.minor})
		switch a.BalanceType {
		case "totalBalance":
			b.TotalMinor = a.AvailableBalance.minor
		case "settledBalance":
			b.SettledMinor = a.AvailableBalance.minor
		}
	}
	return b
}

func (c *Client) balance(ctx context.Context, ep Endpoint, in BalanceRequest) (Balance, error) {
	body := struct {
		PartnerReferenceNo string `json:"partnerReferenceNo"`
		AccountNo          string `json:"accountNo"`
	}{in.PartnerReferenceNo, in.CustIDMerchant}
	var raw json.RawMessage
	if err := c.do(ctx, ep, in.PartnerReferenceNo, body, &raw); err != nil {
		return Balance{}, err
	}
	var res balanceWire
	if err := decodeRaw(ep, in.PartnerReferenceNo, raw, &res); err != nil {
		return Balance{}, err
	}
	b := res.balance()
	b.Raw = raw
	return b, nil
}

// BalanceDetail reads the merchant's total and settled balance (§3.3).
func (c *Client) BalanceDetail(ctx context.Context, in BalanceRequest) (Balance, error) {
	return c.balance(ctx, EndpointBalanceDetail, in)
}

// DepositBalance reads the merchant's deposit balance (§3.26). guess, §3.26:
// the response is not documented; it is decoded like §3.3, and a single
// "totalBalance" entry lands in TotalMinor.
func (c *Client) DepositBalance(ctx context.Context, in BalanceRequest) (Balance, error) {
	return c.balance(ctx, EndpointDepositBalance, in)
}

// ---- §3.4 / §3.25 transaction lists ----

// TransactionListRequest asks for one page of a merchant's transactions.
// §3.4 says the range may not span days: query one Jakarta day at a time.
type TransactionListRequest struct {
	PartnerReferenceNo string
	CustIDMerchant     string
	From, To           time.Time // sent as Jakarta X-TIMESTAMP-style strings
	Page               int       // 1-based; 0 means 1
}

// TransactionPage is one page; an empty Transactions means no more pages
// (page size is not documented, §3.4).
type TransactionPage struct {
	PartnerReferenceNo string
	ReferenceNo        string
	Transactions       []Transaction
}

// Transaction is one detailData entry (§3.4). Time fields are kept as sent.
type Transaction struct {
	AmountMinor        int64
	Status             string
	Type               string // "PAYMENT", "TOP_UP"
	CreatedTs          string
	PaidTs             string
	Desc               string
	FeeMinor           int64
	ServiceChargeMinor int64
	TotalMinor         int64
	InvoiceID          string
	InvoiceType        string
	MerchantID         string
	PaymentMethod      string
	TransactionID      string
	Ts                 string
	TsLong             int64 // epoch milliseconds (inferred, §3.4)
	URLInvoice         string
	Raw                json.RawMessage // the detailData entry exactly as Netzme sent it
}

type transactionListWire struct {
	PartnerReferenceNo string            `json:"partnerReferenceNo"`
	ReferenceNo        string            `json:"referenceNo"`
	DetailData         []transactionWire `json:"detailData"`
}

// transactionWire is one detailData entry, keeping the entry as sent.
type transactionWire struct {
	Amount         money  `json:"amount"`
	Status         string `json:"status"`
	Type           string `json:"type"`
	AdditionalInfo struct {
		CreatedTs     string     `json:"createdTs"`
		Desc          string     `json:"desc"`
		FeeAmount     money      `json:"feeAmount"`
		InvoiceID     string     `json:"invoiceId"`
		InvoiceType   string     `json:"invoiceType"`
		MerchantID    string     `json:"merchantId"`
		PaidTs        string     `json:"paidTs"`
		PaymentMethod string     `json:"paymentMethod"`
		ServiceCharge money      `json:"serviceCharge"`
		TotalAmount   money      `json:"totalAmount"`
		TransactionID string     `json:"transactionId"`
		Ts            flexString `json:"ts"`
		TsLong        flexString `json:"tsLong"`
		URLInvoice    string     `json:"urlInvoice"`
	} `json:"additionalInfo"`
	raw json.RawMessage
}

func (t *transactionWire) UnmarshalJSON(b []byte) error {
	type plain transactionWire
	if err := json.Unmarshal(b, (*plain)(t)); err != nil {
		return err
	}
	t.raw = append(json.RawMessage(nil), b...)
	return nil
}

func (c *Client) transactions(ctx context.Context, ep Endpoint, in TransactionListRequest) (TransactionPage, error) {
	type merchantInfo struct {
		CustIDMerchant string `json:"custIdMerchant"`
	}
	body := struct {
		PageNumber         string `json:"pageNumber"` // a string per §3.4 (and §2.7: no numbers)
		PartnerReferenceNo string `json:"partnerReferenceNo"`
		FromDateTime       string `json:"fromDateTime"`
		ToDateTime         string `json:"toDateTime"`
		// The documented body (§3.4, §3.25) nests the merchant; the QA
		// variant of §3.4 puts it at the top level. Exactly one is sent.
		CustIDMerchant string        `json:"custIdMerchant,omitempty"`
		AdditionalInfo *merchantInfo `json:"additionalInfo,omitempty"`
	}{PageNumber: strconv.Itoa(max(in.Page, 1)), PartnerReferenceNo: in.PartnerReferenceNo,
		FromDateTime: snap.Timestamp(in.From), ToDateTime: snap.Timestamp(in.To)}
	if ep == EndpointTransactionList && c.cfg.TransactionList == TransactionListQA {
		body.CustIDMerchant = in.CustIDMerchant
	} else {
		body.AdditionalInfo = &merchantInfo{in.CustIDMerchant}
	}
	var res transactionListWire
	if err := c.do(ctx, ep, in.PartnerReferenceNo, body, &res); err != nil {
		return TransactionPage{}, err
	}
	out := TransactionPage{PartnerReferenceNo: res.PartnerReferenceNo, ReferenceNo: res.ReferenceNo}
	for _, d := range res.DetailData {
		a := d.AdditionalInfo
		tsLong, _ := strconv.ParseInt(string(a.TsLong), 10, 64)
		out.Transactions = append(out.Transactions, Transaction{
			AmountMinor: d.Amount.minor, Status: d.Status, Type: d.Type,
			CreatedTs: a.CreatedTs, PaidTs: a.PaidTs, Desc: a.Desc,
			FeeMinor: a.FeeAmount.minor, ServiceChargeMinor: a.ServiceCharge.minor, TotalMinor: a.TotalAmount.minor,
			InvoiceID: a.InvoiceID, InvoiceType: a.InvoiceType, MerchantID: a.MerchantID,
			PaymentMethod: a.PaymentMethod, TransactionID: a.TransactionID,
			Ts: string(a.Ts), TsLong: tsLong, URLInvoice: a.URLInvoice, Raw: d.raw,
		})
	}
	return out, nil
}

// TransactionList returns one page of the merchant's sales transactions
// (§3.4), called as Config.TransactionList says.
func (c *Client) TransactionList(ctx context.Context, in TransactionListRequest) (TransactionPage, error) {
	return c.transactions(ctx, EndpointTransactionList, in)
}

// DepositTransactions returns one page of deposit movements (§3.25). guess,
// §3.25: the response is not documented; it is decoded like §3.4.
func (c *Client) DepositTransactions(ctx context.Context, in TransactionListRequest) (TransactionPage, error) {
	return c.transactions(ctx, EndpointDepositTransactions, in)
}

// ---- §3.5 Get Merchant Detail ----

// MerchantDetailRequest looks a merchant up by its registered phone number.
type MerchantDetailRequest struct {
	PartnerReferenceNo string
	PhoneNo            string // format not documented (§3.5): send what Netzme registered
}

// MerchantDetail identifies a Toko Netzme merchant.
type MerchantDetail struct {
	PartnerReferenceNo string
	ReferenceNo        string
	AccountName        string // shop name
	AccountNo          string // phone number
	CustIDMerchant     string
	ClientID           string
	QRStatic           string // the merchant's static QRIS payload (inferred, §3.5)
}

// MerchantDetail looks a merchant up (§3.5). Unknown or inactive merchants
// are an *APIError "4030818".
func (c *Client) MerchantDetail(ctx context.Context, in MerchantDetailRequest) (MerchantDetail, error) {
	body := struct {
		PartnerReferenceNo string `json:"partnerReferenceNo"`
		AdditionalInfo     struct {
			PhoneNo string `json:"phoneNo"`
		} `json:"additionalInfo"`
	}{PartnerReferenceNo: in.PartnerReferenceNo}
	body.AdditionalInfo.PhoneNo = in.PhoneNo
	var res struct {
		PartnerReferenceNo string `json:"partnerReferenceNo"`
		ReferenceNo        string `json:"referenceNo"`
		AccountName        string `json:"accountName"`
		AccountNo          string `json:"accountNo"`
		AdditionalInfo     struct {
			CustIDMerchant string `json:"custIdMerchant"`
			ClientID       string `json:"clientId"`
			QRStatic       string `json:"qrStatic"`
		} `json:"additionalInfo"`
	}
	if err := c.do(ctx, EndpointMerchantDetail, in.PartnerReferenceNo, body, &res); err != nil {
		return MerchantDetail{}, err
	}
	return MerchantDetail{
		PartnerReferenceNo: res.PartnerReferenceNo, ReferenceNo: res.ReferenceNo,
		AccountName: res.AccountName, AccountNo: res.AccountNo,
		CustIDMerchant: res.AdditionalInfo.CustIDMerchant, ClientID: res.AdditionalInfo.ClientID,
		QRStatic: res.AdditionalInfo.QRStatic,
	}, nil
}

// ---- §3.6 – §3.8, §3.22 – §3.24 withdrawals ----

// WithdrawInquiryRequest asks what can be withdrawn now.
type WithdrawInquiryRequest struct {
	PartnerReferenceNo string
	CustIDMerchant     string
}

// WithdrawInquiry is the registered payout account and the withdrawable
// ("closed") amount; a withdrawal must ask for exactly AmountMinor (§5.3).
type WithdrawInquiry struct {
	PartnerReferenceNo       string
	ReferenceNo              string // Netzme's inquiry id
	BeneficiaryAccountName   string
	BeneficiaryAccountNumber string
	BeneficiaryBankName      string
	BeneficiaryBankCode      string
	AmountMinor              int64
	AmountAllowed            bool
	MinimumMinor             int64
}

// Withdrawal builds the WithdrawRequest for this inquiry: same merchant,
// account and amount. pin is the clear PIN; it is hashed when sent.
func (q WithdrawInquiry) Withdrawal(partnerReferenceNo, custIDMerchant, pin string) WithdrawRequest {
	return WithdrawRequest{
		PartnerReferenceNo: partnerReferenceNo, CustIDMerchant: custIDMerchant,
		InquiryReferenceNo: q.ReferenceNo, AmountMinor: q.AmountMinor,
		BeneficiaryAccountName: q.BeneficiaryAccountName, BeneficiaryAccountNumber: q.BeneficiaryAccountNumber,
		BeneficiaryBankName: q.BeneficiaryBankName, BeneficiaryBankCode: q.BeneficiaryBankCode,
		PIN: pin,
	}
}

type withdrawInquiryWire struct {
	PartnerReferenceNo       string `json:"partnerReferenceNo"`
	ReferenceNo              string `json:"referenceNo"`
	BeneficiaryAccountName   string `json:"beneficiaryAccountName"`
	BeneficiaryAccountNumber string `json:"beneficiaryAccountNumber"`
	BeneficiaryBankName      string `json:"beneficiaryBankName"`
	BeneficiaryBankCode      string `json:"beneficiaryBankCode"`
	Amount                   money  `json:"amount"`
	AdditionalInfo           struct {
		AmountAllowed           flexBool `json:"amountAllowed"`
		MinimumWithdrawalAmount money    `json:"minimumWithdrawalAmount"`
	} `json:"additionalInfo"`
}

func (c *Client) withdrawInquiry(ctx context.Context, ep Endpoint, in WithdrawInquiryRequest) (WithdrawInquiry, error) {
	body := merchantTypeBody{CustIDMerchant: in.CustIDMerchant, PartnerReferenceNo: in.PartnerReferenceNo}
	// guess, §3.6: only Netzme's QA tool sends this type; the docs omit it.
	body.AdditionalInfo.Type = "withdraw_inquiry"
	var res withdrawInquiryWire
	if err := c.do(ctx, ep, in.PartnerReferenceNo, body, &res); err != nil {
		return WithdrawInquiry{}, err
	}
	if !res.Amount.set {
		return WithdrawInquiry{}, fmt.Errorf("netzme: %s %s: response without amount", ep, in.PartnerReferenceNo)
	}
	return WithdrawInquiry{
		PartnerReferenceNo: res.PartnerReferenceNo, ReferenceNo: res.ReferenceNo,
		BeneficiaryAccountName: res.BeneficiaryAccountName, BeneficiaryAccountNumber: res.BeneficiaryAccountNumber,
		BeneficiaryBankName: res.BeneficiaryBankName, BeneficiaryBankCode: res.BeneficiaryBankCode,
		AmountMinor: res.Amount.minor, AmountAllowed: bool(res.AdditionalInfo.AmountAllowed),
		MinimumMinor: res.AdditionalInfo.MinimumWithdrawalAmount.minor,
	}, nil
}

// WithdrawInquiry returns the sales balance payout account and amount (§3.6).
func (c *Client) WithdrawInquiry(ctx context.Context, in WithdrawInquiryRequest) (WithdrawInquiry, error) {
	return c.withdrawInquiry(ctx, EndpointWithdrawInquiry, in)
}

// WithdrawDepositInquiry is WithdrawInquiry for the deposit balance (§3.22).
func (c *Client) WithdrawDepositInquiry(ctx context.Context, in WithdrawInquiryRequest) (WithdrawInquiry, error) {
	return c.withdrawInquiry(ctx, EndpointWithdrawDepositInquiry, in)
}

// WithdrawRequest submits a withdrawal. Build it with
// WithdrawInquiry.Withdrawal so the amount and account match the inquiry.
type WithdrawRequest struct {
	PartnerReferenceNo       string // idempotency key of the withdrawal: keep it on reconcile
	CustIDMerchant           string // sent as customerNumber
	InquiryReferenceNo       string // deposit withdrawals only: the §3.22 referenceNo (guess, §3.23)
	AmountMinor              int64
	BeneficiaryAccountName   string
	BeneficiaryAccountNumber string
	BeneficiaryBankName      string
	BeneficiaryBankCode      string
	PIN                      string // clear PIN; hashed with PINHash, never sent or logged in clear
}

// WithdrawResult is Netzme's answer to a submitted withdrawal. guess, §3.7:
// the response is not documented; Raw keeps the whole body (PIN redacted) for
// the audit trail, and the final status comes from WithdrawInformation or the
// §3.9 callback.
type WithdrawResult struct {
	PartnerReferenceNo string
	ReferenceNo        string // Netzme's withdrawal id, if returned
	ResponseCode       string
	Raw                json.RawMessage
}

type withdrawWire struct {
	PartnerReferenceNo       string      `json:"partnerReferenceNo"`
	CustomerNumber           string      `json:"customerNumber"`
	ReferenceNo              string      `json:"referenceNo,omitempty"`
	Amount                   snap.Amount `json:"amount"`
	BeneficiaryAccountName   string      `json:"beneficiaryAccountName"`
	BeneficiaryAccountNumber string      `json:"beneficiaryAccountNumber"`
	BeneficiaryBankName      string      `json:"beneficiaryBankName"`
	BeneficiaryBankCode      string      `json:"beneficiaryBankCode"`
	AdditionalInfo           struct {
		Type string `json:"type"`
		PIN  string `json:"pin"`
	} `json:"additionalInfo"`
}

func (c *Client) withdraw(ctx context.Context, ep Endpoint, in WithdrawRequest, sendRef bool) (WithdrawResult, error) {
	switch {
	case in.PartnerReferenceNo == "" || in.CustIDMerchant == "" || in.PIN == "":
		return WithdrawResult{}, fmt.Errorf("netzme: %s: PartnerReferenceNo, CustIDMerchant and PIN are required", ep)
	case in.AmountMinor <= 0:
		return WithdrawResult{}, fmt.Errorf("netzme: %s %s: amount must be positive", ep, in.PartnerReferenceNo)
	}
	body := withdrawWire{
		PartnerReferenceNo: in.PartnerReferenceNo, CustomerNumber: in.CustIDMerchant,
		Amount:                 snap.IDR(in.AmountMinor),
		BeneficiaryAccountName: in.BeneficiaryAccountName, BeneficiaryAccountNumber: in.BeneficiaryAccountNumber,
		BeneficiaryBankName: in.BeneficiaryBankName, BeneficiaryBankCode: in.BeneficiaryBankCode,
	}
	if sendRef {
		body.ReferenceNo = in.InquiryReferenceNo
	}
	body.AdditionalInfo.Type = "submit_withdraw"
	body.AdditionalInfo.PIN = PINHash(c.cfg.ClientID, in.CustIDMerchant, in.PIN)
	var res struct {
		PartnerReferenceNo string `json:"partnerReferenceNo"`
		ReferenceNo        string `json:"referenceNo"`
		ResponseCode       string `json:"responseCode"`
	}
	var raw json.RawMessage
	if err := c.do(ctx, ep, in.PartnerReferenceNo, body, &raw); err != nil {
		return WithdrawResult{}, err
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		// The call succeeded (2xx + 200xxxx) but the body shape surprised us:
		// money may have moved, so report it as unknown.
		return WithdrawResult{}, fmt.Errorf("netzme: %s %s: %w", ep, in.PartnerReferenceNo, unknown(err))
	}
	return WithdrawResult{PartnerReferenceNo: res.PartnerReferenceNo, ReferenceNo: res.ReferenceNo,
		ResponseCode: res.ResponseCode, Raw: redact(raw)}, nil
}

// WithdrawProcess submits a sales-balance withdrawal (§3.7). It moves money:
// it is never retried, and a timeout/5xx/garbled answer matches
// ErrOutcomeUnknown — check WithdrawInformation before trying again.
func (c *Client) WithdrawProcess(ctx context.Context, in WithdrawRequest) (WithdrawResult, error) {
	return c.withdraw(ctx, EndpointWithdrawProcess, in, false)
}

// WithdrawDeposit submits a deposit withdrawal (§3.23), with the same
// guarantees as WithdrawProcess. guess, §3.23: Netzme's QA tool sends a
// "ReferenceNo"; we send the inquiry's referenceNo under "referenceNo"
// (Netzme's Go gateway matches keys case-insensitively, §2.12).
func (c *Client) WithdrawDeposit(ctx context.Context, in WithdrawRequest) (WithdrawResult, error) {
	return c.withdraw(ctx, EndpointWithdrawDeposit, in, true)
}

// WithdrawInformationRequest asks for a withdrawal's status.
type WithdrawInformationRequest struct {
	PartnerReferenceNo string // this query's own id
	// ReferenceNo identifies the withdrawal. guess, §3.8: the docs say the
	// inquiry's referenceNo; the legacy API keyed by the withdrawal's id.
	ReferenceNo string
}

// WithdrawStatus is a withdrawal's current state. Status is "SUCCESS" when
// paid out; other values are not documented (§3.8).
type WithdrawStatus struct {
	ReferenceNo        string
	PartnerReferenceNo string
	AmountMinor        int64
	AccountHolderName  string
	BankAccountNumber  string
	BankCode           string
	BankName           string
	Status             string
	// Raw is the answer as Netzme sent it (§3.8 documents only SUCCESS;
	// the statement sync keeps every answer in Netzme's words).
	Raw json.RawMessage
}

func (c *Client) withdrawInformation(ctx context.Context, ep Endpoint, in WithdrawInformationRequest) (WithdrawStatus, error) {
	body := struct {
		ReferenceNo        string `json:"referenceNo"`
		PartnerReferenceNo string `json:"partnerReferenceNo"`
	}{in.ReferenceNo, in.PartnerReferenceNo}
	var res struct {
		ReferenceNo        string `json:"referenceNo"`
		PartnerReferenceNo string `json:"partnerReferenceNo"`
		WithdrawalAmount   money  `json:"withdrawalAmount"`
		AdditionalInfo     struct {
			AccountHolderName string `json:"accountHolderName"`
			BankAccountNumber string `json:"bankAccountNumber"`
			BankCode          string `json:"bankCode"`
			BankName          string `json:"bankName"`
			Status            string `json:"status"`
		} `json:"additionalInfo"`
	}
	var raw json.RawMessage
	if err := c.do(ctx, ep, in.PartnerReferenceNo, body, &raw); err != nil {
		return WithdrawStatus{}, err
	}
	if err := decodeRaw(ep, in.PartnerReferenceNo, raw, &res); err != nil {
		return WithdrawStatus{}, err
	}
	a := res.AdditionalInfo
	return WithdrawStatus{ReferenceNo: res.ReferenceNo, PartnerReferenceNo: res.PartnerReferenceNo,
		AmountMinor: res.WithdrawalAmount.minor, AccountHolderName: a.AccountHolderName,
		BankAccountNumber: a.BankAccountNumber, BankCode: a.BankCode, BankName: a.BankName, Status: a.Status, Raw: raw}, nil
}

// WithdrawInformation reads a sales-balance withdrawal's status (§3.8).
func (c *Client) WithdrawInformation(ctx context.Context, in WithdrawInformationRequest) (WithdrawStatus, error) {
	return c.withdrawInformation(ctx, EndpointWithdrawInformation, in)
}

// WithdrawDepositInformation reads a deposit withdrawal's status. guess,
// §3.24: the response is not documented; it is decoded like §3.8.
func (c *Client) WithdrawDepositInformation(ctx context.Context, in WithdrawInformationRequest) (WithdrawStatus, error) {
	return c.withdrawInformation(ctx, EndpointWithdrawDepositInformation, in)
}

// decodeRaw decodes a success answer kept raw (read-only endpoints only: a
// body that cannot be read is a plain error, as check makes it).
func decodeRaw(ep Endpoint, partnerRef string, raw json.RawMessage, out any) error {
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("netzme: %s %s: decode %d-byte success body: %w", ep, partnerRef, len(raw), err)
	}
	return nil
}
