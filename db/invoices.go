package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// InvoiceStatus is where an invoice transaction stands. Lowercase words, as
// pages and CSV exports show them.
type InvoiceStatus string

// Invoice statuses. Unknown is the intent written before Netzme is called (or
// a call whose outcome we do not know); a status query resolves it.
const (
	InvoiceUnknown InvoiceStatus = "unknown"
	InvoicePending InvoiceStatus = "pending"
	InvoicePaid    InvoiceStatus = "paid"
	InvoiceExpired InvoiceStatus = "expired"
	InvoiceFailed  InvoiceStatus = "failed"
)

// InvoiceStatuses lists every status, for filters.
var InvoiceStatuses = []InvoiceStatus{InvoicePending, InvoicePaid, InvoiceExpired, InvoiceFailed, InvoiceUnknown}

// Invoice is one invoice transaction of a merchant. Money in sen.
type Invoice struct {
	ID                 int64
	MerchantID         int64
	PartnerReferenceNo string
	Purpose            string // "sale" or "topup_deposit"
	Method             string // Netzme payMethod
	AmountMinor        int64
	FeeType            string // "on_seller" or "on_buyer"
	Description        string
	CustomerName       string
	CustomerPhone      string
	CustomerEmail      string
	ExpiresAt          time.Time
	Status             InvoiceStatus
	NetzmeTrxID        string
	NetzmeInvoiceID    string
	PaymentURL         string
	QRISPayload        string
	VANumbers          string // JSON array of {bankCode, number}
	PaidAmountMinor    sql.NullInt64
	FeeMinor           sql.NullInt64
	NetMinor           sql.NullInt64
	PaidAt             sql.NullTime
	FailureReason      string
	CreatedBy          int64
	CreatedAt          time.Time
	UpdatedAt          time.Time

	// exportRow is an export's packed row (invoiceExportColumns) as read,
	// before InvoiceRows splits it into the fields above.
	exportRow string
}

// NewInvoice is the intent to create an invoice transaction.
type NewInvoice struct {
	MerchantID         int64
	PartnerReferenceNo string
	Purpose            string // "" = "sale"
	Method             string
	AmountMinor        int64
	FeeType            string // "" = "on_seller"
	Description        string
	CustomerName       string
	CustomerPhone      string
	CustomerEmail      string
	ExpiresAt          time.Time
	CreatedBy          int64
}

// InvoiceEvent is one step of an invoice's status timeline.
type InvoiceEvent struct {
	ID        int64
	InvoiceID int64
	At        time.Time
	Status    InvoiceStatus
	Source    string // lapak, netzme, callback, refresh, system
	Note      string
	UserID    int64
}

const invoiceColumns = `id, merchant_id, partner_reference_no, purpose, method, amount_minor, fee_type, description,
	customer_name, customer_phone, customer_email, expires_at, status, netzme_trx_id, netzme_invoice_id, payment_url,
	qris_payload, va_numbers, paid_amount_minor, fee_minor, net_minor, paid_at, failure_reason,
	coalesce(created_by, 0), created_at, updated_at`

func scanInvoice(row interface{ Scan(...any) error }) (Invoice, error) {
	var iv Invoice
	var expires, created, updated string
	var paidAt sql.NullString
	err := row.Scan(&iv.ID, &iv.MerchantID, &iv.PartnerReferenceNo, &iv.Purpose, &iv.Method, &iv.AmountMinor,
		&iv.FeeType, &iv.Description, &iv.CustomerName, &iv.CustomerPhone, &iv.CustomerEmail, &expires, &iv.Status,
		&iv.NetzmeTrxID, &iv.NetzmeInvoiceID, &iv.PaymentURL, &iv.QRISPayload, &iv.VANumbers, &iv.PaidAmountMinor,
		&iv.FeeMinor, &iv.NetMinor, &paidAt, &iv.FailureReason, &iv.CreatedBy, &created, &updated)
	if err != nil {
		return Invoice{}, err
	}
	if iv.ExpiresAt, err = parseTime(expires); err != nil {
		return Invoice{}, err
	}
	if iv.CreatedAt, err = parseTime(created); err != nil {
		return Invoice{}, err
	}
	if iv.UpdatedAt, err = parseTime(updated); err != nil {
		return Invoice{}, err
	}
	if paidAt.Valid {
		t, err := parseTime(paidAt.String)
		if err != nil {
			return Invoice{}, err
		}
		iv.PaidAt = sql.NullTime{Time: t, Valid: true}
	}
	return iv, nil
}

