package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/markdown"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// email is a rendered message.
type email struct {
	to      *mail.Address
	subject string
	body    string
}

// dropped says that a message has nothing left to send (the recipient can no longer see
// the topic, the topic is gone, the person was disabled): it is given up silently.
type dropped string

func (d dropped) Error() string { return "dropped: " + string(d) }

// renderEmail renders an email job from the current state of the recipient and the
// topics, checking again that the recipient may see each topic.
func (n *Notifier) renderEmail(ctx context.Context, j job) (email, error) {
	c := n.db.Read()
	people, err := store.Recipients(ctx, c, []int64{j.UserID})
	if err != nil {
		return email{}, err
	}
	if len(people) == 0 {
		return email{}, dropped("the recipient is disabled or gone")
	}
	r := people[0]
	w := writer{n: n, lang: r.User.Lang, loc: model.LoadLocation(r.User.TimeZone)}
	if w.lang != model.LangEN {
		w.lang = model.LangJA
	}
	actor := auth.ActorFor(r.User, r.Communities)
	to := &mail.Address{Name: r.User.DisplayName, Address: r.User.Email}
	switch j.Kind {
	case jobTopic, jobComment:
		t, _, facts, ok, err := loadTopic(ctx, c, j.TopicID)
		if err != nil {
			return email{}, err
		}
		if !ok || !policy.CanViewTopic(actor, facts) {
			return email{}, dropped("the recipient can no longer see the topic")
		}
		community, err := store.GetCommunity(ctx, c, t.CommunityID)
		if err != nil {
			return email{}, err
		}
		if j.Kind == jobTopic {
			subject, body, err := w.topic(ctx, c, t, community)
			return email{to: to, subject: subject, body: body}, err
		}
		x, err := store.GetComment(ctx, c, j.CommentID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (x.Deleted() || x.TopicID != t.ID)) {
			return email{}, dropped("the comment was deleted")
		}
		if err != nil {
			return email{}, err
		}
		subject, body, err := w.comment(ctx, c, t, community, x, j.Mentioned)
		return email{to: to, subject: subject, body: body}, err
	case jobDigest:
		var lines []string
		count := 0
		for _, id := range j.Topics {
			t, _, facts, ok, err := loadTopic(ctx, c, id)
			if err != nil {
				return email{}, err
			}
			if !ok || !policy.CanViewTopic(actor, facts) {
				continue // no longer visible: left out without a trace
			}
			community, err := store.GetCommunity(ctx, c, t.CommunityID)
			if err != nil {
				return email{}, err
			}
			lines = append(lines, w.digestEntry(t, community)...)
			count++
		}
		if count == 0 {
			return email{}, dropped("nothing in the digest is visible any more")
		}
		subject, body := w.digest(j, count, lines)
		return email{to: to, subject: subject, body: body}, nil
	case jobCase: // consultation desk (desk.go)
		subject, body, err := w.caseAlert(ctx, c, j, actor)
		return email{to: to, subject: subject, body: body}, err
	case jobNotice:
		subject, body, err := w.noticeReminder(ctx, c, actor, j)
		return email{to: to, subject: subject, body: body}, err
	}
	return email{}, dropped("unknown email job " + j.Kind)
}

// writer writes messages in one person's language and time zone.
type writer struct {
	n    *Notifier
	lang model.Lang
	loc  *time.Location
}

func (w writer) date(t time.Time) string { return t.In(w.loc).Format("2006-01-02 15:04 MST") }

// priority is the tag put before a title: 【重要】 in Japanese, "[Important] " in English.
func (w writer) priority(p model.Priority) string {
	var s string
	switch p {
	case model.PriorityImportant:
		s = i18n.T(w.lang, "priority.important")
	case model.PriorityCaution:
		s = i18n.T(w.lang, "priority.caution")
	default:
		return ""
	}
	if w.lang == model.LangEN {
		s += " "
	}
	return s
}

// tlpLine is the marking with its meaning, at the top of every body.
func (w writer) tlpLine(t model.TLP) string { return i18n.T(w.lang, "tlp."+t.Key()) }

