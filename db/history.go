package db

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The history (issue 12 §5) is the journal read as a list: one row per money
// event, never two for one payment. A ledger transaction is a row, except
// the outcome of a withdrawal (its "succeeded" or "failed" transaction),
// which is the status of the withdrawal's own row instead. Amounts are
// signed by direction: money in (a sale, a top-up) is positive, money out (a
// withdrawal, a split fee) negative, a reversal the opposite of what it
// reverses. Every read here comes from migration 00015's indexes; totals come
// from the daily totals where they can (ledger_daily, kept with the journal).

// HistoryType is what a history row records, one per ledger kind shown.
type HistoryType string

// History types (the type filter and the export's type column).
const (
	HistorySale              HistoryType = "sale" // an invoice, a static-QRIS payment or a CVS bill paid
	HistoryTopup             HistoryType = "topup"
	HistoryWithdrawal        HistoryType = "withdrawal"
	HistoryDepositWithdrawal HistoryType = "deposit_withdrawal"
	HistorySplitFee          HistoryType = "split_fee"
	HistoryAdjustment        HistoryType = "adjustment"
	HistoryOpeningBalance    HistoryType = "opening_balance"
)

// HistoryTypes lists the types in the order the filter offers them.
var HistoryTypes = []HistoryType{HistorySale, HistoryTopup, HistoryWithdrawal, HistoryDepositWithdrawal, HistorySplitFee,
	HistoryAdjustment, HistoryOpeningBalance}

// historyTypeKinds maps each type to the ledger kind of its rows.
var historyTypeKinds = map[HistoryType]LedgerKind{
	HistorySale: KindSale, HistoryTopup: KindTopup, HistoryWithdrawal: KindWithdrawalSent,
	HistoryDepositWithdrawal: KindDepositWithdrawalSent, HistorySplitFee: KindSplitFee, HistoryAdjustment: KindAdjustment,
	HistoryOpeningBalance: KindOpeningBalance,
}

// historyTypeOf is the type of a row of kind k.
func historyTypeOf(k LedgerKind) HistoryType {
	for t, kk := range historyTypeKinds {
		if kk == k {
			return t
		}
	}
	return HistoryType(k)
}

// HistoryStatus is the state of a history row.
type HistoryStatus string

// History statuses. A withdrawal is pending until its outcome is booked; a
// reversal is a row of its own (its original keeps its status).
const (
	HistorySuccess  HistoryStatus = "success"
	HistoryPending  HistoryStatus = "pending"
	HistoryFailed   HistoryStatus = "failed"
	HistoryReversal HistoryStatus = "reversal"
)

// HistoryStatuses lists the statuses in the order the filter offers them.
var HistoryStatuses = []HistoryStatus{HistorySuccess, HistoryPending, HistoryFailed, HistoryReversal}

// HistoryFilter selects a merchant's history rows. The zero filter is every
// row.
type HistoryFilter struct {
	From time.Time // occurred at or after; zero = no bound
	To   time.Time // occurred before; zero = no bound
	Type HistoryType
	// Method is the payment method (QRIS, BCA…, QRIS_STATIC, CVS); rows
	// without one (withdrawals, split fees) never match a method.
	Method string
	Status HistoryStatus
	Match  MatchState
	// Query is searched as a substring (case-insensitive, SearchMinChars
	// characters at least) of our reference, the provider's id and the memo;
	// with AmountMinor > 0 the rows of exactly that amount (unsigned, as
	// booked) match too. Either makes it a search, listed newest entry first.
	Query       string
	AmountMinor int64
}

// HistoryEntry is one history row. Amounts in sen, signed by direction.
type HistoryEntry struct {
	ID          int64
	Kind        LedgerKind
	Type        HistoryType
	Method      string
	AmountMinor int64 // > 0 money in, < 0 money out
	FeeMinor    int64 // Netzme's fee on money in (negated on its reversal)
	Reference   string
	ExternalID  string
	Memo        string
	OccurredAt  time.Time
	Status      HistoryStatus
	Match       MatchState
	SourceTable string // the record it belongs to ("" for adjustments)
	SourceID    int64
	ReversesID  int64
}

// In reports whether the row is money in (its direction is "in").
func (e HistoryEntry) In() bool { return e.AmountMinor > 0 }

// NetMinor is the amount less the fee.
func (e HistoryEntry) NetMinor() int64 { return e.AmountMinor - e.FeeMinor }

