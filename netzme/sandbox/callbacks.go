package sandbox

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"lapak/snap"
)

// Delivery is one callback the sandbox sent or will send.
type Delivery struct {
	ID             int64
	Kind           string // "invoice", "qris" or "withdraw"
	URL            string
	Ref            string // trxId, QRIS referenceId or withdrawal id
	Body           []byte
	Status         string // pending, delivered, dropped, failed, skipped
	Attempts       int
	LastHTTPStatus int
	LastError      string
	CreatedAt      time.Time
	DeliveredAt    time.Time
}

// enqueue stores a callback inside the transaction that changed the state,
// so a state change and its notification are never separated. Callback
// faults are decided here.
func (s *Sandbox) enqueue(ctx context.Context, tx *sql.Tx, kind, path, ref string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	// Only the path is stored: after a restart with another
	// CallbackBaseURL, pending callbacks go to the new address.
	status := "pending"
	if s.opts.CallbackBaseURL == "" {
		status = "skipped"
	}
	now := time.Now()
	notBefore := now
	copies := 1
	if status == "pending" {
		if f, ok := s.takeCallbackFault(); ok {
			switch f.Kind {
			case CallbackDrop:
				status = "dropped"
			case CallbackDelay:
				notBefore = now.Add(f.Delay)
			case CallbackDuplicate:
				copies = 2
			}
		}
	}
	for range copies {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (kind, path, body, ref, status, not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			kind, path, b, ref, status, ms(notBefore), ms(now)); err != nil {
			return fmt.Errorf("sandbox: enqueue %s callback: %w", kind, err)
		}
	}
	return nil
}

const deliveryCols = `id, kind, path, ref, body, status, attempts, last_http_status, last_error, created_at, delivered_at`

func (s *Sandbox) scanDelivery(r rowScanner) (Delivery, error) {
	var d Delivery
	var created, delivered int64
	var path string
	err := r.Scan(&d.ID, &d.Kind, &path, &d.Ref, &d.Body, &d.Status, &d.Attempts, &d.LastHTTPStatus, &d.LastError, &created, &delivered)
	d.CreatedAt, d.DeliveredAt = fromMS(created), fromMS(delivered)
	if s.opts.CallbackBaseURL != "" {
		d.URL = strings.TrimRight(s.opts.CallbackBaseURL, "/") + path
	}
	return d, err
}

// Deliveries returns every callback, oldest first.
func (s *Sandbox) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.db.Query(`SELECT ` + deliveryCols + ` FROM deliveries ORDER BY id`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		if d, err := s.scanDelivery(rows); err == nil {
			out = append(out, d)
		}
	}
	return out
}

// WaitIdle blocks until no callback is pending or in flight (delivered,
// dropped, failed or skipped), or ctx ends.
func (s *Sandbox) WaitIdle(ctx context.Context) error {
	for {
		s.mu.Lock()
		var n int
		err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE status = 'pending'`).Scan(&n)
		s.mu.Unlock()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sandbox: %d callbacks still pending: %w", n, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// WaitDelivered blocks until at least n callbacks were delivered, or ctx ends.
func (s *Sandbox) WaitDelivered(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		var got int
		err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'`).Scan(&got)
		s.mu.Unlock()
		if err != nil {
			return err
		}
		if got >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sandbox: %d of %d callbacks delivered: %w", got, n, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// poke wakes the worker early.
func (s *Sandbox) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// worker settles due withdrawals and delivers due callbacks until Close.
func (s *Sandbox) worker() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sends sync.WaitGroup
	defer sends.Wait()
	go func() {
		<-s.closed
		cancel() // aborts in-flight deliveries
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.closed:
			return
		case <-tick.C:
		case <-s.wake:
		}
		s.settleDue(ctx)
		for _, d := range s.dueDeliveries(ctx) {
			sends.Add(1)
			go func() {
				defer sends.Done()
				s.deliver(ctx, d)
			}()
		}
	}
}

