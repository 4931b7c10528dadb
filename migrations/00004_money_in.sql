-- +goose Up
-- Money in (issue 4): printable QRIS codes, and the intent rows of the
-- Netzme actions that are not invoices (PIN create/forgot, merchant link).

-- One printable QRIS code of a merchant. kind:
--   static    the merchant's own static code (from Get Merchant Detail);
--   invoice   the dynamic code of one QRIS invoice (decoded from Netzme's PNG);
--   converted a fixed-amount code made by Lapak from the static one (parse,
--             set tag 54, recompute CRC). It is NOT tied to any invoice:
--             Netzme sees a payment to the static code.
CREATE TABLE qris_codes (
    id           INTEGER PRIMARY KEY,
    merchant_id  INTEGER NOT NULL REFERENCES merchants (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('static', 'invoice', 'converted')),
    invoice_id   INTEGER REFERENCES invoices (id),
    payload      TEXT    NOT NULL CHECK (length(payload) BETWEEN 1 AND 512),
    amount_minor INTEGER NOT NULL DEFAULT 0 CHECK (amount_minor >= 0),
    label        TEXT    NOT NULL DEFAULT '',
    created_by   INTEGER REFERENCES users (id),
    created_at   TEXT    NOT NULL,
    CHECK ((kind = 'invoice') = (invoice_id IS NOT NULL))
) STRICT;
CREATE INDEX qris_codes_merchant ON qris_codes (merchant_id, id DESC);
CREATE UNIQUE INDEX qris_codes_invoice ON qris_codes (invoice_id) WHERE invoice_id IS NOT NULL;

-- A Netzme action other than an invoice, written before the call (status
-- 'unknown') and finished with Netzme's answer. Never holds a PIN.
CREATE TABLE netzme_actions (
    id                   INTEGER PRIMARY KEY,
    merchant_id          INTEGER NOT NULL REFERENCES merchants (id),
    kind                 TEXT    NOT NULL CHECK (kind IN ('pin.create', 'pin.forgot', 'merchant.link')),
    partner_reference_no TEXT    NOT NULL UNIQUE CHECK (length(partner_reference_no) BETWEEN 1 AND 64),
    status               TEXT    NOT NULL DEFAULT 'unknown' CHECK (status IN ('unknown', 'ok', 'failed')),
    note                 TEXT    NOT NULL DEFAULT '',
    created_by           INTEGER REFERENCES users (id),
    created_at           TEXT    NOT NULL,
    finished_at          TEXT
) STRICT;
CREATE INDEX netzme_actions_merchant ON netzme_actions (merchant_id, id DESC);

-- +goose Down
DROP TABLE netzme_actions;
DROP TABLE qris_codes;
