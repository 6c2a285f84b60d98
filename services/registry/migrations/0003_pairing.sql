-- Pairing and monthly contact (结对联系): each worker is paired with a
-- community contact who must reach them at least once a month.

-- A pairing of a worker with a staff member (named by the subject they sign
-- in with). It belongs to the worker's current community (read through the
-- worker, so a transferred worker's pairing follows them). ended_at is NULL
-- while it is active.
CREATE TABLE pairings (
    id            uuid        PRIMARY KEY,
    worker_id     uuid        NOT NULL REFERENCES workers (id),
    staff_subject text        NOT NULL,
    staff_name    text        NOT NULL,
    note          text        NOT NULL DEFAULT '',
    created_by    text        NOT NULL,
    created_at    timestamptz NOT NULL,
    ended_at      timestamptz,
    ended_by      text        NOT NULL DEFAULT '',
    end_reason    text        NOT NULL DEFAULT '',
    CONSTRAINT pairings_ended_after_created CHECK (ended_at IS NULL OR ended_at >= created_at)
);
-- One active pairing per worker; two clerks pairing the same worker at the
-- same moment cannot both succeed.
CREATE UNIQUE INDEX pairings_one_active_per_worker ON pairings (worker_id) WHERE ended_at IS NULL;
CREATE INDEX pairings_worker_idx ON pairings (worker_id);
CREATE INDEX pairings_staff_idx ON pairings (staff_subject, id);

-- A contact (a visit, a call, a WeChat message) with a paired worker.
-- contacted_at is when it happened, recorded_at when it was entered.
CREATE TABLE pairing_contacts (
    id           uuid        PRIMARY KEY,
    pairing_id   uuid        NOT NULL REFERENCES pairings (id),
    contacted_at timestamptz NOT NULL,
    method       text        NOT NULL,
    note         text        NOT NULL DEFAULT '',
    recorded_by  text        NOT NULL,
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX pairing_contacts_pairing_idx ON pairing_contacts (pairing_id, contacted_at);

-- The months (first day, Asia/Shanghai) a pairing was flagged overdue. The
-- primary key makes the overdue event once per pairing and month, however
-- often and from however many instances the job runs: the flag and the
-- event's outbox row commit together, and ON CONFLICT DO NOTHING decides.
CREATE TABLE pairing_overdue_flags (
    pairing_id      uuid        NOT NULL REFERENCES pairings (id),
    month           date        NOT NULL CHECK (extract(day FROM month) = 1),
    last_contact_at timestamptz,
    flagged_at      timestamptz NOT NULL,
    PRIMARY KEY (pairing_id, month)
);