func (s *Sandbox) dueDeliveries(ctx context.Context) []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE status = 'pending' AND not_before <= ? ORDER BY id LIMIT 20`, ms(time.Now()))
	if err != nil {
		return nil
	}
	defer rows.Close()
	s.fmu.Lock()
	defer s.fmu.Unlock()
	var out []Delivery
	for rows.Next() {
		d, err := s.scanDelivery(rows)
		if err != nil || s.inflight[d.ID] {
			continue
		}
		s.inflight[d.ID] = true
		out = append(out, d)
	}
	return out
}

func (s *Sandbox) attempts() int {
	if s.opts.CallbackAttempts > 0 {
		return s.opts.CallbackAttempts
	}
	return 8
}

func (s *Sandbox) backoff(attempt int) time.Duration {
	d := s.opts.CallbackBackoff
	if d <= 0 {
		d = 500 * time.Millisecond
	}
	for i := 1; i < attempt && d < 30*time.Second; i++ {
		d *= 2
	}
	return min(d, 30*time.Second)
}

// deliver makes one attempt, as Netzme does (spec §2.9, §3.15): JSON body,
// x-callback-token header, success on any 2xx.
func (s *Sandbox) deliver(ctx context.Context, d Delivery) {
	defer func() {
		s.fmu.Lock()
		delete(s.inflight, d.ID)
		s.fmu.Unlock()
	}()
	status, errText := 0, ""
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-callback-token", s.id.CallbackToken)
		var resp *http.Response
		resp, err = s.client.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			status = resp.StatusCode
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return // closing: leave it pending for the next Open
		}
		errText = err.Error()
	}
	attempts := d.Attempts + 1
	newStatus, notBefore, delivered := "pending", time.Now().Add(s.backoff(attempts)), int64(0)
	switch {
	case status >= 200 && status < 300:
		newStatus, delivered = "delivered", ms(time.Now())
	case attempts >= s.attempts():
		newStatus = "failed"
	}
	if errText == "" && newStatus != "delivered" {
		errText = fmt.Sprintf("HTTP %d", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.db.Exec(`UPDATE deliveries SET status = ?, attempts = ?, last_http_status = ?, last_error = ?, not_before = ?, delivered_at = ? WHERE id = ?`,
		newStatus, attempts, status, errText, ms(notBefore), delivered, d.ID); err != nil {
		s.log.Error("sandbox: delivery update", "err", err)
	}
	s.log.Info("sandbox: callback", "kind", d.Kind, "ref", d.Ref, "attempt", attempts, "status", status, "result", newStatus)
}

// Payment is the outcome of a simulated payment.
type Payment struct {
	TrxID              string
	InvoiceID          string
	PartnerReferenceNo string
	AmountMinor        int64 // what the buyer paid
	FeeMinor           int64
	NetMinor           int64 // credited to the merchant
	ReferenceID        string
	RRN                string
}

// PayInvoice pays an open invoice transaction (by trxId or partner
// reference) with amountMinor sen — the exact total, or a different amount
// to simulate a wrong payment; 0 means the exact total. The merchant's
// balance (or deposit, for a top-up) is credited and the invoice callback of
// spec §3.15 is queued.
func (s *Sandbox) PayInvoice(ctx context.Context, trxID string, amountMinor int64) (Payment, error) {
	select {
	case <-s.closed:
		return Payment{}, errClosed
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var p Payment
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		t, err := s.trx(ctx, tx, trxID)
		if err != nil {
			return err
		}
		if t.Status != "INIT" {
			return fmt.Errorf("%w: invoice transaction %s is %s", errBadState, t.TrxID, t.Status)
		}
		m, err := merchantTx(ctx, tx, t.CustID)
		if err != nil {
			return err
		}
		if amountMinor == 0 {
			amountMinor = t.TotalMinor
		}
		if amountMinor < 0 {
			return fmt.Errorf("sandbox: negative payment %d", amountMinor)
		}
		fee := t.FeeMinor
		if t.FeeType == "on_seller" || amountMinor != t.TotalMinor {
			fee = s.fee(amountMinor)
		}
		now := s.now()
		p = Payment{TrxID: t.TrxID, InvoiceID: t.InvoiceID, PartnerReferenceNo: t.PartnerReferenceNo,
			AmountMinor: amountMinor, FeeMinor: fee, NetMinor: amountMinor - fee}
		var qp *QRISPayment
		if t.PayMethod == "QRIS" {
			q := s.newQRISPayment(m, t.TrxID, amountMinor, fee, t.TerminalID, t.InvoiceNumber, now)
			if err := insertQRIS(ctx, tx, q); err != nil {
				return err
			}
			qp, p.ReferenceID, p.RRN = &q, q.ReferenceID, q.RRN
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invoice_trx SET status = 'SUCCESS', paid_amount_minor = ?, paid_fee_minor = ?, paid_at = ?, reference_id = ? WHERE trx_id = ? AND status = 'INIT'`,
			amountMinor, fee, ms(now), p.ReferenceID, t.TrxID); err != nil {
			return err
		}
		wallet, kind := WalletBalance, "payment"
		if t.APISource == "topup_deposit" {
			wallet, kind = WalletDeposit, "topup"
		}
		if err := s.post(ctx, tx, m.CustID, wallet, p.NetMinor, kind, t.TrxID); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, "invoice", "/callbacks/netzme/invoice", t.TrxID, invoiceCallback(t, m, p, qp, now))
	})
	if err != nil {
		return Payment{}, fmt.Errorf("sandbox: pay %s: %w", trxID, err)
	}
	s.poke()
	return p, nil
}

