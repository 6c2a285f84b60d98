-- Party candidates and transfers (接续培养).
--
-- A worker's political status moves along the party-development pipeline
-- one dated step at a time; each step is kept, with where the worker was
-- when it was recorded. Steps and transfers hang off the worker id, so when
-- a worker moves to another community or street office the receiving side
-- sees the whole record.

CREATE TABLE worker_status_steps (
    id            uuid        PRIMARY KEY,
    worker_id     uuid        NOT NULL REFERENCES workers (id),
    from_status   text        NOT NULL,
    to_status     text        NOT NULL,
    effective_on  date        NOT NULL,
    party_org     text        NOT NULL,
    note          text        NOT NULL DEFAULT '',
    actor_subject text        NOT NULL,
    street        text        NOT NULL,
    community     text        NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX worker_status_steps_worker_idx ON worker_status_steps (worker_id, effective_on, recorded_at);

-- A worker's moves between communities and street offices.
CREATE TABLE worker_transfers (
    id             uuid        PRIMARY KEY,
    worker_id      uuid        NOT NULL REFERENCES workers (id),
    from_street    text        NOT NULL REFERENCES streets (code),
    from_community text        NOT NULL REFERENCES communities (code),
    to_street      text        NOT NULL REFERENCES streets (code),
    to_community   text        NOT NULL REFERENCES communities (code),
    reason         text        NOT NULL,
    effective_on   date        NOT NULL,
    actor_subject  text        NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT worker_transfers_moves CHECK (from_community <> to_community)
);
CREATE INDEX worker_transfers_worker_idx ON worker_transfers (worker_id, effective_on, recorded_at);
