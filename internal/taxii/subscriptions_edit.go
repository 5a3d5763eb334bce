package taxii

import (
	"context"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/store"
)

// Update changes a subscription of the caller's organization. Its direction stays what it
// was (an empty one in the input means the same); an empty secret keeps the stored one
// unless the authentication becomes none. When the remote side or the local collection
// changes, the checkpoint starts again from the beginning: the old one belongs to another
// collection. A run under way finishes with what it had.
func (s *Subscriptions) Update(ctx context.Context, p auth.Principal, id int64, in SubscriptionInput) (Subscription, error) {
	var t store.TaxiiSubscription
	err := s.db.Write(ctx, func(c store.Conn) error {
		var err error
		if t, err = s.get(ctx, c, p, id); err != nil {
			return err
		}
		if in.Direction == "" {
			in.Direction = t.Direction
		}
		if in.Direction != t.Direction {
			return fault.Field("direction", "taxiisub.direction_fixed")
		}
		hadSecret := t.SecretSealed != "" && in.AuthKind == t.AuthKind
		v, err := s.check(ctx, p, in, hadSecret)
		if err != nil {
			return err
		}
		moved := v.root != t.APIRoot || v.remote != t.RemoteCollection || v.coll.ID != t.CollectionID
		t.Title, t.APIRoot, t.RemoteCollection, t.CollectionID = v.title, v.root, v.remote, v.coll.ID
		t.AuthKind, t.Username, t.Interval = in.AuthKind, v.user, in.Interval.Truncate(time.Second)
		if moved {
			t.Checkpoint = ""
		}
		if err := store.UpdateTaxiiSub(ctx, c, t); err != nil {
			return err
		}
		if err := s.updateSecret(ctx, c, &t, in.Secret); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "taxii.subscription_updated", TargetType: "taxii_subscription",
			TargetID: t.ID, Detail: map[string]any{"api_root": t.APIRoot, "remote_collection": t.RemoteCollection, "collection_id": t.CollectionID,
				"auth": t.AuthKind, "secret_changed": in.Secret != "", "interval_s": int64(t.Interval / time.Second), "checkpoint_reset": moved}}, s.now())
		return err
	})
	if err != nil {
		return Subscription{}, err
	}
	s.Wake()
	return s.view(ctx, p, t), nil
}

// updateSecret seals a new secret, or drops the stored one when there is no
// authentication any more.
func (s *Subscriptions) updateSecret(ctx context.Context, c store.Conn, t *store.TaxiiSubscription, secret string) error {
	switch {
	case t.AuthKind == "none":
		t.SecretSealed = ""
	case secret != "":
		t.SecretSealed = s.box.Seal([]byte(secret), secretPurpose(t.ID))
	default:
		return nil
	}
	return store.SetTaxiiSubSecret(ctx, c, t.ID, t.SecretSealed)
}
