-- When a broadcast's fan-out began: its first claim by the job. The
-- broadcast.sent event carries it; a broadcast claimed before this column
-- existed reads its created_at instead.
ALTER TABLE broadcasts ADD COLUMN started_at timestamptz;
