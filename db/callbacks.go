package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// CallbackKind is which Netzme callback endpoint a notification arrived at.
type CallbackKind string

// Callback kinds (spec §3.15, §3.16/§3.18, §3.19, §3.9).
const (
	CallbackInvoice  CallbackKind = "invoice"
	CallbackQRIS     CallbackKind = "qris"
	CallbackSNAPQRIS CallbackKind = "snap_qris"
	CallbackWithdraw CallbackKind = "withdraw"
)

// CallbackKinds lists every kind, for filters.
var CallbackKinds = []CallbackKind{CallbackInvoice, CallbackQRIS, CallbackSNAPQRIS, CallbackWithdraw}

// CallbackStatus is where a stored callback stands (see migration 00003).
type CallbackStatus string

// Callback statuses.
const (
	CallbackReceived    CallbackStatus = "received"
	CallbackApplied     CallbackStatus = "applied"
	CallbackStored      CallbackStatus = "stored"
	CallbackDuplicate   CallbackStatus = "duplicate"
	CallbackRejected    CallbackStatus = "rejected"
	CallbackNeedsReview CallbackStatus = "needs_review"
	CallbackResolved    CallbackStatus = "resolved"
)

// CallbackStatuses lists every status, for filters.
var CallbackStatuses = []CallbackStatus{CallbackApplied, CallbackDuplicate, CallbackRejected, CallbackNeedsReview,
	CallbackResolved, CallbackStored, CallbackReceived}

// Callback is one notification Netzme sent (or someone pretending to be
// Netzme tried to send). Money in sen; nil-able amounts are NullInt64.
type Callback struct {
	ID             int64
	Kind           CallbackKind
	ReceivedAt     time.Time
	Status         CallbackStatus
	Reason         string
	Note           string
	DedupeKey      string
	ReferenceNo    string
	PartnerRefNo   string
	CustIDMerchant string
	AmountMinor    sql.NullInt64
	FeeMinor       sql.NullInt64
	NetMinor       sql.NullInt64
	MerchantID     int64 // 0 = not attributed to a merchant
	InvoiceID      int64
	PaymentID      int64
	Headers        string // JSON object, secrets redacted
	Body           string
	RemoteAddr     string
	RequestID      string
	Effect         string // JSON object
	AppliedAt      sql.NullTime
	Attempts       int
	ResolvedAt     sql.NullTime
	ResolvedBy     int64
	ResolutionNote string
}

// NewCallback is what the inbox stores before anything else happens.
type NewCallback struct {
	Kind           CallbackKind
	ReceivedAt     time.Time // zero = now
	Status         CallbackStatus
	Reason         string
	Note           string
	DedupeKey      string
	ReferenceNo    string
	PartnerRefNo   string
	CustIDMerchant string
	AmountMinor    sql.NullInt64
	FeeMinor       sql.NullInt64
	NetMinor       sql.NullInt64
	Headers        string // JSON object; "" = {}
	Body           string
	RemoteAddr     string
	RequestID      string
}

const callbackColumns = `id, kind, received_at, status, reason, note, dedupe_key, reference_no, partner_ref_no,
	cust_id_merchant, amount_minor, fee_minor, net_minor, coalesce(merchant_id, 0), coalesce(invoice_id, 0),
	coalesce(payment_id, 0), headers, body, remote_addr, request_id, effect, applied_at, attempts, resolved_at,
	coalesce(resolved_by, 0), resolution_note`

