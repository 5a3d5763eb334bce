package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
)

// ---- the topic page ---------------------------------------------------------------------

// commentNode is a comment with its files and, for a top-level comment, its replies.
type commentNode struct {
	sns.CommentView
	Files   []model.Attachment
	Replies []commentNode
}

// topicForm is what was typed in a form of the topic page that failed, shown again with
// its errors next to the form it came from.
type topicForm struct {
	For      string // "comment" (ParentID 0 or the comment replied to), "widen" or "attach"
	ParentID int64
	Body     string
	HadFile  bool
	Audience audienceInput
	ToComm   bool
}

// Is reports whether the failed form is the named one (and replies to parent).
func (f topicForm) Is(name string, parent int64) bool { return f.For == name && f.ParentID == parent }

type topicPageData struct {
	View         sns.TopicView
	Community    model.Community
	Files        []model.Attachment // the topic's own files
	Comments     []commentNode
	CommentCount int
	Form         topicForm
	Widen        *audienceChoices // members not yet named, for the author of a selected topic
	MaxFileMiB   int64
	CanAttach    bool
	Indicators   intel.Related // indicators sharing a value, and links (intellinks.go)
}

// maxCommentPages bounds how many pages of comments a topic page shows (500 each).
const maxCommentPages = 10

// loadTopic reads everything the topic page shows. Opening the page records a view
// (record); showing it again after a failed form does not.
func (web *Web) loadTopic(ctx context.Context, pr auth.Principal, id int64, record bool) (topicPageData, error) {
	var d topicPageData
	var err error
	if record {
		d.View, err = web.app.SNS.GetTopic(ctx, pr, id)
	} else {
		d.View, err = web.app.SNS.PeekTopic(ctx, pr, id)
	}
	if err != nil {
		return d, err
	}
	// A recipient who has since left the community still sees the topic, without the
	// community's name.
	d.Community, _ = web.app.Communities.Get(ctx, pr, d.View.Topic.CommunityID)
	files, err := web.app.SNS.Attachments(ctx, pr, id)
	if err != nil {
		return d, err
	}
	byComment := map[int64][]model.Attachment{}
	for _, a := range files {
		if a.CommentID == 0 {
			d.Files = append(d.Files, a)
		} else {
			byComment[a.CommentID] = append(byComment[a.CommentID], a)
		}
	}
	var all []sns.CommentView
	page := store.Page{Limit: store.MaxPage}
	for range maxCommentPages {
		list, err := web.app.SNS.Comments(ctx, pr, id, page)
		if err != nil {
			return d, err
		}
		all = append(all, list...)
		if len(list) < store.MaxPage {
			break
		}
		page.After = list[len(list)-1].ID
	}
	index := map[int64]int{}
	for _, c := range all {
		if !c.Deleted() {
			d.CommentCount++
		}
		node := commentNode{CommentView: c, Files: byComment[c.ID]}
		if c.Deleted() {
			node.Files = nil
		}
		if i, ok := index[c.ParentID]; ok && c.ParentID != 0 {
			d.Comments[i].Replies = append(d.Comments[i].Replies, node)
			continue
		}
		index[c.ID] = len(d.Comments)
		d.Comments = append(d.Comments, node)
	}
	d.MaxFileMiB = web.app.SNS.MaxAttachment() >> 20
	d.CanAttach = d.View.Topic.AuthorID == pr.User.ID
	if d.View.CanWiden {
		named := model.Audience{}
		if d.View.Audience != nil {
			named = *d.View.Audience
		}
		// An author who has left the community can no longer list its members: the
		// topic shows without the form.
		ch, err := web.audienceChoices(ctx, pr, d.View.Topic.CommunityID, named)
		switch {
		case err == nil:
			d.Widen = &ch
		case !fault.Is(err, fault.NotFound):
			return d, err
		}
	}
	return d, nil
}

func (web *Web) topicPage(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	d, err := web.loadTopic(r.Context(), pr, idParam(r, "id"), true)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "topicview.title", "timeline")
	d.Indicators = web.relatedIndicators(r.Context(), pr, d.View.Topic.ID, 0)
	p.Data = d
	web.render(w, r, http.StatusOK, "topic", p)
}

