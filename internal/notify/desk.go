package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// jobCase is an email alerting an on-call analyst to a newly filed case of the
// consultation desk.
const jobCase = "case"

// QueueCaseAlert queues, in the caller's transaction (the one that files the case), an
// email to one person about a new case. The email says that a case arrived, its category,
// urgency and event impact, and links to it: the title and the description stay on the
// platform. It is rendered when sent, and dropped if the person can no longer see the case.
func QueueCaseAlert(ctx context.Context, c store.Conn, userID, caseID int64, now time.Time) error {
	j := job{Kind: jobCase, UserID: userID, CaseID: caseID, At: now.UnixMilli()}
	_, err := store.QueueOutbox(ctx, c, store.OutboxItem{Channel: channelEmail, DedupeKey: fmt.Sprintf("case:%d:user:%d", caseID, userID),
		Recipient: fmt.Sprintf("user:%d", userID), Payload: j.encode()}, now)
	return err
}

func casePath(id int64) string { return fmt.Sprintf("/desk/cases/%d", id) }

// caseAlert writes the alert about a case, if the recipient may still see it.
func (w writer) caseAlert(ctx context.Context, c store.Conn, j job, actor policy.Actor) (string, string, error) {
	k, err := store.GetCase(ctx, c, j.CaseID)
	if errors.Is(err, store.ErrNotFound) {
		return "", "", dropped("the case is gone")
	}
	if err != nil {
		return "", "", err
	}
	partners, err := store.CasePartnerOrgs(ctx, c, k.ID)
	if err != nil {
		return "", "", err
	}
	facts := policy.CaseFacts{ID: k.ID, OrgID: k.OrgID}
	for _, p := range partners {
		facts.Partners = append(facts.Partners, p.OrgID)
	}
	if !policy.CanViewCase(actor, facts) {
		return "", "", dropped("the recipient can no longer see the case")
	}
	t := func(key string, args ...any) string { return i18n.T(w.lang, key, args...) }
	category, urgency := t("case_category."+string(k.Category)), t("urgency."+string(k.Urgency))
	subject := t("deskmail.subject", "id", k.ID, "urgency", urgency, "category", category)
	body := lines(append([]string{
		t("deskmail.intro"),
		"",
		t("deskmail.facts", "kind", t("case_kind."+string(k.Kind)), "category", category, "urgency", urgency,
			"impact", t("impact."+string(k.EventImpact)), "filed", w.date(k.CreatedAt)),
		t("deskmail.due", "due", w.date(k.ResponseDueAt)),
		"",
		w.n.link(casePath(k.ID)),
	}, w.footer()...))
	return subject, body, nil
}
