-- +goose Up
-- The books (issue 12 §1): an append-only, double-entry journal. Every money
-- event is ONE ledger transaction whose postings sum to zero, written in the
-- same database transaction as the event itself, under an idempotency key
-- derived from the event's source (a replayed callback posts nothing).
-- Amounts are sen, debit positive, credit negative. The rules below are the
-- database's own, whatever the Go code above does:
--   * a transaction is inserted with its postings as a JSON array; a trigger
--     refuses it unless the amounts are non-zero integers that sum to zero,
--     then writes the postings itself — no posting can be written any other
--     way (every slot of a transaction is taken by its own trigger);
--   * transactions and postings are never updated or deleted (as audit_log);
--     a correction is a reversing transaction, and a transaction is reversed
--     at most once;
--   * every account keeps its running balance (the checkpoint), moved only by
--     a posting, so a balance is one row away at any size of journal; every
--     posting keeps the balance after it, in journal order;
--   * daily totals per merchant, Jakarta day, kind and method move in the
--     same statement as the transaction.
-- `lapak ledger verify` recomputes all of it from the postings.

-- The chart of accounts every merchant has (a starting chart: see
-- docs/ledger.md). type says on which side a positive balance sits.
CREATE TABLE ledger_chart (
    code     TEXT    PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 40),
    type     TEXT    NOT NULL CHECK (type IN ('asset', 'expense', 'income', 'equity')),
    position INTEGER NOT NULL UNIQUE
) STRICT;
INSERT INTO ledger_chart (code, type, position) VALUES
    ('netzme:balance',             'asset',   1),  -- sales money at Netzme (Get Balance Detail totalBalance)
    ('netzme:deposit',             'asset',   2),  -- the deposit at Netzme (Get Balance Deposit)
    ('transit:withdrawal',         'asset',   3),  -- a withdrawal sent, not final yet
    ('transit:deposit-withdrawal', 'asset',   4),  -- the same for the deposit
    ('bank',                       'asset',   5),  -- the merchant's bank account, as far as Lapak knows
    ('nicepay:receivable',         'asset',   6),  -- convenience-store payments NICEPAY holds for us
    ('expense:mdr',                'expense', 7),  -- Netzme's MDR on payments and top-ups
    ('expense:split-fee',          'expense', 8),  -- deposit deductions (§3.20)
    ('income:sales',               'income',  9),  -- gross sales
    ('equity:owner',               'equity',  10), -- the owner's own money (deposit top-ups)
    ('equity:opening',             'equity',  11); -- balances found at link time, and adjustments

-- One account per merchant and chart code. balance_minor, postings and
-- last_posting_id are the checkpoint: the running balance after the newest
-- posting; only a posting can move it (trigger ledger_accounts_guard).
CREATE TABLE ledger_accounts (
    id              INTEGER PRIMARY KEY,
    merchant_id     INTEGER NOT NULL REFERENCES merchants (id),
    code            TEXT    NOT NULL REFERENCES ledger_chart (code),
    balance_minor   INTEGER NOT NULL DEFAULT 0,
    postings        INTEGER NOT NULL DEFAULT 0 CHECK (postings >= 0),
    last_posting_id INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL,
    UNIQUE (merchant_id, code)
) STRICT;

