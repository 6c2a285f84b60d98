-- Riders' self-registration (线上报到, issue 13). A rider whose mobile the
-- ledger does not know proves it with a one-time code (the identity
-- service) and registers themself; a clerk then confirms or rejects the
-- registration. Rows registered by staff or an import are not
-- self-registered and have no confirmation ('').
ALTER TABLE workers
    ADD COLUMN self_registered boolean     NOT NULL DEFAULT false,
    ADD COLUMN confirmation    text        NOT NULL DEFAULT ''
        CHECK (confirmation IN ('', 'awaiting', 'confirmed', 'rejected')),
    ADD COLUMN created_by      text        NOT NULL DEFAULT '',
    ADD COLUMN decided_at      timestamptz,
    ADD COLUMN decided_by      text        NOT NULL DEFAULT '',
    ADD COLUMN decision_reason text        NOT NULL DEFAULT '',
    ADD CONSTRAINT workers_self_registered_confirmation
        CHECK (self_registered = (confirmation <> ''));

-- One self-registration per mobile: a retry, or two taps at once, finds
-- the first instead of making a second worker.
CREATE UNIQUE INDEX workers_self_registered_mobile ON workers (mobile_hash) WHERE self_registered;

-- The clerks' queue: self-registrations by decision, oldest first, in a scope.
CREATE INDEX workers_confirmation_idx ON workers (confirmation, street, community, id) WHERE self_registered;
