-- Spreadsheet imports (census rounds). The upload is kept until the job is
-- done, so any instance can pick the job up (and resume it after a crash
-- from the last committed row).
CREATE TABLE import_jobs (
    id              uuid        PRIMARY KEY,
    kind            text        NOT NULL,  -- workers | enterprises
    file_name       text        NOT NULL,
    format          text        NOT NULL,  -- xlsx | csv
    file            bytea,                 -- dropped when the job ends
    header_row      integer     NOT NULL,  -- spreadsheet row number of the header
    columns         jsonb       NOT NULL,  -- field -> column index and header text
    total_rows      integer     NOT NULL,
    last_row        integer     NOT NULL DEFAULT 0, -- last spreadsheet row committed
    processed       integer     NOT NULL DEFAULT 0,
    created         integer     NOT NULL DEFAULT 0,
    updated         integer     NOT NULL DEFAULT 0,
    unchanged       integer     NOT NULL DEFAULT 0,
    rejected        integer     NOT NULL DEFAULT 0,
    status          text        NOT NULL DEFAULT 'queued', -- queued | running | done | failed
    error_zh        text        NOT NULL DEFAULT '',
    error_en        text        NOT NULL DEFAULT '',
    actor_subject   text        NOT NULL,
    actor_role      text        NOT NULL,
    actor_street    text        NOT NULL DEFAULT '',
    actor_community text        NOT NULL DEFAULT '',
    lease_until     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz
);
CREATE INDEX import_jobs_pending_idx ON import_jobs (created_at) WHERE status IN ('queued', 'running');

CREATE TABLE import_rows (
    job_id    uuid    NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    row       integer NOT NULL,
    status    text    NOT NULL, -- created | updated | unchanged | rejected
    entity_id uuid,
    changed   text[]  NOT NULL DEFAULT '{}',
    errors    jsonb   NOT NULL DEFAULT '[]',
    PRIMARY KEY (job_id, row)
);
CREATE INDEX import_rows_status_idx ON import_rows (job_id, status, row);

CREATE INDEX communities_name_idx ON communities (name);
CREATE INDEX enterprises_name_idx ON enterprises (street, name);
