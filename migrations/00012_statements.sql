-- +goose Up
-- Netzme statement sync (issue 12 §2): Netzme's own records of each linked
-- merchant, pulled into local tables by a background job, so that pages and
-- the reconciliation read them here and never wait for Netzme.
--
-- Facts are append-only (as audit_log): a statement line (00008), a
-- withdrawal answer and an opening balance are what Netzme said at a time,
-- and are never updated or deleted. A line Netzme later reports differently
-- (a status that moved on) is recorded as a new version of that line; an
-- identical re-read records nothing.

-- One sync: a range of Jakarta days of one merchant, asked by a person
-- ('manual') or by the background runner ('schedule'). Progress is written
-- as the run goes, so a page can show it; a run left 'running' by a process
-- that died is picked up again at the next start (its cursors say where).
CREATE TABLE sync_runs (
    id           INTEGER PRIMARY KEY,
    merchant_id  INTEGER NOT NULL REFERENCES merchants (id),
    trigger      TEXT    NOT NULL CHECK (trigger IN ('manual', 'schedule')),
    requested_by INTEGER REFERENCES users (id),
    from_day     TEXT    NOT NULL CHECK (from_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    to_day       TEXT    NOT NULL CHECK (to_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND to_day >= from_day),
    status       TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'interrupted')),
    days_total   INTEGER NOT NULL CHECK (days_total >= 0),
    days_done    INTEGER NOT NULL DEFAULT 0 CHECK (days_done >= 0),
    lines        INTEGER NOT NULL DEFAULT 0 CHECK (lines >= 0),     -- lines Netzme sent in this run
    new_lines    INTEGER NOT NULL DEFAULT 0 CHECK (new_lines >= 0), -- of which new facts (new lines or new versions)
    calls        INTEGER NOT NULL DEFAULT 0 CHECK (calls >= 0),     -- Netzme calls made
    faults       INTEGER NOT NULL DEFAULT 0 CHECK (faults >= 0),    -- of which failed (see sync_faults)
    error        TEXT    NOT NULL DEFAULT '',                       -- why the run failed: netzme.Describe, never a secret
    created_at   TEXT    NOT NULL,
    started_at   TEXT,
    updated_at   TEXT    NOT NULL,
    finished_at  TEXT
) STRICT;
CREATE INDEX sync_runs_merchant ON sync_runs (merchant_id, id DESC);
CREATE INDEX sync_runs_active ON sync_runs (status, id) WHERE status IN ('queued', 'running');

-- Every failed Netzme call of a run, with the wait before the next attempt
-- (exponential, bounded): what "Netzme was down from 02:10 to 02:14" rests on.
CREATE TABLE sync_faults (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES sync_runs (id),
    endpoint   TEXT    NOT NULL,               -- netzme.Endpoint
    day        TEXT    NOT NULL DEFAULT '',    -- the day asked for ('' for a withdrawal status)
    page       INTEGER NOT NULL DEFAULT 0,
    attempt    INTEGER NOT NULL CHECK (attempt >= 1),
    error      TEXT    NOT NULL,               -- netzme.Describe
    backoff_ms INTEGER NOT NULL CHECK (backoff_ms >= 0), -- 0: not retried
    at         TEXT    NOT NULL
) STRICT;
CREATE INDEX sync_faults_run ON sync_faults (run_id, id);

-- Netzme's lines and the cursor per merchant, list and Jakarta day are
-- statement_lines and statement_days of 00008. What the sync reads there:
-- a line is new, or a new version, unless the same raw entry is on record
-- for that Netzme id (raw_sha256); statement_days.next_page is the page to
-- ask next, state 'done' with synced_at when the day was read through to
-- its empty page, 'failed' with last_error and attempts when a run gave up
-- on it. A day is final (never asked again) once it was read through at
-- least SyncOptions.LateDays after it ended; before that every sync reads it
-- again from page 1, for lines Netzme adds late. retry_at is left empty:
-- the sync backs off within a run and records each failure in sync_faults.
-- The fields below are taken out of the raw entry too; run_id is the sync
-- run that recorded the line (a sync_runs id; no constraint, so the column
-- can be dropped again).
ALTER TABLE statement_lines ADD COLUMN paid_at TEXT;                                    -- paidTs, UTC
ALTER TABLE statement_lines ADD COLUMN service_charge_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE statement_lines ADD COLUMN description TEXT NOT NULL DEFAULT '';            -- desc
ALTER TABLE statement_lines ADD COLUMN run_id INTEGER;
CREATE INDEX statement_lines_occurred ON statement_lines (merchant_id, occurred_at);
CREATE INDEX statement_lines_invoice ON statement_lines (merchant_id, invoice_id) WHERE invoice_id <> '';

