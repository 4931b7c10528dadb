package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Wallet is which Netzme balance money leaves: the settled sales balance
// (spec §3.6–§3.8) or the deposit (§3.22–§3.24).
type Wallet string

// Wallets.
const (
	WalletSales   Wallet = "sales"
	WalletDeposit Wallet = "deposit"
)

// WithdrawalStatus is where a withdrawal stands.
type WithdrawalStatus string

// Withdrawal statuses. Unknown is the intent written before Withdraw Process
// (or a call whose outcome we do not know): it is resolved only by a status
// query, never by sending again.
const (
	WithdrawalAwaitingApproval WithdrawalStatus = "awaiting_approval"
	WithdrawalUnknown          WithdrawalStatus = "unknown"
	WithdrawalPending          WithdrawalStatus = "pending"
	WithdrawalSuccess          WithdrawalStatus = "success"
	WithdrawalFailed           WithdrawalStatus = "failed"
	WithdrawalCancelled        WithdrawalStatus = "cancelled"
)

// Open reports whether s still blocks a new withdrawal of the same wallet.
func (s WithdrawalStatus) Open() bool {
	return s == WithdrawalAwaitingApproval || s == WithdrawalUnknown || s == WithdrawalPending
}

// ErrQuoteUsed is returned (wrapped) when a confirmation form was already
// used or has expired: the request is a repeat, not a new withdrawal.
var ErrQuoteUsed = errors.New("db: withdrawal form already used or expired")

// WithdrawQuote is one Withdraw Inquiry answer behind a one-time
// confirmation form. Money in sen.
type WithdrawQuote struct {
	ID                 int64
	MerchantID         int64
	Wallet             Wallet
	Token              string // one-time form token (random, unguessable)
	PartnerReferenceNo string // our id of the inquiry call
	InquiryReferenceNo string // Netzme's referenceNo of the inquiry
	AmountMinor        int64  // the "closed" amount: exactly what may be withdrawn (§5.3)
	MinimumMinor       int64
	Allowed            bool
	AccountName        string
	AccountNumber      string
	BankName           string
	BankCode           string
	Status             string // open, used
	CreatedBy          int64
	CreatedAt          time.Time
	ExpiresAt          time.Time
}

const quoteColumns = `id, merchant_id, wallet, token, partner_reference_no, inquiry_reference_no, amount_minor,
	minimum_minor, allowed, account_name, account_number, bank_name, bank_code, status, coalesce(created_by, 0),
	created_at, expires_at`

func scanQuote(row interface{ Scan(...any) error }) (WithdrawQuote, error) {
	var q WithdrawQuote
	var created, expires string
	err := row.Scan(&q.ID, &q.MerchantID, &q.Wallet, &q.Token, &q.PartnerReferenceNo, &q.InquiryReferenceNo,
		&q.AmountMinor, &q.MinimumMinor, &q.Allowed, &q.AccountName, &q.AccountNumber, &q.BankName, &q.BankCode,
		&q.Status, &q.CreatedBy, &created, &expires)
	if err != nil {
		return WithdrawQuote{}, err
	}
	if q.CreatedAt, err = parseTime(created); err != nil {
		return WithdrawQuote{}, err
	}
	if q.ExpiresAt, err = parseTime(expires); err != nil {
		return WithdrawQuote{}, err
	}
	return q, nil
}

// CreateWithdrawQuote stores an inquiry answer (status open) and its audit
// entry in one transaction. ErrConflict if the token or reference was used.
func (d *DB) CreateWithdrawQuote(ctx context.Context, q WithdrawQuote, audit AuditEntry) (WithdrawQuote, error) {
	var out WithdrawQuote
	err := d.InTx(ctx, func(tx *Tx) error {
		var err error
		out, err = scanQuote(tx.tx.QueryRowContext(ctx, `INSERT INTO withdraw_quotes (merchant_id, wallet, token,
			partner_reference_no, inquiry_reference_no, amount_minor, minimum_minor, allowed, account_name,
			account_number, bank_name, bank_code, status, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?) RETURNING `+quoteColumns,
			q.MerchantID, string(q.Wallet), q.Token, q.PartnerReferenceNo, q.InquiryReferenceNo, q.AmountMinor,
			q.MinimumMinor, boolInt(q.Allowed), q.AccountName, q.AccountNumber, q.BankName, q.BankCode,
			nullID(q.CreatedBy), formatTime(q.CreatedAt), formatTime(q.ExpiresAt)))
		if isUniqueViolation(err) {
			return fmt.Errorf("db: withdraw quote %s: %w", q.PartnerReferenceNo, ErrConflict)
		} else if err != nil {
			return fmt.Errorf("db: withdraw quote %s: %w", q.PartnerReferenceNo, err)
		}
		if audit.Action == "" {
			return nil
		}
		if audit.MerchantID == 0 {
			audit.MerchantID = q.MerchantID
		}
		return tx.Audit(ctx, audit)
	})
	return out, err
}

