package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Moving a shop from SQLite to PostgreSQL (issue 14 §8, `lapak
// migrate-to-postgres`): every table of a SQLite database is copied, rows
// as they are, ids kept, into an empty PostgreSQL database at the same
// schema version, in one PostgreSQL transaction: a copy that fails leaves
// the target as empty as it was.
//
// The rows are copied as stored, not replayed: the target's own triggers
// would write them a second time (a ledger transaction's trigger writes its
// postings, which are copied too; a new merchant's trigger opens its
// accounts) or refuse them (the append-only tables), so every table's
// triggers are switched off for the copy (ALTER TABLE … DISABLE TRIGGER
// USER, inside the transaction: they are on again when it ends, however it
// ends). Foreign keys stay checked. Each identity column's sequence is then
// set past the largest id copied, and every table's row count is compared
// with the source's before the transaction commits. Then ANALYZE gives the
// planner the new tables' statistics.

// CopiedTable is one table CopySQLiteToPostgres copied.
type CopiedTable struct {
	Name string
	Rows int64 // rows in the source, and now in the target
}

// ErrTargetNotEmpty is returned (wrapped) when the PostgreSQL database
// already holds data: the copy only goes into an empty one.
var ErrTargetNotEmpty = errors.New("the PostgreSQL database is not empty")

// migrationRows are the tables whose rows the migrations write (the chart
// of accounts, one-row state tables): an empty database has them, and the
// copy replaces them with the source's. A migration that writes rows into
// another table adds it here (TestCopySQLiteToPostgres fails until then).
var migrationRows = []string{"ledger_backfill", "ledger_chart", "recon_state"}

// copyTable is a table as the target has it.
type copyTable struct {
	name     string
	cols     []copyColumn // the columns written (generated ones are not)
	identity []string     // identity columns, whose sequences are set after
	refs     []string     // tables its foreign keys point at (itself excluded)
}

type copyColumn struct {
	name, typ string // typ: format_type, e.g. "bigint", "text"
}

// CopySQLiteToPostgres copies every table of src (SQLite) into dst
// (PostgreSQL), which must be at the same schema version and hold no data
// (ErrTargetNotEmpty), and returns the tables copied in the order they were
// written (a table after those it refers to). progress, if not nil, is told
// each table once it is written. src is read in one read transaction, so
// the copy is a snapshot even if something still writes to it (stop Lapak
// first all the same: what it writes after the snapshot is not copied).
func CopySQLiteToPostgres(ctx context.Context, src, dst *DB, progress func(CopiedTable)) ([]CopiedTable, error) {
	if src.dia.postgres || !dst.dia.postgres {
		return nil, errors.New("db: copy: the source must be SQLite and the target PostgreSQL")
	}
	sv, err := src.schemaVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: copy: source schema version: %w", err)
	}
	dv, err := dst.schemaVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: copy: target schema version: %w", err)
	}
	if sv != dv {
		return nil, fmt.Errorf("db: copy: the SQLite database is at schema version %d, the PostgreSQL one at %d: "+
			"every SQLite migration needs its PostgreSQL form (migrations/postgres/README.md)", sv, dv)
	}
	tables, err := dst.copyTables(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: copy: target tables: %w", err)
	}
	order, err := copyOrder(tables)
	if err != nil {
		return nil, fmt.Errorf("db: copy: %w", err)
	}

	// One read transaction on the source: every table from one snapshot.
	stx, err := src.sql.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("db: copy: source: %w", err)
	}
	defer stx.Rollback()
	if err := checkSourceTables(ctx, stx, tables); err != nil {
		return nil, fmt.Errorf("db: copy: %w", err)
	}

	conn, err := dst.w.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: copy: target: %w", err)
	}
	defer conn.Close()
	var copied []CopiedTable
	err = conn.Raw(func(driverConn any) error {
		pc := driverConn.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		copied, err = copyAll(ctx, stx, tx, tables, order, progress)
		if err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("db: copy: %w", err)
	}
	// The planner's statistics of the tables just filled, now rather than
	// when autovacuum gets to them: until then every list may pick a plan
	// for empty tables.
	if _, err := conn.ExecContext(ctx, `ANALYZE`); err != nil {
		return nil, fmt.Errorf("db: copy: analyze: %w", err)
	}
	return copied, nil
}