-- The latest version of every line.
CREATE VIEW statement_lines_current AS
SELECT l.* FROM statement_lines l
WHERE NOT EXISTS (SELECT 1 FROM statement_lines n
                  WHERE n.merchant_id = l.merchant_id AND n.source = l.source
                    AND n.netzme_id = l.netzme_id AND n.version > l.version);

-- Netzme's answers to Get Information Withdraw (§3.8; §3.24 for the
-- deposit) about a withdrawal that was open when a sync ran. An answer is
-- recorded when it differs from the previous one recorded for the
-- withdrawal. (Applying an answer to the withdrawal is the resolver's work.)
CREATE TABLE withdrawal_answers (
    id                   INTEGER PRIMARY KEY,
    merchant_id          INTEGER NOT NULL REFERENCES merchants (id),
    withdrawal_id        INTEGER NOT NULL REFERENCES withdrawals (id),
    asked_reference_no   TEXT    NOT NULL, -- what we sent as referenceNo
    netzme_reference_no  TEXT    NOT NULL,
    partner_reference_no TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    amount_minor         INTEGER NOT NULL,
    content_hash         TEXT    NOT NULL CHECK (length(content_hash) = 64),
    raw                  TEXT    NOT NULL CHECK (json_valid(raw)),
    run_id               INTEGER REFERENCES sync_runs (id),
    answered_at          TEXT    NOT NULL
) STRICT;
CREATE INDEX withdrawal_answers_withdrawal ON withdrawal_answers (withdrawal_id, id DESC);

-- +goose StatementBegin
CREATE TRIGGER withdrawal_answers_no_update BEFORE UPDATE ON withdrawal_answers
BEGIN
    SELECT RAISE(ABORT, 'withdrawal_answers is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER withdrawal_answers_no_delete BEFORE DELETE ON withdrawal_answers
BEGIN
    SELECT RAISE(ABORT, 'withdrawal_answers is append-only');
END;
-- +goose StatementEnd

-- A merchant's balances at Netzme when it was linked (Get Balance Detail
-- §3.3 for 'sales', Get Balance Deposit §3.26 for 'deposit'): the ledger's
-- opening balance, at as_of. One per merchant, Netzme merchant and wallet:
-- the first answer is the fact; linking again to the same Netzme merchant
-- adds nothing.
CREATE TABLE netzme_opening_balances (
    id            INTEGER PRIMARY KEY,
    merchant_id   INTEGER NOT NULL REFERENCES merchants (id),
    cust_id       TEXT    NOT NULL,
    wallet        TEXT    NOT NULL CHECK (wallet IN ('sales', 'deposit')),
    total_minor   INTEGER NOT NULL,
    settled_minor INTEGER NOT NULL,
    raw           TEXT    NOT NULL CHECK (json_valid(raw)),
    as_of         TEXT    NOT NULL, -- when Netzme answered
    UNIQUE (merchant_id, cust_id, wallet)
) STRICT;

-- +goose StatementBegin
CREATE TRIGGER netzme_opening_balances_no_update BEFORE UPDATE ON netzme_opening_balances
BEGIN
    SELECT RAISE(ABORT, 'netzme_opening_balances is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER netzme_opening_balances_no_delete BEFORE DELETE ON netzme_opening_balances
BEGIN
    SELECT RAISE(ABORT, 'netzme_opening_balances is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER netzme_opening_balances_no_delete;
DROP TRIGGER netzme_opening_balances_no_update;
DROP TABLE netzme_opening_balances;
DROP TRIGGER withdrawal_answers_no_delete;
DROP TRIGGER withdrawal_answers_no_update;
DROP TABLE withdrawal_answers;
DROP VIEW statement_lines_current;
DROP INDEX statement_lines_invoice;
DROP INDEX statement_lines_occurred;
ALTER TABLE statement_lines DROP COLUMN run_id;
ALTER TABLE statement_lines DROP COLUMN description;
ALTER TABLE statement_lines DROP COLUMN service_charge_minor;
ALTER TABLE statement_lines DROP COLUMN paid_at;
DROP TABLE sync_faults;
DROP TABLE sync_runs;
