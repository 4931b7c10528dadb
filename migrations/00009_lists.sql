-- +goose Up
-- Lists that cost the same at 1M rows as at 10k (issue 11 §3, §4, §6).
--
-- Every list is read by keyset — WHERE (sort key, id) < (?, ?) ORDER BY sort
-- key DESC, id DESC LIMIT n — so each list needs an index that starts with its
-- filter columns and ends with its sort key, in ASCENDING order: SQLite walks
-- it backwards, and the rowid (= id) that ends every index then comes out
-- descending too. The DESC indexes of the earlier migrations end in an
-- ascending rowid, which leaves a temporary B-tree for "id DESC"; they are
-- replaced here. IF EXISTS / IF NOT EXISTS: another migration may have
-- replaced them first.

-- Invoices: the list (created_at), its status and method filters and both
-- together, and the exact-amount search ("25.000" finds Rp 25.000).
DROP INDEX IF EXISTS invoices_merchant_created;
CREATE INDEX IF NOT EXISTS invoices_list ON invoices (merchant_id, created_at);
CREATE INDEX IF NOT EXISTS invoices_list_status ON invoices (merchant_id, status, created_at);
CREATE INDEX IF NOT EXISTS invoices_list_method ON invoices (merchant_id, method, created_at);
CREATE INDEX IF NOT EXISTS invoices_list_status_method ON invoices (merchant_id, status, method, created_at);
CREATE INDEX IF NOT EXISTS invoices_list_amount ON invoices (merchant_id, amount_minor);

-- Invoice search: a trigram FTS5 index over the text a cashier may type —
-- references, Netzme ids, description, customer name, phone and e-mail. Any
-- substring of three or more characters matches, case-insensitively. Its
-- rowid is (merchant_id << 40) | invoice id, so one merchant's entries are a
-- rowid range: a search seeks to its own merchant and walks its entries
-- newest first, never through other merchants' matches. Contentless (the
-- text stays in invoices only; contentless_delete lets a row be replaced).
-- The triggers keep it in step in the same transaction as the row; a status
-- change (the hot path of callbacks) touches none of these columns and so
-- never the index. Invoice ids stay below 2^40 and merchant ids below 2^23.
CREATE VIRTUAL TABLE invoices_fts USING fts5(
    partner_reference_no, netzme_trx_id, netzme_invoice_id, description,
    customer_name, customer_phone, customer_email,
    content = '', contentless_delete = 1, tokenize = 'trigram'
);
INSERT INTO invoices_fts (rowid, partner_reference_no, netzme_trx_id, netzme_invoice_id, description,
                          customer_name, customer_phone, customer_email)
SELECT (merchant_id << 40) | id, partner_reference_no, netzme_trx_id, netzme_invoice_id, description,
       customer_name, customer_phone, customer_email
FROM invoices;

-- +goose StatementBegin
CREATE TRIGGER invoices_fts_insert AFTER INSERT ON invoices BEGIN
    INSERT INTO invoices_fts (rowid, partner_reference_no, netzme_trx_id, netzme_invoice_id, description,
                              customer_name, customer_phone, customer_email)
    VALUES ((new.merchant_id << 40) | new.id, new.partner_reference_no, new.netzme_trx_id, new.netzme_invoice_id,
            new.description, new.customer_name, new.customer_phone, new.customer_email);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER invoices_fts_delete AFTER DELETE ON invoices BEGIN
    DELETE FROM invoices_fts WHERE rowid = (old.merchant_id << 40) | old.id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER invoices_fts_update AFTER UPDATE OF merchant_id, partner_reference_no, netzme_trx_id,
    netzme_invoice_id, description, customer_name, customer_phone, customer_email ON invoices BEGIN
    DELETE FROM invoices_fts WHERE rowid = (old.merchant_id << 40) | old.id;
    INSERT INTO invoices_fts (rowid, partner_reference_no, netzme_trx_id, netzme_invoice_id, description,
                              customer_name, customer_phone, customer_email)
    VALUES ((new.merchant_id << 40) | new.id, new.partner_reference_no, new.netzme_trx_id, new.netzme_invoice_id,
            new.description, new.customer_name, new.customer_phone, new.customer_email);
END;
-- +goose StatementEnd

-- Notification log (callbacks): per merchant, and the status and kind
-- filters with and without a merchant (administrators see every callback).
-- callbacks_received (received_at DESC, id DESC) already serves the
-- unfiltered administrator list.
DROP INDEX IF EXISTS callbacks_merchant;
CREATE INDEX IF NOT EXISTS callbacks_list_merchant ON callbacks (merchant_id, received_at);
CREATE INDEX IF NOT EXISTS callbacks_list_status ON callbacks (status, received_at);
CREATE INDEX IF NOT EXISTS callbacks_list_merchant_status ON callbacks (merchant_id, status, received_at);
CREATE INDEX IF NOT EXISTS callbacks_list_kind ON callbacks (kind, received_at);
CREATE INDEX IF NOT EXISTS callbacks_list_merchant_kind ON callbacks (merchant_id, kind, received_at);

-- Audit log and provider calls, newest (highest id) first, per merchant.
CREATE INDEX IF NOT EXISTS audit_log_list_merchant ON audit_log (merchant_id, id);
CREATE INDEX IF NOT EXISTS api_calls_list_merchant ON api_calls (merchant_id, id);

-- Static-QRIS payments in the history, by paid_at.
DROP INDEX IF EXISTS payments_merchant_paid;
CREATE INDEX IF NOT EXISTS payments_list ON payments (merchant_id, paid_at);

-- Withdrawals of one wallet (withdrawals_merchant serves both wallets).
CREATE INDEX IF NOT EXISTS withdrawals_list_wallet ON withdrawals (merchant_id, wallet, id);

-- Convenience-store bills, by created_at.
DROP INDEX IF EXISTS cvs_bills_merchant_created;
CREATE INDEX IF NOT EXISTS cvs_bills_list ON cvs_bills (merchant_id, created_at);

-- Administrators' merchant list, by name (users are listed by their unique
-- e-mail, which has its index already).
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
DROP TRIGGER IF EXISTS invoices_fts_update;
DROP TRIGGER IF EXISTS invoices_fts_delete;
DROP TRIGGER IF EXISTS invoices_fts_insert;
DROP TABLE IF EXISTS invoices_fts;
DROP INDEX IF EXISTS invoices_list_amount;
DROP INDEX IF EXISTS invoices_list_status_method;
DROP INDEX IF EXISTS invoices_list_method;
DROP INDEX IF EXISTS invoices_list_status;
DROP INDEX IF EXISTS invoices_list;
CREATE INDEX IF NOT EXISTS invoices_merchant_created ON invoices (merchant_id, created_at DESC);
