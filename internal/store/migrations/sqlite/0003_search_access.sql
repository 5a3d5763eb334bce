-- Search rows gain the access keys of their topic (see policy.TopicSearchKeys), indexed
-- in a column of their own so that a search intersects the text match with what the
-- searcher may see inside the index. FTS5 tables cannot gain a column: the index and its
-- triggers are made again. Existing rows are marked stale (tokenizer 0), so that the
-- start-up reindex writes their keys before anyone searches.
DROP TRIGGER topic_search_ai;
DROP TRIGGER topic_search_ad;
DROP TRIGGER topic_search_au;
DROP TABLE topic_fts;
ALTER TABLE topic_search ADD COLUMN access_keys TEXT NOT NULL DEFAULT '';
UPDATE topic_search SET tokenizer = 0;
CREATE VIRTUAL TABLE topic_fts USING fts5 (title_tokens, body_tokens, access_keys, content='topic_search', content_rowid='topic_id', tokenize='unicode61 remove_diacritics 0');
CREATE TRIGGER topic_search_ai AFTER INSERT ON topic_search BEGIN
    INSERT INTO topic_fts (rowid, title_tokens, body_tokens, access_keys) VALUES (new.topic_id, new.title_tokens, new.body_tokens, new.access_keys);
END;
CREATE TRIGGER topic_search_ad AFTER DELETE ON topic_search BEGIN
    INSERT INTO topic_fts (topic_fts, rowid, title_tokens, body_tokens, access_keys) VALUES ('delete', old.topic_id, old.title_tokens, old.body_tokens, old.access_keys);
END;
CREATE TRIGGER topic_search_au AFTER UPDATE ON topic_search BEGIN
    INSERT INTO topic_fts (topic_fts, rowid, title_tokens, body_tokens, access_keys) VALUES ('delete', old.topic_id, old.title_tokens, old.body_tokens, old.access_keys);
    INSERT INTO topic_fts (rowid, title_tokens, body_tokens, access_keys) VALUES (new.topic_id, new.title_tokens, new.body_tokens, new.access_keys);
END;
INSERT INTO topic_fts (topic_fts) VALUES ('rebuild');
