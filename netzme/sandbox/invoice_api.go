package sandbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"lapak/netzme/qris"
	"lapak/snap"
)

// payMethods are the documented methods (spec §3.12) plus the extra names
// Netzme's QA tool offers.
var payMethods = map[string]bool{
	"BANK_TRANSFER": true, "NETZME": true, "BCA": true, "QRIS": true, "RETAIL_OUTLET": true, "OVO": true,
	"NETZME_SEAMLESS": true, "DANA": true, "CREDIT_CARD": true,
	"INDOMARET": true, "DKI": true, "VA_BCA": true, "VA_CIMB": true, "VA_BRI": true, "VA_BNI": true,
	"VA_MANDIRI": true, "VA_PERMATA": true, "VA_BCA_PZ": true,
}

// qrisLimitMinor is the per-transaction QRIS cap (qris §2: IDR 10,000,000).
const qrisLimitMinor = 10_000_000_00

// defaultExpiry applies when expireInSecond is absent (guess, spec §3.12: default not documented).
const defaultExpiry = time.Hour

var (
	lettersOnly = regexp.MustCompile(`^[A-Za-z ]*$`)
	terminalRe  = regexp.MustCompile(`^[A-Z][0-9]{2}$`)
)

type wAmountDetail struct {
	BasicAmount    *wAmount `json:"basicAmount"`
	ShippingAmount *wAmount `json:"shippingAmount"`
}

type wInvoiceInfo struct {
	Email       string `json:"email"`
	Notes       string `json:"notes"`
	Description string `json:"description"`
	PhoneNumber string `json:"phoneNumber"`
	ImageURL    string `json:"imageUrl"`
	Fullname    string `json:"fullname"`
	APISource   string `json:"apiSource"`
}

type wCreateInvoiceTrx struct {
	CustIDMerchant       string          `json:"custIdMerchant"`
	PartnerReferenceNo   string          `json:"partnerReferenceNo"`
	Amount               *wAmount        `json:"amount"`
	AmountDetail         *wAmountDetail  `json:"amountDetail"`
	PayMethod            string          `json:"payMethod"`
	CommissionPercentage json.RawMessage `json:"commissionPercentage"`
	ExpireInSecond       string          `json:"expireInSecond"`
	FeeType              string          `json:"feeType"`
	TerminalID           string          `json:"terminalId"`
	AdditionalInfo       *wInvoiceInfo   `json:"additionalInfo"`
}

// fee is the MDR on amountMinor, rounded half up.
func (s *Sandbox) fee(amountMinor int64) int64 {
	bp := int64(s.opts.FeeBasisPoints)
	if bp == 0 {
		bp = 70
	}
	if bp < 0 {
		return 0
	}
	return (amountMinor*bp + 5000) / 10000
}

func (s *Sandbox) payURL(trxID string) string {
	return strings.TrimRight(s.opts.PublicURL, "/") + "/sandbox/pay/" + trxID
}

// commission accepts the number or string forms the docs mix (spec §3.11, §3.12).
func commission(raw json.RawMessage) bool {
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	var str string
	if json.Unmarshal(raw, &str) != nil {
		str = string(raw)
	}
	v, err := strconv.ParseFloat(str, 64) // a percentage, not money
	return err == nil && v >= 0 && v <= 100
}

type vaData struct {
	BankCode         string `json:"bankCode"`
	VirtualAccountNo string `json:"virtualAccountNo"`
}

func virtualAccounts(method string) []vaData {
	switch {
	case method == "BANK_TRANSFER":
		return []vaData{{"MANDIRI", "88608" + randDigits(8)}, {"BNI", "8808" + randDigits(8)}, {"PERMATA", "7293" + randDigits(8)}}
	case method == "BCA":
		return []vaData{{"BCA", "32626" + randDigits(11)}}
	case strings.HasPrefix(method, "VA_"):
		return []vaData{{strings.TrimSuffix(strings.TrimPrefix(method, "VA_"), "_PZ"), "8" + randDigits(12)}}
	}
	return []vaData{}
}

