package desk

import (
	"context"
	"errors"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/notify"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// The on-call (当直) rota: shifts of center staff. Whoever is on call when a case is filed
// is alerted at once by email, queued in the transaction that files the case.

// MaxShift is the longest shift, and MaxShiftsListed the most shifts the rota shows.
const (
	MaxShift        = 7 * 24 * time.Hour
	MaxShiftsListed = 200
)

// Shift is one turn on the rota.
type Shift = store.OnCallShift

// AddShift puts a center analyst on call from start to end (center staff; audited).
func (s *Service) AddShift(ctx context.Context, p auth.Principal, userID int64, start, end time.Time) (Shift, error) {
	if !policy.CanViewInternalNotes(p.Actor) {
		return Shift{}, forbidden()
	}
	switch {
	case start.IsZero() || end.IsZero() || !end.After(start):
		return Shift{}, fault.Field("ends_at", "deskoncall.bad_window")
	case end.Sub(start) > MaxShift:
		return Shift{}, fault.Field("ends_at", "deskoncall.too_long", "days", int(MaxShift/(24*time.Hour)))
	}
	now := s.now()
	sh := Shift{UserID: userID, StartsAt: start.UTC().Truncate(time.Millisecond), EndsAt: end.UTC().Truncate(time.Millisecond)}
	err := s.write(ctx, func(c store.Conn) error {
		u, err := store.GetUser(ctx, c, userID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (u.CenterRole == model.CenterNone || u.Disabled)) {
			return fault.Field("user_id", "case.handler_not_staff")
		}
		if err != nil {
			return err
		}
		if sh.ID, err = store.InsertOnCall(ctx, c, sh); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "desk.oncall_added", TargetType: "user", TargetID: userID,
			Detail: map[string]any{"shift_id": sh.ID, "starts_at": sh.StartsAt.Format(time.RFC3339), "ends_at": sh.EndsAt.Format(time.RFC3339)}}, now)
		return err
	})
	return sh, err
}

// RemoveShift takes a shift off the rota (center staff; audited).
func (s *Service) RemoveShift(ctx context.Context, p auth.Principal, id int64) error {
	if !policy.CanViewInternalNotes(p.Actor) {
		return forbidden()
	}
	return s.write(ctx, func(c store.Conn) error {
		if err := store.DeleteOnCall(ctx, c, id); errors.Is(err, store.ErrNotFound) {
			return notFound()
		} else if err != nil {
			return err
		}
		_, err := audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "desk.oncall_removed", TargetType: "oncall", TargetID: id}, s.now())
		return err
	})
}

// Shifts lists the shifts that have not ended, soonest first (center staff).
func (s *Service) Shifts(ctx context.Context, p auth.Principal) ([]Shift, error) {
	if !policy.CanViewInternalNotes(p.Actor) {
		return nil, forbidden()
	}
	return store.ListOnCall(ctx, s.db.Read(), s.now(), MaxShiftsListed)
}

// OnCallNow returns the people on call now (center staff).
func (s *Service) OnCallNow(ctx context.Context, p auth.Principal) ([]int64, error) {
	if !policy.CanViewInternalNotes(p.Actor) {
		return nil, forbidden()
	}
	return store.OnCallAt(ctx, s.db.Read(), s.now())
}

// alertOnCall queues the alert emails of a newly filed case, in its transaction, and
// returns who was alerted (the live event marks itself as an alert for them).
func alertOnCall(ctx context.Context, c store.Conn, caseID int64, now time.Time) ([]int64, error) {
	ids, err := store.OnCallAt(ctx, c, now)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := notify.QueueCaseAlert(ctx, c, id, caseID, now); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
