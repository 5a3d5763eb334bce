-- SQLite drops stix_objects_latest (see its 0013); PostgreSQL keeps it: its planner uses
-- the partial index for latest-version pages and its ingest is not bound by it.
SELECT 1;
