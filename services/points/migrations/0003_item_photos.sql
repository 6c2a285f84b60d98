-- A photo of an item of the supermarket, at most one, kept in Postgres on
-- purpose: photos are few and small, points runs replicas with no volume
-- of their own, and a photo is written in one statement, never half.
-- version is the first 16 hex digits of the SHA-256 of the bytes: a new
-- photo is a new version, which clients put in the photo's URL.
CREATE TABLE item_photos (
    item_id      uuid        PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    content_type text        NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    bytes        bytea       NOT NULL,
    size         int         NOT NULL CHECK (size BETWEEN 1 AND 1048576),
    version      text        NOT NULL CHECK (version ~ '^[0-9a-f]{16}$'),
    updated_at   timestamptz NOT NULL,
    CHECK (octet_length(bytes) = size)
);
-- Images are compressed already: keep them out of line without trying
-- to compress them again.
ALTER TABLE item_photos ALTER COLUMN bytes SET STORAGE EXTERNAL;