// copyAll writes every table in order inside tx and checks the counts.
func copyAll(ctx context.Context, stx *sql.Tx, tx pgx.Tx, tables map[string]*copyTable, order []string,
	progress func(CopiedTable)) ([]CopiedTable, error) {
	for _, name := range order {
		if slices.Contains(migrationRows, name) {
			continue
		}
		var has bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgIdent(name)+`)`).Scan(&has); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if has {
			return nil, fmt.Errorf("%w: table %s has rows (the copy goes into a database that is new, or only migrated)", ErrTargetNotEmpty, name)
		}
	}
	for _, name := range order {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+pgIdent(name)+` DISABLE TRIGGER USER`); err != nil {
			return nil, fmt.Errorf("%s: disable triggers: %w", name, err)
		}
	}
	for _, name := range slices.Backward(order) {
		if slices.Contains(migrationRows, name) {
			if _, err := tx.Exec(ctx, `DELETE FROM `+pgIdent(name)); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	var copied []CopiedTable
	for _, name := range order {
		t := tables[name]
		var want int64
		if err := stx.QueryRowContext(ctx, `SELECT count(*) FROM `+sqliteIdent(name)).Scan(&want); err != nil {
			return nil, fmt.Errorf("%s: source count: %w", name, err)
		}
		n, err := copyRows(ctx, stx, tx, t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if n != want {
			return nil, fmt.Errorf("%s: %d rows written, the source has %d", name, n, want)
		}
		for _, col := range t.identity {
			if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(`+pgIdent(col)+`), 0) + 1, false) FROM `+
				pgIdent(name), pgIdent(name), col); err != nil {
				return nil, fmt.Errorf("%s: sequence of %s: %w", name, col, err)
			}
		}
		c := CopiedTable{Name: name, Rows: n}
		copied = append(copied, c)
		if progress != nil {
			progress(c)
		}
	}
	for _, name := range order {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+pgIdent(name)+` ENABLE TRIGGER USER`); err != nil {
			return nil, fmt.Errorf("%s: enable triggers: %w", name, err)
		}
	}
	// Every table again, counted in the target as it will commit.
	for _, c := range copied {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+pgIdent(c.Name)).Scan(&n); err != nil {
			return nil, fmt.Errorf("%s: count: %w", c.Name, err)
		}
		if n != c.Rows {
			return nil, fmt.Errorf("%s: %d rows in the target, the source has %d", c.Name, n, c.Rows)
		}
	}
	return copied, nil
}

// copyRows streams table t's rows from the source into the target (COPY)
// and returns how many were written.
func copyRows(ctx context.Context, stx *sql.Tx, tx pgx.Tx, t *copyTable) (int64, error) {
	names := make([]string, len(t.cols))
	quoted := make([]string, len(t.cols))
	conv := make([]func(any) (any, error), len(t.cols))
	for i, c := range t.cols {
		names[i], quoted[i], conv[i] = c.name, sqliteIdent(c.name), copyConverter(c.typ)
	}
	rows, err := stx.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM `+sqliteIdent(t.name))
	if err != nil {
		return 0, fmt.Errorf("source: %w", err)
	}
	defer rows.Close()
	s := &copySource{rows: rows, conv: conv, vals: make([]any, len(t.cols)), ptrs: make([]any, len(t.cols)), cols: names}
	for i := range s.vals {
		s.ptrs[i] = &s.vals[i]
	}
	return tx.CopyFrom(ctx, pgx.Identifier{t.name}, names, s)
}

// copySource is pgx's CopyFromSource over the source's rows.
type copySource struct {
	rows *sql.Rows
	conv []func(any) (any, error)
	cols []string
	vals []any
	ptrs []any
	out  []any
	err  error
}

func (s *copySource) Next() bool {
	if s.err != nil || !s.rows.Next() {
		return false
	}
	if err := s.rows.Scan(s.ptrs...); err != nil {
		s.err = err
		return false
	}
	s.out = make([]any, len(s.vals))
	for i, v := range s.vals {
		o, err := s.conv[i](v)
		if err != nil {
			s.err = fmt.Errorf("column %s: %w", s.cols[i], err)
			return false
		}
		s.out[i] = o
	}
	return true
}

func (s *copySource) Values() ([]any, error) { return s.out, s.err }

func (s *copySource) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.rows.Err()
}

