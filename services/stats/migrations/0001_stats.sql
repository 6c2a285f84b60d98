-- The archive: every event the stats service has taken from the other
-- services' streams, kept for good. It is the inbox (an event id is archived
-- once, whatever the redelivery) and what a rebuild replays, so figures
-- survive the streams' one-year retention. Events carry ids, codes and
-- categories, never a name, mobile or ID number.
CREATE TABLE events (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The archiving transaction: the projector reads committed rows in
    -- (txid, seq) order, below the oldest transaction still running, so a
    -- row is never passed over while its transaction is in flight.
    txid     xid8        NOT NULL DEFAULT pg_current_xact_id(),
    id       text        NOT NULL UNIQUE,
    stream   text        NOT NULL,
    type     text        NOT NULL,
    envelope jsonb       NOT NULL,
    archived_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_order ON events (txid, seq);

-- Figures are kept per generation: a rebuild fills a new generation from
-- the archive beside the live one and takes its place when it has caught
-- up. state has the one row.
CREATE TABLE state (
    one              boolean PRIMARY KEY DEFAULT true CHECK (one),
    current_gen      int     NOT NULL,
    current_version  int     NOT NULL,
    building_gen     int,
    building_version int,
    building_since   timestamptz,
    last_rebuilt_at  timestamptz
);
-- Generation 0 of version 1, the version that created this schema: a later
-- version of the code rebuilds on its first start.
INSERT INTO state (current_gen, current_version) VALUES (0, 1);

-- How far each generation has applied the archive.
CREATE TABLE progress (
    gen     int    PRIMARY KEY,
    txid    xid8   NOT NULL DEFAULT '0',
    seq     bigint NOT NULL DEFAULT 0,
    applied bigint NOT NULL DEFAULT 0
);
INSERT INTO progress (gen) VALUES (0);

-- The state of each entity a figure follows (a worker, a report, a task):
-- its place, the stock figures it counts in (facts) and what later events
-- need (attrs).
CREATE TABLE entities (
    gen       int   NOT NULL,
    kind      text  NOT NULL,
    id        text  NOT NULL,
    street    text  NOT NULL DEFAULT '',
    community text  NOT NULL DEFAULT '',
    state     jsonb NOT NULL,
    PRIMARY KEY (gen, kind, id)
);

-- Figures: changes per day and per month at three levels of area — the
-- district (street '', community ''), a street (community '') and a
-- community. A stock as of a date is the sum of its changes up to it; a flow
-- in a month is the month's sum.
CREATE TABLE daily (
    gen       int    NOT NULL,
    metric    text   NOT NULL,
    key       text   NOT NULL,
    street    text   NOT NULL,
    community text   NOT NULL,
    day       date   NOT NULL,
    value     bigint NOT NULL,
    PRIMARY KEY (gen, street, community, day, metric, key)
);
CREATE TABLE monthly (
    gen       int    NOT NULL,
    metric    text   NOT NULL,
    key       text   NOT NULL,
    street    text   NOT NULL,
    community text   NOT NULL,
    month     date   NOT NULL,
    value     bigint NOT NULL,
    PRIMARY KEY (gen, street, community, month, metric, key)
);