// MerchantWithdrawQuote returns the quote with token if it belongs to
// merchantID, else ErrNotFound.
func (d *DB) MerchantWithdrawQuote(ctx context.Context, merchantID int64, token string) (WithdrawQuote, error) {
	q, err := scanQuote(d.sql.QueryRowContext(ctx, `SELECT `+quoteColumns+` FROM withdraw_quotes WHERE token = ? AND merchant_id = ?`,
		token, merchantID))
	if err != nil {
		return WithdrawQuote{}, notFound(err, "withdraw quote of merchant "+fmt.Sprint(merchantID))
	}
	return q, nil
}

// Withdrawal is one payout of a merchant. Money in sen.
type Withdrawal struct {
	ID                 int64
	MerchantID         int64
	Wallet             Wallet
	QuoteID            int64
	PartnerReferenceNo string
	NetzmeReferenceNo  string
	AmountMinor        int64
	AccountName        string
	AccountNumber      string
	BankName           string
	BankCode           string
	Status             WithdrawalStatus
	FailureCode        string
	FailureReason      string
	RawResponse        string
	RequestedBy        int64
	ApprovedBy         int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
	FinalAt            sql.NullTime
}

const withdrawalColumns = `id, merchant_id, wallet, quote_id, partner_reference_no, netzme_reference_no, amount_minor,
	account_name, account_number, bank_name, bank_code, status, failure_code, failure_reason, raw_response,
	coalesce(requested_by, 0), coalesce(approved_by, 0), created_at, updated_at, final_at`

func scanWithdrawal(row interface{ Scan(...any) error }) (Withdrawal, error) {
	var w Withdrawal
	var created, updated string
	var final sql.NullString
	err := row.Scan(&w.ID, &w.MerchantID, &w.Wallet, &w.QuoteID, &w.PartnerReferenceNo, &w.NetzmeReferenceNo,
		&w.AmountMinor, &w.AccountName, &w.AccountNumber, &w.BankName, &w.BankCode, &w.Status, &w.FailureCode,
		&w.FailureReason, &w.RawResponse, &w.RequestedBy, &w.ApprovedBy, &created, &updated, &final)
	if err != nil {
		return Withdrawal{}, err
	}
	if w.CreatedAt, err = parseTime(created); err != nil {
		return Withdrawal{}, err
	}
	if w.UpdatedAt, err = parseTime(updated); err != nil {
		return Withdrawal{}, err
	}
	if final.Valid {
		t, err := parseTime(final.String)
		if err != nil {
			return Withdrawal{}, err
		}
		w.FinalAt = sql.NullTime{Time: t, Valid: true}
	}
	return w, nil
}

// StartWithdrawal turns the open quote with token into a withdrawal, in one
// transaction with its audit entry, and commits — before Netzme is called.
// The new row is 'unknown' (ready to send) or, with needApproval,
// 'awaiting_approval'. Errors: ErrNotFound (no such quote for merchantID),
// ErrQuoteUsed (already used or expired at now: a repeat submit), ErrConflict
// (another withdrawal of this wallet is still open). It writes no ledger
// transaction: money starts withdrawals with Tx.StartWithdrawal and books them
// in the same transaction.
func (d *DB) StartWithdrawal(ctx context.Context, merchantID int64, token, partnerRef string, requestedBy int64,
	needApproval bool, now time.Time, audit AuditEntry) (Withdrawal, error) {
	var w Withdrawal
	err := d.InTx(ctx, func(tx *Tx) error {
		var err error
		w, err = tx.StartWithdrawal(ctx, merchantID, token, partnerRef, requestedBy, needApproval, now, audit)
		return err
	})
	return w, err
}

