package store

import (
	"context"
	"time"
)

// UpdateTaxiiSub writes what an edit of a subscription may change: its title, remote side,
// local collection, credentials' kind and user, interval and checkpoint.
func UpdateTaxiiSub(ctx context.Context, c Conn, s TaxiiSubscription) error {
	_, err := c.Exec(ctx, `UPDATE taxii_subscriptions SET title = ?, api_root = ?, remote_collection = ?, collection_id = ?, auth_kind = ?,
		username = ?, interval_s = ?, checkpoint = ? WHERE id = ?`,
		s.Title, s.APIRoot, s.RemoteCollection, s.CollectionID, s.AuthKind, s.Username, int64(s.Interval/time.Second), s.Checkpoint, s.ID)
	return err
}
