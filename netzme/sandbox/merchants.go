package sandbox

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"lapak/netzme/qris"
	"lapak/snap"
)

// Merchant is a Toko Netzme merchant known to the sandbox: identity, QRIS
// data and the one registered payout bank account (spec §3.6: the API never
// lets the partner choose another account).
type Merchant struct {
	CustID     string // custIdMerchant, "M_" + 8 chars (spec §2.12)
	Name       string
	Phone      string // registered phone, "62…" (Get Merchant Detail key, spec §3.5)
	City       string
	PostalCode string
	MCC        string
	NMID       string // national merchant id, "ID10…"
	MPAN       string // merchant PAN, Netzme NNS 93600814 prefix (qris §3.1)
	MerchantID string // merchant id at the acquirer (QRIS tag 26 sub 02)
	Criteria   string // UMI/UKE/UME/UBE
	StaticQRIS string // the printed sticker payload

	BankAccountName   string
	BankAccountNumber string
	BankName          string
	BankCode          string

	// Minimum withdrawal amounts in sen (guess, spec §3.6/§3.22 show 0 and
	// Rp 50.000; the sandbox uses Rp 10.000 and Rp 50.000 by default).
	MinWithdrawMinor        int64
	MinDepositWithdrawMinor int64
}

// DemoMerchantName is the shop every fresh sandbox starts with.
const DemoMerchantName = "Toko Contoh"

// netzmeGUID and netzmeNNS identify Netzme as QRIS acquirer (qris §3.1).
const (
	netzmeGUID = "ID.NETZME.WWW"
	netzmeNNS  = "93600814"
)

func (s *Sandbox) ensureDemoMerchant(ctx context.Context) error {
	id, ok, err := s.meta(ctx, "demo_cust_id")
	if err != nil {
		return err
	}
	if ok {
		s.demoID = id
		return nil
	}
	m, err := s.AddMerchant(ctx, Merchant{
		Name:              DemoMerchantName,
		Phone:             "6281234567890",
		City:              "JAKARTA",
		PostalCode:        "10110",
		BankAccountName:   "TOKO CONTOH",
		BankAccountNumber: "1234567890",
		BankName:          "BANK BCA",
		BankCode:          "014",
	})
	if err != nil {
		return err
	}
	s.demoID = m.CustID
	return s.setMeta(ctx, "demo_cust_id", m.CustID)
}

