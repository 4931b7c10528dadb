package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"time"

	"lapak/netzme"
	"lapak/snap"
)

// API endpoints are named as in the client: the values of netzme.Endpoint
// (InjectFault and Request.Endpoint use them as plain strings), so a fault
// injected for string(netzme.EndpointWithdrawProcess) hits that call.
var (
	epToken              = string(netzme.EndpointToken)
	epCreatePIN          = string(netzme.EndpointCreatePIN)
	epForgotPIN          = string(netzme.EndpointForgotPIN)
	epBalance            = string(netzme.EndpointBalanceDetail)
	epTransactionList    = string(netzme.EndpointTransactionList)
	epMerchantDetail     = string(netzme.EndpointMerchantDetail)
	epWithdrawInquiry    = string(netzme.EndpointWithdrawInquiry)
	epWithdrawProcess    = string(netzme.EndpointWithdrawProcess)
	epWithdrawInfo       = string(netzme.EndpointWithdrawInformation)
	epQRISAcquire        = string(netzme.EndpointQRISAcquireTransaction)
	epCreateInvoice      = string(netzme.EndpointCreateInvoice)
	epCreateInvoiceTrx   = string(netzme.EndpointCreateInvoiceTransaction)
	epTopupDeposit       = string(netzme.EndpointTopupDeposit)
	epInvoiceTrx         = string(netzme.EndpointInvoiceTransaction)
	epDeduct             = string(netzme.EndpointDeductDepositSplitFee)
	epDepositInquiry     = string(netzme.EndpointWithdrawDepositInquiry)
	epDepositWithdraw    = string(netzme.EndpointWithdrawDeposit)
	epDepositWithdrawInf = string(netzme.EndpointWithdrawDepositInformation)
	epDepositList        = string(netzme.EndpointDepositTransactions)
	epDepositBalance     = string(netzme.EndpointDepositBalance)
)

// Endpoints lists every endpoint name InjectFault accepts, in spec order.
func Endpoints() []string {
	var out []string
	for _, e := range netzme.Endpoints() {
		out = append(out, string(e))
	}
	return out
}

func (s *Sandbox) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern, name string, h http.Handler) {
		mux.Handle("POST "+pattern, s.observe(name, h))
	}
	api("/api/{v}/access-token/b2b", epToken, http.HandlerFunc(s.handleToken))
	api("/api/{v}/merchant/create-pin", epCreatePIN, s.service("00", s.createPIN))
	api("/api/{v}/merchant/forgot-pin", epForgotPIN, s.service("00", s.forgotPIN))
	api("/api/{v}/payment/balance-inquiry", epBalance, s.service("11", s.balanceInquiry(WalletBalance)))
	// §3.4: the page documents v2.0 only; the second path is the variant
	// Netzme's QA tool calls (netzme.TransactionListQA), served so that
	// Lapak's NETZME_HISTORY_PATH=qa can be tried against the sandbox.
	api("/api-qris/v2.0/transaction/history-list", epTransactionList, s.service("12", s.historyList(WalletBalance, merchantNested)))
	api("/api/v1.0/transaction/history-list", epTransactionList, s.service("12", s.historyList(WalletBalance, merchantTopLevel)))
	api("/api/{v}/registration-account-inquiry", epMerchantDetail, s.service("08", s.merchantDetail))
	api("/api/{v}/emoney/bank-account-inquiry", epWithdrawInquiry, s.service("42", s.withdrawInquiry(WalletBalance)))
	api("/api/{v}/emoney/transfer-bank", epWithdrawProcess, s.service("43", s.withdrawProcess(WalletBalance)))
	api("/api/{v}/debit/status", epWithdrawInfo, s.service("00", s.withdrawInformation(WalletBalance)))
	api("/api-qris/{v}/transaction-history-detail", epQRISAcquire, s.service("13", s.qrisAcquire))
	api("/api/{v}/invoice/create", epCreateInvoice, s.service("00", s.createInvoice))
	api("/api/{v}/invoice/create-transaction", epCreateInvoiceTrx, s.service("47", s.createInvoiceTransaction))
	api("/api-invoice/{v}/transaction-history-detail", epInvoiceTrx, s.service("13", s.getInvoiceTransaction))
	api("/api/{v}/merchant/payment-notif", epDeduct, s.service("00", s.deductDeposit))
	api("/api/{v}/emoney/bank-account-inquiry/deposit", epDepositInquiry, s.service("42", s.withdrawInquiry(WalletDeposit)))
	api("/api/{v}/emoney/transfer-bank/deposit", epDepositWithdraw, s.service("43", s.withdrawProcess(WalletDeposit)))
	api("/api/{v}/debit/status-deposit", epDepositWithdrawInf, s.service("00", s.withdrawInformation(WalletDeposit)))
	api("/api/{v}/deposit/transaction-history-list", epDepositList, s.service("12", s.historyList(WalletDeposit, merchantNested)))
	api("/api/{v}/deposit/balance-inquiry", epDepositBalance, s.service("11", s.balanceInquiry(WalletDeposit)))
	s.pageRoutes(mux)
	return mux
}

