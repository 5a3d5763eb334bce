package store

import (
	"context"
	"time"
)

// TaxiiSubscription is a local collection tied to a remote TAXII 2.1 collection, pulled or
// pushed on a schedule.
type TaxiiSubscription struct {
	ID               int64
	OrgID            int64
	CreatedBy        int64
	CollectionID     int64
	Direction        string // pull, push
	Title            string
	APIRoot          string
	RemoteCollection string
	AuthKind         string // none, bearer, basic
	Username         string
	SecretSealed     string
	Interval         time.Duration
	Checkpoint       string
	NextAt           time.Time
	LeasedUntil      time.Time
	LeaseOwner       string
	LastRunAt        time.Time
	LastSuccessAt    time.Time
	LastError        string
	LastErrorAt      time.Time
	Failures         int
	Pulled, Pushed   int64
	Refused          int64
	CreatedAt        time.Time
}

const taxiiSubColumns = `s.id, s.org_id, s.created_by, s.collection_id, s.direction, s.title, s.api_root, s.remote_collection, s.auth_kind,
	s.username, s.secret_sealed, s.interval_s, s.checkpoint, s.next_at, s.leased_until, s.lease_owner, s.last_run_at, s.last_success_at,
	s.last_error, s.last_error_at, s.failures, s.objects_pulled, s.objects_pushed, s.objects_refused, s.created_at`

func scanTaxiiSub(sc scanner) (TaxiiSubscription, error) {
	var s TaxiiSubscription
	var interval, next, leased, run, ok, errAt, created int64
	err := sc.Scan(&s.ID, &s.OrgID, &s.CreatedBy, &s.CollectionID, &s.Direction, &s.Title, &s.APIRoot, &s.RemoteCollection, &s.AuthKind,
		&s.Username, &s.SecretSealed, &interval, &s.Checkpoint, &next, &leased, &s.LeaseOwner, &run, &ok,
		&s.LastError, &errAt, &s.Failures, &s.Pulled, &s.Pushed, &s.Refused, &created)
	s.Interval = time.Duration(interval) * time.Second
	s.NextAt, s.LeasedUntil, s.LastRunAt, s.LastSuccessAt, s.LastErrorAt, s.CreatedAt =
		fromMS(next), fromMS(leased), fromMS(run), fromMS(ok), fromMS(errAt), fromMS(created)
	return s, classify(err)
}

// InsertTaxiiSub adds a subscription and returns its id.
func InsertTaxiiSub(ctx context.Context, c Conn, s TaxiiSubscription) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO taxii_subscriptions (org_id, created_by, collection_id, direction, title, api_root,
		remote_collection, auth_kind, username, secret_sealed, interval_s, next_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.OrgID, s.CreatedBy, s.CollectionID, s.Direction, s.Title, s.APIRoot, s.RemoteCollection, s.AuthKind, s.Username,
		s.SecretSealed, int64(s.Interval/time.Second), ms(s.NextAt), ms(s.CreatedAt)).Scan(&id)
	return id, classify(err)
}

// SetTaxiiSubSecret stores the sealed credential of a subscription (sealed for its id).
func SetTaxiiSubSecret(ctx context.Context, c Conn, id int64, sealed string) error {
	_, err := c.Exec(ctx, "UPDATE taxii_subscriptions SET secret_sealed = ? WHERE id = ?", sealed, id)
	return err
}

// GetTaxiiSub returns one subscription.
func GetTaxiiSub(ctx context.Context, c Conn, id int64) (TaxiiSubscription, error) {
	return scanTaxiiSub(c.QueryRow(ctx, "SELECT "+taxiiSubColumns+" FROM taxii_subscriptions s WHERE s.id = ?", id))
}

// ListTaxiiSubs returns the subscriptions the filter (over the alias s) lets through, in id
// order after the cursor.
func ListTaxiiSubs(ctx context.Context, c Conn, f Filter, p Page) ([]TaxiiSubscription, error) {
	rows, err := c.Query(ctx, "SELECT "+taxiiSubColumns+" FROM taxii_subscriptions s WHERE "+f.where()+" AND s.id > ? ORDER BY s.id LIMIT ?",
		append(append([]any{}, f.Args...), p.After, p.limit())...)
	return collect(rows, err, scanTaxiiSub)
}

