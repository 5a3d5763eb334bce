package audit

import (
	"context"
	"time"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// Actions lists the recorded actions, for filters.
var Actions = []string{
	"auth.signin", "auth.signin_failed", "auth.signout", "auth.signout_everywhere", "auth.password_changed",
	"auth.totp_enabled", "auth.totp_disabled", "auth.totp_reset", "auth.recovery_code_used",
	"auth.recovery_codes_regenerated", "auth.link_created",
	"token.created", "token.revoked", "token.used",
	"intel.collection_created", "intel.objects_added", "intel.object_deleted", "intel.exported", "intel.indicators_created", "intel.sighting_recorded",
	"org.created", "org.updated", "org.disabled", "org.enabled",
	"user.created", "user.updated", "user.role_changed", "user.disabled", "user.enabled",
	"community.created", "community.updated", "community.member_added", "community.member_removed",
	"community.moderator_added", "community.moderator_removed",
	"topic.created", "topic.edited", "topic.scope_widened", "topic.deleted", "topic.pinned", "topic.unpinned",
	"topic.viewed_red", "comment.deleted", "attachment.downloaded",
	"webhook.created", "webhook.paused", "webhook.resumed", "webhook.secret_rotated", "webhook.deleted",
	"settings.changed", "audit.verified", "audit.exported",
	// Consultation desk.
	"case.filed", "case.message", "case.note", "case.state", "case.assigned", "case.urgency",
	"case.partner_invited", "case.partner_revoked", "case.linked", "case.merged", "case.published",
	"case.report_exported", "desk.oncall_added", "desk.oncall_removed",
	// Files on cases.
	"case.attachment_added", "case.attachment_downloaded",
}

// Query filters the log.
type Query struct {
	Action     string
	ActorID    int64
	TargetType string
	TargetID   int64
	Since      time.Time
	Until      time.Time
	Before     int64
	Limit      int
}

// List returns records newest first, for those allowed to read the log.
func List(ctx context.Context, db *store.DB, a policy.Actor, q Query) ([]model.AuditRecord, error) {
	if !policy.CanReadAudit(a) {
		return nil, fault.New(fault.Forbidden, "error.forbidden")
	}
	return store.ListAudit(ctx, db.Read(), store.AuditQuery{Action: q.Action, ActorID: q.ActorID, TargetType: q.TargetType,
		TargetID: q.TargetID, Since: q.Since, Until: q.Until, Before: q.Before, Limit: q.Limit})
}

// VerifyAs verifies the chain for those allowed to read the log, recording that it was done.
func VerifyAs(ctx context.Context, db *store.DB, a policy.Actor, actor Actor, now time.Time) (Report, error) {
	if !policy.CanReadAudit(a) {
		return Report{}, fault.New(fault.Forbidden, "error.forbidden")
	}
	rep, err := Verify(ctx, db)
	if err != nil {
		return rep, err
	}
	err = db.Write(ctx, func(c store.Conn) error {
		_, err := Append(ctx, c, Entry{Actor: actor, Action: "audit.verified",
			Detail: map[string]any{"records": rep.Records, "ok": rep.OK(), "broken_at": rep.BrokenAt}}, now)
		return err
	})
	return rep, err
}