func scanCallback(row interface{ Scan(...any) error }) (Callback, error) {
	var c Callback
	var received string
	var applied, resolved sql.NullString
	err := row.Scan(&c.ID, &c.Kind, &received, &c.Status, &c.Reason, &c.Note, &c.DedupeKey, &c.ReferenceNo,
		&c.PartnerRefNo, &c.CustIDMerchant, &c.AmountMinor, &c.FeeMinor, &c.NetMinor, &c.MerchantID, &c.InvoiceID,
		&c.PaymentID, &c.Headers, &c.Body, &c.RemoteAddr, &c.RequestID, &c.Effect, &applied, &c.Attempts, &resolved,
		&c.ResolvedBy, &c.ResolutionNote)
	if err != nil {
		return Callback{}, err
	}
	if c.ReceivedAt, err = parseTime(received); err != nil {
		return Callback{}, err
	}
	for _, p := range []struct {
		src sql.NullString
		dst *sql.NullTime
	}{{applied, &c.AppliedAt}, {resolved, &c.ResolvedAt}} {
		if p.src.Valid {
			t, err := parseTime(p.src.String)
			if err != nil {
				return Callback{}, err
			}
			*p.dst = sql.NullTime{Time: t, Valid: true}
		}
	}
	return c, nil
}

// InsertCallback stores a callback in the inbox and commits it (through the
// group-commit writer, InBatch), before any attempt to apply it: whatever
// happens next, the notification is on record. Status "" means received.
func (d *DB) InsertCallback(ctx context.Context, nc NewCallback) (int64, error) {
	var id int64
	err := d.InBatch(ctx, func(ctx context.Context, tx *Tx) error {
		c, err := tx.InsertCallback(ctx, nc)
		id = c.ID
		return err
	})
	return id, err
}

// InsertCallback stores a callback in the inbox inside the transaction and
// returns it as stored (status "" means received; a zero ReceivedAt is the
// transaction's time).
func (tx *Tx) InsertCallback(ctx context.Context, nc NewCallback) (Callback, error) {
	return tx.storeCallback(ctx, 0, nc, CallbackOutcome{Status: nc.Status, Reason: nc.Reason, Note: nc.Note}, 0)
}

// StoreCallback stores a callback in the inbox inside the transaction with
// the outcome of applying it, in one INSERT (nc's Status, Reason and Note
// are replaced by o's; an empty o.Status means received), and returns it as
// stored. id 0 takes the next id; another id must be one CallbackLookup
// gave in this transaction, so that what applying the callback wrote can
// name it before the row exists. A row that would take an event another row
// has already taken fails with ErrConflict, as FinishCallback.
func (tx *Tx) StoreCallback(ctx context.Context, id int64, nc NewCallback, o CallbackOutcome) (Callback, error) {
	// A row stored with its outcome has been through one apply run, as
	// FinishCallback counts them; one left received through none.
	attempts := 1
	if o.Status == "" || o.Status == CallbackReceived {
		attempts = 0
	}
	return tx.storeCallback(ctx, id, nc, o, attempts)
}

