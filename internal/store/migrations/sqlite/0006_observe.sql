-- Observation notices (観測情報): the assets each organization registers for the center to
-- watch, the private notices the center sends to one organization each, who read them and
-- when, the state of each watched condition (so that one is not notified twice) and the
-- matches of shared intelligence already notified.

-- An asset: a domain, URL, IP address, CIDR range or brand keyword of one organization.
-- Proposed by the organization's admins, approved (or rejected) by the center; only
-- approved assets are watched. host_rev is the host name reversed label by label with a
-- trailing dot ("jp.example."), so that a domain and its subdomains are one range of the
-- index; addr_lo and addr_hi are the first and last address of an IP or range, as 32 hex
-- digits of the IPv6 (or IPv4-mapped) address, so that overlaps are ranges too.
CREATE TABLE observe_assets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    host_rev    TEXT NOT NULL DEFAULT '',
    addr_lo     TEXT NOT NULL DEFAULT '',
    addr_hi     TEXT NOT NULL DEFAULT '',
    keyword     TEXT NOT NULL DEFAULT '',
    contact     TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    proposed_by INTEGER NOT NULL DEFAULT 0,
    proposed_at INTEGER NOT NULL,
    decided_by  INTEGER NOT NULL DEFAULT 0,
    decided_at  INTEGER NOT NULL DEFAULT 0,
    deleted_at  INTEGER NOT NULL DEFAULT 0,
    CHECK (kind IN ('domain', 'url', 'ip', 'cidr', 'keyword')),
    CHECK (status IN ('proposed', 'approved', 'rejected'))
);
CREATE INDEX observe_assets_org ON observe_assets (org_id, id);
CREATE INDEX observe_assets_status ON observe_assets (status, id);
CREATE INDEX observe_assets_host ON observe_assets (host_rev) WHERE host_rev <> '';
CREATE INDEX observe_assets_addr ON observe_assets (addr_lo) WHERE addr_lo <> '';
CREATE INDEX observe_assets_keyword ON observe_assets (keyword) WHERE keyword <> '';

-- A notice: one private copy per target organization. batch_id groups the copies sent
-- together (the id of the first copy). first_read_at is when someone of the target
-- organization first read it: the time to read is first_read_at - created_at.
CREATE TABLE observe_notices (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    batch_id      INTEGER NOT NULL DEFAULT 0,
    source        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    severity      TEXT NOT NULL,
    title_ja      TEXT NOT NULL,
    title_en      TEXT NOT NULL DEFAULT '',
    body_ja       TEXT NOT NULL,
    body_en       TEXT NOT NULL DEFAULT '',
    action_ja     TEXT NOT NULL DEFAULT '',
    action_en     TEXT NOT NULL DEFAULT '',
    evidence      TEXT NOT NULL DEFAULT '{}',
    asset_id      INTEGER NOT NULL DEFAULT 0,
    observed_at   INTEGER NOT NULL DEFAULT 0,
    created_by    INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    first_read_at INTEGER NOT NULL DEFAULT 0,
    first_read_by INTEGER NOT NULL DEFAULT 0,
    reminded_at   INTEGER NOT NULL DEFAULT 0,
    CHECK (source IN ('analyst', 'monitor', 'match'))
);
CREATE INDEX observe_notices_org ON observe_notices (org_id, id);
CREATE INDEX observe_notices_unread ON observe_notices (created_at) WHERE first_read_at = 0;
CREATE INDEX observe_notices_org_unread ON observe_notices (org_id) WHERE first_read_at = 0;
CREATE INDEX observe_notices_created ON observe_notices (created_at);

-- Who read a notice, one row per person.
CREATE TABLE observe_notice_reads (
    notice_id INTEGER NOT NULL REFERENCES observe_notices (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id),
    read_at   INTEGER NOT NULL,
    PRIMARY KEY (notice_id, user_id)
);
CREATE INDEX observe_notice_reads_user ON observe_notice_reads (user_id, notice_id);

-- The last known state of each watched condition of an asset ("http:down", "port:3389").
CREATE TABLE observe_conditions (
    asset_id    INTEGER NOT NULL REFERENCES observe_assets (id),
    cond_key    TEXT NOT NULL,
    problem     BOOLEAN NOT NULL,
    severity    TEXT NOT NULL,
    notice_id   INTEGER NOT NULL DEFAULT 0,
    observed_at INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL,
    PRIMARY KEY (asset_id, cond_key)
);

-- Matches of shared intelligence already notified: one notice per organization, source
-- and value.
CREATE TABLE observe_matches (
    org_id     INTEGER NOT NULL REFERENCES orgs (id),
    source     TEXT NOT NULL,
    value      TEXT NOT NULL,
    notice_id  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, source, value)
);
