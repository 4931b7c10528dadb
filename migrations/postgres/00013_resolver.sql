-- +goose Up
-- PostgreSQL form of ../00013_resolver.sql (see README.md).
CREATE INDEX invoices_unknown ON invoices (created_at) WHERE status = 'unknown';
CREATE INDEX invoices_pending_expiry ON invoices (expires_at) WHERE status = 'pending';

-- +goose Down
DROP INDEX invoices_pending_expiry;
DROP INDEX invoices_unknown;
