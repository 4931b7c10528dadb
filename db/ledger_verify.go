package db

import (
	"context"
	"fmt"
)

// LedgerProblem is one thing `ledger verify` found wrong.
type LedgerProblem struct {
	Check      string // which check (see ledgerChecks)
	MerchantID int64
	Detail     string
}

// LedgerCheck is the result of VerifyLedger: what was checked, what is
// wrong (at most problemsShown per check, ProblemCount in all), and every
// account's balance recomputed from its postings.
type LedgerCheck struct {
	Merchants, Accounts, Transactions, Postings, Reversals int
	Checks                                                 []string // the checks run, in order
	Problems                                               []LedgerProblem
	ProblemCount                                           int
	Balances                                               []AccountBalance // recomputed from postings, by merchant and chart order
}

// OK reports whether the books passed every check.
func (c LedgerCheck) OK() bool { return c.ProblemCount == 0 }

// problemsShown bounds the problems kept per check: a broken database
// could have millions, and the first few say what is wrong.
const problemsShown = 20

// ledgerChecks are the checks of VerifyLedger: each query returns one row
// (merchant_id, detail) per problem.
var ledgerChecks = []struct{ name, query string }{
	// Invariant 1: every transaction's postings sum to zero, are as many as
	// it declares, and are exactly the postings its JSON names, on accounts of
	// its merchant.
	{"balanced", `SELECT t.merchant_id, printf('transaction %d (%s): %d of %d postings, summing to %d sen',
			t.id, t.key, count(p.id), t.posting_count, coalesce(sum(p.amount_minor), 0))
		FROM ledger_transactions t LEFT JOIN ledger_postings p ON p.transaction_id = t.id
		GROUP BY t.id HAVING coalesce(sum(p.amount_minor), 0) <> 0 OR count(p.id) <> t.posting_count`},
	{"postings", `SELECT p.merchant_id, printf('posting %d of transaction %d: %s %d sen, its transaction says %s %s',
			p.id, p.transaction_id, coalesce(a.code, '?'), p.amount_minor,
			coalesce(json_extract(t.postings, '$[' || (p.seq - 1) || '].account'), '?'),
			coalesce(json_extract(t.postings, '$[' || (p.seq - 1) || '].amount'), '?'))
		FROM ledger_postings p
		LEFT JOIN ledger_transactions t ON t.id = p.transaction_id
		LEFT JOIN ledger_accounts a ON a.id = p.account_id
		WHERE t.id IS NULL OR a.id IS NULL OR t.merchant_id <> p.merchant_id OR a.merchant_id <> p.merchant_id
		   OR json_extract(t.postings, '$[' || (p.seq - 1) || '].amount') IS NOT p.amount_minor
		   OR json_extract(t.postings, '$[' || (p.seq - 1) || '].account') IS NOT a.code`},
	// Balances derived from postings: each checkpoint equals the sum of its
	// account's postings, and each posting's balance after equals the running
	// sum in journal order.
	{"checkpoints", `SELECT a.merchant_id, printf('account %s: checkpoint %d sen over %d postings, the postings sum to %d sen over %d',
			a.code, a.balance_minor, a.postings, coalesce(s.total, 0), coalesce(s.n, 0))
		FROM ledger_accounts a LEFT JOIN (SELECT account_id, sum(amount_minor) AS total, count(*) AS n, max(id) AS last
			FROM ledger_postings GROUP BY account_id) s ON s.account_id = a.id
		WHERE a.balance_minor <> coalesce(s.total, 0) OR a.postings <> coalesce(s.n, 0) OR a.last_posting_id <> coalesce(s.last, 0)`},
	{"running balances", `SELECT merchant_id, printf('posting %d on account %d: balance after %d sen, the running sum is %d sen',
			id, account_id, balance_after_minor, run)
		FROM (SELECT id, merchant_id, account_id, balance_after_minor,
			sum(amount_minor) OVER (PARTITION BY account_id ORDER BY id) AS run FROM ledger_postings)
		WHERE run <> balance_after_minor`},
	// Invariant 2: a reversal negates exactly the transaction it names.
	{"reversals", `SELECT r.merchant_id, printf('transaction %d reverses %d but does not negate it', r.id, r.reverses_id)
		FROM ledger_transactions r WHERE r.reverses_id IS NOT NULL AND (
			EXISTS (SELECT account_id, -amount_minor FROM ledger_postings WHERE transaction_id = r.reverses_id
				EXCEPT SELECT account_id, amount_minor FROM ledger_postings WHERE transaction_id = r.id)
			OR EXISTS (SELECT account_id, amount_minor FROM ledger_postings WHERE transaction_id = r.id
				EXCEPT SELECT account_id, -amount_minor FROM ledger_postings WHERE transaction_id = r.reverses_id))`},
	// The daily totals are the journal's, day by day.
	{"daily totals", `WITH j AS (SELECT merchant_id, date(occurred_at, '+7 hours') AS day, kind, method,
				sum(CASE WHEN reverses_id IS NULL THEN 1 ELSE -1 END) AS count, sum(amount_minor) AS amount, sum(fee_minor) AS fee
			FROM ledger_transactions GROUP BY 1, 2, 3, 4)
		SELECT coalesce(j.merchant_id, d.merchant_id), printf('%s %s %s: totals say %s, the journal %s',
			coalesce(j.day, d.day), coalesce(j.kind, d.kind), coalesce(j.method, d.method),
			coalesce(printf('%d × %d sen (fee %d)', d.count, d.amount_minor, d.fee_minor), 'nothing'),
			coalesce(printf('%d × %d sen (fee %d)', j.count, j.amount, j.fee), 'nothing'))
		FROM j FULL OUTER JOIN ledger_daily d
			ON d.merchant_id = j.merchant_id AND d.day = j.day AND d.kind = j.kind AND d.method = j.method
		WHERE j.count IS NOT d.count OR j.amount IS NOT d.amount_minor OR j.fee IS NOT d.fee_minor`},
	// Invariants 3 and 4 seen from the records: every money event on record
	// is in the journal exactly once, with the record's amount, and nothing
	// is in the journal that the records do not say happened.
	{"invoices", `SELECT i.merchant_id, printf('invoice %s (%s, %s): %d journal transaction(s)%s', i.partner_reference_no,
			i.purpose, i.status, count(t.id),
			CASE WHEN count(t.id) = 1 THEN printf(' of %d sen, kind %s; paid %d sen', max(t.amount_minor), max(t.kind),
				coalesce(i.paid_amount_minor, 0)) ELSE '' END)
		FROM invoices i LEFT JOIN ledger_transactions t
			ON t.source_table = 'invoices' AND t.source_id = i.id AND t.reverses_id IS NULL
		GROUP BY i.id
		HAVING count(t.id) <> (i.status = 'paid') OR (count(t.id) = 1 AND (max(t.amount_minor) IS NOT i.paid_amount_minor
			OR max(t.kind) <> CASE i.purpose WHEN 'topup_deposit' THEN 'topup' ELSE 'sale' END))`},
	{"payments", `SELECT p.merchant_id, printf('static-QRIS payment %s (%d sen): %d journal transaction(s)',
			p.dedupe_key, p.amount_minor, count(t.id))
		FROM payments p LEFT JOIN ledger_transactions t
			ON t.source_table = 'payments' AND t.source_id = p.id AND t.reverses_id IS NULL
		GROUP BY p.id HAVING count(t.id) <> 1 OR max(t.amount_minor) <> p.amount_minor OR max(t.fee_minor) <> p.fee_minor`},
	{"cvs bills", `SELECT b.merchant_id, printf('CVS bill %s (%s): %d journal transaction(s)', b.pay_no, b.status, count(t.id))
		FROM cvs_bills b LEFT JOIN ledger_transactions t
			ON t.source_table = 'cvs_bills' AND t.source_id = b.id AND t.reverses_id IS NULL
		GROUP BY b.id HAVING count(t.id) <> (b.status = 'paid')
			OR (count(t.id) = 1 AND max(t.amount_minor) IS NOT b.paid_amount_minor)`},
	{"withdrawals", `SELECT merchant_id, printf('withdrawal %s (%s, %s): %d sent, %d succeeded, %d failed in the journal, %d with another amount or wallet',
			ref, wallet, status, sent, ok, failed, wrong)
		FROM (SELECT w.merchant_id, w.partner_reference_no AS ref, w.wallet, w.status,
				count(CASE WHEN t.kind LIKE '%withdrawal_sent' THEN 1 END) AS sent,
				count(CASE WHEN t.kind LIKE '%withdrawal_succeeded' THEN 1 END) AS ok,
				count(CASE WHEN t.kind LIKE '%withdrawal_failed' THEN 1 END) AS failed,
				count(CASE WHEN t.amount_minor <> w.amount_minor OR (t.kind LIKE 'deposit_%') <> (w.wallet = 'deposit') THEN 1 END) AS wrong
			FROM withdrawals w LEFT JOIN ledger_transactions t
				ON t.source_table = 'withdrawals' AND t.source_id = w.id AND t.reverses_id IS NULL
			GROUP BY w.id)
		WHERE sent <> (status IN ('unknown', 'pending', 'success', 'failed')) OR ok <> (status = 'success')
		   OR failed <> (status = 'failed') OR wrong > 0`},
	{"split fees", `SELECT s.merchant_id, printf('split fee %s (%s, %d sen): %d journal transaction(s)', s.reference_no, s.status,
			s.fee_minor, count(t.id))
		FROM split_fees s LEFT JOIN ledger_transactions t
			ON t.source_table = 'split_fees' AND t.source_id = s.id AND t.reverses_id IS NULL
		GROUP BY s.id HAVING count(t.id) <> (s.status = 'success')
			OR (count(t.id) = 1 AND max(t.amount_minor) <> s.fee_minor)`},
}