// Kinds the history shows as the status of another row, never as a row
// (the partial index ledger_history has exactly this condition).
const historyHiddenKinds = `('withdrawal_succeeded', 'withdrawal_failed', 'deposit_withdrawal_succeeded', 'deposit_withdrawal_failed')`

// historyWithdrawalKinds are the kinds whose status depends on an outcome;
// the partial index ledger_history_withdrawals has exactly this condition.
const historyWithdrawalKinds = `t.kind IN ('withdrawal_sent', 'deposit_withdrawal_sent')`

// historyFollowUp is the condition that the withdrawal row t has its
// outcome step booked: withdrawal:<ref>:sent → withdrawal:<ref>:<step>,
// found through UNIQUE (merchant_id, key).
func historyFollowUp(step string) string {
	return `EXISTS (SELECT 1 FROM ledger_transactions f WHERE f.merchant_id = t.merchant_id
		AND f.key = substr(t.key, 1, length(t.key) - 4) || '` + step + `')`
}

// historySigned is a row's amount signed by direction, on dia's engine.
// Out: withdrawals and split fees. An adjustment's direction is its posting
// on the account adjusted, the first (money.Adjust writes it first,
// equity:opening second): a debit to an asset is money in, to any other
// account money out (more expense, less income). Should equity:opening come
// first, the other side is taken to be an asset.
func historySigned(dia *dialect) string {
	// The first posting, read out of the transaction's JSON postings: SQLite's
	// ->> gives a JSON number as an integer; PostgreSQL's gives text, and its
	// sign() of a bigint is a double, brought back to a bigint.
	sign, account := `sign(t.postings ->> '$[0].amount')`, `t.postings ->> '$[0].account'`
	if dia.postgres {
		sign, account = `sign((t.postings::jsonb -> 0 ->> 'amount')::bigint)::bigint`, `(t.postings::jsonb -> 0 ->> 'account')`
	}
	return `CASE
	WHEN t.kind IN ('withdrawal_sent', 'deposit_withdrawal_sent', 'split_fee') THEN -t.amount_minor
	WHEN t.kind IN ('adjustment', 'opening_balance') THEN abs(t.amount_minor) * ` + sign + ` * coalesce((
		SELECT CASE WHEN c.type = 'asset' THEN 1 ELSE -1 END FROM ledger_chart c
		WHERE c.code = ` + account + ` AND c.code <> 'equity:opening'), -1)
	ELSE t.amount_minor END`
}

// historyStatusSQL is a row's status.
var historyStatusSQL = `CASE WHEN t.reverses_id IS NOT NULL THEN 'reversal'
	WHEN ` + historyWithdrawalKinds + ` THEN CASE WHEN ` + historyFollowUp("succeeded") + ` THEN 'success'
		WHEN ` + historyFollowUp("failed") + ` THEN 'failed' ELSE 'pending' END
	ELSE 'success' END`

// historySignOf is the sign of kind k's amounts in the history (adjustments
// are read from their postings, not through this).
func historySignOf(k LedgerKind) int64 {
	switch k {
	case KindWithdrawalSent, KindDepositWithdrawalSent, KindSplitFee:
		return -1
	}
	return 1
}

// historyColumns are the columns of a history row, with its match state, on
// dia's engine.
func historyColumns(dia *dialect) string {
	match, _ := historyMatch()
	return `t.id, t.kind, t.method, ` + historySigned(dia) + `, t.fee_minor, t.reference, t.external_id, t.memo, t.occurred_at, ` +
		historyStatusSQL + `, ` + match + `, t.source_table, coalesce(t.source_id, 0), coalesce(t.reverses_id, 0)`
}

func scanHistory(s scanner) (HistoryEntry, error) {
	var e HistoryEntry
	var at string
	err := s.Scan(&e.ID, &e.Kind, &e.Method, &e.AmountMinor, &e.FeeMinor, &e.Reference, &e.ExternalID, &e.Memo, &at,
		&e.Status, &e.Match, &e.SourceTable, &e.SourceID, &e.ReversesID)
	if err != nil {
		return HistoryEntry{}, err
	}
	if e.OccurredAt, err = parseStoredTime(at); err != nil {
		return HistoryEntry{}, err
	}
	e.Type = historyTypeOf(e.Kind)
	return e, nil
}

