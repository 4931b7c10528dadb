-- +goose Up
-- Issue 7, "The other SNAP services": NICEPAY convenience-store (CVS) bills,
-- where Lapak is the SNAP server NICEPAY calls, and SpeedCash merchant status
-- checks, where Lapak is the client. Times are UTC text as in 00001.

-- A bill the merchant issued for payment at a convenience store. pay_no is
-- partner_service_id (4, assigned by NICEPAY) + customer_no (8), 12 digits
-- (nicepay §3). Expiry is not a stored status: a bill is "expired" when it is
-- still open after expires_at, so no background job has to flip it.
CREATE TABLE cvs_bills (
    id                   INTEGER PRIMARY KEY,
    merchant_id          INTEGER NOT NULL REFERENCES merchants (id),
    partner_service_id   TEXT    NOT NULL CHECK (length(partner_service_id) = 4),
    customer_no          TEXT    NOT NULL CHECK (length(customer_no) = 8),
    pay_no               TEXT    NOT NULL UNIQUE CHECK (pay_no = partner_service_id || customer_no),
    partner_reference_no TEXT    NOT NULL UNIQUE CHECK (length(partner_reference_no) BETWEEN 1 AND 40),
    customer_name        TEXT    NOT NULL CHECK (length(customer_name) BETWEEN 1 AND 100),
    customer_phone       TEXT    NOT NULL CHECK (length(customer_phone) BETWEEN 1 AND 15),
    customer_email       TEXT    NOT NULL CHECK (length(customer_email) BETWEEN 1 AND 100),
    goods_name           TEXT    NOT NULL CHECK (length(goods_name) BETWEEN 1 AND 200),
    amount_minor         INTEGER NOT NULL CHECK (amount_minor > 0),
    expires_at           TEXT    NOT NULL,
    status               TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid')),
    paid_amount_minor    INTEGER CHECK (paid_amount_minor IS NULL OR paid_amount_minor >= 0),
    paid_at              TEXT,
    payment_request_id   TEXT    NOT NULL DEFAULT '',
    mitra_cd             TEXT    NOT NULL DEFAULT '',
    created_by           INTEGER REFERENCES users (id),
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL,
    CHECK (status <> 'paid' OR (paid_amount_minor IS NOT NULL AND paid_at IS NOT NULL))
) STRICT;
CREATE INDEX cvs_bills_merchant_created ON cvs_bills (merchant_id, created_at DESC);

-- Every request NICEPAY made to the CVS endpoints (token, inquiry, payment),
-- accepted or refused, with the exact answer we gave. bill_id/merchant_id are
-- set when the payNo matched a bill.
CREATE TABLE cvs_requests (
    id                 INTEGER PRIMARY KEY,
    at                 TEXT    NOT NULL,
    kind               TEXT    NOT NULL CHECK (kind IN ('token', 'inquiry', 'payment')),
    bill_id            INTEGER REFERENCES cvs_bills (id),
    merchant_id        INTEGER REFERENCES merchants (id),
    pay_no             TEXT    NOT NULL DEFAULT '',
    request_id         TEXT    NOT NULL DEFAULT '', -- inquiryRequestId or paymentRequestId
    external_id        TEXT    NOT NULL DEFAULT '',
    mitra_cd           TEXT    NOT NULL DEFAULT '',
    signature_recipe   TEXT    NOT NULL DEFAULT '', -- which verifier matched (UAT aid, nicepay §3.4)
    http_status        INTEGER NOT NULL,
    response_code      TEXT    NOT NULL,
    request_body       TEXT    NOT NULL DEFAULT '',
    response_body      TEXT    NOT NULL DEFAULT '',
    remote_addr        TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX cvs_requests_bill ON cvs_requests (bill_id, id) WHERE bill_id IS NOT NULL;
CREATE INDEX cvs_requests_merchant ON cvs_requests (merchant_id, id);

-- Access tokens Lapak issued to NICEPAY. Only a SHA-256 of the token is kept:
-- the table is shared by every Lapak instance (nicepay §6.7) and a database
-- copy must not hand out live tokens.
CREATE TABLE nicepay_tokens (
    token_sha256 TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
) STRICT;

-- X-EXTERNAL-ID values NICEPAY used, per Jakarta calendar day: a reuse on the
-- same day is answered 409 (nicepay §3.5 rule 3).
CREATE TABLE nicepay_external_ids (
    day         TEXT NOT NULL,
    external_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (day, external_id)
) STRICT;

-- Inbox of payment confirmations (guess, nicepay §4: body not documented). A
-- confirmation is stored before it is applied; a repeat of the same
-- payment_request_id gets the stored answer again.
CREATE TABLE cvs_payments (
    id                 INTEGER PRIMARY KEY,
    received_at        TEXT    NOT NULL,
    payment_request_id TEXT    NOT NULL UNIQUE,
    pay_no             TEXT    NOT NULL,
    amount_minor       INTEGER NOT NULL CHECK (amount_minor >= 0),
    request_body       TEXT    NOT NULL,
    status             TEXT    NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'applied', 'rejected')),
    bill_id            INTEGER REFERENCES cvs_bills (id),
    http_status        INTEGER,
    response_code      TEXT    NOT NULL DEFAULT '',
    response_body      TEXT    NOT NULL DEFAULT '',
    processed_at       TEXT
) STRICT;

-- SpeedCash Merchant Status (service 23) checks. The row is written before the
-- call (outcome 'unknown') and completed with the answer.
CREATE TABLE merchant_status_checks (
    id              INTEGER PRIMARY KEY,
    merchant_id     INTEGER NOT NULL REFERENCES merchants (id),
    user_id         INTEGER REFERENCES users (id),
    phone           TEXT    NOT NULL,
    external_id     TEXT    NOT NULL DEFAULT '',
    created_at      TEXT    NOT NULL,
    finished_at     TEXT,
    outcome         TEXT    NOT NULL DEFAULT 'unknown' CHECK (outcome IN ('unknown', 'ok', 'error')),
    response_code   TEXT    NOT NULL DEFAULT '',
    response_message TEXT   NOT NULL DEFAULT '',
    status          INTEGER CHECK (status IS NULL OR status IN (0, 1, 2)),
    title           TEXT    NOT NULL DEFAULT '',
    description     TEXT    NOT NULL DEFAULT '',
    sc_merchant_id  TEXT    NOT NULL DEFAULT '',
    store_name      TEXT    NOT NULL DEFAULT '',
    mid             TEXT    NOT NULL DEFAULT '',
    nmid            TEXT    NOT NULL DEFAULT '',
    CHECK (outcome <> 'ok' OR status IS NOT NULL)
) STRICT;
CREATE INDEX merchant_status_checks_merchant ON merchant_status_checks (merchant_id, id DESC);

-- +goose Down
DROP TABLE merchant_status_checks;
DROP TABLE cvs_payments;
DROP TABLE nicepay_external_ids;
DROP TABLE nicepay_tokens;
DROP TABLE cvs_requests;
DROP TABLE cvs_bills;
