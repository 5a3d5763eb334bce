package desk

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// Event kinds the desk writes to the event log, for the live stream: a case was filed, a
// message (or an internal note) was written in a case's thread, a case changed state, was
// assigned (team, handler) or changed urgency (the queue and the case page update). The
// log row carries the ids in its detail, never a title or a body.
const (
	EventCaseFiled    = "case.filed"
	EventCaseMessage  = "case.message"
	EventCaseState    = "case.state"
	EventCaseAssigned = "case.assigned"
	EventCaseUrgency  = "case.urgency"
)

// CaseEvent is the detail of a desk event in the log.
type CaseEvent struct {
	CaseID    int64 `json:"case_id"`
	MessageID int64 `json:"message_id,omitempty"`
	// AttachmentID names the file of a case.attachment event.
	AttachmentID int64  `json:"attachment_id,omitempty"`
	Internal     bool   `json:"internal,omitempty"`
	Category     string `json:"category,omitempty"`
	Urgency      string `json:"urgency,omitempty"`
	// OnCall are the people on call when the case was filed: the live stream marks the
	// event as an alert for them.
	OnCall []int64 `json:"on_call,omitempty"`
}

// IsCaseEvent reports whether an event log kind is one of the desk's.
func IsCaseEvent(kind string) bool { return strings.HasPrefix(kind, "case.") }

// ParseCaseEvent reads the detail of a desk event; ok is false for another kind or a
// detail without a case.
func ParseCaseEvent(e store.Event) (CaseEvent, bool) {
	if !IsCaseEvent(e.Kind) {
		return CaseEvent{}, false
	}
	var d CaseEvent
	if json.Unmarshal([]byte(e.Detail), &d) != nil || d.CaseID <= 0 {
		return CaseEvent{}, false
	}
	return d, true
}

// AlertsFor reports whether the event is an on-call alert for this person.
func (d CaseEvent) AlertsFor(userID int64) bool {
	return userID != 0 && slices.Contains(d.OnCall, userID)
}

// event appends a desk event to the log in the caller's transaction and, on PostgreSQL,
// announces it to every node at commit.
func (s *Service) event(ctx context.Context, c store.Conn, actorID int64, kind string, d CaseEvent, now time.Time) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if _, err := store.InsertEvent(ctx, c, store.Event{Kind: kind, ActorID: actorID, Detail: string(b)}, now); err != nil {
		return err
	}
	if s.signal != nil {
		return s.signal.Notify(ctx, c)
	}
	return nil
}

// CanSeeEvent decides, at the time of delivery, whether a person may be shown a desk event
// of the log: the case must be visible to them (policy.CanViewCase) and, for an internal
// note, so must internal notes (policy.CanViewCaseMessage). A missing case is not visible;
// ok is false for an event that is not the desk's.
func (s *Service) CanSeeEvent(ctx context.Context, p auth.Principal, e store.Event) (CaseEvent, bool, error) {
	d, ok := ParseCaseEvent(e)
	if !ok {
		return CaseEvent{}, false, nil
	}
	l, err := s.load(ctx, s.db.Read(), p, d.CaseID)
	switch {
	case fault.Is(err, fault.NotFound), errors.Is(err, store.ErrNotFound):
		return CaseEvent{}, false, nil
	case err != nil:
		return CaseEvent{}, false, err
	}
	if !policy.CanViewCaseMessage(p.Actor, policy.CaseMessageFacts{Case: l.facts, Internal: d.Internal}) {
		return CaseEvent{}, false, nil
	}
	// What the receiver is shown is the case as it is now.
	d.Category, d.Urgency = string(l.k.Category), string(l.k.Urgency)
	return d, true, nil
}

// caseFiledEvent is the log detail of a newly filed case.
func caseFiledEvent(k model.Case, onCall []int64) CaseEvent {
	return CaseEvent{CaseID: k.ID, Category: string(k.Category), Urgency: string(k.Urgency), OnCall: onCall}
}