// ledgerChecksPostgres are ledgerChecks in PostgreSQL's SQL, check for
// check and row for row (format for printf, IS DISTINCT FROM for IS NOT,
// booleans counted as integers, jakarta_day for date(…, '+7 hours'), jsonb
// for json_extract). Change both lists together.
var ledgerChecksPostgres = []struct{ name, query string }{
	{"balanced", `SELECT t.merchant_id, format('transaction %s (%s): %s of %s postings, summing to %s sen',
			t.id, t.key, count(p.id), t.posting_count, coalesce(sum(p.amount_minor), 0))
		FROM ledger_transactions t LEFT JOIN ledger_postings p ON p.transaction_id = t.id
		GROUP BY t.id HAVING coalesce(sum(p.amount_minor), 0) <> 0 OR count(p.id) <> t.posting_count`},
	{"postings", `SELECT p.merchant_id, format('posting %s of transaction %s: %s %s sen, its transaction says %s %s',
			p.id, p.transaction_id, coalesce(a.code, '?'), p.amount_minor,
			coalesce(t.postings::jsonb -> (p.seq - 1)::int ->> 'account', '?'),
			coalesce(t.postings::jsonb -> (p.seq - 1)::int ->> 'amount', '?'))
		FROM ledger_postings p
		LEFT JOIN ledger_transactions t ON t.id = p.transaction_id
		LEFT JOIN ledger_accounts a ON a.id = p.account_id
		WHERE t.id IS NULL OR a.id IS NULL OR t.merchant_id <> p.merchant_id OR a.merchant_id <> p.merchant_id
		   OR (t.postings::jsonb -> (p.seq - 1)::int ->> 'amount') IS DISTINCT FROM p.amount_minor::text
		   OR (t.postings::jsonb -> (p.seq - 1)::int ->> 'account') IS DISTINCT FROM a.code`},
	{"checkpoints", `SELECT a.merchant_id, format('account %s: checkpoint %s sen over %s postings, the postings sum to %s sen over %s',
			a.code, a.balance_minor, a.postings, coalesce(s.total, 0), coalesce(s.n, 0))
		FROM ledger_accounts a LEFT JOIN (SELECT account_id, sum(amount_minor) AS total, count(*) AS n, max(id) AS last
			FROM ledger_postings GROUP BY account_id) s ON s.account_id = a.id
		WHERE a.balance_minor <> coalesce(s.total, 0) OR a.postings <> coalesce(s.n, 0) OR a.last_posting_id <> coalesce(s.last, 0)`},
	{"running balances", `SELECT merchant_id, format('posting %s on account %s: balance after %s sen, the running sum is %s sen',
			id, account_id, balance_after_minor, run)
		FROM (SELECT id, merchant_id, account_id, balance_after_minor,
			sum(amount_minor) OVER (PARTITION BY account_id ORDER BY id) AS run FROM ledger_postings) AS r
		WHERE run <> balance_after_minor`},
	{"reversals", `SELECT r.merchant_id, format('transaction %s reverses %s but does not negate it', r.id, r.reverses_id)
		FROM ledger_transactions r WHERE r.reverses_id IS NOT NULL AND (
			EXISTS (SELECT account_id, -amount_minor FROM ledger_postings WHERE transaction_id = r.reverses_id
				EXCEPT SELECT account_id, amount_minor FROM ledger_postings WHERE transaction_id = r.id)
			OR EXISTS (SELECT account_id, amount_minor FROM ledger_postings WHERE transaction_id = r.id
				EXCEPT SELECT account_id, -amount_minor FROM ledger_postings WHERE transaction_id = r.reverses_id))`},
	{"daily totals", `WITH j AS (SELECT merchant_id, jakarta_day(occurred_at) AS day, kind, method,
				sum(CASE WHEN reverses_id IS NULL THEN 1 ELSE -1 END) AS count, sum(amount_minor) AS amount, sum(fee_minor) AS fee
			FROM ledger_transactions GROUP BY 1, 2, 3, 4)
		SELECT coalesce(j.merchant_id, d.merchant_id), format('%s %s %s: totals say %s, the journal %s',
			coalesce(j.day, d.day), coalesce(j.kind, d.kind), coalesce(j.method, d.method),
			CASE WHEN d.merchant_id IS NULL THEN 'nothing' ELSE format('%s × %s sen (fee %s)', d.count, d.amount_minor, d.fee_minor) END,
			CASE WHEN j.merchant_id IS NULL THEN 'nothing' ELSE format('%s × %s sen (fee %s)', j.count, j.amount, j.fee) END)
		FROM j FULL OUTER JOIN ledger_daily d
			ON d.merchant_id = j.merchant_id AND d.day = j.day AND d.kind = j.kind AND d.method = j.method
		WHERE j.count IS DISTINCT FROM d.count OR j.amount IS DISTINCT FROM d.amount_minor OR j.fee IS DISTINCT FROM d.fee_minor`},
	{"invoices", `SELECT i.merchant_id, format('invoice %s (%s, %s): %s journal transaction(s)%s', i.partner_reference_no,
			i.purpose, i.status, count(t.id),
			CASE WHEN count(t.id) = 1 THEN format(' of %s sen, kind %s; paid %s sen', max(t.amount_minor), max(t.kind),
				coalesce(i.paid_amount_minor, 0)) ELSE '' END)
		FROM invoices i LEFT JOIN ledger_transactions t
			ON t.source_table = 'invoices' AND t.source_id = i.id AND t.reverses_id IS NULL
		GROUP BY i.id
		HAVING count(t.id) <> (i.status = 'paid')::int OR (count(t.id) = 1 AND (max(t.amount_minor) IS DISTINCT FROM i.paid_amount_minor
			OR max(t.kind) <> CASE i.purpose WHEN 'topup_deposit' THEN 'topup' ELSE 'sale' END))`},
	{"payments", `SELECT p.merchant_id, format('static-QRIS payment %s (%s sen): %s journal transaction(s)',
			p.dedupe_key, p.amount_minor, count(t.id))
		FROM payments p LEFT JOIN ledger_transactions t
			ON t.source_table = 'payments' AND t.source_id = p.id AND t.reverses_id IS NULL
		GROUP BY p.id HAVING count(t.id) <> 1 OR max(t.amount_minor) <> p.amount_minor OR max(t.fee_minor) <> p.fee_minor`},
	{"cvs bills", `SELECT b.merchant_id, format('CVS bill %s (%s): %s journal transaction(s)', b.pay_no, b.status, count(t.id))
		FROM cvs_bills b LEFT JOIN ledger_transactions t
			ON t.source_table = 'cvs_bills' AND t.source_id = b.id AND t.reverses_id IS NULL
		GROUP BY b.id HAVING count(t.id) <> (b.status = 'paid')::int
			OR (count(t.id) = 1 AND max(t.amount_minor) IS DISTINCT FROM b.paid_amount_minor)`},
	{"withdrawals", `SELECT merchant_id, format('withdrawal %s (%s, %s): %s sent, %s succeeded, %s failed in the journal, %s with another amount or wallet',
			ref, wallet, status, sent, ok, failed, wrong)
		FROM (SELECT w.merchant_id, w.partner_reference_no AS ref, w.wallet, w.status,
				count(CASE WHEN t.kind LIKE '%withdrawal_sent' THEN 1 END) AS sent,
				count(CASE WHEN t.kind LIKE '%withdrawal_succeeded' THEN 1 END) AS ok,
				count(CASE WHEN t.kind LIKE '%withdrawal_failed' THEN 1 END) AS failed,
				count(CASE WHEN t.amount_minor <> w.amount_minor OR (t.kind LIKE 'deposit_%') <> (w.wallet = 'deposit') THEN 1 END) AS wrong
			FROM withdrawals w LEFT JOIN ledger_transactions t
				ON t.source_table = 'withdrawals' AND t.source_id = w.id AND t.reverses_id IS NULL
			GROUP BY w.id) AS w
		WHERE sent <> (status IN ('unknown', 'pending', 'success', 'failed'))::int OR ok <> (status = 'success')::int
		   OR failed <> (status = 'failed')::int OR wrong > 0`},
	{"split fees", `SELECT s.merchant_id, format('split fee %s (%s, %s sen): %s journal transaction(s)', s.reference_no, s.status,
			s.fee_minor, count(t.id))
		FROM split_fees s LEFT JOIN ledger_transactions t
			ON t.source_table = 'split_fees' AND t.source_id = s.id AND t.reverses_id IS NULL
		GROUP BY s.id HAVING count(t.id) <> (s.status = 'success')::int
			OR (count(t.id) = 1 AND max(t.amount_minor) <> s.fee_minor)`},
}