-- One ledger transaction: one business event.
--   key          the idempotency key, unique per merchant, derived from the
--                event's source: invoice-paid:<partnerReferenceNo>,
--                qris:<rrn|yyyymmdd|issuer>, cvs-paid:<paymentRequestId>,
--                withdrawal:<ref>:sent|succeeded|failed, split-fee:<ref>,
--                adjustment:<token>, reversal:<id>
--   kind, method what happened and how it was paid (for totals and lists)
--   amount_minor the event's gross amount, fee_minor Netzme's fee on it
--                (both negated on a reversal)
--   source_*     the record the event belongs to (invoices, payments,
--                cvs_bills, withdrawals, split_fees; '' for adjustments)
--   occurred_at  business time (from Netzme where known); recorded_at when
--                Lapak wrote it; actor + user_id who caused it
--   postings     the postings as written: [{"account": code, "amount": sen}]
CREATE TABLE ledger_transactions (
    id            INTEGER PRIMARY KEY,
    merchant_id   INTEGER NOT NULL REFERENCES merchants (id),
    key           TEXT    NOT NULL CHECK (length(key) BETWEEN 3 AND 200),
    kind          TEXT    NOT NULL CHECK (kind IN ('sale', 'topup', 'withdrawal_sent', 'withdrawal_succeeded',
                          'withdrawal_failed', 'deposit_withdrawal_sent', 'deposit_withdrawal_succeeded',
                          'deposit_withdrawal_failed', 'split_fee', 'adjustment', 'opening_balance')),
    method        TEXT    NOT NULL DEFAULT '' CHECK (length(method) <= 32),
    amount_minor  INTEGER NOT NULL,
    fee_minor     INTEGER NOT NULL DEFAULT 0,
    source_table  TEXT    NOT NULL DEFAULT '' CHECK (source_table IN ('', 'invoices', 'payments', 'cvs_bills',
                          'withdrawals', 'split_fees')),
    source_id     INTEGER,
    reference     TEXT    NOT NULL DEFAULT '', -- our reference: partnerReferenceNo, rrn, payNo
    external_id   TEXT    NOT NULL DEFAULT '', -- the provider's id: trxId, withdrawal id, paymentRequestId
    occurred_at   TEXT    NOT NULL,
    recorded_at   TEXT    NOT NULL,
    actor         TEXT    NOT NULL CHECK (actor IN ('netzme', 'nicepay', 'user', 'system', 'backfill')),
    user_id       INTEGER REFERENCES users (id),
    memo          TEXT    NOT NULL DEFAULT '' CHECK (length(memo) <= 500),
    reverses_id   INTEGER REFERENCES ledger_transactions (id),
    posting_count INTEGER NOT NULL CHECK (posting_count BETWEEN 2 AND 8),
    postings      TEXT    NOT NULL CHECK (json_valid(postings)),
    UNIQUE (merchant_id, key),
    CHECK ((source_table = '') = (source_id IS NULL)),
    CHECK (actor <> 'user' OR user_id IS NOT NULL),
    CHECK (kind <> 'adjustment' OR reverses_id IS NOT NULL OR length(trim(memo)) > 0)
) STRICT;
-- Reversed at most once.
CREATE UNIQUE INDEX ledger_transactions_reversal ON ledger_transactions (reverses_id) WHERE reverses_id IS NOT NULL;
CREATE INDEX ledger_transactions_merchant_occurred ON ledger_transactions (merchant_id, occurred_at DESC, id DESC);
-- The dashboard's last payments (money in), newest first, without a scan.
CREATE INDEX ledger_transactions_money_in ON ledger_transactions (merchant_id, occurred_at DESC, id DESC)
    WHERE kind IN ('sale', 'topup');
CREATE INDEX ledger_transactions_source ON ledger_transactions (source_table, source_id) WHERE source_id IS NOT NULL;

-- One posting: an amount on one account. seq is its place in the
-- transaction's JSON; one account at most once per transaction.
-- balance_after_minor is the account's balance after it, in journal order.
CREATE TABLE ledger_postings (
    id                  INTEGER PRIMARY KEY,
    transaction_id      INTEGER NOT NULL REFERENCES ledger_transactions (id),
    seq                 INTEGER NOT NULL,
    merchant_id         INTEGER NOT NULL REFERENCES merchants (id),
    account_id          INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount_minor        INTEGER NOT NULL CHECK (amount_minor <> 0),
    balance_after_minor INTEGER NOT NULL,
    UNIQUE (transaction_id, seq),
    UNIQUE (transaction_id, account_id)
) STRICT;
CREATE INDEX ledger_postings_account ON ledger_postings (account_id, id);

-- Totals per merchant, Jakarta calendar day (UTC+7, no daylight saving),
-- kind and method, moved by the same statement that writes a transaction
-- (a reversal counts -1 with its negated amounts, on its own day). The
-- dashboard's figures and chart read these, never the journal.
CREATE TABLE ledger_daily (
    merchant_id  INTEGER NOT NULL REFERENCES merchants (id),
    day          TEXT    NOT NULL CHECK (length(day) = 10),
    kind         TEXT    NOT NULL,
    method       TEXT    NOT NULL,
    count        INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    fee_minor    INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, day, kind, method)
) STRICT, WITHOUT ROWID;

