package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Bulk loading a fresh database (`lapak seed`, issue 11 §7). Some triggers
// do per-row work that costs far less done in bulk: the invoice search
// index tokenizes each invoice as it is inserted and merges its segments as
// they pile up, and the journal's triggers check, post and checkpoint each
// ledger transaction in statements of their own. A bulk loader suspends
// them (BeginBulkLoad) and writes plain rows instead: ledger transactions
// and their postings as PostLedger renders them — the running balances
// kept here, in journal order, as the triggers keep them — and the search
// index built on the side (SearchIndexBuilder, on a connection and a file
// of its own, so that a second core does it while the loader writes).
// FinishBulkLoad then installs the index (or fills it from the invoices in
// one statement), writes the accounts' checkpoints and the daily totals,
// and recreates the triggers exactly as the migrations wrote them (their
// SQL is taken from sqlite_master before they are dropped): afterwards the
// schema is the migrations' own, and `lapak ledger verify` (VerifyLedger)
// finds the books as the triggers would have left them — the seed's tests
// check both.

// bulkTriggers are the triggers a bulk load suspends: the search index's
// insert trigger and the journal's checking and posting triggers. The
// append-only guards and the chart trigger on merchants stay.
var bulkTriggers = []string{"invoices_fts_insert", "ledger_transactions_balanced", "ledger_transactions_post",
	"ledger_postings_slot", "ledger_postings_checkpoint", "ledger_accounts_guard"}

// BulkLoad is a bulk load under way: the triggers it suspended and the
// books as its ledger transactions leave them.
type BulkLoad struct {
	triggers []string // CREATE TRIGGER statements, in creation order
	fts      string   // CREATE VIRTUAL TABLE invoices_fts

	accounts map[bulkAccountKey]int64 // (merchant, code) → ledger_accounts.id
	checks   map[int64]*bulkCheckpoint
	daily    map[bulkDayKey]*bulkDay
	days     []bulkDayKey // in order of first use
	lastTx   int64
	lastPost int64
}

type bulkAccountKey struct {
	merchantID int64
	code       LedgerAccount
}

type bulkCheckpoint struct{ balance, postings, last int64 }

type bulkDayKey struct {
	merchantID        int64
	day, kind, method string
}

type bulkDay struct{ count, amount, fee int64 }

// BeginBulkLoad suspends the per-row triggers on c, a connection to a
// migrated database whose journal and invoices are still empty (a bulk
// load fills a fresh database; anything else is refused). Call
// FinishBulkLoad on the same connection once every row is written.
func BeginBulkLoad(ctx context.Context, c *sql.Conn) (*BulkLoad, error) {
	var journal, invoices int
	if err := c.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM ledger_transactions), (SELECT count(*) FROM invoices)`).
		Scan(&journal, &invoices); err != nil {
		return nil, fmt.Errorf("db: bulk load: %w", err)
	}
	if journal != 0 || invoices != 0 {
		return nil, fmt.Errorf("db: bulk load: the database already holds %d ledger transactions and %d invoices", journal, invoices)
	}
	b := &BulkLoad{accounts: map[bulkAccountKey]int64{}, checks: map[int64]*bulkCheckpoint{}, daily: map[bulkDayKey]*bulkDay{}}
	if err := c.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'invoices_fts'`).Scan(&b.fts); err != nil {
		return nil, fmt.Errorf("db: bulk load: the search index: %w", err)
	}
	rows, err := c.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ('`+
		strings.Join(bulkTriggers, "', '")+`') ORDER BY rowid`)
	if err != nil {
		return nil, fmt.Errorf("db: bulk load: %w", err)
	}
	var names []string
	for rows.Next() {
		var name, stmt string
		if err := rows.Scan(&name, &stmt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("db: bulk load: %w", err)
		}
		names, b.triggers = append(names, name), append(b.triggers, stmt)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: bulk load: %w", err)
	}
	if len(names) != len(bulkTriggers) {
		return nil, fmt.Errorf("db: bulk load: found triggers %v, want %v", names, bulkTriggers)
	}
	for _, name := range names {
		if _, err := c.ExecContext(ctx, `DROP TRIGGER `+name); err != nil {
			return nil, fmt.Errorf("db: bulk load: drop %s: %w", name, err)
		}
	}
	return b, nil
}

