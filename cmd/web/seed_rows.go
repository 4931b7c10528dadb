package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"lapak/db"
	"lapak/money"
)

// The seeder's writer. Every row goes through seedTable.add: a table is
// declared once (name and columns), rows are buffered and written many at
// a time through one prepared multi-row INSERT, inside a few big
// transactions on one connection. A new table is one more declaration in
// newSeedRows and one helper below; nothing else changes.

// seedTimeLayout is how db stores every time (db's timeLayout): UTC, fixed
// width, so text order is time order.
const seedTimeLayout = "2006-01-02T15:04:05.000000Z"

func seedTime(t time.Time) string { return t.UTC().Format(seedTimeLayout) }

// seedCommitRows is how many rows one transaction holds: big enough that
// commits cost nothing, small enough that the WAL stays modest.
const seedCommitRows = 500_000

// seedWriter owns the connection. Rows are generated on the calling
// goroutine and written by one writer goroutine: on two cores, making the
// rows (and the sandbox's) and SQLite's work on Lapak's file overlap.
type seedWriter struct {
	ctx    context.Context
	sqldb  *sql.DB
	conn   *sql.Conn
	bulk   *db.BulkLoad
	tables []*seedTable
	rows   int64 // rows added so far
	inTx   int   // rows added since the last commit

	note func(what string) // told as finish goes (nil: nobody)

	jobs chan seedJob
	done chan struct{}
	mu   sync.Mutex
	err  error // the writer's first error; it then drains and drops the rest
}

// seedJob is a batch of rows for one table, a call on the connection in
// its turn (fn), or (neither) a commit.
type seedJob struct {
	t    *seedTable
	args []any
	fn   func(*sql.Conn) error
	ret  chan error
}

// openSeedWriter opens path (already migrated by db.Open) on one connection
// for bulk loading. Durability is traded for speed for the seed only: no
// rollback journal and synchronous=OFF while loading (a crash mid-seed
// leaves a database the next seed run refuses: delete it and start again),
// a 256 MB page cache for the index pages of a million rows, foreign keys
// unchecked, since tables are written in batches in no particular order, and
// CHECK constraints unchecked (JSON validity, lengths, value sets: some
// twenty per callback and API call row) — the seed's test runs PRAGMA
// foreign_key_check and PRAGMA integrity_check, which checks every CHECK
// constraint of every row, on a seeded database: the rows the generator
// makes keep them. UNIQUE and NOT NULL constraints stay on. finish puts the
// file back in WAL mode; the pragmas are per connection, and the
// application's own connections keep synchronous=FULL, foreign keys and
// CHECK constraints on (db.Open checks).
func openSeedWriter(ctx context.Context, path string) (*seedWriter, error) {
	sqldb, err := sql.Open("sqlite", db.DSN(path))
	if err != nil {
		return nil, err
	}
	sqldb.SetMaxOpenConns(1)
	conn, err := sqldb.Conn(ctx)
	if err != nil {
		sqldb.Close()
		return nil, err
	}
	for _, p := range []string{"PRAGMA journal_mode = OFF", "PRAGMA synchronous = OFF", "PRAGMA foreign_keys = OFF",
		"PRAGMA ignore_check_constraints = ON", "PRAGMA cache_size = -262144", "PRAGMA temp_store = MEMORY", "BEGIN"} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			conn.Close()
			sqldb.Close()
			return nil, fmt.Errorf("seed: %s: %w", p, err)
		}
	}
	// The search index and the journal are filled in bulk at the end
	// (db.BeginBulkLoad); the seed writes ledger transactions as rows.
	bulk, err := db.BeginBulkLoad(ctx, conn)
	if err != nil {
		conn.Close()
		sqldb.Close()
		return nil, fmt.Errorf("seed: %w", err)
	}
	w := &seedWriter{ctx: ctx, sqldb: sqldb, conn: conn, bulk: bulk, jobs: make(chan seedJob, 64), done: make(chan struct{})}
	go w.write()
	return w, nil
}

// write is the writer goroutine.
func (w *seedWriter) write() {
	defer close(w.done)
	for j := range w.jobs {
		if w.failed() != nil {
			continue
		}
		var err error
		switch {
		case j.fn != nil:
			j.ret <- j.fn(w.conn)
		case j.t == nil:
			if _, err = w.conn.ExecContext(w.ctx, "COMMIT"); err == nil {
				_, err = w.conn.ExecContext(w.ctx, "BEGIN")
			}
			if err != nil {
				err = fmt.Errorf("seed: commit: %w", err)
			}
		default:
			err = j.t.exec(j.args)
		}
		if err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
		}
	}
}

