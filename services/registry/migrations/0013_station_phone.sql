-- A station's telephone, for a rider to call before riding over ('' when
-- the station has none to give).
ALTER TABLE stations ADD COLUMN phone text NOT NULL DEFAULT '';
