-- A broadcast whose template is gone or no longer renders its variables
-- (a new version of the service, broadcasts queued by the old) ends
-- failed, with why, instead of being tried again forever.
ALTER TABLE broadcasts DROP CONSTRAINT broadcasts_status_check;
ALTER TABLE broadcasts ADD CONSTRAINT broadcasts_status_check CHECK (status IN ('pending', 'running', 'done', 'failed'));
ALTER TABLE broadcasts ADD COLUMN error text NOT NULL DEFAULT '';
DROP INDEX broadcasts_todo_idx;
CREATE INDEX broadcasts_todo_idx ON broadcasts (created_at) WHERE status IN ('pending', 'running');
