-- +goose Up
-- Group commit (issue 11 §2): the start-up pass applies callbacks left
-- "received" (stored, never applied). A partial index holds only those rows,
-- so looking for them costs nothing with a million callbacks on record.
CREATE INDEX callbacks_unapplied ON callbacks (id) WHERE status = 'received';

-- +goose Down
DROP INDEX callbacks_unapplied;
