-- +goose Up
-- Accounts (issue 13 §6): password reset links, TOTP two-factor with
-- recovery codes, and login throttling that survives a restart.

-- A one-time password reset link an administrator (or the command line)
-- made for a user. Only the SHA-256 of the link's token is stored, so a copy
-- of the database cannot be turned into working links. A link is valid until
-- expires_at and for one use (used_at set by a guarded update).
CREATE TABLE password_resets (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    token_hash TEXT    NOT NULL UNIQUE CHECK (length(token_hash) = 64), -- hex SHA-256
    created_by INTEGER REFERENCES users (id),                          -- NULL = the command line
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL CHECK (expires_at > created_at),
    used_at    TEXT    CHECK (used_at IS NULL OR used_at >= created_at)
) STRICT;
CREATE INDEX password_resets_user ON password_resets (user_id);

-- A user's confirmed TOTP (RFC 6238) secret. last_step is the newest time
-- step a code was accepted for: a code is only accepted for a later step, so
-- a code seen over someone's shoulder cannot be used again.
CREATE TABLE user_totp (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id),
    secret     BLOB    NOT NULL CHECK (length(secret) BETWEEN 16 AND 64),
    last_step  INTEGER NOT NULL DEFAULT 0 CHECK (last_step >= 0),
    enabled_at TEXT    NOT NULL
) STRICT;

-- Single-use recovery codes of a TOTP enrolment, SHA-256 hex of the
-- normalised code (the codes carry 80 random bits, so a fast hash is enough).
CREATE TABLE totp_recovery_codes (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES user_totp (user_id) ON DELETE CASCADE,
    code_hash TEXT    NOT NULL CHECK (length(code_hash) = 64),
    used_at   TEXT,
    UNIQUE (user_id, code_hash)
) STRICT;

-- Failed sign-in attempts per throttle key ("acct:<email>|<address>",
-- "addr:<address>", "totp:<user id>"). The handlers turn failures into a
-- growing wait; rows idle for long enough are deleted.
CREATE TABLE login_throttle (
    key             TEXT    PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 400),
    failures        INTEGER NOT NULL CHECK (failures >= 1),
    last_failure_at TEXT    NOT NULL
) STRICT;
CREATE INDEX login_throttle_last ON login_throttle (last_failure_at);

-- +goose Down
DROP TABLE login_throttle;
DROP TABLE totp_recovery_codes;
DROP TABLE user_totp;
DROP TABLE password_resets;
