-- +goose Up
-- Group commit (issue 11 §2): the start-up pass applies callbacks left
-- "received" (stored, never applied). A partial index holds only those rows,
-- so looking for them costs nothing with a million callbacks on record.
CREATE INDEX callbacks_unapplied ON callbacks (id) WHERE status = 'received';
-- The dedupe check reads callbacks_dedupe_taken (it repeats that index's
-- condition); an index of every row's key only cost each callback a page.
DROP INDEX callbacks_key;

-- +goose Down
CREATE INDEX callbacks_key ON callbacks (dedupe_key);
DROP INDEX callbacks_unapplied;
