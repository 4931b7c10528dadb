package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// The journal's storage (migration 00008). money decides what each event
// posts (money/ledger.go); db writes it and the database itself refuses what
// would break the books: an unbalanced transaction, a posting outside its
// transaction, any update or delete, a second reversal.

// LedgerKind is what a ledger transaction records.
type LedgerKind string

// Ledger transaction kinds. A reversal keeps the kind of what it reverses.
const (
	KindSale                       LedgerKind = "sale" // an invoice, a static-QRIS payment or a CVS bill paid
	KindTopup                      LedgerKind = "topup"
	KindWithdrawalSent             LedgerKind = "withdrawal_sent"
	KindWithdrawalSucceeded        LedgerKind = "withdrawal_succeeded"
	KindWithdrawalFailed           LedgerKind = "withdrawal_failed"
	KindDepositWithdrawalSent      LedgerKind = "deposit_withdrawal_sent"
	KindDepositWithdrawalSucceeded LedgerKind = "deposit_withdrawal_succeeded"
	KindDepositWithdrawalFailed    LedgerKind = "deposit_withdrawal_failed"
	KindSplitFee                   LedgerKind = "split_fee"
	KindAdjustment                 LedgerKind = "adjustment"
	KindOpeningBalance             LedgerKind = "opening_balance"
)

// LedgerAccount is a code of the chart of accounts (ledger_chart); every
// merchant has each of them.
type LedgerAccount string

// The chart of accounts.
const (
	AccountNetzmeBalance            LedgerAccount = "netzme:balance"
	AccountNetzmeDeposit            LedgerAccount = "netzme:deposit"
	AccountTransitWithdrawal        LedgerAccount = "transit:withdrawal"
	AccountTransitDepositWithdrawal LedgerAccount = "transit:deposit-withdrawal"
	AccountBank                     LedgerAccount = "bank"
	AccountNicepayReceivable        LedgerAccount = "nicepay:receivable"
	AccountExpenseMDR               LedgerAccount = "expense:mdr"
	AccountExpenseSplitFee          LedgerAccount = "expense:split-fee"
	AccountIncomeSales              LedgerAccount = "income:sales"
	AccountEquityOwner              LedgerAccount = "equity:owner"
	AccountEquityOpening            LedgerAccount = "equity:opening"
)

// LedgerAccounts lists the chart in its order.
var LedgerAccounts = []LedgerAccount{AccountNetzmeBalance, AccountNetzmeDeposit, AccountTransitWithdrawal,
	AccountTransitDepositWithdrawal, AccountBank, AccountNicepayReceivable, AccountExpenseMDR, AccountExpenseSplitFee,
	AccountIncomeSales, AccountEquityOwner, AccountEquityOpening}

// LedgerActor is who caused a ledger transaction.
type LedgerActor string

// Ledger actors. User transactions name the user.
const (
	ActorNetzme   LedgerActor = "netzme"
	ActorNicepay  LedgerActor = "nicepay"
	ActorUser     LedgerActor = "user"
	ActorSystem   LedgerActor = "system"
	ActorBackfill LedgerActor = "backfill"
)

// Sources a ledger transaction may belong to (LedgerEntry.SourceTable).
const (
	SourceInvoices    = "invoices"
	SourcePayments    = "payments"
	SourceCVSBills    = "cvs_bills"
	SourceWithdrawals = "withdrawals"
	SourceSplitFees   = "split_fees"
)

// Posting is one amount on one account, in sen: debit positive, credit
// negative.
type Posting struct {
	Account     LedgerAccount `json:"account"`
	AmountMinor int64         `json:"amount"`
}

// LedgerEntry is a ledger transaction to write: one business event.
type LedgerEntry struct {
	MerchantID int64
	// Key is the idempotency key, unique per merchant, derived from the
	// event's source: a second entry with the same key writes nothing.
	Key         string
	Kind        LedgerKind
	Method      string // payment method (QRIS, BCA_VA…, QRIS_STATIC, CVS); "" if none
	AmountMinor int64  // the event's gross amount (negated on a reversal)
	FeeMinor    int64  // Netzme's fee on it (negated on a reversal)
	SourceTable string // one of the Source* tables; "" for adjustments
	SourceID    int64
	Reference   string // our reference (partnerReferenceNo, rrn, payNo)
	ExternalID  string // the provider's id (trxId, withdrawal id, paymentRequestId)
	OccurredAt  time.Time
	Actor       LedgerActor
	UserID      int64 // 0 = no person
	Memo        string
	ReversesID  int64 // the transaction this one reverses; 0 = none
	Postings    []Posting
}

// NetMinor is the gross amount less the fee.
func (e LedgerEntry) NetMinor() int64 { return e.AmountMinor - e.FeeMinor }

