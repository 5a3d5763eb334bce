-- Files on the cases of the consultation desk: on the case itself (message_id 0) or on a
-- message of its thread. internal is copied from the message when the file is stored, so
-- that a file on an internal note is filtered like the note (center staff only). The
-- contents are in blobs, shared with the SNS's attachments by their SHA-256.
CREATE TABLE case_attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    message_id   INTEGER NOT NULL DEFAULT 0,
    internal     BOOLEAN NOT NULL DEFAULT FALSE,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL REFERENCES blobs (sha256),
    uploaded_by  INTEGER NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL
);
CREATE INDEX case_attachments_case ON case_attachments (case_id, message_id, id);
