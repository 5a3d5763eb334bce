package api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
)

// ---- JSON shapes of the sharing SNS ----

// AudienceJSON names organizations and people.
type AudienceJSON struct {
	Orgs  []int64 `json:"orgs"`
	Users []int64 `json:"users"`
}

func (a *AudienceJSON) model() model.Audience {
	if a == nil {
		return model.Audience{}
	}
	return model.Audience{Orgs: a.Orgs, Users: a.Users}
}

func audienceOut(a model.Audience) *AudienceJSON {
	out := &AudienceJSON{Orgs: a.Orgs, Users: a.Users}
	if out.Orgs == nil {
		out.Orgs = []int64{}
	}
	if out.Users == nil {
		out.Users = []int64{}
	}
	return out
}

// TopicInput creates a topic.
type TopicInput struct {
	CommunityID  int64         `json:"community_id"`
	Title        string        `json:"title"`
	Body         string        `json:"body" doc:"Markdown"`
	InfoType     string        `json:"info_type" doc:"vulnerability, attack-forecast, malware, alert, observation, incident, schedule or emergency"`
	Priority     string        `json:"priority,omitempty" doc:"important (【重要】), caution (【注意】) or empty"`
	Tags         []string      `json:"tags,omitempty"`
	TLP          string        `json:"tlp" doc:"clear, green, amber, amber+strict or red (white is read as clear)"`
	Scope        string        `json:"scope" doc:"community or selected; TLP:RED needs selected with people only"`
	Audience     *AudienceJSON `json:"audience,omitempty" doc:"for scope selected: organizations and people named"`
	ShowAudience bool          `json:"show_audience,omitempty" doc:"let recipients see who else received the topic"`
}

// TopicEdit changes a topic (its author). The scope is widened with POST /topics/{id}/widen.
type TopicEdit struct {
	Title        string   `json:"title"`
	Body         string   `json:"body"`
	InfoType     string   `json:"info_type"`
	Priority     string   `json:"priority,omitempty"`
	Tags         []string `json:"tags,omitempty"`
	TLP          string   `json:"tlp"`
	ShowAudience bool     `json:"show_audience,omitempty"`
}

// ReadJSON is what the caller did with a topic.
type ReadJSON struct {
	FirstViewAt *time.Time `json:"first_view_at"`
	ViewCount   int        `json:"view_count"`
	AckedAt     *time.Time `json:"acked_at"`
	Bookmarked  bool       `json:"bookmarked"`
}

// Topic is a topic as the caller may see it.
type Topic struct {
	ID             int64         `json:"id"`
	CommunityID    int64         `json:"community_id"`
	AuthorID       int64         `json:"author_id"`
	AuthorOrgID    int64         `json:"author_org_id"`
	Title          string        `json:"title"`
	Body           string        `json:"body"`
	InfoType       string        `json:"info_type"`
	Priority       string        `json:"priority"`
	Tags           []string      `json:"tags"`
	TLP            string        `json:"tlp"`
	Scope          string        `json:"scope"`
	Audience       *AudienceJSON `json:"audience,omitempty" doc:"present only when the caller may see the recipients"`
	ShowAudience   bool          `json:"show_audience"`
	Pinned         bool          `json:"pinned"`
	Version        int           `json:"version"`
	CommentCount   int           `json:"comment_count"`
	AckCount       int           `json:"ack_count"`
	CreatedAt      time.Time     `json:"created_at"`
	EditedAt       *time.Time    `json:"edited_at"`
	LastActivityAt time.Time     `json:"last_activity_at"`
	Read           ReadJSON      `json:"read"`
}

func topicOut(t model.Topic, read model.ReadState, aud *model.Audience) Topic {
	out := Topic{ID: t.ID, CommunityID: t.CommunityID, AuthorID: t.AuthorID, AuthorOrgID: t.AuthorOrgID, Title: t.Title, Body: t.Body,
		InfoType: string(t.InfoType), Priority: string(t.Priority), Tags: t.Tags, TLP: string(t.TLP), Scope: string(t.Scope),
		ShowAudience: t.ShowAudience, Pinned: t.Pinned, Version: t.Version, CommentCount: t.CommentCount, AckCount: t.AckCount,
		CreatedAt: t.CreatedAt, EditedAt: timePtr(t.EditedAt), LastActivityAt: t.LastActivity,
		Read: ReadJSON{FirstViewAt: timePtr(read.FirstViewAt), ViewCount: read.ViewCount, AckedAt: timePtr(read.AckedAt), Bookmarked: read.Bookmarked}}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if aud != nil {
		out.Audience = audienceOut(*aud)
	}
	return out
}