// LoadAccounts reads the merchants' ledger accounts (written with the
// merchants, by their trigger) from c: call it once the merchants are
// written and before the first PostLedger.
func (b *BulkLoad) LoadAccounts(ctx context.Context, c *sql.Conn) error {
	rows, err := c.QueryContext(ctx, `SELECT id, merchant_id, code, balance_minor, postings FROM ledger_accounts`)
	if err != nil {
		return fmt.Errorf("db: bulk load: accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, merchantID, balance, postings int64
		var code LedgerAccount
		if err := rows.Scan(&id, &merchantID, &code, &balance, &postings); err != nil {
			return fmt.Errorf("db: bulk load: accounts: %w", err)
		}
		if balance != 0 || postings != 0 {
			return fmt.Errorf("db: bulk load: account %d already has postings", id)
		}
		b.accounts[bulkAccountKey{merchantID, code}] = id
	}
	return rows.Err()
}

// BulkLedgerColumns and BulkPostingColumns are the ledger_transactions and
// ledger_postings columns of PostLedger's rows, in order.
var (
	BulkLedgerColumns = []string{"id", "merchant_id", "key", "kind", "method", "amount_minor", "fee_minor", "source_table",
		"source_id", "reference", "external_id", "occurred_at", "recorded_at", "actor", "user_id", "memo", "reverses_id",
		"posting_count", "postings"}
	BulkPostingColumns = []string{"id", "transaction_id", "seq", "merchant_id", "account_id", "amount_minor", "balance_after_minor"}
)

// PostLedger renders e, recorded at recordedAt, as the journal's next
// transaction and its postings — what (*Tx).PostLedger and the triggers
// would store, after the same checks — and moves the accounts' balances
// and the daily totals. Call it in the order the events happened; write
// the rows in any order before FinishBulkLoad. A reversal is refused (a
// fresh journal has nothing to reverse), and so is a key used before.
func (b *BulkLoad) PostLedger(e LedgerEntry, recordedAt time.Time) (tx []any, postings [][]any, err error) {
	if err := e.check(); err != nil {
		return nil, nil, err
	}
	if e.ReversesID != 0 {
		return nil, nil, fmt.Errorf("db: bulk load: ledger %s reverses %d: a bulk load posts no reversals", e.Key, e.ReversesID)
	}
	ids := make([]int64, len(e.Postings))
	for i, p := range e.Postings {
		id, ok := b.accounts[bulkAccountKey{e.MerchantID, p.Account}]
		if !ok {
			return nil, nil, fmt.Errorf("db: bulk load: ledger %s: merchant %d has no account %s", e.Key, e.MerchantID, p.Account)
		}
		ids[i] = id
	}
	js, err := json.Marshal(e.Postings)
	if err != nil {
		return nil, nil, fmt.Errorf("db: ledger %s: %w", e.Key, err)
	}
	b.lastTx++
	var source any
	if e.SourceTable != "" {
		source = e.SourceID
	}
	tx = []any{b.lastTx, e.MerchantID, e.Key, string(e.Kind), e.Method, e.AmountMinor, e.FeeMinor, e.SourceTable, source,
		e.Reference, e.ExternalID, formatTime(e.OccurredAt), formatTime(recordedAt), string(e.Actor), nullID(e.UserID),
		e.Memo, nil, len(e.Postings), string(js)}
	postings = make([][]any, len(e.Postings))
	for i, p := range e.Postings {
		b.lastPost++
		cp := b.checks[ids[i]]
		if cp == nil {
			cp = &bulkCheckpoint{}
			b.checks[ids[i]] = cp
		}
		cp.balance += p.AmountMinor
		cp.postings++
		cp.last = b.lastPost
		postings[i] = []any{b.lastPost, b.lastTx, i + 1, e.MerchantID, ids[i], p.AmountMinor, cp.balance}
	}
	// Jakarta's calendar day: UTC+7, no daylight saving (date(occurred_at, '+7 hours')).
	k := bulkDayKey{e.MerchantID, e.OccurredAt.UTC().Add(7 * time.Hour).Format(time.DateOnly), string(e.Kind), e.Method}
	d := b.daily[k]
	if d == nil {
		d = &bulkDay{}
		b.daily[k] = d
		b.days = append(b.days, k)
	}
	d.count++
	d.amount += e.AmountMinor
	d.fee += e.FeeMinor
	return tx, postings, nil
}

// FinishBulkLoad completes the bulk load on c (the loader's connection,
// with every row committed; it runs its own transaction), at now: it installs idx as
// the search index (nil: fills the index from the invoices in one
// statement), checks that the journal holds exactly what PostLedger
// rendered, writes the checkpoints and daily totals, recreates the
// triggers, and records the journal as complete (the start-up backfill
// has nothing left to do: the loader booked every record it wrote). A
// failure leaves the database without its triggers or its books: a bulk
// load that fails is thrown away.
func (b *BulkLoad) FinishBulkLoad(ctx context.Context, c *sql.Conn, idx *SearchIndexBuilder, now time.Time) error {
	if b.triggers == nil {
		return errors.New("db: bulk load: finished twice")
	}
	if idx != nil {
		// ATTACH is refused inside a transaction.
		if !idx.done {
			return errors.New("db: bulk load: the search index was not built")
		}
		if _, err := c.ExecContext(ctx, `ATTACH DATABASE ? AS searchidx`, "file:"+idx.path+"?mode=ro"); err != nil {
			return fmt.Errorf("db: bulk load: search index: %w", err)
		}
		defer c.ExecContext(context.WithoutCancel(ctx), `DETACH DATABASE searchidx`)
	}
	if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("db: bulk load: %w", err)
	}
	if err := b.finish(ctx, c, idx, now); err != nil {
		c.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("db: bulk load: %w", err)
	}
	return nil
}