// The history's orders: by occurred_at, and by id for searches (the FTS
// index and the amount index give rows in id order).
var (
	historyKeys       = keyset{list: "history", key: "t.occurred_at", id: "t.id", kind: keyTime, desc: true}
	historySearchKeys = keyset{list: "history.search", id: "t.id", kind: keyNone, desc: true}
)

// searchText is the filter's text to search for, "" when it is too short.
func (f HistoryFilter) searchText() string {
	q := strings.TrimSpace(f.Query)
	if utf8.RuneCountInString(q) < SearchMinChars {
		return ""
	}
	return q
}

// textQuery is the FTS5 query of the filter's text on SQLite: one quoted
// phrase (the user's quotes doubled), so nothing they type is FTS syntax;
// "" when the text is too short to search.
func (f HistoryFilter) textQuery() string {
	q := f.searchText()
	if q == "" {
		return ""
	}
	return `"` + strings.ReplaceAll(q, `"`, `""`) + `"`
}

// pgLedgerSearchText is the text PostgreSQL's history search looks in: the
// expression of the pg_trgm index ledger_search
// (migrations/postgres/00015_history.sql), written the same, so the planner
// uses it. The line feeds keep a match inside one column, as FTS5's columns
// do on SQLite.
const pgLedgerSearchText = `(t.reference || E'\n' || t.external_id || E'\n' || t.memo)`

// pgSearch is the PostgreSQL condition of the filter's text search and its
// argument: a case-insensitive substring match (ILIKE, the user's %, _ and
// \ taken literally), which the trigram index serves from three characters
// on.
func (f HistoryFilter) pgSearch() (string, any) {
	q := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.searchText())
	return pgLedgerSearchText + ` ILIKE ?`, "%" + q + "%"
}

// search reports whether f is a search (text or amount), listed by id.
func (f HistoryFilter) search() bool { return f.textQuery() != "" || f.AmountMinor > 0 }

// none reports whether no row can match f: a withdrawal's outcome with a
// type that has none or a method, or a match state no row has.
func (f HistoryFilter) none() bool {
	if f.Status == HistoryPending || f.Status == HistoryFailed {
		if f.Method != "" || (f.Type != "" && f.Type != HistoryWithdrawal && f.Type != HistoryDepositWithdrawal) {
			return true
		}
	}
	if f.Type != "" {
		if _, ok := historyTypeKinds[f.Type]; !ok {
			return true
		}
	}
	_, constant := historyMatch()
	return f.Match != "" && constant != "" && f.Match != constant
}

// conds returns f's filters but the search, on alias t.
func (f HistoryFilter) conds(merchantID int64) ([]string, []any) {
	conds, args := []string{"t.merchant_id = ?"}, []any{merchantID}
	if f.Type != "" {
		conds, args = append(conds, "t.kind = ?"), append(args, string(historyTypeKinds[f.Type]))
	} else {
		// Every index of a list without a type leaves the outcomes out
		// (partial indexes): this term lets SQLite use them.
		conds = append(conds, "t.kind NOT IN "+historyHiddenKinds)
	}
	if f.Method != "" {
		conds, args = append(conds, "t.method = ?"), append(args, f.Method)
	}
	switch f.Status {
	case HistorySuccess:
		conds = append(conds, "t.reverses_id IS NULL", "(NOT "+historyWithdrawalKinds+" OR "+historyFollowUp("succeeded")+")")
	case HistoryPending:
		conds = append(conds, historyWithdrawalKinds, "t.reverses_id IS NULL", "NOT "+historyFollowUp("succeeded"),
			"NOT "+historyFollowUp("failed"))
	case HistoryFailed:
		// A withdrawal is booked with one outcome at most (money's
		// withdrawalEntries), so one look-up says it.
		conds = append(conds, historyWithdrawalKinds, "t.reverses_id IS NULL", historyFollowUp("failed"))
	case HistoryReversal:
		conds = append(conds, "t.reverses_id IS NOT NULL")
	}
	if f.Match != "" {
		if match, constant := historyMatch(); constant == "" {
			conds, args = append(conds, match+" = ?"), append(args, string(f.Match))
		}
	}
	if !f.From.IsZero() {
		conds, args = append(conds, "t.occurred_at >= ?"), append(args, formatTime(f.From))
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "t.occurred_at < ?"), append(args, formatTime(f.To))
	}
	return conds, args
}