// TopicVersion is an earlier version of a topic.
type TopicVersion struct {
	Version  int       `json:"version"`
	Title    string    `json:"title"`
	Body     string    `json:"body"`
	InfoType string    `json:"info_type"`
	Priority string    `json:"priority"`
	TLP      string    `json:"tlp"`
	Tags     []string  `json:"tags"`
	EditedBy int64     `json:"edited_by"`
	EditedAt time.Time `json:"edited_at"`
}

// Widening widens a selected-scope topic's audience.
type Widening struct {
	Add         *AudienceJSON `json:"add,omitempty"`
	ToCommunity bool          `json:"to_community,omitempty"`
}

// CommentInput adds a comment.
type CommentInput struct {
	ParentID int64         `json:"parent_id,omitempty" doc:"the top-level comment replied to"`
	Body     string        `json:"body"`
	Mentions *AudienceJSON `json:"mentions,omitempty" doc:"organizations and people to notify (only those who can see the topic are)"`
}

// Comment is a comment; a deleted one keeps its place with an empty body.
type Comment struct {
	ID          int64      `json:"id"`
	TopicID     int64      `json:"topic_id"`
	ParentID    int64      `json:"parent_id"`
	AuthorID    int64      `json:"author_id"`
	AuthorOrgID int64      `json:"author_org_id"`
	AuthorName  string     `json:"author_name"`
	Body        string     `json:"body"`
	CreatedAt   time.Time  `json:"created_at"`
	DeletedAt   *time.Time `json:"deleted_at"`
}

// Attachment is a file on a topic or comment.
type Attachment struct {
	ID          int64     `json:"id"`
	TopicID     int64     `json:"topic_id"`
	CommentID   int64     `json:"comment_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"created_at"`
	URL         string    `json:"url"`
}

func attachmentOut(a model.Attachment) Attachment {
	return Attachment{ID: a.ID, TopicID: a.TopicID, CommentID: a.CommentID, Name: a.Name, ContentType: a.ContentType, Size: a.Size,
		SHA256: a.SHA256, CreatedAt: a.CreatedAt, URL: Prefix + "/attachments/" + strconv.FormatInt(a.ID, 10)}
}

// Progress is a topic's read progress.
type Progress struct {
	TopicID  int64         `json:"topic_id"`
	ReadOrgs int           `json:"read_orgs" doc:"target organizations with at least one reader"`
	Orgs     []OrgProgress `json:"orgs"`
	Waiting  []PersonRef   `json:"waiting" doc:"people named in the audience who have not acknowledged"`
}

// OrgProgress is one target organization's reading.
type OrgProgress struct {
	OrgID              int64      `json:"org_id"`
	NameJA             string     `json:"name_ja"`
	NameEN             string     `json:"name_en"`
	Readers            int        `json:"readers"`
	Viewers            int        `json:"viewers"`
	FirstReadAt        *time.Time `json:"first_read_at"`
	SecondsToFirstRead *int64     `json:"seconds_to_first_read"`
}

// PersonRef names a person.
type PersonRef struct {
	UserID      int64  `json:"user_id"`
	DisplayName string `json:"display_name"`
}

// Unread is the number of unread topics per community.
type Unread struct {
	Communities []UnreadCount `json:"communities"`
}

// UnreadCount is one community's unread topics.
type UnreadCount struct {
	CommunityID int64 `json:"community_id"`
	Unread      int   `json:"unread"`
}