// Request is one API call the sandbox received, for tests and the sandbox
// page. Bodies have PINs and tokens redacted.
type Request struct {
	Time               time.Time
	Endpoint           string
	Method, Path       string
	ExternalID         string
	PartnerReferenceNo string
	HTTPStatus         int
	ResponseCode       string
	Fault              string // "" or the injected fault that answered
	RequestBody        []byte
	ResponseBody       []byte
}

// Requests returns the calls received so far, oldest first (at most the last 1000).
func (s *Sandbox) Requests() []Request {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return append([]Request(nil), s.requests...)
}

var redactRe = regexp.MustCompile(`("(?i:pin|accessToken)"\s*:\s*")[^"]*"`)

func redact(b []byte) []byte {
	lower := bytes.ToLower(b)
	if !bytes.Contains(lower, []byte(`"pin"`)) && !bytes.Contains(lower, []byte(`"accesstoken"`)) {
		return b // nothing to hide (most answers; a list page is large)
	}
	return redactRe.ReplaceAll(b, []byte(`$1***"`))
}

// observe records the call and applies any injected fault for the endpoint.
func (s *Sandbox) observe(endpoint string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		name := endpoint
		if name == epCreateInvoiceTrx && isTopup(body) {
			name = epTopupDeposit // same path, told apart by apiSource (spec §3.21)
		}
		rec := newRecorder()
		f, hasFault := s.takeFault(name)
		if !hasFault || f.Apply {
			next.ServeHTTP(rec, r)
		}
		entry := Request{
			Time: s.now(), Endpoint: name, Method: r.Method, Path: r.RequestURI,
			ExternalID: r.Header.Get("X-EXTERNAL-ID"), PartnerReferenceNo: partnerRef(body),
			RequestBody: redact(body),
		}
		if !hasFault {
			entry.HTTPStatus = rec.code
			entry.ResponseBody = redact(rec.body.Bytes())
			var resp snap.Response
			json.Unmarshal(rec.body.Bytes(), &resp)
			entry.ResponseCode = resp.ResponseCode
			s.record(entry)
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.code)
			w.Write(rec.body.Bytes())
			return
		}
		entry.Fault = f.Kind.String()
		switch f.Kind {
		case FaultTimeout:
			s.record(entry)
			// Hang until the client gives up (or the sandbox closes).
			t := time.NewTimer(10 * time.Minute)
			defer t.Stop()
			select {
			case <-r.Context().Done():
			case <-s.closed:
			case <-t.C:
			}
		case Fault500:
			entry.HTTPStatus = http.StatusInternalServerError
			// The gateway's panic body, not SNAP-shaped (spec §2.13).
			entry.ResponseBody = []byte(`{"status":500,"message":"Request is halted unexpectedly, please contact the administrator.","data":null}`)
			s.record(entry)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write(entry.ResponseBody)
		default: // FaultGarbage: a 200 whose body is not the promised JSON
			entry.HTTPStatus = http.StatusOK
			entry.ResponseBody = []byte("<html><body>502 Bad Gateway</body></html>\n{\"responseCode\":\"200")
			s.record(entry)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			w.Write(entry.ResponseBody)
		}
	})
}

// recorder buffers an answer so observe can log it before sending it. It is
// the part of httptest.ResponseRecorder the API handlers need, kept here so
// the shipped binary does not link net/http/httptest.
type recorder struct {
	header      http.Header
	code        int
	wroteHeader bool
	body        bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, code: http.StatusOK} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.code, r.wroteHeader = code, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	return r.body.Write(b)
}

func (s *Sandbox) record(e Request) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.requests = append(s.requests, e)
	if len(s.requests) > 1000 {
		s.requests = append([]Request(nil), s.requests[len(s.requests)-1000:]...)
	}
	s.log.Debug("sandbox: call", "endpoint", e.Endpoint, "status", e.HTTPStatus, "code", e.ResponseCode, "fault", e.Fault)
}

// partnerRef extracts the request's own partnerReferenceNo for the log.
func partnerRef(body []byte) string {
	var v struct {
		PartnerReferenceNo string `json:"partnerReferenceNo"`
		AdditionalInfo     struct {
			PartnerReferenceNo string `json:"partnerReferenceNo"`
		} `json:"additionalInfo"`
	}
	json.Unmarshal(body, &v)
	if v.PartnerReferenceNo != "" {
		return v.PartnerReferenceNo
	}
	return v.AdditionalInfo.PartnerReferenceNo
}

func isTopup(body []byte) bool {
	var v struct {
		AdditionalInfo struct {
			APISource string `json:"apiSource"`
		} `json:"additionalInfo"`
	}
	json.Unmarshal(body, &v)
	return v.AdditionalInfo.APISource == "topup_deposit"
}
