-- A batch that cannot be written (a database error) is tried again after
-- the job's lease. failures counts the failed attempts since the job last
-- committed a batch (a committed batch sets it back to 0); at the import
-- runner's limit (5 by default) the job is failed with a reason. Counted
-- here, not in an instance's memory, so every instance shares the count.
ALTER TABLE import_jobs ADD COLUMN failures integer NOT NULL DEFAULT 0;