// Posting returns e's amount on account (0 when it has none).
func (e LedgerEntry) Posting(account LedgerAccount) int64 {
	for _, p := range e.Postings {
		if p.Account == account {
			return p.AmountMinor
		}
	}
	return 0
}

// LedgerTransaction is a written ledger transaction.
type LedgerTransaction struct {
	ID int64
	LedgerEntry
	RecordedAt time.Time
}

// ErrUnbalanced is returned (wrapped) for an entry the books cannot take:
// postings that do not sum to zero, fewer than two, a zero amount, or one
// account twice. The database refuses the same on its own.
var ErrUnbalanced = errors.New("db: ledger transaction does not balance")

// check is the Go side of what the database enforces, for a clear error.
func (e LedgerEntry) check() error {
	if len(e.Postings) < 2 || len(e.Postings) > 8 {
		return fmt.Errorf("%d postings: %w", len(e.Postings), ErrUnbalanced)
	}
	var sum int64
	seen := map[LedgerAccount]bool{}
	for _, p := range e.Postings {
		if p.AmountMinor == 0 || seen[p.Account] {
			return fmt.Errorf("posting %s %d: %w", p.Account, p.AmountMinor, ErrUnbalanced)
		}
		seen[p.Account] = true
		sum += p.AmountMinor
	}
	if sum != 0 {
		return fmt.Errorf("postings sum to %d sen: %w", sum, ErrUnbalanced)
	}
	if e.Key == "" || e.MerchantID == 0 || e.OccurredAt.IsZero() || e.Actor == "" {
		return fmt.Errorf("db: ledger entry %q: merchant, key, occurred_at and actor are required", e.Key)
	}
	return nil
}

const ledgerColumns = `id, merchant_id, key, kind, method, amount_minor, fee_minor, source_table, coalesce(source_id, 0),
	reference, external_id, occurred_at, recorded_at, actor, coalesce(user_id, 0), memo, coalesce(reverses_id, 0), postings`

func scanLedger(row interface{ Scan(...any) error }) (LedgerTransaction, error) {
	var t LedgerTransaction
	var occurred, recorded, postings string
	err := row.Scan(&t.ID, &t.MerchantID, &t.Key, &t.Kind, &t.Method, &t.AmountMinor, &t.FeeMinor, &t.SourceTable,
		&t.SourceID, &t.Reference, &t.ExternalID, &occurred, &recorded, &t.Actor, &t.UserID, &t.Memo, &t.ReversesID, &postings)
	if err != nil {
		return LedgerTransaction{}, err
	}
	if t.OccurredAt, err = parseTime(occurred); err != nil {
		return LedgerTransaction{}, err
	}
	if t.RecordedAt, err = parseTime(recorded); err != nil {
		return LedgerTransaction{}, err
	}
	if err := json.Unmarshal([]byte(postings), &t.Postings); err != nil {
		return LedgerTransaction{}, fmt.Errorf("db: ledger transaction %d postings: %w", t.ID, err)
	}
	return t, nil
}

// PostLedger writes entry e inside tx: the transaction row, and through the
// database's triggers its postings, the accounts' running balances and the
// daily totals, all in this statement. If the merchant already has a
// transaction with e.Key, nothing is written and that one is returned with
// created false (a replay posts nothing). Errors: ErrUnbalanced; ErrConflict
// when e reverses a transaction that is already reversed.
func (tx *Tx) PostLedger(ctx context.Context, e LedgerEntry) (t LedgerTransaction, created bool, err error) {
	if err := e.check(); err != nil {
		return LedgerTransaction{}, false, err
	}
	postings, err := json.Marshal(e.Postings)
	if err != nil {
		return LedgerTransaction{}, false, fmt.Errorf("db: ledger %s: %w", e.Key, err)
	}
	var source any
	if e.SourceTable != "" {
		source = e.SourceID
	} else {
		e.SourceID = 0
	}
	// RETURNING id only: the rest of the row is e as stored (times to the
	// microsecond, as formatTime writes them), so the hot path (a callback
	// booking its payment) reads back one integer, not eighteen columns
	// and the postings' JSON.
	var id int64
	err = tx.tx.QueryRowContext(ctx, `INSERT INTO ledger_transactions (merchant_id, key, kind, method,
		amount_minor, fee_minor, source_table, source_id, reference, external_id, occurred_at, recorded_at, actor, user_id,
		memo, reverses_id, posting_count, postings)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (merchant_id, key) DO NOTHING RETURNING id`,
		e.MerchantID, e.Key, string(e.Kind), e.Method, e.AmountMinor, e.FeeMinor, e.SourceTable, source, e.Reference,
		e.ExternalID, formatTime(e.OccurredAt), formatTime(tx.now), string(e.Actor), nullID(e.UserID), e.Memo,
		nullID(e.ReversesID), len(e.Postings), string(postings)).Scan(&id)
	switch {
	case err == nil:
		e.OccurredAt, e.Postings = e.OccurredAt.UTC().Truncate(time.Microsecond), slices.Clone(e.Postings)
		return LedgerTransaction{ID: id, LedgerEntry: e, RecordedAt: tx.now.UTC().Truncate(time.Microsecond)}, true, nil
	case isUniqueViolation(err):
		return LedgerTransaction{}, false, fmt.Errorf("db: ledger %s: %w", e.Key, ErrConflict)
	case !errors.Is(err, sql.ErrNoRows):
		return LedgerTransaction{}, false, fmt.Errorf("db: ledger %s: %w", e.Key, err)
	}
	t, err = tx.LedgerTransactionByKey(ctx, e.MerchantID, e.Key)
	return t, false, err
}

