-- Staff merge a duplicate report into the one they keep for the same
-- problem: the duplicate becomes 'merged' (final) and points at it.
-- reports_status_check is the name Postgres gave 0004's inline CHECK.
ALTER TABLE reports DROP CONSTRAINT reports_status_check;
ALTER TABLE reports ADD CONSTRAINT reports_status_check
    CHECK (status IN ('submitted', 'accepted', 'dispatched', 'resolved', 'closed', 'rejected', 'merged'));

ALTER TABLE reports ADD COLUMN merged_into uuid REFERENCES reports (id);
-- A merged report always says into which, and only a merged one does.
ALTER TABLE reports ADD CONSTRAINT reports_merged_into_check
    CHECK ((status = 'merged') = (merged_into IS NOT NULL));
ALTER TABLE reports ADD CONSTRAINT reports_merged_into_other_check CHECK (merged_into <> id);
