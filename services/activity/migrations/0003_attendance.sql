-- Attendance at activities: a worker's check-in and check-out, and the
-- served hours computed from them (capped by the activity window). hours is
-- NULL until the worker has checked out.
CREATE TABLE attendance (
    activity_id       uuid         NOT NULL REFERENCES activities (id),
    worker_id         uuid         NOT NULL,
    checked_in_at     timestamptz  NOT NULL,
    checked_out_at    timestamptz,
    hours             numeric(6,2) CHECK (hours >= 0),
    recorded_by       text         NOT NULL,
    corrected         boolean      NOT NULL DEFAULT false,
    correction_reason text         NOT NULL DEFAULT '',
    updated_at        timestamptz  NOT NULL,
    PRIMARY KEY (activity_id, worker_id),
    CHECK (checked_out_at IS NULL OR checked_out_at >= checked_in_at),
    CHECK ((checked_out_at IS NULL) = (hours IS NULL))
);
CREATE INDEX attendance_worker_idx ON attendance (worker_id);

-- Every staff correction of an attendance: who, when, why, and the times
-- and hours before and after.
CREATE TABLE attendance_corrections (
    id                 uuid         PRIMARY KEY,
    activity_id        uuid         NOT NULL,
    worker_id          uuid         NOT NULL,
    corrected_by       text         NOT NULL,
    corrected_at       timestamptz  NOT NULL,
    reason             text         NOT NULL,
    old_checked_in_at  timestamptz  NOT NULL,
    old_checked_out_at timestamptz,
    old_hours          numeric(6,2),
    new_checked_in_at  timestamptz  NOT NULL,
    new_checked_out_at timestamptz  NOT NULL,
    new_hours          numeric(6,2) NOT NULL,
    FOREIGN KEY (activity_id, worker_id) REFERENCES attendance (activity_id, worker_id)
);
CREATE INDEX attendance_corrections_idx ON attendance_corrections (activity_id, worker_id, corrected_at);
