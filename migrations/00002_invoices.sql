-- +goose Up
-- Money in: one row per invoice transaction Lapak asks Netzme to create
-- (issue "Money in"). The row is written BEFORE Netzme is called, in status
-- 'unknown', and committed; the answer then moves it to 'pending' (or
-- 'failed'). A crash or timeout in between leaves a visible 'unknown' row that a
-- status query (Get Invoice Transaction) resolves — never a silent gap.
CREATE TABLE invoices (
    id                   INTEGER PRIMARY KEY,
    merchant_id          INTEGER NOT NULL REFERENCES merchants (id),
    -- Our unique reference sent to Netzme as partnerReferenceNo.
    partner_reference_no TEXT    NOT NULL UNIQUE CHECK (length(partner_reference_no) BETWEEN 1 AND 64),
    purpose              TEXT    NOT NULL DEFAULT 'sale' CHECK (purpose IN ('sale', 'topup_deposit')),
    method               TEXT    NOT NULL CHECK (length(method) BETWEEN 1 AND 32), -- payMethod: QRIS, BCA_VA, ...
    amount_minor         INTEGER NOT NULL CHECK (amount_minor > 0),
    fee_type             TEXT    NOT NULL DEFAULT 'on_seller' CHECK (fee_type IN ('on_seller', 'on_buyer')),
    description          TEXT    NOT NULL DEFAULT '',
    customer_name        TEXT    NOT NULL DEFAULT '',
    customer_phone       TEXT    NOT NULL DEFAULT '',
    customer_email       TEXT    NOT NULL DEFAULT '',
    expires_at           TEXT    NOT NULL,
    status               TEXT    NOT NULL DEFAULT 'unknown'
                         CHECK (status IN ('unknown', 'pending', 'paid', 'expired', 'failed')),
    -- What Netzme answered (empty until it did).
    netzme_trx_id        TEXT    NOT NULL DEFAULT '', -- additionalInfo.trxId = callback originalReferenceNo
    netzme_invoice_id    TEXT    NOT NULL DEFAULT '', -- NETZ-INV-...
    payment_url          TEXT    NOT NULL DEFAULT '',
    qris_payload         TEXT    NOT NULL DEFAULT '', -- EMV payload decoded from the PNG data URI
    va_numbers           TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(va_numbers)),
    -- Set when paid (from the callback or a status query).
    paid_amount_minor    INTEGER CHECK (paid_amount_minor IS NULL OR paid_amount_minor >= 0),
    fee_minor            INTEGER CHECK (fee_minor IS NULL OR fee_minor >= 0),
    net_minor            INTEGER CHECK (net_minor IS NULL OR net_minor >= 0),
    paid_at              TEXT,
    failure_reason       TEXT    NOT NULL DEFAULT '',
    created_by           INTEGER REFERENCES users (id),
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL,
    CHECK (status <> 'paid' OR (paid_amount_minor IS NOT NULL AND paid_at IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX invoices_netzme_trx_id ON invoices (netzme_trx_id) WHERE netzme_trx_id <> '';
CREATE INDEX invoices_merchant_created ON invoices (merchant_id, created_at DESC);
CREATE INDEX invoices_status ON invoices (status) WHERE status IN ('unknown', 'pending');

-- The status timeline of an invoice: every transition and who/what caused it.
CREATE TABLE invoice_events (
    id          INTEGER PRIMARY KEY,
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    at          TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('unknown', 'pending', 'paid', 'expired', 'failed')),
    source      TEXT    NOT NULL CHECK (source IN ('lapak', 'netzme', 'callback', 'refresh', 'system')),
    note        TEXT    NOT NULL DEFAULT '',
    user_id     INTEGER REFERENCES users (id)
) STRICT;
CREATE INDEX invoice_events_invoice ON invoice_events (invoice_id, id);

-- +goose Down
DROP TABLE invoice_events;
DROP TABLE invoices;
