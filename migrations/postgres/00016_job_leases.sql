-- +goose Up
-- Job leases (issue 14 §4): the PostgreSQL twin of migrations/00016_job_leases.sql
-- (same table, same columns; no STRICT). See that file for what it holds.
CREATE TABLE job_leases (
    name        TEXT NOT NULL PRIMARY KEY,
    holder      TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    renewed_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

-- +goose Down
DROP TABLE job_leases;
