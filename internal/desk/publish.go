package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
)

// SetSNS connects the sharing SNS, into which sanitized versions of cases are published.
func (s *Service) SetSNS(svc *sns.Service) { s.sns = svc }

// Publication is a sanitized version of a case, to be posted as a topic.
type Publication struct {
	CommunityID int64
	Title       string
	Body        string
	TLP         string
}

// PublicationDraft starts the publication form from the case's facts, without the
// reporting organization's identity: its names, the reporter's name and email address are
// replaced wherever the reporter typed them, and the organization is not named.
func (s *Service) PublicationDraft(ctx context.Context, p auth.Principal, id int64, lang model.Lang) (Publication, error) {
	c := s.db.Read()
	l, err := s.load(ctx, c, p, id)
	if err != nil {
		return Publication{}, err
	}
	if !policy.CanHandleCase(p.Actor, l.facts) {
		return Publication{}, forbidden()
	}
	org, err := store.GetOrg(ctx, c, l.k.OrgID)
	if err != nil {
		return Publication{}, err
	}
	reporter, err := store.GetUser(ctx, c, l.k.ReporterID)
	if err != nil {
		return Publication{}, err
	}
	hide := i18n.T(lang, "deskpub.redacted")
	var pairs []string
	for _, x := range []string{org.NameJA, org.NameEN, reporter.DisplayName, reporter.Email} {
		if strings.TrimSpace(x) != "" {
			pairs = append(pairs, x, hide)
		}
	}
	scrub := strings.NewReplacer(pairs...).Replace
	k := l.k
	t := func(key string, args ...any) string { return i18n.T(lang, key, args...) }
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", t("deskpub.intro", "category", t("case_category."+string(k.Category)), "kind", t("case_kind."+string(k.Kind))))
	if !k.DetectedAt.IsZero() {
		fmt.Fprintf(&b, "- %s: %s\n", t("deskpub.detected"), k.DetectedAt.In(model.LoadLocation("")).Format("2006-01-02 15:04 MST"))
	}
	fmt.Fprintf(&b, "- %s: %s\n", t("deskpub.impact"), t("impact."+string(k.EventImpact)))
	fmt.Fprintf(&b, "\n%s\n", scrub(k.Description))
	if len(k.Observables) > 0 {
		fmt.Fprintf(&b, "\n%s\n\n", t("deskpub.observables"))
		for _, o := range k.Observables {
			fmt.Fprintf(&b, "- %s: `%s`\n", t("observable_kind."+string(o.Kind)), o.Value)
		}
	}
	title, _ := model.CleanText(t("deskpub.title", "category", t("case_category."+string(k.Category)))+" "+scrub(k.Title), sns.MaxTitleLen, false)
	return Publication{Title: title, Body: b.String(), TLP: string(model.TLPAmber)}, nil
}

// Publish posts a sanitized version of a case as an incident topic in a community the
// publisher belongs to (center staff). The link from the case to the topic is kept for
// the center only, and audited, in the topic's transaction: there is never a published
// topic without its link, nor a link to a topic that was not written.
func (s *Service) Publish(ctx context.Context, p auth.Principal, id int64, in Publication) (model.Topic, error) {
	if s.sns == nil {
		return model.Topic{}, fault.Wrap(errors.New("no SNS service connected"), "publish a case")
	}
	l, err := s.load(ctx, s.db.Read(), p, id)
	if err != nil {
		return model.Topic{}, err
	}
	if !policy.CanHandleCase(p.Actor, l.facts) {
		return model.Topic{}, forbidden()
	}
	if in.CommunityID == 0 {
		return model.Topic{}, fault.Field("community_id", "deskpub.choose_community")
	}
	now := s.now()
	topic, err := s.sns.CreateTopicWith(ctx, p, sns.TopicInput{CommunityID: in.CommunityID, Title: in.Title, Body: in.Body,
		InfoType: "incident", TLP: in.TLP, Scope: string(model.ScopeCommunity)}, func(c store.Conn, topic model.Topic) error {
		// Checked again inside the transaction: the case may have changed since.
		l, err := s.load(ctx, c, p, id)
		if err != nil {
			return err
		}
		if !policy.CanHandleCase(p.Actor, l.facts) {
			return forbidden()
		}
		if err := store.InsertCasePublication(ctx, c, id, topic.ID, p.User.ID, now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "case.published", TargetType: "case", TargetID: id,
			Detail: map[string]any{"topic_id": topic.ID, "community_id": in.CommunityID, "tlp": topic.TLP}}, now)
		return err
	})
	if err != nil {
		return model.Topic{}, err
	}
	return topic, nil
}