var topicFilters = []param{
	{"q", "string", "search words (Japanese and English); results are ranked instead of newest first"},
	{"community_id", "integer", "one community"},
	{"info_type", "string", "an information type"},
	{"priority", "string", "important or caution"},
	{"tlp", "string", "a TLP marking"},
	{"tag", "string", "a tag"},
	{"since", "string", "created at or after (RFC 3339)"},
	{"until", "string", "created before (RFC 3339)"},
	{"unread", "boolean", "only topics the caller has not opened"},
	{"bookmarked", "boolean", "only the caller's bookmarks"},
	{"cursor", "string", "opaque cursor from next_cursor of the previous page"},
	{"limit", "integer", "page size, 1–200 (default 50)"},
}

func (x *API) topicRoutes() {
	x.add(&op{Method: "POST", Path: "/topics", ID: "createTopic", Tag: "topics", Summary: "Post a topic; its scope is stored with it", Body: TopicInput{}, Resp: Topic{}, Status: 201, Handle: x.createTopic})
	x.add(&op{Method: "GET", Path: "/topics", ID: "listTopics", Tag: "topics", Summary: "The caller's timeline across communities, or a search with q", Query: topicFilters, Resp: List[Topic]{}, Handle: x.listTopics})
	x.add(&op{Method: "GET", Path: "/topics/unread", ID: "unreadCounts", Tag: "topics", Summary: "Unread topics per community", Resp: Unread{}, Handle: x.unreadCounts})
	x.add(&op{Method: "GET", Path: "/topics/{id}", ID: "getTopic", Tag: "topics", Summary: "One topic (404 when the caller may not see it); records the view", Resp: Topic{}, Handle: x.getTopic})
	x.add(&op{Method: "PATCH", Path: "/topics/{id}", ID: "editTopic", Tag: "topics", Summary: "Edit a topic (its author); the previous version is kept", Body: TopicEdit{}, Resp: Topic{}, Handle: x.editTopic})
	x.add(&op{Method: "DELETE", Path: "/topics/{id}", ID: "deleteTopic", Tag: "topics", Summary: "Delete a topic (its author or a moderator)", Handle: x.deleteTopic})
	x.add(&op{Method: "POST", Path: "/topics/{id}/widen", ID: "widenTopic", Tag: "topics", Summary: "Widen a selected-scope topic's audience (its author; audited)", Body: Widening{}, Handle: x.widenTopic})
	x.add(&op{Method: "PUT", Path: "/topics/{id}/pin", ID: "pinTopic", Tag: "topics", Summary: "Pin a topic (moderators)", Handle: x.pinTopic(true)})
	x.add(&op{Method: "DELETE", Path: "/topics/{id}/pin", ID: "unpinTopic", Tag: "topics", Summary: "Unpin a topic (moderators)", Handle: x.pinTopic(false)})
	x.add(&op{Method: "GET", Path: "/topics/{id}/versions", ID: "listTopicVersions", Tag: "topics", Summary: "Earlier versions of a topic", Resp: List[TopicVersion]{}, Handle: x.listVersions})
	x.add(&op{Method: "POST", Path: "/topics/{id}/read", ID: "acknowledgeTopic", Tag: "topics", Summary: "Acknowledge a topic: \"I have read this\"", Handle: x.acknowledge})
	x.add(&op{Method: "PUT", Path: "/topics/{id}/bookmark", ID: "bookmarkTopic", Tag: "topics", Summary: "Bookmark a topic", Handle: x.bookmark(true)})
	x.add(&op{Method: "DELETE", Path: "/topics/{id}/bookmark", ID: "unbookmarkTopic", Tag: "topics", Summary: "Remove a bookmark", Handle: x.bookmark(false)})
	x.add(&op{Method: "GET", Path: "/topics/{id}/progress", ID: "topicProgress", Tag: "topics", Summary: "Read progress per target organization (author, moderators, center)", Resp: Progress{}, Handle: x.progress})
	x.add(&op{Method: "GET", Path: "/topics/{id}/comments", ID: "listComments", Tag: "comments", Summary: "A topic's comments, oldest first", Query: pageParams, Resp: List[Comment]{}, Handle: x.listComments})
	x.add(&op{Method: "POST", Path: "/topics/{id}/comments", ID: "createComment", Tag: "comments", Summary: "Comment on a topic or reply to a comment", Body: CommentInput{}, Resp: Comment{}, Status: 201, Handle: x.createComment})
	x.add(&op{Method: "DELETE", Path: "/comments/{id}", ID: "deleteComment", Tag: "comments", Summary: "Delete a comment (its author or a moderator)", Handle: x.deleteComment})
	x.add(&op{Method: "GET", Path: "/topics/{id}/attachments", ID: "listAttachments", Tag: "attachments", Summary: "Files of a topic and its comments", Resp: List[Attachment]{}, Handle: x.listAttachments})
	x.add(&op{Method: "POST", Path: "/topics/{id}/attachments", ID: "uploadAttachment", Tag: "attachments", Summary: "Attach a file (the body) to a topic, or to a comment with comment_id",
		Query:  []param{{"name", "string", "the file name (required)"}, {"comment_id", "integer", "attach to this comment of the topic"}},
		Upload: true, MaxBody: func() int64 { return x.app.SNS.MaxAttachment() + 1 }, Resp: Attachment{}, Status: 201, Handle: x.uploadAttachment})
	x.add(&op{Method: "GET", Path: "/attachments/{id}", ID: "downloadAttachment", Tag: "attachments", Summary: "Download a file (TLP:RED and AMBER+STRICT downloads are audited)", Download: true, Handle: x.downloadAttachment})
}

