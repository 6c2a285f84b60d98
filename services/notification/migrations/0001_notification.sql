-- The notification service: local projections of the people and things it
-- tells about (fed by events, never by reading other services' tables), the
-- notifications themselves (the inbox), their deliveries by channel, the
-- recipients' preferences and broadcasts.

-- Workers, from registry events: whom a segment or an audience reaches.
CREATE TABLE workers (
    id               uuid        PRIMARY KEY,
    street           text        NOT NULL,
    community        text        NOT NULL,
    occupation       text        NOT NULL DEFAULT '',
    political_status text        NOT NULL DEFAULT '',
    status           text        NOT NULL,
    event_time       timestamptz NOT NULL
);
CREATE INDEX workers_audience_idx ON workers (street, community, id) WHERE status = 'active';

-- Communities by code, for their names in messages and to check segments.
CREATE TABLE communities (
    code   text NOT NULL,
    street text NOT NULL,
    name   text NOT NULL,
    PRIMARY KEY (street, code)
);

-- Stations, for the welcome message's nearest stations.
CREATE TABLE stations (
    id        uuid             PRIMARY KEY,
    name      text             NOT NULL,
    address   text             NOT NULL DEFAULT '',
    street    text             NOT NULL,
    community text             NOT NULL,
    lat       double precision NOT NULL,
    lng       double precision NOT NULL
);
CREATE INDEX stations_street_idx ON stations (street);

-- Activities and sign-ups, for "tomorrow" reminders and cancellations.
CREATE TABLE activities (
    id         uuid        PRIMARY KEY,
    title      text        NOT NULL DEFAULT '',
    address    text        NOT NULL DEFAULT '',
    street     text        NOT NULL,
    community  text        NOT NULL DEFAULT '',
    starts_at  timestamptz NOT NULL,
    status     text        NOT NULL, -- published | cancelled
    reminded   boolean     NOT NULL DEFAULT false
);
CREATE INDEX activities_reminder_idx ON activities (starts_at) WHERE status = 'published' AND NOT reminded;

CREATE TABLE signups (
    activity_id uuid    NOT NULL,
    worker_id   uuid    NOT NULL,
    active      boolean NOT NULL,
    PRIMARY KEY (activity_id, worker_id)
);

-- Tasks of the four lists, for deadline reminders to their owners.
CREATE TABLE tasks (
    id             uuid        PRIMARY KEY,
    street         text        NOT NULL,
    person_subject text        NOT NULL DEFAULT '',
    deadline       timestamptz NOT NULL,
    status         text        NOT NULL,
    reminded       boolean     NOT NULL DEFAULT false
);
CREATE INDEX tasks_reminder_idx ON tasks (deadline) WHERE status IN ('open', 'in_progress') AND NOT reminded;

-- A recipient is 'worker:<id>' or 'staff:<token subject>'.
CREATE TABLE preferences (
    recipient      text        PRIMARY KEY,
    lang           text        NOT NULL DEFAULT 'zh-CN',
    channels       jsonb       NOT NULL DEFAULT '{}', -- category → channels on besides the inbox
    quiet_start    time        NOT NULL DEFAULT '22:00',
    quiet_end      time        NOT NULL DEFAULT '07:00',
    webhook_url    text        NOT NULL DEFAULT '',
    webhook_secret text        NOT NULL DEFAULT '',
    updated_at     timestamptz NOT NULL
);

-- One row per message to one recipient; cause makes it once: the event,
-- the broadcast or the reminder that made it.
CREATE TABLE notifications (
    seq           bigint      GENERATED ALWAYS AS IDENTITY UNIQUE, -- inbox order
    id            uuid        PRIMARY KEY,
    recipient     text        NOT NULL,
    street        text        NOT NULL, -- of what caused it: events and deliveries are published under it
    category      text        NOT NULL,
    template      text        NOT NULL,
    title         text        NOT NULL,
    body          text        NOT NULL,
    urgent        boolean     NOT NULL DEFAULT false,
    cause         text        NOT NULL,
    broadcast_id  uuid,
    created_at    timestamptz NOT NULL,
    read_at       timestamptz,
    UNIQUE (cause, recipient)
);
CREATE INDEX notifications_inbox_idx ON notifications (recipient, seq);

-- The push channels' deliveries (the inbox needs none: the row is there).
CREATE TABLE deliveries (
    notification_id uuid        NOT NULL REFERENCES notifications (id),
    channel         text        NOT NULL CHECK (channel IN ('sms', 'wechat', 'webhook')),
    status          text        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL, -- after quiet hours, or the next retry
    last_error      text        NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (notification_id, channel)
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE broadcasts (
    id           uuid        PRIMARY KEY,
    street       text        NOT NULL,
    segment      jsonb       NOT NULL,
    template     text        NOT NULL,
    variables    jsonb       NOT NULL,
    urgent       boolean     NOT NULL DEFAULT false,
    cause        text        NOT NULL UNIQUE, -- 'broadcast:<id>' or the event that asked for it
    status       text        NOT NULL CHECK (status IN ('pending', 'running', 'done')),
    total        int,        -- recipients, counted when the fan-out starts
    sent         int         NOT NULL DEFAULT 0,
    cursor       uuid,       -- the last worker reached
    lease_until  timestamptz,
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    finished_at  timestamptz
);
CREATE INDEX broadcasts_todo_idx ON broadcasts (created_at) WHERE status <> 'done';
