-- The places tables (pkg/places) start with the streets and communities of
-- the workers already projected: the registry created them, and their
-- events may have aged out of the stream.
INSERT INTO streets (code) SELECT DISTINCT street FROM workers ON CONFLICT DO NOTHING;
INSERT INTO communities (street, code) SELECT DISTINCT street, community FROM workers ON CONFLICT DO NOTHING;