// CreateInvoiceIntent writes the intent row (status unknown), its first
// timeline event and the audit entry in one transaction, and commits — before
// Netzme is called. ErrConflict if the reference was used before.
func (d *DB) CreateInvoiceIntent(ctx context.Context, ni NewInvoice, audit AuditEntry) (Invoice, error) {
	var iv Invoice
	err := d.InTx(ctx, func(tx *Tx) error {
		var err error
		iv, err = tx.InsertInvoice(ctx, ni)
		if err != nil {
			return err
		}
		if audit.MerchantID == 0 {
			audit.MerchantID = ni.MerchantID
		}
		return tx.Audit(ctx, audit)
	})
	return iv, err
}

// InsertInvoice is the insert of CreateInvoiceIntent, for callers that need
// more in the same transaction.
func (tx *Tx) InsertInvoice(ctx context.Context, ni NewInvoice) (Invoice, error) {
	if ni.Purpose == "" {
		ni.Purpose = "sale"
	}
	if ni.FeeType == "" {
		ni.FeeType = "on_seller"
	}
	now := formatTime(tx.now)
	iv, err := scanInvoice(tx.tx.QueryRowContext(ctx,
		`INSERT INTO invoices (merchant_id, partner_reference_no, purpose, method, amount_minor, fee_type, description,
		   customer_name, customer_phone, customer_email, expires_at, status, created_by, created_at, updated_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'unknown', ?, ?, ?) RETURNING `+invoiceColumns,
		ni.MerchantID, ni.PartnerReferenceNo, ni.Purpose, ni.Method, ni.AmountMinor, ni.FeeType, ni.Description,
		ni.CustomerName, ni.CustomerPhone, ni.CustomerEmail, formatTime(ni.ExpiresAt), nullID(ni.CreatedBy), now, now))
	if isUniqueViolation(err) {
		return Invoice{}, fmt.Errorf("db: invoice %s: %w", ni.PartnerReferenceNo, ErrConflict)
	} else if err != nil {
		return Invoice{}, fmt.Errorf("db: invoice %s: %w", ni.PartnerReferenceNo, err)
	}
	if err := tx.AddInvoiceEvent(ctx, InvoiceEvent{InvoiceID: iv.ID, Status: InvoiceUnknown, Source: "lapak",
		Note: "intent recorded before calling Netzme", UserID: ni.CreatedBy}); err != nil {
		return Invoice{}, err
	}
	return iv, nil
}

// AddInvoiceEvent appends a step to an invoice's timeline.
func (tx *Tx) AddInvoiceEvent(ctx context.Context, e InvoiceEvent) error {
	if e.At.IsZero() {
		e.At = tx.now
	}
	_, err := tx.tx.ExecContext(ctx,
		`INSERT INTO invoice_events (invoice_id, at, status, source, note, user_id) VALUES (?, ?, ?, ?, ?, ?)`,
		e.InvoiceID, formatTime(e.At), string(e.Status), e.Source, e.Note, nullID(e.UserID))
	if err != nil {
		return fmt.Errorf("db: invoice %d event: %w", e.InvoiceID, err)
	}
	return nil
}

// InvoiceCreated is what Netzme answered to Create Invoice Transaction.
type InvoiceCreated struct {
	NetzmeTrxID     string
	NetzmeInvoiceID string
	PaymentURL      string
	QRISPayload     string
	VANumbers       string // JSON array; "" = []
	ExpiresAt       time.Time
}

// InvoiceChange moves an invoice from one of the From statuses to To, with
// optional fields. It is the only way statuses change, so the allowed
// transitions live in the callers' From lists and in one WHERE clause.
type InvoiceChange struct {
	From    []InvoiceStatus
	To      InvoiceStatus
	Source  string // timeline source
	Note    string
	UserID  int64
	Created *InvoiceCreated // set Netzme's answer (with To = pending)
	Paid    *InvoicePayment // set the payment (with To = paid)
	Failure string          // failure reason (with To = failed)
}

// InvoicePayment is the settled amounts of a paid invoice, in sen.
type InvoicePayment struct {
	PaidAmountMinor int64
	FeeMinor        sql.NullInt64
	NetMinor        sql.NullInt64
	PaidAt          time.Time
}

// ChangeInvoice applies ch to invoice id inside tx. It reports false (and
// changes nothing) when the invoice is not in one of ch.From — a duplicate or
// out-of-order update — so callers can tell "applied" from "already done".
func (tx *Tx) ChangeInvoice(ctx context.Context, id int64, ch InvoiceChange) (bool, error) {
	_, applied, err := tx.ChangeInvoiceReturning(ctx, id, ch)
	return applied, err
}

// ChangeInvoiceReturning is ChangeInvoice that also returns the invoice as
// changed, read by the UPDATE itself (the zero Invoice when not applied).
func (tx *Tx) ChangeInvoiceReturning(ctx context.Context, id int64, ch InvoiceChange) (Invoice, bool, error) {
	return tx.changeInvoiceWhere(ctx, fmt.Sprintf("invoice %d", id), "id = ?", []any{id}, ch)
}

