-- MISP feed imports: a remote MISP feed (manifest.json and one file per event) pulled by
-- URL, or an uploaded archive of one, read into a local collection. An archive is unpacked
-- on the node that received it (archive_dir under its data directory, node its host name),
-- and only that node runs or resumes its import. misp_imports is the
-- progress record people watch; misp_import_events lists the events the manifest named
-- that this import has to read, each marked done or failed in the same transaction that
-- adds to the counts, so an import stopped by a crash resumes with the next pending event.
-- misp_feed_events remembers, per collection and feed, the manifest timestamp of each event
-- imported, so that pulling the feed again reads only events changed since. An import by
-- URL may repeat: repeat_s and next_at (0: not scheduled) start the next pull.

CREATE TABLE misp_imports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          INTEGER NOT NULL REFERENCES orgs (id),
    created_by      INTEGER NOT NULL REFERENCES users (id),
    collection_id   INTEGER NOT NULL REFERENCES intel_collections (id) ON DELETE CASCADE,
    source_kind     TEXT NOT NULL CHECK (source_kind IN ('url', 'archive')),
    source          TEXT NOT NULL,
    archive_dir     TEXT NOT NULL DEFAULT '',
    node            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
    listed          BOOLEAN NOT NULL DEFAULT FALSE,
    events_total    INTEGER NOT NULL DEFAULT 0,
    events_done     INTEGER NOT NULL DEFAULT 0,
    events_failed   INTEGER NOT NULL DEFAULT 0,
    events_unchanged INTEGER NOT NULL DEFAULT 0,
    attributes      INTEGER NOT NULL DEFAULT 0,
    created         INTEGER NOT NULL DEFAULT 0,
    skipped         INTEGER NOT NULL DEFAULT 0,
    errors          TEXT NOT NULL DEFAULT '[]',
    error           TEXT NOT NULL DEFAULT '',
    repeat_s        INTEGER NOT NULL DEFAULT 0,
    next_at         INTEGER NOT NULL DEFAULT 0,
    leased_until    INTEGER NOT NULL DEFAULT 0,
    lease_owner     TEXT NOT NULL DEFAULT '',
    started_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    finished_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX misp_imports_collection ON misp_imports (collection_id, id);
CREATE INDEX misp_imports_running ON misp_imports (status, leased_until);
CREATE INDEX misp_imports_next ON misp_imports (next_at) WHERE next_at > 0;

CREATE TABLE misp_import_events (
    import_id  INTEGER NOT NULL REFERENCES misp_imports (id) ON DELETE CASCADE,
    event_uuid TEXT NOT NULL,
    event_ts   INTEGER NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    PRIMARY KEY (import_id, event_uuid)
);

CREATE TABLE misp_feed_events (
    collection_id INTEGER NOT NULL REFERENCES intel_collections (id) ON DELETE CASCADE,
    source        TEXT NOT NULL,
    event_uuid    TEXT NOT NULL,
    event_ts      INTEGER NOT NULL,
    PRIMARY KEY (collection_id, source, event_uuid)
);