func (x *API) createTopic(r *http.Request, p auth.Principal) (any, error) {
	var in TopicInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	t, err := x.app.SNS.CreateTopic(r.Context(), p, sns.TopicInput{CommunityID: in.CommunityID, Title: in.Title, Body: in.Body,
		InfoType: in.InfoType, Priority: in.Priority, Tags: in.Tags, TLP: in.TLP, Scope: in.Scope, Audience: in.Audience.model(),
		ShowAudience: in.ShowAudience})
	if err != nil {
		return nil, err
	}
	v, err := x.app.SNS.PeekTopic(r.Context(), p, t.ID)
	return topicOut(v.Topic, v.Read, v.Audience), err
}

// timelineQuery reads the list filters.
func timelineQuery(r *http.Request) (sns.TimelineQuery, error) {
	q := r.URL.Query()
	var tq sns.TimelineQuery
	var errs fault.List
	var err error
	tq.CommunityID, err = queryInt64(r, "community_id")
	errs.AddErr("community_id", err)
	if v := q.Get("info_type"); v != "" {
		tq.InfoType, err = model.ParseInfoType(v)
		errs.AddErr("info_type", err)
	}
	if v := q.Get("priority"); v != "" {
		tq.Priority, err = model.ParsePriority(v)
		errs.AddErr("priority", err)
	}
	if v := q.Get("tlp"); v != "" {
		tq.TLP, err = model.ParseTLP(v)
		errs.AddErr("tlp", err)
	}
	tq.Tag = strings.TrimSpace(q.Get("tag"))
	tq.From, err = queryTime(r, "since")
	errs.AddErr("since", err)
	tq.To, err = queryTime(r, "until")
	errs.AddErr("until", err)
	tq.Unread, err = queryBool(r, "unread")
	errs.AddErr("unread", err)
	tq.Bookmarked, err = queryBool(r, "bookmarked")
	errs.AddErr("bookmarked", err)
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			errs.Add("limit", "error.bad_param", "name", "limit", "value", l)
		}
		tq.Limit = n
	}
	if tq.Limit == 0 {
		tq.Limit = 50
	}
	return tq, errs.Err()
}

func queryBool(r *http.Request, name string) (bool, error) {
	switch v := r.URL.Query().Get(name); v {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	default:
		return false, fault.Field(name, "error.bad_param", "name", name, "value", v)
	}
}

// Cursors: a timeline pages by topic id ("id:N", topics older than N); a search by rank
// position ("off:N").
func cursorValue(r *http.Request, kind string) (int64, error) {
	c := r.URL.Query().Get("cursor")
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	s, ok := strings.CutPrefix(string(b), kind+":")
	v, perr := strconv.ParseInt(s, 10, 64)
	if err != nil || !ok || perr != nil || v < 0 {
		return 0, fault.Field("cursor", "error.bad_cursor")
	}
	return v, nil
}