// createInvoiceTransaction is spec §3.12 and, with apiSource=topup_deposit, §3.21.
func (s *Sandbox) createInvoiceTransaction(c *call) *reply {
	var req wCreateInvoiceTrx
	if rep := c.decode(&req); rep != nil {
		return rep
	}
	if rep := c.require("custIdMerchant", req.CustIDMerchant, "partnerReferenceNo", req.PartnerReferenceNo, "payMethod", req.PayMethod); rep != nil {
		return rep
	}
	amount, rep := c.amount("amount", req.Amount, true)
	if rep != nil {
		return rep
	}
	if req.AmountDetail == nil {
		return mandatory(c.svc, "amountDetail")
	}
	basic, rep := c.amount("amountDetail.basicAmount", req.AmountDetail.BasicAmount, false)
	if rep != nil {
		return rep
	}
	shipping, rep := c.amount("amountDetail.shippingAmount", req.AmountDetail.ShippingAmount, false)
	if rep != nil {
		return rep
	}
	if amount != basic+shipping {
		// guess, spec §3.12: the rule is not documented, but every example
		// and client sends amount = basicAmount + shippingAmount; a careful
		// gateway refuses a total that does not add up rather than pick one.
		return badFormat(c.svc, "amount")
	}
	if !payMethods[req.PayMethod] {
		return badFormat(c.svc, "payMethod")
	}
	if !commission(req.CommissionPercentage) {
		return badFormat(c.svc, "commissionPercentage")
	}
	expiry := defaultExpiry
	if req.ExpireInSecond != "" {
		n, err := strconv.Atoi(req.ExpireInSecond)
		if err != nil || n <= 0 || !digits(req.ExpireInSecond) {
			return badFormat(c.svc, "expireInSecond")
		}
		expiry = time.Duration(n) * time.Second
	}
	feeType := req.FeeType
	if feeType == "" {
		feeType = "on_seller"
	}
	if feeType != "on_seller" && feeType != "on_buyer" {
		return badFormat(c.svc, "feeType")
	}
	terminal := req.TerminalID
	if terminal == "" {
		terminal = "A01"
	}
	if !terminalRe.MatchString(terminal) {
		return badFormat(c.svc, "terminalId")
	}
	info := wInvoiceInfo{}
	if req.AdditionalInfo != nil {
		info = *req.AdditionalInfo
	}
	if !lettersOnly.MatchString(info.Fullname) {
		return badFormat(c.svc, "fullname") // letters only (spec §3.12)
	}
	if info.APISource != "" && info.APISource != "topup_deposit" {
		return badFormat(c.svc, "apiSource")
	}
	if req.PayMethod == "QRIS" && amount > qrisLimitMinor {
		return failRef(http.StatusForbidden, c.svc, "02", "Exceeds Transaction Amount Limit", req.PartnerReferenceNo)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.Merchant(c.ctx, req.CustIDMerchant)
	if err != nil {
		return failRef(http.StatusNotFound, c.svc, "08", "Invalid Merchant", req.PartnerReferenceNo)
	}
	var n int
	s.db.QueryRowContext(c.ctx, `SELECT COUNT(*) FROM invoice_trx WHERE partner_reference_no = ?`, req.PartnerReferenceNo).Scan(&n)
	if n > 0 {
		// guess, spec §2.10: duplicates are rejected at least for Deduct Deposit; SNAP 409xx01.
		return failRef(http.StatusConflict, c.svc, "01", "Duplicate partnerReferenceNo", req.PartnerReferenceNo)
	}
	fee := s.fee(amount)
	total := amount
	if feeType == "on_buyer" {
		total += fee
	}
	trxID := randHex(16)
	invoiceID := fmt.Sprintf("NETZ-INV-%s%d%s", m.CustID, c.now.UnixMilli(), randFrom(alnum, 3))
	invoiceNumber := randDigits(20)
	var payload, qrImage string
	if req.PayMethod == "QRIS" {
		// Bill number (tag 62-01) is at most 25 chars: the 20-digit invoice number fits, the trxId does not.
		payload, err = qris.Dynamic(m.qrisMerchant(), total, invoiceNumber)
		if err == nil {
			// DataURI reads its PNG back before returning it (choosing another
			// mask if need be), so every qrImage decodes to payload.
			qrImage, err = qris.DataURI(payload)
		}
		if err != nil {
			s.log.Error("sandbox: dynamic QRIS", "err", err)
			return serverError(c.svc)
		}
	}
	vas := virtualAccounts(req.PayMethod)
	vaJSON, _ := json.Marshal(vas)
	expires := c.now.Add(expiry)
	err = s.inTx(c.ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(c.ctx, `INSERT INTO invoices (invoice_id, cust_id, partner_reference_no, amount_minor, description, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			invoiceID, m.CustID, req.PartnerReferenceNo, amount, info.Description, ms(c.now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(c.ctx, `INSERT INTO invoice_trx (trx_id, invoice_id, cust_id, partner_reference_no, pay_method, api_source, amount_minor, fee_minor, fee_type,
			description, notes, email, phone, fullname, terminal_id, invoice_number, qris_payload, va_json, status, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'INIT', ?, ?)`,
			trxID, invoiceID, m.CustID, req.PartnerReferenceNo, req.PayMethod, info.APISource, amount, fee, feeType,
			info.Description, info.Notes, info.Email, info.PhoneNumber, info.Fullname, terminal, invoiceNumber, payload, string(vaJSON), ms(c.now), ms(expires))
		return err
	})
	if err != nil {
		s.log.Error("sandbox: create invoice transaction", "err", err)
		return serverError(c.svc)
	}
	type addInfo struct {
		ID                 string      `json:"id"`
		TrxID              string      `json:"trxId"`
		ExpiredTs          string      `json:"expiredTs"`
		CreatedTs          string      `json:"createdTs"`
		VirtualAccountData []vaData    `json:"virtualAccountData"`
		RetailOutletData   []any       `json:"retailOutletData"`
		Statistic          []any       `json:"statistic"`
		Status             bool        `json:"status"`
		QRImage            string      `json:"qrImage,omitempty"`
		TerminalID         string      `json:"terminalId,omitempty"`
		NMID               string      `json:"nmid,omitempty"`
		FeeAmount          snap.Amount `json:"feeAmount"`
		TotalAmount        snap.Amount `json:"totalAmount"`
	}
	ai := addInfo{ID: invoiceID, TrxID: trxID, ExpiredTs: bodyTime(expires), CreatedTs: bodyTime(c.now), VirtualAccountData: vas,
		RetailOutletData: []any{}, Statistic: []any{}, Status: true, FeeAmount: snap.IDR(fee), TotalAmount: snap.IDR(total)}
	if req.PayMethod == "QRIS" {
		ai.QRImage, ai.TerminalID, ai.NMID = qrImage, terminal, m.NMID
	}
	return ok(struct {
		snap.Response
		PartnerReferenceNo string  `json:"partnerReferenceNo"`
		PayMethod          string  `json:"payMethod"`
		PaymentURL         string  `json:"paymentUrl"`
		AdditionalInfo     addInfo `json:"additionalInfo"`
	}{success(c.svc), req.PartnerReferenceNo, req.PayMethod, s.payURL(trxID), ai})
}

type wCreateInvoice struct {
	CustIDMerchant       string          `json:"custIdMerchant"`
	PartnerReferenceNo   string          `json:"partnerReferenceNo"`
	Amount               *wAmount        `json:"amount"`
	AmountDetail         *wAmountDetail  `json:"amountDetail"`
	CommissionPercentage json.RawMessage `json:"commissionPercentage"`
	AdditionalInfo       *wInvoiceInfo   `json:"additionalInfo"`
}

// createInvoice is spec §3.11: an invoice without a payment attempt.
func (s *Sandbox) createInvoice(c *call) *reply {
	var req wCreateInvoice
	if rep := c.decode(&req); rep != nil {
		return rep
	}
	if rep := c.require("custIdMerchant", req.CustIDMerchant, "partnerReferenceNo", req.PartnerReferenceNo); rep != nil {
		return rep
	}
	amount, rep := c.amount("amount", req.Amount, true)
	if rep != nil {
		return rep
	}
	if !commission(req.CommissionPercentage) {
		return badFormat(c.svc, "commissionPercentage")
	}
	desc := ""
	if req.AdditionalInfo != nil {
		desc = req.AdditionalInfo.Description
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.Merchant(c.ctx, req.CustIDMerchant)
	if err != nil {
		return failRef(http.StatusNotFound, c.svc, "08", "Invalid Merchant", req.PartnerReferenceNo)
	}
	var n int
	s.db.QueryRowContext(c.ctx, `SELECT COUNT(*) FROM invoices WHERE partner_reference_no = ?`, req.PartnerReferenceNo).Scan(&n)
	if n > 0 {
		return failRef(http.StatusConflict, c.svc, "01", "Duplicate partnerReferenceNo", req.PartnerReferenceNo)
	}
	invoiceID := fmt.Sprintf("NETZ-INV-%s%d%s", m.CustID, c.now.UnixMilli(), randFrom(alnum, 3))
	if _, err := s.db.ExecContext(c.ctx, `INSERT INTO invoices (invoice_id, cust_id, partner_reference_no, amount_minor, description, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		invoiceID, m.CustID, req.PartnerReferenceNo, amount, desc, ms(c.now)); err != nil {
		return serverError(c.svc)
	}
	type info struct {
		InvoiceID string `json:"invoiceId"`
		Status    bool   `json:"status"`
	}
	return ok(struct {
		snap.Response
		PartnerReferenceNo string `json:"partnerReferenceNo"`
		AdditionalInfo     info   `json:"additionalInfo"`
	}{success(c.svc), req.PartnerReferenceNo, info{invoiceID, true}})
}

type wDetailRequest struct {
	OriginalPartnerReferenceNo string `json:"originalPartnerReferenceNo"`
	AdditionalInfo             *struct {
		PartnerReferenceNo string `json:"partnerReferenceNo"`
	} `json:"additionalInfo"`
}

func (c *call) detailRequest() (key, partnerRef string, rep *reply) {
	var req wDetailRequest
	if rep := c.decode(&req); rep != nil {
		return "", "", rep
	}
	if req.AdditionalInfo != nil {
		partnerRef = req.AdditionalInfo.PartnerReferenceNo
	}
	if rep := c.require("originalPartnerReferenceNo", req.OriginalPartnerReferenceNo, "additionalInfo.partnerReferenceNo", partnerRef); rep != nil {
		return "", "", rep
	}
	return req.OriginalPartnerReferenceNo, partnerRef, nil
}

// effectiveStatus closes an unpaid transaction whose expiry has passed
// (CLOSED covers expiry — inferred, spec §5.1).
func effectiveStatus(status string, expiresAt, now int64) string {
	if status == "INIT" && now >= expiresAt {
		return "CLOSED"
	}
	return status
}

// InvoiceTransaction is the sandbox's record of one invoice transaction.
type InvoiceTransaction struct {
	TrxID, InvoiceID, CustID, PartnerReferenceNo string
	PayMethod, APISource, FeeType                string
	Amount                                       snap.Amount // as requested, for assertions on the wire form
	AmountMinor, FeeMinor, TotalMinor            int64       // TotalMinor: what the buyer must pay
	Description, Email, Phone, Fullname          string
	TerminalID, InvoiceNumber, QRISPayload       string
	Status                                       string // INIT, SUCCESS or CLOSED (spec §3.14)
	ClosedReason                                 string // "expired" or "failed"
	PaidAmountMinor, PaidFeeMinor                int64
	ReferenceID                                  string // QRIS rrn+date+issuer when paid by QRIS
	CreatedAt, ExpiresAt, PaidAt                 time.Time
}

const trxCols = `trx_id, invoice_id, cust_id, partner_reference_no, pay_method, api_source, fee_type, amount_minor, fee_minor,
	description, email, phone, fullname, terminal_id, invoice_number, qris_payload, status, closed_reason,
	paid_amount_minor, paid_fee_minor, reference_id, created_at, expires_at, paid_at`

func (s *Sandbox) scanTrx(r rowScanner) (InvoiceTransaction, error) {
	var t InvoiceTransaction
	var created, expires, paid int64
	err := r.Scan(&t.TrxID, &t.InvoiceID, &t.CustID, &t.PartnerReferenceNo, &t.PayMethod, &t.APISource, &t.FeeType, &t.AmountMinor, &t.FeeMinor,
		&t.Description, &t.Email, &t.Phone, &t.Fullname, &t.TerminalID, &t.InvoiceNumber, &t.QRISPayload, &t.Status, &t.ClosedReason,
		&t.PaidAmountMinor, &t.PaidFeeMinor, &t.ReferenceID, &created, &expires, &paid)
	if err != nil {
		return t, err
	}
	if st := effectiveStatus(t.Status, expires, ms(s.now())); st != t.Status {
		t.Status, t.ClosedReason = st, "expired"
	}
	t.Amount = snap.IDR(t.AmountMinor)
	t.TotalMinor = t.AmountMinor
	if t.FeeType == "on_buyer" {
		t.TotalMinor += t.FeeMinor
	}
	t.CreatedAt, t.ExpiresAt, t.PaidAt = fromMS(created), fromMS(expires), fromMS(paid)
	return t, nil
}

// InvoiceTransactions returns every invoice transaction, newest first.
func (s *Sandbox) InvoiceTransactions(ctx context.Context) ([]InvoiceTransaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.db.QueryContext(ctx, `SELECT `+trxCols+` FROM invoice_trx ORDER BY created_at DESC, rowid DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []InvoiceTransaction
	for rows.Next() {
		t, err := s.scanTrx(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// pageOpenLimit bounds the open invoices the sandbox page lists: a seeded
// database holds hundreds of thousands.
const pageOpenLimit = 50

// openInvoiceTransactions returns at most limit payable (INIT, not expired)
// transactions, newest first.
func (s *Sandbox) openInvoiceTransactions(ctx context.Context, limit int) ([]InvoiceTransaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.db.QueryContext(ctx, `SELECT `+trxCols+` FROM invoice_trx WHERE status = 'INIT' AND expires_at > ?
		ORDER BY created_at DESC, rowid DESC LIMIT ?`, ms(s.now()), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []InvoiceTransaction
	for rows.Next() {
		t, err := s.scanTrx(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// InvoiceTransaction returns one transaction by trxId or partnerReferenceNo.
func (s *Sandbox) InvoiceTransaction(ctx context.Context, key string) (InvoiceTransaction, error) {
	return s.trx(ctx, s.rdb, key)
}

func (s *Sandbox) trx(ctx context.Context, q querier, key string) (InvoiceTransaction, error) {
	t, err := s.scanTrx(q.QueryRowContext(ctx, `SELECT `+trxCols+` FROM invoice_trx WHERE trx_id = ? OR partner_reference_no = ?`, key, key))
	if isNoRows(err) {
		return t, fmt.Errorf("%w: invoice transaction %q", errNotFound, key)
	}
	return t, err
}

// legacyInvoiceStatus is the lower-case invoiceStatus (guess, spec §3.14:
// values not documented; the legacy paid status was "paid").
func legacyInvoiceStatus(t InvoiceTransaction) string {
	switch {
	case t.Status == "SUCCESS":
		return "paid"
	case t.Status == "CLOSED" && t.ClosedReason == "failed":
		return "failed"
	case t.Status == "CLOSED":
		return "expired"
	}
	return "unpaid"
}

// getInvoiceTransaction is spec §3.14. The key may be the trxId or the
// partner's partnerReferenceNo: the docs say one and show the other.
func (s *Sandbox) getInvoiceTransaction(c *call) *reply {
	key, partnerRef, rep := c.detailRequest()
	if rep != nil {
		return rep
	}
	t, err := s.trx(c.ctx, s.rdb, key)
	if err != nil {
		return failRef(http.StatusNotFound, c.svc, "01", "Transaction Not Found", partnerRef)
	}
	paidTs, dateTime := "", bodyTime(t.CreatedAt)
	total, fee := t.TotalMinor, t.FeeMinor
	if t.Status == "SUCCESS" {
		paidTs, dateTime = bodyTime(t.PaidAt), bodyTime(t.PaidAt)
		total, fee = t.PaidAmountMinor, t.PaidFeeMinor
	}
	type nested struct {
		ExpiredTs string `json:"expiredTs"`
	}
	type info struct {
		AmountLong       int64       `json:"amountLong"`
		CreatedTs        string      `json:"createdTs"`
		Desc             string      `json:"desc"`
		DescFromBuyer    string      `json:"descFromBuyer"`
		DescFromMerchant string      `json:"descFromMerchant"`
		Email            string      `json:"email"`
		ExpiredTs        string      `json:"expiredTs"`
		PaymentMethod    string      `json:"paymentMethod"`
		PaymentURL       string      `json:"paymentUrl"`
		AdditionalInfo   nested      `json:"additionalInfo"`
		FeeAmount        snap.Amount `json:"feeAmount"`
		FeeAmountLong    int64       `json:"feeAmountLong"`
		FeeType          string      `json:"feeType"`
		FullName         string      `json:"fullName"`
		InvoiceID        string      `json:"invoiceId"`
		InvoiceStatus    string      `json:"invoiceStatus"`
		CustIDMerchant   string      `json:"custIdMerchant"`
		PaidTs           string      `json:"paidTs,omitempty"`
		PayMethod        string      `json:"payMethod"`
		PhoneNo          string      `json:"phoneNo"`
		RetailOutletData []any       `json:"retailOutletData"`
		TotalAmount      snap.Amount `json:"totalAmount"`
		TotalAmountLong  int64       `json:"totalAmountLong"`
	}
	// The *Long fields are whole rupiah (guess, spec §3.14: unit not documented).
	return ok(struct {
		snap.Response
		PartnerReferenceNo string      `json:"partnerReferenceNo"`
		ReferenceNo        string      `json:"referenceNo"`
		Amount             snap.Amount `json:"amount"`
		Type               string      `json:"type"`
		Status             string      `json:"status"`
		DateTime           string      `json:"dateTime"`
		AdditionalInfo     info        `json:"additionalInfo"`
	}{success(c.svc), partnerRef, t.TrxID, snap.IDR(t.AmountMinor), "PAYMENT", t.Status, dateTime, info{
		AmountLong: t.AmountMinor / 100, CreatedTs: bodyTime(t.CreatedAt), Desc: t.Description, DescFromMerchant: t.Description,
		Email: t.Email, ExpiredTs: bodyTime(t.ExpiresAt), PaymentMethod: t.PayMethod, PaymentURL: s.payURL(t.TrxID),
		AdditionalInfo: nested{bodyTime(t.ExpiresAt)}, FeeAmount: snap.IDR(fee), FeeAmountLong: fee / 100, FeeType: t.FeeType,
		FullName: t.Fullname, InvoiceID: t.InvoiceID, InvoiceStatus: legacyInvoiceStatus(t), CustIDMerchant: t.CustID,
		PaidTs: paidTs, PayMethod: t.PayMethod, PhoneNo: t.Phone, RetailOutletData: []any{},
		TotalAmount: snap.IDR(total), TotalAmountLong: total / 100,
	}})
}

// QRISPayment is one QRIS payment received by a merchant (invoice or static).
type QRISPayment struct {
	ReferenceID   string // rrn + YYYYMMDD + issuer id: the key of spec §3.10
	RRN           string
	LocalDate     string // YYYYMMDD, Jakarta
	IssuerID      string
	CustID        string
	TrxID         string // "" for a static-QRIS payment
	AmountMinor   int64
	FeeMinor      int64
	CustomerPAN   string
	BuyerName     string
	TerminalID    string
	InvoiceNumber string
	TransactionID string
	CreatedAt     time.Time
}

const qrisCols = `reference_id, rrn, local_date, issuer_id, cust_id, trx_id, amount_minor, fee_minor, customer_pan, buyer_name, terminal_id, invoice_number, transaction_id, created_at`

func scanQRIS(r rowScanner) (QRISPayment, error) {
	var p QRISPayment
	var at int64
	err := r.Scan(&p.ReferenceID, &p.RRN, &p.LocalDate, &p.IssuerID, &p.CustID, &p.TrxID, &p.AmountMinor, &p.FeeMinor,
		&p.CustomerPAN, &p.BuyerName, &p.TerminalID, &p.InvoiceNumber, &p.TransactionID, &at)
	p.CreatedAt = fromMS(at)
	return p, err
}

// qrisAcquire is spec §3.10. The key is the rrn+date+issuer referenceId; a
// bare 12-char RRN is accepted too (guess, the docs only say "rrn").
func (s *Sandbox) qrisAcquire(c *call) *reply {
	key, partnerRef, rep := c.detailRequest()
	if rep != nil {
		return rep
	}
	p, err := scanQRIS(s.rdb.QueryRowContext(c.ctx, `SELECT `+qrisCols+` FROM qris_payments WHERE reference_id = ? OR rrn = ? ORDER BY created_at DESC LIMIT 1`, key, key))
	if err != nil {
		return failRef(http.StatusNotFound, c.svc, "01", "Transaction Not Found", partnerRef)
	}
	m, err := s.Merchant(c.ctx, p.CustID)
	if err != nil {
		return serverError(c.svc)
	}
	type info struct {
		AcquirerID           string `json:"acquirerId"`
		CustomerName         string `json:"customerName"`
		CustomerPan          string `json:"customerPan"`
		InvoiceNumber        string `json:"invoiceNumber"`
		InvoiceTransactionID string `json:"invoiceTransactionId"`
		IsOnUs               bool   `json:"isOnUs"`
		IssuerID             string `json:"issuerId"`
		MerchantCity         string `json:"merchantCity"`
		MerchantCriteria     string `json:"merchantCriteria"`
		MerchantName         string `json:"merchantName"`
		MerchantType         string `json:"merchantType"`
		Status               string `json:"status"`
		TerminalID           string `json:"terminalId"`
		Ts                   string `json:"ts"`
	}
	return ok(struct {
		snap.Response
		PartnerReferenceNo         string      `json:"partnerReferenceNo"`
		OriginalPartnerReferenceNo string      `json:"originalPartnerReferenceNo"`
		ReferenceNo                string      `json:"referenceNo"`
		Amount                     snap.Amount `json:"amount"`
		MdrAmount                  snap.Amount `json:"mdrAmount"`
		DateTime                   string      `json:"dateTime"`
		Type                       string      `json:"type"`
		Status                     string      `json:"status"`
		AdditionalInfo             info        `json:"additionalInfo"`
	}{success(c.svc), partnerRef, p.ReferenceID, p.TransactionID, snap.IDR(p.AmountMinor), snap.IDR(p.FeeMinor), bodyTime(p.CreatedAt),
		"pay_qris", "SUCCESS", info{
			AcquirerID: netzmeNNS, CustomerName: p.BuyerName, CustomerPan: p.CustomerPAN, InvoiceNumber: p.InvoiceNumber,
			InvoiceTransactionID: p.TrxID, IsOnUs: p.IssuerID == netzmeNNS, IssuerID: p.IssuerID, MerchantCity: m.City,
			MerchantCriteria: m.Criteria, MerchantName: m.Name, MerchantType: m.MCC, Status: "SUCCESS", TerminalID: p.TerminalID,
			Ts: bodyTime(p.CreatedAt),
		}})
}

// QRISPayments returns every QRIS payment, newest first.
func (s *Sandbox) QRISPayments(ctx context.Context) ([]QRISPayment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.db.QueryContext(ctx, `SELECT `+qrisCols+` FROM qris_payments ORDER BY created_at DESC, rowid DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QRISPayment
	for rows.Next() {
		p, err := scanQRIS(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

type wDeduct struct {
	ReferenceNo        string   `json:"referenceNo"`
	PartnerReferenceNo string   `json:"partnerReferenceNo"`
	Amount             *wAmount `json:"amount"`
	FeeAmount          *wAmount `json:"feeAmount"`
	AdditionalInfo     *struct {
		CustIDMerchant string `json:"custIdMerchant"`
		SKU            string `json:"sku"`
		ProductName    string `json:"productName"`
		PaymentStatus  string `json:"paymentStatus"`
		PayMethod      string `json:"payMethod"`
		BankName       string `json:"bankName"`
		Qty            string `json:"qty"`
		Desc           string `json:"desc"`
		Type           string `json:"type"`
	} `json:"additionalInfo"`
}

// deductDeposit is spec §3.20: the fee of an outside payment is taken from
// the merchant's deposit.
func (s *Sandbox) deductDeposit(c *call) *reply {
	var req wDeduct
	if rep := c.decode(&req); rep != nil {
		return rep
	}
	if req.AdditionalInfo == nil {
		return mandatory(c.svc, "additionalInfo")
	}
	ai := req.AdditionalInfo
	if rep := c.require("referenceNo", req.ReferenceNo, "partnerReferenceNo", req.PartnerReferenceNo,
		"amount", valueOf(req.Amount), "feeAmount", valueOf(req.FeeAmount),
		"custIdMerchant", ai.CustIDMerchant, "sku", ai.SKU, "productName", ai.ProductName, "paymentStatus", ai.PaymentStatus,
		"payMethod", ai.PayMethod, "bankName", ai.BankName, "type", ai.Type); rep != nil {
		return rep
	}
	if ai.Type != "payment_notification_to_split_fee" {
		return failRef(http.StatusBadRequest, c.svc, "01", "Invalid Field Format type", req.PartnerReferenceNo)
	}
	if req.Amount.Currency != "IDR" || req.FeeAmount.Currency != "IDR" {
		return failRef(http.StatusNotFound, c.svc, "24", "Invalid Currency.", req.PartnerReferenceNo)
	}
	amount, rep := c.amount("amount", req.Amount, true)
	if rep != nil {
		return rep
	}
	fee, rep := c.amount("feeAmount", req.FeeAmount, false)
	if rep != nil {
		return rep
	}
	if ai.PaymentStatus != "SUCCESS" {
		return badFormat(c.svc, "paymentStatus") // the legacy side accepts only paid (spec §3.20)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out *reply
	err := s.inTx(c.ctx, func(tx *sql.Tx) error {
		if _, err := merchantTx(c.ctx, tx, ai.CustIDMerchant); err != nil {
			out = failRef(http.StatusNotFound, c.svc, "08", "Invalid Merchant", req.PartnerReferenceNo)
			return nil
		}
		var n int
		tx.QueryRowContext(c.ctx, `SELECT COUNT(*) FROM deductions WHERE partner_reference_no = ?`, req.PartnerReferenceNo).Scan(&n)
		if n > 0 {
			out = failRef(http.StatusConflict, c.svc, "01", "Duplicate partnerReferenceNo", req.PartnerReferenceNo)
			return nil
		}
		b, err := s.balances(c.ctx, tx, ai.CustIDMerchant)
		if err != nil {
			return err
		}
		if b.DepositMinor < fee {
			out = failRef(http.StatusForbidden, c.svc, "14", "Insufficient Funds", req.PartnerReferenceNo)
			return nil
		}
		if _, err := tx.ExecContext(c.ctx, `INSERT INTO deductions (partner_reference_no, reference_no, cust_id, amount_minor, fee_minor, product_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			req.PartnerReferenceNo, req.ReferenceNo, ai.CustIDMerchant, amount, fee, ai.ProductName, ms(c.now)); err != nil {
			return err
		}
		return s.post(c.ctx, tx, ai.CustIDMerchant, WalletDeposit, -fee, "deduction", req.PartnerReferenceNo)
	})
	if err != nil {
		s.log.Error("sandbox: deduct deposit", "err", err)
		return serverError(c.svc)
	}
	if out != nil {
		return out
	}
	return ok(struct {
		snap.Response
		PartnerReferenceNo string   `json:"partnerReferenceNo"`
		ReferenceNo        string   `json:"referenceNo"`
		AdditionalInfo     typeInfo `json:"additionalInfo"`
	}{success(c.svc), req.PartnerReferenceNo, req.ReferenceNo, typeInfo{"payment_notification_to_split_fee"}})
}

func valueOf(a *wAmount) string {
	if a == nil {
		return ""
	}
	return a.Value
}
