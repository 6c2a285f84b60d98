-- The streets the registry created: with the communities above, what a
-- token's street or community is checked against (pkg/places projects
-- both, in a durable of its own that reads the registry's stream from its
-- start).
CREATE TABLE streets (
    code text PRIMARY KEY,
    name text NOT NULL DEFAULT ''
);
-- The streets already known through their communities, so that their
-- tokens are accepted from the start, before that durable has caught up.
INSERT INTO streets (code) SELECT DISTINCT street FROM communities ON CONFLICT DO NOTHING;
