-- The sharing SNS: topics in communities with a TLP marking and a sharing scope, their
-- audience, versions, tags, comments, attachments, reads, bookmarks, the search index, the
-- event log behind live updates and notifications, and the delivery queue.

CREATE TABLE topics (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id     INTEGER NOT NULL REFERENCES communities (id),
    author_id        INTEGER NOT NULL REFERENCES users (id),
    author_org_id    INTEGER NOT NULL REFERENCES orgs (id),
    title            TEXT NOT NULL,
    body             TEXT NOT NULL,
    info_type        TEXT NOT NULL,
    priority         TEXT NOT NULL DEFAULT '',
    tlp              TEXT NOT NULL,
    scope            TEXT NOT NULL,
    show_audience    BOOLEAN NOT NULL DEFAULT FALSE,
    pinned           BOOLEAN NOT NULL DEFAULT FALSE,
    version          INTEGER NOT NULL DEFAULT 1,
    comment_count    INTEGER NOT NULL DEFAULT 0,
    ack_count        INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    edited_at        INTEGER NOT NULL DEFAULT 0,
    last_activity_at INTEGER NOT NULL,
    deleted_at       INTEGER NOT NULL DEFAULT 0,
    deleted_by       INTEGER NOT NULL DEFAULT 0,
    CHECK (scope IN ('community', 'selected')),
    CHECK (tlp IN ('clear', 'green', 'amber', 'amber+strict', 'red')),
    CHECK (tlp <> 'red' OR scope = 'selected')
);
CREATE INDEX topics_community ON topics (community_id, id);
CREATE INDEX topics_author ON topics (author_id, id);
CREATE INDEX topics_created ON topics (created_at);

-- The named audience of a selected-scope topic: an organization or one person per row.
CREATE TABLE topic_audience (
    topic_id INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    org_id   INTEGER REFERENCES orgs (id),
    user_id  INTEGER REFERENCES users (id),
    added_at INTEGER NOT NULL,
    CHECK ((org_id IS NULL) <> (user_id IS NULL))
);
CREATE UNIQUE INDEX topic_audience_org ON topic_audience (org_id, topic_id) WHERE org_id IS NOT NULL;
CREATE UNIQUE INDEX topic_audience_user ON topic_audience (user_id, topic_id) WHERE user_id IS NOT NULL;
CREATE INDEX topic_audience_topic ON topic_audience (topic_id);

CREATE TABLE topic_tags (
    topic_id INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (topic_id, tag)
);
CREATE INDEX topic_tags_tag ON topic_tags (tag, topic_id);

-- Every earlier version of a topic, kept when it is edited.
CREATE TABLE topic_versions (
    topic_id  INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    version   INTEGER NOT NULL,
    title     TEXT NOT NULL,
    body      TEXT NOT NULL,
    info_type TEXT NOT NULL,
    priority  TEXT NOT NULL,
    tlp       TEXT NOT NULL,
    tags      TEXT NOT NULL,
    edited_by INTEGER NOT NULL,
    edited_at INTEGER NOT NULL,
    PRIMARY KEY (topic_id, version)
);

CREATE TABLE comments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    topic_id      INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    parent_id     INTEGER NOT NULL DEFAULT 0,
    author_id     INTEGER NOT NULL REFERENCES users (id),
    author_org_id INTEGER NOT NULL REFERENCES orgs (id),
    body          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    edited_at     INTEGER NOT NULL DEFAULT 0,
    deleted_at    INTEGER NOT NULL DEFAULT 0,
    deleted_by    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX comments_topic ON comments (topic_id, id);

-- File contents, stored once per SHA-256.
CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    data       BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    topic_id     INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    comment_id   INTEGER NOT NULL DEFAULT 0,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL REFERENCES blobs (sha256),
    uploaded_by  INTEGER NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL
);
CREATE INDEX attachments_topic ON attachments (topic_id, comment_id, id);