// changeInvoiceWhere applies ch to the invoice that matches where (with
// its args; at most one row, by id or a unique key) and is in one of
// ch.From, and writes its timeline event; what names the invoice in errors.
func (tx *Tx) changeInvoiceWhere(ctx context.Context, what, where string, whereArgs []any, ch InvoiceChange) (Invoice, bool, error) {
	if len(ch.From) == 0 {
		return Invoice{}, false, fmt.Errorf("db: %s: change without From statuses", what)
	}
	set := []string{"status = ?", "updated_at = ?"}
	args := []any{string(ch.To), formatTime(tx.now)}
	if c := ch.Created; c != nil {
		va := c.VANumbers
		if va == "" {
			va = "[]"
		}
		set = append(set, "netzme_trx_id = ?", "netzme_invoice_id = ?", "payment_url = ?", "qris_payload = ?", "va_numbers = ?")
		args = append(args, c.NetzmeTrxID, c.NetzmeInvoiceID, c.PaymentURL, c.QRISPayload, va)
		if !c.ExpiresAt.IsZero() {
			set = append(set, "expires_at = ?")
			args = append(args, formatTime(c.ExpiresAt))
		}
	}
	if p := ch.Paid; p != nil {
		set = append(set, "paid_amount_minor = ?", "fee_minor = ?", "net_minor = ?", "paid_at = ?")
		args = append(args, p.PaidAmountMinor, p.FeeMinor, p.NetMinor, formatTime(p.PaidAt))
	}
	if ch.Failure != "" {
		set = append(set, "failure_reason = ?")
		args = append(args, ch.Failure)
	}
	args = append(args, whereArgs...)
	in := make([]string, len(ch.From))
	for i, s := range ch.From {
		in[i] = "?"
		args = append(args, string(s))
	}
	iv, err := scanInvoice(tx.tx.QueryRowContext(ctx, `UPDATE invoices SET `+strings.Join(set, ", ")+
		` WHERE `+where+` AND status IN (`+strings.Join(in, ", ")+`) RETURNING `+invoiceColumns, args...))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Invoice{}, false, nil
	case isUniqueViolation(err):
		return Invoice{}, false, fmt.Errorf("db: %s -> %s: %w", what, ch.To, ErrConflict)
	case err != nil:
		return Invoice{}, false, fmt.Errorf("db: %s -> %s: %w", what, ch.To, err)
	}
	return iv, true, tx.AddInvoiceEvent(ctx, InvoiceEvent{InvoiceID: iv.ID, Status: ch.To, Source: ch.Source, Note: ch.Note, UserID: ch.UserID})
}

// ChangeInvoice is Tx.ChangeInvoice in a transaction of its own, with an
// audit entry when audit.Action is set.
func (d *DB) ChangeInvoice(ctx context.Context, id int64, ch InvoiceChange, audit AuditEntry) (bool, error) {
	var applied bool
	err := d.InTx(ctx, func(tx *Tx) error {
		var err error
		if applied, err = tx.ChangeInvoice(ctx, id, ch); err != nil || !applied || audit.Action == "" {
			return err
		}
		return tx.Audit(ctx, audit)
	})
	return applied, err
}

// MerchantInvoice returns invoice id if it belongs to merchantID, else
// ErrNotFound: another merchant's invoice does not exist for this one.
func (d *DB) MerchantInvoice(ctx context.Context, merchantID, id int64) (Invoice, error) {
	iv, err := scanInvoice(d.sql.QueryRowContext(ctx,
		`SELECT `+invoiceColumns+` FROM invoices WHERE id = ? AND merchant_id = ?`, id, merchantID))
	if err != nil {
		return Invoice{}, notFound(err, fmt.Sprintf("invoice %d of merchant %d", id, merchantID))
	}
	return iv, nil
}

