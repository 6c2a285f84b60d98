-- Finding a worker by the last 4 digits of the mobile (GET /v1/workers
-- ?mobile_tail=): the masked mobile kept in clear for display
-- (138****5678) already ends with them, so no new column is needed and
-- every existing row is covered; the index makes the lookup cheap.
CREATE INDEX workers_mobile_tail_idx ON workers (right(mobile_masked, 4));

-- Rejected import rows as a file to correct and import again
-- (GET /v1/imports/{id}/rows?status=rejected&format=csv|xlsx): the header
-- row of the upload as written, and each rejected row's cells, sealed with
-- the service's PII key (they hold mobiles and ID numbers) and bound to
-- the job and row. Rows of other outcomes keep no cells. Imports before
-- this release have neither; their file has the reason columns only.
ALTER TABLE import_jobs ADD COLUMN header_cells jsonb;
ALTER TABLE import_rows ADD COLUMN cells_sealed bytea;

-- Who downloaded an import's rejected rows (which hold mobiles and ID
-- numbers in full, as uploaded), recorded before anything is sent.
CREATE TABLE import_row_downloads (
    id            uuid        PRIMARY KEY,
    job_id        uuid        NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    at            timestamptz NOT NULL,
    actor_subject text        NOT NULL,
    actor_role    text        NOT NULL,
    actor_street  text        NOT NULL DEFAULT '',
    format        text        NOT NULL,
    request_id    text        NOT NULL DEFAULT ''
);
CREATE INDEX import_row_downloads_job_idx ON import_row_downloads (job_id, at);
