-- +goose Up
-- Inbound Netzme callbacks (issue "Inbound Netzme callbacks"). Every callback
-- that reaches an endpoint is written here FIRST, raw, and committed before
-- anything is applied; the apply step then moves the row out of 'received'
-- in the same transaction that changes the books. A crash in between leaves a
-- visible 'received' row an administrator can re-apply — never a lost payment.
--
-- status:
--   received      stored, not applied yet (or the apply failed: re-apply it)
--   applied       changed the books (an invoice paid)
--   stored        kept for a later feature to apply (withdraw notifications)
--   duplicate     the same event (same dedupe_key) was already taken
--   rejected      not authenticated or not decodable: never applied
--   needs_review  kept and acknowledged, but a person must look (reason says why)
--   resolved      a needs_review row an administrator closed with a note
CREATE TABLE callbacks (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL CHECK (kind IN ('invoice', 'qris', 'snap_qris', 'withdraw')),
    received_at      TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'received'
                     CHECK (status IN ('received', 'applied', 'stored', 'duplicate', 'rejected', 'needs_review', 'resolved')),
    reason           TEXT    NOT NULL DEFAULT '',   -- machine word: unknown_reference, amount_mismatch, ...
    note             TEXT    NOT NULL DEFAULT '',   -- human detail of the reason
    -- Spec §7 item 8: trxId / partnerReferenceNo / rrn+date+issuer, prefixed by
    -- the kind of event; '' when the body could not be decoded.
    dedupe_key       TEXT    NOT NULL DEFAULT '',
    -- What the body says (copied out for lists and filters; the body is the truth).
    reference_no     TEXT    NOT NULL DEFAULT '',   -- originalReferenceNo (trxId, RRN, withdrawal id)
    partner_ref_no   TEXT    NOT NULL DEFAULT '',   -- originalPartnerReferenceNo (ours)
    cust_id_merchant TEXT    NOT NULL DEFAULT '',
    amount_minor     INTEGER CHECK (amount_minor IS NULL OR amount_minor >= 0),
    fee_minor        INTEGER CHECK (fee_minor IS NULL OR fee_minor >= 0),
    net_minor        INTEGER CHECK (net_minor IS NULL OR net_minor >= 0),
    -- Whose books it concerns; NULL = nobody's for sure (admins only).
    merchant_id      INTEGER REFERENCES merchants (id),
    invoice_id       INTEGER REFERENCES invoices (id),
    payment_id       INTEGER,                        -- payments.id (static QRIS)
    -- Raw request: headers as a JSON object with secrets redacted, body as sent.
    headers          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(headers)),
    body             TEXT    NOT NULL DEFAULT '',
    remote_addr      TEXT    NOT NULL DEFAULT '',
    request_id       TEXT    NOT NULL DEFAULT '',
    -- What applying it changed, as JSON ({} until applied).
    effect           TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(effect)),
    applied_at       TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,     -- apply runs (first + re-applies)
    resolved_at      TEXT,
    resolved_by      INTEGER REFERENCES users (id),
    resolution_note  TEXT    NOT NULL DEFAULT ''
) STRICT;
-- One row per event "takes" it: a second delivery of the same event can
-- never be applied too, whatever the code above the database does.
CREATE UNIQUE INDEX callbacks_dedupe_taken ON callbacks (dedupe_key)
    WHERE dedupe_key <> '' AND status IN ('applied', 'stored', 'needs_review', 'resolved');
CREATE INDEX callbacks_received ON callbacks (received_at DESC, id DESC);
CREATE INDEX callbacks_merchant ON callbacks (merchant_id, received_at DESC);
CREATE INDEX callbacks_key ON callbacks (dedupe_key);

-- Money that reached a merchant without a Lapak invoice: static-QRIS payments
-- (spec §3.16/§3.18/§3.19). Shown in the merchant's history and balance.
CREATE TABLE payments (
    id             INTEGER PRIMARY KEY,
    merchant_id    INTEGER NOT NULL REFERENCES merchants (id),
    kind           TEXT    NOT NULL DEFAULT 'qris_static' CHECK (kind IN ('qris_static')),
    -- rrn|YYYYMMDD|issuerId (RRNs are unique per issuer per day, spec §3.16).
    dedupe_key     TEXT    NOT NULL UNIQUE CHECK (length(dedupe_key) >= 3),
    rrn            TEXT    NOT NULL DEFAULT '',
    local_date     TEXT    NOT NULL DEFAULT '',
    issuer_id      TEXT    NOT NULL DEFAULT '',
    issuer_name    TEXT    NOT NULL DEFAULT '',
    invoice_number TEXT    NOT NULL DEFAULT '',
    buyer_name     TEXT    NOT NULL DEFAULT '',
    amount_minor   INTEGER NOT NULL CHECK (amount_minor >= 0),
    fee_minor      INTEGER NOT NULL DEFAULT 0 CHECK (fee_minor >= 0),
    net_minor      INTEGER NOT NULL CHECK (net_minor >= 0),
    paid_at        TEXT    NOT NULL,
    callback_id    INTEGER REFERENCES callbacks (id),
    created_at     TEXT    NOT NULL
) STRICT;
CREATE INDEX payments_merchant_paid ON payments (merchant_id, paid_at DESC);

-- +goose Down
DROP TABLE payments;
DROP TABLE callbacks;