// InvoiceByReference finds an invoice by our partnerReferenceNo (any
// merchant; callers must check MerchantID against what Netzme said).
func (tx *Tx) InvoiceByReference(ctx context.Context, ref string) (Invoice, error) {
	iv, err := scanInvoice(tx.tx.QueryRowContext(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE partner_reference_no = ?`, ref))
	if err != nil {
		return Invoice{}, notFound(err, "invoice by reference "+ref)
	}
	return iv, nil
}

// InvoiceByTrxID finds an invoice by Netzme's trxId (any merchant; callers
// must check MerchantID).
func (tx *Tx) InvoiceByTrxID(ctx context.Context, trxID string) (Invoice, error) {
	if trxID == "" {
		return Invoice{}, fmt.Errorf("db: invoice by trxId: empty id: %w", ErrNotFound)
	}
	// The partial unique index, never a scan of every invoice (7 callbacks/s
	// at 1M invoices): "<> ''" makes it usable, INDEXED BY makes SQLite
	// refuse the query rather than silently scan if that ever changes.
	iv, err := scanInvoice(tx.tx.QueryRowContext(ctx, `SELECT `+invoiceColumns+` FROM invoices INDEXED BY invoices_netzme_trx_id
		WHERE netzme_trx_id = ? AND netzme_trx_id <> ''`, trxID))
	if err != nil {
		return Invoice{}, notFound(err, "invoice by trxId "+trxID)
	}
	return iv, nil
}

// InvoiceFilter selects a merchant's invoices for lists and exports.
type InvoiceFilter struct {
	Status InvoiceStatus // "" = all
	Method string        // "" = all
	// Query is searched as a substring (case-insensitive) of the reference,
	// the Netzme ids, the description and the customer's name, phone and
	// e-mail, through the trigram index: it needs SearchMinChars characters,
	// a shorter Query matches by text nothing. With AmountMinor > 0 the
	// invoices of exactly that amount match too (the query typed as an
	// amount, "25.000"; the caller parses it). Either set makes it a search,
	// listed newest entry (id) first.
	Query       string
	AmountMinor int64
	// Purpose is "sale" or "topup_deposit"; "" = both (cashiers see sales
	// only, issue 13 §9).
	Purpose string
	From    time.Time // created at or after; zero = no bound
	To      time.Time // created before; zero = no bound
}

// SearchMinChars is the shortest text the invoice search can look for: the
// trigram index knows substrings of three characters and more.
const SearchMinChars = 3

// searchText is the filter's text to search for, "" when it is too short.
func (f InvoiceFilter) searchText() string {
	q := strings.TrimSpace(f.Query)
	if utf8.RuneCountInString(q) < SearchMinChars {
		return ""
	}
	return q
}

// textQuery is the FTS5 query for the filter's text: one quoted phrase (the
// user's quotes doubled), so nothing they type is FTS syntax. "" when the
// text is too short to search.
func (f InvoiceFilter) textQuery() string {
	q := f.searchText()
	if q == "" {
		return ""
	}
	return `"` + strings.ReplaceAll(q, `"`, `""`) + `"`
}

// pgSearchText is the text PostgreSQL's invoice search looks in: the
// expression of the pg_trgm index invoices_search
// (migrations/postgres/00009_lists.sql), written the same, so the planner
// uses it. The line feeds keep a match inside one column, as FTS5's
// columns do on SQLite.
const pgSearchText = `(partner_reference_no || E'\n' || netzme_trx_id || E'\n' || netzme_invoice_id || E'\n' || ` +
	`description || E'\n' || customer_name || E'\n' || customer_phone || E'\n' || customer_email)`

// pgSearch is the PostgreSQL condition of the filter's text search and its
// argument: a case-insensitive substring match (ILIKE, the user's %, _ and
// \ taken literally), which the trigram index serves from three
// characters on.
func (f InvoiceFilter) pgSearch() (string, any) {
	q := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.searchText())
	return pgSearchText + ` ILIKE ?`, "%" + q + "%"
}

// search reports whether f is a search (text or amount), listed by id.
func (f InvoiceFilter) search() bool { return f.textQuery() != "" || f.AmountMinor > 0 }

// conds returns f's filters other than the search, on the columns of table
// alias t ("" = unqualified).
func (f InvoiceFilter) conds(t string, merchantID int64) ([]string, []any) {
	if t != "" {
		t += "."
	}
	conds := []string{t + "merchant_id = ?"}
	args := []any{merchantID}
	if f.Status != "" {
		conds, args = append(conds, t+"status = ?"), append(args, string(f.Status))
	}
	if f.Method != "" {
		conds, args = append(conds, t+"method = ?"), append(args, f.Method)
	}
	if f.Purpose != "" {
		conds, args = append(conds, t+"purpose = ?"), append(args, f.Purpose)
	}
	if !f.From.IsZero() {
		conds, args = append(conds, t+"created_at >= ?"), append(args, formatTime(f.From))
	}
	if !f.To.IsZero() {
		conds, args = append(conds, t+"created_at < ?"), append(args, formatTime(f.To))
	}
	return conds, args
}

// from is the table of f's list with the index that serves its filters and
// order. The list statements name their index (INDEXED BY): a list must
// cost the same on every database, and statistics from a lopsided table (a
// few merchants, one status) can lead the planner to walk the whole table
// instead; SQLite meant INDEXED BY for exactly this, to fail loudly rather
// than slow down should the index ever go.
func (f InvoiceFilter) from() string {
	switch {
	case f.Status != "" && f.Method != "":
		return "invoices INDEXED BY invoices_list_status_method"
	case f.Status != "":
		return "invoices INDEXED BY invoices_list_status"
	case f.Method != "":
		return "invoices INDEXED BY invoices_list_method"
	}
	return "invoices INDEXED BY invoices_list"
}

// invoiceByAmount is the table of the search by amount with its index.
const invoiceByAmount = "invoices INDEXED BY invoices_list_amount"

// invoiceListColumns are the columns of lists: every field but
// the long ones only the invoice page shows (payment URL, QRIS payload, VA
// numbers), which read as empty. t is the table alias ("" = none).
func invoiceListColumns(t string) string {
	if t != "" {
		t += "."
	}
	cols := []string{"id", "merchant_id", "partner_reference_no", "purpose", "method", "amount_minor", "fee_type",
		"description", "customer_name", "customer_phone", "customer_email", "expires_at", "status", "netzme_trx_id",
		"netzme_invoice_id", "''", "''", "'[]'", "paid_amount_minor", "fee_minor", "net_minor", "paid_at",
		"failure_reason", "coalesce(" + t + "created_by, 0)", "created_at", "updated_at"}
	for i, c := range cols {
		if c[0] != '\'' && !strings.HasPrefix(c, "coalesce") {
			cols[i] = t + c
		}
	}
	return strings.Join(cols, ", ")
}

// The invoice lists' orders: by creation time, and by id for searches (the
// FTS index yields rows in id order, so a search page reads only as many
// index entries as it shows).
var (
	invoiceKeys       = keyset{list: "invoices", key: "created_at", id: "id", kind: keyTime, desc: true}
	invoiceSearchKeys = keyset{list: "invoices.search", id: "id", kind: keyNone, desc: true}
)

func invoiceKeysetFor(f InvoiceFilter) keyset {
	if f.search() {
		return invoiceSearchKeys
	}
	return invoiceKeys
}

// invoiceAt gives an invoice's position in the list of f.
func invoiceAt(f InvoiceFilter) func(Invoice) Cursor {
	if f.search() {
		return func(iv Invoice) Cursor { return Cursor{ID: iv.ID} }
	}
	return func(iv Invoice) Cursor { return Cursor{Key: formatTime(iv.CreatedAt), ID: iv.ID} }
}

// Invoices returns one page of a merchant's invoices matching f, newest
// first (searches: newest entry first), from the position in cursor (""
// = the first page; a token from a Page of the same list otherwise, else
// ErrBadCursor). Rows carry the list fields only: not the payment URL, QRIS
// payload or VA numbers (MerchantInvoice has them).
func (d *DB) Invoices(ctx context.Context, merchantID int64, f InvoiceFilter, cursor string, limit int) (Page[Invoice], error) {
	k := invoiceKeysetFor(f)
	p, err := Paginate(k.list, cursor, limit, k.check, func(c Cursor, n int) ([]Invoice, error) {
		return d.InvoicesAfter(ctx, merchantID, f, c, n)
	}, invoiceAt(f))
	if err != nil && !errors.Is(err, ErrBadCursor) {
		err = fmt.Errorf("db: invoices: %w", err)
	}
	return p, err
}

// InvoicesAfter returns at most n of a merchant's invoices matching f after
// c in the list's order (for lists merged with other sources, as the
// history): for a forward cursor the next rows, newest first; for a Back
// cursor the rows before c, nearest first. c.Key is the created_at as stored
// (a search orders by id alone and ignores it).
func (d *DB) InvoicesAfter(ctx context.Context, merchantID int64, f InvoiceFilter, c Cursor, n int) ([]Invoice, error) {
	return d.invoicesAfter(ctx, merchantID, f, c, n, nil, invoiceListColumns, scanInvoiceRow)
}

// invoicesAfter is InvoicesAfter reading the columns cols(alias) with scan.
func (d *DB) invoicesAfter(ctx context.Context, merchantID int64, f InvoiceFilter, c Cursor, n int, buf []Invoice,
	cols func(alias string) string, scan func(scanner) (Invoice, error)) ([]Invoice, error) {
	if !f.search() {
		// A date bound the cursor already implies is left out: two lower
		// (or upper) bounds on created_at can lead the planner to a skip
		// scan that loses the index order.
		if !c.IsZero() {
			if k := c.Key; c.Back && !f.From.IsZero() && k >= formatTime(f.From) {
				f.From = time.Time{}
			} else if !c.Back && !f.To.IsZero() && k < formatTime(f.To) {
				f.To = time.Time{}
			}
		}
		conds, args := f.conds("", merchantID)
		return queryKeysetInto(ctx, d.sql, invoiceKeys, c, n, buf, `SELECT `+cols("")+` FROM `+f.from(),
			conds, args, scan)
	}
	// A search is the invoices whose text matches or whose amount is the
	// one typed: two index walks in id order, merged here, each stopping
	// after n rows.
	c.Key = ""
	var byText, byAmount []Invoice
	if f.searchText() != "" && d.dia.postgres {
		conds, args := f.conds("", merchantID)
		cond, arg := f.pgSearch()
		var err error
		byText, err = queryKeyset(ctx, d.sql, invoiceSearchKeys, c, n, `SELECT `+cols("")+` FROM invoices`,
			append(conds, cond), append(args, arg), scan)
		if err != nil {
			return nil, fmt.Errorf("db: invoice search: %w", err)
		}
	} else if q := f.textQuery(); q != "" {
		// The merchant's entries are the rowid range of its id (the
		// migration's (merchant_id << 40) | id); the cursor narrows it to
		// one bound, so FTS5 seeks straight to it.
		lo, hi := searchRowids(merchantID)
		order := "DESC"
		switch {
		case c.Back:
			lo, order = lo|c.ID+1, "ASC"
		case !c.IsZero():
			hi = lo | c.ID - 1
		}
		conds, args := f.conds("i", merchantID)
		conds = append(conds, "invoices_fts MATCH ?", "invoices_fts.rowid BETWEEN ? AND ?")
		args = append(args, q, lo, hi, n)
		var err error
		byText, err = queryRowsInto(ctx, d.sql, `SELECT `+cols("i")+` FROM invoices_fts JOIN invoices i ON i.id = invoices_fts.rowid & `+
			searchIDMask+whereClause(conds)+` ORDER BY invoices_fts.rowid `+order+` LIMIT ?`, args, n, nil, scan)
		if err != nil {
			return nil, fmt.Errorf("db: invoice search: %w", err)
		}
	}
	if f.AmountMinor > 0 {
		conds, args := f.conds("", merchantID)
		conds, args = append(conds, "amount_minor = ?"), append(args, f.AmountMinor)
		var err error
		byAmount, err = queryKeyset(ctx, d.sql, invoiceSearchKeys, c, n, `SELECT `+cols("")+` FROM `+invoiceByAmount,
			conds, args, scan)
		if err != nil {
			return nil, fmt.Errorf("db: invoice search by amount: %w", err)
		}
	}
	return mergeByID(byText, byAmount, !c.Back, n), nil
}

// searchIDMask takes the invoice id out of a search index rowid.
const searchIDMask = "1099511627775" // 1<<40 - 1

// searchRowids is the rowid range of a merchant's entries in the search
// index, both ends included.
func searchRowids(merchantID int64) (lo, hi int64) {
	return merchantID << 40, (merchantID+1)<<40 - 1
}

// mergeByID merges two id-ordered lists (descending when down), dropping
// the second copy of an invoice both hold, up to n rows.
func mergeByID(a, b []Invoice, down bool, n int) []Invoice {
	out := make([]Invoice, 0, min(n, len(a)+len(b)))
	for len(out) < n && (len(a) > 0 || len(b) > 0) {
		switch {
		case len(b) == 0:
			out, a = append(out, a[0]), a[1:]
		case len(a) == 0:
			out, b = append(out, b[0]), b[1:]
		case a[0].ID == b[0].ID:
			out, a, b = append(out, a[0]), a[1:], b[1:]
		case (a[0].ID > b[0].ID) == down:
			out, a = append(out, a[0]), a[1:]
		default:
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

func scanInvoiceRow(s scanner) (Invoice, error) { return scanInvoice(s) }

// invoiceExportColumns are the columns of the CSV export, and the id and
// created_at of the cursor — packed into one text after the id: the
// driver's cost per row grows with each column read (a lock and a copy per
// value, several locks per column), and an export reads a million rows.
// scanInvoiceExport splits it again. The packed text is: the times as
// stored (27 characters each; paid_at may be absent), a space, then
// space-separated the fee type and status (words of a fixed set), the four
// amounts ("-" when absent) and the byte lengths of the method, reference,
// Netzme trxId, Netzme invoice id and description, a space, and those five
// followed by the customer's name, back to back: no character of any text
// can be mistaken for a separator.
func invoiceExportColumns(t string) string {
	if t != "" {
		t += "."
	}
	return t + `id, ` + t + `created_at || ` + t + `expires_at || coalesce(` + t + `paid_at, '') || ' ' || ` +
		t + `fee_type || ' ' || ` + t + `status || ' ' || ` +
		t + `amount_minor || ' ' || coalesce(CAST(` + t + `paid_amount_minor AS TEXT), '-') || ' ' || coalesce(CAST(` + t + `fee_minor AS TEXT), '-') || ' ' || coalesce(CAST(` + t + `net_minor AS TEXT), '-') || ' ' || ` +
		`octet_length(` + t + `method) || ' ' || octet_length(` + t + `partner_reference_no) || ' ' || octet_length(` + t + `netzme_trx_id) || ' ' || ` +
		`octet_length(` + t + `netzme_invoice_id) || ' ' || octet_length(` + t + `description) || ' ' || ` +
		t + `method || ` + t + `partner_reference_no || ` + t + `netzme_trx_id || ` + t + `netzme_invoice_id || ` + t + `description || ` + t + `customer_name`
}

// scanInvoiceExport reads an export row as it comes (the id and the packed
// text): the export's reader does no more than read, and InvoiceRows splits
// the rows on the caller's goroutine (splitInvoiceExport), so that the two
// cores share the work.
func scanInvoiceExport(s scanner) (Invoice, error) {
	// Scanned into two locals, not into the Invoice: a pointer to one of
	// its fields would move every row's Invoice to the heap.
	var id int64
	var packed string
	if err := s.Scan(&id, &packed); err != nil {
		return Invoice{}, err
	}
	if len(packed) < len(timeLayout) {
		return Invoice{}, fmt.Errorf("db: invoice %d: packed export row too short", id)
	}
	return Invoice{ID: id, exportRow: packed}, nil
}

// splitInvoiceExport splits the packed export row scanInvoiceExport read
// into the invoice's fields.
func splitInvoiceExport(id int64, packed string) (Invoice, error) {
	iv := Invoice{ID: id}
	bad := func(what string) (Invoice, error) {
		return Invoice{}, fmt.Errorf("db: invoice %d: packed export row: %s", iv.ID, what)
	}
	const tl = len(timeLayout)
	if len(packed) < 2*tl+1 {
		return bad("too short")
	}
	var err error
	if iv.CreatedAt, err = parseStoredTime(packed[:tl]); err != nil {
		return Invoice{}, err
	}
	if iv.ExpiresAt, err = parseStoredTime(packed[tl : 2*tl]); err != nil {
		return Invoice{}, err
	}
	rest := packed[2*tl:]
	if rest[0] != ' ' {
		if len(rest) < tl+1 || rest[tl] != ' ' {
			return bad("times")
		}
		t, err := parseStoredTime(rest[:tl])
		if err != nil {
			return Invoice{}, err
		}
		iv.PaidAt, rest = sql.NullTime{Time: t, Valid: true}, rest[tl:]
	}
	rest = rest[1:]
	var words [11]string
	for i := range words {
		var ok bool
		if words[i], rest, ok = strings.Cut(rest, " "); !ok {
			return bad("fields")
		}
	}
	iv.FeeType, iv.Status = words[0], InvoiceStatus(words[1])
	var nums [4]sql.NullInt64
	for i := range nums {
		if words[2+i] == "-" {
			continue
		}
		v, err := strconv.ParseInt(words[2+i], 10, 64)
		if err != nil {
			return bad("amounts")
		}
		nums[i] = sql.NullInt64{Int64: v, Valid: true}
	}
	if !nums[0].Valid {
		return bad("no amount")
	}
	iv.AmountMinor, iv.PaidAmountMinor, iv.FeeMinor, iv.NetMinor = nums[0].Int64, nums[1], nums[2], nums[3]
	var texts [5]string
	for i := range texts {
		n, err := strconv.Atoi(words[6+i])
		if err != nil || n < 0 || n > len(rest) {
			return bad("lengths")
		}
		texts[i], rest = rest[:n], rest[n:]
	}
	iv.Method, iv.PartnerReferenceNo, iv.NetzmeTrxID, iv.NetzmeInvoiceID, iv.Description = texts[0], texts[1], texts[2], texts[3], texts[4]
	iv.CustomerName = rest
	return iv, nil
}

// CountInvoices counts a merchant's invoices matching f up to CountCap (a
// result of CountCap means more than CountCap-1).
func (d *DB) CountInvoices(ctx context.Context, merchantID int64, f InvoiceFilter) (int, error) {
	var parts []string
	var args []any
	if !f.search() {
		conds, cargs := f.conds("", merchantID)
		parts, args = append(parts, `SELECT id FROM `+f.from()+whereClause(conds)), cargs
	}
	if f.searchText() != "" && d.dia.postgres {
		conds, cargs := f.conds("", merchantID)
		cond, arg := f.pgSearch()
		conds, cargs = append(conds, cond), append(cargs, arg)
		parts = append(parts, `SELECT * FROM (SELECT id FROM invoices`+whereClause(conds)+` LIMIT `+strconv.Itoa(CountCap)+`) AS by_text`)
		args = append(args, cargs...)
	} else if q := f.textQuery(); q != "" {
		lo, hi := searchRowids(merchantID)
		sel := `SELECT invoices_fts.rowid & ` + searchIDMask + ` AS id FROM invoices_fts`
		conds, cargs := []string{"invoices_fts MATCH ?", "invoices_fts.rowid BETWEEN ? AND ?"}, []any{q, lo, hi}
		if f.Status != "" || f.Method != "" || !f.From.IsZero() || !f.To.IsZero() {
			sel += ` JOIN invoices i ON i.id = invoices_fts.rowid & ` + searchIDMask
			fc, fargs := f.conds("i", merchantID)
			conds, cargs = append(conds, fc...), append(cargs, fargs...)
		}
		parts = append(parts, `SELECT * FROM (`+sel+whereClause(conds)+` LIMIT `+strconv.Itoa(CountCap)+`) AS by_text`)
		args = append(args, cargs...)
	}
	if f.AmountMinor > 0 {
		conds, cargs := f.conds("", merchantID)
		conds, cargs = append(conds, "amount_minor = ?"), append(cargs, f.AmountMinor)
		parts = append(parts, `SELECT * FROM (SELECT id FROM `+invoiceByAmount+whereClause(conds)+` LIMIT `+strconv.Itoa(CountCap)+`) AS by_amount`)
		args = append(args, cargs...)
	}
	n, err := countCapped(ctx, d.sql, strings.Join(parts, " UNION "), args...)
	if err != nil {
		return 0, fmt.Errorf("db: count invoices: %w", err)
	}
	return n, nil
}

// InvoiceRows yields every invoice of a merchant matching f in list order,
// for exports, with the fields of the CSV export only (id, reference, Netzme
// ids, method, description, customer name, amounts, fee type, status and
// times): read in batches of a thousand rows by keyset, so memory stays
// constant at any size and no query holds a connection while the caller
// writes. The next batch is read while the caller handles this one (a second
// core formats and sends while the first reads). Rows inserted while it runs
// (newer than the first batch) are not included. It stops at the first
// error, which it yields; when the loop ends early, the read ahead stops too
// before InvoiceRows returns.
func (d *DB) InvoiceRows(ctx context.Context, merchantID int64, f InvoiceFilter) iter.Seq2[Invoice, error] {
	at := func(iv Invoice) Cursor { return Cursor{ID: iv.ID} }
	if !f.search() {
		// The stored created_at leads the packed row: the cursor's key as is.
		at = func(iv Invoice) Cursor { return Cursor{Key: iv.exportRow[:len(timeLayout)], ID: iv.ID} }
	}
	rows := readAhead(ctx, at, func(ctx context.Context, c Cursor, n int, buf []Invoice) ([]Invoice, error) {
		return d.invoicesAfter(ctx, merchantID, f, c, n, buf, invoiceExportColumns, scanInvoiceExport)
	})
	return func(yield func(Invoice, error) bool) {
		for raw, err := range rows {
			if err != nil {
				yield(Invoice{}, err)
				return
			}
			iv, err := splitInvoiceExport(raw.ID, raw.exportRow)
			if !yield(iv, err) || err != nil {
				return
			}
		}
	}
}

// UnresolvedInvoices returns, oldest first and at most limit, the invoices
// of every merchant the resolver must ask Netzme about: every unknown one
// (creation outcome not known) and every pending one whose expiry has passed
// within the day before now (a callback may have been lost; after a day
// Netzme has long closed it and asking again is pointless). A pending invoice
// before its expiry is waiting for its callback and is not polled.
func (d *DB) UnresolvedInvoices(ctx context.Context, now time.Time, limit int) ([]Invoice, error) {
	// Two indexed reads, not one OR over the table: at 1M invoices the
	// poller runs this every 15 s.
	rows, err := d.sql.QueryContext(ctx, `SELECT * FROM (
		SELECT `+invoiceColumns+` FROM invoices INDEXED BY invoices_unknown WHERE status = 'unknown'
		UNION ALL
		SELECT `+invoiceColumns+` FROM invoices INDEXED BY invoices_pending_expiry
		WHERE status = 'pending' AND expires_at > ? AND expires_at <= ?) AS unresolved
		ORDER BY created_at LIMIT ?`, formatTime(now.Add(-24*time.Hour)), formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("db: unresolved invoices: %w", err)
	}
	defer rows.Close()
	var out []Invoice
	for rows.Next() {
		iv, err := scanInvoice(rows)
		if err != nil {
			return nil, fmt.Errorf("db: unresolved invoices: %w", err)
		}
		out = append(out, iv)
	}
	return out, rows.Err()
}

// InvoiceEvents returns the timeline of invoice id, oldest first. Callers
// fetch the invoice through MerchantInvoice first, which scopes it.
func (d *DB) InvoiceEvents(ctx context.Context, invoiceID int64) ([]InvoiceEvent, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id, invoice_id, at, status, source, note, coalesce(user_id, 0)
		FROM invoice_events WHERE invoice_id = ? ORDER BY id`, invoiceID)
	if err != nil {
		return nil, fmt.Errorf("db: invoice %d events: %w", invoiceID, err)
	}
	defer rows.Close()
	var out []InvoiceEvent
	for rows.Next() {
		var e InvoiceEvent
		var at string
		if err := rows.Scan(&e.ID, &e.InvoiceID, &at, &e.Status, &e.Source, &e.Note, &e.UserID); err != nil {
			return nil, fmt.Errorf("db: invoice %d events: %w", invoiceID, err)
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