func (tx *Tx) storeCallback(ctx context.Context, id int64, nc NewCallback, o CallbackOutcome, attempts int) (Callback, error) {
	if o.Status == "" {
		o.Status = CallbackReceived
	}
	if nc.ReceivedAt.IsZero() {
		nc.ReceivedAt = tx.now
	}
	if nc.Headers == "" {
		nc.Headers = "{}"
	}
	if o.Effect == "" {
		o.Effect = "{}"
	}
	c := Callback{ID: id, Kind: nc.Kind, ReceivedAt: nc.ReceivedAt.UTC().Truncate(time.Microsecond), Status: o.Status,
		Reason: o.Reason, Note: o.Note, DedupeKey: nc.DedupeKey, ReferenceNo: nc.ReferenceNo, PartnerRefNo: nc.PartnerRefNo,
		CustIDMerchant: nc.CustIDMerchant, AmountMinor: nc.AmountMinor, FeeMinor: nc.FeeMinor, NetMinor: nc.NetMinor,
		MerchantID: o.MerchantID, InvoiceID: o.InvoiceID, PaymentID: o.PaymentID, Headers: nc.Headers, Body: nc.Body,
		RemoteAddr: nc.RemoteAddr, RequestID: nc.RequestID, Effect: o.Effect, Attempts: attempts}
	if id == 0 && tx.tx.stmts.dia.postgres {
		// PostgreSQL does not number a row given a NULL id as SQLite
		// does: take the next id of the identity sequence (a dialect spot).
		if err := tx.tx.QueryRowContext(ctx, `SELECT nextval(pg_get_serial_sequence('callbacks', 'id'))`).Scan(&id); err != nil {
			return Callback{}, fmt.Errorf("db: store %s callback: next id: %w", nc.Kind, err)
		}
	}
	var applied any
	if o.Status == CallbackApplied || o.Status == CallbackStored {
		applied = formatTime(tx.now)
		c.AppliedAt = sql.NullTime{Time: tx.now.UTC().Truncate(time.Microsecond), Valid: true}
	}
	err := tx.tx.QueryRowContext(ctx, `INSERT INTO callbacks (id, kind, received_at, status, reason, note, dedupe_key,
		reference_no, partner_ref_no, cust_id_merchant, amount_minor, fee_minor, net_minor, merchant_id, invoice_id,
		payment_id, headers, body, remote_addr, request_id, effect, applied_at, attempts)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		nullID(id), string(nc.Kind), formatTime(nc.ReceivedAt), string(o.Status), o.Reason, o.Note, nc.DedupeKey,
		nc.ReferenceNo, nc.PartnerRefNo, nc.CustIDMerchant, nc.AmountMinor, nc.FeeMinor, nc.NetMinor, nullID(o.MerchantID),
		nullID(o.InvoiceID), nullID(o.PaymentID), nc.Headers, nc.Body, nc.RemoteAddr, nc.RequestID, o.Effect, applied,
		attempts).Scan(&c.ID)
	if isUniqueViolation(err) {
		return Callback{}, fmt.Errorf("db: store %s callback -> %s: %w", nc.Kind, o.Status, ErrConflict)
	} else if err != nil {
		return Callback{}, fmt.Errorf("db: store %s callback: %w", nc.Kind, err)
	}
	return c, nil
}

// CallbackContext is what applying an arriving callback needs to know
// first, read in one statement (CallbackLookup).
type CallbackContext struct {
	// NextID is the id the next callback row will take in this
	// transaction (StoreCallback with it).
	NextID int64
	// TakenBy is the callback (applied, stored, needs review or resolved)
	// that has already taken the event's dedupe key: a callback arriving
	// with a taken key is a duplicate. 0 when none has.
	TakenBy int64
	// MerchantID is the merchant linked to the custIdMerchant; 0 when none
	// is.
	MerchantID int64
}

const callbackLookupSQL = `SELECT coalesce((SELECT max(id) FROM callbacks), 0) + 1,
	(SELECT id FROM callbacks WHERE dedupe_key = ?1 AND id <> ?3 AND dedupe_key <> ''
		AND status IN ('applied', 'stored', 'needs_review', 'resolved')),
	(SELECT id FROM merchants WHERE netzme_cust_id = ?2 AND netzme_cust_id <> '')`

// callbackLookupPostgres is callbackLookupSQL on PostgreSQL (a dialect
// spot, dialect.go): the next id comes from the table's identity sequence.
// max(id) + 1 is right only with SQLite's one writer; here two instances'
// transactions would take the same id, and rows stored with ids of their
// own would leave the sequence behind them.
const callbackLookupPostgres = `SELECT nextval(pg_get_serial_sequence('callbacks', 'id')),
	(SELECT id FROM callbacks WHERE dedupe_key = ?1 AND id <> ?3 AND dedupe_key <> ''
		AND status IN ('applied', 'stored', 'needs_review', 'resolved')),
	(SELECT id FROM merchants WHERE netzme_cust_id = ?2 AND netzme_cust_id <> '')`

// CallbackLookup reads, inside the transaction and in one statement, the
// next callback id, the callback other than exceptID that has taken dedupe
// key (if any) and the merchant of custID (if any).
func (tx *Tx) CallbackLookup(ctx context.Context, key, custID string, exceptID int64) (CallbackContext, error) {
	var c CallbackContext
	var taken, merchant sql.NullInt64
	// The dedupe subquery repeats the condition of the unique index
	// callbacks_dedupe_taken term for term, so SQLite answers it from that
	// index (one row at most); the merchant's from the partial unique index
	// merchants_netzme_cust_id; max(id) is the rowid's last entry.
	query := callbackLookupSQL
	if tx.tx.stmts.dia.postgres {
		query = callbackLookupPostgres
	}
	err := tx.tx.QueryRowContext(ctx, query, key, custID, exceptID).Scan(&c.NextID, &taken, &merchant)
	if err != nil {
		return CallbackContext{}, fmt.Errorf("db: callback lookup %s: %w", key, err)
	}
	c.TakenBy, c.MerchantID = taken.Int64, merchant.Int64
	return c, nil
}

// ReceivedCallbacks returns the ids of callbacks still "received" — stored
// but never applied (a crash between the two in an older version, or an
// apply that could not record its failure) — with an id above after, oldest
// first, at most limit. The start-up pass applies them.
func (d *DB) ReceivedCallbacks(ctx context.Context, after int64, limit int) ([]int64, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id FROM callbacks WHERE status = 'received' AND id > ? ORDER BY id LIMIT ?`,
		after, limit)
	if err != nil {
		return nil, fmt.Errorf("db: received callbacks: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("db: received callbacks: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: received callbacks: %w", err)
	}
	return ids, nil
}

// Callback returns stored callback id, or ErrNotFound. merchantID 0 reads any
// callback (administrators); otherwise a callback of another merchant (or of
// none) does not exist for the caller.
func (d *DB) Callback(ctx context.Context, merchantID, id int64) (Callback, error) {
	q, args := `SELECT `+callbackColumns+` FROM callbacks WHERE id = ?`, []any{id}
	if merchantID != 0 {
		q += ` AND merchant_id = ?`
		args = append(args, merchantID)
	}
	c, err := scanCallback(d.sql.QueryRowContext(ctx, q, args...))
	if err != nil {
		return Callback{}, notFound(err, fmt.Sprintf("callback %d", id))
	}
	return c, nil
}

// Callback reads callback id inside the transaction (any merchant), or
// ErrNotFound.
func (tx *Tx) Callback(ctx context.Context, id int64) (Callback, error) {
	c, err := scanCallback(tx.tx.QueryRowContext(ctx, `SELECT `+callbackColumns+` FROM callbacks WHERE id = ?`, id))
	if err != nil {
		return Callback{}, notFound(err, fmt.Sprintf("callback %d", id))
	}
	return c, nil
}

// CallbackOutcome is the result of applying a callback.
type CallbackOutcome struct {
	Status     CallbackStatus
	Reason     string
	Note       string
	MerchantID int64 // 0 = leave unattributed
	InvoiceID  int64
	PaymentID  int64
	Effect     string // JSON object; "" = {}
}

// FinishCallback records the outcome of one apply run of callback id, inside
// the transaction that made the change it describes. A second row taking the
// same dedupe key fails with ErrConflict (the unique index), so two
// deliveries can never both count.
func (tx *Tx) FinishCallback(ctx context.Context, id int64, o CallbackOutcome) error {
	if o.Effect == "" {
		o.Effect = "{}"
	}
	var applied any
	if o.Status == CallbackApplied || o.Status == CallbackStored {
		applied = formatTime(tx.now)
	}
	// The caller may go on after ErrConflict (IngestCallback does).
	err := tx.tx.mayFail(ctx, func() error {
		_, err := tx.tx.ExecContext(ctx, `UPDATE callbacks SET status = ?, reason = ?, note = ?, merchant_id = ?,
		invoice_id = ?, payment_id = ?, effect = ?, applied_at = coalesce(?, applied_at), attempts = attempts + 1
		WHERE id = ?`,
			string(o.Status), o.Reason, o.Note, nullID(o.MerchantID), nullID(o.InvoiceID), nullID(o.PaymentID), o.Effect,
			applied, id)
		return err
	})
	if isUniqueViolation(err) {
		return fmt.Errorf("db: callback %d -> %s: %w", id, o.Status, ErrConflict)
	} else if err != nil {
		return fmt.Errorf("db: callback %d -> %s: %w", id, o.Status, err)
	}
	return nil
}

// ResolveCallback closes a needs_review callback with an administrator's
// note and an audit entry, in one transaction. It reports false when the
// callback is not (or no longer) in needs_review.
func (d *DB) ResolveCallback(ctx context.Context, id, userID int64, note string, audit AuditEntry) (bool, error) {
	var done bool
	err := d.InTx(ctx, func(tx *Tx) error {
		done = false // a retried run starts over (InTx)
		res, err := tx.tx.ExecContext(ctx, `UPDATE callbacks SET status = 'resolved', resolved_at = ?, resolved_by = ?,
			resolution_note = ? WHERE id = ? AND status = 'needs_review'`, formatTime(tx.now), nullID(userID), note, id)
		if err != nil {
			return fmt.Errorf("db: resolve callback %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		done = true
		return tx.Audit(ctx, audit)
	})
	return done, err
}

// CallbackFilter selects callbacks for the notification log.
type CallbackFilter struct {
	MerchantID int64 // 0 = every callback (administrators)
	Kind       CallbackKind
	Status     CallbackStatus
	From       time.Time // received at or after; zero = no bound
	To         time.Time // received before; zero = no bound
}

func (f CallbackFilter) conds() ([]string, []any) {
	var conds []string
	var args []any
	if f.MerchantID != 0 {
		conds, args = append(conds, "merchant_id = ?"), append(args, f.MerchantID)
	}
	if f.Kind != "" {
		conds, args = append(conds, "kind = ?"), append(args, string(f.Kind))
	}
	if f.Status != "" {
		conds, args = append(conds, "status = ?"), append(args, string(f.Status))
	}
	if !f.From.IsZero() {
		conds, args = append(conds, "received_at >= ?"), append(args, formatTime(f.From))
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "received_at < ?"), append(args, formatTime(f.To))
	}
	return conds, args
}

// from is the callbacks table with the index of f's filters (INDEXED BY,
// as InvoiceFilter.from explains). With both a status and a kind, the status
// index leads: the statuses looked for (needs_review, received) are rare.
func (f CallbackFilter) from() string {
	idx := "callbacks_received"
	switch {
	case f.MerchantID != 0 && f.Status != "":
		idx = "callbacks_list_merchant_status"
	case f.MerchantID != 0 && f.Kind != "":
		idx = "callbacks_list_merchant_kind"
	case f.MerchantID != 0:
		idx = "callbacks_list_merchant"
	case f.Status != "":
		idx = "callbacks_list_status"
	case f.Kind != "":
		idx = "callbacks_list_kind"
	}
	return "callbacks INDEXED BY " + idx
}

var callbackKeys = keyset{list: "callbacks", key: "received_at", id: "id", kind: keyTime, desc: true}

// Callbacks returns one page of the callbacks matching f, newest first, from
// the position in cursor ("" = the first page; ErrBadCursor for a token that
// is not one of this list's).
func (d *DB) Callbacks(ctx context.Context, f CallbackFilter, cursor string, limit int) (Page[Callback], error) {
	conds, args := f.conds()
	return queryPage(ctx, d.sql, callbackKeys, cursor, limit, `SELECT `+callbackColumns+` FROM `+f.from(), conds, args,
		func(s scanner) (Callback, error) { return scanCallback(s) },
		func(c Callback) Cursor { return Cursor{Key: formatTime(c.ReceivedAt), ID: c.ID} })
}

// CountCallbacks counts the callbacks matching f up to CountCap.
func (d *DB) CountCallbacks(ctx context.Context, f CallbackFilter) (int, error) {
	conds, args := f.conds()
	n, err := countCapped(ctx, d.sql, `SELECT 1 FROM `+f.from()+whereClause(conds), args...)
	if err != nil {
		return 0, fmt.Errorf("db: count callbacks: %w", err)
	}
	return n, nil
}

const callbackInvoicesSQL = `SELECT ` + invoiceColumns + `, netzme_trx_id = ?1, partner_reference_no = ?2
	FROM invoices WHERE id IN (
		SELECT id FROM invoices INDEXED BY invoices_netzme_trx_id WHERE netzme_trx_id = ?1 AND netzme_trx_id <> ''
		UNION ALL SELECT id FROM invoices WHERE partner_reference_no = ?2 AND ?2 <> '')`

// CallbackInvoices returns, inside the transaction and in one statement,
// the invoices a callback names: byTrx has Netzme's trxId, byRef our
// partnerReferenceNo (the same invoice when both name one). Either is nil
// when no invoice has that reference, or the reference is empty.
func (tx *Tx) CallbackInvoices(ctx context.Context, trxID, ref string) (byTrx, byRef *Invoice, err error) {
	// An id list, not two lookups: one row when both references name the
	// same invoice (the usual case), two when they name different ones.
	rows, err := tx.tx.QueryContext(ctx, callbackInvoicesSQL, trxID, ref)
	if err != nil {
		return nil, nil, fmt.Errorf("db: invoices by trxId %s / reference %s: %w", trxID, ref, err)
	}
	defer rows.Close()
	for rows.Next() {
		var isTrx, isRef bool
		iv, err := scanInvoice(withExtra{rows, []any{&isTrx, &isRef}})
		if err != nil {
			return nil, nil, fmt.Errorf("db: invoices by trxId %s / reference %s: %w", trxID, ref, err)
		}
		if isTrx && trxID != "" {
			byTrx = &iv
		}
		if isRef && ref != "" {
			byRef = &iv
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("db: invoices by trxId %s / reference %s: %w", trxID, ref, err)
	}
	return byTrx, byRef, nil
}

// CallbackInvoiceMatch is the invoice a payment callback expects to pay, as
// ChangeMatchedInvoice looks for it: the invoice with Netzme's TrxID that is
// also our Reference, of MerchantID, whose amount is AmountMinor — or
// OnBuyerAmountMinor when its fee is on the buyer — and that expires at
// NotExpiredAt or later.
type CallbackInvoiceMatch struct {
	TrxID, Reference   string
	MerchantID         int64
	AmountMinor        int64
	OnBuyerAmountMinor int64
	NotExpiredAt       time.Time
}

// ChangeMatchedInvoice applies ch (as ChangeInvoiceReturning) to the
// invoice m describes, found and changed by one UPDATE; it reports false,
// changing nothing, when no invoice is in one of ch.From and exactly as m
// says. That is how a payment callback pays its invoice in the usual case
// without reading it first: anything unusual is left for the caller to
// look at (CallbackInvoices).
func (tx *Tx) ChangeMatchedInvoice(ctx context.Context, m CallbackInvoiceMatch, ch InvoiceChange) (Invoice, bool, error) {
	if m.TrxID == "" || m.Reference == "" || m.MerchantID == 0 {
		return Invoice{}, false, nil
	}
	return tx.changeInvoiceWhere(ctx, "invoice "+m.Reference, matchedInvoiceWhere,
		[]any{m.TrxID, m.Reference, m.MerchantID, m.AmountMinor, m.OnBuyerAmountMinor, formatTime(m.NotExpiredAt)}, ch)
}

// matchedInvoiceWhere finds the invoice by trxId (a rowid from the partial
// unique index) and checks the rest on that one row.
const matchedInvoiceWhere = `id = (SELECT id FROM invoices INDEXED BY invoices_netzme_trx_id
	WHERE netzme_trx_id = ? AND netzme_trx_id <> '') AND partner_reference_no = ? AND merchant_id = ?
	AND (amount_minor = ? OR (fee_type = 'on_buyer' AND amount_minor = ?)) AND expires_at >= ?`