func (w writer) footer() []string {
	return []string{"", "--", i18n.T(w.lang, "notify.settings_link", "url", w.n.link(SettingsPath)), i18n.T(w.lang, "notify.footer")}
}

func (w writer) topic(ctx context.Context, c store.Conn, t model.Topic, community model.Community) (string, string, error) {
	tlp, cname, prio := t.TLP.Label(), community.Name(w.lang), w.priority(t.Priority)
	link := w.n.link(topicPath(t.ID))
	if !t.TLP.LeavesPlatform() {
		subject := i18n.T(w.lang, "notify.subject_restricted", "tlp", tlp, "priority", prio, "community", cname)
		body := []string{w.tlpLine(t.TLP), "",
			i18n.T(w.lang, "notify.restricted_topic", "community", cname, "tlp", tlp),
			i18n.T(w.lang, "notify.restricted_note", "tlp", tlp), "",
			i18n.T(w.lang, "notify.open_link", "url", link)}
		return subject, lines(append(body, w.footer()...)), nil
	}
	author, org, err := authorOf(ctx, c, t.AuthorID, t.AuthorOrgID)
	if err != nil {
		return "", "", err
	}
	subject := i18n.T(w.lang, "notify.subject_topic", "tlp", tlp, "priority", prio, "title", t.Title, "community", cname)
	body := []string{w.tlpLine(t.TLP), prio + t.Title, "",
		i18n.T(w.lang, "notify.field_community", "community", cname),
		i18n.T(w.lang, "notify.field_info_type", "info_type", i18n.T(w.lang, "info_type."+string(t.InfoType))),
		i18n.T(w.lang, "notify.field_author", "name", author.DisplayName, "org", org.Name(w.lang)),
		i18n.T(w.lang, "notify.field_date", "date", w.date(t.CreatedAt)),
	}
	if len(t.Tags) > 0 {
		body = append(body, i18n.T(w.lang, "notify.field_tags", "tags", strings.Join(t.Tags, ", ")))
	}
	body = append(body, "", markdown.Plain(t.Body), "", i18n.T(w.lang, "notify.open_link", "url", link))
	return subject, lines(append(body, w.footer()...)), nil
}

func (w writer) comment(ctx context.Context, c store.Conn, t model.Topic, community model.Community, x model.Comment, mentioned bool) (string, string, error) {
	tlp, cname := t.TLP.Label(), community.Name(w.lang)
	link := w.n.link(commentPath(t.ID, x.ID))
	if !t.TLP.LeavesPlatform() {
		subject := i18n.T(w.lang, "notify.subject_comment_restricted", "tlp", tlp, "community", cname)
		body := []string{w.tlpLine(t.TLP), "",
			i18n.T(w.lang, "notify.restricted_comment", "community", cname, "tlp", tlp),
			i18n.T(w.lang, "notify.restricted_note", "tlp", tlp), "",
			i18n.T(w.lang, "notify.open_link", "url", link)}
		return subject, lines(append(body, w.footer()...)), nil
	}
	author, org, err := authorOf(ctx, c, x.AuthorID, x.AuthorOrgID)
	if err != nil {
		return "", "", err
	}
	subject := i18n.T(w.lang, "notify.subject_comment", "tlp", tlp, "title", t.Title, "community", cname)
	body := []string{w.tlpLine(t.TLP), w.priority(t.Priority) + t.Title, ""}
	if mentioned {
		body = append(body, i18n.T(w.lang, "notify.mentioned"))
	}
	body = append(body,
		i18n.T(w.lang, "notify.comment_by", "name", author.DisplayName, "org", org.Name(w.lang)),
		i18n.T(w.lang, "notify.field_date", "date", w.date(x.CreatedAt)),
		"", markdown.Plain(x.Body), "", i18n.T(w.lang, "notify.open_link", "url", link))
	return subject, lines(append(body, w.footer()...)), nil
}

