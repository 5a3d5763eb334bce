-- Monitors: one row per check of an approved asset (http, tls, dns, port, lookalike, ct),
-- with its next run time and the lease of the node running it, so that checks survive a
-- restart and each runs once when several nodes share the database; and the last known
-- state of each condition a check watches (is it a problem now, the DNS baseline, the
-- lookalike names seen registered), so that a later run knows what is new, changed or
-- recovered. asset_id and org_id name the asset in the observation tables; the monitor
-- learns them from the approved-asset list and drops the rows of assets no longer on it.

CREATE TABLE monitor_checks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id         INTEGER NOT NULL,
    org_id           INTEGER NOT NULL,
    check_name       TEXT NOT NULL,
    target_kind      TEXT NOT NULL,
    target_value     TEXT NOT NULL,
    expect           TEXT NOT NULL DEFAULT '',
    next_at          INTEGER NOT NULL,
    leased_until     INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT NOT NULL DEFAULT '',
    last_run_at      INTEGER NOT NULL DEFAULT 0,
    last_duration_ms INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    runs             INTEGER NOT NULL DEFAULT 0,
    UNIQUE (asset_id, check_name)
);
CREATE INDEX monitor_checks_due ON monitor_checks (next_at, id);

CREATE TABLE monitor_state (
    check_id   INTEGER NOT NULL REFERENCES monitor_checks (id) ON DELETE CASCADE,
    cond_key   TEXT NOT NULL,
    problem    BOOLEAN NOT NULL DEFAULT FALSE,
    severity   TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (check_id, cond_key)
);