// LedgerTransactionByKey returns merchantID's transaction with key, or
// ErrNotFound.
func (tx *Tx) LedgerTransactionByKey(ctx context.Context, merchantID int64, key string) (LedgerTransaction, error) {
	t, err := scanLedger(tx.tx.QueryRowContext(ctx, `SELECT `+ledgerColumns+` FROM ledger_transactions
		WHERE merchant_id = ? AND key = ?`, merchantID, key))
	if err != nil {
		return LedgerTransaction{}, notFound(err, "ledger transaction "+key)
	}
	return t, nil
}

// LedgerTransaction returns merchantID's ledger transaction id inside tx, or
// ErrNotFound.
func (tx *Tx) LedgerTransaction(ctx context.Context, merchantID, id int64) (LedgerTransaction, error) {
	return ledgerTransaction(ctx, tx.tx, merchantID, id)
}

// LedgerTransaction returns merchantID's ledger transaction id, or
// ErrNotFound (another merchant's does not exist for this one).
func (d *DB) LedgerTransaction(ctx context.Context, merchantID, id int64) (LedgerTransaction, error) {
	return ledgerTransaction(ctx, d.sql, merchantID, id)
}

func ledgerTransaction(ctx context.Context, q reader, merchantID, id int64) (LedgerTransaction, error) {
	t, err := scanLedger(q.QueryRowContext(ctx, `SELECT `+ledgerColumns+` FROM ledger_transactions
		WHERE id = ? AND merchant_id = ?`, id, merchantID))
	if err != nil {
		return LedgerTransaction{}, notFound(err, fmt.Sprintf("ledger transaction %d of merchant %d", id, merchantID))
	}
	return t, nil
}

// ReversalOf returns the transaction that reverses id, or ErrNotFound.
func (tx *Tx) ReversalOf(ctx context.Context, id int64) (LedgerTransaction, error) {
	t, err := scanLedger(tx.tx.QueryRowContext(ctx, `SELECT `+ledgerColumns+` FROM ledger_transactions WHERE reverses_id = ?`, id))
	if err != nil {
		return LedgerTransaction{}, notFound(err, fmt.Sprintf("reversal of ledger transaction %d", id))
	}
	return t, nil
}

// LedgerTransactionsOf returns the ledger transactions of one record (table
// one of the Source* names), oldest first.
func (d *DB) LedgerTransactionsOf(ctx context.Context, table string, id int64) ([]LedgerTransaction, error) {
	return queryLedger(ctx, d.sql, `SELECT `+ledgerColumns+` FROM ledger_transactions
		WHERE source_table = ? AND source_id = ? ORDER BY id`, table, id)
}

// RecentMoneyIn returns merchantID's newest sales and top-ups (reversals
// included), newest first, at most limit: the dashboard's last payments,
// read from an index however long the journal is.
func (d *DB) RecentMoneyIn(ctx context.Context, merchantID int64, limit int) ([]LedgerTransaction, error) {
	return queryLedger(ctx, d.sql, `SELECT `+ledgerColumns+` FROM ledger_transactions INDEXED BY ledger_transactions_money_in
		WHERE merchant_id = ? AND kind IN ('sale', 'topup') ORDER BY occurred_at DESC, id DESC LIMIT ?`, merchantID, limit)
}

