package db

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Lapak runs on SQLite (one file, one writer: the default) or on PostgreSQL
// (several instances on one server, issue 14). The statements are written
// once, in the SQL both understand, with SQLite's "?" placeholders; what
// differs is kept to the few named spots below and in postgres.go:
//
//   - placeholders: "?" and "?N" become "$n" on PostgreSQL (rebindPostgres),
//     once per statement text, cached with the statements (conns.go);
//   - INDEXED BY: SQLite's index hints (invoices.go explains why the lists
//     name their index) are dropped on PostgreSQL, whose planner has no such
//     hint; db/plan_test.go keeps checking the plans on SQLite;
//   - errors: a duplicate key is ErrConflict on both; on PostgreSQL a
//     serialization failure or a deadlock makes InTx run the transaction
//     again (postgres.go);
//   - the invoice search: an FTS5 trigram table on SQLite, a pg_trgm GIN
//     index searched with ILIKE on PostgreSQL (searchText);
//   - the history (history.go): its search as the invoice search's
//     (pgLedgerSearchText, index ledger_search), and an adjustment's first
//     posting read out of its JSON postings (historySigned);
//   - the session store's expiry (sessions.go), the ledger's consistency
//     checks (ledger_verify.go), Optimize, and the migrations
//     (migrations/ and migrations/postgres/).
type dialect struct {
	name     string // "sqlite" or "postgres"
	postgres bool
	// rebind turns a statement as written into this engine's text; nil =
	// as written.
	rebind func(string) string
}

var (
	sqliteDialect   = &dialect{name: "sqlite"}
	postgresDialect = &dialect{name: "postgres", postgres: true, rebind: rebindPostgres}
)

// Engine names the database engine of d: "sqlite" or "postgres".
func (d *DB) Engine() string { return d.dia.name }

// Rebind returns query, written with "?" placeholders as everywhere in db,
// in the form d's engine takes: for tests and tools that run SQL of their
// own through SQL().
func (d *DB) Rebind(query string) string {
	if d.dia.rebind == nil {
		return query
	}
	return d.dia.rebind(query)
}

// rebindPostgres rewrites a statement written for SQLite into PostgreSQL's
// form: "?" becomes $1, $2… in order, "?N" becomes $N, and "INDEXED BY name"
// is dropped. String literals, quoted identifiers and comments are copied
// as they are.
func rebindPostgres(query string) string {
	b := make([]byte, 0, len(query)+16)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(query) {
				if query[j] == c {
					if j+1 < len(query) && query[j+1] == c { // a doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			b = append(b, query[i:min(j+1, len(query))]...)
			i = j
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b = append(b, query[i:i+j]...)
			i += j - 1
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			b = append(b, '$')
			if j > i+1 {
				b = append(b, query[i+1:j]...)
			} else {
				n++
				b = strconv.AppendInt(b, int64(n), 10)
			}
			i = j - 1
		case (c == 'I' || c == 'i') && hasWordAt(query, i, "INDEXED"):
			// INDEXED BY <name>: the three words go, with the space before.
			j := skipSpace(query, i+len("INDEXED"))
			if !hasWordAt(query, j, "BY") {
				b = append(b, c)
				continue
			}
			j = skipSpace(query, j+2)
			for j < len(query) && isIdentByte(query[j]) {
				j++
			}
			for len(b) > 0 && isSpace(b[len(b)-1]) {
				b = b[:len(b)-1]
			}
			i = j - 1
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// hasWordAt reports whether query has word (any case) at i, as a whole word.
func hasWordAt(query string, i int, word string) bool {
	if i+len(word) > len(query) || !strings.EqualFold(query[i:i+len(word)], word) {
		return false
	}
	if i > 0 && isIdentByte(query[i-1]) {
		return false
	}
	return i+len(word) == len(query) || !isIdentByte(query[i+len(word)])
}

func skipSpace(query string, i int) int {
	for i < len(query) && isSpace(query[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// PostgreSQL error codes Lapak acts on.
const (
	pgUniqueViolation      = "23505"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

// isUniqueViolation reports whether err is the database refusing a
// duplicate key (SQLite's UNIQUE or PRIMARY KEY constraint, PostgreSQL's
// unique_violation).
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := se.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return pgCode(err) == pgUniqueViolation
}

// isRetryable reports whether err ended a PostgreSQL transaction that may
// succeed when run again from the start: a serialization failure (another
// transaction changed what this one read) or a deadlock.
func isRetryable(err error) bool {
	switch pgCode(err) {
	case pgSerializationFailure, pgDeadlockDetected:
		return true
	}
	return false
}

// pgCode is the SQLSTATE of a PostgreSQL error in err's chain, "" if none.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// IsPostgres reports whether target (LAPAK_DATABASE_URL, or what Open is
// given) names a PostgreSQL database: a postgres:// or postgresql:// URL, or
// a key=value connection string ("host=/run/postgresql dbname=lapak").
// Anything else is the path of a SQLite file.
func IsPostgres(target string) bool {
	t := strings.TrimSpace(target)
	if strings.HasPrefix(t, "postgres://") || strings.HasPrefix(t, "postgresql://") {
		return true
	}
	for _, f := range strings.Fields(t) {
		k, _, ok := strings.Cut(f, "=")
		if ok && (k == "host" || k == "dbname" || k == "user" || k == "port") {
			return true
		}
	}
	return false
}
