package db

import (
	"strings"
	"testing"
)

// The statements a callback's apply runs in the writer's transaction seek
// their indexes: none walks a table or sorts, so a callback costs the same
// with a million invoices and callbacks on record as with ten.
func TestCallbackStatementPlans(t *testing.T) {
	d := openInternal(t)
	for _, c := range []struct {
		name string
		q    string
		args []any
		want []string // indexes every one of which the plan must name
	}{
		{"lookup", callbackLookupSQL, []any{"invoice:trx:00", "M_TOKO0001", 0},
			[]string{"callbacks_dedupe_taken", "merchants_netzme_cust_id"}},
		{"invoices of a callback", callbackInvoicesSQL, []any{"trx", "LPK-1"},
			[]string{"invoices_netzme_trx_id", "sqlite_autoindex_invoices_1", "INTEGER PRIMARY KEY"}},
		{"pay the matched invoice", `UPDATE invoices SET status = 'paid' WHERE ` + matchedInvoiceWhere + ` AND status IN ('pending')`,
			[]any{"trx", "LPK-1", 1, 100, 100, "2026-01-01T00:00:00.000000Z"},
			[]string{"invoices_netzme_trx_id", "INTEGER PRIMARY KEY"}},
	} {
		plan := explain(t, d, c.q, c.args)
		for _, w := range c.want {
			if !usesIndex(plan, w) {
				t.Errorf("%s: plan does not use %s:\n%s", c.name, w, plan)
			}
		}
		for _, line := range strings.Split(plan, "\n") {
			if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "CONSTANT ROW") || strings.Contains(line, "TEMP B-TREE") {
				t.Errorf("%s: plan walks or sorts:\n%s", c.name, plan)
			}
		}
	}
}