-- One row per person and topic: first view and view count (metrics), and the explicit read
-- acknowledgement.
CREATE TABLE topic_reads (
    topic_id      INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    first_view_at INTEGER NOT NULL DEFAULT 0,
    view_count    INTEGER NOT NULL DEFAULT 0,
    acked_at      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (topic_id, user_id)
);
CREATE INDEX topic_reads_user ON topic_reads (user_id, topic_id);
CREATE INDEX topic_reads_org ON topic_reads (topic_id, org_id);

CREATE TABLE bookmarks (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    topic_id   INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, topic_id)
);

-- Search: the tokens of a topic's title and of the rest (body, comments, attachment names),
-- written by the search package's tokenizer of the version noted.
CREATE TABLE topic_search (
    topic_id      INTEGER PRIMARY KEY REFERENCES topics (id) ON DELETE CASCADE,
    tokenizer     INTEGER NOT NULL,
    title_tokens  TEXT NOT NULL,
    body_tokens   TEXT NOT NULL
);
CREATE VIRTUAL TABLE topic_fts USING fts5 (title_tokens, body_tokens, content='topic_search', content_rowid='topic_id', tokenize='unicode61 remove_diacritics 0');
CREATE TRIGGER topic_search_ai AFTER INSERT ON topic_search BEGIN
    INSERT INTO topic_fts (rowid, title_tokens, body_tokens) VALUES (new.topic_id, new.title_tokens, new.body_tokens);
END;
CREATE TRIGGER topic_search_ad AFTER DELETE ON topic_search BEGIN
    INSERT INTO topic_fts (topic_fts, rowid, title_tokens, body_tokens) VALUES ('delete', old.topic_id, old.title_tokens, old.body_tokens);
END;
CREATE TRIGGER topic_search_au AFTER UPDATE ON topic_search BEGIN
    INSERT INTO topic_fts (topic_fts, rowid, title_tokens, body_tokens) VALUES ('delete', old.topic_id, old.title_tokens, old.body_tokens);
    INSERT INTO topic_fts (rowid, title_tokens, body_tokens) VALUES (new.topic_id, new.title_tokens, new.body_tokens);
END;

-- What happened, in order: the source of live updates (SSE, across nodes) and of
-- notifications. Written in the same transaction as the change it describes.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    topic_id     INTEGER NOT NULL DEFAULT 0,
    comment_id   INTEGER NOT NULL DEFAULT 0,
    community_id INTEGER NOT NULL DEFAULT 0,
    actor_id     INTEGER NOT NULL DEFAULT 0,
    detail       TEXT NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL
);
CREATE INDEX events_created ON events (created_at);

-- Where each consumer of the event log has got to (the notifier).
CREATE TABLE event_cursors (
    name       TEXT PRIMARY KEY,
    event_id   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- @mentions of a comment or topic: people and organizations to notify.
CREATE TABLE mentions (
    event_id INTEGER NOT NULL,
    org_id   INTEGER NOT NULL DEFAULT 0,
    user_id  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mentions_event ON mentions (event_id);

CREATE TABLE notify_prefs (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    important  TEXT NOT NULL DEFAULT 'immediate',
    others     TEXT NOT NULL DEFAULT 'daily',
    updated_at INTEGER NOT NULL
);

-- Items waiting for a person's next digest; sent_at marks those already in one.
CREATE TABLE digest_items (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    topic_id   INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    added_at   INTEGER NOT NULL,
    sent_at    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, topic_id)
);
CREATE INDEX digest_items_pending ON digest_items (sent_at, user_id);

CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id);

-- The delivery queue for emails and webhook calls: retried with backoff, each sent once
-- (dedupe_key is unique), claimed with a lease so that a crash only delays it.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    channel       TEXT NOT NULL,
    dedupe_key    TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    payload       TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER NOT NULL,
    leased_until  INTEGER NOT NULL DEFAULT 0,
    sent_at       INTEGER NOT NULL DEFAULT 0,
    failed_at     INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX outbox_dedupe ON outbox (dedupe_key);
CREATE INDEX outbox_due ON outbox (sent_at, failed_at, next_at);
