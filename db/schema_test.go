package db_test

import (
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

// tableShape is what must agree between the two engines' schemas: the
// columns in order (name, type class, NOT NULL), the primary key, how many
// CHECK constraints, the unique constraints, the indexes (by name: unique,
// columns, partial or not) and the foreign keys.
type tableShape struct {
	Columns     []string // "name class [not null]"
	PrimaryKey  []string
	Checks      int
	Uniques     []string // column lists of UNIQUE constraints
	Indexes     []string // "name unique? (columns) partial?"
	ForeignKeys []string // "column -> table(column)"
}

// Differences by design between the engines, every one named here:
var (
	// The invoice search is an FTS5 table on SQLite, a pg_trgm index on
	// PostgreSQL (db/dialect.go).
	sqliteOnlyTables  = []string{"invoices_fts", "invoices_fts_config", "invoices_fts_data", "invoices_fts_docsize", "invoices_fts_idx", "invoices_fts_content"}
	postgresOnlyIndex = "invoices_search"
	// sessions.expiry is a Julian day on SQLite (sqlite3store), a
	// timestamptz on PostgreSQL (postgresstore).
	typeExceptions = map[string]bool{"sessions.expiry": true}
)

// TestBothEnginesHaveTheSameSchema migrates a fresh database on each engine
// and compares their tables and views, column by column, with their
// nullability, primary keys, CHECK constraints (counted), unique
// constraints, indexes (unique and partial ones included) and foreign keys.
func TestBothEnginesHaveTheSameSchema(t *testing.T) {
	t.Parallel()
	dbtest.RequirePostgres(t)
	lite := schemaOf(t, dbtest.Open(t, dbtest.SQLite, clocktest.Fixed(t)))
	pg := schemaOf(t, dbtest.Open(t, dbtest.Postgres, clocktest.Fixed(t)))
	for _, name := range sqliteOnlyTables {
		delete(lite, name)
	}
	if len(lite) < 40 {
		t.Fatalf("SQLite schema has %d tables and views; the query found too few", len(lite))
	}
	var names []string
	for name := range lite {
		names = append(names, name)
	}
	for name := range pg {
		if _, ok := lite[name]; !ok {
			t.Errorf("%s: only on PostgreSQL", name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		l, p := lite[name], pg[name]
		if p == nil {
			t.Errorf("%s: only on SQLite", name)
			continue
		}
		for _, f := range []struct {
			what string
			l, p any
		}{
			{"columns", l.Columns, p.Columns},
			{"primary key", l.PrimaryKey, p.PrimaryKey},
			{"checks", l.Checks, p.Checks},
			{"unique constraints", l.Uniques, p.Uniques},
			{"indexes", l.Indexes, p.Indexes},
			{"foreign keys", l.ForeignKeys, p.ForeignKeys},
		} {
			if fmt.Sprint(f.l) != fmt.Sprint(f.p) {
				t.Errorf("%s %s differ:\nsqlite:   %v\npostgres: %v", name, f.what, f.l, f.p)
			}
		}
	}
}

// typeClass maps a declared type to what both engines store: integer, text,
// blob or real.
func typeClass(decl string) string {
	switch d := strings.ToLower(decl); {
	case strings.Contains(d, "int"):
		return "integer"
	case strings.Contains(d, "text"), strings.Contains(d, "char"):
		return "text"
	case d == "blob", d == "bytea":
		return "blob"
	case d == "":
		return "any" // a view's computed column
	default:
		return "real"
	}
}

var checkWord = regexp.MustCompile(`\bCHECK\s*\(`)

func schemaOf(t *testing.T, d *db.DB) map[string]*tableShape {
	t.Helper()
	q := func(query string, args ...any) *sql.Rows {
		t.Helper()
		rows, err := d.SQL().QueryContext(t.Context(), d.Rebind(query), args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return rows
	}
	scanAll := func(rows *sql.Rows, dst ...any) [][]any {
		t.Helper()
		defer rows.Close()
		var out [][]any
		for rows.Next() {
			if err := rows.Scan(dst...); err != nil {
				t.Fatal(err)
			}
			row := make([]any, len(dst))
			for i, p := range dst {
				switch v := p.(type) {
				case *string:
					row[i] = *v
				case *int:
					row[i] = *v
				case *bool:
					row[i] = *v
				}
			}
			out = append(out, row)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := map[string]*tableShape{}
	var name, col, typ, other string
	var n, pk int
	var flag bool
	if d.Engine() == "sqlite" {
		var ddl sql.NullString
		rows := q(`SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type IN ('table', 'view')
			AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`)
		tables := map[string]string{}
		for rows.Next() {
			if err := rows.Scan(&name, &ddl); err != nil {
				t.Fatal(err)
			}
			tables[name] = ddl.String
		}
		rows.Close()
		for table, ddl := range tables {
			s := &tableShape{Checks: len(checkWord.FindAllString(ddl, -1))}
			out[table] = s
			pks := map[int]string{}
			// table_xinfo: generated columns too (hidden 2 or 3), not a
			// virtual table's hidden ones (1).
			for _, r := range scanAll(q(`SELECT name, type, "notnull", pk FROM pragma_table_xinfo(?) WHERE hidden <> 1`, table), &col, &typ, &n, &pk) {
				c := fmt.Sprintf("%s %s", r[0], typeClass(r[1].(string)))
				if typeExceptions[table+"."+r[0].(string)] {
					c = fmt.Sprintf("%s ~", r[0])
				}
				// SQLite lets a primary key column be NULL unless it is
				// declared NOT NULL or is the rowid; PostgreSQL never does.
				if r[2].(int) == 1 || r[3].(int) > 0 {
					c += " not null"
				}
				s.Columns = append(s.Columns, c)
				if r[3].(int) > 0 {
					pks[r[3].(int)] = r[0].(string)
				}
			}
			for i := 1; i <= len(pks); i++ {
				s.PrimaryKey = append(s.PrimaryKey, pks[i])
			}
			for _, r := range scanAll(q(`SELECT name, "unique", origin, partial FROM pragma_index_list(?)`, table), &name, &flag, &other, &pk) {
				var cols []string
				for _, c := range scanAll(q(`SELECT coalesce(name, '?') FROM pragma_index_info(?) ORDER BY seqno`, r[0]), &col) {
					cols = append(cols, c[0].(string))
				}
				switch r[2] {
				case "pk":
				case "u":
					s.Uniques = append(s.Uniques, strings.Join(cols, ","))
				default:
					s.Indexes = append(s.Indexes, indexShape(r[0].(string), r[1].(bool), cols, r[3].(int) == 1))
				}
			}
			for _, r := range scanAll(q(`SELECT "from", "table", coalesce("to", '') FROM pragma_foreign_key_list(?)`, table), &col, &name, &other) {
				to := r[2].(string)
				if to == "" {
					to = "id"
				}
				s.ForeignKeys = append(s.ForeignKeys, fmt.Sprintf("%s -> %s(%s)", r[0], r[1], to))
			}
		}
	} else {
		for _, r := range scanAll(q(`SELECT c.relname, (SELECT count(*) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'c')
			FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
			WHERE s.nspname = 'public' AND c.relkind IN ('r', 'v') AND c.relname <> 'goose_db_version'`), &name, &n) {
			out[r[0].(string)] = &tableShape{Checks: r[1].(int)}
		}
		for table, s := range out {
			for _, r := range scanAll(q(`SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
				FROM pg_attribute a WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, table),
				&col, &typ, &flag) {
				c := fmt.Sprintf("%s %s", r[0], typeClass(r[1].(string)))
				if typeExceptions[table+"."+r[0].(string)] {
					c = fmt.Sprintf("%s ~", r[0])
				}
				if r[2].(bool) {
					c += " not null"
				}
				s.Columns = append(s.Columns, c)
			}
			for _, r := range scanAll(q(`SELECT k.contype::text, (SELECT string_agg(a.attname, ',' ORDER BY u.i)
					FROM unnest(k.conkey) WITH ORDINALITY AS u (attnum, i) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum),
				coalesce((SELECT f.relname || '(' || (SELECT string_agg(a.attname, ',') FROM unnest(k.confkey) AS u (attnum)
					JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum) || ')' FROM pg_class f WHERE f.oid = k.confrelid), '')
				FROM pg_constraint k WHERE k.conrelid = ?::regclass AND k.contype IN ('p', 'u', 'f')`, table), &other, &col, &name) {
				switch r[0] {
				case "p":
					s.PrimaryKey = strings.Split(r[1].(string), ",")
				case "u":
					s.Uniques = append(s.Uniques, r[1].(string))
				case "f":
					s.ForeignKeys = append(s.ForeignKeys, fmt.Sprintf("%s -> %s", r[1], r[2]))
				}
			}
			for _, r := range scanAll(q(`SELECT i.relname, x.indisunique, (x.indpred IS NOT NULL)::int,
					coalesce((SELECT string_agg(coalesce(a.attname, '?'), ',' ORDER BY u.i) FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS u (attnum, i)
						LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = u.attnum), '')
				FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
				WHERE x.indrelid = ?::regclass AND NOT x.indisprimary
				  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)`, table), &name, &flag, &pk, &col) {
				if r[0] == postgresOnlyIndex {
					continue
				}
				s.Indexes = append(s.Indexes, indexShape(r[0].(string), r[1].(bool), strings.Split(r[3].(string), ","), r[2].(int) == 1))
			}
		}
	}
	for _, s := range out {
		slices.Sort(s.Uniques)
		slices.Sort(s.Indexes)
		slices.Sort(s.ForeignKeys)
	}
	return out
}

func indexShape(name string, unique bool, cols []string, partial bool) string {
	s := name + " (" + strings.Join(cols, ",") + ")"
	if unique {
		s += " unique"
	}
	if partial {
		s += " partial"
	}
	return s
}
