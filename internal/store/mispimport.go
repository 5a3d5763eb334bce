package store

import (
	"context"
	"time"
)

// MISPImport is the progress record of one MISP feed import (migration 0011).
type MISPImport struct {
	ID              int64
	OrgID           int64
	CreatedBy       int64
	CollectionID    int64
	SourceKind      string // url, archive
	Source          string // the feed's URL, or the archive's file name
	ArchiveDir      string // where an archive was unpacked, under the node's data directory
	Node            string // the host that holds the unpacked archive; "" for a URL
	Status          string // running, done, failed, cancelled
	Listed          bool   // the manifest has been read into misp_import_events
	EventsTotal     int64
	EventsDone      int64
	EventsFailed    int64
	EventsUnchanged int64 // named by the manifest but imported before with the same timestamp
	Attributes      int64
	Created         int64
	Skipped         int64
	Errors          string // JSON list of {event, reason}, capped by the service
	Error           string // why the whole import failed
	Repeat          time.Duration
	NextAt          time.Time
	LeasedUntil     time.Time
	LeaseOwner      string
	StartedAt       time.Time
	UpdatedAt       time.Time
	FinishedAt      time.Time
}

// MISPEventProgress is what one event added to an import's counts.
type MISPEventProgress struct {
	UUID       string
	Timestamp  int64
	Failed     bool
	Attributes int64
	Created    int64
	Skipped    int64
	Errors     string // the import's whole error list after this event
}

const mispImportColumns = `m.id, m.org_id, m.created_by, m.collection_id, m.source_kind, m.source, m.archive_dir, m.node, m.status, m.listed, m.events_total,
	m.events_done, m.events_failed, m.events_unchanged, m.attributes, m.created, m.skipped, m.errors, m.error, m.repeat_s, m.next_at,
	m.leased_until, m.lease_owner, m.started_at, m.updated_at, m.finished_at`

func scanMISPImport(sc scanner) (MISPImport, error) {
	var m MISPImport
	var repeat, next, leased, started, updated, finished int64
	err := sc.Scan(&m.ID, &m.OrgID, &m.CreatedBy, &m.CollectionID, &m.SourceKind, &m.Source, &m.ArchiveDir, &m.Node, &m.Status, &m.Listed, &m.EventsTotal,
		&m.EventsDone, &m.EventsFailed, &m.EventsUnchanged, &m.Attributes, &m.Created, &m.Skipped, &m.Errors, &m.Error, &repeat, &next,
		&leased, &m.LeaseOwner, &started, &updated, &finished)
	m.Repeat = time.Duration(repeat) * time.Second
	m.NextAt, m.LeasedUntil, m.StartedAt, m.UpdatedAt, m.FinishedAt = fromMS(next), fromMS(leased), fromMS(started), fromMS(updated), fromMS(finished)
	return m, classify(err)
}

