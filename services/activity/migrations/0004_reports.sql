-- Riders' reports (随手拍): hazards and problems a worker reports for the
-- community to handle, with their status history and photos.
CREATE TABLE reports (
    id          uuid             PRIMARY KEY,
    reporter_id uuid             NOT NULL, -- worker_id
    street      text             NOT NULL,
    community   text             NOT NULL DEFAULT '',
    category    text             NOT NULL,
    description text             NOT NULL,
    lat         double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lng         double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
    address     text             NOT NULL DEFAULT '',
    status      text             NOT NULL DEFAULT 'submitted'
        CHECK (status IN ('submitted', 'accepted', 'dispatched', 'resolved', 'closed', 'rejected')),
    valid       boolean,         -- set on close
    due_at      timestamptz      NOT NULL,
    created_at  timestamptz      NOT NULL,
    updated_at  timestamptz      NOT NULL
);
CREATE INDEX reports_scope_idx ON reports (street, community, id);
CREATE INDEX reports_reporter_idx ON reports (reporter_id, id);
CREATE INDEX reports_due_idx ON reports (due_at) WHERE status IN ('submitted', 'accepted', 'dispatched');
CREATE INDEX reports_nearby_idx ON reports (category, created_at, lat, lng);

CREATE TABLE report_transitions (
    report_id     uuid        NOT NULL REFERENCES reports (id),
    from_status   text        NOT NULL,
    to_status     text        NOT NULL,
    actor_subject text        NOT NULL,
    actor_role    text        NOT NULL,
    note          text        NOT NULL DEFAULT '',
    unit          text        NOT NULL DEFAULT '',
    person        text        NOT NULL DEFAULT '',
    at            timestamptz NOT NULL
);
CREATE INDEX report_transitions_report_idx ON report_transitions (report_id, at);

CREATE TABLE report_photos (
    report_id    uuid   NOT NULL REFERENCES reports (id),
    n            int    NOT NULL CHECK (n BETWEEN 1 AND 3),
    content_type text   NOT NULL,
    size         bigint NOT NULL,
    path         text   NOT NULL,
    PRIMARY KEY (report_id, n)
);
