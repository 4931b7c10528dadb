-- +goose Up
-- PostgreSQL form of ../00015_history.sql (see README.md): the history's
-- indexes, the same columns and the same partial conditions (the SQLite file
-- explains each; PostgreSQL walks a B-tree either way). The search is a
-- pg_trgm GIN index over our reference, the provider's id and the memo
-- (the SQLite file's FTS5 trigram table ledger_fts and its insert trigger,
-- as invoices_search in 00009 stands for invoices_fts): db's
-- ledgerSearchText is the same expression, searched with ILIKE, which the
-- index serves for any substring of three characters or more,
-- case-insensitively. The columns are joined with a line feed, which no
-- search box sends, so a search never matches across two of them. The
-- index is kept by PostgreSQL itself: no trigger.
CREATE INDEX ledger_history ON ledger_transactions (merchant_id, occurred_at)
    WHERE kind NOT IN ('withdrawal_succeeded', 'withdrawal_failed', 'deposit_withdrawal_succeeded', 'deposit_withdrawal_failed');
CREATE INDEX ledger_history_kind ON ledger_transactions (merchant_id, kind, occurred_at);
CREATE INDEX ledger_history_method ON ledger_transactions (merchant_id, method, occurred_at)
    WHERE kind NOT IN ('withdrawal_succeeded', 'withdrawal_failed', 'deposit_withdrawal_succeeded', 'deposit_withdrawal_failed');
CREATE INDEX ledger_history_kind_method ON ledger_transactions (merchant_id, kind, method, occurred_at);
CREATE INDEX ledger_history_withdrawals ON ledger_transactions (merchant_id, occurred_at)
    WHERE kind IN ('withdrawal_sent', 'deposit_withdrawal_sent');
CREATE INDEX ledger_history_reversals ON ledger_transactions (merchant_id, occurred_at)
    WHERE reverses_id IS NOT NULL;
CREATE INDEX ledger_history_amount ON ledger_transactions (merchant_id, amount_minor)
    WHERE kind NOT IN ('withdrawal_succeeded', 'withdrawal_failed', 'deposit_withdrawal_succeeded', 'deposit_withdrawal_failed');

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX ledger_search ON ledger_transactions USING gin ((reference || E'\n' || external_id || E'\n' || memo) gin_trgm_ops);

-- +goose Down
DROP INDEX ledger_search;
DROP INDEX ledger_history_amount;
DROP INDEX ledger_history_reversals;
DROP INDEX ledger_history_withdrawals;
DROP INDEX ledger_history_kind_method;
DROP INDEX ledger_history_method;
DROP INDEX ledger_history_kind;
DROP INDEX ledger_history;
