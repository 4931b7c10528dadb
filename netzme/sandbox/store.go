package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	_ "modernc.org/sqlite" // pure-Go driver "sqlite": the sandbox must build without cgo
)

// schema is the sandbox's own state. It is created with CREATE TABLE IF NOT
// EXISTS rather than goose because the sandbox is a separate little program
// with its own file; it must never share migrations with Lapak's database.
// Money columns are int64 sen; times are Unix milliseconds UTC.
const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS merchants (
	cust_id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	phone TEXT NOT NULL UNIQUE,
	city TEXT NOT NULL,
	postal_code TEXT NOT NULL,
	mcc TEXT NOT NULL,
	nmid TEXT NOT NULL,
	mpan TEXT NOT NULL,
	merchant_id TEXT NOT NULL,
	criteria TEXT NOT NULL,
	qris_static TEXT NOT NULL,
	bank_account_name TEXT NOT NULL,
	bank_account_number TEXT NOT NULL,
	bank_name TEXT NOT NULL,
	bank_code TEXT NOT NULL,
	min_withdraw_minor INTEGER NOT NULL CHECK (min_withdraw_minor >= 0),
	min_deposit_withdraw_minor INTEGER NOT NULL CHECK (min_deposit_withdraw_minor >= 0),
	pin_hash TEXT NOT NULL DEFAULT '',
	pin_failures INTEGER NOT NULL DEFAULT 0,
	pin_blocked INTEGER NOT NULL DEFAULT 0,
	forgot_pin_until INTEGER NOT NULL DEFAULT 0,
	last_sms TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE TABLE IF NOT EXISTS tokens (
	token TEXT PRIMARY KEY,
	client_id TEXT NOT NULL,
	issued_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS external_ids (
	client_id TEXT NOT NULL,
	day TEXT NOT NULL,
	external_id TEXT NOT NULL,
	PRIMARY KEY (client_id, day, external_id)
) STRICT;
CREATE TABLE IF NOT EXISTS ledger (
	id INTEGER PRIMARY KEY,
	cust_id TEXT NOT NULL REFERENCES merchants(cust_id),
	wallet TEXT NOT NULL CHECK (wallet IN ('balance', 'deposit')),
	amount_minor INTEGER NOT NULL,
	kind TEXT NOT NULL,
	ref TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	settle_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS invoices (
	invoice_id TEXT PRIMARY KEY,
	cust_id TEXT NOT NULL,
	partner_reference_no TEXT NOT NULL,
	amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
	description TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS invoice_trx (
	trx_id TEXT PRIMARY KEY,
	invoice_id TEXT NOT NULL,
	cust_id TEXT NOT NULL,
	partner_reference_no TEXT NOT NULL UNIQUE,
	pay_method TEXT NOT NULL,
	api_source TEXT NOT NULL,
	amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
	fee_minor INTEGER NOT NULL CHECK (fee_minor >= 0),
	fee_type TEXT NOT NULL,
	description TEXT NOT NULL,
	notes TEXT NOT NULL,
	email TEXT NOT NULL,
	phone TEXT NOT NULL,
	fullname TEXT NOT NULL,
	terminal_id TEXT NOT NULL,
	invoice_number TEXT NOT NULL,
	qris_payload TEXT NOT NULL,
	va_json TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('INIT', 'SUCCESS', 'CLOSED')),
	closed_reason TEXT NOT NULL DEFAULT '',
	paid_amount_minor INTEGER NOT NULL DEFAULT 0,
	paid_fee_minor INTEGER NOT NULL DEFAULT 0,
	paid_at INTEGER NOT NULL DEFAULT 0,
	reference_id TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS qris_payments (
	reference_id TEXT PRIMARY KEY,
	rrn TEXT NOT NULL,
	local_date TEXT NOT NULL,
	issuer_id TEXT NOT NULL,
	cust_id TEXT NOT NULL,
	trx_id TEXT NOT NULL,
	amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
	fee_minor INTEGER NOT NULL CHECK (fee_minor >= 0),
	customer_pan TEXT NOT NULL,
	buyer_name TEXT NOT NULL,
	terminal_id TEXT NOT NULL,
	invoice_number TEXT NOT NULL,
	transaction_id TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS withdraw_inquiries (
	reference_no TEXT PRIMARY KEY,
	partner_reference_no TEXT NOT NULL,
	cust_id TEXT NOT NULL,
	wallet TEXT NOT NULL,
	amount_minor INTEGER NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS withdrawals (
	reference_no TEXT PRIMARY KEY,
	partner_reference_no TEXT NOT NULL,
	cust_id TEXT NOT NULL,
	wallet TEXT NOT NULL CHECK (wallet IN ('balance', 'deposit')),
	amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
	account_name TEXT NOT NULL,
	account_number TEXT NOT NULL,
	bank_name TEXT NOT NULL,
	bank_code TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED')),
	created_at INTEGER NOT NULL,
	settle_at INTEGER NOT NULL,
	final_at INTEGER NOT NULL DEFAULT 0,
	inquiry_reference_no TEXT NOT NULL DEFAULT '',
	UNIQUE (wallet, partner_reference_no)
) STRICT;
CREATE TABLE IF NOT EXISTS deductions (
	partner_reference_no TEXT PRIMARY KEY,
	reference_no TEXT NOT NULL,
	cust_id TEXT NOT NULL,
	amount_minor INTEGER NOT NULL,
	fee_minor INTEGER NOT NULL CHECK (fee_minor >= 0),
	product_name TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS deliveries (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	path TEXT NOT NULL,
	body BLOB NOT NULL,
	ref TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dropped', 'failed', 'skipped')),
	attempts INTEGER NOT NULL DEFAULT 0,
	last_http_status INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	not_before INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	delivered_at INTEGER NOT NULL DEFAULT 0
) STRICT;
-- The transaction lists (spec §3.4, §3.25) read one merchant's day from
-- each source; a seeded year (SeedHistory) must not make that a scan.
CREATE INDEX IF NOT EXISTS invoice_trx_history ON invoice_trx (cust_id, created_at);
CREATE INDEX IF NOT EXISTS invoice_trx_open ON invoice_trx (created_at) WHERE status = 'INIT';
CREATE INDEX IF NOT EXISTS qris_payments_history ON qris_payments (cust_id, created_at);
CREATE INDEX IF NOT EXISTS qris_payments_rrn ON qris_payments (rrn);
CREATE INDEX IF NOT EXISTS withdrawals_history ON withdrawals (cust_id, wallet, created_at);
CREATE INDEX IF NOT EXISTS withdrawals_inquiry ON withdrawals (inquiry_reference_no);
CREATE INDEX IF NOT EXISTS withdrawals_pending ON withdrawals (settle_at) WHERE status = 'PENDING';
CREATE INDEX IF NOT EXISTS deductions_history ON deductions (cust_id, created_at);
CREATE INDEX IF NOT EXISTS ledger_balance ON ledger (cust_id, wallet, settle_at, amount_minor);
CREATE INDEX IF NOT EXISTS ledger_adjustments ON ledger (cust_id, wallet, created_at) WHERE kind = 'adjustment';
`

// walletTotals keeps each wallet's running total, moved by a trigger in the
// same statement as every ledger entry, so a balance is one row away however
// long the journal grows (the dashboard asks for both balances on every view).
// The ledger stays the record: wallet_totals is derived from it, filled from
// it when a state file from before it is opened, and never written otherwise.
const walletTotals = `
CREATE TABLE wallet_totals (
	cust_id TEXT NOT NULL,
	wallet TEXT NOT NULL,
	total_minor INTEGER NOT NULL,
	entries INTEGER NOT NULL,
	PRIMARY KEY (cust_id, wallet)
) STRICT, WITHOUT ROWID;
INSERT INTO wallet_totals (cust_id, wallet, total_minor, entries)
	SELECT cust_id, wallet, SUM(amount_minor), COUNT(*) FROM ledger GROUP BY cust_id, wallet;
CREATE TRIGGER ledger_wallet_totals AFTER INSERT ON ledger BEGIN
	INSERT INTO wallet_totals (cust_id, wallet, total_minor, entries) VALUES (NEW.cust_id, NEW.wallet, NEW.amount_minor, 1)
	ON CONFLICT (cust_id, wallet) DO UPDATE SET total_minor = total_minor + excluded.total_minor, entries = entries + 1;
END;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN
	SELECT RAISE(ABORT, 'sandbox: the ledger is append-only');
END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN
	SELECT RAISE(ABORT, 'sandbox: the ledger is append-only');
END;
`

// readConns is the size of a file-backed state's read pool, and
// readCacheKiB each one's page cache: the reads are small (a balance, a
// status, a page of history), and the simulator runs inside Lapak's
// process, whose memory they share.
const (
	readConns    = 2
	readCacheKiB = 256
)

// openDB opens (creating if needed) the sandbox state: the writer, one
// connection that serialises every change, and the pool reads go to. path ""
// means a private in-memory database kept alive by that one connection,
// which then serves the reads too. A file is in WAL mode and its read pool
// has connections of its own (query_only): a balance or a status inquiry
// never waits behind a write or another read. synchronous=NORMAL: a
// simulator's commits need not each wait for the disk (a power cut may lose
// the last ones; the file stays consistent).
func openDB(ctx context.Context, path string) (w, r *sql.DB, err error) {
	dsn := "file::memory:?_pragma=foreign_keys(1)"
	if path != "" {
		dsn = "file:" + url.PathEscape(path) + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: open state %q: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := createSchema(ctx, db); err != nil {
		db.Close()
		return nil, nil, err
	}
	if path == "" {
		return db, db, nil
	}
	rdb, err := sql.Open("sqlite", "file:"+url.PathEscape(path)+"?_pragma=busy_timeout(5000)&_pragma=query_only(1)"+
		"&_pragma=cache_size(-"+strconv.Itoa(readCacheKiB)+")")
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("sandbox: open state %q: %w", path, err)
	}
	rdb.SetMaxOpenConns(readConns)
	rdb.SetMaxIdleConns(readConns)
	rdb.SetConnMaxLifetime(0)
	rdb.SetConnMaxIdleTime(0)
	return db, rdb, nil
}

// createSchema creates the tables a new state needs and brings an older
// state file up to date.
func createSchema(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("sandbox: create schema: %w", err)
	}
	// State files from the first builds stored the full callback URL.
	var old int
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('deliveries') WHERE name = 'url'`).Scan(&old)
	if old > 0 {
		if _, err := db.ExecContext(ctx, `ALTER TABLE deliveries RENAME COLUMN url TO path;
			UPDATE deliveries SET path = substr(path, instr(path, '/callbacks/')) WHERE path LIKE 'http%/callbacks/%'`); err != nil {
			return fmt.Errorf("sandbox: upgrade deliveries: %w", err)
		}
	}
	// The running totals, filled from the journal in the transaction that
	// creates them (a state file from before them, or a new one).
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sandbox: begin: %w", err)
	}
	defer tx.Rollback()
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'wallet_totals'`).Scan(&have); err != nil {
		return fmt.Errorf("sandbox: wallet totals: %w", err)
	}
	if have == 0 {
		if _, err := tx.ExecContext(ctx, walletTotals); err != nil {
			return fmt.Errorf("sandbox: wallet totals: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sandbox: wallet totals: %w", err)
	}
	return nil
}

// meta reads one identity value; ok is false when it was never stored.
func (s *Sandbox) meta(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("sandbox: meta %s: %w", key, err)
	}
	return v, true, nil
}

func (s *Sandbox) setMeta(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("sandbox: set meta %s: %w", key, err)
	}
	return nil
}

// inTx runs fn in one transaction. Callers hold s.mu, so with one connection
// nothing else can interleave.
func (s *Sandbox) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sandbox: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sandbox: commit: %w", err)
	}
	return nil
}
