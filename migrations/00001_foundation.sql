-- +goose Up
-- Times are UTC text in one fixed-width layout (2006-01-02T15:04:05.000000Z),
-- so text order is time order and the database stays readable in the sqlite3 shell.

CREATE TABLE merchants (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 200),
    -- Netzme's merchant id (custIdMerchant, e.g. M_TB1NMLig); '' until linked.
    netzme_cust_id TEXT    NOT NULL DEFAULT '' CHECK (length(netzme_cust_id) <= 64),
    city           TEXT    NOT NULL DEFAULT '',
    nmid           TEXT    NOT NULL DEFAULT '',
    phone          TEXT    NOT NULL DEFAULT '',
    static_qris    TEXT    NOT NULL DEFAULT '',
    created_at     TEXT    NOT NULL
) STRICT;
-- One Lapak merchant per Netzme merchant: two rows for one custIdMerchant would
-- let a callback credit the wrong books.
CREATE UNIQUE INDEX merchants_netzme_cust_id ON merchants (netzme_cust_id) WHERE netzme_cust_id <> '';

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE CHECK (email = lower(trim(email)) AND email LIKE '%_@_%'),
    name          TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    locale        TEXT    NOT NULL DEFAULT 'id' CHECK (locale IN ('id', 'en')),
    created_at    TEXT    NOT NULL
) STRICT;

CREATE TABLE memberships (
    user_id     INTEGER NOT NULL REFERENCES users (id),
    merchant_id INTEGER NOT NULL REFERENCES merchants (id),
    role        TEXT    NOT NULL CHECK (role IN ('owner', 'cashier', 'auditor')),
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (user_id, merchant_id)
) STRICT;
CREATE INDEX memberships_merchant ON memberships (merchant_id);

-- scs sqlite3store's table, exactly as that package expects (expiry is a Julian day).
CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BLOB NOT NULL,
    expiry REAL NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- Who did what, for which merchant, when and from where. Append-only.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT    NOT NULL,
    user_id     INTEGER,            -- NULL = the system (start-up, poller, callback)
    user_email  TEXT    NOT NULL DEFAULT '',
    merchant_id INTEGER,            -- NULL = installation-wide
    action      TEXT    NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    detail      TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    remote_addr TEXT    NOT NULL DEFAULT '',
    request_id  TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_merchant_at ON audit_log (merchant_id, at);

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd

-- Every HTTP attempt to a provider (Netzme, SpeedCash…), bodies redacted by the adapter.
CREATE TABLE api_calls (
    id                   INTEGER PRIMARY KEY,
    at                   TEXT    NOT NULL,
    provider             TEXT    NOT NULL CHECK (provider IN ('netzme', 'nicepay', 'speedcash')),
    endpoint             TEXT    NOT NULL,
    method               TEXT    NOT NULL DEFAULT 'POST',
    path                 TEXT    NOT NULL DEFAULT '',
    partner_reference_no TEXT    NOT NULL DEFAULT '',
    external_id          TEXT    NOT NULL DEFAULT '',
    http_status          INTEGER NOT NULL DEFAULT 0 CHECK (http_status BETWEEN 0 AND 599), -- 0 = no HTTP answer
    response_code        TEXT    NOT NULL DEFAULT '',
    latency_ms           INTEGER NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
    request_body         TEXT    NOT NULL DEFAULT '',
    response_body        TEXT    NOT NULL DEFAULT '',
    error                TEXT    NOT NULL DEFAULT '',
    merchant_id          INTEGER REFERENCES merchants (id),
    user_id              INTEGER REFERENCES users (id)
) STRICT;
CREATE INDEX api_calls_merchant_at ON api_calls (merchant_id, at);
CREATE INDEX api_calls_reference ON api_calls (partner_reference_no) WHERE partner_reference_no <> '';

-- +goose Down
DROP TABLE api_calls;
DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE merchants;