// from is the journal with the index that serves f's filters and order
// (INDEXED BY, as every list: the same cost on every database, and a loud
// failure should the index go).
func (f HistoryFilter) from() string {
	const t = "ledger_transactions t INDEXED BY "
	switch {
	case f.Status == HistoryPending || f.Status == HistoryFailed:
		return t + "ledger_history_withdrawals"
	case f.Status == HistoryReversal:
		return t + "ledger_history_reversals"
	case f.Type != "" && f.Method != "":
		return t + "ledger_history_kind_method"
	case f.Type != "":
		return t + "ledger_history_kind"
	case f.Method != "":
		return t + "ledger_history_method"
	}
	return t + "ledger_history"
}

// historyAt gives a row's position in the list of f.
func historyAt(f HistoryFilter) func(HistoryEntry) Cursor {
	if f.search() {
		return func(e HistoryEntry) Cursor { return Cursor{ID: e.ID} }
	}
	return func(e HistoryEntry) Cursor { return Cursor{Key: formatTime(e.OccurredAt), ID: e.ID} }
}

// History returns one page of a merchant's history matching f, newest first
// (searches: newest entry first), from the position in cursor ("" = the
// first page; ErrBadCursor for a token that is not one of this list's).
func (d *DB) History(ctx context.Context, merchantID int64, f HistoryFilter, cursor string, limit int) (Page[HistoryEntry], error) {
	k := historyKeys
	if f.search() {
		k = historySearchKeys
	}
	p, err := Paginate(k.list, cursor, limit, k.check, func(c Cursor, n int) ([]HistoryEntry, error) {
		return d.historyAfter(ctx, merchantID, f, c, n)
	}, historyAt(f))
	if err != nil && !errors.Is(err, ErrBadCursor) {
		err = fmt.Errorf("db: history: %w", err)
	}
	return p, err
}

// HistoryRows yields every history row of a merchant matching f in list
// order, for exports: read by keyset in batches (a hundred, then a
// thousand), the next batch read while the caller writes this one, so
// memory stays constant at any size (see ReadAhead).
func (d *DB) HistoryRows(ctx context.Context, merchantID int64, f HistoryFilter) iter.Seq2[HistoryEntry, error] {
	return ReadAhead(ctx, historyAt(f), func(ctx context.Context, c Cursor, n int) ([]HistoryEntry, error) {
		return d.historyAfter(ctx, merchantID, f, c, n)
	})
}

// historyAfter returns at most n rows after c in fetch order (Paginate's
// contract).
func (d *DB) historyAfter(ctx context.Context, merchantID int64, f HistoryFilter, c Cursor, n int) ([]HistoryEntry, error) {
	if f.none() {
		return nil, nil
	}
	if !f.search() {
		// A date bound the cursor already implies is left out (as the
		// invoice list does): two bounds on occurred_at can lead the
		// planner away from the index order.
		if !c.IsZero() {
			if k := c.Key; c.Back && !f.From.IsZero() && k >= formatTime(f.From) {
				f.From = time.Time{}
			} else if !c.Back && !f.To.IsZero() && k < formatTime(f.To) {
				f.To = time.Time{}
			}
		}
		conds, args := f.conds(merchantID)
		return queryKeyset(ctx, d.sql, historyKeys, c, n, `SELECT `+historyColumns(d.dia)+` FROM `+f.from(), conds, args, scanHistory)
	}
	c.Key = ""
	var byText, byAmount []HistoryEntry
	if f.searchText() != "" && d.dia.postgres {
		conds, args := f.conds(merchantID)
		cond, arg := f.pgSearch()
		var err error
		byText, err = queryKeyset(ctx, d.sql, historySearchKeys, c, n, `SELECT `+historyColumns(d.dia)+` FROM ledger_transactions t`,
			append(conds, cond), append(args, arg), scanHistory)
		if err != nil {
			return nil, fmt.Errorf("db: history search: %w", err)
		}
	} else if q := f.textQuery(); q != "" {
		lo, hi := searchRowids(merchantID)
		order := "DESC"
		switch {
		case c.Back:
			lo, order = lo|c.ID+1, "ASC"
		case !c.IsZero():
			hi = lo | c.ID - 1
		}
		conds, args := f.conds(merchantID)
		conds = append(conds, "ledger_fts MATCH ?", "ledger_fts.rowid BETWEEN ? AND ?")
		args = append(args, q, lo, hi, n)
		var err error
		byText, err = queryRows(ctx, d.sql, `SELECT `+historyColumns(d.dia)+` FROM ledger_fts JOIN ledger_transactions t ON t.id = ledger_fts.rowid & `+
			searchIDMask+whereClause(conds)+` ORDER BY ledger_fts.rowid `+order+` LIMIT ?`, args, scanHistory)
		if err != nil {
			return nil, fmt.Errorf("db: history search: %w", err)
		}
	}
	if f.AmountMinor > 0 {
		conds, args := f.conds(merchantID)
		conds, args = append(conds, "t.amount_minor = ?"), append(args, f.AmountMinor)
		var err error
		byAmount, err = queryKeyset(ctx, d.sql, historySearchKeys, c, n, `SELECT `+historyColumns(d.dia)+
			` FROM ledger_transactions t INDEXED BY ledger_history_amount`, conds, args, scanHistory)
		if err != nil {
			return nil, fmt.Errorf("db: history search by amount: %w", err)
		}
	}
	return mergeHistoryByID(byText, byAmount, !c.Back, n), nil
}

