-- The transactional outbox: a business write and its events commit together;
-- the relay publishes rows to JetStream in id order and deletes them only
-- after JetStream has acknowledged them.
CREATE TABLE outbox (
    id         bigserial   PRIMARY KEY,
    event_id   text        NOT NULL UNIQUE,
    subject    text        NOT NULL,
    payload    bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
