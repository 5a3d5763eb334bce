-- The consultation desk (そうだんの窓口): cases reported by organizations, their
-- observables, message thread and internal notes, timeline, invited partner organizations,
-- links between related cases, the on-call rota and sanitized publications.

CREATE TABLE cases (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            INTEGER NOT NULL REFERENCES orgs (id),
    reporter_id       INTEGER NOT NULL REFERENCES users (id),
    kind              TEXT NOT NULL,
    category          TEXT NOT NULL,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    detected_at       INTEGER NOT NULL DEFAULT 0,
    affected          TEXT NOT NULL DEFAULT '',
    event_impact      TEXT NOT NULL,
    public_visibility BOOLEAN NOT NULL DEFAULT FALSE,
    urgency           TEXT NOT NULL,
    state             TEXT NOT NULL,
    team              TEXT NOT NULL DEFAULT '',
    handler_id        INTEGER NOT NULL DEFAULT 0,
    merged_into       INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    first_response_at INTEGER NOT NULL DEFAULT 0,
    resolved_at       INTEGER NOT NULL DEFAULT 0,
    closed_at         INTEGER NOT NULL DEFAULT 0,
    response_due_at   INTEGER NOT NULL,
    response_warn_at  INTEGER NOT NULL,
    resolve_due_at    INTEGER NOT NULL,
    resolve_warn_at   INTEGER NOT NULL,
    CHECK (kind IN ('incident', 'support', 'consultation')),
    CHECK (event_impact IN ('yes', 'no', 'unknown')),
    CHECK (urgency IN ('critical', 'high', 'medium', 'low')),
    CHECK (state IN ('new', 'triage', 'in-progress', 'waiting-partner', 'waiting-reporter', 'resolved', 'closed'))
);
CREATE INDEX cases_org ON cases (org_id, id);
CREATE INDEX cases_state ON cases (state, id);
CREATE INDEX cases_handler ON cases (handler_id, id);
CREATE INDEX cases_created ON cases (created_at);

CREATE TABLE case_observables (
    case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- The thread between the reporting organization (and invited partners) and the center;
-- internal notes are rows with internal = TRUE, seen by the center only.
CREATE TABLE case_messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    author_id     INTEGER NOT NULL REFERENCES users (id),
    author_org_id INTEGER NOT NULL REFERENCES orgs (id),
    internal      BOOLEAN NOT NULL DEFAULT FALSE,
    body          TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX case_messages_case ON case_messages (case_id, id);

-- The timeline: every state change, assignment, invitation, link and merge.
CREATE TABLE case_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id    INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    actor_id   INTEGER NOT NULL DEFAULT 0,
    kind       TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '{}',
    at         INTEGER NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, id);

-- Partner organizations currently invited into a case; revoking deletes the row, so that
-- access ends at once (the timeline and the audit log keep the history).
CREATE TABLE case_partners (
    case_id    INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    org_id     INTEGER NOT NULL REFERENCES orgs (id),
    invited_by INTEGER NOT NULL DEFAULT 0,
    invited_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, org_id)
);
CREATE INDEX case_partners_org ON case_partners (org_id, case_id);

-- Related cases, stored in both directions.
CREATE TABLE case_links (
    case_id  INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    other_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, other_id)
);

-- The on-call (当直) rota: who is alerted at once when a case is filed.
CREATE TABLE desk_oncall (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   INTEGER NOT NULL REFERENCES users (id),
    starts_at INTEGER NOT NULL,
    ends_at   INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX desk_oncall_time ON desk_oncall (ends_at, starts_at);

-- Sanitized publications of a case as a topic (center only).
CREATE TABLE case_publications (
    case_id      INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    topic_id     INTEGER NOT NULL REFERENCES topics (id),
    published_by INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, topic_id)
);
