package db

import "testing"

func TestRebindPostgres(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT a FROM t WHERE b = ? AND c IN (?, ?)`, `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`},
		// Numbered placeholders keep their number.
		{`SELECT count(*) FROM w WHERE merchant_id = ?1 AND id > (SELECT max(id) FROM w WHERE merchant_id = ?1) AND x = ?2`,
			`SELECT count(*) FROM w WHERE merchant_id = $1 AND id > (SELECT max(id) FROM w WHERE merchant_id = $1) AND x = $2`},
		// Literals, quoted names and comments are left alone.
		{`SELECT '?', 'it''s ?', "we?ird" FROM t -- why?
WHERE x = ?`, `SELECT '?', 'it''s ?', "we?ird" FROM t -- why?
WHERE x = $1`},
		{`SELECT E'\n' || a FROM t WHERE a ILIKE ?`, `SELECT E'\n' || a FROM t WHERE a ILIKE $1`},
		// Index hints go.
		{`SELECT id FROM invoices INDEXED BY invoices_list WHERE merchant_id = ? LIMIT ?`,
			`SELECT id FROM invoices WHERE merchant_id = $1 LIMIT $2`},
		{"SELECT 1 FROM callbacks indexed by\n\tcallbacks_received", "SELECT 1 FROM callbacks"},
		// Words that only contain it stay.
		{`SELECT reindexed_by FROM t`, `SELECT reindexed_by FROM t`},
	} {
		if got := rebindPostgres(c.in); got != c.want {
			t.Errorf("rebind(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestIsPostgres(t *testing.T) {
	for target, want := range map[string]bool{
		"postgres://lapak@db.internal/lapak?sslmode=verify-full": true,
		"postgresql://lapak@/lapak?host=/run/postgresql":         true,
		"host=/run/postgresql dbname=lapak":                      true,
		"dbname=lapak":                                           true,
		"lapak.db":                                               false,
		"/var/lib/lapak/lapak.db":                                false,
		"data/host=x.db":                                         false,
	} {
		if got := IsPostgres(target); got != want {
			t.Errorf("IsPostgres(%q) = %v, want %v", target, got, want)
		}
	}
}
