-- +goose Up
-- PostgreSQL form of ../00011_callbacks_unapplied.sql (see README.md).
CREATE INDEX callbacks_unapplied ON callbacks (id) WHERE status = 'received';
DROP INDEX callbacks_key;

-- +goose Down
CREATE INDEX callbacks_key ON callbacks (dedupe_key);
DROP INDEX callbacks_unapplied;