// VerifyLedger recomputes the books from the postings and checks every
// invariant: each transaction balances and matches what it declares; each
// account's checkpoint and each running balance equals the sum of the
// postings; each reversal negates what it reverses; the daily totals equal
// the journal's; and every money event on record (paid invoices, static-QRIS
// payments, paid CVS bills, withdrawals, split fees) is in the journal once,
// with its amount, and nothing else is. It reads only; a problem is reported,
// never repaired. The error is a failure to read.
func (d *DB) VerifyLedger(ctx context.Context) (LedgerCheck, error) {
	var c LedgerCheck
	err := d.sql.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM merchants), (SELECT count(*) FROM ledger_accounts),
		(SELECT count(*) FROM ledger_transactions), (SELECT count(*) FROM ledger_postings),
		(SELECT count(*) FROM ledger_transactions WHERE reverses_id IS NOT NULL)`).
		Scan(&c.Merchants, &c.Accounts, &c.Transactions, &c.Postings, &c.Reversals)
	if err != nil {
		return c, fmt.Errorf("db: verify ledger: %w", err)
	}
	checks := ledgerChecks
	if d.dia.postgres {
		checks = ledgerChecksPostgres
	}
	for _, chk := range checks {
		c.Checks = append(c.Checks, chk.name)
		if err := c.run(ctx, d, chk.name, chk.query); err != nil {
			return c, err
		}
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT a.merchant_id, a.code, ch.type, coalesce(sum(p.amount_minor), 0), count(p.id)
		FROM ledger_accounts a JOIN ledger_chart ch ON ch.code = a.code LEFT JOIN ledger_postings p ON p.account_id = a.id
		GROUP BY a.id, ch.type, ch.position ORDER BY a.merchant_id, ch.position`)
	if err != nil {
		return c, fmt.Errorf("db: verify ledger balances: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b AccountBalance
		if err := rows.Scan(&b.MerchantID, &b.Account, &b.Type, &b.BalanceMinor, &b.Postings); err != nil {
			return c, fmt.Errorf("db: verify ledger balances: %w", err)
		}
		c.Balances = append(c.Balances, b)
	}
	return c, rows.Err()
}

func (c *LedgerCheck) run(ctx context.Context, d *DB, name, query string) error {
	rows, err := d.sql.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("db: verify ledger %s: %w", name, err)
	}
	defer rows.Close()
	shown := 0
	for rows.Next() {
		var p LedgerProblem
		if err := rows.Scan(&p.MerchantID, &p.Detail); err != nil {
			return fmt.Errorf("db: verify ledger %s: %w", name, err)
		}
		p.Check = name
		c.ProblemCount++
		if shown < problemsShown {
			c.Problems = append(c.Problems, p)
			shown++
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: verify ledger %s: %w", name, err)
	}
	return nil
}
