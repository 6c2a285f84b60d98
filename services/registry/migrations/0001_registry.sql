-- The registry: the district's census ledger.
-- Codes of streets and communities are short lowercase tokens (they appear
-- in NATS subjects); community codes are unique across the district.

CREATE TABLE streets (
    code       text        PRIMARY KEY,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE communities (
    code       text        PRIMARY KEY,
    street     text        NOT NULL REFERENCES streets (code),
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX communities_street_idx ON communities (street);

CREATE TABLE enterprises (
    id                    uuid        PRIMARY KEY,
    name                  text        NOT NULL,
    kind                  text        NOT NULL,
    credit_code           text        UNIQUE,
    street                text        NOT NULL REFERENCES streets (code),
    community             text        NOT NULL REFERENCES communities (code),
    address               text        NOT NULL DEFAULT '',
    contact_name          text        NOT NULL DEFAULT '',
    contact_mobile_enc    bytea,
    contact_mobile_masked text        NOT NULL DEFAULT '',
    has_party_org         boolean     NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enterprises_scope_idx ON enterprises (street, community, id);

-- Mobile and ID number are stored encrypted (AES-GCM), with a keyed hash for
-- lookup and uniqueness and a masked copy for display, so lists and most
-- reads never need the key.
CREATE TABLE workers (
    id                  uuid        PRIMARY KEY,
    name                text        NOT NULL,
    mobile_enc          bytea       NOT NULL,
    mobile_hash         bytea       NOT NULL,
    mobile_masked       text        NOT NULL,
    id_number_enc       bytea       NOT NULL,
    id_number_hash      bytea       NOT NULL,
    id_number_masked    text        NOT NULL,
    occupation          text        NOT NULL,
    street              text        NOT NULL REFERENCES streets (code),
    community           text        NOT NULL REFERENCES communities (code),
    enterprise_id       uuid        REFERENCES enterprises (id),
    platform            text        NOT NULL DEFAULT '',
    political_status    text        NOT NULL,
    mobile_party_member boolean     NOT NULL DEFAULT false,
    home_party_org      text        NOT NULL DEFAULT '',
    status              text        NOT NULL DEFAULT 'active',
    left_at             timestamptz,
    leave_reason        text        NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workers_id_number_unique UNIQUE (id_number_hash)
);
CREATE INDEX workers_scope_idx ON workers (street, community, id);
CREATE INDEX workers_mobile_hash_idx ON workers (mobile_hash);

CREATE TABLE stations (
    id            uuid        PRIMARY KEY,
    name          text        NOT NULL,
    kind          text        NOT NULL,
    street        text        NOT NULL REFERENCES streets (code),
    community     text        NOT NULL REFERENCES communities (code),
    host          text        NOT NULL DEFAULT '',
    lat           float8      NOT NULL,
    lng           float8      NOT NULL,
    address       text        NOT NULL DEFAULT '',
    opening_hours jsonb       NOT NULL,
    facilities    text[]      NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stations_geo_idx ON stations (lat, lng);

-- A worker checks in (报到) once with a community; repeating it is a no-op.
CREATE TABLE checkins (
    id            uuid        PRIMARY KEY,
    worker_id     uuid        NOT NULL REFERENCES workers (id),
    street        text        NOT NULL REFERENCES streets (code),
    community     text        NOT NULL REFERENCES communities (code),
    channel       text        NOT NULL,
    station_id    uuid        REFERENCES stations (id),
    checked_in_at timestamptz NOT NULL,
    CONSTRAINT checkins_worker_community_unique UNIQUE (worker_id, community)
);
CREATE INDEX checkins_scope_idx ON checkins (street, community);

-- Who read personal data in full, when, and why it was allowed.
CREATE TABLE pii_reads (
    id            bigserial   PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_subject text        NOT NULL,
    actor_role    text        NOT NULL,
    actor_street  text        NOT NULL DEFAULT '',
    worker_id     uuid        NOT NULL REFERENCES workers (id),
    fields        text[]      NOT NULL,
    request_id    text        NOT NULL DEFAULT ''
);
CREATE INDEX pii_reads_worker_idx ON pii_reads (worker_id, at);
