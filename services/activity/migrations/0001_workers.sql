-- What the activity service knows of workers: a projection of registry
-- events (never registry's tables). event_time orders updates, since events
-- of one worker can arrive out of order across subjects.
CREATE TABLE workers (
    id         uuid        PRIMARY KEY,
    street     text        NOT NULL,
    community  text        NOT NULL,
    status     text        NOT NULL, -- active | left
    occupation text        NOT NULL DEFAULT '',
    event_time timestamptz NOT NULL
);
CREATE INDEX workers_scope_idx ON workers (street, community);
