-- +goose Up
-- The history is the ledger (issue 12 §5): /history lists the journal, one
-- row per money event, read by keyset like every other list — WHERE
-- (occurred_at, id) < (?, ?) ORDER BY occurred_at DESC, id DESC — so each of
-- its filters needs an index that starts with the merchant and the filter's
-- columns and ends with occurred_at, ascending (SQLite walks it backwards;
-- the rowid = id that ends it comes out descending too). The unfiltered list
-- reads its own partial index: every transaction but a withdrawal's
-- outcome (which the history shows as the status of the withdrawal's row),
-- so neither the list nor its capped count reads a row it does not show.
CREATE INDEX ledger_history ON ledger_transactions (merchant_id, occurred_at)
    WHERE kind NOT IN ('withdrawal_succeeded', 'withdrawal_failed', 'deposit_withdrawal_succeeded', 'deposit_withdrawal_failed');

-- The type filter (one ledger kind per history type), the method filter,
-- and both together (without a type, the indexes leave the outcomes out as
-- ledger_history does).
CREATE INDEX ledger_history_kind ON ledger_transactions (merchant_id, kind, occurred_at);
CREATE INDEX ledger_history_method ON ledger_transactions (merchant_id, method, occurred_at)
    WHERE kind NOT IN ('withdrawal_succeeded', 'withdrawal_failed', 'deposit_withdrawal_succeeded', 'deposit_withdrawal_failed');
CREATE INDEX ledger_history_kind_method ON ledger_transactions (merchant_id, kind, method, occurred_at);

-- The status filter: "pending" and "failed" are withdrawals whose outcome
-- is not booked yet or is a failure — the withdrawals alone, however many
-- sales the journal holds; "reversal" is the reversals alone.
CREATE INDEX ledger_history_withdrawals ON ledger_transactions (merchant_id, occurred_at)
    WHERE kind IN ('withdrawal_sent', 'deposit_withdrawal_sent');
CREATE INDEX ledger_history_reversals ON ledger_transactions (merchant_id, occurred_at)
    WHERE reverses_id IS NOT NULL;

-- Search: an amount typed ("25.000") finds the transactions of exactly that
-- amount; text finds any substring of three characters or more of our
-- reference, the provider's id and the memo, through a trigram FTS5 index
-- whose rowid is (merchant_id << 40) | transaction id (as invoices_fts,
-- 00009): one merchant's entries are one rowid range. The journal is
-- append-only, so the index only ever gains rows: it is written by the
-- insert trigger, in the statement that writes the transaction.
CREATE INDEX ledger_history_amount ON ledger_transactions (merchant_id, amount_minor)
    WHERE kind NOT IN ('withdrawal_succeeded', 'withdrawal_failed', 'deposit_withdrawal_succeeded', 'deposit_withdrawal_failed');
CREATE VIRTUAL TABLE ledger_fts USING fts5(reference, external_id, memo, content = '', tokenize = 'trigram');
INSERT INTO ledger_fts (rowid, reference, external_id, memo)
SELECT (merchant_id << 40) | id, reference, external_id, memo FROM ledger_transactions;
-- +goose StatementBegin
CREATE TRIGGER ledger_fts_insert AFTER INSERT ON ledger_transactions BEGIN
    INSERT INTO ledger_fts (rowid, reference, external_id, memo)
    VALUES ((NEW.merchant_id << 40) | NEW.id, NEW.reference, NEW.external_id, NEW.memo);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER ledger_fts_insert;
DROP TABLE ledger_fts;
DROP INDEX ledger_history_amount;
DROP INDEX ledger_history_reversals;
DROP INDEX ledger_history_withdrawals;
DROP INDEX ledger_history_kind_method;
DROP INDEX ledger_history_method;
DROP INDEX ledger_history_kind;
DROP INDEX ledger_history;
