package live

import (
	"context"
	"errors"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
)

// Notify announces, inside the transaction that inserted an event, that the event log has
// grown. On PostgreSQL it queues a notification on Channel, which PostgreSQL delivers to
// every listening node when (and only if) the transaction commits; on SQLite, where all
// writers share one process, it does nothing: call Hub.Wake after the commit instead.
func Notify(ctx context.Context, c store.Conn) error {
	if c.Backend() != store.Postgres {
		return nil
	}
	_, err := c.Exec(ctx, "SELECT pg_notify('"+Channel+"', '')")
	return err
}

// Visible reports whether the viewer may see what an event is about, now: the event's
// topic, looked up through the SNS service's access check. Events not about a topic, and
// any failure, count as not visible.
func Visible(ctx context.Context, svc *sns.Service, p auth.Principal, e store.Event) bool {
	ok, _ := visible(ctx, svc, p, e)
	return ok
}

// visible is Visible that tells "not visible" from "could not tell".
func visible(ctx context.Context, svc *sns.Service, p auth.Principal, e store.Event) (bool, error) {
	if e.TopicID == 0 || p.User.ID == 0 {
		return false, nil
	}
	ok, err := svc.CanSee(ctx, p, e.TopicID)
	switch {
	case err == nil:
		return ok, nil
	case fault.Is(err, fault.NotFound), errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, err
}

// SetDesk lets the hub's streams carry the consultation desk's events (a case filed, a
// message written), each delivered only to whom the desk's policy check lets see the case
// (and, for an internal note, internal notes) at the time of delivery. Call it before
// serving streams; without it desk events are never delivered.
func (h *Hub) SetDesk(d *desk.Service) { h.desk = d }

// VisibleCase reports whether the viewer may be shown a desk event now, and what it may be
// shown of it. Events of other kinds, and any failure, count as not visible.
func VisibleCase(ctx context.Context, d *desk.Service, p auth.Principal, e store.Event) (desk.CaseEvent, bool) {
	if d == nil {
		return desk.CaseEvent{}, false
	}
	ev, ok, err := d.CanSeeEvent(ctx, p, e)
	return ev, ok && err == nil
}

func (h *Hub) caseVisible(ctx context.Context, p auth.Principal, e store.Event) (desk.CaseEvent, bool, error) {
	if h.desk == nil || p.User.ID == 0 {
		return desk.CaseEvent{}, false, nil
	}
	return h.desk.CanSeeEvent(ctx, p, e)
}
