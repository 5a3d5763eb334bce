package store

import (
	"context"
	"time"
)

// ---- Observation: assets ----

// Asset is one thing an organization asks the center to watch.
type Asset struct {
	ID         int64
	OrgID      int64
	Kind       string // domain, url, ip, cidr, keyword
	Value      string // as normalised
	HostRev    string // domain and url: the host reversed ("jp.example.")
	AddrLo     string // ip and cidr: first address, 32 hex digits
	AddrHi     string // ip and cidr: last address
	Keyword    string // keyword: folded for comparison
	Contact    string
	Status     string // proposed, approved, rejected
	ProposedBy int64
	ProposedAt time.Time
	DecidedBy  int64
	DecidedAt  time.Time
}

const assetColumns = "oa.id, oa.org_id, oa.kind, oa.value, oa.host_rev, oa.addr_lo, oa.addr_hi, oa.keyword, oa.contact, oa.status, " +
	"oa.proposed_by, oa.proposed_at, oa.decided_by, oa.decided_at"

func scanAsset(s scanner) (Asset, error) {
	var a Asset
	var pat, dat int64
	err := s.Scan(&a.ID, &a.OrgID, &a.Kind, &a.Value, &a.HostRev, &a.AddrLo, &a.AddrHi, &a.Keyword, &a.Contact, &a.Status,
		&a.ProposedBy, &pat, &a.DecidedBy, &dat)
	a.ProposedAt, a.DecidedAt = fromMS(pat), fromMS(dat)
	return a, classify(err)
}

// LockAssets serialises changes of ownership on PostgreSQL (SQLite has one writer), so
// that two organizations cannot claim the same asset at once.
func LockAssets(ctx context.Context, c Conn) error {
	if c.backend != Postgres {
		return nil
	}
	_, err := c.Exec(ctx, "SELECT pg_advisory_xact_lock(7253006)")
	return err
}

// InsertAsset adds an asset.
func InsertAsset(ctx context.Context, c Conn, a Asset, now time.Time) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO observe_assets (org_id, kind, value, host_rev, addr_lo, addr_hi, keyword, contact, status,
		proposed_by, proposed_at, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.OrgID, a.Kind, a.Value, a.HostRev, a.AddrLo, a.AddrHi, a.Keyword, a.Contact, a.Status, a.ProposedBy, ms(now),
		a.DecidedBy, ms(a.DecidedAt)).Scan(&id)
	return id, classify(err)
}

// GetAsset returns a live (not deleted) asset.
func GetAsset(ctx context.Context, c Conn, id int64) (Asset, error) {
	return scanAsset(c.QueryRow(ctx, "SELECT "+assetColumns+" FROM observe_assets oa WHERE oa.id = ? AND oa.deleted_at = 0", id))
}

// AssetOwner returns an asset's organization and whether it was deleted, for the policy
// facts of any asset, deleted or not.
func AssetOwner(ctx context.Context, c Conn, id int64) (orgID int64, deleted bool, err error) {
	var at int64
	err = c.QueryRow(ctx, "SELECT org_id, deleted_at FROM observe_assets WHERE id = ?", id).Scan(&orgID, &at)
	return orgID, at != 0, classify(err)
}

// SetAssetStatus records the center's decision on an asset.
func SetAssetStatus(ctx context.Context, c Conn, id int64, status string, by int64, now time.Time) error {
	_, err := c.Exec(ctx, "UPDATE observe_assets SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?", status, by, ms(now), id)
	return err
}

// DeleteAsset removes an asset from watch and from ownership.
func DeleteAsset(ctx context.Context, c Conn, id int64, now time.Time) error {
	_, err := c.Exec(ctx, "UPDATE observe_assets SET deleted_at = ? WHERE id = ?", ms(now), id)
	return err
}

// AssetQuery selects assets: the access filter (over the alias oa), optionally one
// organization and one status, newest first before a cursor.
type AssetQuery struct {
	Access Filter
	OrgID  int64
	Status string
	Before int64
	Limit  int
}