// StartWithdrawal is DB.StartWithdrawal inside tx.
func (tx *Tx) StartWithdrawal(ctx context.Context, merchantID int64, token, partnerRef string, requestedBy int64,
	needApproval bool, now time.Time, audit AuditEntry) (Withdrawal, error) {
	q, err := scanQuote(tx.tx.QueryRowContext(ctx, `SELECT `+quoteColumns+` FROM withdraw_quotes WHERE token = ? AND merchant_id = ?`,
		token, merchantID))
	if err != nil {
		return Withdrawal{}, notFound(err, "withdraw quote")
	}
	if q.Status != "open" || !now.Before(q.ExpiresAt) {
		return Withdrawal{}, fmt.Errorf("db: withdraw quote %d: %w", q.ID, ErrQuoteUsed)
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE withdraw_quotes SET status = 'used' WHERE id = ? AND status = 'open'`, q.ID); err != nil {
		return Withdrawal{}, fmt.Errorf("db: withdraw quote %d: %w", q.ID, err)
	}
	status := WithdrawalUnknown
	if needApproval {
		status = WithdrawalAwaitingApproval
	}
	ts := formatTime(now)
	w, err := scanWithdrawal(tx.tx.QueryRowContext(ctx, `INSERT INTO withdrawals (merchant_id, wallet, quote_id,
		partner_reference_no, amount_minor, account_name, account_number, bank_name, bank_code, status,
		requested_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+withdrawalColumns,
		merchantID, string(q.Wallet), q.ID, partnerRef, q.AmountMinor, q.AccountName, q.AccountNumber, q.BankName,
		q.BankCode, string(status), nullID(requestedBy), ts, ts))
	if isUniqueViolation(err) {
		return Withdrawal{}, fmt.Errorf("db: withdrawal for merchant %d: %w", merchantID, ErrConflict)
	} else if err != nil {
		return Withdrawal{}, fmt.Errorf("db: withdrawal for merchant %d: %w", merchantID, err)
	}
	if audit.MerchantID == 0 {
		audit.MerchantID = merchantID
	}
	return w, tx.Audit(ctx, audit)
}

// QuoteWithdrawal returns the newest withdrawal started from quote token of
// merchantID (what a repeated submit should show), or ErrNotFound.
func (d *DB) QuoteWithdrawal(ctx context.Context, merchantID int64, token string) (Withdrawal, error) {
	w, err := scanWithdrawal(d.sql.QueryRowContext(ctx, `SELECT `+withdrawalColumns+` FROM withdrawals
		WHERE merchant_id = ? AND quote_id = (SELECT id FROM withdraw_quotes WHERE token = ? AND merchant_id = ?)
		ORDER BY id DESC LIMIT 1`, merchantID, token, merchantID))
	if err != nil {
		return Withdrawal{}, notFound(err, "withdrawal of quote")
	}
	return w, nil
}

// WithdrawalChange moves a withdrawal from one of From to To. Empty fields
// leave the stored values alone.
type WithdrawalChange struct {
	From              []WithdrawalStatus
	To                WithdrawalStatus
	NetzmeReferenceNo string
	FailureCode       string
	FailureReason     string
	RawResponse       string
	ApprovedBy        int64
	At                time.Time // zero = now
	// ReopenQuote puts the confirmation form back to 'open' (a refusal that
	// moved no money, such as a wrong PIN, may be retried from the same form).
	ReopenQuote bool
}

