-- The code staff show at the place (a QR code or on a board): a rider
-- checking themself in or out sends it, which shows they are there. Set
-- when an activity is published; activities published before get one now.
ALTER TABLE activities ADD COLUMN checkin_code text NOT NULL DEFAULT '';
-- (Hex digits, with 0 and 1, which read like O and I, made Q and R.)
UPDATE activities SET checkin_code = translate(upper(substr(md5(random()::text || id::text), 1, 6)), '01', 'QR')
WHERE status = 'published';
