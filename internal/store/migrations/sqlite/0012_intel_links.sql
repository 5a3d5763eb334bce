-- Indicators meet topics and cases: the plain values (address, range, domain, URL, email,
-- hash) found in topics and cases are indexed by (kind, value) with the kinds and forms
-- of stix_values, so that correlation is one index look-up per value, never a comparison
-- of items pairwise; and people link an indicator to a topic or a case explicitly.

-- A case's observables carry the desk's kinds (ip, hash); value_kind is the kind
-- stix_values uses for the same value (ipv4/ipv6, md5/sha1/sha256). The values are
-- already normalised by the ioc package, as the indicators' are.
ALTER TABLE case_observables ADD COLUMN value_kind TEXT GENERATED ALWAYS AS (
    CASE kind
        WHEN 'ip' THEN CASE WHEN instr(value, ':') > 0 THEN 'ipv6' ELSE 'ipv4' END
        WHEN 'hash' THEN CASE length(value) WHEN 32 THEN 'md5' WHEN 40 THEN 'sha1' ELSE 'sha256' END
        ELSE kind
    END) VIRTUAL;
CREATE INDEX case_observables_value ON case_observables (value_kind, value, case_id);

-- The values found in a topic's title, body and comments, rewritten in the transaction
-- of every change of that text. A deleted topic has none.
CREATE TABLE topic_values (
    topic_id INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (topic_id, kind, value)
);
CREATE INDEX topic_values_value ON topic_values (kind, value, topic_id);

-- Topics written before this migration get their values from a background pass in
-- batches (a national installation has a million topics; start-up must not wait for
-- them): done_through is the highest topic id processed, up_to the highest id when the
-- migration ran (newer topics are indexed by their own writes).
CREATE TABLE topic_values_backfill (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    done_through INTEGER NOT NULL,
    up_to        INTEGER NOT NULL
);
INSERT INTO topic_values_backfill (id, done_through, up_to) SELECT 1, 0, COALESCE(MAX(id), 0) FROM topics;

-- An indicator (a STIX object of a collection, whichever its latest version) linked by a
-- person to a topic or to a case. Shown only to those who may see both ends.
CREATE TABLE indicator_links (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id INTEGER NOT NULL REFERENCES intel_collections (id),
    stix_id       TEXT NOT NULL,
    topic_id      INTEGER REFERENCES topics (id) ON DELETE CASCADE,
    case_id       INTEGER REFERENCES cases (id) ON DELETE CASCADE,
    linked_by     INTEGER NOT NULL REFERENCES users (id),
    linked_at     INTEGER NOT NULL,
    CHECK ((topic_id IS NULL) <> (case_id IS NULL))
);
CREATE UNIQUE INDEX indicator_links_topic ON indicator_links (topic_id, collection_id, stix_id) WHERE topic_id IS NOT NULL;
CREATE UNIQUE INDEX indicator_links_case ON indicator_links (case_id, collection_id, stix_id) WHERE case_id IS NOT NULL;
CREATE INDEX indicator_links_object ON indicator_links (collection_id, stix_id);