// topicFormFailed shows the topic page again with what was typed and the errors of the
// form that failed; errors that are not about the input become their error page.
func (web *Web) topicFormFailed(w http.ResponseWriter, r *http.Request, id int64, form topicForm, err error) {
	kind := fault.KindOf(err)
	if kind != fault.Invalid && kind != fault.Conflict {
		web.fail(w, r, err)
		return
	}
	pr := httpx.MustPrincipal(r)
	d, lerr := web.loadTopic(r.Context(), pr, id, false)
	if lerr != nil {
		web.fail(w, r, lerr)
		return
	}
	d.Form = form
	p := web.newPage(w, r, "topicview.title", "timeline")
	p.setErrors(err)
	if msg, ok := p.Errors["parent_id"]; ok {
		// The comment replied to is gone or is itself a reply: its form may not be shown.
		p.FormError = msg
	}
	p.Data = d
	web.render(w, r, statusOf(kind), "topic", p)
}

func topicPath(id int64) string { return "/topics/" + itoa(id) }

func (web *Web) topicAck(w http.ResponseWriter, r *http.Request) {
	id := idParam(r, "id")
	if err := web.app.SNS.Acknowledge(r.Context(), httpx.MustPrincipal(r), id); err != nil {
		web.fail(w, r, err)
		return
	}
	web.redirectFlash(w, r, topicPath(id), "flash.topic_acked")
}

func (web *Web) topicBookmark(w http.ResponseWriter, r *http.Request) {
	id := idParam(r, "id")
	on := r.PostFormValue("on") == "1"
	if err := web.app.SNS.SetBookmark(r.Context(), httpx.MustPrincipal(r), id, on); err != nil {
		web.fail(w, r, err)
		return
	}
	if on {
		web.redirectFlash(w, r, topicPath(id), "flash.topic_bookmarked")
	} else {
		web.redirectFlash(w, r, topicPath(id), "flash.topic_unbookmarked")
	}
}

func (web *Web) topicPin(w http.ResponseWriter, r *http.Request) {
	id := idParam(r, "id")
	on := r.PostFormValue("on") == "1"
	if err := web.app.SNS.SetPinned(r.Context(), httpx.MustPrincipal(r), id, on); err != nil {
		web.fail(w, r, err)
		return
	}
	if on {
		web.redirectFlash(w, r, topicPath(id), "flash.topic_pinned")
	} else {
		web.redirectFlash(w, r, topicPath(id), "flash.topic_unpinned")
	}
}

func (web *Web) topicDelete(w http.ResponseWriter, r *http.Request) {
	if err := web.app.SNS.DeleteTopic(r.Context(), httpx.MustPrincipal(r), idParam(r, "id")); err != nil {
		web.fail(w, r, err)
		return
	}
	web.redirectFlash(w, r, "/topics", "flash.topic_deleted")
}

func (web *Web) topicWiden(w http.ResponseWriter, r *http.Request) {
	id := idParam(r, "id")
	in := readAudience(r)
	toComm := r.PostFormValue("to_community") == "1"
	err := web.app.SNS.WidenScope(r.Context(), httpx.MustPrincipal(r), id, sns.Widening{Add: in.audience(), ToCommunity: toComm})
	if err != nil {
		web.topicFormFailed(w, r, id, topicForm{For: "widen", Audience: in, ToComm: toComm}, err)
		return
	}
	web.redirectFlash(w, r, topicPath(id), "flash.topic_widened")
}

// commentPost adds a comment or a reply, with a file when one was chosen. The file is
// checked first, so that a refused file leaves nothing posted.
func (web *Web) commentPost(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	id := idParam(r, "id")
	parent, _ := parseID(r.PostFormValue("parent_id"))
	fh := formFile(r, "file")
	form := topicForm{For: "comment", ParentID: max(parent, 0), Body: r.PostFormValue("body"), HadFile: fh != nil}
	if fh != nil {
		if err := web.checkUpload(fh); err != nil {
			web.topicFormFailed(w, r, id, form, err)
			return
		}
	}
	c, err := web.app.SNS.AddComment(r.Context(), pr, id, sns.CommentInput{ParentID: form.ParentID, Body: form.Body})
	if err != nil {
		web.topicFormFailed(w, r, id, form, err)
		return
	}
	to := topicPath(id) + "#c" + itoa(c.ID)
	if fh != nil {
		if err := web.attach(r.Context(), pr, id, c.ID, fh); err != nil {
			if fault.KindOf(err) != fault.Invalid {
				web.fail(w, r, err)
				return
			}
			web.redirectFlash(w, r, to, "flash.comment_posted_file_failed")
			return
		}
	}
	web.redirectFlash(w, r, to, "flash.comment_posted")
}

