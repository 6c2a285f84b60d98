-- Staff accounts: who may sign in with a password, in which role and
-- scope. The password is kept only as an argon2id hash (PHC string).
CREATE TABLE accounts (
    id              uuid        PRIMARY KEY,
    username        text        NOT NULL UNIQUE,
    display_name    text        NOT NULL DEFAULT '',
    role            text        NOT NULL CHECK (role IN ('district_admin', 'street_admin', 'community_staff')),
    street          text        NOT NULL DEFAULT '',
    community       text        NOT NULL DEFAULT '',
    grid            text        NOT NULL DEFAULT '', -- 网格, for a grid worker
    password_hash   text        NOT NULL,
    must_change     boolean     NOT NULL DEFAULT true,
    disabled        boolean     NOT NULL DEFAULT false,
    failed_attempts int         NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    created_by      text        NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX accounts_scope ON accounts (street, community);

-- Refresh tokens: only a hash of each is kept. Every use rotates the
-- token (used_at set, a new one of the same family issued); a used token
-- presented again means it was stolen, and the whole family is revoked.
CREATE TABLE refresh_tokens (
    token_hash  bytea       PRIMARY KEY,
    family      uuid        NOT NULL,
    account_id  uuid        NOT NULL REFERENCES accounts (id),
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
