-- +goose Up
-- The counter and the everyday (issue 13): public pay links, fixed-amount
-- codes shown at the counter waiting for their static-QRIS payment, cashier
-- shifts, and what Lapak knows of the withdrawal PIN.

-- A public pay link: /p/{token} shows one sale invoice or convenience-store
-- bill to whoever holds the token — the shop, the amount, how to pay,
-- the expiry and the status, nothing else. The token is 144 random bits
-- (base64url, 24 characters) kept as text under a unique key rather than
-- hashed: the share buttons show the same link again, and the link only
-- opens the public face of one payment. One link per target, made on first
-- use.
CREATE TABLE pay_links (
    id           INTEGER PRIMARY KEY,
    token        TEXT    NOT NULL UNIQUE CHECK (length(token) BETWEEN 22 AND 64),
    merchant_id  INTEGER NOT NULL REFERENCES merchants (id),
    invoice_id   INTEGER REFERENCES invoices (id),
    cvs_bill_id  INTEGER REFERENCES cvs_bills (id),
    created_at   TEXT    NOT NULL,
    CHECK ((invoice_id IS NOT NULL) + (cvs_bill_id IS NOT NULL) = 1)
) STRICT;
CREATE UNIQUE INDEX pay_links_invoice ON pay_links (invoice_id) WHERE invoice_id IS NOT NULL;
CREATE UNIQUE INDEX pay_links_cvs_bill ON pay_links (cvs_bill_id) WHERE cvs_bill_id IS NOT NULL;

-- Counter mode shows a fixed-amount code converted from the static QRIS
-- (qris.md §7). Its payment arrives as an ordinary static-QRIS payment with
-- no reference to the code, so a code shown at the counter waits until
-- awaiting_until, and a static payment of exactly its amount arriving in
-- that window — when no other waiting code of the shop has the same amount —
-- is matched to it (payment_id). Printed codes (awaiting_until NULL) are
-- never matched.
ALTER TABLE qris_codes ADD COLUMN awaiting_until TEXT;
ALTER TABLE qris_codes ADD COLUMN payment_id INTEGER; -- payments.id (as callbacks.payment_id)
CREATE UNIQUE INDEX qris_codes_payment ON qris_codes (payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX qris_codes_awaiting ON qris_codes (merchant_id, amount_minor) WHERE awaiting_until IS NOT NULL AND payment_id IS NULL;

-- A cashier's shift (tutup kasir): opened and closed by the cashier (an owner
-- may close a forgotten one). Its report is computed from the books over
-- [opened_at, closed_at), never stored, so a payment confirmed late still
-- shows on a reprint.
CREATE TABLE shifts (
    id          INTEGER PRIMARY KEY,
    merchant_id INTEGER NOT NULL REFERENCES merchants (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    opened_at   TEXT    NOT NULL,
    closed_at   TEXT,
    closed_by   INTEGER REFERENCES users (id),
    CHECK (closed_at IS NULL OR closed_at >= opened_at)
) STRICT;
-- One open shift per person and shop.
CREATE UNIQUE INDEX shifts_one_open ON shifts (merchant_id, user_id) WHERE closed_at IS NULL;
CREATE INDEX shifts_merchant ON shifts (merchant_id, id DESC);

-- What Lapak last learnt about the merchant's withdrawal PIN at Netzme:
-- 'set' (created, accepted, reset, or refused as existing), 'missing'
-- (Netzme said none exists) or 'unknown'. The PIN page offers "Buat PIN"
-- unless it is set and "Lupa PIN" only once it is.
ALTER TABLE merchants ADD COLUMN pin_state TEXT NOT NULL DEFAULT 'unknown' CHECK (pin_state IN ('unknown', 'set', 'missing'));

-- +goose Down
ALTER TABLE merchants DROP COLUMN pin_state;
DROP TABLE shifts;
DROP INDEX qris_codes_awaiting;
DROP INDEX qris_codes_payment;
ALTER TABLE qris_codes DROP COLUMN payment_id;
ALTER TABLE qris_codes DROP COLUMN awaiting_until;
DROP TABLE pay_links;