// FailInvoice closes an open invoice transaction as failed. Netzme documents
// no failure callback (spec §3.15, §5.1), so none is sent; Get Invoice
// Transaction then answers CLOSED.
func (s *Sandbox) FailInvoice(ctx context.Context, trxID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.trx(ctx, s.db, trxID)
	if err != nil {
		return err
	}
	if t.Status != "INIT" {
		return fmt.Errorf("%w: invoice transaction %s is %s", errBadState, t.TrxID, t.Status)
	}
	_, err = s.db.ExecContext(ctx, `UPDATE invoice_trx SET status = 'CLOSED', closed_reason = 'failed' WHERE trx_id = ? AND status = 'INIT'`, t.TrxID)
	return err
}

// PayStaticQRIS simulates a buyer scanning the merchant's static QRIS and
// paying amountMinor sen: the balance is credited net of MDR and the QRIS
// callback of spec §3.16 is queued.
func (s *Sandbox) PayStaticQRIS(ctx context.Context, custID string, amountMinor int64) (QRISPayment, error) {
	select {
	case <-s.closed:
		return QRISPayment{}, errClosed
	default:
	}
	if amountMinor <= 0 || amountMinor > qrisLimitMinor {
		return QRISPayment{}, fmt.Errorf("sandbox: QRIS amount %d sen out of range", amountMinor)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var q QRISPayment
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		m, err := merchantTx(ctx, tx, custID)
		if err != nil {
			return err
		}
		now := s.now()
		q = s.newQRISPayment(m, "", amountMinor, s.fee(amountMinor), "A01", randDigits(20), now)
		if err := insertQRIS(ctx, tx, q); err != nil {
			return err
		}
		if err := s.post(ctx, tx, custID, WalletBalance, amountMinor-q.FeeMinor, "qris", q.ReferenceID); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, "qris", "/callbacks/netzme/qris", q.ReferenceID, qrisCallback(q, m))
	})
	if err != nil {
		return QRISPayment{}, fmt.Errorf("sandbox: pay static QRIS %s: %w", custID, err)
	}
	s.poke()
	return q, nil
}

func (s *Sandbox) newQRISPayment(m Merchant, trxID string, amount, fee int64, terminal, invoiceNumber string, now time.Time) QRISPayment {
	rrn := randFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 12)
	date := now.In(snap.Jakarta).Format("20060102")
	issuer := netzmeNNS
	return QRISPayment{
		ReferenceID: rrn + date + issuer, RRN: rrn, LocalDate: date, IssuerID: issuer, CustID: m.CustID, TrxID: trxID,
		AmountMinor: amount, FeeMinor: fee, CustomerPAN: issuer + randDigits(8), BuyerName: "Pembeli Sandbox",
		TerminalID: terminal, InvoiceNumber: invoiceNumber, TransactionID: randDigits(20), CreatedAt: now,
	}
}

