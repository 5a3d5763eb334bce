-- Core: organizations, people, sign-in, communities, audit, settings.
-- Times are Unix milliseconds (UTC). Keys ending in _key are normalized forms for uniqueness.

CREATE TABLE orgs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name_ja     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    name_ja_key TEXT NOT NULL,
    name_en_key TEXT NOT NULL,
    kind        TEXT NOT NULL,
    sector      TEXT NOT NULL DEFAULT '',
    contacts    TEXT NOT NULL DEFAULT '[]',
    disabled    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX orgs_name_ja_key ON orgs (name_ja_key);
CREATE UNIQUE INDEX orgs_name_en_key ON orgs (name_en_key);
CREATE INDEX orgs_kind ON orgs (kind, id);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id              INTEGER NOT NULL REFERENCES orgs (id),
    email               TEXT NOT NULL,
    email_key           TEXT NOT NULL,
    display_name        TEXT NOT NULL,
    org_role            TEXT NOT NULL DEFAULT 'member',
    center_role         TEXT NOT NULL DEFAULT '',
    lang                TEXT NOT NULL DEFAULT 'ja',
    time_zone           TEXT NOT NULL DEFAULT 'Asia/Tokyo',
    password_hash       TEXT NOT NULL DEFAULT '',
    password_changed_at INTEGER NOT NULL DEFAULT 0,
    totp_secret         TEXT NOT NULL DEFAULT '',
    totp_enabled        BOOLEAN NOT NULL DEFAULT FALSE,
    totp_last_step      INTEGER NOT NULL DEFAULT 0,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    last_sign_in_at     INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX users_email_key ON users (email_key);
CREATE INDEX users_org ON users (org_id, id);
CREATE INDEX users_center ON users (center_role, id);

CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stage        TEXT NOT NULL,
    csrf         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    revoked_at   INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);

CREATE TABLE signin_links (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX signin_links_user ON signin_links (user_id);

CREATE TABLE signin_throttle (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    last_failure  INTEGER NOT NULL,
    blocked_until INTEGER NOT NULL
);

CREATE TABLE communities (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name_ja        TEXT NOT NULL,
    name_en        TEXT NOT NULL,
    name_ja_key    TEXT NOT NULL,
    name_en_key    TEXT NOT NULL,
    description_ja TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX communities_name_ja_key ON communities (name_ja_key);
CREATE UNIQUE INDEX communities_name_en_key ON communities (name_en_key);

-- A membership is a whole organization (org_id) or one person (user_id), never both.
CREATE TABLE community_members (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    org_id       INTEGER REFERENCES orgs (id),
    user_id      INTEGER REFERENCES users (id),
    added_at     INTEGER NOT NULL,
    CHECK ((org_id IS NULL) <> (user_id IS NULL))
);
CREATE UNIQUE INDEX community_members_org ON community_members (org_id, community_id) WHERE org_id IS NOT NULL;
CREATE UNIQUE INDEX community_members_user ON community_members (user_id, community_id) WHERE user_id IS NOT NULL;
CREATE INDEX community_members_community ON community_members (community_id);

CREATE TABLE community_moderators (
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    added_at     INTEGER NOT NULL,
    PRIMARY KEY (community_id, user_id)
);
CREATE INDEX community_moderators_user ON community_moderators (user_id);

-- The audit log: each record's hash covers its fields and the previous record's hash.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    actor_user_id INTEGER NOT NULL DEFAULT 0,
    actor_email   TEXT NOT NULL DEFAULT '',
    ip            TEXT NOT NULL DEFAULT '',
    action        TEXT NOT NULL,
    target_type   TEXT NOT NULL DEFAULT '',
    target_id     INTEGER NOT NULL DEFAULT 0,
    detail        TEXT NOT NULL DEFAULT '{}',
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_actor ON audit_log (actor_user_id, seq);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, seq);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