// copyConverter turns a value SQLite stored into the Go value the target
// column type takes. The schemas agree (TestBothEnginesHaveTheSameSchema)
// up to the documented differences: sessions.expiry, a Julian day on
// SQLite, is a timestamptz on PostgreSQL.
func copyConverter(typ string) func(any) (any, error) {
	switch typ {
	case "bigint", "integer", "smallint":
		return func(v any) (any, error) {
			switch x := v.(type) {
			case nil, int64:
				return x, nil
			case float64:
				if x == math.Trunc(x) {
					return int64(x), nil
				}
			case string:
				return strconv.ParseInt(x, 10, 64)
			}
			return nil, fmt.Errorf("%T %v is not an integer", v, v)
		}
	case "text":
		return func(v any) (any, error) {
			switch x := v.(type) {
			case nil, string:
				return x, nil
			case []byte:
				return string(x), nil
			case int64:
				return strconv.FormatInt(x, 10), nil
			case float64:
				return strconv.FormatFloat(x, 'g', -1, 64), nil
			}
			return nil, fmt.Errorf("%T is not text", v)
		}
	case "bytea":
		return func(v any) (any, error) {
			switch x := v.(type) {
			case nil, []byte:
				return x, nil
			case string:
				return []byte(x), nil
			}
			return nil, fmt.Errorf("%T is not a blob", v)
		}
	case "double precision", "real":
		return func(v any) (any, error) {
			switch x := v.(type) {
			case nil, float64:
				return x, nil
			case int64:
				return float64(x), nil
			}
			return nil, fmt.Errorf("%T is not a number", v)
		}
	case "boolean":
		return func(v any) (any, error) {
			switch x := v.(type) {
			case nil, bool:
				return x, nil
			case int64:
				return x != 0, nil
			}
			return nil, fmt.Errorf("%T is not a boolean", v)
		}
	case "timestamp with time zone":
		return func(v any) (any, error) {
			switch x := v.(type) {
			case nil, time.Time:
				return x, nil
			case float64: // a Julian day (sqlite3store's expiry)
				return julianTime(x), nil
			case int64:
				return julianTime(float64(x)), nil
			case string:
				return time.Parse(time.RFC3339Nano, x)
			}
			return nil, fmt.Errorf("%T is not a time", v)
		}
	}
	return func(v any) (any, error) { return v, nil }
}

// julianTime is the instant of Julian day jd (UTC).
func julianTime(jd float64) time.Time {
	return time.UnixMilli(int64(math.Round((jd - 2440587.5) * 86400 * 1000))).UTC()
}