// InsertMISPImport adds a running import and returns its id.
func InsertMISPImport(ctx context.Context, c Conn, m MISPImport) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO misp_imports (org_id, created_by, collection_id, source_kind, source, archive_dir, node, status,
		repeat_s, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?) RETURNING id`,
		m.OrgID, m.CreatedBy, m.CollectionID, m.SourceKind, m.Source, m.ArchiveDir, m.Node, int64(m.Repeat/time.Second), ms(m.StartedAt), ms(m.StartedAt)).Scan(&id)
	return id, classify(err)
}

// GetMISPImport returns one import.
func GetMISPImport(ctx context.Context, c Conn, id int64) (MISPImport, error) {
	return scanMISPImport(c.QueryRow(ctx, "SELECT "+mispImportColumns+" FROM misp_imports m WHERE m.id = ?", id))
}

// ListMISPImports returns the imports the filter (over the alias m) lets through, newest
// first, before the cursor (p.After: an id; 0 for the first page).
func ListMISPImports(ctx context.Context, c Conn, f Filter, p Page) ([]MISPImport, error) {
	before := p.After
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := c.Query(ctx, "SELECT "+mispImportColumns+" FROM misp_imports m WHERE "+f.where()+" AND m.id < ? ORDER BY m.id DESC LIMIT ?",
		append(append([]any{}, f.Args...), before, p.limit())...)
	return collect(rows, err, scanMISPImport)
}

// ClaimMISPImport leases one running import whose lease has lapsed (a new one, or one a
// crashed node left) to owner until leaseUntil: a URL import on any node, an archive import
// on the node that holds the archive.
func ClaimMISPImport(ctx context.Context, c Conn, owner, node string, now, leaseUntil time.Time) (MISPImport, bool, error) {
	lock := ""
	if c.Backend() == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := c.Query(ctx, `UPDATE misp_imports SET leased_until = ?, lease_owner = ? WHERE status = 'running' AND leased_until <= ? AND id IN (
		SELECT id FROM misp_imports WHERE status = 'running' AND leased_until <= ? AND (node = '' OR node = ?)
		ORDER BY id LIMIT 1`+lock+`) RETURNING `+stripImportAlias(),
		ms(leaseUntil), owner, ms(now), ms(now), node)
	got, err := collect(rows, err, scanMISPImport)
	if err != nil || len(got) == 0 {
		return MISPImport{}, false, err
	}
	return got[0], true, nil
}

func stripImportAlias() string {
	out := make([]byte, 0, len(mispImportColumns))
	for i := 0; i < len(mispImportColumns); i++ {
		if mispImportColumns[i] == 'm' && i+1 < len(mispImportColumns) && mispImportColumns[i+1] == '.' {
			i++
			continue
		}
		out = append(out, mispImportColumns[i])
	}
	return string(out)
}

// ExtendMISPImport renews owner's lease; it reports false when the import is no longer
// running under that owner (cancelled, or taken over after the lease lapsed).
func ExtendMISPImport(ctx context.Context, c Conn, id int64, owner string, now, leaseUntil time.Time) (bool, error) {
	r, err := c.Exec(ctx, "UPDATE misp_imports SET leased_until = ?, updated_at = ? WHERE id = ? AND lease_owner = ? AND status = 'running'",
		ms(leaseUntil), ms(now), id, owner)
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n == 1, err
}

// AddMISPImportEvents records events the manifest names, to be read (an event already
// recorded keeps its state, so listing again after a crash changes nothing).
func AddMISPImportEvents(ctx context.Context, c Conn, id int64, uuids []string, stamps []int64) error {
	for i, u := range uuids {
		if _, err := c.Exec(ctx, "INSERT INTO misp_import_events (import_id, event_uuid, event_ts) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			id, u, stamps[i]); err != nil {
			return err
		}
	}
	return nil
}

// MISPFeedStamps returns the manifest timestamps of the given events last imported from
// source into a collection.
func MISPFeedStamps(ctx context.Context, c Conn, collectionID int64, source string, uuids []string) (map[string]int64, error) {
	out := make(map[string]int64, len(uuids))
	if len(uuids) == 0 {
		return out, nil
	}
	args := []any{collectionID, source}
	q := "SELECT event_uuid, event_ts FROM misp_feed_events WHERE collection_id = ? AND source = ? AND event_uuid IN (?" + repeatMarks(len(uuids)-1) + ")"
	for _, u := range uuids {
		args = append(args, u)
	}
	rows, err := c.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		var ts int64
		if err := rows.Scan(&u, &ts); err != nil {
			return nil, err
		}
		out[u] = ts
	}
	return out, rows.Err()
}

func repeatMarks(n int) string {
	b := make([]byte, 0, 3*n)
	for range n {
		b = append(b, ", ?"...)
	}
	return string(b)
}

// SetMISPImportListed records that the manifest was read: the events to import, those left
// unchanged since an earlier import, the entries refused (counted as failed events) and
// the error list so far.
func SetMISPImportListed(ctx context.Context, c Conn, id int64, total, unchanged, failed int64, errors string, now time.Time) error {
	_, err := c.Exec(ctx, `UPDATE misp_imports SET listed = TRUE, events_total = ?, events_unchanged = ?, events_failed = ?, errors = ?,
		updated_at = ? WHERE id = ? AND status = 'running'`, total, unchanged, failed, errors, ms(now), id)
	return err
}

// CountMISPImportEvents counts the events listed for an import.
func CountMISPImportEvents(ctx context.Context, c Conn, id int64) (int64, error) {
	var n int64
	err := c.QueryRow(ctx, "SELECT COUNT(*) FROM misp_import_events WHERE import_id = ?", id).Scan(&n)
	return n, err
}

// PendingMISPEvents returns up to limit events of an import still to read, in uuid order.
func PendingMISPEvents(ctx context.Context, c Conn, id int64, limit int) ([]string, []int64, error) {
	rows, err := c.Query(ctx, "SELECT event_uuid, event_ts FROM misp_import_events WHERE import_id = ? AND state = 'pending' ORDER BY event_uuid LIMIT ?", id, limit)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var uuids []string
	var stamps []int64
	for rows.Next() {
		var u string
		var ts int64
		if err := rows.Scan(&u, &ts); err != nil {
			return nil, nil, err
		}
		uuids, stamps = append(uuids, u), append(stamps, ts)
	}
	return uuids, stamps, rows.Err()
}

// SaveMISPEvent marks one event of an import done or failed and adds what it did to the
// counts, if owner still runs the import; a done event's timestamp is remembered for the
// feed, so that the next pull skips it while it is unchanged.
func SaveMISPEvent(ctx context.Context, c Conn, m MISPImport, owner string, e MISPEventProgress, now, leaseUntil time.Time) (bool, error) {
	state, done, failed := "done", 1, 0
	if e.Failed {
		state, done, failed = "failed", 0, 1
	}
	r, err := c.Exec(ctx, `UPDATE misp_imports SET events_done = events_done + ?, events_failed = events_failed + ?, attributes = attributes + ?,
		created = created + ?, skipped = skipped + ?, errors = ?, updated_at = ?, leased_until = ? WHERE id = ? AND lease_owner = ? AND status = 'running'`,
		done, failed, e.Attributes, e.Created, e.Skipped, e.Errors, ms(now), ms(leaseUntil), m.ID, owner)
	if err != nil {
		return false, err
	}
	if n, err := r.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	if _, err := c.Exec(ctx, "UPDATE misp_import_events SET state = ? WHERE import_id = ? AND event_uuid = ?", state, m.ID, e.UUID); err != nil {
		return false, err
	}
	if e.Failed {
		return true, nil
	}
	_, err = c.Exec(ctx, `INSERT INTO misp_feed_events (collection_id, source, event_uuid, event_ts) VALUES (?, ?, ?, ?)
		ON CONFLICT (collection_id, source, event_uuid) DO UPDATE SET event_ts = excluded.event_ts`, m.CollectionID, m.Source, e.UUID, e.Timestamp)
	return err == nil, err
}

// FinishMISPImport ends a running import as done or failed (with the reason), schedules
// the next pull of a repeating one, and drops its list of events.
func FinishMISPImport(ctx context.Context, c Conn, id int64, owner, status, reason string, now time.Time) (bool, error) {
	r, err := c.Exec(ctx, `UPDATE misp_imports SET status = ?, error = ?, finished_at = ?, updated_at = ?, leased_until = 0, lease_owner = '',
		next_at = CASE WHEN repeat_s > 0 THEN ? + repeat_s * 1000 ELSE 0 END WHERE id = ? AND lease_owner = ? AND status = 'running'`,
		status, reason, ms(now), ms(now), ms(now), id, owner)
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	if err != nil || n != 1 {
		return false, err
	}
	_, err = c.Exec(ctx, "DELETE FROM misp_import_events WHERE import_id = ?", id)
	return err == nil, err
}

// AbandonMISPArchives fails the running archive imports of other nodes that have not
// been worked on (no lease held, nothing recorded) since before: the node holding the
// unpacked files never came back. It returns their ids.
func AbandonMISPArchives(ctx context.Context, c Conn, node, reason string, now, before time.Time) ([]int64, error) {
	rows, err := c.Query(ctx, `UPDATE misp_imports SET status = 'failed', error = ?, finished_at = ?, updated_at = ?, leased_until = 0,
		lease_owner = '', next_at = 0 WHERE status = 'running' AND source_kind = 'archive' AND node <> ? AND leased_until <= ? AND updated_at <= ?
		RETURNING id`, reason, ms(now), ms(now), node, ms(now), ms(before))
	ids, err := collect(rows, err, func(sc scanner) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	})
	for _, id := range ids {
		if err == nil {
			_, err = c.Exec(ctx, "DELETE FROM misp_import_events WHERE import_id = ?", id)
		}
	}
	return ids, err
}

// RunningArchiveDirs lists the unpacked-archive directories of the running imports of a
// node.
func RunningArchiveDirs(ctx context.Context, c Conn, node string) ([]string, error) {
	rows, err := c.Query(ctx, "SELECT archive_dir FROM misp_imports WHERE status = 'running' AND node = ? AND archive_dir <> ''", node)
	return collect(rows, err, func(sc scanner) (string, error) {
		var d string
		return d, sc.Scan(&d)
	})
}

// CancelMISPImport stops a running import and any repetition of it.
func CancelMISPImport(ctx context.Context, c Conn, id int64, now time.Time) error {
	if _, err := c.Exec(ctx, `UPDATE misp_imports SET status = CASE WHEN status = 'running' THEN 'cancelled' ELSE status END,
		finished_at = CASE WHEN status = 'running' THEN ? ELSE finished_at END, next_at = 0, repeat_s = 0, updated_at = ? WHERE id = ?`,
		ms(now), ms(now), id); err != nil {
		return err
	}
	_, err := c.Exec(ctx, "DELETE FROM misp_import_events WHERE import_id = ? AND NOT EXISTS (SELECT 1 FROM misp_imports WHERE id = ? AND status = 'running')", id, id)
	return err
}

// DueMISPRepeats returns finished imports whose next pull is due, earliest first, and
// clears their schedule in the same statement so that one node starts each next pull.
func DueMISPRepeats(ctx context.Context, c Conn, now time.Time, limit int) ([]MISPImport, error) {
	lock := ""
	if c.Backend() == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := c.Query(ctx, `UPDATE misp_imports SET next_at = 0 WHERE next_at > 0 AND next_at <= ? AND id IN (
		SELECT id FROM misp_imports WHERE next_at > 0 AND next_at <= ? ORDER BY next_at, id LIMIT ?`+lock+`) RETURNING `+stripImportAlias(),
		ms(now), ms(now), Page{Limit: limit}.limit())
	return collect(rows, err, scanMISPImport)
}