func (w *seedWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// call runs fn on the connection once every row added so far is written,
// and returns its error (or the writer's).
func (w *seedWriter) call(fn func(*sql.Conn) error) error {
	for _, t := range w.tables {
		t.flush()
	}
	if err := w.failed(); err != nil {
		return err
	}
	ret := make(chan error, 1)
	w.jobs <- seedJob{fn: fn, ret: ret}
	select {
	case err := <-ret:
		return err
	case <-w.done:
		return w.failed()
	}
}

// commit hands every buffered row and then a commit to the writer.
func (w *seedWriter) commit() error {
	for _, t := range w.tables {
		t.flush()
	}
	w.inTx = 0
	w.jobs <- seedJob{}
	return w.failed()
}

// finish waits for the writer to commit the last rows, completes the bulk
// load (db.FinishBulkLoad: the search index idx built on the side, the
// books' checkpoints and daily totals, the triggers; the journal's time
// now), puts the database back in WAL mode with synchronous=FULL, and
// gathers the planner statistics a database that had run PRAGMA optimize
// would have.
func (w *seedWriter) finish(idx *db.SearchIndexBuilder, now time.Time) error {
	w.commit()
	close(w.jobs)
	<-w.done
	if err := w.failed(); err != nil {
		return err
	}
	if _, err := w.conn.ExecContext(w.ctx, "COMMIT"); err != nil {
		return fmt.Errorf("seed: commit: %w", err)
	}
	w.say("rows written")
	if err := w.bulk.FinishBulkLoad(w.ctx, w.conn, idx, now); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	w.say("search index copied in, books and triggers done")
	for _, p := range []string{"PRAGMA journal_mode = WAL", "PRAGMA synchronous = " + db.Synchronous,
		"PRAGMA analysis_limit = 1000", "ANALYZE"} {
		if _, err := w.conn.ExecContext(w.ctx, p); err != nil {
			return fmt.Errorf("seed: %s: %w", p, err)
		}
	}
	w.say("statistics gathered")
	return nil
}

// say tells note (if set) that a step of finish is done.
func (w *seedWriter) say(what string) {
	if w.note != nil {
		w.note(what)
	}
}

// close stops the writer (if finish did not) and closes the connection.
func (w *seedWriter) close() {
	select {
	case <-w.done:
	default:
		close(w.jobs)
		<-w.done
	}
	for _, t := range w.tables {
		if t.stmt != nil {
			t.stmt.Close()
		}
	}
	w.conn.Close()
	w.sqldb.Close()
}

// seedTable is one table being filled.
type seedTable struct {
	w       *seedWriter
	name    string
	cols    []string
	perStmt int // rows per prepared INSERT
	buf     []any
	stmt    *sql.Stmt // the writer's
	n       int64     // rows added: with explicit ids starting at 1, also the last id
}

// table declares a table and its columns (in the order add takes values).
func (w *seedWriter) table(name string, cols ...string) *seedTable {
	// SQLite allows 32766 bound parameters per statement; stay well below.
	per := min(256, 8000/len(cols))
	t := &seedTable{w: w, name: name, cols: cols, perStmt: per, buf: make([]any, 0, per*len(cols))}
	w.tables = append(w.tables, t)
	return t
}

func (t *seedTable) insertSQL(rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ") VALUES ")
	one := "(" + strings.Repeat("?, ", len(t.cols)-1) + "?)"
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return b.String()
}

// add buffers one row, values in column order. An error is the writer's
// (reported a few batches late) or a wrong number of values.
func (t *seedTable) add(vals ...any) error {
	if len(vals) != len(t.cols) {
		return fmt.Errorf("seed: %s: %d values for %d columns", t.name, len(vals), len(t.cols))
	}
	t.buf = append(t.buf, vals...)
	t.n++
	t.w.rows++
	t.w.inTx++
	if len(t.buf) == cap(t.buf) {
		t.flush()
		if err := t.w.failed(); err != nil {
			return err
		}
	}
	if t.w.inTx >= seedCommitRows {
		return t.w.commit()
	}
	return nil
}

// flush hands the buffered rows to the writer.
func (t *seedTable) flush() {
	if len(t.buf) == 0 {
		return
	}
	t.w.jobs <- seedJob{t: t, args: t.buf}
	t.buf = make([]any, 0, t.perStmt*len(t.cols))
}

// exec writes one batch (on the writer goroutine): a full batch through the
// prepared statement, a last partial one through a one-off statement.
func (t *seedTable) exec(args []any) error {
	rows := len(args) / len(t.cols)
	var err error
	if rows == t.perStmt {
		if t.stmt == nil {
			if t.stmt, err = t.w.conn.PrepareContext(t.w.ctx, t.insertSQL(rows)); err != nil {
				return fmt.Errorf("seed: prepare %s: %w", t.name, err)
			}
		}
		_, err = t.stmt.ExecContext(t.w.ctx, args...)
	} else {
		_, err = t.w.conn.ExecContext(t.w.ctx, t.insertSQL(rows), args...)
	}
	if err != nil {
		return fmt.Errorf("seed: insert into %s: %w", t.name, err)
	}
	return nil
}