// attachmentPost attaches a file to a topic (its author).
func (web *Web) attachmentPost(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	id := idParam(r, "id")
	fh := formFile(r, "file")
	form := topicForm{For: "attach", HadFile: fh != nil}
	var err error
	if fh == nil {
		err = fault.Field("file", "topicview.file_required")
	} else if err = web.checkUpload(fh); err == nil {
		err = web.attach(r.Context(), pr, id, 0, fh)
	}
	if err != nil {
		web.topicFormFailed(w, r, id, form, err)
		return
	}
	web.redirectFlash(w, r, topicPath(id)+"#files", "flash.file_attached")
}

// commentDelete deletes a comment and goes back to its topic.
func (web *Web) commentDelete(w http.ResponseWriter, r *http.Request) {
	if err := web.app.SNS.DeleteComment(r.Context(), httpx.MustPrincipal(r), idParam(r, "id")); err != nil {
		web.fail(w, r, err)
		return
	}
	to := "/topics"
	if tid, err := strconv.ParseInt(r.PostFormValue("topic"), 10, 64); err == nil && tid > 0 {
		to = topicPath(tid)
	}
	web.redirectFlash(w, r, to, "flash.comment_deleted")
}

// ---- audiences --------------------------------------------------------------------------

// audienceInput is the organizations and people ticked in a form.
type audienceInput struct {
	Orgs  []int64
	Users []int64
}

func readAudience(r *http.Request) audienceInput {
	return audienceInput{Orgs: idValues(r.PostForm["audience_org"]), Users: idValues(r.PostForm["audience_user"])}
}

func (a audienceInput) audience() model.Audience { return model.Audience{Orgs: a.Orgs, Users: a.Users} }

// HasOrg and HasUser tell the form which boxes were ticked.
func (a audienceInput) HasOrg(id int64) bool  { return slices.Contains(a.Orgs, id) }
func (a audienceInput) HasUser(id int64) bool { return slices.Contains(a.Users, id) }

// Count is how many organizations and people are ticked.
func (a audienceInput) Count() int { return len(a.Orgs) + len(a.Users) }

// audiencePerson is a person who may be named in an audience.
type audiencePerson struct {
	ID    int64
	Name  string
	OrgJA string // for people who are members on their own: their organization
	OrgEN string
}

// audienceOrg is a member organization and the people of it who may be named.
type audienceOrg struct {
	ID     int64
	NameJA string
	NameEN string
	Named  bool // already in the audience as a whole: offered for its people only
	People []audiencePerson
}

// audienceChoices are the community's members that a form offers as an audience: its
// member organizations with their people, and the people who are members on their own.
type audienceChoices struct {
	Orgs   []audienceOrg
	People []audiencePerson
}

// audienceBlock is what the topic_audience template shows: the choices, what is ticked, and
// the page for its messages.
type audienceBlock struct {
	P       *page
	Choices *audienceChoices
	Ticked  audienceInput
}

// AudienceBlock gathers the arguments of the topic_audience template.
func (p *page) AudienceBlock(ch *audienceChoices, ticked audienceInput) audienceBlock {
	return audienceBlock{P: p, Choices: ch, Ticked: ticked}
}

// OrgCount counts the member organizations offered.
func (c audienceChoices) OrgCount() int { return len(c.Orgs) }

// PeopleCount counts the people offered, in organizations or on their own.
func (c audienceChoices) PeopleCount() int {
	n := len(c.People)
	for _, o := range c.Orgs {
		n += len(o.People)
	}
	return n
}

// Empty reports whether there is nobody to choose.
func (c audienceChoices) Empty() bool { return len(c.Orgs) == 0 && len(c.People) == 0 }