// ChangeWithdrawal applies ch to withdrawal id inside tx. It reports false
// (changing nothing) when the withdrawal is not in one of ch.From, so a late
// callback or a second poller cannot undo a final status.
func (tx *Tx) ChangeWithdrawal(ctx context.Context, id int64, ch WithdrawalChange) (bool, error) {
	if len(ch.From) == 0 {
		return false, fmt.Errorf("db: withdrawal %d: change without From statuses", id)
	}
	at := ch.At
	if at.IsZero() {
		at = tx.now
	}
	set := []string{"status = ?", "updated_at = ?"}
	args := []any{string(ch.To), formatTime(at)}
	if ch.To == WithdrawalSuccess || ch.To == WithdrawalFailed || ch.To == WithdrawalCancelled {
		set = append(set, "final_at = ?")
		args = append(args, formatTime(at))
	}
	for _, f := range []struct {
		col, v string
	}{{"netzme_reference_no", ch.NetzmeReferenceNo}, {"failure_code", ch.FailureCode},
		{"failure_reason", ch.FailureReason}, {"raw_response", ch.RawResponse}} {
		if f.v != "" {
			set = append(set, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	if ch.ApprovedBy != 0 {
		set = append(set, "approved_by = ?")
		args = append(args, ch.ApprovedBy)
	}
	args = append(args, id)
	in := make([]string, len(ch.From))
	for i, s := range ch.From {
		in[i] = "?"
		args = append(args, string(s))
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE withdrawals SET `+strings.Join(set, ", ")+
		` WHERE id = ? AND status IN (`+strings.Join(in, ", ")+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("db: withdrawal %d -> %s: %w", id, ch.To, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if ch.ReopenQuote {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE withdraw_quotes SET status = 'open'
			WHERE id = (SELECT quote_id FROM withdrawals WHERE id = ?)`, id); err != nil {
			return false, fmt.Errorf("db: withdrawal %d reopen form: %w", id, err)
		}
	}
	return true, nil
}

// ChangeWithdrawal is Tx.ChangeWithdrawal in a transaction of its own, with
// an audit entry when audit.Action is set and the change applied. It writes
// no ledger transaction: money changes withdrawals inside its own
// transactions and books them there.
func (d *DB) ChangeWithdrawal(ctx context.Context, id int64, ch WithdrawalChange, audit AuditEntry) (bool, error) {
	var applied bool
	err := d.InTx(ctx, func(tx *Tx) error {
		var err error
		if applied, err = tx.ChangeWithdrawal(ctx, id, ch); err != nil || !applied || audit.Action == "" {
			return err
		}
		return tx.Audit(ctx, audit)
	})
	return applied, err
}

// MerchantWithdrawal returns withdrawal id if it belongs to merchantID, else
// ErrNotFound.
func (d *DB) MerchantWithdrawal(ctx context.Context, merchantID, id int64) (Withdrawal, error) {
	w, err := scanWithdrawal(d.sql.QueryRowContext(ctx, `SELECT `+withdrawalColumns+` FROM withdrawals WHERE id = ? AND merchant_id = ?`,
		id, merchantID))
	if err != nil {
		return Withdrawal{}, notFound(err, fmt.Sprintf("withdrawal %d of merchant %d", id, merchantID))
	}
	return w, nil
}

// Withdrawal returns withdrawal id of any merchant (for the background
// resolver, which acts for every merchant), or ErrNotFound.
func (d *DB) Withdrawal(ctx context.Context, id int64) (Withdrawal, error) {
	w, err := scanWithdrawal(d.sql.QueryRowContext(ctx, `SELECT `+withdrawalColumns+` FROM withdrawals WHERE id = ?`, id))
	if err != nil {
		return Withdrawal{}, notFound(err, fmt.Sprintf("withdrawal %d", id))
	}
	return w, nil
}

// Withdrawals lists merchantID's withdrawals of wallet ("" = both), newest
// first, at most limit (0 = 100).
func (d *DB) Withdrawals(ctx context.Context, merchantID int64, wallet Wallet, limit int) ([]Withdrawal, error) {
	if limit <= 0 {
		limit = 100
	}
	return queryWithdrawals(ctx, d.sql, `SELECT `+withdrawalColumns+` FROM withdrawals
		WHERE merchant_id = ? AND (? = '' OR wallet = ?) ORDER BY id DESC LIMIT ?`, merchantID, string(wallet), string(wallet), limit)
}

// OpenWithdrawal returns merchantID's open withdrawal of wallet (awaiting
// approval, unknown or pending), or ErrNotFound when a new one may start.
func (d *DB) OpenWithdrawal(ctx context.Context, merchantID int64, wallet Wallet) (Withdrawal, error) {
	w, err := scanWithdrawal(d.sql.QueryRowContext(ctx, `SELECT `+withdrawalColumns+` FROM withdrawals
		WHERE merchant_id = ? AND wallet = ? AND status IN ('awaiting_approval', 'unknown', 'pending')`, merchantID, string(wallet)))
	if err != nil {
		return Withdrawal{}, notFound(err, "open withdrawal")
	}
	return w, nil
}

// UnresolvedWithdrawals returns every merchant's unknown and pending
// withdrawals, oldest first: the work list of the start-up resolver and the
// background poller.
func (d *DB) UnresolvedWithdrawals(ctx context.Context) ([]Withdrawal, error) {
	return queryWithdrawals(ctx, d.sql, `SELECT `+withdrawalColumns+` FROM withdrawals
		WHERE status IN ('unknown', 'pending') ORDER BY id`)
}

// WithdrawalByReference finds a withdrawal by our partnerReferenceNo or, if
// that is empty or unknown, by Netzme's withdrawal id (any merchant; callers
// check MerchantID), or ErrNotFound.
func (tx *Tx) WithdrawalByReference(ctx context.Context, partnerRef, netzmeRef string) (Withdrawal, error) {
	if partnerRef != "" {
		w, err := scanWithdrawal(tx.tx.QueryRowContext(ctx, `SELECT `+withdrawalColumns+` FROM withdrawals WHERE partner_reference_no = ?`, partnerRef))
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return w, err
		}
	}
	if netzmeRef != "" {
		w, err := scanWithdrawal(tx.tx.QueryRowContext(ctx, `SELECT `+withdrawalColumns+` FROM withdrawals WHERE netzme_reference_no = ?`, netzmeRef))
		return w, notFoundOrNil(err, "withdrawal by Netzme reference")
	}
	return Withdrawal{}, fmt.Errorf("db: withdrawal by reference %q: %w", partnerRef, ErrNotFound)
}

func notFoundOrNil(err error, what string) error {
	if err == nil {
		return nil
	}
	return notFound(err, what)
}

func queryWithdrawals(ctx context.Context, q reader, query string, args ...any) ([]Withdrawal, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: withdrawals: %w", err)
	}
	defer rows.Close()
	var out []Withdrawal
	for rows.Next() {
		w, err := scanWithdrawal(rows)
		if err != nil {
			return nil, fmt.Errorf("db: withdrawals: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// SecondApprover reports whether merchantID's withdrawals need a second
// owner's approval (off unless set).
func (d *DB) SecondApprover(ctx context.Context, merchantID int64) (bool, error) {
	var on bool
	err := d.sql.QueryRowContext(ctx, `SELECT second_approver FROM money_out_settings WHERE merchant_id = ?`, merchantID).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("db: money-out settings %d: %w", merchantID, err)
	}
	return on, nil
}

// SetSecondApprover switches the second-approver rule for merchantID, with
// its audit entry, in one transaction.
func (d *DB) SetSecondApprover(ctx context.Context, merchantID int64, on bool, by int64, audit AuditEntry) error {
	return d.InTx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO money_out_settings (merchant_id, second_approver, updated_by, updated_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (merchant_id) DO UPDATE SET second_approver = excluded.second_approver,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			merchantID, boolInt(on), nullID(by), formatTime(tx.now))
		if err != nil {
			return fmt.Errorf("db: money-out settings %d: %w", merchantID, err)
		}
		if audit.MerchantID == 0 {
			audit.MerchantID = merchantID
		}
		return tx.Audit(ctx, audit)
	})
}

// WithdrawQuoteByID returns quote id of merchantID, or ErrNotFound.
func (d *DB) WithdrawQuoteByID(ctx context.Context, merchantID, id int64) (WithdrawQuote, error) {
	q, err := scanQuote(d.sql.QueryRowContext(ctx, `SELECT `+quoteColumns+` FROM withdraw_quotes WHERE id = ? AND merchant_id = ?`, id, merchantID))
	if err != nil {
		return WithdrawQuote{}, notFound(err, fmt.Sprintf("withdraw quote %d", id))
	}
	return q, nil
}