// mergeHistoryByID merges two id-ordered lists (descending when down),
// dropping the second copy of a row both hold, up to n rows.
func mergeHistoryByID(a, b []HistoryEntry, down bool, n int) []HistoryEntry {
	out := make([]HistoryEntry, 0, min(n, len(a)+len(b)))
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

// historyIDs is the statement selecting the ids of f's rows (its search
// included; at most limit of each of its parts) on dia's engine, with its
// arguments. The caller bounds the whole with a LIMIT of its own.
func (f HistoryFilter) historyIDs(dia *dialect, merchantID int64, limit int) (string, []any) {
	conds, args := f.conds(merchantID)
	if !f.search() {
		return `SELECT t.id FROM ` + f.from() + whereClause(conds), args
	}
	var parts []string
	var all []any
	if f.searchText() != "" && dia.postgres {
		cond, arg := f.pgSearch()
		c := append(conds[:len(conds):len(conds)], cond)
		parts = append(parts, `SELECT * FROM (SELECT t.id FROM ledger_transactions t`+whereClause(c)+` LIMIT `+strconv.Itoa(limit)+`) AS by_text`)
		all = append(append(all, args...), arg)
	} else if q := f.textQuery(); q != "" {
		lo, hi := searchRowids(merchantID)
		c := append(conds[:len(conds):len(conds)], "ledger_fts MATCH ?", "ledger_fts.rowid BETWEEN ? AND ?")
		parts = append(parts, `SELECT * FROM (SELECT t.id FROM ledger_fts JOIN ledger_transactions t ON t.id = ledger_fts.rowid & `+
			searchIDMask+whereClause(c)+` LIMIT `+strconv.Itoa(limit)+`) AS by_text`)
		all = append(append(all, args...), q, lo, hi)
	}
	if f.AmountMinor > 0 {
		c := append(conds[:len(conds):len(conds)], "t.amount_minor = ?")
		parts = append(parts, `SELECT * FROM (SELECT t.id FROM ledger_transactions t INDEXED BY ledger_history_amount`+
			whereClause(c)+` LIMIT `+strconv.Itoa(limit)+`) AS by_amount`)
		all = append(append(all, args...), f.AmountMinor)
	}
	return strings.Join(parts, " UNION "), all
}

// CountHistory counts a merchant's history rows matching f up to CountCap (a
// result of CountCap means more than CountCap-1).
func (d *DB) CountHistory(ctx context.Context, merchantID int64, f HistoryFilter) (int, error) {
	if f.none() {
		return 0, nil
	}
	q, args := f.historyIDs(d.dia, merchantID, CountCap)
	n, err := countCapped(ctx, d.sql, q, args...)
	if err != nil {
		return 0, fmt.Errorf("db: count history: %w", err)
	}
	return n, nil
}

// HistoryTotals are the sums of the rows of a filter, in sen: money in
// (positive), money out (negative), fees, and the net (in + out − fees). A
// failed withdrawal counts nothing: its money came back.
type HistoryTotals struct {
	InMinor, OutMinor, FeeMinor int64
	// Capped: the filter holds more than HistoryTotalsCap rows and cannot
	// be summed from the daily totals (a search); the sums are not given.
	Capped bool
}

// NetMinor is in + out − fees.
func (t HistoryTotals) NetMinor() int64 { return t.InMinor + t.OutMinor - t.FeeMinor }

func (t *HistoryTotals) add(signed, fee int64) {
	if signed > 0 {
		t.InMinor += signed
	} else {
		t.OutMinor += signed
	}
	t.FeeMinor += fee
}

// HistoryTotalsCap is how many rows a total is summed over when it must read
// the journal row by row (a search): more, and it is not given.
const HistoryTotalsCap = 2_000

// historyPlainKinds are the kinds whose daily totals give their history
// totals directly: their status is "success" unless reversed, their sign
// fixed. Withdrawals (their status hangs on an outcome), adjustments (their
// sign on a posting) and reversals are few, and read from the journal.
var historyPlainKinds = []LedgerKind{KindSale, KindTopup, KindSplitFee}

// wib is Jakarta time as the daily totals count days (UTC+7, no DST).
var wib = time.FixedZone("WIB", 7*3600)

// jakartaDay returns t's Jakarta day and whether t is its midnight.
func jakartaDay(t time.Time) (string, bool) {
	j := t.In(wib)
	return j.Format("2006-01-02"), j.Hour() == 0 && j.Minute() == 0 && j.Second() == 0 && j.Nanosecond() == 0
}

// HistoryTotals sums the history rows of a merchant matching f. A filter of
// whole Jakarta days without a search is summed from the daily totals
// (sales, top-ups and split fees: one row per day, kind and method), with
// the journal read only for withdrawals, adjustments and reversals — the
// cost grows with days, not with transactions. A search is summed row by
// row, up to HistoryTotalsCap rows (else Capped).
func (d *DB) HistoryTotals(ctx context.Context, merchantID int64, f HistoryFilter) (HistoryTotals, error) {
	var t HistoryTotals
	if f.none() {
		return t, nil
	}
	fromDay, fromMidnight := jakartaDay(f.From)
	_, toMidnight := jakartaDay(f.To)
	toDay, _ := jakartaDay(f.To.Add(-time.Nanosecond)) // To is exclusive
	_, matchConstant := historyMatch()
	wholeDays := (f.From.IsZero() || fromMidnight) && (f.To.IsZero() || toMidnight)
	if f.search() || !wholeDays || (f.Match != "" && matchConstant == "") {
		return d.historyTotalsByRow(ctx, merchantID, f)
	}
	// Plain kinds from the daily totals; their reversals from the journal.
	var plain []LedgerKind
	for _, k := range historyPlainKinds {
		if f.Type == "" || historyTypeKinds[f.Type] == k {
			plain = append(plain, k)
		}
	}
	if len(plain) > 0 && f.Status != HistoryPending && f.Status != HistoryFailed {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(plain)), ", ")
		kinds := make([]any, len(plain))
		for i, k := range plain {
			kinds[i] = string(k)
		}
		daily := map[LedgerKind][2]int64{}
		conds, args := []string{"merchant_id = ?", "kind IN (" + marks + ")"}, append([]any{merchantID}, kinds...)
		if !f.From.IsZero() {
			conds, args = append(conds, "day >= ?"), append(args, fromDay)
		}
		if !f.To.IsZero() {
			conds, args = append(conds, "day <= ?"), append(args, toDay)
		}
		if f.Method != "" {
			conds, args = append(conds, "method = ?"), append(args, f.Method)
		}
		if err := sumByKind(ctx, d.sql, `SELECT kind, coalesce(sum(amount_minor), 0), coalesce(sum(fee_minor), 0) FROM ledger_daily`+
			whereClause(conds)+` GROUP BY kind`, args, daily); err != nil {
			return t, fmt.Errorf("db: history totals: %w", err)
		}
		rf := f
		rf.Status = HistoryReversal
		rconds, rargs := rf.conds(merchantID)
		rconds, rargs = append(rconds, "t.kind IN ("+marks+")"), append(rargs, kinds...)
		reversed := map[LedgerKind][2]int64{}
		if err := sumByKind(ctx, d.sql, `SELECT t.kind, coalesce(sum(t.amount_minor), 0), coalesce(sum(t.fee_minor), 0) FROM `+
			rf.from()+whereClause(rconds)+` GROUP BY t.kind`, rargs, reversed); err != nil {
			return t, fmt.Errorf("db: history totals: %w", err)
		}
		for _, k := range plain {
			sign := historySignOf(k)
			dk, rk := daily[k], reversed[k]
			if f.Status != HistoryReversal { // the originals: the day's totals less their reversals
				t.add(sign*(dk[0]-rk[0]), dk[1]-rk[1])
			}
			if f.Status != HistorySuccess { // the reversals, rows of their own
				t.add(sign*rk[0], rk[1])
			}
		}
	}
	// Withdrawals, adjustments and opening balances (and their reversals),
	// row by row: there are few of them.
	var special []string
	for _, k := range []LedgerKind{KindWithdrawalSent, KindDepositWithdrawalSent, KindAdjustment, KindOpeningBalance} {
		if f.Type == "" || historyTypeKinds[f.Type] == k {
			special = append(special, "'"+string(k)+"'")
		}
	}
	if len(special) == 0 {
		return t, nil
	}
	conds, args := f.conds(merchantID)
	conds = append(conds, "t.kind IN ("+strings.Join(special, ", ")+")")
	from := "ledger_transactions t INDEXED BY ledger_history_kind"
	switch f.Status {
	case HistoryPending, HistoryFailed, HistoryReversal:
		from = f.from()
	}
	s, _, err := d.sumRows(ctx, `SELECT `+historySigned(d.dia)+` AS s, t.fee_minor AS fee, `+historyFailedSQL+` AS failed FROM `+from+
		whereClause(conds), args)
	if err != nil {
		return t, fmt.Errorf("db: history totals: %w", err)
	}
	t.InMinor, t.OutMinor, t.FeeMinor = t.InMinor+s.InMinor, t.OutMinor+s.OutMinor, t.FeeMinor+s.FeeMinor
	return t, nil
}