// AddMerchant registers a merchant, filling every empty field with a
// plausible generated value (ids, NMID, MPAN, static QRIS, bank account,
// minimums). Phone may be in any form snap.ParsePhone reads and is stored as
// 62…; another one is an error wrapping a snap.ErrPhone* kind. It returns the
// stored merchant.
func (s *Sandbox) AddMerchant(ctx context.Context, m Merchant) (Merchant, error) {
	if m.CustID == "" {
		m.CustID = "M_" + randFrom(alnum, 8)
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&m.Name, "Toko "+randFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 5))
	def(&m.Phone, "628"+randDigits(10))
	phone, err := snap.ParsePhone(m.Phone)
	if err != nil {
		return Merchant{}, fmt.Errorf("sandbox: merchant %s: phone: %w", m.CustID, err)
	}
	m.Phone = phone.International() // the Get Merchant Detail key (spec §3.5)
	def(&m.City, "JAKARTA")
	def(&m.PostalCode, "10110")
	def(&m.MCC, "5411")
	def(&m.NMID, "ID10"+randDigits(11))
	def(&m.MPAN, netzmeNNS+"01"+randDigits(8))
	def(&m.MerchantID, strings.TrimPrefix(m.CustID, "M_"))
	def(&m.Criteria, "UMI")
	def(&m.BankAccountName, strings.ToUpper(m.Name))
	def(&m.BankAccountNumber, randDigits(10))
	def(&m.BankName, "BANK BCA")
	def(&m.BankCode, "014")
	if m.MinWithdrawMinor == 0 {
		m.MinWithdrawMinor = 1_000_000
	}
	if m.MinDepositWithdrawMinor == 0 {
		m.MinDepositWithdrawMinor = 5_000_000
	}
	if m.StaticQRIS == "" {
		p, err := qris.Static(m.qrisMerchant())
		if err != nil {
			return Merchant{}, fmt.Errorf("sandbox: static QRIS for %s: %w", m.CustID, err)
		}
		m.StaticQRIS = p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err = s.db.ExecContext(ctx, `INSERT INTO merchants (cust_id, name, phone, city, postal_code, mcc, nmid, mpan, merchant_id, criteria, qris_static,
		bank_account_name, bank_account_number, bank_name, bank_code, min_withdraw_minor, min_deposit_withdraw_minor)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.CustID, m.Name, m.Phone, m.City, m.PostalCode, m.MCC, m.NMID, m.MPAN, m.MerchantID, m.Criteria, m.StaticQRIS,
		m.BankAccountName, m.BankAccountNumber, m.BankName, m.BankCode, m.MinWithdrawMinor, m.MinDepositWithdrawMinor)
	if err != nil {
		return Merchant{}, fmt.Errorf("sandbox: add merchant %s: %w", m.CustID, err)
	}
	return m, nil
}

func (m Merchant) qrisMerchant() qris.Merchant {
	return qris.Merchant{
		Name: m.Name, City: m.City, PostalCode: m.PostalCode, MCC: m.MCC, NMID: m.NMID,
		GUID: netzmeGUID, PAN: m.MPAN, MerchantID: m.MerchantID, Criteria: m.Criteria,
	}
}

// DemoMerchant returns the demo merchant "Toko Contoh".
func (s *Sandbox) DemoMerchant() Merchant {
	m, err := s.Merchant(context.Background(), s.demoID)
	if err != nil {
		s.log.Error("sandbox: demo merchant", "err", err)
	}
	return m
}

// errNoMerchant is wrapped by Merchant for an unknown custIdMerchant.
var errNoMerchant = errors.New("sandbox: unknown merchant")

const merchantCols = `cust_id, name, phone, city, postal_code, mcc, nmid, mpan, merchant_id, criteria, qris_static,
	bank_account_name, bank_account_number, bank_name, bank_code, min_withdraw_minor, min_deposit_withdraw_minor`

type rowScanner interface{ Scan(dest ...any) error }

func scanMerchant(r rowScanner) (Merchant, error) {
	var m Merchant
	err := r.Scan(&m.CustID, &m.Name, &m.Phone, &m.City, &m.PostalCode, &m.MCC, &m.NMID, &m.MPAN, &m.MerchantID, &m.Criteria, &m.StaticQRIS,
		&m.BankAccountName, &m.BankAccountNumber, &m.BankName, &m.BankCode, &m.MinWithdrawMinor, &m.MinDepositWithdrawMinor)
	return m, err
}

// Merchant returns the merchant custID, or an error wrapping errNoMerchant.
func (s *Sandbox) Merchant(ctx context.Context, custID string) (Merchant, error) {
	m, err := scanMerchant(s.rdb.QueryRowContext(ctx, `SELECT `+merchantCols+` FROM merchants WHERE cust_id = ?`, custID))
	if errors.Is(err, sql.ErrNoRows) {
		return Merchant{}, fmt.Errorf("%w %q", errNoMerchant, custID)
	}
	if err != nil {
		return Merchant{}, fmt.Errorf("sandbox: merchant %s: %w", custID, err)
	}
	return m, nil
}

// merchantTx is Merchant inside a transaction.
func merchantTx(ctx context.Context, tx *sql.Tx, custID string) (Merchant, error) {
	m, err := scanMerchant(tx.QueryRowContext(ctx, `SELECT `+merchantCols+` FROM merchants WHERE cust_id = ?`, custID))
	if errors.Is(err, sql.ErrNoRows) {
		return Merchant{}, fmt.Errorf("%w %q", errNoMerchant, custID)
	}
	return m, err
}

// Wallet names the two balances a merchant has at Netzme.
type Wallet string

// The merchant's sales balance and its deposit balance (spec §3.3, §3.26).
const (
	WalletBalance Wallet = "balance"
	WalletDeposit Wallet = "deposit"
)

// Balances is a merchant's money at the sandbox, in sen. Every figure is
// what the ledger's entries sum to, read from the running totals the ledger
// keeps (wallet_totals) rather than summed anew.
type Balances struct {
	TotalMinor   int64 // sales balance incl. not yet settled money
	SettledMinor int64 // withdrawable sales balance
	DepositMinor int64
}

// Balances returns custID's balances as of the sandbox clock.
func (s *Sandbox) Balances(ctx context.Context, custID string) (Balances, error) {
	return s.balances(ctx, s.rdb, custID)
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// balances costs the same at any length of journal: two rows of running
// totals, less the entries that settle after now — a seek in ledger_balance
// that finds none unless an entry was booked to settle later.
func (s *Sandbox) balances(ctx context.Context, q querier, custID string) (Balances, error) {
	var b Balances
	var unsettled int64
	err := q.QueryRowContext(ctx, `SELECT
		COALESCE((SELECT total_minor FROM wallet_totals WHERE cust_id = ?1 AND wallet = 'balance'), 0),
		COALESCE((SELECT SUM(amount_minor) FROM ledger WHERE cust_id = ?1 AND wallet = 'balance' AND settle_at > ?2), 0),
		COALESCE((SELECT total_minor FROM wallet_totals WHERE cust_id = ?1 AND wallet = 'deposit'), 0)`,
		custID, ms(s.now())).Scan(&b.TotalMinor, &unsettled, &b.DepositMinor)
	if err != nil {
		return Balances{}, fmt.Errorf("sandbox: balances %s: %w", custID, err)
	}
	b.SettledMinor = b.TotalMinor - unsettled
	return b, nil
}

// Credit adds amountMinor (negative: removes) to a wallet as a manual
// adjustment, so tests and demos can start with money. It is recorded in the
// ledger like every other movement.
func (s *Sandbox) Credit(ctx context.Context, custID string, w Wallet, amountMinor int64, note string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := merchantTx(ctx, tx, custID); err != nil {
			return err
		}
		return s.post(ctx, tx, custID, w, amountMinor, "adjustment", note)
	})
}

// post writes one ledger entry, settled at once.
func (s *Sandbox) post(ctx context.Context, tx *sql.Tx, custID string, w Wallet, amountMinor int64, kind, ref string) error {
	now := ms(s.now())
	_, err := tx.ExecContext(ctx, `INSERT INTO ledger (cust_id, wallet, amount_minor, kind, ref, created_at, settle_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		custID, string(w), amountMinor, kind, ref, now, now)
	if err != nil {
		return fmt.Errorf("sandbox: ledger %s %s: %w", kind, ref, err)
	}
	return nil
}

// LastSMS returns the last SMS Netzme "sent" to the merchant's phone — the
// new PIN after Forgot pin (spec §3.2) — or "".
func (s *Sandbox) LastSMS(ctx context.Context, custID string) string {
	var v string
	s.db.QueryRowContext(ctx, `SELECT last_sms FROM merchants WHERE cust_id = ?`, custID).Scan(&v)
	return v
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
