-- A station closes (it no longer shows among the nearby ones) and an
-- enterprise closes (it stays in the ledger, flagged): the record stays,
-- with when and why. A station's edits are dated by updated_at.
ALTER TABLE stations ADD COLUMN updated_at timestamptz;
UPDATE stations SET updated_at = created_at;
ALTER TABLE stations ALTER COLUMN updated_at SET NOT NULL;
ALTER TABLE stations ADD COLUMN closed_at timestamptz;
ALTER TABLE stations ADD COLUMN close_reason text NOT NULL DEFAULT '';
CREATE INDEX stations_scope_idx ON stations (street, community, id);

-- closed_on is the day the enterprise closed, as the clerk was told;
-- closed_at is when the clerk recorded it.
ALTER TABLE enterprises ADD COLUMN closed_on date;
ALTER TABLE enterprises ADD COLUMN closed_at timestamptz;
ALTER TABLE enterprises ADD COLUMN close_reason text NOT NULL DEFAULT '';
