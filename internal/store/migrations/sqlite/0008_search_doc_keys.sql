-- On PostgreSQL the access keys move into the search document. SQLite's FTS5 table already
-- holds them in a column of the same index, so nothing changes here; the file keeps the two
-- backends' versions in step.
SELECT 1;
