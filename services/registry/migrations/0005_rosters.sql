-- Roster exports (一台账三名册): every export of a roster is recorded before
-- any of it is sent, with who asked, for what, and how many rows it held.
-- An export with personal data in full also records one pii_reads row per
-- worker whose mobile and ID number went out, tied to the export; the
-- export then sends only workers so recorded.

CREATE TABLE roster_exports (
    id              uuid        PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    actor_subject   text        NOT NULL,
    actor_role      text        NOT NULL,
    actor_street    text        NOT NULL DEFAULT '',
    actor_community text        NOT NULL DEFAULT '',
    kind            text        NOT NULL,  -- enterprises | workers | party-members | candidates
    filters         jsonb       NOT NULL,  -- the scope and filters the export covered
    format          text        NOT NULL,  -- json | csv | xlsx
    pii             text        NOT NULL,  -- masked | full
    row_count       integer     NOT NULL,  -- rows in the roster when it was recorded
    request_id      text        NOT NULL DEFAULT ''
);
CREATE INDEX roster_exports_at_idx ON roster_exports (at);

ALTER TABLE pii_reads ADD COLUMN roster_export_id uuid REFERENCES roster_exports (id);
CREATE INDEX pii_reads_roster_export_idx ON pii_reads (roster_export_id, worker_id) WHERE roster_export_id IS NOT NULL;