// seedRows holds a seedTable per table the seeder writes, with the id each
// table's next row gets. Every helper takes the row's values and returns the
// new id where other rows refer to it.
type seedRows struct {
	w                                             *seedWriter
	users, merchants, memberships                 *seedTable
	invoices, invoiceEvents, qrisCodes            *seedTable
	callbacks, payments, withdrawQuotes, withdraw *seedTable
	audit, apiCalls                               *seedTable
	ledger, postings                              *seedTable
	bookedAt                                      time.Time // the journal's recorded_at
}

func newSeedRows(w *seedWriter) *seedRows {
	return &seedRows{
		w:           w,
		users:       w.table("users", "id", "email", "name", "password_hash", "is_admin", "locale", "created_at"),
		merchants:   w.table("merchants", "id", "name", "netzme_cust_id", "city", "nmid", "phone", "static_qris", "created_at"),
		memberships: w.table("memberships", "user_id", "merchant_id", "role", "created_at"),
		invoices: w.table("invoices", "id", "merchant_id", "partner_reference_no", "purpose", "method", "amount_minor",
			"fee_type", "description", "customer_name", "customer_phone", "customer_email", "expires_at", "status",
			"netzme_trx_id", "netzme_invoice_id", "payment_url", "qris_payload", "va_numbers", "paid_amount_minor",
			"fee_minor", "net_minor", "paid_at", "failure_reason", "created_by", "created_at", "updated_at"),
		invoiceEvents: w.table("invoice_events", "invoice_id", "at", "status", "source", "note", "user_id"),
		qrisCodes: w.table("qris_codes", "merchant_id", "kind", "invoice_id", "payload", "amount_minor", "label",
			"created_by", "created_at"),
		callbacks: w.table("callbacks", "id", "kind", "received_at", "status", "reason", "note", "dedupe_key",
			"reference_no", "partner_ref_no", "cust_id_merchant", "amount_minor", "fee_minor", "net_minor",
			"merchant_id", "invoice_id", "payment_id", "headers", "body", "remote_addr", "request_id", "effect",
			"applied_at", "attempts", "resolved_at", "resolved_by", "resolution_note"),
		payments: w.table("payments", "id", "merchant_id", "kind", "dedupe_key", "rrn", "local_date", "issuer_id",
			"issuer_name", "invoice_number", "buyer_name", "amount_minor", "fee_minor", "net_minor", "paid_at",
			"callback_id", "created_at"),
		withdrawQuotes: w.table("withdraw_quotes", "id", "merchant_id", "wallet", "token", "partner_reference_no",
			"inquiry_reference_no", "amount_minor", "minimum_minor", "allowed", "account_name", "account_number",
			"bank_name", "bank_code", "status", "created_by", "created_at", "expires_at"),
		withdraw: w.table("withdrawals", "id", "merchant_id", "wallet", "quote_id", "partner_reference_no",
			"netzme_reference_no", "amount_minor", "account_name", "account_number", "bank_name", "bank_code", "status",
			"failure_code", "failure_reason", "raw_response", "requested_by", "approved_by", "created_at", "updated_at",
			"final_at"),
		audit: w.table("audit_log", "at", "user_id", "user_email", "merchant_id", "action", "detail", "remote_addr",
			"request_id"),
		apiCalls: w.table("api_calls", "at", "provider", "endpoint", "method", "path", "partner_reference_no",
			"external_id", "http_status", "response_code", "latency_ms", "request_body", "response_body", "error",
			"merchant_id", "user_id"),
		ledger:   w.table("ledger_transactions", db.BulkLedgerColumns...),
		postings: w.table("ledger_postings", db.BulkPostingColumns...),
	}
}

// book writes what money books for rec (a paid invoice, a static-QRIS
// payment, a withdrawal) as the next ledger transactions with their
// postings (db.BulkLoad.PostLedger): the journal in the order things
// happened, as live booking keeps it. The accounts' checkpoints and the
// daily totals are written at the end (seedWriter.finish).
func (r *seedRows) book(rec any) error {
	es, err := money.BackfillEntries(rec)
	if err != nil {
		return err
	}
	for _, e := range es {
		tx, postings, err := r.w.bulk.PostLedger(e, r.bookedAt)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if err := r.ledger.add(tx...); err != nil {
			return err
		}
		for _, p := range postings {
			if err := r.postings.add(p...); err != nil {
				return err
			}
		}
	}
	return nil
}

