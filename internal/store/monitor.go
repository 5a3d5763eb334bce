package store

import (
	"context"
	"time"
)

// MonitorCheck is one scheduled check of one approved asset.
type MonitorCheck struct {
	ID          int64
	AssetID     int64
	OrgID       int64
	Check       string // http, tls, dns, port, lookalike, ct
	TargetKind  string // domain, url, ip, cidr, keyword
	TargetValue string
	Expect      string // text an http check wants in the page; "" for none
	NextAt      time.Time
	LeasedUntil time.Time
	LeaseOwner  string
	LastRunAt   time.Time
	LastError   string
	Runs        int64
}

const monitorCheckColumns = "id, asset_id, org_id, check_name, target_kind, target_value, expect, next_at, leased_until, lease_owner, last_run_at, last_error, runs"

func scanMonitorCheck(s scanner) (MonitorCheck, error) {
	var m MonitorCheck
	var next, leased, last int64
	err := s.Scan(&m.ID, &m.AssetID, &m.OrgID, &m.Check, &m.TargetKind, &m.TargetValue, &m.Expect,
		&next, &leased, &m.LeaseOwner, &last, &m.LastError, &m.Runs)
	m.NextAt, m.LeasedUntil, m.LastRunAt = fromMS(next), fromMS(leased), fromMS(last)
	return m, classify(err)
}

// ListMonitorChecks returns the checks in id order after the cursor.
func ListMonitorChecks(ctx context.Context, c Conn, p Page) ([]MonitorCheck, error) {
	rows, err := c.Query(ctx, "SELECT "+monitorCheckColumns+" FROM monitor_checks WHERE id > ? ORDER BY id LIMIT ?", p.After, p.limit())
	return collect(rows, err, scanMonitorCheck)
}

// InsertMonitorCheck schedules a new check unless the asset has that check already (another
// node may have added it meanwhile); it reports whether it added it.
func InsertMonitorCheck(ctx context.Context, c Conn, m MonitorCheck) (bool, error) {
	r, err := c.Exec(ctx, `INSERT INTO monitor_checks (asset_id, org_id, check_name, target_kind, target_value, expect, next_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (asset_id, check_name) DO NOTHING`,
		m.AssetID, m.OrgID, m.Check, m.TargetKind, m.TargetValue, m.Expect, ms(m.NextAt))
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n == 1, err
}

// RetargetMonitorCheck records that an asset's value, kind, organization or expected text
// changed: the state learned about the old value no longer applies and is dropped.
func RetargetMonitorCheck(ctx context.Context, c Conn, m MonitorCheck) error {
	if _, err := c.Exec(ctx, "DELETE FROM monitor_state WHERE check_id = ?", m.ID); err != nil {
		return err
	}
	_, err := c.Exec(ctx, `UPDATE monitor_checks SET org_id = ?, target_kind = ?, target_value = ?, expect = ?, next_at = ?
		WHERE id = ?`, m.OrgID, m.TargetKind, m.TargetValue, m.Expect, ms(m.NextAt), m.ID)
	return err
}

// DeleteMonitorChecks removes checks and their state.
func DeleteMonitorChecks(ctx context.Context, c Conn, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := int64Args(ids)
	if _, err := c.Exec(ctx, "DELETE FROM monitor_state WHERE check_id IN ("+placeholders(len(ids))+")", args...); err != nil {
		return err
	}
	_, err := c.Exec(ctx, "DELETE FROM monitor_checks WHERE id IN ("+placeholders(len(ids))+")", args...)
	return err
}

// ClaimMonitorChecks leases up to limit checks that are due (next_at reached, no live
// lease) to owner until leaseUntil, in the caller's transaction, earliest first. On
// PostgreSQL rows another node is claiming are skipped (FOR UPDATE SKIP LOCKED); SQLite has
// one writer, which is enough.
func ClaimMonitorChecks(ctx context.Context, c Conn, owner string, now, leaseUntil time.Time, limit int) ([]MonitorCheck, error) {
	lock := ""
	if c.Backend() == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := c.Query(ctx, `UPDATE monitor_checks SET leased_until = ?, lease_owner = ? WHERE id IN (
		SELECT id FROM monitor_checks WHERE next_at <= ? AND leased_until <= ?
		ORDER BY next_at, id LIMIT ?`+lock+`) RETURNING `+monitorCheckColumns,
		ms(leaseUntil), owner, ms(now), ms(now), Page{Limit: limit}.limit())
	return collect(rows, err, scanMonitorCheck)
}

