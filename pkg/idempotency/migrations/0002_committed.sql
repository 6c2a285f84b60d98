-- committed is set in the same transaction as the request's own write
-- (db.BeforeCommit): a key whose work committed is never run again. lost is
-- set when such a request then failed before answering (a 5xx after its
-- commit), so a retry is told at once that the work was done.
ALTER TABLE idempotency_keys ADD COLUMN committed boolean NOT NULL DEFAULT false;
ALTER TABLE idempotency_keys ADD COLUMN lost boolean NOT NULL DEFAULT false;
