-- +goose Up
-- Callback ingest (issue 11 §2), PostgreSQL's side of ../00018: the SQLite
-- file rewrites the ledger's triggers to read postings with jsonb_each; the
-- PostgreSQL triggers (00008) already read them as jsonb, so only the index
-- no query reads any more goes.
DROP INDEX invoices_status;

-- +goose Down
CREATE INDEX invoices_status ON invoices (status) WHERE status IN ('unknown', 'pending');
