-- Answers to requests sent with an Idempotency-Key, per caller, kept for a
-- day so a client retrying after a timeout gets the first answer again.
CREATE TABLE idempotency_keys (
    caller       text        NOT NULL,
    key          text        NOT NULL,
    route        text        NOT NULL,
    request_hash bytea       NOT NULL,
    status       integer,    -- NULL while the first request is in progress
    content_type text        NOT NULL DEFAULT '',
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
