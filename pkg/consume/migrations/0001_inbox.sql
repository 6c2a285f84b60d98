-- The inbox: one row per (consumer, event) handled. It commits in the same
-- transaction as the handler's effects, so a redelivered event is seen as
-- done and has no second effect.
CREATE TABLE inbox (
    consumer     text        NOT NULL,
    event_id     text        NOT NULL,
    event_type   text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
