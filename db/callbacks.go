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
	if nc.Status == "" {
		nc.Status = CallbackReceived
	}
	if nc.ReceivedAt.IsZero() {
		nc.ReceivedAt = tx.now
	}
	if nc.Headers == "" {
		nc.Headers = "{}"
	}
	c := Callback{Kind: nc.Kind, ReceivedAt: nc.ReceivedAt.UTC().Truncate(time.Microsecond), Status: nc.Status,
		Reason: nc.Reason, Note: nc.Note, DedupeKey: nc.DedupeKey, ReferenceNo: nc.ReferenceNo, PartnerRefNo: nc.PartnerRefNo,
		CustIDMerchant: nc.CustIDMerchant, AmountMinor: nc.AmountMinor, FeeMinor: nc.FeeMinor, NetMinor: nc.NetMinor,
		Headers: nc.Headers, Body: nc.Body, RemoteAddr: nc.RemoteAddr, RequestID: nc.RequestID, Effect: "{}"}
	err := tx.tx.QueryRowContext(ctx, `INSERT INTO callbacks (kind, received_at, status, reason, note, dedupe_key,
		reference_no, partner_ref_no, cust_id_merchant, amount_minor, fee_minor, net_minor, headers, body, remote_addr, request_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		string(nc.Kind), formatTime(nc.ReceivedAt), string(nc.Status), nc.Reason, nc.Note, nc.DedupeKey,
		nc.ReferenceNo, nc.PartnerRefNo, nc.CustIDMerchant, nc.AmountMinor, nc.FeeMinor, nc.NetMinor, nc.Headers,
		nc.Body, nc.RemoteAddr, nc.RequestID).Scan(&c.ID)
	if err != nil {
		return Callback{}, fmt.Errorf("db: store %s callback: %w", nc.Kind, err)
	}
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

// CallbackTaking returns the id of the callback that has taken dedupe key
// (applied, stored, needs review or resolved), other than exceptID; 0 when
// none has. A callback arriving with a taken key is a duplicate.
func (tx *Tx) CallbackTaking(ctx context.Context, key string, exceptID int64) (int64, error) {
	if key == "" {
		return 0, nil
	}
	var id int64
	// The WHERE repeats the condition of the unique index callbacks_dedupe_taken
	// term for term, so SQLite answers from that index (one row at most).
	err := tx.tx.QueryRowContext(ctx, `SELECT id FROM callbacks WHERE dedupe_key = ? AND id <> ?
		AND dedupe_key <> '' AND status IN ('applied', 'stored', 'needs_review', 'resolved') ORDER BY id LIMIT 1`,
		key, exceptID).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("db: callback key %s: %w", key, err)
	}
	return id, nil
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

// MerchantIDByNetzmeCustID returns the id of the merchant linked to a Netzme
// custIdMerchant inside the transaction, or ErrNotFound.
func (tx *Tx) MerchantIDByNetzmeCustID(ctx context.Context, custID string) (int64, error) {
	if custID == "" {
		return 0, fmt.Errorf("db: merchant by custIdMerchant: empty id: %w", ErrNotFound)
	}
	var id int64
	err := tx.tx.QueryRowContext(ctx, `SELECT id FROM merchants WHERE netzme_cust_id = ?`, custID).Scan(&id)
	if err != nil {
		return 0, notFound(err, "merchant by custIdMerchant "+custID)
	}
	return id, nil
}
