package db

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Keyset paging (issue 11 §3). Every list is read as "the rows after this
// one" in its own order — (sort key, id) — never as "skip N rows": a page
// costs the same at row 1,000,000 as at row 50, and rows inserted while
// someone pages never shift or repeat rows already shown (a new invoice sorts
// before the first page; the cursor of page 2 still points at the same row).
//
// Links carry an opaque cursor token: the position (sort key, id, direction)
// with a checksum over the list's name. A token that was edited by hand, cut
// short or taken from another list fails the checksum and is ErrBadCursor
// (the handlers answer 400 with a message in the user's words), never a 500 or
// a page from somewhere else. The checksum is not a secret signature, and needs
// not be: a cursor grants nothing — which merchant's rows and which filters
// apply come from the session and the query string, so a forged position only
// moves within rows the user may read anyway.

// ErrBadCursor is returned (wrapped) for a page cursor that is malformed,
// tampered with or belongs to another list.
var ErrBadCursor = errors.New("db: bad page cursor")

// Cursor is a position in a list: the sort key and id of a row, and whether
// the page wanted is the one after that row (Back false, "Berikutnya") or the
// one before it (Back true, "Sebelumnya"). The zero Cursor is the first page.
type Cursor struct {
	Key  string // the row's sort key as stored (a time in timeLayout, an e-mail …); "" for lists ordered by id alone
	ID   int64
	Back bool
}

// IsZero reports whether c is the start of the list.
func (c Cursor) IsZero() bool { return c == Cursor{} }

const (
	cursorVersion = 1
	cursorSumLen  = 8
	// cursorMaxLen bounds what DecodeCursor looks at: a real token is well
	// under 200 characters.
	cursorMaxLen = 512
)

// Encode returns c as an opaque URL-safe token for the list named list.
func (c Cursor) Encode(list string) string {
	flags := byte(0)
	if c.Back {
		flags = 1
	}
	b := make([]byte, 0, 2+binary.MaxVarintLen64+len(c.Key)+cursorSumLen)
	b = append(b, cursorVersion, flags)
	b = binary.AppendUvarint(b, uint64(c.ID))
	b = append(b, c.Key...)
	sum := cursorSum(list, b)
	return base64.RawURLEncoding.EncodeToString(append(b, sum[:cursorSumLen]...))
}

