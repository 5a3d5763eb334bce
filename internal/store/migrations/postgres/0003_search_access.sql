-- Search rows gain the access keys of their topic (see policy.TopicSearchKeys) with an
-- index of their own, so that a search intersects the text match with what the searcher
-- may see inside the indexes (a BitmapAnd of the two). Existing rows are marked stale
-- (tokenizer 0), so that the start-up reindex writes their keys before anyone searches.
ALTER TABLE topic_search ADD COLUMN access_keys TEXT[] NOT NULL DEFAULT '{}';
CREATE INDEX topic_search_access ON topic_search USING GIN (access_keys);
UPDATE topic_search SET tokenizer = 0;