// ListAssets returns a page of live assets, newest first.
func ListAssets(ctx context.Context, c Conn, q AssetQuery) ([]Asset, error) {
	sql := "SELECT " + assetColumns + " FROM observe_assets oa WHERE oa.deleted_at = 0 AND " + q.Access.where()
	args := append([]any{}, q.Access.Args...)
	if q.OrgID != 0 {
		sql += " AND oa.org_id = ?"
		args = append(args, q.OrgID)
	}
	if q.Status != "" {
		sql += " AND oa.status = ?"
		args = append(args, q.Status)
	}
	if q.Before > 0 {
		sql += " AND oa.id < ?"
		args = append(args, q.Before)
	}
	sql += " ORDER BY oa.id DESC LIMIT ?"
	args = append(args, Page{Limit: q.Limit}.limit())
	rows, err := c.Query(ctx, sql, args...)
	return collect(rows, err, scanAsset)
}

// ApprovedAssets returns a page of approved assets in id order after the cursor: what the
// monitors watch.
func ApprovedAssets(ctx context.Context, c Conn, after int64, limit int) ([]Asset, error) {
	rows, err := c.Query(ctx, "SELECT "+assetColumns+` FROM observe_assets oa
		WHERE oa.status = 'approved' AND oa.deleted_at = 0 AND oa.id > ? ORDER BY oa.id LIMIT ?`, after, Page{Limit: limit}.limit())
	return collect(rows, err, scanAsset)
}

// ClaimingAssets returns the live, not rejected assets that claim the same thing as a:
// the same host, a host under it or above it (for domains and URLs), an overlapping
// address range, or the same keyword. approvedOnly narrows it to approved assets.
func ClaimingAssets(ctx context.Context, c Conn, a Asset, parents []string, approvedOnly bool) ([]Asset, error) {
	var conds []string
	var args []any
	if a.HostRev != "" {
		// The same host or a host under it: one index range ('/' follows '.').
		conds = append(conds, "(oa.host_rev >= ? AND oa.host_rev < ?)")
		args = append(args, a.HostRev, a.HostRev[:len(a.HostRev)-1]+"/")
		if len(parents) > 0 {
			conds = append(conds, "oa.host_rev IN ("+Placeholders(len(parents))+")")
			for _, p := range parents {
				args = append(args, p)
			}
		}
	}
	if a.AddrLo != "" {
		conds = append(conds, "(oa.addr_lo <> '' AND oa.addr_lo <= ? AND oa.addr_hi >= ?)")
		args = append(args, a.AddrHi, a.AddrLo)
	}
	if a.Keyword != "" {
		conds = append(conds, "oa.keyword = ?")
		args = append(args, a.Keyword)
	}
	if len(conds) == 0 {
		return nil, nil
	}
	status := "oa.status <> 'rejected'"
	if approvedOnly {
		status = "oa.status = 'approved'"
	}
	where := conds[0]
	for _, x := range conds[1:] {
		where += " OR " + x
	}
	rows, err := c.Query(ctx, "SELECT "+assetColumns+" FROM observe_assets oa WHERE oa.deleted_at = 0 AND "+status+
		" AND ("+where+") ORDER BY oa.id LIMIT 20", args...)
	return collect(rows, err, scanAsset)
}

// AssetsCovering returns the approved assets that cover an address (an IP inside a
// registered IP or range) or a host (a registered domain equal to it or above it; hosts
// are given as reversed names).
func AssetsCovering(ctx context.Context, c Conn, addr string, hosts []string) ([]Asset, error) {
	var where string
	var args []any
	switch {
	case addr != "":
		where = "oa.kind IN ('ip', 'cidr') AND oa.addr_lo <> '' AND oa.addr_lo <= ? AND oa.addr_hi >= ?"
		args = []any{addr, addr}
	case len(hosts) > 0:
		where = "oa.kind = 'domain' AND oa.host_rev IN (" + Placeholders(len(hosts)) + ")"
		for _, h := range hosts {
			args = append(args, h)
		}
	default:
		return nil, nil
	}
	rows, err := c.Query(ctx, "SELECT "+assetColumns+" FROM observe_assets oa WHERE oa.status = 'approved' AND oa.deleted_at = 0 AND "+
		where+" ORDER BY oa.id LIMIT 100", args...)
	return collect(rows, err, scanAsset)
}

