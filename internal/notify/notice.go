package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// jobNotice is a reminder of an observation notice its organization has not read.
const jobNotice = "notice"

// NoticeReminder is the outbox item of a reminder to one person of an unread observation
// notice of their organization (queued by the observe package's sweep).
func NoticeReminder(userID, noticeID int64) store.OutboxItem {
	return store.OutboxItem{Channel: channelEmail, DedupeKey: fmt.Sprintf("notice-reminder:%d:%d", noticeID, userID),
		Recipient: fmt.Sprintf("user:%d", userID), Payload: job{Kind: jobNotice, UserID: userID, NoticeID: noticeID}.encode()}
}

// NoticePath is the page of a notice.
func NoticePath(id int64) string { return fmt.Sprintf("/notices/%d", id) }

// noticeReminder renders a reminder, checking again that the person may see the notice
// and that their organization has still not read it. It names that notice only.
func (w writer) noticeReminder(ctx context.Context, c store.Conn, actor policy.Actor, j job) (string, string, error) {
	n, err := store.GetNotice(ctx, c, j.NoticeID)
	if errors.Is(err, store.ErrNotFound) {
		return "", "", dropped("the notice is gone")
	}
	if err != nil {
		return "", "", err
	}
	if !policy.CanViewNotice(actor, policy.NoticeFacts{OrgID: n.OrgID}) || actor.OrgID != n.OrgID {
		return "", "", dropped("the recipient can no longer see the notice")
	}
	if !n.FirstReadAt.IsZero() {
		return "", "", dropped("the notice was read meanwhile")
	}
	title := n.TitleJA
	if w.lang == model.LangEN && n.TitleEN != "" || title == "" {
		title = n.TitleEN
	}
	sev := i18n.T(w.lang, "observe.severity."+n.Severity)
	subject := i18n.T(w.lang, "observe.reminder_subject", "title", title)
	body := []string{
		i18n.T(w.lang, "observe.reminder_intro"), "",
		"[" + sev + "] " + title,
		i18n.T(w.lang, "observe.reminder_sent", "date", w.date(n.CreatedAt)), "",
		i18n.T(w.lang, "notify.open_link", "url", w.n.link(NoticePath(n.ID))),
	}
	return subject, lines(append(body, w.footer()...)), nil
}
