-- Machine-to-machine indicator sharing: TAXII collections tied to a community or an
-- organization, every version of every STIX object exactly as received, the index of
-- observable values used for correlation and blocklists, TAXII status resources,
-- organizations' STIX identities and sightings.

-- A collection belongs to one community or one organization; who reads and writes it is
-- decided by the policy package from that tie (never by a list of its own).
CREATE TABLE intel_collections (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    community_id INTEGER REFERENCES communities (id),
    org_id       INTEGER REFERENCES orgs (id),
    member_write BOOLEAN NOT NULL DEFAULT FALSE,
    default_tlp  TEXT NOT NULL DEFAULT 'green',
    -- date_added of the newest version, in microseconds: date_added is strictly
    -- increasing within a collection, in the same order as seq.
    last_added   INTEGER NOT NULL DEFAULT 0,
    created_by   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    CHECK ((community_id IS NULL) <> (org_id IS NULL)),
    CHECK (default_tlp IN ('clear', 'green', 'amber', 'amber+strict'))
);
CREATE INDEX intel_collections_community ON intel_collections (community_id) WHERE community_id IS NOT NULL;
CREATE INDEX intel_collections_org ON intel_collections (org_id) WHERE org_id IS NOT NULL;

-- One row per version (id + modified) of an object in a collection; raw holds the bytes
-- exactly as received. date_added is unique and increasing within a collection: it orders
-- the rows and is the TAXII "next" cursor.
CREATE TABLE stix_objects (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id INTEGER NOT NULL REFERENCES intel_collections (id),
    stix_id       TEXT NOT NULL,
    type          TEXT NOT NULL,
    spec_version  TEXT NOT NULL,
    version       TEXT NOT NULL,           -- modified (or created, or date_added) as received
    modified      INTEGER NOT NULL,        -- the same, in microseconds, for ordering
    date_added    INTEGER NOT NULL,        -- microseconds
    is_latest     BOOLEAN NOT NULL DEFAULT TRUE,
    is_first      BOOLEAN NOT NULL DEFAULT TRUE,
    tlp           TEXT NOT NULL,
    added_by      INTEGER NOT NULL DEFAULT 0,
    added_org     INTEGER NOT NULL DEFAULT 0,
    revoked       BOOLEAN NOT NULL DEFAULT FALSE,
    valid_until   INTEGER NOT NULL DEFAULT 0, -- microseconds, 0 when absent
    confidence    INTEGER NOT NULL DEFAULT -1,
    name          TEXT NOT NULL DEFAULT '',
    raw           TEXT NOT NULL,
    CHECK (tlp IN ('clear', 'green', 'amber', 'amber+strict', 'red'))
);
CREATE UNIQUE INDEX stix_objects_version ON stix_objects (collection_id, stix_id, modified);
CREATE UNIQUE INDEX stix_objects_added ON stix_objects (collection_id, date_added);
CREATE INDEX stix_objects_type ON stix_objects (collection_id, type, date_added);
CREATE INDEX stix_objects_latest ON stix_objects (collection_id, date_added) WHERE is_latest;
CREATE INDEX stix_objects_indicators ON stix_objects (type, seq) WHERE is_latest;

-- The plain observable values of indicator patterns (and of SCOs), one row per value per
-- version: correlation and blocklists look values up by (kind, value) through the index,
-- never by comparing objects pairwise.
CREATE TABLE stix_values (
    seq        INTEGER NOT NULL REFERENCES stix_objects (seq) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    sufficient BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX stix_values_value ON stix_values (kind, value, seq);
CREATE INDEX stix_values_seq ON stix_values (seq);

-- TAXII status resources of envelope POSTs; details holds the per-object outcomes.
CREATE TABLE taxii_status (
    id            TEXT PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES intel_collections (id),
    user_id       INTEGER NOT NULL,
    status        TEXT NOT NULL,
    requested_at  INTEGER NOT NULL,
    total         INTEGER NOT NULL,
    success_count INTEGER NOT NULL,
    failure_count INTEGER NOT NULL,
    pending_count INTEGER NOT NULL,
    details       TEXT NOT NULL
);
CREATE INDEX taxii_status_requested ON taxii_status (requested_at);

-- Each organization's STIX identity, the created_by_ref of what its people create.
CREATE TABLE intel_identities (
    org_id     INTEGER PRIMARY KEY REFERENCES orgs (id),
    stix_id    TEXT NOT NULL UNIQUE,
    raw        TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- An organization saw an indicator: how often, first and last.
CREATE TABLE intel_sightings (
    collection_id INTEGER NOT NULL REFERENCES intel_collections (id),
    stix_id       TEXT NOT NULL,
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    count         INTEGER NOT NULL,
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    updated_by    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (collection_id, stix_id, org_id)
);
CREATE INDEX intel_sightings_org ON intel_sightings (org_id, updated_at);