// ---- Observation: notices ----

// Notice is one private notice to one organization.
type Notice struct {
	ID          int64
	OrgID       int64
	BatchID     int64
	Source      string // analyst, monitor, match
	Kind        string
	Severity    string
	TitleJA     string
	TitleEN     string
	BodyJA      string
	BodyEN      string
	ActionJA    string
	ActionEN    string
	Evidence    string // JSON object of strings
	AssetID     int64
	ObservedAt  time.Time
	CreatedBy   int64
	CreatedAt   time.Time
	FirstReadAt time.Time
	FirstReadBy int64
	RemindedAt  time.Time
	// ReadByMe is whether the person listing has read it (filled by ListNotices).
	ReadByMe bool
}

const noticeColumns = "n.id, n.org_id, n.batch_id, n.source, n.kind, n.severity, n.title_ja, n.title_en, n.body_ja, n.body_en, " +
	"n.action_ja, n.action_en, n.evidence, n.asset_id, n.observed_at, n.created_by, n.created_at, n.first_read_at, n.first_read_by, n.reminded_at"

func scanNoticeInto(n *Notice, extra ...any) []any {
	return append([]any{&n.ID, &n.OrgID, &n.BatchID, &n.Source, &n.Kind, &n.Severity, &n.TitleJA, &n.TitleEN, &n.BodyJA, &n.BodyEN,
		&n.ActionJA, &n.ActionEN, &n.Evidence, &n.AssetID}, extra...)
}

func scanNotice(s scanner) (Notice, error) {
	var n Notice
	var obs, cat, fra, rem int64
	err := s.Scan(scanNoticeInto(&n, &obs, &n.CreatedBy, &cat, &fra, &n.FirstReadBy, &rem)...)
	n.ObservedAt, n.CreatedAt, n.FirstReadAt, n.RemindedAt = fromMS(obs), fromMS(cat), fromMS(fra), fromMS(rem)
	return n, classify(err)
}

// InsertNotice adds a notice.
func InsertNotice(ctx context.Context, c Conn, n Notice, now time.Time) (int64, error) {
	if n.Evidence == "" {
		n.Evidence = "{}"
	}
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO observe_notices (org_id, batch_id, source, kind, severity, title_ja, title_en, body_ja, body_en,
		action_ja, action_en, evidence, asset_id, observed_at, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		n.OrgID, n.BatchID, n.Source, n.Kind, n.Severity, n.TitleJA, n.TitleEN, n.BodyJA, n.BodyEN, n.ActionJA, n.ActionEN, n.Evidence,
		n.AssetID, ms(n.ObservedAt), n.CreatedBy, ms(now)).Scan(&id)
	return id, classify(err)
}

// SetNoticeBatch records the batch a notice belongs to.
func SetNoticeBatch(ctx context.Context, c Conn, ids []int64, batch int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{batch}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := c.Exec(ctx, "UPDATE observe_notices SET batch_id = ? WHERE id IN ("+Placeholders(len(ids))+")", args...)
	return err
}

// GetNotice returns a notice.
func GetNotice(ctx context.Context, c Conn, id int64) (Notice, error) {
	return scanNotice(c.QueryRow(ctx, "SELECT "+noticeColumns+" FROM observe_notices n WHERE n.id = ?", id))
}

// NoticeQuery selects notices: the access filter (over the alias n), optionally one
// organization and only unread ones (by the organization), newest first before a cursor.
// Reader is the person whose own reads are reported.
type NoticeQuery struct {
	Access Filter
	OrgID  int64
	Unread bool
	Reader int64
	Before int64
	Limit  int
}

