-- Lists in orders other than by id: the reports queue soonest due first
-- (GET /v1/reports?sort=due_at, keyset on due_at and id) and activities by
-- their start (the from/to date filters, a worker's activities newest first).
CREATE INDEX reports_scope_due_idx ON reports (street, community, due_at, id);
CREATE INDEX activities_starts_idx ON activities (street, starts_at, id);
