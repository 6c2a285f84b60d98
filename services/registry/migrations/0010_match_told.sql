-- Whether the registry has told the identity service (in a worker event)
-- the match of the worker's mobile. Workers registered before events
-- carried it are not told (false); every worker registered since is
-- (its registration carries it), hence the default true for new rows.
-- TellMobileMatches publishes the untold ones once.
ALTER TABLE workers ADD COLUMN match_told boolean NOT NULL DEFAULT false;
ALTER TABLE workers ALTER COLUMN match_told SET DEFAULT true;
CREATE INDEX workers_match_untold ON workers (id) WHERE NOT match_told;
