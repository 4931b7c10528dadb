-- +goose Up
-- Money out (issue 6): withdrawals of the sales balance and of the deposit,
-- the one-time confirmation forms that lead to them, the second-approver
-- setting, and split-fee deductions from the deposit.

-- One Withdraw Inquiry answer (spec §3.6 / §3.22) shown on a confirmation
-- page. token is the one-time form token: the confirmation form can start at
-- most one withdrawal ('open' -> 'used' is a guarded update), so a double
-- click, a second tab or back-and-resubmit finds it used.
CREATE TABLE withdraw_quotes (
    id                   INTEGER PRIMARY KEY,
    merchant_id          INTEGER NOT NULL REFERENCES merchants (id),
    wallet               TEXT    NOT NULL CHECK (wallet IN ('sales', 'deposit')),
    token                TEXT    NOT NULL UNIQUE CHECK (length(token) BETWEEN 16 AND 64),
    partner_reference_no TEXT    NOT NULL UNIQUE CHECK (length(partner_reference_no) BETWEEN 1 AND 64),
    inquiry_reference_no TEXT    NOT NULL DEFAULT '', -- Netzme's referenceNo of the inquiry
    amount_minor         INTEGER NOT NULL CHECK (amount_minor >= 0),
    minimum_minor        INTEGER NOT NULL DEFAULT 0 CHECK (minimum_minor >= 0),
    allowed              INTEGER NOT NULL CHECK (allowed IN (0, 1)),
    account_name         TEXT    NOT NULL DEFAULT '',
    account_number       TEXT    NOT NULL DEFAULT '',
    bank_name            TEXT    NOT NULL DEFAULT '',
    bank_code            TEXT    NOT NULL DEFAULT '',
    status               TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'used')),
    created_by           INTEGER REFERENCES users (id),
    created_at           TEXT    NOT NULL,
    expires_at           TEXT    NOT NULL
) STRICT;
CREATE INDEX withdraw_quotes_merchant ON withdraw_quotes (merchant_id, id DESC);

-- One withdrawal. Written BEFORE Withdraw Process is called (status
-- 'unknown', or 'awaiting_approval' when a second owner must approve) and
-- committed; the answer moves it to 'pending' or 'failed'; the withdraw
-- notification or Get Information Withdraw ends it in 'success' or 'failed'.
-- An 'unknown' row is never re-sent: only a status query resolves it.
CREATE TABLE withdrawals (
    id                   INTEGER PRIMARY KEY,
    merchant_id          INTEGER NOT NULL REFERENCES merchants (id),
    wallet               TEXT    NOT NULL CHECK (wallet IN ('sales', 'deposit')),
    quote_id             INTEGER NOT NULL REFERENCES withdraw_quotes (id),
    -- Our unique id of the Withdraw Process call (its idempotency key).
    partner_reference_no TEXT    NOT NULL UNIQUE CHECK (length(partner_reference_no) BETWEEN 1 AND 64),
    netzme_reference_no  TEXT    NOT NULL DEFAULT '', -- Netzme's withdrawal id, once known
    amount_minor         INTEGER NOT NULL CHECK (amount_minor > 0),
    account_name         TEXT    NOT NULL DEFAULT '',
    account_number       TEXT    NOT NULL DEFAULT '',
    bank_name            TEXT    NOT NULL DEFAULT '',
    bank_code            TEXT    NOT NULL DEFAULT '',
    status               TEXT    NOT NULL
                         CHECK (status IN ('awaiting_approval', 'unknown', 'pending', 'success', 'failed', 'cancelled')),
    failure_code         TEXT    NOT NULL DEFAULT '', -- our reason key: pin_wrong, pin_blocked, balance_changed, ...
    failure_reason       TEXT    NOT NULL DEFAULT '', -- Netzme's code and message
    raw_response         TEXT    NOT NULL DEFAULT '', -- Withdraw Process answer, PIN redacted
    requested_by         INTEGER REFERENCES users (id),
    approved_by          INTEGER REFERENCES users (id),
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL,
    final_at             TEXT,
    CHECK (approved_by IS NULL OR approved_by <> requested_by)
) STRICT;
-- At most one open withdrawal per merchant and wallet: the database itself
-- refuses a second one, whatever the web layer does.
CREATE UNIQUE INDEX withdrawals_one_open ON withdrawals (merchant_id, wallet)
    WHERE status IN ('awaiting_approval', 'unknown', 'pending');
CREATE INDEX withdrawals_merchant ON withdrawals (merchant_id, id DESC);
CREATE INDEX withdrawals_unresolved ON withdrawals (status) WHERE status IN ('unknown', 'pending');
CREATE INDEX withdrawals_netzme_ref ON withdrawals (netzme_reference_no) WHERE netzme_reference_no <> '';

-- Per-merchant money-out settings.
CREATE TABLE money_out_settings (
    merchant_id     INTEGER PRIMARY KEY REFERENCES merchants (id),
    second_approver INTEGER NOT NULL DEFAULT 0 CHECK (second_approver IN (0, 1)),
    updated_by      INTEGER REFERENCES users (id),
    updated_at      TEXT    NOT NULL
) STRICT;

-- Deduct Deposit and Split Fee (spec §3.20) for one paid invoice. Netzme
-- refuses a partnerReferenceNo twice (4090001), so we send the invoice's own
-- reference: resending after an unknown outcome cannot deduct twice.
CREATE TABLE split_fees (
    id                   INTEGER PRIMARY KEY,
    merchant_id          INTEGER NOT NULL REFERENCES merchants (id),
    invoice_id           INTEGER NOT NULL REFERENCES invoices (id),
    partner_reference_no TEXT    NOT NULL, -- the invoice's partnerReferenceNo
    reference_no         TEXT    NOT NULL UNIQUE CHECK (length(reference_no) BETWEEN 1 AND 64),
    amount_minor         INTEGER NOT NULL CHECK (amount_minor > 0),
    fee_minor            INTEGER NOT NULL CHECK (fee_minor >= 0),
    product_name         TEXT    NOT NULL DEFAULT '',
    status               TEXT    NOT NULL DEFAULT 'unknown' CHECK (status IN ('unknown', 'success', 'failed')),
    failure_code         TEXT    NOT NULL DEFAULT '',
    failure_reason       TEXT    NOT NULL DEFAULT '',
    created_by           INTEGER REFERENCES users (id),
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL
) STRICT;
-- One live deduction per invoice; failed attempts may be retried.
CREATE UNIQUE INDEX split_fees_one_per_invoice ON split_fees (invoice_id) WHERE status IN ('unknown', 'success');
CREATE INDEX split_fees_merchant ON split_fees (merchant_id, id DESC);

-- +goose Down
DROP TABLE split_fees;
DROP TABLE money_out_settings;
DROP TABLE withdrawals;
DROP TABLE withdraw_quotes;