func queryLedger(ctx context.Context, q reader, query string, args ...any) ([]LedgerTransaction, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: ledger: %w", err)
	}
	defer rows.Close()
	var out []LedgerTransaction
	for rows.Next() {
		t, err := scanLedger(rows)
		if err != nil {
			return nil, fmt.Errorf("db: ledger: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// AccountBalance is one account of a merchant with its balance in sen, read
// from its checkpoint (debit positive: an asset holds money when positive,
// income and equity are negative when they grew).
type AccountBalance struct {
	MerchantID   int64
	Account      LedgerAccount
	Type         string // asset, expense, income, equity
	BalanceMinor int64
	Postings     int
}

// LedgerBalances returns every account of merchantID in chart order, each
// balance read from its checkpoint: one row per account, whatever the size of
// the journal.
func (d *DB) LedgerBalances(ctx context.Context, merchantID int64) ([]AccountBalance, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT a.merchant_id, a.code, c.type, a.balance_minor, a.postings
		FROM ledger_accounts a JOIN ledger_chart c ON c.code = a.code
		WHERE a.merchant_id = ? ORDER BY c.position`, merchantID)
	if err != nil {
		return nil, fmt.Errorf("db: ledger balances: %w", err)
	}
	defer rows.Close()
	var out []AccountBalance
	for rows.Next() {
		var b AccountBalance
		if err := rows.Scan(&b.MerchantID, &b.Account, &b.Type, &b.BalanceMinor, &b.Postings); err != nil {
			return nil, fmt.Errorf("db: ledger balances: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// LedgerBalance returns merchantID's balance on account in sen, from its
// checkpoint.
func (d *DB) LedgerBalance(ctx context.Context, merchantID int64, account LedgerAccount) (int64, error) {
	var b int64
	err := d.sql.QueryRowContext(ctx, `SELECT balance_minor FROM ledger_accounts WHERE merchant_id = ? AND code = ?`,
		merchantID, string(account)).Scan(&b)
	if err != nil {
		return 0, notFound(err, fmt.Sprintf("ledger account %s of merchant %d", account, merchantID))
	}
	return b, nil
}

// DailyTotal is one row of the daily totals: a merchant's transactions of
// one kind and method on one Jakarta day. Count is transactions less
// reversals; amounts in sen.
type DailyTotal struct {
	Day         string // YYYY-MM-DD, Asia/Jakarta
	Kind        LedgerKind
	Method      string
	Count       int
	AmountMinor int64
	FeeMinor    int64
}

// DaySum is one Jakarta day's total over every method of a kind.
type DaySum struct {
	Day         string // YYYY-MM-DD
	Count       int
	AmountMinor int64
	FeeMinor    int64
}

// DailySums returns merchantID's totals of kind per Jakarta day for the days
// from..to (YYYY-MM-DD, both included), oldest first; days without any
// transaction are absent. It reads the daily totals, never the journal.
func (d *DB) DailySums(ctx context.Context, merchantID int64, kind LedgerKind, from, to string) ([]DaySum, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT day, sum(count), sum(amount_minor), sum(fee_minor) FROM ledger_daily
		WHERE merchant_id = ? AND day BETWEEN ? AND ? AND kind = ? GROUP BY day ORDER BY day`,
		merchantID, from, to, string(kind))
	if err != nil {
		return nil, fmt.Errorf("db: daily sums: %w", err)
	}
	defer rows.Close()
	var out []DaySum
	for rows.Next() {
		var s DaySum
		if err := rows.Scan(&s.Day, &s.Count, &s.AmountMinor, &s.FeeMinor); err != nil {
			return nil, fmt.Errorf("db: daily sums: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DailyTotals returns merchantID's daily totals for the days from..to
// (YYYY-MM-DD, both included), by day, kind and method.
func (d *DB) DailyTotals(ctx context.Context, merchantID int64, from, to string) ([]DailyTotal, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT day, kind, method, count, amount_minor, fee_minor FROM ledger_daily
		WHERE merchant_id = ? AND day BETWEEN ? AND ? ORDER BY day, kind, method`, merchantID, from, to)
	if err != nil {
		return nil, fmt.Errorf("db: daily totals: %w", err)
	}
	defer rows.Close()
	var out []DailyTotal
	for rows.Next() {
		var t DailyTotal
		if err := rows.Scan(&t.Day, &t.Kind, &t.Method, &t.Count, &t.AmountMinor, &t.FeeMinor); err != nil {
			return nil, fmt.Errorf("db: daily totals: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// LedgerBackfillPending reports whether the journal still has to be filled
// from the records written before it existed (migration 00008 leaves it
// pending; the start-up step marks it done).
func (d *DB) LedgerBackfillPending(ctx context.Context) (bool, error) {
	var state string
	err := d.sql.QueryRowContext(ctx, `SELECT state FROM ledger_backfill WHERE id = 1`).Scan(&state)
	if err != nil {
		return false, fmt.Errorf("db: ledger backfill state: %w", err)
	}
	return state == "pending", nil
}

// MarkLedgerBackfilled records that the backfill finished.
func (tx *Tx) MarkLedgerBackfilled(ctx context.Context) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE ledger_backfill SET state = 'done', finished_at = ? WHERE id = 1`, formatTime(tx.now))
	if err != nil {
		return fmt.Errorf("db: ledger backfill state: %w", err)
	}
	return nil
}
