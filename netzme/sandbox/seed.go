package sandbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"lapak/netzme/qris"
	"lapak/snap"
)

// Bulk seeding: `lapak seed` (cmd/web) fills Lapak's database with a year of
// demo sales and needs the sandbox to know the same merchants, open
// invoices, static-QRIS payments and withdrawals, so that paying a seeded
// invoice on the sandbox page sends a callback Lapak applies like any other.
// The API calls would take hours for a million rows; a Loader writes the
// sandbox's own tables directly, in one transaction, with the values the API
// would have produced (ids, fees, QRIS payloads, virtual accounts).

// Loader writes seeded state inside one transaction. Get one from Seed; use
// it only inside the function given to Seed.
type Loader struct {
	s         *Sandbox
	ctx       context.Context
	tx        *sql.Tx
	merchants map[string]Merchant
	stmts     map[string]*sql.Stmt
}

// Seed runs fn with a Loader in one transaction of the sandbox state and
// commits if fn returns nil. Nothing else touches the state meanwhile.
// Callbacks are never queued for seeded rows: they describe the past.
func (s *Sandbox) Seed(ctx context.Context, fn func(*Loader) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		l := &Loader{s: s, ctx: ctx, tx: tx, merchants: map[string]Merchant{}, stmts: map[string]*sql.Stmt{}}
		defer func() {
			for _, st := range l.stmts {
				st.Close()
			}
		}()
		return fn(l)
	})
}

// exec runs one prepared insert, preparing it on first use.
func (l *Loader) exec(query string, args ...any) error {
	st, ok := l.stmts[query]
	if !ok {
		var err error
		if st, err = l.tx.PrepareContext(l.ctx, query); err != nil {
			return fmt.Errorf("sandbox: seed: prepare: %w", err)
		}
		l.stmts[query] = st
	}
	if _, err := st.ExecContext(l.ctx, args...); err != nil {
		return fmt.Errorf("sandbox: seed: %w", err)
	}
	return nil
}

func (l *Loader) merchant(custID string) (Merchant, error) {
	if m, ok := l.merchants[custID]; ok {
		return m, nil
	}
	m, err := merchantTx(l.ctx, l.tx, custID)
	if err != nil {
		return Merchant{}, err
	}
	l.merchants[custID] = m
	return m, nil
}

// SeedInvoice is an invoice transaction as Lapak asked for it (spec §3.12).
type SeedInvoice struct {
	CustID             string
	PartnerReferenceNo string
	PayMethod          string // QRIS, BANK_TRANSFER, …
	FeeType            string // on_seller | on_buyer ("" = on_seller)
	AmountMinor        int64
	Description        string
	Email, Phone       string
	Fullname           string
	CreatedAt          time.Time
	ExpiresAt          time.Time
}

// VirtualAccount is one VA number of an invoice transaction.
type VirtualAccount struct{ BankCode, Number string }

// SeededInvoice is what Create Invoice Transaction would have answered.
type SeededInvoice struct {
	InvoiceTransaction
	PaymentURL      string
	VirtualAccounts []VirtualAccount
}

// NewInvoice returns the invoice transaction the sandbox would create for
// in — trxId, NETZ-INV id, fee, QRIS payload of a QRIS invoice, VA numbers,
// payment URL — without storing it. Use it for invoices that are no longer
// open (paid, expired) and that the sandbox therefore need not know.
func (l *Loader) NewInvoice(in SeedInvoice) (SeededInvoice, error) {
	m, err := l.merchant(in.CustID)
	if err != nil {
		return SeededInvoice{}, err
	}
	if in.FeeType == "" {
		in.FeeType = "on_seller"
	}
	s := l.s
	t := InvoiceTransaction{
		TrxID: randHex(16), CustID: m.CustID, PartnerReferenceNo: in.PartnerReferenceNo,
		InvoiceID: fmt.Sprintf("NETZ-INV-%s%d%s", m.CustID, in.CreatedAt.UnixMilli(), randFrom(alnum, 3)),
		PayMethod: in.PayMethod, FeeType: in.FeeType, Amount: snap.IDR(in.AmountMinor), AmountMinor: in.AmountMinor,
		FeeMinor: s.fee(in.AmountMinor), Description: in.Description, Email: in.Email, Phone: in.Phone, Fullname: in.Fullname,
		TerminalID: "A01", InvoiceNumber: randDigits(20), Status: "INIT", CreatedAt: in.CreatedAt, ExpiresAt: in.ExpiresAt,
	}
	t.TotalMinor = t.AmountMinor
	if t.FeeType == "on_buyer" {
		t.TotalMinor += t.FeeMinor
	}
	if t.PayMethod == "QRIS" {
		if t.QRISPayload, err = qris.Dynamic(m.qrisMerchant(), t.TotalMinor, t.InvoiceNumber); err != nil {
			return SeededInvoice{}, fmt.Errorf("sandbox: seed: QRIS for %s: %w", in.PartnerReferenceNo, err)
		}
	}
	out := SeededInvoice{InvoiceTransaction: t, PaymentURL: s.payURL(t.TrxID)}
	for _, va := range virtualAccounts(t.PayMethod) {
		out.VirtualAccounts = append(out.VirtualAccounts, VirtualAccount{va.BankCode, va.VirtualAccountNo})
	}
	return out, nil
}

