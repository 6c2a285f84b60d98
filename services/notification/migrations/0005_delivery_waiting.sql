-- Why a pending delivery waits, as decided when its next_attempt_at was
-- set: the recipient's quiet hours, a retry after a failure, or an
-- instance sending it now. The delivery log shows it, so that a push held
-- overnight is not taken for a lost one.
ALTER TABLE deliveries ADD COLUMN waiting text NOT NULL DEFAULT ''
    CHECK (waiting IN ('', 'quiet_hours', 'retry', 'sending'));
-- The pending deliveries of before: never tried means held for quiet hours
-- (the only reason a first try waits); a failure means a retry.
UPDATE deliveries SET waiting = CASE WHEN attempts = 0 THEN 'quiet_hours' WHEN last_error <> '' THEN 'retry' ELSE 'sending' END
WHERE status = 'pending' AND next_attempt_at > updated_at;