// FinishMonitorCheck records a run and schedules the next one, if owner still holds the
// lease; it reports whether it did.
func FinishMonitorCheck(ctx context.Context, c Conn, id int64, owner string, ranAt, next time.Time, took time.Duration, lastError string) (bool, error) {
	r, err := c.Exec(ctx, `UPDATE monitor_checks SET next_at = ?, leased_until = 0, lease_owner = '', last_run_at = ?,
		last_duration_ms = ?, last_error = ?, runs = runs + 1 WHERE id = ? AND lease_owner = ?`,
		ms(next), ms(ranAt), took.Milliseconds(), lastError, id, owner)
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n == 1, err
}

// ReleaseMonitorChecks gives up owner's leases of checks that did not finish, leaving them
// due.
func ReleaseMonitorChecks(ctx context.Context, c Conn, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := append([]any{owner}, int64Args(ids)...)
	_, err := c.Exec(ctx, "UPDATE monitor_checks SET leased_until = 0, lease_owner = '' WHERE lease_owner = ? AND id IN ("+placeholders(len(ids))+")", args...)
	return err
}

// MonitorState is the last known state of one condition a check watches.
type MonitorState struct {
	Key       string
	Problem   bool
	Severity  string
	Data      string // the check's own record: a DNS baseline, a lookalike's records
	UpdatedAt time.Time
}

// MonitorStates returns the state of a check's conditions by key.
func MonitorStates(ctx context.Context, c Conn, checkID int64) (map[string]MonitorState, error) {
	rows, err := c.Query(ctx, "SELECT cond_key, problem, severity, data, updated_at FROM monitor_state WHERE check_id = ?", checkID)
	list, err := collect(rows, err, func(s scanner) (MonitorState, error) {
		var m MonitorState
		var at int64
		err := s.Scan(&m.Key, &m.Problem, &m.Severity, &m.Data, &at)
		m.UpdatedAt = fromMS(at)
		return m, err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]MonitorState, len(list))
	for _, m := range list {
		out[m.Key] = m
	}
	return out, nil
}

// SaveMonitorStates writes the conditions in put and removes those named in drop.
func SaveMonitorStates(ctx context.Context, c Conn, checkID int64, put []MonitorState, drop []string) error {
	for _, s := range put {
		if _, err := c.Exec(ctx, `INSERT INTO monitor_state (check_id, cond_key, problem, severity, data, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (check_id, cond_key) DO UPDATE SET
			problem = excluded.problem, severity = excluded.severity, data = excluded.data, updated_at = excluded.updated_at`,
			checkID, s.Key, s.Problem, s.Severity, s.Data, ms(s.UpdatedAt)); err != nil {
			return err
		}
	}
	for _, k := range drop {
		if _, err := c.Exec(ctx, "DELETE FROM monitor_state WHERE check_id = ? AND cond_key = ?", checkID, k); err != nil {
			return err
		}
	}
	return nil
}

// MonitorCount sums up the checks of one kind.
type MonitorCount struct {
	Check   string
	Total   int
	Due     int // next run reached, not running
	Running int // leased to a node now
	Failing int // the last run ended in an error
	LastRun time.Time
}

// CountMonitorChecks sums up the schedule per check, in check name order.
func CountMonitorChecks(ctx context.Context, c Conn, now time.Time) ([]MonitorCount, error) {
	rows, err := c.Query(ctx, `SELECT check_name, COUNT(*),
		SUM(CASE WHEN next_at <= ? AND leased_until <= ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN leased_until > ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN last_error <> '' THEN 1 ELSE 0 END),
		MAX(last_run_at)
		FROM monitor_checks GROUP BY check_name ORDER BY check_name`, ms(now), ms(now), ms(now))
	return collect(rows, err, func(s scanner) (MonitorCount, error) {
		var m MonitorCount
		var last int64
		err := s.Scan(&m.Check, &m.Total, &m.Due, &m.Running, &m.Failing, &last)
		m.LastRun = fromMS(last)
		return m, err
	})
}