// digestEntry is one topic in a digest: its title and where it is, or, for a marking that
// does not leave the platform, only that something arrived.
func (w writer) digestEntry(t model.Topic, community model.Community) []string {
	tlp, cname := t.TLP.Label(), community.Name(w.lang)
	link := "    " + w.n.link(topicPath(t.ID))
	if !t.TLP.LeavesPlatform() {
		return []string{"[" + tlp + "] " + i18n.T(w.lang, "notify.restricted_topic", "community", cname, "tlp", tlp), link, ""}
	}
	meta := i18n.T(w.lang, "notify.digest_meta", "community", cname, "date", w.date(t.CreatedAt), "comments", t.CommentCount)
	return []string{"[" + tlp + "] " + w.priority(t.Priority) + t.Title, "    " + meta, link, ""}
}

func (w writer) digest(j job, count int, entries []string) (string, string) {
	period := i18n.T(w.lang, "notify.period_daily")
	if j.Period == OthersHourly {
		period = i18n.T(w.lang, "notify.period_hourly")
	}
	subject := i18n.T(w.lang, "notify.subject_digest", "period", period, "count", count,
		"date", time.UnixMilli(j.At).In(w.loc).Format("2006-01-02 15:04"))
	body := append([]string{i18n.T(w.lang, "notify.digest_intro", "count", count), ""}, entries...)
	return subject, lines(append(body, w.footer()...))
}

func authorOf(ctx context.Context, c store.Conn, userID, orgID int64) (model.User, model.Org, error) {
	u, err := store.GetUser(ctx, c, userID)
	if err != nil {
		return u, model.Org{}, err
	}
	o, err := store.GetOrg(ctx, c, orgID)
	return u, o, err
}

func lines(ls []string) string { return strings.Join(ls, "\n") + "\n" }

// ---- MIME ----

// buildMessage writes an RFC 5322 message: UTF-8 plain text in base64, the subject as
// RFC 2047 encoded words folded to short lines, and the headers that keep auto-replies
// away. msgID is stable for one outbox row, so a repeat after a crash is recognisable.
func buildMessage(from, to *mail.Address, subject, body string, date time.Time, msgID, unsubscribe string) []byte {
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", to.String())
	header("Subject", encodeHeader("Subject", subject))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", msgID)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "base64")
	header("Auto-Submitted", "auto-generated")
	header("X-Auto-Response-Suppress", "All")
	if unsubscribe != "" {
		header("List-Unsubscribe", "<"+unsubscribe+">")
	}
	b.WriteString("\r\n")
	// Text is sent in canonical form (CRLF line ends) before the transfer encoding.
	text := strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(text))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	if enc != "" {
		b.WriteString(enc + "\r\n")
	}
	return b.Bytes()
}

// encodeHeader encodes a header value as RFC 2047 "B" encoded words of UTF-8 when it is
// not plain printable ASCII, cut between characters so that every line of the header,
// its name included, stays within 76 characters (RFC 2047 section 2).
func encodeHeader(name, value string) string {
	plain := true
	for i := 0; i < len(value); i++ {
		if value[i] < ' ' || value[i] > '~' {
			plain = false
			break
		}
	}
	if plain {
		return value
	}
	const overhead = len("=?UTF-8?B??=")
	room := 76 - len(name) - len(": ") - overhead // the first line holds the name
	var words []string
	var chunk []byte
	for _, r := range value {
		next := utf8.AppendRune(nil, r)
		if len(chunk) > 0 && base64.StdEncoding.EncodedLen(len(chunk)+len(next)) > room {
			words = append(words, "=?UTF-8?B?"+base64.StdEncoding.EncodeToString(chunk)+"?=")
			chunk, room = nil, 76-len(" ")-overhead
		}
		chunk = append(chunk, next...)
	}
	words = append(words, "=?UTF-8?B?"+base64.StdEncoding.EncodeToString(chunk)+"?=")
	return strings.Join(words, "\r\n ")
}

// messageID is a Message-ID stable for one outbox row.
func messageID(it store.OutboxItem, from *mail.Address) string {
	domain := "renkei.invalid"
	if at := strings.LastIndexByte(from.Address, '@'); at >= 0 {
		domain = from.Address[at+1:]
	}
	sum := sha256.Sum256([]byte(it.DedupeKey))
	return fmt.Sprintf("<renkei.%d.%s@%s>", it.ID, hex.EncodeToString(sum[:6]), domain)
}
