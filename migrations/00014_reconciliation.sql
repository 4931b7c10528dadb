-- +goose Up
-- Reconciliation (issue 12 §3): every Netzme statement line (00008/00012) is
-- matched to a ledger transaction (00008) and every ledger transaction that
-- moves a Netzme wallet to a statement line, by rules tried in order
-- (money/reconcile.go). The outcome of each pairing is a row here, kept up to
-- date by an incremental pass (new ledger transactions, new line versions,
-- waits that ended), never rebuilt: a person's resolution of an exception
-- is on the row and survives every later pass and re-sync.

-- One pairing: a ledger transaction (ledger_id), a Netzme line (its identity
-- wallet + line_netzme_id; line_id the version last read), or both.
--   outcome   matched, lapak_only, netzme_only, amount_differs, waiting
--   rule      how the two were paired: netzme_id (Netzme's transaction id),
--             partner_ref (our partnerReferenceNo), qris_key (rrn + date +
--             issuer), unique_amount (a static-QRIS amount unique in the
--             window), opening (older than the opening balance, which holds
--             it); '' when unpaired
--   lapak_* / netzme_*  each side's effect as it stands: the gross amount
--             (NULL: no such side), the fee, and the net effect on the
--             wallet (signed sen), so the balance proof sums open rows
--   wait_until while waiting: when the grace period ends (NULL: the wait
--             ends when Netzme's list of the day is read again)
--   resolved  a person looked at the exception: their note, an optional
--             adjustment posted through the ledger, who and when
CREATE TABLE recon_items (
    id                  INTEGER PRIMARY KEY,
    merchant_id         INTEGER NOT NULL REFERENCES merchants (id),
    wallet              TEXT    NOT NULL CHECK (wallet IN ('sales', 'deposit')),
    ledger_id           INTEGER REFERENCES ledger_transactions (id),
    line_netzme_id      TEXT,
    line_id             INTEGER REFERENCES statement_lines (id),
    outcome             TEXT    NOT NULL CHECK (outcome IN ('matched', 'lapak_only', 'netzme_only', 'amount_differs', 'waiting')),
    rule                TEXT    NOT NULL DEFAULT '' CHECK (rule IN ('', 'netzme_id', 'partner_ref', 'qris_key', 'unique_amount', 'opening')),
    kind                TEXT    NOT NULL DEFAULT '', -- the ledger kind, else Netzme's type
    method              TEXT    NOT NULL DEFAULT '',
    occurred_at         TEXT    NOT NULL,            -- Lapak's time when it has the event, else Netzme's
    day                 TEXT    NOT NULL CHECK (length(day) = 10), -- its Jakarta day
    wait_until          TEXT,
    reference           TEXT    NOT NULL DEFAULT '', -- our partnerReferenceNo (the rrn of a static QRIS)
    netzme_id           TEXT    NOT NULL DEFAULT '', -- Netzme's transaction id
    lapak_amount_minor  INTEGER,
    lapak_fee_minor     INTEGER NOT NULL DEFAULT 0,
    lapak_net_minor     INTEGER NOT NULL DEFAULT 0,
    netzme_amount_minor INTEGER,
    netzme_fee_minor    INTEGER NOT NULL DEFAULT 0,
    netzme_net_minor    INTEGER NOT NULL DEFAULT 0,
    resolved            INTEGER NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1)),
    resolved_at         TEXT,
    resolved_by         INTEGER REFERENCES users (id),
    note                TEXT    NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    adjustment_id       INTEGER REFERENCES ledger_transactions (id),
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    CHECK (ledger_id IS NOT NULL OR line_netzme_id IS NOT NULL),
    CHECK ((line_netzme_id IS NULL) = (line_id IS NULL)),
    CHECK (resolved = 0 OR (resolved_at IS NOT NULL AND length(trim(note)) > 0))
) STRICT;
CREATE UNIQUE INDEX recon_items_ledger ON recon_items (ledger_id) WHERE ledger_id IS NOT NULL;
CREATE UNIQUE INDEX recon_items_line ON recon_items (merchant_id, wallet, line_netzme_id) WHERE line_netzme_id IS NOT NULL;
-- The page's lists (keyset by occurred_at, id; newest first), one per filter.
CREATE INDEX recon_items_list ON recon_items (merchant_id, occurred_at, id);
CREATE INDEX recon_items_list_outcome ON recon_items (merchant_id, outcome, occurred_at, id);
CREATE INDEX recon_items_list_resolved ON recon_items (merchant_id, resolved, occurred_at, id);
CREATE INDEX recon_items_list_outcome_resolved ON recon_items (merchant_id, outcome, resolved, occurred_at, id);
-- The balance proof's open exceptions, and the waits the pass ends.
CREATE INDEX recon_items_open ON recon_items (merchant_id, wallet, occurred_at) WHERE outcome <> 'matched' AND resolved = 0;
CREATE INDEX recon_items_wait_until ON recon_items (wait_until) WHERE outcome = 'waiting' AND wait_until IS NOT NULL;
CREATE INDEX recon_items_wait_day ON recon_items (merchant_id, wallet, day) WHERE outcome = 'waiting';

-- A resolution is a person's decision: once resolved, an item stays
-- resolved with its note, whatever later passes find. (An unresolved item
-- is deleted only when the pass finds it is one side of another item.)
-- +goose StatementBegin
CREATE TRIGGER recon_items_stay_resolved BEFORE UPDATE ON recon_items
WHEN OLD.resolved = 1
BEGIN
    SELECT RAISE(ABORT, 'recon_items: a resolved item stays resolved')
    WHERE NEW.resolved <> 1 OR NEW.note IS NOT OLD.note OR NEW.resolved_at IS NOT OLD.resolved_at
       OR NEW.resolved_by IS NOT OLD.resolved_by OR NEW.adjustment_id IS NOT OLD.adjustment_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER recon_items_no_delete BEFORE DELETE ON recon_items