// nullable stores 0 and "" as NULL, for optional references and times.
func nullable[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return seedTime(t)
}

// seedActor is who a row says did it: a person (id, e-mail) from an address
// with a request id, or the system (zero id).
type seedActor struct {
	userID     int64
	email      string
	remoteAddr string
	requestID  string
}

func (r *seedRows) addAudit(at time.Time, a seedActor, merchantID int64, action, detail string) error {
	return r.audit.add(seedTime(at), nullable(a.userID), a.email, nullable(merchantID), action, detail, a.remoteAddr, a.requestID)
}

func (r *seedRows) addEvent(invoiceID int64, at time.Time, status, source, note string, userID int64) error {
	return r.invoiceEvents.add(invoiceID, seedTime(at), status, source, note, nullable(userID))
}

// seedAPICall is one recorded Netzme call (api_calls).
type seedAPICall struct {
	at                   time.Time
	endpoint, path       string
	partnerRef, external string
	httpStatus           int
	responseCode         string
	latencyMS            int64
	request, response    string
	merchantID, userID   int64
}

func (r *seedRows) addAPICall(c seedAPICall) error {
	return r.apiCalls.add(seedTime(c.at), "netzme", c.endpoint, "POST", c.path, c.partnerRef, c.external, c.httpStatus,
		c.responseCode, c.latencyMS, c.request, c.response, "", nullable(c.merchantID), nullable(c.userID))
}

// seedCallback is one stored callback (callbacks).
type seedCallback struct {
	kind, status, reason, note         string
	receivedAt, appliedAt              time.Time
	dedupeKey, referenceNo, partnerRef string
	custID                             string
	amount, fee, net                   int64
	merchantID, invoiceID, paymentID   int64
	body, requestID, effect            string
	resolvedAt                         time.Time
	resolvedBy                         int64
	resolutionNote                     string
}

// callbackHeaders is what the inbox keeps of Netzme's request headers (the
// token itself is never stored).
const seedCallbackHeaders = `{"Content-Type":"application/json","User-Agent":"Netzme-Callback/1.0","X-Callback-Token":"[redacted]"}`

// seedNetzmeAddr is where seeded callbacks came from: a documentation
// address (RFC 5737), never a real host.
const seedNetzmeAddr = "203.0.113.10"

func (r *seedRows) addCallback(c seedCallback) (int64, error) {
	id := r.callbacks.n + 1
	if c.effect == "" {
		c.effect = "{}"
	}
	err := r.callbacks.add(id, c.kind, seedTime(c.receivedAt), c.status, c.reason, c.note, c.dedupeKey, c.referenceNo,
		c.partnerRef, c.custID, c.amount, c.fee, c.net, nullable(c.merchantID), nullable(c.invoiceID),
		nullable(c.paymentID), seedCallbackHeaders, c.body, seedNetzmeAddr, c.requestID, c.effect,
		nullTime(c.appliedAt), 1, nullTime(c.resolvedAt), nullable(c.resolvedBy), c.resolutionNote)
	return id, err
}

// seedSearch feeds the invoice search index, built on the side
// (db.SearchIndexBuilder), from a goroutine of its own: the index's
// tokenizing is the second core's work while the writer writes the rows.
type seedSearch struct {
	ctx  context.Context
	b    *db.SearchIndexBuilder
	ch   chan []seedSearchRow
	buf  []seedSearchRow
	done chan error
}

// seedSearchRow is what the index holds of one invoice.
type seedSearchRow struct {
	merchantID, id                         int64
	ref, trxID, invoiceID, desc            string
	customerName, customerPhone, custEmail string
}

func newSeedSearch(ctx context.Context, b *db.SearchIndexBuilder) *seedSearch {
	s := &seedSearch{ctx: ctx, b: b, ch: make(chan []seedSearchRow, 16), done: make(chan error, 1)}
	go func() {
		var err error
		for rows := range s.ch {
			for _, r := range rows {
				if err == nil {
					err = b.Add(ctx, r.merchantID, r.id, r.ref, r.trxID, r.invoiceID, r.desc, r.customerName, r.customerPhone, r.custEmail)
				}
			}
		}
		if err == nil {
			err = b.Build(ctx)
		}
		s.done <- err
	}()
	return s
}

func (s *seedSearch) add(r seedSearchRow) {
	s.buf = append(s.buf, r)
	if len(s.buf) == 1000 {
		s.ch <- s.buf
		s.buf = make([]seedSearchRow, 0, 1000)
	}
}

// build hands over the last rows and waits for the index to be built.
func (s *seedSearch) build() error {
	if len(s.buf) > 0 {
		s.ch <- s.buf
		s.buf = nil
	}
	close(s.ch)
	return <-s.done
}
