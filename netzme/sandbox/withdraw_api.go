package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"time"

	"lapak/snap"
)

type wInquiry struct {
	CustIDMerchant     string `json:"custIdMerchant"`
	PartnerReferenceNo string `json:"partnerReferenceNo"`
}

// available is what a withdrawal of wallet w may take now: the settled sales
// balance or the deposit. Pending withdrawals are already debited.
func (s *Sandbox) available(ctx context.Context, q querier, cust string, w Wallet) (int64, error) {
	b, err := s.balances(ctx, q, cust)
	if w == WalletDeposit {
		return b.DepositMinor, err
	}
	return b.SettledMinor, err
}

// withdrawInquiry is spec §3.6 / §3.22: the registered account and the
// "closed" amount — the whole withdrawable balance.
func (s *Sandbox) withdrawInquiry(w Wallet) func(*call) *reply {
	return func(c *call) *reply {
		var req wInquiry
		if rep := c.decode(&req); rep != nil {
			return rep
		}
		if rep := c.require("custIdMerchant", req.CustIDMerchant, "partnerReferenceNo", req.PartnerReferenceNo); rep != nil {
			return rep
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		m, err := s.Merchant(c.ctx, req.CustIDMerchant)
		if err != nil {
			return failRef(http.StatusNotFound, c.svc, "08", "Invalid Merchant", req.PartnerReferenceNo)
		}
		amount, err := s.available(c.ctx, s.db, m.CustID, w)
		if err != nil {
			return serverError(c.svc)
		}
		min := m.MinWithdrawMinor
		if w == WalletDeposit {
			min = m.MinDepositWithdrawMinor
		}
		ref := randDigits(32)
		if _, err := s.db.ExecContext(c.ctx, `INSERT INTO withdraw_inquiries (reference_no, partner_reference_no, cust_id, wallet, amount_minor, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			ref, req.PartnerReferenceNo, m.CustID, string(w), amount, ms(c.now)); err != nil {
			return serverError(c.svc)
		}
		type info struct {
			AmountAllowed           bool        `json:"amountAllowed"`
			MinimumWithdrawalAmount snap.Amount `json:"minimumWithdrawalAmount"`
		}
		return ok(struct {
			snap.Response
			PartnerReferenceNo       string      `json:"partnerReferenceNo"`
			ReferenceNo              string      `json:"referenceNo"`
			BeneficiaryAccountName   string      `json:"beneficiaryAccountName"`
			BeneficiaryAccountNumber string      `json:"beneficiaryAccountNumber"`
			BeneficiaryBankName      string      `json:"beneficiaryBankName"`
			BeneficiaryBankCode      string      `json:"beneficiaryBankCode"`
			Amount                   snap.Amount `json:"amount"`
			AdditionalInfo           info        `json:"additionalInfo"`
		}{success(c.svc), req.PartnerReferenceNo, ref, m.BankAccountName, m.BankAccountNumber, m.BankName, m.BankCode,
			snap.IDR(amount), info{amount > 0 && amount >= min, snap.IDR(min)}})
	}
}

type wWithdraw struct {
	PartnerReferenceNo       string   `json:"partnerReferenceNo"`
	CustomerNumber           string   `json:"customerNumber"`
	ReferenceNo              string   `json:"referenceNo"` // deposit only, the QA tool's "ReferenceNo" (spec §3.23)
	Amount                   *wAmount `json:"amount"`
	BeneficiaryAccountName   string   `json:"beneficiaryAccountName"`
	BeneficiaryAccountNumber string   `json:"beneficiaryAccountNumber"`
	BeneficiaryBankName      string   `json:"beneficiaryBankName"`
	BeneficiaryBankCode      string   `json:"beneficiaryBankCode"`
	AdditionalInfo           *struct {
		Type string `json:"type"`
		PIN  string `json:"pin"`
	} `json:"additionalInfo"`
}

func (s *Sandbox) settleDelay() time.Duration {
	switch d := s.opts.WithdrawSettleDelay; {
	case d < 0:
		return -1
	case d == 0:
		return 300 * time.Millisecond
	default:
		return d
	}
}

// withdrawProcess is spec §3.7 / §3.23. The response and error codes are not
// documented; the success code 2004300 follows the SNAP pattern (guess), and
// the business errors use the SNAP case codes named at each check.
func (s *Sandbox) withdrawProcess(w Wallet) func(*call) *reply {
	return func(c *call) *reply {
		var req wWithdraw
		if rep := c.decode(&req); rep != nil {
			return rep
		}
		typ, pin := "", ""
		if req.AdditionalInfo != nil {
			typ, pin = req.AdditionalInfo.Type, req.AdditionalInfo.PIN
		}
		if rep := c.require("partnerReferenceNo", req.PartnerReferenceNo, "customerNumber", req.CustomerNumber,
			"amount", valueOf(req.Amount), "beneficiaryAccountName", req.BeneficiaryAccountName,
			"beneficiaryAccountNumber", req.BeneficiaryAccountNumber, "beneficiaryBankName", req.BeneficiaryBankName,
			"beneficiaryBankCode", req.BeneficiaryBankCode, "additionalInfo.type", typ, "additionalInfo.pin", pin); rep != nil {
			return rep
		}
		if typ != "submit_withdraw" {
			return failRef(http.StatusBadRequest, c.svc, "01", "Invalid Field Format type", req.PartnerReferenceNo)
		}
		if !hex64.MatchString(pin) {
			return failRef(http.StatusBadRequest, c.svc, "01", "Invalid Field Format pin", req.PartnerReferenceNo)
		}
		amount, rep := c.amount("amount", req.Amount, true)
		if rep != nil {
			return rep
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		var out *reply
		var wd Withdrawal
		err := s.inTx(c.ctx, func(tx *sql.Tx) error {
			m, err := merchantTx(c.ctx, tx, req.CustomerNumber)
			if err != nil {
				out = failRef(http.StatusNotFound, c.svc, "08", "Invalid Merchant", req.PartnerReferenceNo)
				return nil
			}
			var n int
			tx.QueryRowContext(c.ctx, `SELECT COUNT(*) FROM withdrawals WHERE wallet = ? AND partner_reference_no = ?`, string(w), req.PartnerReferenceNo).Scan(&n)
			if n > 0 {
				// guess: SNAP 409xx01; a resent withdrawal never pays twice.
				out = failRef(http.StatusConflict, c.svc, "01", "Duplicate partnerReferenceNo", req.PartnerReferenceNo)
				return nil
			}
			// PIN first, so a wrong PIN counts even when the amount is off;
			// failure counts must survive the rejected request, hence commit.
			if out = s.checkPIN(c.ctx, tx, c.svc, m.CustID, pin, req.PartnerReferenceNo); out != nil {
				return nil
			}
			if req.BeneficiaryAccountNumber != m.BankAccountNumber || req.BeneficiaryBankCode != m.BankCode {
				// The account must be the registered one (spec §3.6); SNAP 404xx11.
				out = failRef(http.StatusNotFound, c.svc, "11", "Invalid Account", req.PartnerReferenceNo)
				return nil
			}
			avail, err := s.available(c.ctx, tx, m.CustID, w)
			if err != nil {
				return err
			}
			min := m.MinWithdrawMinor
			if w == WalletDeposit {
				min = m.MinDepositWithdrawMinor
			}
			switch {
			case amount > avail:
				out = failRef(http.StatusForbidden, c.svc, "14", "Insufficient Funds", req.PartnerReferenceNo)
			case amount < min:
				// guess: SNAP 403xx15 "Transaction Not Permitted.[reason]".
				out = failRef(http.StatusForbidden, c.svc, "15", "Transaction Not Permitted. Amount below minimum withdrawal", req.PartnerReferenceNo)
			case amount != avail:
				// Closed amount: exactly the inquiry amount (spec §3.7, legacy rule); SNAP 404xx13.
				out = failRef(http.StatusNotFound, c.svc, "13", "Invalid Amount", req.PartnerReferenceNo)
			}
			if out != nil {
				return nil
			}
			var inquiry string
			tx.QueryRowContext(c.ctx, `SELECT reference_no FROM withdraw_inquiries WHERE cust_id = ? AND wallet = ? ORDER BY created_at DESC, rowid DESC LIMIT 1`, m.CustID, string(w)).Scan(&inquiry)
			if req.ReferenceNo != "" {
				inquiry = req.ReferenceNo
			}
			wd = Withdrawal{
				ReferenceNo: randDigits(20), PartnerReferenceNo: req.PartnerReferenceNo, InquiryReferenceNo: inquiry, CustID: m.CustID, Wallet: w,
				AmountMinor: amount, AccountName: m.BankAccountName, AccountNumber: m.BankAccountNumber, BankName: m.BankName, BankCode: m.BankCode,
				Status: "PENDING", CreatedAt: c.now,
			}
			settleAt := int64(0)
			if d := s.settleDelay(); d >= 0 {
				settleAt = ms(c.now.Add(d))
			}
			if _, err := tx.ExecContext(c.ctx, `INSERT INTO withdrawals (reference_no, partner_reference_no, inquiry_reference_no, cust_id, wallet, amount_minor,
				account_name, account_number, bank_name, bank_code, status, created_at, settle_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?)`,
				wd.ReferenceNo, wd.PartnerReferenceNo, inquiry, wd.CustID, string(w), amount, wd.AccountName, wd.AccountNumber, wd.BankName, wd.BankCode,
				ms(c.now), settleAt); err != nil {
				return err
			}
			return s.post(c.ctx, tx, m.CustID, w, -amount, "withdrawal", wd.ReferenceNo)
		})
		if err != nil {
			s.log.Error("sandbox: withdraw", "err", err)
			return serverError(c.svc)
		}
		if out != nil {
			return out
		}
		s.poke()
		type info struct {
			Type   string `json:"type"`
			Status string `json:"status"`
		}
		return ok(struct {
			snap.Response
			PartnerReferenceNo       string      `json:"partnerReferenceNo"`
			ReferenceNo              string      `json:"referenceNo"`
			CustomerNumber           string      `json:"customerNumber"`
			Amount                   snap.Amount `json:"amount"`
			BeneficiaryAccountName   string      `json:"beneficiaryAccountName"`
			BeneficiaryAccountNumber string      `json:"beneficiaryAccountNumber"`
			BeneficiaryBankName      string      `json:"beneficiaryBankName"`
			BeneficiaryBankCode      string      `json:"beneficiaryBankCode"`
			AdditionalInfo           info        `json:"additionalInfo"`
		}{success(c.svc), wd.PartnerReferenceNo, wd.ReferenceNo, wd.CustID, snap.IDR(wd.AmountMinor), wd.AccountName, wd.AccountNumber,
			wd.BankName, wd.BankCode, info{"submit_withdraw", "PENDING"}})
	}
}

// Withdrawal is one payout at the sandbox.
type Withdrawal struct {
	ReferenceNo        string // Netzme's withdrawal id
	PartnerReferenceNo string
	InquiryReferenceNo string
	CustID             string
	Wallet             Wallet
	AmountMinor        int64
	AccountName        string
	AccountNumber      string
	BankName           string
	BankCode           string
	Status             string // PENDING, SUCCESS, FAILED
	CreatedAt          time.Time
	FinalAt            time.Time
}

const withdrawCols = `reference_no, partner_reference_no, inquiry_reference_no, cust_id, wallet, amount_minor, account_name, account_number, bank_name, bank_code, status, created_at, final_at`

func scanWithdrawal(r rowScanner) (Withdrawal, error) {
	var w Withdrawal
	var wallet string
	var created, final int64
	err := r.Scan(&w.ReferenceNo, &w.PartnerReferenceNo, &w.InquiryReferenceNo, &w.CustID, &wallet, &w.AmountMinor, &w.AccountName,
		&w.AccountNumber, &w.BankName, &w.BankCode, &w.Status, &created, &final)
	w.Wallet, w.CreatedAt, w.FinalAt = Wallet(wallet), fromMS(created), fromMS(final)
	return w, err
}

// Withdrawals returns every withdrawal, newest first.
func (s *Sandbox) Withdrawals(ctx context.Context) ([]Withdrawal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.db.QueryContext(ctx, `SELECT `+withdrawCols+` FROM withdrawals ORDER BY created_at DESC, rowid DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Withdrawal
	for rows.Next() {
		w, err := scanWithdrawal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// recentWithdrawals returns the pending withdrawals and the n newest
// others, newest first, for the sandbox page.
func (s *Sandbox) recentWithdrawals(ctx context.Context, n int) ([]Withdrawal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.db.QueryContext(ctx, `SELECT `+withdrawCols+` FROM withdrawals WHERE status = 'PENDING'
		UNION SELECT * FROM (SELECT `+withdrawCols+` FROM withdrawals ORDER BY created_at DESC, rowid DESC LIMIT ?)
		ORDER BY created_at DESC`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Withdrawal
	for rows.Next() {
		w, err := scanWithdrawal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

type wStatus struct {
	ReferenceNo        string `json:"referenceNo"`
	PartnerReferenceNo string `json:"partnerReferenceNo"`
}

// withdrawInformation is spec §3.8 / §3.24. Which id goes in referenceNo is
// ambiguous (spec §3.8): Netzme's withdrawal id, the withdrawal's
// partnerReferenceNo and the inquiry's referenceNo are all accepted (guess).
func (s *Sandbox) withdrawInformation(w Wallet) func(*call) *reply {
	return func(c *call) *reply {
		var req wStatus
		if rep := c.decode(&req); rep != nil {
			return rep
		}
		if rep := c.require("referenceNo", req.ReferenceNo, "partnerReferenceNo", req.PartnerReferenceNo); rep != nil {
			return rep
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		wd, err := scanWithdrawal(s.db.QueryRowContext(c.ctx, `SELECT `+withdrawCols+` FROM withdrawals WHERE wallet = ? AND (reference_no = ? OR partner_reference_no = ? OR inquiry_reference_no = ?)
			ORDER BY created_at DESC LIMIT 1`, string(w), req.ReferenceNo, req.ReferenceNo, req.ReferenceNo))
		if err != nil {
			return failRef(http.StatusNotFound, c.svc, "01", "Transaction Not Found", req.PartnerReferenceNo)
		}
		type info struct {
			AccountHolderName string `json:"accountHolderName"`
			BankAccountNumber string `json:"bankAccountNumber"`
			BankCode          string `json:"bankCode"`
			BankName          string `json:"bankName"`
			Status            string `json:"status"`
		}
		return ok(struct {
			snap.Response
			ReferenceNo        string      `json:"referenceNo"`
			PartnerReferenceNo string      `json:"partnerReferenceNo"`
			WithdrawalAmount   snap.Amount `json:"withdrawalAmount"`
			AdditionalInfo     info        `json:"additionalInfo"`
		}{success(c.svc), wd.ReferenceNo, wd.PartnerReferenceNo, snap.IDR(wd.AmountMinor),
			info{wd.AccountName, wd.AccountNumber, wd.BankCode, wd.BankName, wd.Status}})
	}
}

// SettleWithdrawal ends a PENDING withdrawal (by Netzme id or partner
// reference): success pays out, failure returns the money to the wallet.
// Either way the withdraw status notification (spec §3.9) is queued. It
// errors for an unknown or already final withdrawal.
func (s *Sandbox) SettleWithdrawal(id string, success bool) error {
	ctx := context.Background()
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		wd, err := scanWithdrawal(tx.QueryRowContext(ctx, `SELECT `+withdrawCols+` FROM withdrawals WHERE reference_no = ? OR partner_reference_no = ?`, id, id))
		if isNoRows(err) {
			return fmt.Errorf("%w: withdrawal %q", errNotFound, id)
		} else if err != nil {
			return err
		}
		if wd.Status != "PENDING" {
			return fmt.Errorf("%w: withdrawal %s is %s", errBadState, id, wd.Status)
		}
		return s.finishWithdrawal(ctx, tx, wd, success)
	})
	if err == nil {
		s.poke()
	}
	return err
}

func (s *Sandbox) finishWithdrawal(ctx context.Context, tx *sql.Tx, wd Withdrawal, success bool) error {
	status := "SUCCESS"
	if !success {
		status = "FAILED"
		if err := s.post(ctx, tx, wd.CustID, wd.Wallet, wd.AmountMinor, "withdrawal_reversal", wd.ReferenceNo); err != nil {
			return err
		}
	}
	now := s.now()
	if _, err := tx.ExecContext(ctx, `UPDATE withdrawals SET status = ?, final_at = ? WHERE reference_no = ? AND status = 'PENDING'`, status, ms(now), wd.ReferenceNo); err != nil {
		return err
	}
	wd.Status = status
	return s.enqueue(ctx, tx, "withdraw", "/callbacks/netzme/withdraw", wd.ReferenceNo, withdrawNotification(wd, now))
}

// settleDue settles withdrawals whose automatic settle time has come.
func (s *Sandbox) settleDue(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.db.QueryContext(ctx, `SELECT `+withdrawCols+` FROM withdrawals WHERE status = 'PENDING' AND settle_at > 0 AND settle_at <= ?`, ms(s.now()))
	if err != nil {
		return
	}
	var due []Withdrawal
	for rows.Next() {
		if wd, err := scanWithdrawal(rows); err == nil {
			due = append(due, wd)
		}
	}
	rows.Close()
	for _, wd := range due {
		if err := s.inTx(ctx, func(tx *sql.Tx) error { return s.finishWithdrawal(ctx, tx, wd, true) }); err != nil {
			s.log.Error("sandbox: settle withdrawal", "err", err)
		}
	}
}