// audienceChoices lists the members of a community that may be named, leaving out those
// already named (except for topics being widened, nobody is).
func (web *Web) audienceChoices(ctx context.Context, pr auth.Principal, communityID int64, named model.Audience) (audienceChoices, error) {
	var ch audienceChoices
	var rows []store.MemberRow
	page := store.Page{Limit: store.MaxPage}
	for {
		list, err := web.app.Communities.Members(ctx, pr, communityID, page)
		if err != nil {
			return ch, err
		}
		rows = append(rows, list...)
		if len(list) < store.MaxPage {
			break
		}
		page.After = list[len(list)-1].ID
	}
	orgIndex := map[int64]int{}
	for _, m := range rows {
		if m.OrgID != 0 {
			orgIndex[m.OrgID] = len(ch.Orgs)
			ch.Orgs = append(ch.Orgs, audienceOrg{ID: m.OrgID, NameJA: m.OrgNameJA, NameEN: m.OrgNameEN})
		}
	}
	seen := map[int64]bool{}
	for i := range ch.Orgs {
		people, err := web.app.Directory.ListUsers(ctx, pr, directory.UserQuery{OrgID: ch.Orgs[i].ID, Page: store.Page{Limit: store.MaxPage}})
		if err != nil {
			return ch, err
		}
		for _, u := range people {
			if !u.Disabled && !seen[u.ID] && !slices.Contains(named.Users, u.ID) {
				seen[u.ID] = true
				ch.Orgs[i].People = append(ch.Orgs[i].People, audiencePerson{ID: u.ID, Name: u.DisplayName})
			}
		}
	}
	orgs := map[int64]model.Org{}
	for _, m := range rows {
		if m.UserID == 0 || seen[m.UserID] || slices.Contains(named.Users, m.UserID) {
			continue
		}
		seen[m.UserID] = true
		if i, ok := orgIndex[m.UserOrgID]; ok {
			ch.Orgs[i].People = append(ch.Orgs[i].People, audiencePerson{ID: m.UserID, Name: m.UserName})
			continue
		}
		o, ok := orgs[m.UserOrgID]
		if !ok {
			// A disabled organization the directory does not show stays unnamed.
			o, _ = web.app.Directory.GetOrg(ctx, pr, m.UserOrgID)
			orgs[m.UserOrgID] = o
		}
		ch.People = append(ch.People, audiencePerson{ID: m.UserID, Name: m.UserName, OrgJA: o.NameJA, OrgEN: o.NameEN})
	}
	for i := range ch.Orgs {
		ch.Orgs[i].Named = slices.Contains(named.Orgs, ch.Orgs[i].ID)
	}
	return ch, nil
}

// fileBlock is what the topic_files template shows.
type fileBlock struct {
	P     *page
	Files []model.Attachment
}

// FileBlock gathers the arguments of the topic_files template.
func (p *page) FileBlock(files []model.Attachment) fileBlock { return fileBlock{P: p, Files: files} }

// commentBlock is what the topic_comment template shows.
type commentBlock struct {
	P       *page
	C       commentNode
	TopicID int64
}

// CommentBlock gathers the arguments of the topic_comment template.
func (p *page) CommentBlock(c commentNode, topicID int64) commentBlock {
	return commentBlock{P: p, C: c, TopicID: topicID}
}

// commentFormBlock is what the topic_comment_form template shows: an empty form, or the
// one that failed with what was typed.
type commentFormBlock struct {
	P          *page
	ID         string // prefix of the form's element ids
	TopicID    int64
	ParentID   int64
	Failed     bool
	Body       string
	HadFile    bool
	MaxFileMiB int64
}

// CommentFormBlock gathers the arguments of the topic_comment_form template.
func (p *page) CommentFormBlock(topicID, parentID int64) commentFormBlock {
	b := commentFormBlock{P: p, ID: "comment", TopicID: topicID, ParentID: parentID}
	if parentID != 0 {
		b.ID = "reply-" + itoa(parentID)
	}
	if d, ok := p.Data.(topicPageData); ok {
		b.MaxFileMiB = d.MaxFileMiB
		if d.Form.Is("comment", parentID) {
			b.Failed, b.Body, b.HadFile = true, d.Form.Body, d.Form.HadFile
		}
	}
	return b
}
