-- +goose Up
-- PostgreSQL form of ../00009_lists.sql (see README.md): the same list
-- indexes (PostgreSQL walks a B-tree either way, so their order is kept only
-- to keep the two schemas alike). The invoice search is a pg_trgm GIN index
-- over the searched columns (the SQLite file's FTS5 trigram table):
-- db's searchText is the same expression, searched with ILIKE, which the
-- index serves for any substring of three or more characters,
-- case-insensitively. The columns are joined with a line feed, which no
-- search box sends, so a search never matches across two of them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

DROP INDEX IF EXISTS invoices_merchant_created;
CREATE INDEX IF NOT EXISTS invoices_list ON invoices (merchant_id, created_at);
CREATE INDEX IF NOT EXISTS invoices_list_status ON invoices (merchant_id, status, created_at);
CREATE INDEX IF NOT EXISTS invoices_list_method ON invoices (merchant_id, method, created_at);
CREATE INDEX IF NOT EXISTS invoices_list_status_method ON invoices (merchant_id, status, method, created_at);
CREATE INDEX IF NOT EXISTS invoices_list_amount ON invoices (merchant_id, amount_minor);

CREATE INDEX invoices_search ON invoices USING gin ((partner_reference_no || E'\n' || netzme_trx_id || E'\n' ||
    netzme_invoice_id || E'\n' || description || E'\n' || customer_name || E'\n' || customer_phone || E'\n' ||
    customer_email) gin_trgm_ops);

DROP INDEX IF EXISTS callbacks_merchant;
CREATE INDEX IF NOT EXISTS callbacks_list_merchant ON callbacks (merchant_id, received_at);
CREATE INDEX IF NOT EXISTS callbacks_list_status ON callbacks (status, received_at);
CREATE INDEX IF NOT EXISTS callbacks_list_merchant_status ON callbacks (merchant_id, status, received_at);
CREATE INDEX IF NOT EXISTS callbacks_list_kind ON callbacks (kind, received_at);
CREATE INDEX IF NOT EXISTS callbacks_list_merchant_kind ON callbacks (merchant_id, kind, received_at);

CREATE INDEX IF NOT EXISTS audit_log_list_merchant ON audit_log (merchant_id, id);
CREATE INDEX IF NOT EXISTS api_calls_list_merchant ON api_calls (merchant_id, id);

DROP INDEX IF EXISTS payments_merchant_paid;
CREATE INDEX IF NOT EXISTS payments_list ON payments (merchant_id, paid_at);

CREATE INDEX IF NOT EXISTS withdrawals_list_wallet ON withdrawals (merchant_id, wallet, id);

DROP INDEX IF EXISTS cvs_bills_merchant_created;
CREATE INDEX IF NOT EXISTS cvs_bills_list ON cvs_bills (merchant_id, created_at);

CREATE INDEX IF NOT EXISTS merchants_list_name ON merchants (name);

-- +goose Down
DROP INDEX IF EXISTS merchants_list_name;
DROP INDEX IF EXISTS cvs_bills_list;
CREATE INDEX IF NOT EXISTS cvs_bills_merchant_created ON cvs_bills (merchant_id, created_at DESC);
DROP INDEX IF EXISTS withdrawals_list_wallet;
DROP INDEX IF EXISTS payments_list;
CREATE INDEX IF NOT EXISTS payments_merchant_paid ON payments (merchant_id, paid_at DESC);
DROP INDEX IF EXISTS api_calls_list_merchant;
DROP INDEX IF EXISTS audit_log_list_merchant;
DROP INDEX IF EXISTS callbacks_list_merchant_kind;
DROP INDEX IF EXISTS callbacks_list_kind;
DROP INDEX IF EXISTS callbacks_list_merchant_status;
DROP INDEX IF EXISTS callbacks_list_status;
DROP INDEX IF EXISTS callbacks_list_merchant;
CREATE INDEX IF NOT EXISTS callbacks_merchant ON callbacks (merchant_id, received_at DESC);
DROP INDEX IF EXISTS invoices_search;
DROP INDEX IF EXISTS invoices_list_amount;
DROP INDEX IF EXISTS invoices_list_status_method;
DROP INDEX IF EXISTS invoices_list_method;
DROP INDEX IF EXISTS invoices_list_status;
DROP INDEX IF EXISTS invoices_list;
CREATE INDEX IF NOT EXISTS invoices_merchant_created ON invoices (merchant_id, created_at DESC);