func cursorOf(kind string, v int64) string {
	if v == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.FormatInt(v, 10)))
}

func (x *API) listTopics(r *http.Request, p auth.Principal) (any, error) {
	tq, err := timelineQuery(r)
	if err != nil {
		return nil, err
	}
	if text := r.URL.Query().Get("q"); strings.TrimSpace(text) != "" {
		off, err := cursorValue(r, "off")
		if err != nil {
			return nil, err
		}
		hits, next, err := x.app.SNS.Search(r.Context(), p, sns.SearchQuery{Text: text, TimelineQuery: tq, Offset: int(off)})
		if err != nil {
			return nil, err
		}
		out := List[Topic]{Items: make([]Topic, 0, len(hits)), NextCursor: cursorOf("off", int64(next))}
		for _, h := range hits {
			out.Items = append(out.Items, topicOut(h.Topic, h.Read, nil))
		}
		return out, nil
	}
	if tq.Before, err = cursorValue(r, "id"); err != nil {
		return nil, err
	}
	items, next, err := x.app.SNS.Timeline(r.Context(), p, tq)
	if err != nil {
		return nil, err
	}
	out := List[Topic]{Items: make([]Topic, 0, len(items)), NextCursor: cursorOf("id", next)}
	for _, it := range items {
		out.Items = append(out.Items, topicOut(it.Topic, it.Read, nil))
	}
	return out, nil
}

func (x *API) unreadCounts(r *http.Request, p auth.Principal) (any, error) {
	counts, err := x.app.SNS.UnreadCounts(r.Context(), p)
	if err != nil {
		return nil, err
	}
	out := Unread{Communities: []UnreadCount{}}
	for _, id := range p.Actor.Communities {
		out.Communities = append(out.Communities, UnreadCount{CommunityID: id, Unread: counts[id]})
	}
	return out, nil
}