// ListNotices returns a page of notices, newest first.
func ListNotices(ctx context.Context, c Conn, q NoticeQuery) ([]Notice, error) {
	sql := "SELECT " + noticeColumns + `, CASE WHEN r.user_id IS NULL THEN 0 ELSE 1 END
		FROM observe_notices n LEFT JOIN observe_notice_reads r ON r.notice_id = n.id AND r.user_id = ?
		WHERE ` + q.Access.where()
	args := append([]any{q.Reader}, q.Access.Args...)
	if q.OrgID != 0 {
		sql += " AND n.org_id = ?"
		args = append(args, q.OrgID)
	}
	if q.Unread {
		sql += " AND n.first_read_at = 0"
	}
	if q.Before > 0 {
		sql += " AND n.id < ?"
		args = append(args, q.Before)
	}
	sql += " ORDER BY n.id DESC LIMIT ?"
	args = append(args, Page{Limit: q.Limit}.limit())
	rows, err := c.Query(ctx, sql, args...)
	return collect(rows, err, func(s scanner) (Notice, error) {
		var n Notice
		var obs, cat, fra, rem int64
		var mine int
		err := s.Scan(scanNoticeInto(&n, &obs, &n.CreatedBy, &cat, &fra, &n.FirstReadBy, &rem, &mine)...)
		n.ObservedAt, n.CreatedAt, n.FirstReadAt, n.RemindedAt = fromMS(obs), fromMS(cat), fromMS(fra), fromMS(rem)
		n.ReadByMe = mine == 1
		return n, err
	})
}