func (b *BulkLoad) finish(ctx context.Context, c *sql.Conn, idx *SearchIndexBuilder, now time.Time) error {
	if idx != nil {
		if err := idx.install(ctx, c); err != nil {
			return err
		}
	} else if err := fillSearchIndex(ctx, c); err != nil {
		return err
	}
	var txs, posts int64
	if err := c.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM ledger_transactions), (SELECT count(*) FROM ledger_postings)`).
		Scan(&txs, &posts); err != nil {
		return fmt.Errorf("db: bulk load: %w", err)
	}
	if txs != b.lastTx || posts != b.lastPost {
		return fmt.Errorf("db: bulk load: the journal holds %d transactions and %d postings, %d and %d were posted", txs, posts, b.lastTx, b.lastPost)
	}
	for id, cp := range b.checks {
		if _, err := c.ExecContext(ctx, `UPDATE ledger_accounts SET balance_minor = ?, postings = ?, last_posting_id = ? WHERE id = ?`,
			cp.balance, cp.postings, cp.last, id); err != nil {
			return fmt.Errorf("db: bulk load: checkpoint: %w", err)
		}
	}
	for _, k := range b.days {
		d := b.daily[k]
		if _, err := c.ExecContext(ctx, `INSERT INTO ledger_daily (merchant_id, day, kind, method, count, amount_minor, fee_minor)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, k.merchantID, k.day, k.kind, k.method, d.count, d.amount, d.fee); err != nil {
			return fmt.Errorf("db: bulk load: daily totals: %w", err)
		}
	}
	for _, stmt := range b.triggers {
		if _, err := c.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("db: bulk load: recreate trigger: %w", err)
		}
	}
	b.triggers = nil
	if _, err := c.ExecContext(ctx, `UPDATE ledger_backfill SET state = 'done', finished_at = ? WHERE id = 1`, formatTime(now)); err != nil {
		return fmt.Errorf("db: bulk load: ledger backfill state: %w", err)
	}
	return nil
}

// searchIndexColumns are what the index holds of an invoice (migration
// 00009), after its rowid (merchant_id << 40) | id.
const searchIndexColumns = `partner_reference_no, netzme_trx_id, netzme_invoice_id, description, customer_name,
	customer_phone, customer_email`

// fillSearchIndex fills the search index from every invoice in one
// statement, as migration 00009 first filled it. Segments are not merged
// while it fills (automerge 0) but once at the end (optimize: one segment,
// the cheapest to search); the setting is then removed again.
func fillSearchIndex(ctx context.Context, c *sql.Conn) error {
	for _, q := range []string{
		`INSERT INTO invoices_fts (invoices_fts, rank) VALUES ('automerge', 0)`,
		`INSERT INTO invoices_fts (rowid, ` + searchIndexColumns + `) SELECT (merchant_id << 40) | id, ` + searchIndexColumns + ` FROM invoices`,
		`INSERT INTO invoices_fts (invoices_fts) VALUES ('optimize')`,
		`DELETE FROM invoices_fts_config WHERE k = 'automerge'`,
	} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("db: bulk load: search index: %w", err)
		}
	}
	return nil
}

// SearchIndexBuilder builds a bulk load's invoice search index in a file
// of its own, on its own connection — another core's work while the loader
// writes — and FinishBulkLoad copies the finished index into the database.
// The index there is the same virtual table (the migration's own
// statement, its default settings), filled row by row in id order as the
// trigger fills it, so what is copied is what the trigger would have
// written. Use it from one
// goroutine; Close it (FinishBulkLoad does not).
type SearchIndexBuilder struct {
	path string
	db   *sql.DB
	conn *sql.Conn
	stmt *sql.Stmt
	buf  []any
	rows int64
	done bool
}

