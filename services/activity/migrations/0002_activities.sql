-- Activities the street offices and communities organise, and workers'
-- sign-ups. signed_up counts the active sign-ups; the CHECK is the last
-- line of defence for capacity, the conditional UPDATE the first.
CREATE TABLE activities (
    id                uuid        PRIMARY KEY,
    title             text        NOT NULL,
    kind              text        NOT NULL,
    description       text        NOT NULL DEFAULT '',
    street            text        NOT NULL,
    community         text        NOT NULL DEFAULT '', -- '': the whole street is invited
    address           text        NOT NULL DEFAULT '',
    station_id        uuid,
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz NOT NULL,
    capacity          int         CHECK (capacity > 0), -- NULL: no limit
    volunteer_service boolean     NOT NULL DEFAULT false,
    status            text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'cancelled')),
    cancel_reason     text        NOT NULL DEFAULT '',
    signed_up         int         NOT NULL DEFAULT 0 CHECK (signed_up >= 0 AND (capacity IS NULL OR signed_up <= capacity)),
    created_by        text        NOT NULL,
    created_at        timestamptz NOT NULL,
    published_at      timestamptz,
    cancelled_at      timestamptz,
    CHECK (ends_at > starts_at)
);
CREATE INDEX activities_scope_idx ON activities (street, community, id);

CREATE TABLE signups (
    activity_id  uuid        NOT NULL REFERENCES activities (id),
    worker_id    uuid        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('signed_up', 'withdrawn')),
    created_at   timestamptz NOT NULL,
    withdrawn_at timestamptz,
    PRIMARY KEY (activity_id, worker_id)
);
CREATE INDEX signups_worker_idx ON signups (worker_id);