// historyTotalsByRow sums f's rows one by one, up to HistoryTotalsCap.
func (d *DB) historyTotalsByRow(ctx context.Context, merchantID int64, f HistoryFilter) (HistoryTotals, error) {
	ids, args := f.historyIDs(d.dia, merchantID, HistoryTotalsCap+1)
	t, n, err := d.sumRows(ctx, `SELECT `+historySigned(d.dia)+` AS s, t.fee_minor AS fee, `+historyFailedSQL+` AS failed
		FROM ledger_transactions t WHERE t.id IN (`+ids+` LIMIT `+strconv.Itoa(HistoryTotalsCap+1)+`)`, args)
	if err != nil {
		return HistoryTotals{}, fmt.Errorf("db: history totals: %w", err)
	}
	if n > HistoryTotalsCap {
		return HistoryTotals{Capped: true}, nil
	}
	return t, nil
}

// historyFailedSQL: row t is a withdrawal whose money came back.
var historyFailedSQL = `(t.reverses_id IS NULL AND ` + historyWithdrawalKinds + ` AND ` + historyFollowUp("failed") + `)`

// sumRows sums the rows of sel (columns s: signed amount, fee, failed),
// leaving failed withdrawals out, and counts them all. The rows are
// materialised first, so each row's look-ups run once.
func (d *DB) sumRows(ctx context.Context, sel string, args []any) (HistoryTotals, int, error) {
	query := `WITH r AS MATERIALIZED (` + sel + `) SELECT count(*),
		coalesce(sum(CASE WHEN NOT failed AND s > 0 THEN s END), 0), coalesce(sum(CASE WHEN NOT failed AND s < 0 THEN s END), 0),
		coalesce(sum(CASE WHEN NOT failed THEN fee END), 0) FROM r`
	if listQueryHook != nil {
		listQueryHook(query, args)
	}
	var t HistoryTotals
	var n int
	err := d.sql.QueryRowContext(ctx, query, args...).Scan(&n, &t.InMinor, &t.OutMinor, &t.FeeMinor)
	return t, n, err
}

// sumByKind reads (kind, amount, fee) rows into into.
func sumByKind(ctx context.Context, q reader, query string, args []any, into map[LedgerKind][2]int64) error {
	if listQueryHook != nil {
		listQueryHook(query, args)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k LedgerKind
		var amount, fee int64
		if err := rows.Scan(&k, &amount, &fee); err != nil {
			return err
		}
		into[k] = [2]int64{amount, fee}
	}
	return rows.Err()
}
