-- +goose Up
-- Job leases (issue 14 §4): each background job (the resolver, the statement
-- sync, the callback sweep, housekeeping) runs in one Lapak instance at a
-- time, the one holding its lease. A holder renews its lease every few
-- seconds; a lease whose expires_at has passed is free, so another instance
-- takes the job over within one lease time when its holder dies. Taking and
-- renewing are one conditional upsert (db.AcquireLease), in SQL that
-- PostgreSQL runs unchanged.
--
-- Times are the holders' clocks, stored like every time in Lapak
-- (UTC, fixed width, so text order is time order).
CREATE TABLE job_leases (
    name        TEXT NOT NULL PRIMARY KEY,   -- the job: resolver, statement-sync, callback-sweep, housekeeping
    holder      TEXT NOT NULL,               -- the instance: host:pid:random
    acquired_at TEXT NOT NULL,               -- when holder took it (kept across renewals)
    renewed_at  TEXT NOT NULL,               -- holder's last renewal
    expires_at  TEXT NOT NULL                -- free from then on (a release sets it to the release time)
) STRICT;

-- +goose Down
DROP TABLE job_leases;
