-- How many events each stream has archived, kept by the archiving
-- transaction itself: the figures' lag and a rebuild's progress are read
-- without counting the archive (a scan that grows with it). One row per
-- stream, so the four consumers never wait on one another.
CREATE TABLE archive_counts (
    stream   text   PRIMARY KEY,
    archived bigint NOT NULL
);
INSERT INTO archive_counts (stream, archived)
SELECT stream, count(*) FROM events GROUP BY stream;
