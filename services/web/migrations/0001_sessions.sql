-- Browser sessions of the backend-for-frontend. The browser holds only a
-- random session id (cookie nx_session); this row holds what it stands
-- for. The id is kept only as its SHA-256, so a copy of this table cannot
-- be replayed as cookies; the refresh and enrolment tokens are sealed
-- (AES-GCM under WEB_SESSION_KEY, bound to the row's id hash). The access
-- token lives minutes and is kept as it is, to be sent on every request.
CREATE TABLE sessions (
    id_hash           bytea       PRIMARY KEY,
    csrf_token        text        NOT NULL,
    -- Signed in: the access token, when it expires, the sealed refresh
    -- token. A rider still enrolling has none of them but an enrolment
    -- token.
    access_token      text,
    access_expires_at timestamptz,
    refresh_sealed    bytea,
    enrolment_sealed  bytea,
    -- Whom the tokens are for, as identity said at the last sign-in or
    -- refresh ('' while enrolling).
    subject           text        NOT NULL DEFAULT '',
    role              text        NOT NULL DEFAULT '',
    street            text        NOT NULL DEFAULT '',
    community         text        NOT NULL DEFAULT '',
    worker_id         text        NOT NULL DEFAULT '',
    display_name      text        NOT NULL DEFAULT '',
    -- The session ends with its refresh (or enrolment) token.
    expires_at        timestamptz NOT NULL,
    created_at        timestamptz NOT NULL,
    last_seen_at      timestamptz NOT NULL,
    CHECK ((access_token IS NULL) = (refresh_sealed IS NULL)),
    CHECK (access_token IS NOT NULL OR enrolment_sealed IS NOT NULL)
);

-- The pruner's two questions: which have expired, which are idle.
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);