// OpenInvoice stores in as an open (INIT) invoice transaction, payable on
// the sandbox page until in.ExpiresAt, and returns it as NewInvoice does.
func (l *Loader) OpenInvoice(in SeedInvoice) (SeededInvoice, error) {
	si, err := l.NewInvoice(in)
	if err != nil {
		return SeededInvoice{}, err
	}
	t := si.InvoiceTransaction
	vas := make([]vaData, 0, len(si.VirtualAccounts))
	for _, va := range si.VirtualAccounts {
		vas = append(vas, vaData{va.BankCode, va.Number})
	}
	vaJSON, _ := json.Marshal(vas)
	if err := l.exec(`INSERT INTO invoices (invoice_id, cust_id, partner_reference_no, amount_minor, description, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.InvoiceID, t.CustID, t.PartnerReferenceNo, t.AmountMinor, t.Description, ms(t.CreatedAt)); err != nil {
		return SeededInvoice{}, err
	}
	err = l.exec(`INSERT INTO invoice_trx (trx_id, invoice_id, cust_id, partner_reference_no, pay_method, api_source, amount_minor, fee_minor, fee_type,
		description, notes, email, phone, fullname, terminal_id, invoice_number, qris_payload, va_json, status, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'INIT', ?, ?)`,
		t.TrxID, t.InvoiceID, t.CustID, t.PartnerReferenceNo, t.PayMethod, t.AmountMinor, t.FeeMinor, t.FeeType,
		t.Description, t.Description, t.Email, t.Phone, t.Fullname, t.TerminalID, t.InvoiceNumber, t.QRISPayload, string(vaJSON),
		ms(t.CreatedAt), ms(t.ExpiresAt))
	return si, err
}

// StaticQRISPayment stores a payment to custID's static QRIS of amountMinor
// sen by buyer at time at, credits the balance net of MDR as a real payment
// does, and returns it (the RRN and key Lapak's callback row carries).
func (l *Loader) StaticQRISPayment(custID string, amountMinor int64, buyer string, at time.Time) (QRISPayment, error) {
	m, err := l.merchant(custID)
	if err != nil {
		return QRISPayment{}, err
	}
	q := l.s.newQRISPayment(m, "", amountMinor, l.s.fee(amountMinor), "A01", randDigits(20), at)
	if buyer != "" {
		q.BuyerName = buyer
	}
	if err := l.exec(`INSERT INTO qris_payments (`+qrisCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		q.ReferenceID, q.RRN, q.LocalDate, q.IssuerID, q.CustID, q.TrxID, q.AmountMinor, q.FeeMinor, q.CustomerPAN, q.BuyerName,
		q.TerminalID, q.InvoiceNumber, q.TransactionID, ms(q.CreatedAt)); err != nil {
		return QRISPayment{}, err
	}
	return q, l.post(custID, WalletBalance, amountMinor-q.FeeMinor, "qris", q.ReferenceID, at)
}

// FinishedWithdrawal stores a payout of amountMinor sen from custID's
// sales balance to its registered account, requested at createdAt and
// final (SUCCESS) at finalAt, debits the balance, and returns it with its
// Netzme id.
func (l *Loader) FinishedWithdrawal(custID, partnerRef, inquiryRef string, amountMinor int64, createdAt, finalAt time.Time) (Withdrawal, error) {
	m, err := l.merchant(custID)
	if err != nil {
		return Withdrawal{}, err
	}
	wd := Withdrawal{ReferenceNo: randDigits(20), PartnerReferenceNo: partnerRef, InquiryReferenceNo: inquiryRef, CustID: custID,
		Wallet: WalletBalance, AmountMinor: amountMinor, AccountName: m.BankAccountName, AccountNumber: m.BankAccountNumber,
		BankName: m.BankName, BankCode: m.BankCode, Status: "SUCCESS", CreatedAt: createdAt, FinalAt: finalAt}
	if err := l.exec(`INSERT INTO withdrawals (reference_no, partner_reference_no, inquiry_reference_no, cust_id, wallet, amount_minor,
		account_name, account_number, bank_name, bank_code, status, created_at, settle_at, final_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'SUCCESS', ?, ?, ?)`,
		wd.ReferenceNo, wd.PartnerReferenceNo, wd.InquiryReferenceNo, wd.CustID, string(wd.Wallet), wd.AmountMinor, wd.AccountName,
		wd.AccountNumber, wd.BankName, wd.BankCode, ms(createdAt), ms(finalAt), ms(finalAt)); err != nil {
		return Withdrawal{}, err
	}
	return wd, l.post(custID, WalletBalance, -amountMinor, "withdrawal", wd.ReferenceNo, createdAt)
}

// Credit records a ledger movement of amountMinor sen (negative: a debit)
// at time at, settled at once: e.g. the net of the seeded paid invoices,
// which the sandbox does not keep one by one.
func (l *Loader) Credit(custID string, w Wallet, amountMinor int64, note string, at time.Time) error {
	if _, err := l.merchant(custID); err != nil {
		return err
	}
	return l.post(custID, w, amountMinor, "adjustment", note, at)
}

func (l *Loader) post(custID string, w Wallet, amountMinor int64, kind, ref string, at time.Time) error {
	return l.exec(`INSERT INTO ledger (cust_id, wallet, amount_minor, kind, ref, created_at, settle_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		custID, string(w), amountMinor, kind, ref, ms(at), ms(at))
}

// PaidCallback returns the invoice callback (spec §3.15) the sandbox sends
// when si is paid in full at paidAt, and the payment it describes — what
// Lapak's inbox stores for a seeded paid invoice. Nothing is stored.
func (l *Loader) PaidCallback(si SeededInvoice, paidAt time.Time) ([]byte, Payment, error) {
	m, err := l.merchant(si.CustID)
	if err != nil {
		return nil, Payment{}, err
	}
	t := si.InvoiceTransaction
	amount, fee := t.TotalMinor, t.FeeMinor
	if t.FeeType == "on_seller" {
		fee = l.s.fee(amount)
	}
	p := Payment{TrxID: t.TrxID, InvoiceID: t.InvoiceID, PartnerReferenceNo: t.PartnerReferenceNo,
		AmountMinor: amount, FeeMinor: fee, NetMinor: amount - fee}
	var qp *QRISPayment
	if t.PayMethod == "QRIS" {
		q := l.s.newQRISPayment(m, t.TrxID, amount, fee, t.TerminalID, t.InvoiceNumber, paidAt)
		qp, p.ReferenceID, p.RRN = &q, q.ReferenceID, q.RRN
	}
	b, err := json.Marshal(invoiceCallback(t, m, p, qp, paidAt))
	return b, p, err
}

// StaticQRISCallback returns the QRIS callback (spec §3.16) of q.
func (l *Loader) StaticQRISCallback(q QRISPayment) ([]byte, error) {
	m, err := l.merchant(q.CustID)
	if err != nil {
		return nil, err
	}
	return json.Marshal(qrisCallback(q, m))
}

// WithdrawCallback returns the withdraw status notification (spec §3.9) of
// wd, sent at its FinalAt.
func (l *Loader) WithdrawCallback(wd Withdrawal) ([]byte, error) {
	return json.Marshal(withdrawNotification(wd, wd.FinalAt))
}
