-- The latest versions of a collection are read in date_added order through
-- stix_objects_added, testing is_latest on each row (the row is read for its bytes anyway):
-- a second index over the same columns cost every stored object one more B-tree insert,
-- which held TAXII ingest under 20,000 objects a second.
DROP INDEX stix_objects_latest;