-- Whether the journal still has to be filled from the records that existed
-- before it (the start-up step does it once, idempotently, then marks it done).
CREATE TABLE ledger_backfill (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'done')),
    finished_at TEXT
) STRICT;
INSERT INTO ledger_backfill (id, state) VALUES (1, 'pending');

-- Every merchant has the whole chart, from its first moment.
INSERT INTO ledger_accounts (merchant_id, code, created_at)
    SELECT m.id, c.code, m.created_at FROM merchants m CROSS JOIN ledger_chart c;
-- +goose StatementBegin
CREATE TRIGGER merchants_ledger_chart AFTER INSERT ON merchants
BEGIN
    INSERT INTO ledger_accounts (merchant_id, code, created_at)
        SELECT NEW.id, code, NEW.created_at FROM ledger_chart;
END;
-- +goose StatementEnd

-- A transaction is refused unless its postings balance; a reversal must name
-- an unreversed original of the same merchant, kind and method, with the
-- negated amounts.
-- +goose StatementBegin
CREATE TRIGGER ledger_transactions_balanced BEFORE INSERT ON ledger_transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger: postings must be a JSON array of posting_count {account, amount} objects, amounts non-zero integers')
    WHERE json_type(NEW.postings) IS NOT 'array'
       OR (SELECT count(*) <> NEW.posting_count
                  OR total(type IS NOT 'object' OR json_type(value, '$.amount') IS NOT 'integer'
                           OR value ->> 'amount' = 0 OR json_type(value, '$.account') IS NOT 'text') > 0
           FROM json_each(NEW.postings));
    SELECT RAISE(ABORT, 'ledger: unbalanced transaction: postings do not sum to zero')
    WHERE (SELECT sum(value ->> 'amount') FROM json_each(NEW.postings)) <> 0;
    SELECT RAISE(ABORT, 'ledger: a reversal must name a transaction of the same merchant, kind and method that is not a reversal, with the negated amounts')
    WHERE NEW.reverses_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM ledger_transactions o
        WHERE o.id = NEW.reverses_id AND o.merchant_id = NEW.merchant_id AND o.reverses_id IS NULL
          AND o.kind = NEW.kind AND o.method = NEW.method AND o.amount_minor = -NEW.amount_minor
          AND o.fee_minor = -NEW.fee_minor AND o.posting_count = NEW.posting_count);
END;
-- +goose StatementEnd

-- The postings are written here and only here, then the daily totals move.
-- +goose StatementBegin
CREATE TRIGGER ledger_transactions_post AFTER INSERT ON ledger_transactions
BEGIN
    INSERT INTO ledger_postings (transaction_id, seq, merchant_id, account_id, amount_minor, balance_after_minor)
        SELECT NEW.id, j.key + 1, NEW.merchant_id, a.id, j.value ->> 'amount', a.balance_minor + (j.value ->> 'amount')
        FROM json_each(NEW.postings) j
        JOIN ledger_accounts a ON a.merchant_id = NEW.merchant_id AND a.code = j.value ->> 'account'
        ORDER BY j.key;
    SELECT RAISE(ABORT, 'ledger: posting to an account the merchant does not have')
    WHERE (SELECT count(*) FROM ledger_postings WHERE transaction_id = NEW.id) <> NEW.posting_count;
    SELECT RAISE(ABORT, 'ledger: a reversal must negate every posting of the transaction it reverses')
    WHERE NEW.reverses_id IS NOT NULL AND EXISTS (
        SELECT account_id, -amount_minor FROM ledger_postings WHERE transaction_id = NEW.reverses_id
        EXCEPT
        SELECT account_id, amount_minor FROM ledger_postings WHERE transaction_id = NEW.id);
    INSERT INTO ledger_daily (merchant_id, day, kind, method, count, amount_minor, fee_minor)
        VALUES (NEW.merchant_id, date(NEW.occurred_at, '+7 hours'), NEW.kind, NEW.method,
                CASE WHEN NEW.reverses_id IS NULL THEN 1 ELSE -1 END, NEW.amount_minor, NEW.fee_minor)
        ON CONFLICT (merchant_id, day, kind, method) DO UPDATE SET
            count = count + excluded.count,
            amount_minor = amount_minor + excluded.amount_minor,
            fee_minor = fee_minor + excluded.fee_minor;
