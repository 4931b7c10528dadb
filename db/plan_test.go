package db

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lapak/internal/clocktest"
)

// planCase is one list read: call runs it (with a cursor token made for its
// list), want is the index its statements must use, scan allows a plain
// rowid walk (an id-ordered list without a filter), sort allows a temporary
// B-tree (a list bounded by nature: one merchant's staff).
type planCase struct {
	name       string
	list       string // cursor list name
	key        string // a sort key for the cursor ("" for id-ordered lists)
	want       string // index name (or "PRIMARY KEY", "VIRTUAL TABLE") in every plan
	scan, sort bool
	call       func(ctx context.Context, d *DB, token string) error
}

// TestListQueryPlans runs every list the way its page does — first page,
// the page after a cursor and the page before one, and its count — and
// checks with EXPLAIN QUERY PLAN that each statement seeks its index and
// needs no temporary B-tree for ORDER BY: the cost of a page does not grow
// with the table. Checked on a fresh database and again after the planner's
// statistics are gathered (PRAGMA optimize), which can change its choices.
func TestListQueryPlans(t *testing.T) {
	ctx := t.Context()
	now := clocktest.Base(t)
	d, err := Open(ctx, filepath.Join(t.TempDir(), "plans.db"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var mids []int64
	for _, name := range []string{"Warung A", "Warung B", "Warung C"} {
		m, err := d.CreateMerchant(ctx, NewMerchant{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		mids = append(mids, m.ID)
	}
	mid := mids[0]
	day := func(n int) time.Time { return now.AddDate(0, 0, n) }
	inv := func(f InvoiceFilter) func(context.Context, *DB, string) error {
		return func(ctx context.Context, d *DB, tok string) error {
			if _, err := d.Invoices(ctx, mid, f, tok, 25); err != nil {
				return err
			}
			_, err := d.CountInvoices(ctx, mid, f)
			return err
		}
	}
	hist := func(f HistoryFilter) func(context.Context, *DB, string) error {
		return func(ctx context.Context, d *DB, tok string) error {
			if _, err := d.History(ctx, mid, f, tok, 50); err != nil {
				return err
			}
			_, err := d.CountHistory(ctx, mid, f)
			return err
		}
	}
	cb := func(f CallbackFilter) func(context.Context, *DB, string) error {
		return func(ctx context.Context, d *DB, tok string) error {
			if _, err := d.Callbacks(ctx, f, tok, 50); err != nil {
				return err
			}
			_, err := d.CountCallbacks(ctx, f)
			return err
		}
	}
	tkey := formatTime(day(-3))
	cases := []planCase{
		{name: "invoices", list: "invoices", key: tkey, want: "invoices_list", call: inv(InvoiceFilter{})},
		{name: "invoices by status", list: "invoices", key: tkey, want: "invoices_list_status", call: inv(InvoiceFilter{Status: InvoicePaid})},
		{name: "invoices by method", list: "invoices", key: tkey, want: "invoices_list_method", call: inv(InvoiceFilter{Method: "OVO"})},
		{name: "invoices by status and method", list: "invoices", key: tkey, want: "invoices_list_status_method",
			call: inv(InvoiceFilter{Status: InvoicePending, Method: "QRIS"})},
		{name: "invoices of some days", list: "invoices", key: tkey, want: "invoices_list", call: inv(InvoiceFilter{From: day(-10), To: day(-1)})},
		{name: "invoice search by text", list: "invoices.search", want: "VIRTUAL TABLE", call: inv(InvoiceFilter{Query: "kopi susu"})},
		{name: "invoice search by amount", list: "invoices.search", want: "invoices_list_amount", call: inv(InvoiceFilter{AmountMinor: 2_500_000})},
		{name: "history invoices", list: "", want: "invoices_list", call: func(ctx context.Context, d *DB, _ string) error {
			for _, c := range []Cursor{{}, {Key: tkey, ID: 50}, {Key: tkey, ID: 50, Back: true}} {
				if _, err := d.InvoicesAfter(ctx, mid, InvoiceFilter{From: day(-30), To: day(1)}, c, 51); err != nil {
					return err
				}
			}
			return nil
		}},
		{name: "history payments", list: "", want: "payments_list", call: func(ctx context.Context, d *DB, _ string) error {
			for _, c := range []Cursor{{}, {Key: tkey, ID: 50}, {Key: tkey, ID: 50, Back: true}} {
				if _, err := d.PaymentsAfter(ctx, mid, PaymentFilter{From: day(-30), To: day(1)}, c, 51); err != nil {
					return err
				}
			}
			_, err := d.CountPayments(ctx, mid, PaymentFilter{From: day(-30), To: day(1)})
			return err
		}},
		{name: "history", list: "history", key: tkey, want: "ledger_history", call: hist(HistoryFilter{})},
		{name: "history of some days", list: "history", key: tkey, want: "ledger_history",
			call: hist(HistoryFilter{From: day(-10), To: day(-1)})},
		{name: "history by type", list: "history", key: tkey, want: "ledger_history_kind", call: hist(HistoryFilter{Type: HistoryWithdrawal})},
		{name: "history by method", list: "history", key: tkey, want: "ledger_history_method", call: hist(HistoryFilter{Method: "CVS"})},
		{name: "history by type and method", list: "history", key: tkey, want: "ledger_history_kind_method",
			call: hist(HistoryFilter{Type: HistorySale, Method: "QRIS_STATIC", From: day(-10)})},
		{name: "history pending", list: "history", key: tkey, want: "ledger_history_withdrawals", call: hist(HistoryFilter{Status: HistoryPending})},
		{name: "history failed deposit withdrawals", list: "history", key: tkey, want: "ledger_history_withdrawals",
			call: hist(HistoryFilter{Status: HistoryFailed, Type: HistoryDepositWithdrawal})},
		{name: "history reversals", list: "history", key: tkey, want: "ledger_history_reversals", call: hist(HistoryFilter{Status: HistoryReversal})},
		{name: "history successful sales", list: "history", key: tkey, want: "ledger_history_kind",
			call: hist(HistoryFilter{Status: HistorySuccess, Type: HistorySale})},
		{name: "history unmatched", list: "history", key: tkey, want: "ledger_history",
			call: hist(HistoryFilter{Match: MatchUnmatched})},
		{name: "history search by text", list: "history.search", want: "VIRTUAL TABLE", call: hist(HistoryFilter{Query: "gula aren"})},
		{name: "history search by amount", list: "history.search", want: "ledger_history_amount", call: hist(HistoryFilter{AmountMinor: 2_500_000})},
		{name: "notifications (administrators)", list: "callbacks", key: tkey, want: "callbacks_received", call: cb(CallbackFilter{})},
		{name: "notifications of a merchant", list: "callbacks", key: tkey, want: "callbacks_list_merchant", call: cb(CallbackFilter{MerchantID: mid})},
		{name: "notifications by status", list: "callbacks", key: tkey, want: "callbacks_list_status", call: cb(CallbackFilter{Status: CallbackNeedsReview})},
		{name: "notifications of a merchant by status", list: "callbacks", key: tkey, want: "callbacks_list_merchant_status",
			call: cb(CallbackFilter{MerchantID: mid, Status: CallbackNeedsReview})},
		{name: "notifications by kind", list: "callbacks", key: tkey, want: "callbacks_list_kind", call: cb(CallbackFilter{Kind: CallbackWithdraw})},
		{name: "notifications of a merchant by kind", list: "callbacks", key: tkey, want: "callbacks_list_merchant_kind",
			call: cb(CallbackFilter{MerchantID: mid, Kind: CallbackWithdraw})},
		{name: "notifications of a merchant by date", list: "callbacks", key: tkey, want: "callbacks_list_merchant",
			call: cb(CallbackFilter{MerchantID: mid, From: day(-5), To: day(-2)})},
		{name: "audit of a merchant", list: "audit", want: "audit_log_list_merchant", call: func(ctx context.Context, d *DB, tok string) error {
			_, err := d.AuditPage(ctx, mid, tok, 50)
			return err
		}},
		{name: "audit (administrators)", list: "audit", want: "audit_log", scan: true, call: func(ctx context.Context, d *DB, tok string) error {
			_, err := d.AuditPage(ctx, 0, tok, 50)
			return err
		}},
		{name: "provider calls of a merchant", list: "", want: "api_calls_list_merchant", call: func(ctx context.Context, d *DB, _ string) error {
			_, err := d.APICalls(ctx, mid, 50)
			return err
		}},
		{name: "withdrawals", list: "withdrawals", want: "withdrawals_merchant", call: func(ctx context.Context, d *DB, tok string) error {
			_, err := d.WithdrawalsPage(ctx, mid, "", tok, 50)
			return err
		}},
		{name: "withdrawals of a wallet", list: "withdrawals", want: "withdrawals_list_wallet", call: func(ctx context.Context, d *DB, tok string) error {
			_, err := d.WithdrawalsPage(ctx, mid, WalletSales, tok, 50)
			return err
		}},
		{name: "CVS bills", list: "cvs_bills", key: tkey, want: "cvs_bills_list", call: func(ctx context.Context, d *DB, tok string) error {
			_, err := d.CVSBills(ctx, mid, tok, 50)
			return err
		}},
		{name: "users", list: "users", key: "m@contoh.id", want: "sqlite_autoindex_users_1", call: func(ctx context.Context, d *DB, tok string) error {
			_, err := d.UsersPage(ctx, tok, 50)
			return err
		}},
		{name: "merchants", list: "merchants", key: "Warung B", want: "merchants_list_name", call: func(ctx context.Context, d *DB, tok string) error {
			_, err := d.MerchantsPage(ctx, tok, 50)
			return err
		}},
		{name: "members", list: "members", key: "m@contoh.id", want: "memberships_merchant", sort: true, call: func(ctx context.Context, d *DB, tok string) error {
			_, err := d.MembersPage(ctx, mid, tok, 50)
			return err
		}},
	}
	check := func(t *testing.T, stage string) {
		for _, tc := range cases {
			t.Run(stage+"/"+tc.name, func(t *testing.T) {
				var queries []string
				var args [][]any
				listQueryHook = func(q string, a []any) { queries, args = append(queries, q), append(args, a) }
				defer func() { listQueryHook = nil }()
				tokens := []string{""}
				if tc.list != "" {
					tokens = append(tokens, Cursor{Key: tc.key, ID: 50}.Encode(tc.list), Cursor{Key: tc.key, ID: 50, Back: true}.Encode(tc.list))
				}
				for _, tok := range tokens {
					if err := tc.call(ctx, d, tok); err != nil {
						t.Fatal(err)
					}
				}
				listQueryHook = nil
				if len(queries) == 0 {
					t.Fatal("no statement seen")
				}
				for i, q := range queries {
					plan := explain(t, d, q, args[i])
					// A capped count may read any index that has its
					// filter columns first: only the seek matters.
					count := strings.HasPrefix(q, "SELECT count(*)")
					if !count && !usesIndex(plan, tc.want) {
						t.Errorf("plan does not use %q:\n%s\n%s", tc.want, q, plan)
					}
					if strings.Contains(plan, "TEMP B-TREE") && !tc.sort {
						t.Errorf("plan sorts in a temporary B-tree:\n%s\n%s", q, plan)
					}
					// A subquery (the capped counts') is a co-routine, named
					// after its alias: scanning it reads what it yields.
					subqueries := map[string]bool{}
					for _, line := range strings.Split(plan, "\n") {
						if name, ok := strings.CutPrefix(line, "CO-ROUTINE "); ok {
							subqueries["SCAN "+name] = true
						}
					}
					for _, line := range strings.Split(plan, "\n") {
						if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, " USING ") &&
							!strings.Contains(line, "VIRTUAL TABLE") && !strings.Contains(line, "(subquery") && !subqueries[line] && !tc.scan {
							t.Errorf("plan scans a whole table:\n%s\n%s", q, plan)
						}
					}
				}
			})
		}
	}
	check(t, "fresh")
	seedInvoices(t, d, mids[0], 4000, now, time.Minute, "A")
	seedInvoices(t, d, mids[1], 500, now, time.Minute, "B")
	seedLogs(t, d, mids, 300, now)
	seedLedger(t, d, mids[0], 3000, now, 7*time.Minute, "A")
	seedLedger(t, d, mids[1], 300, now, time.Hour, "B")
	if err := d.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	var stats int
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_stat1`).Scan(&stats); err != nil || stats == 0 {
		t.Fatalf("optimize gathered %d statistics rows, %v", stats, err)
	}
	check(t, "analyzed")
}

// explain returns the query plan of q, one step per line.
func explain(t *testing.T, d *DB, q string, args []any) string {
	t.Helper()
	rows, err := d.sql.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}

// usesIndex reports whether plan names the index (or table, or "VIRTUAL
// TABLE") name as a whole word.
func usesIndex(plan, name string) bool {
	for _, line := range strings.Split(plan, "\n") {
		for _, w := range strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '(' }) {
			if w == name {
				return true
			}
		}
		if strings.Contains(name, " ") && strings.Contains(line, name) {
			return true
		}
	}
	return false
}

// TestHistoryTotalsPlans: the history's totals read the daily totals and,
// for withdrawals, adjustments and reversals, the journal through an index —
// never a walk of the whole journal — for every kind of filter.
func TestHistoryTotalsPlans(t *testing.T) {
	ctx := t.Context()
	now := clocktest.Base(t)
	d, err := Open(ctx, filepath.Join(t.TempDir(), "totals.db"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	m, err := d.CreateMerchant(ctx, NewMerchant{Name: "Warung A"})
	if err != nil {
		t.Fatal(err)
	}
	seedLedger(t, d, m.ID, 2000, now, 11*time.Minute, "A")
	if err := d.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	midnight := func(n int) time.Time {
		j := now.In(wib)
		return time.Date(j.Year(), j.Month(), j.Day(), 0, 0, 0, 0, wib).AddDate(0, 0, n)
	}
	for _, f := range []HistoryFilter{
		{}, {From: midnight(-7), To: midnight(1)}, {Type: HistorySale, Method: "QRIS"}, {Type: HistoryWithdrawal},
		{Status: HistoryFailed}, {Status: HistoryReversal}, {Status: HistorySuccess, From: midnight(-3)}, {Method: "CVS"},
		{Query: "gula aren"}, {AmountMinor: 2_500_000}, {From: midnight(-1).Add(time.Hour)},
	} {
		var queries []string
		var args [][]any
		listQueryHook = func(q string, a []any) { queries, args = append(queries, q), append(args, a) }
		if _, err := d.HistoryTotals(ctx, m.ID, f); err != nil {
			listQueryHook = nil
			t.Fatal(err)
		}
		listQueryHook = nil
		if len(queries) == 0 {
			t.Fatalf("%+v: no statement seen", f)
		}
		for i, q := range queries {
			plan := explain(t, d, q, args[i])
			// A subquery (a search's parts) is a co-routine named after
			// its alias: scanning it reads what it yields.
			subqueries := map[string]bool{}
			for _, line := range strings.Split(plan, "\n") {
				if name, ok := strings.CutPrefix(line, "CO-ROUTINE "); ok {
					subqueries["SCAN "+name] = true
				}
			}
			for _, line := range strings.Split(plan, "\n") {
				// "SCAN r": the materialised rows of the sum, read once.
				if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "VIRTUAL TABLE") && !strings.Contains(line, "(subquery") &&
					!subqueries[line] && line != "SCAN r" {
					t.Errorf("%+v: plan scans a whole table:\n%s\n%s", f, q, plan)
				}
			}
		}
	}
}