// schemaVersion is the last migration applied to d.
func (d *DB) schemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := d.w.db.QueryRowContext(ctx, `SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&v)
	return v, err
}

// copyTables lists the target's tables (goose's own excepted) with the
// columns a copy writes and the tables each refers to.
func (d *DB) copyTables(ctx context.Context) (map[string]*copyTable, error) {
	rows, err := d.w.db.QueryContext(ctx, `SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated <> '', a.attidentity <> ''
		FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE s.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> 'goose_db_version'
		ORDER BY c.relname, a.attnum`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tables := map[string]*copyTable{}
	for rows.Next() {
		var table, col, typ string
		var generated, identity bool
		if err := rows.Scan(&table, &col, &typ, &generated, &identity); err != nil {
			return nil, err
		}
		t := tables[table]
		if t == nil {
			t = &copyTable{name: table}
			tables[table] = t
		}
		if generated {
			continue
		}
		t.cols = append(t.cols, copyColumn{name: col, typ: typ})
		if identity {
			t.identity = append(t.identity, col)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	refs, err := d.w.db.QueryContext(ctx, `SELECT DISTINCT c.relname, f.relname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class f ON f.oid = k.confrelid
		JOIN pg_namespace s ON s.oid = c.relnamespace
		WHERE k.contype = 'f' AND s.nspname = current_schema() AND c.oid <> f.oid`)
	if err != nil {
		return nil, err
	}
	defer refs.Close()
	for refs.Next() {
		var from, to string
		if err := refs.Scan(&from, &to); err != nil {
			return nil, err
		}
		if t := tables[from]; t != nil {
			t.refs = append(t.refs, to)
		}
	}
	return tables, refs.Err()
}

// copyOrder orders the tables so that each comes after those it refers to
// (by name among those ready at once, for a stable order).
func copyOrder(tables map[string]*copyTable) ([]string, error) {
	var order []string
	done := map[string]bool{}
	for len(order) < len(tables) {
		var ready []string
		for name, t := range tables {
			if done[name] {
				continue
			}
			if !slices.ContainsFunc(t.refs, func(r string) bool { return !done[r] }) {
				ready = append(ready, name)
			}
		}
		if len(ready) == 0 {
			var left []string
			for name := range tables {
				if !done[name] {
					left = append(left, name)
				}
			}
			slices.Sort(left)
			return nil, fmt.Errorf("the foreign keys of %s form a cycle: no order writes them", strings.Join(left, ", "))
		}
		slices.Sort(ready)
		for _, name := range ready {
			done[name] = true
		}
		order = append(order, ready...)
	}
	return order, nil
}

// checkSourceTables checks that the source has the same tables as the
// target (its full-text search tables apart: PostgreSQL's search is an
// index) and every column the copy reads.
func checkSourceTables(ctx context.Context, stx *sql.Tx, tables map[string]*copyTable) error {
	rows, err := stx.QueryContext(ctx, `SELECT name, coalesce(sql, '') FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> 'goose_db_version'`)
	if err != nil {
		return fmt.Errorf("source tables: %w", err)
	}
	src := map[string]bool{}
	var virtual []string
	for rows.Next() {
		var name, ddl string
		if err := rows.Scan(&name, &ddl); err != nil {
			rows.Close()
			return err
		}
		src[name] = true
		if strings.HasPrefix(strings.ToUpper(ddl), "CREATE VIRTUAL TABLE") {
			virtual = append(virtual, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for name := range src {
		if tables[name] != nil {
			continue
		}
		// A virtual table and its shadow tables (name_…) are SQLite's.
		if slices.ContainsFunc(virtual, func(v string) bool { return name == v || strings.HasPrefix(name, v+"_") }) {
			continue
		}
		return fmt.Errorf("table %s of the SQLite database has no PostgreSQL table", name)
	}
	for name, t := range tables {
		if !src[name] {
			return fmt.Errorf("table %s of the PostgreSQL database is not in the SQLite one", name)
		}
		cols := map[string]bool{}
		crows, err := stx.QueryContext(ctx, `SELECT name FROM pragma_table_xinfo(?)`, name)
		if err != nil {
			return err
		}
		for crows.Next() {
			var c string
			if err := crows.Scan(&c); err != nil {
				crows.Close()
				return err
			}
			cols[c] = true
		}
		crows.Close()
		if err := crows.Err(); err != nil {
			return err
		}
		for _, c := range t.cols {
			if !cols[c.name] {
				return fmt.Errorf("column %s.%s of the PostgreSQL database is not in the SQLite one", name, c.name)
			}
		}
	}
	return nil
}

// pgIdent quotes a PostgreSQL identifier; sqliteIdent a SQLite one.
func pgIdent(s string) string     { return pgx.Identifier{s}.Sanitize() }
func sqliteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