END;
-- +goose StatementEnd

-- A posting written any other way than by ledger_transactions_post is
-- refused: it must take a free slot (seq 1..posting_count) of an existing
-- transaction of the same merchant, on an account of that merchant — and
-- ledger_transactions_post takes every slot in the statement that writes the
-- transaction, so after it none is free (UNIQUE (transaction_id, seq)).
-- +goose StatementBegin
CREATE TRIGGER ledger_postings_slot BEFORE INSERT ON ledger_postings
BEGIN
    SELECT RAISE(ABORT, 'ledger: postings are written only with their transaction')
    WHERE NOT coalesce((SELECT NEW.seq BETWEEN 1 AND t.posting_count AND t.merchant_id = NEW.merchant_id
                        FROM ledger_transactions t WHERE t.id = NEW.transaction_id), 0)
       OR (SELECT merchant_id FROM ledger_accounts WHERE id = NEW.account_id) IS NOT NEW.merchant_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER ledger_postings_checkpoint AFTER INSERT ON ledger_postings
BEGIN
    UPDATE ledger_accounts SET balance_minor = NEW.balance_after_minor, postings = postings + 1,
        last_posting_id = NEW.id
    WHERE id = NEW.account_id;
END;
-- +goose StatementEnd

-- The checkpoint moves only by the posting just written.
-- +goose StatementBegin
CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE ON ledger_accounts
BEGIN
    SELECT RAISE(ABORT, 'ledger: an account balance moves only with a posting')
    WHERE NEW.id <> OLD.id OR NEW.merchant_id <> OLD.merchant_id OR NEW.code <> OLD.code
       OR NEW.created_at <> OLD.created_at OR NEW.postings <> OLD.postings + 1
       OR NEW.last_posting_id <= OLD.last_posting_id
       OR NOT coalesce((SELECT p.account_id = NEW.id AND p.balance_after_minor = NEW.balance_minor
                               AND p.amount_minor = NEW.balance_minor - OLD.balance_minor
                        FROM ledger_postings p WHERE p.id = NEW.last_posting_id), 0);
END;
-- +goose StatementEnd

-- Append-only, as audit_log.
-- +goose StatementBegin
CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE ON ledger_transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger_transactions is append-only: post a reversing transaction');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger_transactions is append-only: post a reversing transaction');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_postings_no_update BEFORE UPDATE ON ledger_postings
BEGIN
    SELECT RAISE(ABORT, 'ledger_postings is append-only: post a reversing transaction');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_postings_no_delete BEFORE DELETE ON ledger_postings
BEGIN
    SELECT RAISE(ABORT, 'ledger_postings is append-only: post a reversing transaction');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
BEGIN
    SELECT RAISE(ABORT, 'ledger_accounts are never deleted');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_daily_no_delete BEFORE DELETE ON ledger_daily
BEGIN
    SELECT RAISE(ABORT, 'ledger_daily moves only with the journal');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_chart_no_delete BEFORE DELETE ON ledger_chart
BEGIN
    SELECT RAISE(ABORT, 'ledger_chart codes are never deleted');
END;
-- +goose StatementEnd