// MarkNoticeRead records that a person read a notice; orgRead says the person belongs to
// the target organization, whose first read it may be. It reports whether this was the
// person's first read.
func MarkNoticeRead(ctx context.Context, c Conn, noticeID, userID int64, orgRead bool, now time.Time) (bool, error) {
	res, err := c.Exec(ctx, `INSERT INTO observe_notice_reads (notice_id, user_id, read_at) VALUES (?, ?, ?)
		ON CONFLICT (notice_id, user_id) DO NOTHING`, noticeID, userID, ms(now))
	if err != nil {
		return false, classify(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if orgRead {
		if _, err := c.Exec(ctx, "UPDATE observe_notices SET first_read_at = ?, first_read_by = ? WHERE id = ? AND first_read_at = 0",
			ms(now), userID, noticeID); err != nil {
			return false, err
		}
	}
	return n == 1, nil
}

// ReadOf returns when a person read a notice (zero if not).
func ReadOf(ctx context.Context, c Conn, noticeID, userID int64) (time.Time, error) {
	var at int64
	err := c.QueryRow(ctx, "SELECT read_at FROM observe_notice_reads WHERE notice_id = ? AND user_id = ?", noticeID, userID).Scan(&at)
	if err = classify(err); err == ErrNotFound {
		return time.Time{}, nil
	}
	return fromMS(at), err
}

// CountUnreadNotices counts the notices of an organization nobody of it has read.
func CountUnreadNotices(ctx context.Context, c Conn, orgID int64) (int, error) {
	var n int
	err := c.QueryRow(ctx, "SELECT COUNT(*) FROM observe_notices WHERE org_id = ? AND first_read_at = 0", orgID).Scan(&n)
	return n, err
}

// DueReminders returns unread, not yet reminded notices sent before the cut, oldest first.
func DueReminders(ctx context.Context, c Conn, cut time.Time, limit int) ([]Notice, error) {
	rows, err := c.Query(ctx, "SELECT "+noticeColumns+` FROM observe_notices n
		WHERE n.first_read_at = 0 AND n.reminded_at = 0 AND n.created_at <= ? ORDER BY n.created_at LIMIT ?`, ms(cut), Page{Limit: limit}.limit())
	return collect(rows, err, scanNotice)
}

// MarkReminded records that a notice's reminder was queued.
func MarkReminded(ctx context.Context, c Conn, id int64, now time.Time) error {
	_, err := c.Exec(ctx, "UPDATE observe_notices SET reminded_at = ? WHERE id = ?", ms(now), id)
	return err
}

// UnreadByOrg is one organization's count of unread notices.
type UnreadByOrg struct {
	OrgID  int64
	Unread int
	Oldest time.Time
}

// UnreadNoticesByOrg counts unread notices per organization, most unread first.
func UnreadNoticesByOrg(ctx context.Context, c Conn, limit int) ([]UnreadByOrg, error) {
	rows, err := c.Query(ctx, `SELECT org_id, COUNT(*), MIN(created_at) FROM observe_notices WHERE first_read_at = 0
		GROUP BY org_id ORDER BY COUNT(*) DESC, org_id LIMIT ?`, Page{Limit: limit}.limit())
	return collect(rows, err, func(s scanner) (UnreadByOrg, error) {
		var u UnreadByOrg
		var oldest int64
		err := s.Scan(&u.OrgID, &u.Unread, &oldest)
		u.Oldest = fromMS(oldest)
		return u, err
	})
}

// ReadDelays returns the time to read (ms) of the notices sent since a time and read,
// at most limit of them, the most recent first.
func ReadDelays(ctx context.Context, c Conn, since time.Time, limit int) ([]int64, error) {
	rows, err := c.Query(ctx, `SELECT first_read_at - created_at FROM observe_notices
		WHERE created_at >= ? AND first_read_at <> 0 ORDER BY created_at DESC LIMIT ?`, ms(since), limit)
	return collect(rows, err, scanID)
}

// CountNoticesSince counts the notices sent since a time, and of them those still unread.
func CountNoticesSince(ctx context.Context, c Conn, since time.Time) (total, unread int, err error) {
	err = c.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN first_read_at = 0 THEN 1 ELSE 0 END), 0)
		FROM observe_notices WHERE created_at >= ?`, ms(since)).Scan(&total, &unread)
	return total, unread, err
}

// ---- Observation: conditions and matches ----

// Condition is the last known state of one watched condition of an asset.
type Condition struct {
	AssetID    int64
	Key        string
	Problem    bool
	Severity   string
	NoticeID   int64
	ObservedAt time.Time
	ChangedAt  time.Time
}

// GetCondition returns a condition's state, ErrNotFound when never seen.
func GetCondition(ctx context.Context, c Conn, assetID int64, key string) (Condition, error) {
	var x Condition
	var obs, chg int64
	err := c.QueryRow(ctx, `SELECT asset_id, cond_key, problem, severity, notice_id, observed_at, changed_at
		FROM observe_conditions WHERE asset_id = ? AND cond_key = ?`, assetID, key).
		Scan(&x.AssetID, &x.Key, &x.Problem, &x.Severity, &x.NoticeID, &obs, &chg)
	x.ObservedAt, x.ChangedAt = fromMS(obs), fromMS(chg)
	return x, classify(err)
}

// PutCondition writes a condition's state.
func PutCondition(ctx context.Context, c Conn, x Condition) error {
	_, err := c.Exec(ctx, `INSERT INTO observe_conditions (asset_id, cond_key, problem, severity, notice_id, observed_at, changed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (asset_id, cond_key) DO UPDATE SET problem = excluded.problem,
		severity = excluded.severity, notice_id = excluded.notice_id, observed_at = excluded.observed_at, changed_at = excluded.changed_at`,
		x.AssetID, x.Key, x.Problem, x.Severity, x.NoticeID, ms(x.ObservedAt), ms(x.ChangedAt))
	return err
}

// ClaimMatch records that an organization was told of a value from a source; it reports
// false when it already was.
func ClaimMatch(ctx context.Context, c Conn, orgID int64, source, value string, now time.Time) (bool, error) {
	res, err := c.Exec(ctx, `INSERT INTO observe_matches (org_id, source, value, notice_id, created_at) VALUES (?, ?, ?, 0, ?)
		ON CONFLICT (org_id, source, value) DO NOTHING`, orgID, source, value, ms(now))
	if err != nil {
		return false, classify(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SetMatchNotice records the notice that told of a match.
func SetMatchNotice(ctx context.Context, c Conn, orgID int64, source, value string, noticeID int64) error {
	_, err := c.Exec(ctx, "UPDATE observe_matches SET notice_id = ? WHERE org_id = ? AND source = ? AND value = ?", noticeID, orgID, source, value)
	return err
}
