-- The uploaded sheet holds mobiles and ID numbers of everyone in it, and a
-- bytea column is copied to the WAL, to backups and to replicas, where it
-- stays after the row is gone. From this release it is stored sealed with
-- the service's PII key (AES-256-GCM, bound to the job's id) and dropped
-- when the job ends.
--
-- "file" becomes "upload" so that an instance still running the previous
-- release, which would read a sealed upload as a spreadsheet, fails to
-- claim a job (and keeps trying) instead of importing garbage; its
-- uploads fail too, rather than storing a sheet in clear.
ALTER TABLE import_jobs RENAME COLUMN file TO upload;

-- Uploads of jobs queued or running before this release are in clear:
-- false marks them, and the runner seals one as it claims it, so none is
-- read in clear again. (What the WAL and backups already hold of them
-- ages out with them.)
ALTER TABLE import_jobs ADD COLUMN upload_sealed boolean NOT NULL DEFAULT false;
