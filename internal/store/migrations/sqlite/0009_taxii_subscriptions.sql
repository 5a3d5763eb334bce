-- TAXII subscriptions: a local collection tied to a remote TAXII 2.1 collection, pulled
-- from it (direction 'pull') or pushed to it ('push') on a schedule. The checkpoint is the
-- remote added_after of the last page stored (pull) or the local date_added, in
-- microseconds, of the last object sent (push); it is saved after every page, so a run
-- stopped by a crash starts again where it stopped. next_at and the lease (leased_until,
-- lease_owner) let several nodes share the schedule with each run taken by one node. The
-- remote credential is sealed with the server's secret key (secretbox).

CREATE TABLE taxii_subscriptions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            INTEGER NOT NULL REFERENCES orgs (id),
    created_by        INTEGER NOT NULL REFERENCES users (id),
    collection_id     INTEGER NOT NULL REFERENCES intel_collections (id) ON DELETE CASCADE,
    direction         TEXT NOT NULL CHECK (direction IN ('pull', 'push')),
    title             TEXT NOT NULL,
    api_root          TEXT NOT NULL,
    remote_collection TEXT NOT NULL,
    auth_kind         TEXT NOT NULL CHECK (auth_kind IN ('none', 'bearer', 'basic')),
    username          TEXT NOT NULL DEFAULT '',
    secret_sealed     TEXT NOT NULL DEFAULT '',
    interval_s        INTEGER NOT NULL,
    checkpoint        TEXT NOT NULL DEFAULT '',
    next_at           INTEGER NOT NULL,
    leased_until      INTEGER NOT NULL DEFAULT 0,
    lease_owner       TEXT NOT NULL DEFAULT '',
    last_run_at       INTEGER NOT NULL DEFAULT 0,
    last_success_at   INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT NOT NULL DEFAULT '',
    last_error_at     INTEGER NOT NULL DEFAULT 0,
    failures          INTEGER NOT NULL DEFAULT 0,
    objects_pulled    INTEGER NOT NULL DEFAULT 0,
    objects_pushed    INTEGER NOT NULL DEFAULT 0,
    objects_refused   INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL
);
CREATE INDEX taxii_subscriptions_due ON taxii_subscriptions (next_at, id);
CREATE INDEX taxii_subscriptions_org ON taxii_subscriptions (org_id, id);