// DecodeCursor reads a token made by Cursor.Encode for the same list. The
// empty token is the first page (the zero Cursor). Anything else that is not
// such a token — bad base64, a wrong checksum, another list's token, a key
// that is not valid text — is ErrBadCursor.
func DecodeCursor(list, token string) (Cursor, error) {
	if token == "" {
		return Cursor{}, nil
	}
	bad := func(why string) (Cursor, error) {
		return Cursor{}, fmt.Errorf("db: cursor for %s: %s: %w", list, why, ErrBadCursor)
	}
	if len(token) > cursorMaxLen {
		return bad("too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return bad("not base64url")
	}
	if len(b) < 3+cursorSumLen {
		return bad("too short")
	}
	payload, sum := b[:len(b)-cursorSumLen], b[len(b)-cursorSumLen:]
	want := cursorSum(list, payload)
	if subtle.ConstantTimeCompare(sum, want[:cursorSumLen]) != 1 {
		return bad("checksum")
	}
	if payload[0] != cursorVersion || payload[1] > 1 {
		return bad("version")
	}
	id, n := binary.Uvarint(payload[2:])
	if n <= 0 || id > math.MaxInt64 {
		return bad("id")
	}
	key := string(payload[2+n:])
	if !utf8.ValidString(key) {
		return bad("key")
	}
	return Cursor{Key: key, ID: int64(id), Back: payload[1] == 1}, nil
}

// cursorSum is the checksum of a token's payload, bound to the list's name so
// one list's token is refused by another.
func cursorSum(list string, payload []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte("lapak cursor\x00"))
	h.Write([]byte(list))
	h.Write([]byte{0})
	h.Write(payload)
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// Page is one page of a list in display order, with the tokens of the pages
// around it ("" when there is none). Pass a token back to the list function
// (query key `cursor`) to get that page.
type Page[T any] struct {
	Rows       []T
	Prev, Next string
}

// Paginate is the paging shared by every list, in db and above it (the
// history merges Netzme's rows with ours). fetch(c, n) returns at most n rows
// in fetch order: after c in display order for a forward cursor (the zero
// Cursor is the start), before c — nearest first, so in reverse display order
// — for a Back cursor. at gives a row's position. check validates a decoded
// cursor's key for this list (nil: any key); a failure is ErrBadCursor.
//
// One row more than limit is fetched to know whether another page follows. A
// Back cursor that reaches the start of the list shows the first page itself,
// full, so "Sebelumnya" always lands on the same first page.
func Paginate[T any](list, token string, limit int, check func(Cursor) error,
	fetch func(c Cursor, n int) ([]T, error), at func(T) Cursor) (Page[T], error) {
	if limit <= 0 {
		return Page[T]{}, fmt.Errorf("db: page of %s: limit %d", list, limit)
	}
	c, err := DecodeCursor(list, token)
	if err != nil {
		return Page[T]{}, err
	}
	if check != nil && !c.IsZero() {
		if err := check(c); err != nil {
			return Page[T]{}, fmt.Errorf("db: cursor for %s: %v: %w", list, err, ErrBadCursor)
		}
	}
	rows, err := fetch(c, limit+1)
	if err != nil {
		return Page[T]{}, err
	}
	var p Page[T]
	if c.Back {
		if len(rows) <= limit {
			// Nothing before these rows: this is the start of the list.
			return Paginate(list, "", limit, check, fetch, at)
		}
		rows = rows[:limit]
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
		p.Rows = rows
		p.Prev = back(at(rows[0])).Encode(list)
		p.Next = forward(at(rows[len(rows)-1])).Encode(list)
		return p, nil
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	p.Rows = rows
	if more {
		p.Next = forward(at(rows[len(rows)-1])).Encode(list)
	}
	if !c.IsZero() {
		if len(rows) > 0 {
			p.Prev = back(at(rows[0])).Encode(list)
		} else {
			// Past the end (the rows after the cursor went away): go back
			// from where the cursor points.
			p.Prev = back(c).Encode(list)
		}
	}
	return p, nil
}

func forward(c Cursor) Cursor { c.Back = false; return c }
func back(c Cursor) Cursor    { c.Back = true; return c }

// keyKind says what a list's sort key is, so a decoded cursor's key can be
// checked before it reaches SQL.
type keyKind int

const (
	keyNone keyKind = iota // ordered by id alone
	keyTime                // a stored time (timeLayout)
	keyText                // free text (e-mail, name)
)

// keyset describes how one list is ordered: by (key, id), newest (or last)
// first when desc. The SQL is built from constants here, never from input.
type keyset struct {
	list string  // name bound into its cursors
	key  string  // SQL column of the sort key; "" with keyNone
	id   string  // SQL column of the id (unique)
	kind keyKind // what key holds
	desc bool    // display order is descending
}

// check validates a decoded cursor's key for k.
func (k keyset) check(c Cursor) error {
	switch k.kind {
	case keyNone:
		if c.Key != "" {
			return errors.New("key on an id-ordered list")
		}
	case keyTime:
		if _, err := parseTime(c.Key); err != nil {
			return errors.New("key is not a time")
		}
	case keyText:
		if len(c.Key) > 320 {
			return errors.New("key too long")
		}
	}
	if c.ID < 0 {
		return errors.New("negative id")
	}
	return nil
}

// seek returns the condition selecting the rows after c in fetch order (none
// for the zero Cursor), its arguments, and the ORDER BY of the fetch.
func (k keyset) seek(c Cursor) (cond string, args []any, order string) {
	// Fetching forward in a descending list walks down; a Back cursor walks
	// up, nearest first.
	down := k.desc != c.Back
	op, dir := ">", "ASC"
	if down {
		op, dir = "<", "DESC"
	}
	if k.kind == keyNone {
		order = k.id + " " + dir
		if !c.IsZero() {
			cond, args = k.id+" "+op+" ?", []any{c.ID}
		}
		return cond, args, order
	}
	order = k.key + " " + dir + ", " + k.id + " " + dir
	if !c.IsZero() {
		// A row value: SQLite seeks the (key, id) index to it.
		cond, args = "("+k.key+", "+k.id+") "+op+" (?, ?)", []any{c.Key, c.ID}
	}
	return cond, args, order
}

// scanner is a row being read.
type scanner interface{ Scan(...any) error }

// queryPage runs a keyset page of one list: sel is "SELECT … FROM …" (joins
// allowed), conds and args its filters; scan reads one row and at gives its
// position.
func queryPage[T any](ctx context.Context, q reader, k keyset, token string, limit int, sel string,
	conds []string, args []any, scan func(scanner) (T, error), at func(T) Cursor) (Page[T], error) {
	p, err := Paginate(k.list, token, limit, k.check, func(c Cursor, n int) ([]T, error) {
		return queryKeyset(ctx, q, k, c, n, sel, conds, args, scan)
	}, at)
	if err != nil && !errors.Is(err, ErrBadCursor) {
		return p, fmt.Errorf("db: %s: %w", k.list, err)
	}
	return p, err
}

// queryKeyset fetches at most n rows after c in fetch order.
func queryKeyset[T any](ctx context.Context, q reader, k keyset, c Cursor, n int, sel string,
	conds []string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	query, all := keysetSQL(k, c, n, sel, conds, args)
	return queryRowsInto(ctx, q, query, all, n, nil, scan)
}

// queryKeysetInto is queryKeyset reading into buf's array when it has room.
func queryKeysetInto[T any](ctx context.Context, q reader, k keyset, c Cursor, n int, buf []T, sel string,
	conds []string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	query, all := keysetSQL(k, c, n, sel, conds, args)
	return queryRowsInto(ctx, q, query, all, n, buf, scan)
}

// keysetSQL is the statement of queryKeyset and its arguments.
func keysetSQL(k keyset, c Cursor, n int, sel string, conds []string, args []any) (string, []any) {
	cond, cargs, order := k.seek(c)
	all := append([]any(nil), args...)
	if cond != "" {
		conds = append(conds[:len(conds):len(conds)], cond)
		all = append(all, cargs...)
	}
	query := sel + whereClause(conds) + " ORDER BY " + order + " LIMIT ?"
	return query, append(all, n)
}

// listQueryHook, when set, sees every list query before it runs: this
// package's tests check the query plans of the real statements with it.
var listQueryHook func(query string, args []any)

// queryRows runs query and scans every row into a new slice.
func queryRows[T any](ctx context.Context, q reader, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	return queryRowsInto(ctx, q, query, args, 0, nil, scan)
}

// queryRowsInto runs query and scans every row into buf's array (nil: a new
// one); it expects at most n (the query's LIMIT: an export's batch is read
// without growing its slice).
func queryRowsInto[T any](ctx context.Context, q reader, query string, args []any, n int, buf []T, scan func(scanner) (T, error)) ([]T, error) {
	if listQueryHook != nil {
		listQueryHook(query, args)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := buf[:0]
	if cap(out) == 0 {
		out = make([]T, 0, min(max(n, 0), exportBatch))
	}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// CountCap is where list counts stop: a count of CountCap means "more than
// CountCap-1" (shown as "1.000+"). Counting further would read every matching
// row on every page view.
const CountCap = 1001

// countCapped counts the rows of "SELECT 1 FROM …" sel (with its WHERE) up to
// CountCap.
func countCapped(ctx context.Context, q reader, sel string, args ...any) (int, error) {
	query := `SELECT count(*) FROM (` + sel + ` LIMIT ` + fmt.Sprint(CountCap) + `) AS capped`
	if listQueryHook != nil {
		listQueryHook(query, args)
	}
	var n int
	err := q.QueryRowContext(ctx, query, args...).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// whereClause joins conditions into a WHERE clause ("" for none).
func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// TimeCursor is the position of the row with id whose time sort key (the
// created_at, received_at or paid_at of a time-ordered list) is t, for
// lists merged above db from several sources (the history).
func TimeCursor(t time.Time, id int64) Cursor { return Cursor{Key: formatTime(t), ID: id} }

// exportBatch is how many rows an export reads per query: memory stays
// constant, and between batches the connection is free for other requests.
// The first batch is smaller, so the first rows leave sooner.
const (
	exportFirstBatch = 100
	exportBatch      = 1000
)

// ReadAhead yields every row of a list read by fetch in keyset batches (the
// contract of Paginate's fetch, forward from the start; the batches grow
// from a hundred rows to a thousand), reading the next batch in a goroutine
// while the caller consumes the current one: exports stream in constant
// memory, and no query holds a connection while the caller writes. When the
// caller stops early, the goroutine is stopped and waited for; the first
// error is yielded and ends the rows.
func ReadAhead[T any](ctx context.Context, at func(T) Cursor, fetch func(ctx context.Context, c Cursor, n int) ([]T, error)) iter.Seq2[T, error] {
	return readAhead(ctx, at, func(ctx context.Context, c Cursor, n int, _ []T) ([]T, error) { return fetch(ctx, c, n) })
}

// readAheadHook, when set, runs in the reader after each batch is handed
// over: the tests hold the reader there while the caller runs ahead.
var readAheadHook func()

// readAhead is ReadAhead with batches recycled: fetch gets an empty slice
// (nil at first) whose array held a batch the caller is done with, and may
// read the next batch into it, so that a million-row export allocates its
// batches once.
func readAhead[T any](ctx context.Context, at func(T) Cursor, fetch func(ctx context.Context, c Cursor, n int, buf []T) ([]T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		type batch struct {
			rows []T
			err  error
		}
		batches := make(chan batch, 1)
		free := make(chan []T, 2) // consumed batches, for the reader to reuse
		go func() {
			defer close(batches)
			var c Cursor
			for n := exportFirstBatch; ; n = exportBatch {
				var buf []T
				select {
				case buf = <-free:
				default:
				}
				rows, err := fetch(ctx, c, n, buf)
				last := err != nil || len(rows) < n
				if !last {
					c = at(rows[len(rows)-1]) // before the caller may have the batch, and clear it
				}
				select {
				case batches <- batch{rows, err}:
				case <-ctx.Done():
					return
				}
				if readAheadHook != nil {
					readAheadHook()
				}
				if last {
					return
				}
			}
		}()
		defer func() {
			cancel()
			for range batches { // wait for the reader to stop
			}
		}()
		for b := range batches {
			if b.err != nil {
				var zero T
				yield(zero, b.err)
				return
			}
			for _, row := range b.rows {
				if !yield(row, nil) {
					return
				}
			}
			clear(b.rows) // drop what the rows point to before the array waits for reuse
			select {
			case free <- b.rows[:0]:
			default:
			}
		}
	}
}

// parseStoredTime is parseTime for the exports' millions of rows: the
// stored layout (timeLayout, "2006-01-02T15:04:05.000000Z") read digit by
// digit, several times faster than time.Parse. Anything of another shape
// goes to parseTime, which says what is wrong.
func parseStoredTime(s string) (time.Time, error) {
	if len(s) != len(timeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
		s[19] != '.' || s[26] != 'Z' {
		return parseTime(s)
	}
	num := func(i, j int) (int, bool) {
		n := 0
		for _, c := range []byte(s[i:j]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	us, ok7 := num(20, 26)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return parseTime(s)
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, us*1000, time.UTC)
	if t.Day() != d { // 31 February and the like
		return parseTime(s)
	}
	return t, nil
}
