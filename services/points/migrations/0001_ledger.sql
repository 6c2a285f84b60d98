-- The volunteer-points ledger. Points are money-like to the riders who earn
-- them: balances never go below zero (checked here, whatever the code does),
-- entries are written once and never changed, and every entry names its
-- cause once, so nothing is credited twice.

-- An account per worker, opened from registry events. balance and
-- centihours are running sums of the account's entries (the ledger check
-- recomputes them); centihours are volunteer-service hours × 100.
CREATE TABLE accounts (
    worker_id  uuid        PRIMARY KEY,
    street     text        NOT NULL,
    community  text        NOT NULL,
    status     text        NOT NULL CHECK (status IN ('active', 'left')),
    balance    bigint      NOT NULL DEFAULT 0 CHECK (balance >= 0),
    centihours bigint      NOT NULL DEFAULT 0 CHECK (centihours >= 0),
    star       int         NOT NULL DEFAULT 0 CHECK (star BETWEEN 0 AND 5),
    event_time timestamptz NOT NULL, -- the latest registry event applied
    opened_at  timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX accounts_scope_idx ON accounts (street, community, worker_id);

-- The entries. seq orders one account's entries as they were written (under
-- the account's row lock), so balance_after is the running sum by seq.
CREATE TABLE entries (
    seq            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             uuid        NOT NULL UNIQUE,
    worker_id      uuid        NOT NULL REFERENCES accounts (worker_id),
    street         text        NOT NULL, -- where the points were earned or spent
    community      text        NOT NULL DEFAULT '',
    kind           text        NOT NULL CHECK (kind IN ('earn', 'reverse', 'redeem', 'refund', 'adjust')),
    points         bigint      NOT NULL,
    centihours     bigint      NOT NULL DEFAULT 0,
    balance_after  bigint      NOT NULL CHECK (balance_after >= 0),
    -- What made the entry, once: 'event:<id>' for an earning event,
    -- 'reverse:<id>' for its reversal, 'redeem:<redemption>',
    -- 'refund:<redemption>', 'adjust:<caller>:<key>'.
    cause          text        NOT NULL UNIQUE,
    cause_event_id text        NOT NULL DEFAULT '',
    -- What an earning is for, so a corrected attendance finds what it
    -- replaces: 'attendance:<activity>:<worker>', 'report:<id>'.
    ref            text        NOT NULL DEFAULT '',
    reverses       uuid        REFERENCES entries (id),
    redemption_id  uuid,
    rule_id        uuid,
    service_day    date,       -- the Shanghai day of the service, for daily caps
    capped         boolean     NOT NULL DEFAULT false,
    reason         text        NOT NULL DEFAULT '',
    actor          text        NOT NULL DEFAULT '', -- who adjusted, redeemed or cancelled
    at             timestamptz NOT NULL
);
CREATE INDEX entries_worker_idx ON entries (worker_id, seq);
CREATE INDEX entries_ref_idx ON entries (worker_id, ref) WHERE ref <> '';
CREATE INDEX entries_day_idx ON entries (worker_id, service_day) WHERE service_day IS NOT NULL;
CREATE INDEX entries_board_idx ON entries (street, service_day) WHERE kind IN ('earn', 'reverse');

CREATE FUNCTION entries_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are never changed or removed; write a reversing entry instead';
END
$$;
CREATE TRIGGER entries_no_update BEFORE UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION entries_are_append_only();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION entries_are_append_only();

-- Earning rules per street office, versioned: the rule for a service is the
-- street's latest one effective at the time the service was done.
CREATE TABLE rules (
    id               uuid        PRIMARY KEY,
    street           text        NOT NULL,
    effective_from   timestamptz NOT NULL,
    per_hour         int         NOT NULL CHECK (per_hour >= 0),
    per_activity     jsonb       NOT NULL, -- activity kind → points for attending
    per_valid_report int         NOT NULL CHECK (per_valid_report >= 0),
    daily_cap        int         NOT NULL CHECK (daily_cap > 0),
    note             text        NOT NULL DEFAULT '',
    created_by       text        NOT NULL,
    created_at       timestamptz NOT NULL,
    UNIQUE (street, effective_from)
);

-- The points supermarket (积分超市).
CREATE TABLE stores (
    id         uuid        PRIMARY KEY,
    street     text        NOT NULL,
    community  text        NOT NULL DEFAULT '', -- '' serves the whole street
    name       text        NOT NULL,
    address    text        NOT NULL DEFAULT '',
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX stores_scope_idx ON stores (street, community, id);

-- stocked is everything ever put on the shelf: stock always equals stocked
-- less the quantities of redemptions not cancelled.
CREATE TABLE items (
    id         uuid        PRIMARY KEY,
    store_id   uuid        NOT NULL REFERENCES stores (id),
    name       text        NOT NULL,
    price      int         NOT NULL CHECK (price > 0),
    stock      int         NOT NULL CHECK (stock >= 0),
    stocked    bigint      NOT NULL CHECK (stocked >= stock),
    active     boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX items_store_idx ON items (store_id, id);

-- A redemption keeps the caller's Idempotency-Key and a hash of the request
-- in the same transaction as the points and stock it takes, so a retry after
-- any failure finds it.
CREATE TABLE redemptions (
    id              uuid        PRIMARY KEY,
    worker_id       uuid        NOT NULL REFERENCES accounts (worker_id),
    item_id         uuid        NOT NULL REFERENCES items (id),
    store_id        uuid        NOT NULL REFERENCES stores (id),
    street          text        NOT NULL, -- the store's
    community       text        NOT NULL DEFAULT '',
    quantity        int         NOT NULL CHECK (quantity > 0),
    points          bigint      NOT NULL CHECK (points > 0),
    status          text        NOT NULL CHECK (status IN ('placed', 'fulfilled', 'cancelled')),
    caller          text        NOT NULL,
    idempotency_key text        NOT NULL,
    request_hash    bytea       NOT NULL,
    cancel_reason   text        NOT NULL DEFAULT '',
    closed_by       text        NOT NULL DEFAULT '', -- who fulfilled or cancelled
    created_at      timestamptz NOT NULL,
    closed_at       timestamptz,
    UNIQUE (caller, idempotency_key)
);
CREATE INDEX redemptions_worker_idx ON redemptions (worker_id, id);
CREATE INDEX redemptions_scope_idx ON redemptions (street, community, id);
