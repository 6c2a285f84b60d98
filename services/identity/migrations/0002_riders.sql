-- Riders sign in with their mobile and a one-time code. The service never
-- keeps a mobile: only its match (a keyed hash shared with the registry,
-- pii.MobileMatch), and of a code only a keyed hash.

-- Workers as the registry's events tell: which mobile match signs in as
-- which worker, where, and whether they still may (status active).
CREATE TABLE workers (
    worker_id    uuid        PRIMARY KEY,
    mobile_match text        NOT NULL,
    street       text        NOT NULL,
    community    text        NOT NULL,
    status       text        NOT NULL, -- active | left | rejected
    event_time   timestamptz NOT NULL  -- of the last event applied
);
CREATE INDEX workers_mobile_match ON workers (mobile_match);

-- The code a mobile may sign in with now: one at a time, 5 minutes, burnt
-- after 5 wrong tries or one right one.
CREATE TABLE otp_codes (
    mobile_match text        PRIMARY KEY,
    code_hash    bytea       NOT NULL,
    expires_at   timestamptz NOT NULL,
    wrong_tries  int         NOT NULL DEFAULT 0
);

-- Every code sent, for the limits per mobile (one a minute, 10 a day) and
-- per address; kept a day.
CREATE TABLE otp_sends (
    mobile_match text        NOT NULL,
    ip           text        NOT NULL,
    sent_at      timestamptz NOT NULL
);
CREATE INDEX otp_sends_mobile ON otp_sends (mobile_match, sent_at);
CREATE INDEX otp_sends_ip ON otp_sends (ip, sent_at);
CREATE INDEX otp_sends_at ON otp_sends (sent_at);

-- Every wrong or unknown code, for the limit per address; kept a day.
CREATE TABLE otp_failures (
    ip        text        NOT NULL,
    failed_at timestamptz NOT NULL
);
CREATE INDEX otp_failures_ip ON otp_failures (ip, failed_at);
CREATE INDEX otp_failures_at ON otp_failures (failed_at);

-- A refresh token is a staff account's or a worker's.
ALTER TABLE refresh_tokens ALTER COLUMN account_id DROP NOT NULL,
    ADD COLUMN worker_id uuid,
    ADD CONSTRAINT refresh_tokens_holder CHECK ((account_id IS NULL) <> (worker_id IS NULL));
CREATE INDEX refresh_tokens_worker ON refresh_tokens (worker_id) WHERE worker_id IS NOT NULL;
