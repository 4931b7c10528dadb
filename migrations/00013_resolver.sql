-- +goose Up
-- The resolver's work list (db.UnresolvedInvoices) without scanning the
-- table: unknown invoices are few, pending ones are read by expiry.
CREATE INDEX invoices_unknown ON invoices (created_at) WHERE status = 'unknown';
CREATE INDEX invoices_pending_expiry ON invoices (expires_at) WHERE status = 'pending';

-- +goose Down
DROP INDEX invoices_pending_expiry;
DROP INDEX invoices_unknown;
