-- A timeline's community branch (policy.TopicSources) walks the topics of a person's
-- communities newest first; with only (community_id, id) it read every topic row to test
-- deleted_at, scope and tlp. This partial index holds just the rows that pass those tests,
-- so the branch is answered from the index alone.
CREATE INDEX topics_community_visible ON topics (community_id, id)
    WHERE deleted_at = 0 AND scope = 'community' AND tlp <> 'red';