// DeleteTaxiiSub removes a subscription.
func DeleteTaxiiSub(ctx context.Context, c Conn, id int64) error {
	_, err := c.Exec(ctx, "DELETE FROM taxii_subscriptions WHERE id = ?", id)
	return err
}

// RunTaxiiSubNow makes a subscription due at once (a run under way keeps its lease).
func RunTaxiiSubNow(ctx context.Context, c Conn, id int64, now time.Time) error {
	_, err := c.Exec(ctx, "UPDATE taxii_subscriptions SET next_at = ? WHERE id = ?", ms(now), id)
	return err
}

// ClaimTaxiiSubs leases up to limit due subscriptions (next_at reached, no live lease) to
// owner until leaseUntil, earliest first. The UPDATE is conditional on the row still being
// due and unleased, and on PostgreSQL rows another node is claiming are skipped (FOR UPDATE
// SKIP LOCKED), so each run is taken by one node.
func ClaimTaxiiSubs(ctx context.Context, c Conn, owner string, now, leaseUntil time.Time, limit int) ([]TaxiiSubscription, error) {
	lock := ""
	if c.Backend() == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := c.Query(ctx, `UPDATE taxii_subscriptions SET leased_until = ?, lease_owner = ? WHERE leased_until <= ? AND id IN (
		SELECT id FROM taxii_subscriptions WHERE next_at <= ? AND leased_until <= ?
		ORDER BY next_at, id LIMIT ?`+lock+`) RETURNING `+stripAlias(taxiiSubColumns),
		ms(leaseUntil), owner, ms(now), ms(now), ms(now), Page{Limit: limit}.limit())
	return collect(rows, err, scanTaxiiSub)
}

// SaveTaxiiSubPage records a page done: the new checkpoint, the counts, and a longer lease,
// if owner still holds the lease; it reports whether it did.
func SaveTaxiiSubPage(ctx context.Context, c Conn, id int64, owner, checkpoint string, pulled, pushed, refused int64, leaseUntil time.Time) (bool, error) {
	r, err := c.Exec(ctx, `UPDATE taxii_subscriptions SET checkpoint = ?, objects_pulled = objects_pulled + ?, objects_pushed = objects_pushed + ?,
		objects_refused = objects_refused + ?, leased_until = ? WHERE id = ? AND lease_owner = ?`,
		checkpoint, pulled, pushed, refused, ms(leaseUntil), id, owner)
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n == 1, err
}

// FinishTaxiiSub records the end of a run and schedules the next, if owner still holds the
// lease: lastError "" is a success (the failure count starts again), otherwise a failure.
func FinishTaxiiSub(ctx context.Context, c Conn, id int64, owner string, ranAt, next time.Time, lastError string) (bool, error) {
	q := `UPDATE taxii_subscriptions SET next_at = ?, leased_until = 0, lease_owner = '', last_run_at = ?, last_success_at = ?, failures = 0
		WHERE id = ? AND lease_owner = ?`
	args := []any{ms(next), ms(ranAt), ms(ranAt), id, owner}
	if lastError != "" {
		q = `UPDATE taxii_subscriptions SET next_at = ?, leased_until = 0, lease_owner = '', last_run_at = ?, last_error = ?, last_error_at = ?,
			failures = failures + 1 WHERE id = ? AND lease_owner = ?`
		args = []any{ms(next), ms(ranAt), lastError, ms(ranAt), id, owner}
	}
	r, err := c.Exec(ctx, q, args...)
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n == 1, err
}

func stripAlias(cols string) string {
	out := make([]byte, 0, len(cols))
	for i := 0; i < len(cols); i++ {
		if cols[i] == 's' && i+1 < len(cols) && cols[i+1] == '.' && (i == 0 || cols[i-1] == ' ' || cols[i-1] == '\t' || cols[i-1] == '\n') {
			i++
			continue
		}
		out = append(out, cols[i])
	}
	return string(out)
}