-- Netzme's own records (issue 12 §2: statement sync), pulled day by day and
-- page by page into Lapak, the raw entry kept. A line is one version of one
-- Netzme record: when Netzme later sends the same record changed (a late
-- fee, a reversal), that is a new fact and a new row (version + 1); nothing
-- here is updated or deleted.
CREATE TABLE statement_lines (
    id            INTEGER PRIMARY KEY,
    merchant_id   INTEGER NOT NULL REFERENCES merchants (id),
    source        TEXT    NOT NULL CHECK (source IN ('sales', 'deposit')), -- §3.4 / §3.25
    netzme_id     TEXT    NOT NULL CHECK (length(netzme_id) BETWEEN 1 AND 200), -- transactionId (else invoiceId)
    version       INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    day           TEXT    NOT NULL CHECK (length(day) = 10), -- the Jakarta day it was read for
    occurred_at   TEXT,                                      -- createdTs, else tsLong; NULL if neither reads
    type          TEXT    NOT NULL DEFAULT '',               -- PAYMENT, TOP_UP, …
    status        TEXT    NOT NULL DEFAULT '',
    method        TEXT    NOT NULL DEFAULT '',
    invoice_id    TEXT    NOT NULL DEFAULT '',
    amount_minor  INTEGER NOT NULL,
    fee_minor     INTEGER NOT NULL DEFAULT 0,
    total_minor   INTEGER NOT NULL DEFAULT 0,
    raw           TEXT    NOT NULL CHECK (json_valid(raw)),
    raw_sha256    TEXT    NOT NULL CHECK (length(raw_sha256) = 64),
    fetched_at    TEXT    NOT NULL,
    UNIQUE (merchant_id, source, netzme_id, version),
    UNIQUE (merchant_id, source, netzme_id, raw_sha256)
) STRICT;
CREATE INDEX statement_lines_day ON statement_lines (merchant_id, day);
-- +goose StatementBegin
CREATE TRIGGER statement_lines_no_update BEFORE UPDATE ON statement_lines
BEGIN
    SELECT RAISE(ABORT, 'statement_lines are kept as Netzme sent them');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER statement_lines_no_delete BEFORE DELETE ON statement_lines
BEGIN
    SELECT RAISE(ABORT, 'statement_lines are kept as Netzme sent them');
END;
-- +goose StatementEnd

-- The sync cursor: where each merchant's day of each source stands. A day is
-- read page by page and next_page moves with each page stored (in the same
-- transaction as its lines), so a sync killed mid-day resumes at the page it
-- had reached. A failed read records the error, counts the attempt and sets
-- retry_at (back-off); the next sync skips the day until then.
CREATE TABLE statement_days (
    merchant_id INTEGER NOT NULL REFERENCES merchants (id),
    source      TEXT    NOT NULL CHECK (source IN ('sales', 'deposit')),
    day         TEXT    NOT NULL CHECK (length(day) = 10),
    state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    next_page   INTEGER NOT NULL DEFAULT 1 CHECK (next_page >= 1),
    lines       INTEGER NOT NULL DEFAULT 0 CHECK (lines >= 0),     -- lines read for the day, this pass
    new_lines   INTEGER NOT NULL DEFAULT 0 CHECK (new_lines >= 0), -- of which new or changed
    attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),  -- failures in a row
    last_error  TEXT    NOT NULL DEFAULT '',
    retry_at    TEXT,
    synced_at   TEXT,
    PRIMARY KEY (merchant_id, source, day)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE statement_days;
DROP TRIGGER statement_lines_no_delete;
DROP TRIGGER statement_lines_no_update;
DROP TABLE statement_lines;
DROP TRIGGER ledger_chart_no_delete;
DROP TRIGGER ledger_daily_no_delete;
DROP TRIGGER ledger_accounts_no_delete;
DROP TRIGGER ledger_postings_no_delete;
DROP TRIGGER ledger_postings_no_update;
DROP TRIGGER ledger_transactions_no_delete;
DROP TRIGGER ledger_transactions_no_update;
DROP TRIGGER ledger_accounts_guard;
DROP TRIGGER ledger_postings_checkpoint;
DROP TRIGGER ledger_postings_slot;
DROP TRIGGER ledger_transactions_post;
DROP TRIGGER ledger_transactions_balanced;
DROP TRIGGER merchants_ledger_chart;
DROP TABLE ledger_backfill;
DROP TABLE ledger_daily;
DROP TABLE ledger_postings;
DROP TABLE ledger_transactions;
DROP TABLE ledger_accounts;
DROP TABLE ledger_chart;
