package sandbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"lapak/snap"
)

// maxPINFailures consecutive wrong PINs block the PIN until Forgot pin
// (guess, spec §3.7: wrong-PIN handling is not documented).
const maxPINFailures = 3

// forgotPINCooldown is the wait between Forgot pin calls (spec §3.2 example: 300000 ms).
const forgotPINCooldown = 5 * time.Minute

// pinHash is spec §2.15, computed here independently of the client.
func pinHash(clientID, custID, pin string) string {
	m := hmac.New(sha256.New, []byte(clientID+custID))
	m.Write([]byte(pin))
	return hex.EncodeToString(m.Sum(nil))
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

type wPINRequest struct {
	CustIDMerchant     string `json:"custIdMerchant"`
	PartnerReferenceNo string `json:"partnerReferenceNo"`
	AdditionalInfo     *struct {
		PIN  string `json:"pin"`
		Type string `json:"type"`
	} `json:"additionalInfo"`
}

type typeInfo struct {
	Type string `json:"type"`
}

// createPIN is spec §3.1.
func (s *Sandbox) createPIN(c *call) *reply {
	var req wPINRequest
	if rep := c.decode(&req); rep != nil {
		return rep
	}
	if req.AdditionalInfo == nil {
		return mandatory(c.svc, "additionalInfo")
	}
	if rep := c.require("custIdMerchant", req.CustIDMerchant, "partnerReferenceNo", req.PartnerReferenceNo,
		"additionalInfo.pin", req.AdditionalInfo.PIN, "additionalInfo.type", req.AdditionalInfo.Type); rep != nil {
		return rep
	}
	if req.AdditionalInfo.Type != "create_pin" {
		return failRef(http.StatusBadRequest, c.svc, "01", "Invalid Field Format type", req.PartnerReferenceNo)
	}
	if !hex64.MatchString(req.AdditionalInfo.PIN) {
		return failRef(http.StatusBadRequest, c.svc, "01", "Invalid Field Format pin", req.PartnerReferenceNo)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var current string
	err := s.db.QueryRowContext(c.ctx, `SELECT pin_hash FROM merchants WHERE cust_id = ?`, req.CustIDMerchant).Scan(&current)
	if isNoRows(err) {
		return failRef(http.StatusNotFound, c.svc, "08", "Invalid Merchant", req.PartnerReferenceNo)
	} else if err != nil {
		return serverError(c.svc)
	}
	if current != "" && current != req.AdditionalInfo.PIN {
		return &reply{status: http.StatusNotFound, body: struct {
			snap.Response
			PartnerReferenceNo string   `json:"partnerReferenceNo"`
			AdditionalInfo     typeInfo `json:"additionalInfo"`
		}{snap.Response{ResponseCode: "4040020", ResponseMessage: "PIN already exist with different value"}, req.PartnerReferenceNo, typeInfo{"create_pin"}}}
	}
	// The same hash again is accepted (inferred idempotent, spec §3.1).
	if _, err := s.db.ExecContext(c.ctx, `UPDATE merchants SET pin_hash = ?, pin_failures = 0, pin_blocked = 0 WHERE cust_id = ?`,
		req.AdditionalInfo.PIN, req.CustIDMerchant); err != nil {
		return serverError(c.svc)
	}
	return ok(struct {
		snap.Response
		PartnerReferenceNo string   `json:"partnerReferenceNo"`
		AdditionalInfo     typeInfo `json:"additionalInfo"`
	}{success(c.svc), req.PartnerReferenceNo, typeInfo{"create_pin"}})
}

// forgotPIN is spec §3.2: a new PIN goes to the merchant "by SMS" (see LastSMS).
func (s *Sandbox) forgotPIN(c *call) *reply {
	var req wPINRequest
	if rep := c.decode(&req); rep != nil {
		return rep
	}
	if req.AdditionalInfo == nil {
		return mandatory(c.svc, "additionalInfo")
	}
	if rep := c.require("custIdMerchant", req.CustIDMerchant, "partnerReferenceNo", req.PartnerReferenceNo,
		"additionalInfo.type", req.AdditionalInfo.Type); rep != nil {
		return rep
	}
	if req.AdditionalInfo.Type != "forgot_pin" {
		return failRef(http.StatusBadRequest, c.svc, "01", "Invalid Field Format type", req.PartnerReferenceNo)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var current string
	var until int64
	err := s.db.QueryRowContext(c.ctx, `SELECT pin_hash, forgot_pin_until FROM merchants WHERE cust_id = ?`, req.CustIDMerchant).Scan(&current, &until)
	if isNoRows(err) {
		return failRef(http.StatusNotFound, c.svc, "08", "Invalid Merchant", req.PartnerReferenceNo)
	} else if err != nil {
		return serverError(c.svc)
	}
	if current == "" {
		return failRef(http.StatusNotFound, c.svc, "25", "Existing Pin not found.", req.PartnerReferenceNo)
	}
	if left := until - ms(c.now); left > 0 {
		return failRef(http.StatusForbidden, c.svc, "04", fmt.Sprintf("Activity Count Limit Exceeded. wait %d millisecond.", left), req.PartnerReferenceNo)
	}
	pin := randDigits(6)
	sms := "Netzme: PIN baru Anda " + pin + ". Jangan berikan kepada siapa pun."
	if _, err := s.db.ExecContext(c.ctx, `UPDATE merchants SET pin_hash = ?, pin_failures = 0, pin_blocked = 0, forgot_pin_until = ?, last_sms = ? WHERE cust_id = ?`,
		pinHash(s.id.ClientID, req.CustIDMerchant, pin), ms(c.now.Add(forgotPINCooldown)), sms, req.CustIDMerchant); err != nil {
		return serverError(c.svc)
	}
	return ok(struct {
		snap.Response
		PartnerReferenceNo string `json:"partnerReferenceNo"`
		AdditionalInfo     struct {
			TimeLeftInMillis int64 `json:"timeLeftInMillis"`
		} `json:"additionalInfo"`
	}{Response: success(c.svc), PartnerReferenceNo: req.PartnerReferenceNo, AdditionalInfo: struct {
		TimeLeftInMillis int64 `json:"timeLeftInMillis"`
	}{forgotPINCooldown.Milliseconds()}})
}

// checkPIN verifies a PIN hash for a money-moving call and keeps the failure
// count; it must run inside the caller's transaction.
func (s *Sandbox) checkPIN(ctx context.Context, tx *sql.Tx, svc, custID, hash, partnerRef string) *reply {
	var current string
	var failures int
	var blocked bool
	if err := tx.QueryRowContext(ctx, `SELECT pin_hash, pin_failures, pin_blocked FROM merchants WHERE cust_id = ?`, custID).Scan(&current, &failures, &blocked); err != nil {
		return serverError(svc)
	}
	if current == "" {
		return failRef(http.StatusNotFound, svc, "25", "Existing Pin not found.", partnerRef)
	}
	if blocked {
		// guess, spec §3.7: codes for a blocked PIN are not documented.
		return failRef(http.StatusForbidden, svc, "04", "Activity Count Limit Exceeded. PIN blocked, use forgot pin", partnerRef)
	}
	if subtle.ConstantTimeCompare([]byte(current), []byte(hash)) != 1 {
		failures++
		block := failures >= maxPINFailures
		if _, err := tx.ExecContext(ctx, `UPDATE merchants SET pin_failures = ?, pin_blocked = ? WHERE cust_id = ?`, failures, block, custID); err != nil {
			return serverError(svc)
		}
		if block {
			return failRef(http.StatusForbidden, svc, "04", "Activity Count Limit Exceeded. PIN blocked, use forgot pin", partnerRef)
		}
		// guess, spec §3.7: wrong-PIN code not documented; SNAP 401xx00 "Unauthorized. [reason]".
		return failRef(http.StatusUnauthorized, svc, "00", "Unauthorized. Invalid PIN", partnerRef)
	}
	if failures != 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE merchants SET pin_failures = 0 WHERE cust_id = ?`, custID); err != nil {
			return serverError(svc)
		}
	}
	return nil
}

type wBalanceRequest struct {
	PartnerReferenceNo string `json:"partnerReferenceNo"`
	AccountNo          string `json:"accountNo"`
}

type accountInfo struct {
	BalanceType      string      `json:"balanceType"`
	AvailableBalance snap.Amount `json:"availableBalance"`
}

// balanceInquiry is spec §3.3 (sales balance) and §3.26 (deposit; response
// shape guessed as §3.3, spec §3.26 does not document it).
func (s *Sandbox) balanceInquiry(w Wallet) func(*call) *reply {
	return func(c *call) *reply {
		var req wBalanceRequest
		if rep := c.decode(&req); rep != nil {
			return rep
		}
		if rep := c.require("partnerReferenceNo", req.PartnerReferenceNo, "accountNo", req.AccountNo); rep != nil {
			return rep
		}
		// A read that stands alone: no lock, the read pool.
		if _, err := s.Merchant(c.ctx, req.AccountNo); err != nil {
			return failRef(http.StatusNotFound, c.svc, "08", "Invalid Merchant", req.PartnerReferenceNo)
		}
		b, err := s.balances(c.ctx, s.rdb, req.AccountNo)
		if err != nil {
			return serverError(c.svc)
		}
		total, settled := b.TotalMinor, b.SettledMinor
		if w == WalletDeposit {
			total, settled = b.DepositMinor, b.DepositMinor
		}
		return ok(struct {
			snap.Response
			PartnerReferenceNo string        `json:"partnerReferenceNo"`
			AccountInfo        []accountInfo `json:"accountInfo"`
			AdditionalInfo     struct {
				CustIDMerchant string `json:"custIdMerchant"`
			} `json:"additionalInfo"`
		}{Response: success(c.svc), PartnerReferenceNo: req.PartnerReferenceNo,
			AccountInfo: []accountInfo{{"totalBalance", snap.IDR(total)}, {"settledBalance", snap.IDR(settled)}},
			AdditionalInfo: struct {
				CustIDMerchant string `json:"custIdMerchant"`
			}{req.AccountNo}})
	}
}

type wMerchantDetailRequest struct {
	PartnerReferenceNo string `json:"partnerReferenceNo"`
	AdditionalInfo     *struct {
		PhoneNo string `json:"phoneNo"`
	} `json:"additionalInfo"`
}

// merchantDetail is spec §3.5 (Get Merchant Detail by registered phone).
func (s *Sandbox) merchantDetail(c *call) *reply {
	var req wMerchantDetailRequest
	if rep := c.decode(&req); rep != nil {
		return rep
	}
	phone := ""
	if req.AdditionalInfo != nil {
		phone = req.AdditionalInfo.PhoneNo
	}
	if rep := c.require("partnerReferenceNo", req.PartnerReferenceNo, "phoneNo", phone); rep != nil {
		return rep
	}
	// guess, spec §3.5: the phone format is not documented; any form
	// snap.ParsePhone reads finds the merchant, anything else finds none.
	registered := ""
	if p, err := snap.ParsePhone(phone); err == nil {
		registered = p.International()
	}
	m, err := scanMerchant(s.rdb.QueryRowContext(c.ctx, `SELECT `+merchantCols+` FROM merchants WHERE phone = ?`, registered))
	if isNoRows(err) {
		return failRef(http.StatusForbidden, c.svc, "18", "Account Inactive", req.PartnerReferenceNo)
	} else if err != nil {
		return serverError(c.svc)
	}
	type info struct {
		CustIDMerchant string `json:"custIdMerchant"`
		ClientID       string `json:"clientId"`
		QRStatic       string `json:"qrStatic"`
	}
	return ok(struct {
		snap.Response
		PartnerReferenceNo string `json:"partnerReferenceNo"`
		ReferenceNo        string `json:"referenceNo"`
		AccountName        string `json:"accountName"`
		AccountNo          string `json:"accountNo"`
		AdditionalInfo     info   `json:"additionalInfo"`
	}{success(c.svc), req.PartnerReferenceNo, newUUID(), m.Name, phone, info{m.CustID, s.id.ClientID, m.StaticQRIS}})
}

type wHistoryRequest struct {
	PageNumber         string `json:"pageNumber"`
	PartnerReferenceNo string `json:"partnerReferenceNo"`
	FromDateTime       string `json:"fromDateTime"`
	ToDateTime         string `json:"toDateTime"`
	CustIDMerchant     string `json:"custIdMerchant"` // the QA variant of spec §3.4
	AdditionalInfo     *struct {
		CustIDMerchant string `json:"custIdMerchant"`
	} `json:"additionalInfo"`
}

// defaultHistoryPageSize is the page size of the history lists when
// Options.HistoryPageSize is 0 (guess, spec §3.4: page size is not
// documented, nor is a "has more" flag; an empty page ends the list).
const defaultHistoryPageSize = 10

func (s *Sandbox) historyPageSize() int {
	if n := s.opts.HistoryPageSize; n > 0 {
		return n
	}
	return defaultHistoryPageSize
}

// historyItem is one detailData entry of spec §3.4 / §3.25.
type historyItem struct {
	Amount         snap.Amount `json:"amount"`
	Status         string      `json:"status"`
	Type           string      `json:"type"`
	DateTime       string      `json:"dateTime"`
	AdditionalInfo struct {
		CreatedTs     string      `json:"createdTs"`
		Desc          string      `json:"desc"`
		FeeAmount     snap.Amount `json:"feeAmount"`
		InvoiceID     string      `json:"invoiceId"`
		InvoiceType   string      `json:"invoiceType"`
		MerchantID    string      `json:"merchantId"`
		PaidTs        string      `json:"paidTs"`
		PaymentMethod string      `json:"paymentMethod"`
		ServiceCharge snap.Amount `json:"serviceCharge"`
		TotalAmount   snap.Amount `json:"totalAmount"`
		TransactionID string      `json:"transactionId"`
		Ts            string      `json:"ts"`
		TsLong        int64       `json:"tsLong"`
		URLInvoice    string      `json:"urlInvoice"`
	} `json:"additionalInfo"`
}

// merchantField says where a history request carries custIdMerchant.
type merchantField int

const (
	merchantNested   merchantField = iota // additionalInfo.custIdMerchant (spec §3.4 page, §3.25)
	merchantTopLevel                      // custIdMerchant (the QA variant of spec §3.4)
)

// historyList is spec §3.4 (sales) and §3.25 (deposit; response shape
// guessed as §3.4). Pages are 1-based, newest first; an empty detailData
// means no more pages. The merchant is read only where the path's variant
// puts it: like a gateway decoding into its own struct, the other place is
// an unknown field.
func (s *Sandbox) historyList(w Wallet, where merchantField) func(*call) *reply {
	return func(c *call) *reply {
		var req wHistoryRequest
		if rep := c.decode(&req); rep != nil {
			return rep
		}
		cust := req.CustIDMerchant
		if where == merchantNested {
			cust = ""
			if req.AdditionalInfo != nil {
				cust = req.AdditionalInfo.CustIDMerchant
			}
		}
		if rep := c.require("pageNumber", req.PageNumber, "partnerReferenceNo", req.PartnerReferenceNo,
			"fromDateTime", req.FromDateTime, "toDateTime", req.ToDateTime, "custIdMerchant", cust); rep != nil {
			return rep
		}
		page, err := strconv.Atoi(req.PageNumber)
		if err != nil || page < 1 || !digits(req.PageNumber) {
			return badFormat(c.svc, "pageNumber")
		}
		from, err := time.Parse(time.RFC3339, req.FromDateTime)
		if err != nil {
			return badFormat(c.svc, "fromDateTime")
		}
		to, err := time.Parse(time.RFC3339, req.ToDateTime)
		if err != nil || to.Before(from) || to.Sub(from) > 24*time.Hour {
			// guess, spec §3.4: "toDateTime cannot be the same day" read as
			// "one day at most"; the spec advises querying one day per request.
			return badFormat(c.svc, "toDateTime")
		}
		if _, err := s.Merchant(c.ctx, cust); err != nil {
			return failRef(http.StatusNotFound, c.svc, "08", "Invalid Merchant", req.PartnerReferenceNo)
		}
		// The bounds carry whole seconds (the X-TIMESTAMP form, spec §2.11):
		// toDateTime 23:59:59 takes in everything up to 23:59:59.999.
		size := s.historyPageSize()
		items, err := s.history(c.ctx, cust, w, ms(from), ms(to.Truncate(time.Second))+999, size, (page-1)*size)
		if err != nil {
			s.log.Error("sandbox: history", "err", err)
			return serverError(c.svc)
		}
		if items == nil {
			items = []historyItem{}
		}
		return ok(struct {
			snap.Response
			PartnerReferenceNo string        `json:"partnerReferenceNo"`
			ReferenceNo        string        `json:"referenceNo"`
			DetailData         []historyItem `json:"detailData"`
			AdditionalInfo     typeInfo      `json:"additionalInfo"`
		}{success(c.svc), req.PartnerReferenceNo, newUUID(), items, typeInfo{"transaction_history"}})
	}
}

// historyArms are the sources of a wallet's movements, one SELECT each
// with the same columns: at, k (unique within its source, the tie-break),
// type, status, method, descr, invoice id, transactionId, amount, fee,
// total, paid at, expires at (0: never). Every movement the sandbox holds is
// listed (guess, spec §3.4 documents only PAYMENT and TOP_UP types;
// withdrawals, split-fee deductions and manual adjustments appear as
// WITHDRAW, DEDUCT and ADJUSTMENT). ?1 is the merchant, ?2 and ?3 the
// bounds in Unix ms.
var historyArms = map[Wallet][]string{
	WalletBalance: {
		invoiceArm("api_source <> 'topup_deposit'", "PAYMENT"),
		// Static-QRIS payments (an invoice paid by QRIS is listed once, as its invoice).
		`SELECT created_at, reference_id, 'PAYMENT', 'SUCCESS', 'QRIS', 'QRIS statis', '', reference_id,
			amount_minor, fee_minor, amount_minor, created_at, 0
			FROM qris_payments WHERE cust_id = ?1 AND trx_id = '' AND created_at BETWEEN ?2 AND ?3`,
		withdrawalArm(WalletBalance),
		adjustmentArm(WalletBalance),
	},
	WalletDeposit: {
		invoiceArm("api_source = 'topup_deposit'", "TOP_UP"),
		withdrawalArm(WalletDeposit),
		// A split fee: amount and fee are the fee taken from the deposit,
		// total the sale it was for.
		`SELECT created_at, partner_reference_no, 'DEDUCT', 'SUCCESS', '', product_name, '', partner_reference_no,
			fee_minor, fee_minor, amount_minor, created_at, 0
			FROM deductions WHERE cust_id = ?1 AND created_at BETWEEN ?2 AND ?3`,
		adjustmentArm(WalletDeposit),
	},
}

// invoiceArm lists invoice transactions as requested until paid, then as
// paid: the total is what the buyer paid and the fee Netzme's MDR.
func invoiceArm(source, typ string) string {
	return `SELECT created_at, trx_id, '` + typ + `', status, pay_method, description, invoice_id, trx_id,
		amount_minor,
		CASE WHEN status = 'SUCCESS' THEN paid_fee_minor ELSE fee_minor END,
		CASE WHEN status = 'SUCCESS' THEN paid_amount_minor WHEN fee_type = 'on_buyer' THEN amount_minor + fee_minor ELSE amount_minor END,
		paid_at, expires_at
		FROM invoice_trx WHERE cust_id = ?1 AND ` + source + ` AND created_at BETWEEN ?2 AND ?3`
}

func withdrawalArm(w Wallet) string {
	return `SELECT created_at, reference_no, 'WITHDRAW', status, 'BANK_TRANSFER', 'Penarikan saldo', '', reference_no,
		amount_minor, 0, amount_minor, final_at, 0
		FROM withdrawals WHERE cust_id = ?1 AND wallet = '` + string(w) + `' AND created_at BETWEEN ?2 AND ?3`
}

// adjustmentArm lists Credit's manual adjustments with their sign.
func adjustmentArm(w Wallet) string {
	return `SELECT created_at, printf('ADJ%012d', id), 'ADJUSTMENT', 'SUCCESS', '', ref, '', printf('ADJ%012d', id),
		amount_minor, 0, amount_minor, created_at, 0
		FROM ledger WHERE cust_id = ?1 AND kind = 'adjustment' AND wallet = '` + string(w) + `' AND created_at BETWEEN ?2 AND ?3`
}

// historyQuery is the wallet's page query: newest first, ties broken by
// source key so that a page boundary never repeats or skips a line of an
// unchanged list.
func historyQuery(w Wallet) string {
	return strings.Join(historyArms[w], "\nUNION ALL\n") + "\nORDER BY 1 DESC, 2 DESC LIMIT ?4 OFFSET ?5"
}

// history returns one page of the wallet's movements created in [from, to]
// (Unix ms), newest first.
func (s *Sandbox) history(ctx context.Context, cust string, w Wallet, from, to int64, limit, offset int) ([]historyItem, error) {
	rows, err := s.rdb.QueryContext(ctx, historyQuery(w), cust, from, to, limit, offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := ms(s.now())
	var items []historyItem
	for rows.Next() {
		var at, amount, fee, total, paidAt, expires int64
		var key, typ, status, method, desc, invoiceID, trxID string
		if err := rows.Scan(&at, &key, &typ, &status, &method, &desc, &invoiceID, &trxID, &amount, &fee, &total, &paidAt, &expires); err != nil {
			return nil, err
		}
		if expires != 0 {
			status = effectiveStatus(status, expires, now)
		}
		var it historyItem
		it.Amount, it.Status, it.Type = snap.IDR(amount), status, typ
		it.DateTime = bodyTime(fromMS(at))
		a := &it.AdditionalInfo
		a.CreatedTs, a.Desc, a.FeeAmount, a.InvoiceID = bodyTime(fromMS(at)), desc, snap.IDR(fee), invoiceID
		a.InvoiceType, a.MerchantID, a.PaymentMethod = "single", cust, method
		if paidAt != 0 {
			a.PaidTs = bodyTime(fromMS(paidAt))
		}
		a.ServiceCharge, a.TotalAmount, a.TransactionID = snap.IDR(0), snap.IDR(total), trxID
		a.Ts, a.TsLong = strconv.FormatInt(at, 10), at
		if invoiceID != "" {
			a.URLInvoice = s.payURL(trxID)
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// bodyTime is the body timestamp form Netzme uses, milliseconds with offset
// in Jakarta time (spec §2.11: "2022-10-27T08:49:58.511+07:00").
func bodyTime(t time.Time) string {
	return t.In(snap.Jakarta).Format("2006-01-02T15:04:05.000-07:00")
}

func newUUID() string {
	h := randHex(16)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

var errBadState = errors.New("sandbox: invalid state")