func (x *API) getTopic(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	v, err := x.app.SNS.GetTopic(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	return topicOut(v.Topic, v.Read, v.Audience), nil
}

func (x *API) editTopic(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in TopicEdit
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if _, err := x.app.SNS.EditTopic(r.Context(), p, id, sns.TopicInput{Title: in.Title, Body: in.Body, InfoType: in.InfoType,
		Priority: in.Priority, Tags: in.Tags, TLP: in.TLP, ShowAudience: in.ShowAudience}); err != nil {
		return nil, err
	}
	v, err := x.app.SNS.PeekTopic(r.Context(), p, id)
	return topicOut(v.Topic, v.Read, v.Audience), err
}

// withID runs fn with the path's id and answers 204.
func withID(fn func(r *http.Request, p auth.Principal, id int64) error) func(*http.Request, auth.Principal) (any, error) {
	return func(r *http.Request, p auth.Principal) (any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		return nil, fn(r, p, id)
	}
}

func (x *API) deleteTopic(r *http.Request, p auth.Principal) (any, error) {
	return withID(func(r *http.Request, p auth.Principal, id int64) error {
		return x.app.SNS.DeleteTopic(r.Context(), p, id)
	})(r, p)
}

func (x *API) widenTopic(r *http.Request, p auth.Principal) (any, error) {
	return withID(func(r *http.Request, p auth.Principal, id int64) error {
		var in Widening
		if err := decode(r, &in); err != nil {
			return err
		}
		return x.app.SNS.WidenScope(r.Context(), p, id, sns.Widening{Add: in.Add.model(), ToCommunity: in.ToCommunity})
	})(r, p)
}

func (x *API) pinTopic(on bool) func(*http.Request, auth.Principal) (any, error) {
	return withID(func(r *http.Request, p auth.Principal, id int64) error {
		return x.app.SNS.SetPinned(r.Context(), p, id, on)
	})
}

func (x *API) bookmark(on bool) func(*http.Request, auth.Principal) (any, error) {
	return withID(func(r *http.Request, p auth.Principal, id int64) error {
		return x.app.SNS.SetBookmark(r.Context(), p, id, on)
	})
}

func (x *API) acknowledge(r *http.Request, p auth.Principal) (any, error) {
	return withID(func(r *http.Request, p auth.Principal, id int64) error {
		return x.app.SNS.Acknowledge(r.Context(), p, id)
	})(r, p)
}

func (x *API) listVersions(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	vs, err := x.app.SNS.Versions(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	out := List[TopicVersion]{Items: make([]TopicVersion, 0, len(vs))}
	for _, v := range vs {
		tags := v.Tags
		if tags == nil {
			tags = []string{}
		}
		out.Items = append(out.Items, TopicVersion{Version: v.Version, Title: v.Title, Body: v.Body, InfoType: string(v.InfoType),
			Priority: string(v.Priority), TLP: string(v.TLP), Tags: tags, EditedBy: v.EditedBy, EditedAt: v.EditedAt})
	}
	return out, nil
}

func (x *API) progress(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	pr, err := x.app.SNS.Progress(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	out := Progress{TopicID: pr.TopicID, ReadOrgs: pr.ReadOrgs, Orgs: []OrgProgress{}, Waiting: []PersonRef{}}
	for _, o := range pr.Orgs {
		op := OrgProgress{OrgID: o.OrgID, NameJA: o.NameJA, NameEN: o.NameEN, Readers: o.Readers, Viewers: o.Viewers, FirstReadAt: timePtr(o.FirstReadAt)}
		if !o.FirstReadAt.IsZero() {
			secs := int64(o.TimeToRead / time.Second)
			op.SecondsToFirstRead = &secs
		}
		out.Orgs = append(out.Orgs, op)
	}
	for _, w := range pr.Waiting {
		out.Waiting = append(out.Waiting, PersonRef{UserID: w.UserID, DisplayName: w.NameJA})
	}
	return out, nil
}

func (x *API) listComments(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	list, err := x.app.SNS.Comments(r.Context(), p, id, pg)
	if err != nil {
		return nil, err
	}
	return listOf(list, pg, func(c sns.CommentView) int64 { return c.ID }, commentOut), nil
}

func commentOut(c sns.CommentView) Comment {
	return Comment{ID: c.ID, TopicID: c.TopicID, ParentID: c.ParentID, AuthorID: c.AuthorID, AuthorOrgID: c.AuthorOrgID,
		AuthorName: c.AuthorName, Body: c.Body, CreatedAt: c.CreatedAt, DeletedAt: timePtr(c.DeletedAt)}
}

func (x *API) createComment(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in CommentInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	c, err := x.app.SNS.AddComment(r.Context(), p, id, sns.CommentInput{ParentID: in.ParentID, Body: in.Body, Mentions: in.Mentions.model()})
	if err != nil {
		return nil, err
	}
	return commentOut(sns.CommentView{Comment: c, AuthorName: p.User.DisplayName}), nil
}

func (x *API) deleteComment(r *http.Request, p auth.Principal) (any, error) {
	return withID(func(r *http.Request, p auth.Principal, id int64) error {
		return x.app.SNS.DeleteComment(r.Context(), p, id)
	})(r, p)
}

func (x *API) listAttachments(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	list, err := x.app.SNS.Attachments(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	out := List[Attachment]{Items: make([]Attachment, 0, len(list))}
	for _, a := range list {
		out.Items = append(out.Items, attachmentOut(a))
	}
	return out, nil
}

func (x *API) uploadAttachment(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	commentID, err := queryInt64(r, "comment_id")
	if err != nil {
		return nil, err
	}
	a, err := x.app.SNS.AddAttachment(r.Context(), p, id, commentID, sns.Upload{Name: r.URL.Query().Get("name"),
		ContentType: r.Header.Get("Content-Type"), Body: r.Body})
	if isTooLarge(err) {
		return nil, fault.New(fault.TooLarge, "error.too_large")
	}
	if err != nil {
		return nil, err
	}
	return attachmentOut(a), nil
}

func (x *API) downloadAttachment(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	a, data, err := x.app.SNS.OpenAttachment(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	return &File{Name: a.Name, ContentType: a.ContentType, SHA256: a.SHA256, Data: data}, nil
}

func isTooLarge(err error) bool {
	if fault.Is(err, fault.Invalid) {
		for _, e := range fault.Fields(err) {
			if e.Key == "attachment.too_large" {
				return true
			}
		}
	}
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