// searchIndexBatch is how many invoices one insert of the builder carries.
const searchIndexBatch = 200

// shadowTables are the index's tables that hold its entries (its
// configuration, the fifth, stays the database's own).
var shadowTables = []string{"invoices_fts_data", "invoices_fts_idx", "invoices_fts_docsize"}

// NewSearchIndex starts building the search index in a new file at path
// (removed by Close).
func (b *BulkLoad) NewSearchIndex(ctx context.Context, path string) (*SearchIndexBuilder, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("db: search index builder: %w", err)
	}
	sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=temp_store(MEMORY)")
	if err != nil {
		return nil, fmt.Errorf("db: search index builder: %w", err)
	}
	sdb.SetMaxOpenConns(1)
	s := &SearchIndexBuilder{path: path, db: sdb}
	if s.conn, err = sdb.Conn(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("db: search index builder: %w", err)
	}
	for _, q := range []string{b.fts, "BEGIN"} {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			s.Close()
			return nil, fmt.Errorf("db: search index builder: %w", err)
		}
	}
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", 8), ", ") + ")"
	s.stmt, err = s.conn.PrepareContext(ctx, `INSERT INTO invoices_fts (rowid, `+searchIndexColumns+`) VALUES `+
		strings.TrimSuffix(strings.Repeat(tuple+", ", searchIndexBatch), ", "))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("db: search index builder: %w", err)
	}
	return s, nil
}

// Add indexes invoice id of merchantID with its searchable text, as the
// invoice row holds it.
func (s *SearchIndexBuilder) Add(ctx context.Context, merchantID, id int64, partnerRef, trxID, invoiceID, description,
	customerName, customerPhone, customerEmail string) error {
	s.buf = append(s.buf, merchantID<<40|id, partnerRef, trxID, invoiceID, description, customerName, customerPhone, customerEmail)
	s.rows++
	if len(s.buf) == 8*searchIndexBatch {
		if _, err := s.stmt.ExecContext(ctx, s.buf...); err != nil {
			return fmt.Errorf("db: search index builder: %w", err)
		}
		s.buf = s.buf[:0]
	}
	return nil
}

// Build writes the last entries; no Add may follow. The index has merged
// its segments as it grew, as the trigger's inserts make it do (FTS5's
// automerge, its default): that work fell on the builder's core while the
// loader wrote, and nothing is left to merge after the last row.
func (s *SearchIndexBuilder) Build(ctx context.Context) error {
	for len(s.buf) > 0 {
		n := len(s.buf) / 8
		tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", 8), ", ") + ")"
		if _, err := s.conn.ExecContext(ctx, `INSERT INTO invoices_fts (rowid, `+searchIndexColumns+`) VALUES `+
			strings.TrimSuffix(strings.Repeat(tuple+", ", n), ", "), s.buf...); err != nil {
			return fmt.Errorf("db: search index builder: %w", err)
		}
		s.buf = s.buf[:0]
	}
	if _, err := s.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("db: search index builder: %w", err)
	}
	s.done = true
	return nil
}

// install replaces the (empty) index of the database on c with the built
// one, attached as searchidx: the shadow tables' rows, copied as they are.
func (s *SearchIndexBuilder) install(ctx context.Context, c *sql.Conn) error {
	var invoices int64
	if err := c.QueryRowContext(ctx, `SELECT count(*) FROM invoices`).Scan(&invoices); err != nil {
		return fmt.Errorf("db: bulk load: %w", err)
	}
	if invoices != s.rows {
		return fmt.Errorf("db: bulk load: the search index holds %d invoices, the database %d", s.rows, invoices)
	}
	for _, t := range shadowTables {
		if _, err := c.ExecContext(ctx, `DELETE FROM main.`+t); err != nil {
			return fmt.Errorf("db: bulk load: search index: %w", err)
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO main.`+t+` SELECT * FROM searchidx.`+t); err != nil {
			return fmt.Errorf("db: bulk load: search index: %w", err)
		}
	}
	return nil
}

// Close closes the builder and removes its file.
func (s *SearchIndexBuilder) Close() error {
	if s.stmt != nil {
		s.stmt.Close()
	}
	if s.conn != nil {
		s.conn.Close()
	}
	err := s.db.Close()
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		if rmErr := os.Remove(s.path + suffix); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) && err == nil {
			err = rmErr
		}
	}
	return err
}