func insertQRIS(ctx context.Context, tx *sql.Tx, q QRISPayment) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO qris_payments (`+qrisCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		q.ReferenceID, q.RRN, q.LocalDate, q.IssuerID, q.CustID, q.TrxID, q.AmountMinor, q.FeeMinor, q.CustomerPAN, q.BuyerName,
		q.TerminalID, q.InvoiceNumber, q.TransactionID, ms(q.CreatedAt))
	return err
}

// legacyAmount is the "IDR 10002.00" form used inside qrDetail (spec §3.15).
func legacyAmount(minor int64) string { return "IDR " + snap.FormatAmount(minor) }

func pad(s string, n int, with string) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(with, n-len(s))
}

// invoiceCallback is the body of spec §3.15, shaped like its Example 1
// (QRIS) or Example 2 (other methods), misspellings included.
func invoiceCallback(t InvoiceTransaction, m Merchant, p Payment, q *QRISPayment, now time.Time) map[string]any {
	info := map[string]any{
		"custIdMerchant": m.CustID,
		"paymentTime":    bodyTime(now),
		"paymentMethod":  t.PayMethod,
		"invoiceId":      t.InvoiceID,
	}
	if va := virtualAccountsBank(t.PayMethod); va != "" {
		info["bankCode"] = va
	}
	if q != nil {
		info["qrDetail"] = map[string]any{
			"amount":           legacyAmount(q.AmountMinor),
			"netAmount":        legacyAmount(q.AmountMinor - q.FeeMinor),
			"issuerName":       "Netzme",
			"issuerId":         q.IssuerID,
			"terminalId":       q.TerminalID,
			"buyerUserId":      q.CustomerPAN,
			"customerPan":      q.CustomerPAN,
			"merchantFee":      legacyAmount(q.FeeMinor),
			"merchantPan":      m.MPAN,
			"referenceId":      q.ReferenceID,
			"acquirerName":     "Netzme",
			"merchantName":     pad(m.Name, 25, " "),
			"buyerFullname":    pad(q.BuyerName, 30, "_"),
			"transactionId":    q.TransactionID,
			"merchantLocation": m.City,
		}
		info["rrn"] = q.RRN
		info["localTrasactionDate"] = atoi(q.LocalDate) // sic, an integer (spec §3.15)
		info["issuerId"] = q.IssuerID
	}
	return map[string]any{
		"originalReferenceNo":        t.TrxID,
		"originalPartnerReferenceNo": t.PartnerReferenceNo,
		"latestTransactionStatus":    "00",
		"transactionStatusDesc":      "Success",
		"amount":                     snap.IDR(p.AmountMinor),
		"netAmount":                  snap.IDR(p.NetMinor),
		"feeAmount":                  snap.IDR(p.FeeMinor),
		"additionalInfo":             info,
		"isSplitfee":                 false, // sic (spec §3.15 example)
		"splitFees":                  []any{},
	}
}

func virtualAccountsBank(method string) string {
	switch {
	case method == "BCA":
		return "BCA"
	case strings.HasPrefix(method, "VA_"):
		return strings.TrimSuffix(strings.TrimPrefix(method, "VA_"), "_PZ")
	}
	return ""
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// qrisCallback is the non-invoice QRIS callback of spec §3.16 (field list
// only in the docs; values shaped after §3.15 and the legacy payload).
func qrisCallback(q QRISPayment, m Merchant) map[string]any {
	return map[string]any{
		"originalReferenceNo":     q.RRN,
		"amount":                  snap.IDR(q.AmountMinor),
		"netAmount":               snap.IDR(q.AmountMinor - q.FeeMinor),
		"feeAmount":               snap.IDR(q.FeeMinor),
		"latestTransactionStatus": "00",
		"transactionStatusDesc":   "Success",
		"additionalInfo": map[string]any{
			"invoiceNumber":       q.InvoiceNumber,
			"custIdMerchant":      m.CustID,
			"buyerUserId":         q.CustomerPAN,
			"buyerFullname":       pad(q.BuyerName, 30, "_"),
			"customerPan":         q.CustomerPAN,
			"acquirerName":        "Netzme",
			"issuerName":          "Netzme",
			"merchantPan":         m.MPAN,
			"merchantName":        pad(m.Name, 25, " "),
			"merchantLocation":    m.City,
			"type":                "pay_qris", // guess from the legacy payload (spec §3.16)
			"rrn":                 q.RRN,
			"localTrasactionDate": atoi(q.LocalDate),
			"issuerId":            q.IssuerID,
		},
	}
}

// withdrawNotification is spec §3.9; only its first two fields are
// documented, the rest follows the invoice callback (guess, spec §3.9).
func withdrawNotification(wd Withdrawal, now time.Time) map[string]any {
	code, desc := "00", "Success"
	if wd.Status == "FAILED" {
		code, desc = "06", "Failed"
	}
	typ := "withdraw"
	if wd.Wallet == WalletDeposit {
		typ = "withdraw_deposit"
	}
	return map[string]any{
		"originalReferenceNo":        wd.ReferenceNo,
		"originalPartnerReferenceNo": wd.PartnerReferenceNo,
		"latestTransactionStatus":    code,
		"transactionStatusDesc":      desc,
		"amount":                     snap.IDR(wd.AmountMinor),
		"additionalInfo": map[string]any{
			"custIdMerchant":    wd.CustID,
			"status":            wd.Status,
			"type":              typ,
			"accountHolderName": wd.AccountName,
			"bankAccountNumber": wd.AccountNumber,
			"bankCode":          wd.BankCode,
			"bankName":          wd.BankName,
			"transactionTime":   bodyTime(now),
		},
	}
}
