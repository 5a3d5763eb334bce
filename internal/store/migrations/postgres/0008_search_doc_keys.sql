-- The access keys move into the search document as lexemes (see store.PostgresSearchDoc),
-- so that one GIN lookup intersects the words with what the searcher may see. Their column
-- and its index go; the rows are marked stale (tokenizer 0) so that the start-up reindex
-- writes the new documents before anyone searches.
--
-- The document index stops keeping a pending list: every search scans that list whole (up
-- to 4 MB, 20-40 ms at national scale on this machine) until a vacuum merges it, whereas
-- adding a topic's few hundred lexemes to the tree directly costs a post a millisecond or two.
DROP INDEX topic_search_access;
ALTER TABLE topic_search DROP COLUMN access_keys;
ALTER INDEX topic_search_doc SET (fastupdate = off);
SELECT gin_clean_pending_list('topic_search_doc'::regclass);
UPDATE topic_search SET tokenizer = 0;