WHEN OLD.resolved = 1
BEGIN
    SELECT RAISE(ABORT, 'recon_items: a resolved item is never deleted');
END;
-- +goose StatementEnd

-- Where the incremental pass stands (one row): the ledger transactions and
-- statement lines (versions) it has read, the opening balances it has
-- applied, and when it last looked for days Netzme's list was read again.
CREATE TABLE recon_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    ledger_after    INTEGER NOT NULL DEFAULT 0,
    line_after      INTEGER NOT NULL DEFAULT 0,
    opening_after   INTEGER NOT NULL DEFAULT 0,
    days_checked_at TEXT    NOT NULL DEFAULT '',
    updated_at      TEXT
) STRICT;
INSERT INTO recon_state (id) VALUES (1);

-- Netzme's balances at the end of each sync (Get Balance Detail §3.3,
-- Get Balance Deposit §3.26): what the balance proof compares the books
-- with. Facts, append-only.
CREATE TABLE netzme_balance_snapshots (
    id            INTEGER PRIMARY KEY,
    merchant_id   INTEGER NOT NULL REFERENCES merchants (id),
    wallet        TEXT    NOT NULL CHECK (wallet IN ('sales', 'deposit')),
    total_minor   INTEGER NOT NULL,
    settled_minor INTEGER NOT NULL,
    raw           TEXT    NOT NULL CHECK (json_valid(raw)),
    run_id        INTEGER, -- the sync run it ended (sync_runs.id)
    as_of         TEXT    NOT NULL
) STRICT;
CREATE INDEX netzme_balance_snapshots_latest ON netzme_balance_snapshots (merchant_id, wallet, id);
-- +goose StatementBegin
CREATE TRIGGER netzme_balance_snapshots_no_update BEFORE UPDATE ON netzme_balance_snapshots
BEGIN
    SELECT RAISE(ABORT, 'netzme_balance_snapshots is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER netzme_balance_snapshots_no_delete BEFORE DELETE ON netzme_balance_snapshots
BEGIN
    SELECT RAISE(ABORT, 'netzme_balance_snapshots is append-only');
END;
-- +goose StatementEnd

-- The opening balance's booking (issue 12 §4): each opening balance of
-- 00012 is booked into the ledger once — the decision, and the ledger
-- transaction when there was an amount to post, are kept here in the same
-- transaction, so a later call never books it again or differently.
--   held_minor  what the books already held on the wallet at as_of (for a
--               merchant linked before its books began); the opening posted
--               is Netzme's total less it
CREATE TABLE ledger_openings (
    opening_id  INTEGER PRIMARY KEY REFERENCES netzme_opening_balances (id),
    merchant_id INTEGER NOT NULL REFERENCES merchants (id),
    ledger_id   INTEGER REFERENCES ledger_transactions (id),
    held_minor  INTEGER NOT NULL,
    booked_at   TEXT    NOT NULL
) STRICT;

-- The rules' look-ups, each an index seek at any size of journal.
CREATE INDEX ledger_transactions_external ON ledger_transactions (merchant_id, external_id) WHERE external_id <> '';
CREATE INDEX ledger_transactions_reference ON ledger_transactions (merchant_id, reference) WHERE reference <> '';
CREATE INDEX invoices_netzme_invoice_id ON invoices (netzme_invoice_id) WHERE netzme_invoice_id <> '';
-- The days of Netzme's lists read again since the pass last looked.
CREATE INDEX statement_days_synced ON statement_days (synced_at) WHERE state = 'done';
-- guess, §3.4: the list documents no partnerReferenceNo; should Netzme send
-- one (in additionalInfo or at the top of the entry), it is ours.
ALTER TABLE statement_lines ADD COLUMN partner_reference_no TEXT GENERATED ALWAYS AS
    (coalesce(raw ->> '$.additionalInfo.partnerReferenceNo', raw ->> '$.partnerReferenceNo', '')) VIRTUAL;
CREATE INDEX statement_lines_partner_ref ON statement_lines (merchant_id, partner_reference_no) WHERE partner_reference_no <> '';

-- A fixed-amount code made at the counter may carry a unique tail (Rp 25.000
-- becomes Rp 25.037): amount_minor holds the amount to pay, tail included,
-- unique among the shop's codes waiting at the time.
ALTER TABLE qris_codes ADD COLUMN unique_tail_minor INTEGER NOT NULL DEFAULT 0 CHECK (unique_tail_minor >= 0);

-- +goose Down
ALTER TABLE qris_codes DROP COLUMN unique_tail_minor;
DROP INDEX statement_lines_partner_ref;
ALTER TABLE statement_lines DROP COLUMN partner_reference_no;
DROP INDEX statement_days_synced;
DROP INDEX invoices_netzme_invoice_id;
DROP INDEX ledger_transactions_reference;
DROP INDEX ledger_transactions_external;
DROP TABLE ledger_openings;
DROP TRIGGER netzme_balance_snapshots_no_delete;
DROP TRIGGER netzme_balance_snapshots_no_update;
DROP TABLE netzme_balance_snapshots;
DROP TABLE recon_state;
DROP TRIGGER recon_items_no_delete;
DROP TRIGGER recon_items_stay_resolved;
DROP TABLE recon_items;
