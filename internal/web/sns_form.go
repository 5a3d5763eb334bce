package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/sns"
)

// ---- posting and editing a topic --------------------------------------------------------

// topicInput is the topic form as typed: a failed post shows all of it again.
type topicInput struct {
	Title        string
	Body         string
	InfoType     string
	Priority     string
	Tags         string
	TLP          string
	Scope        string
	Audience     audienceInput
	ShowAudience bool
}

func readTopicInput(r *http.Request) topicInput {
	f := r.PostFormValue
	priority := f("priority")
	if priority == "none" {
		priority = ""
	}
	return topicInput{Title: f("title"), Body: f("body"), InfoType: f("info_type"), Priority: priority,
		Tags: f("tags"), TLP: f("tlp"), Scope: f("scope"), Audience: readAudience(r), ShowAudience: f("show_audience") == "1"}
}

func (in topicInput) service(communityID int64) sns.TopicInput {
	return sns.TopicInput{CommunityID: communityID, Title: in.Title, Body: in.Body, InfoType: in.InfoType,
		Priority: in.Priority, Tags: []string{in.Tags}, TLP: in.TLP, Scope: in.Scope, Audience: in.Audience.audience(),
		ShowAudience: in.ShowAudience}
}

// IsTLP and friends tell the form which choice is made.
func (in topicInput) IsTLP(t model.TLP) bool           { return in.TLP == string(t) }
func (in topicInput) IsInfoType(t model.InfoType) bool { return in.InfoType == string(t) }
func (in topicInput) IsPriority(p model.Priority) bool { return in.Priority == string(p) }
func (in topicInput) IsScope(s model.Scope) bool       { return in.Scope == string(s) }

// withChoiceErrors replaces the service's "unknown value" message for a choice that was
// not made at all by one that asks to make it.
func (in topicInput) withChoiceErrors(err error) error {
	var out fault.List
	for _, fe := range fault.Fields(err) {
		switch {
		case fe.Field == "tlp" && strings.TrimSpace(in.TLP) == "":
			fe = fault.Field("tlp", "topicform.choose_tlp")
		case fe.Field == "info_type" && strings.TrimSpace(in.InfoType) == "":
			fe = fault.Field("info_type", "topicform.choose_info_type")
		}
		out = append(out, fe)
	}
	if fault.KindOf(err) != fault.Invalid {
		return err
	}
	return out.Err()
}

type topicFormData struct {
	Community  model.Community
	Topic      model.Topic // the topic edited
	Edit       bool
	Input      topicInput
	Choices    *audienceChoices
	InfoTypes  []model.InfoType
	Priorities []model.Priority
	TLPs       []model.TLP
	Scopes     []model.Scope
	HadFile    bool
	MaxFileMiB int64
}

func (web *Web) newTopicData(r *http.Request, c model.Community, in topicInput) (topicFormData, error) {
	pr := httpx.MustPrincipal(r)
	ch, err := web.audienceChoices(r.Context(), pr, c.ID, model.Audience{})
	return topicFormData{Community: c, Input: in, Choices: &ch, InfoTypes: model.InfoTypes, Priorities: model.Priorities,
		TLPs: model.TLPs, Scopes: []model.Scope{model.ScopeCommunity, model.ScopeSelected},
		MaxFileMiB: web.app.SNS.MaxAttachment() >> 20}, err
}

// postableCommunity returns the community of the form, or writes the error page: the
// standard 404 when the person may not see it, a refusal when they may not post in it.
func (web *Web) postableCommunity(w http.ResponseWriter, r *http.Request) (model.Community, bool) {
	pr := httpx.MustPrincipal(r)
	c, err := web.app.Communities.Get(r.Context(), pr, idParam(r, "id"))
	if err != nil {
		web.fail(w, r, err)
		return c, false
	}
	if !policy.IsCommunityMember(pr.Actor, c.ID) {
		web.renderError(w, r, http.StatusForbidden, "topic.not_member")
		return c, false
	}
	return c, true
}

func (web *Web) topicNew(w http.ResponseWriter, r *http.Request) {
	c, ok := web.postableCommunity(w, r)
	if !ok {
		return
	}
	d, err := web.newTopicData(r, c, topicInput{Priority: string(model.PriorityNone), Scope: string(model.ScopeCommunity)})
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "topicform.title_new", "timeline")
	p.Data = d
	web.render(w, r, http.StatusOK, "topic_new", p)
}

// topicCreate posts a topic, and attaches the file chosen with it. On any error the form
// comes back with everything typed (a chosen file must be chosen again: browsers do not
// let a page fill in a file input).
func (web *Web) topicCreate(w http.ResponseWriter, r *http.Request) {
	c, ok := web.postableCommunity(w, r)
	if !ok {
		return
	}
	pr := httpx.MustPrincipal(r)
	in := readTopicInput(r)
	fh := formFile(r, "file")
	var err error
	if fh != nil {
		err = web.checkUpload(fh)
	}
	var t model.Topic
	if err == nil {
		t, err = web.app.SNS.CreateTopic(r.Context(), pr, in.service(c.ID))
		err = in.withChoiceErrors(err)
	}
	if err != nil {
		kind := fault.KindOf(err)
		if kind != fault.Invalid {
			web.fail(w, r, err)
			return
		}
		d, derr := web.newTopicData(r, c, in)
		if derr != nil {
			web.fail(w, r, derr)
			return
		}
		d.HadFile = fh != nil
		p := web.newPage(w, r, "topicform.title_new", "timeline")
		p.setErrors(err)
		p.Data = d
		web.render(w, r, http.StatusUnprocessableEntity, "topic_new", p)
		return
	}
	if fh != nil {
		if err := web.attach(r.Context(), pr, t.ID, 0, fh); err != nil {
			if fault.KindOf(err) != fault.Invalid {
				web.fail(w, r, err)
				return
			}
			web.redirectFlash(w, r, topicPath(t.ID), "flash.topic_posted_file_failed")
			return
		}
	}
	web.redirectFlash(w, r, topicPath(t.ID), "flash.topic_posted")
}

// editableTopic returns the topic for its edit form, or writes the error page.
func (web *Web) editableTopic(w http.ResponseWriter, r *http.Request) (sns.TopicView, bool) {
	v, err := web.app.SNS.PeekTopic(r.Context(), httpx.MustPrincipal(r), idParam(r, "id"))
	if err != nil {
		web.fail(w, r, err)
		return v, false
	}
	if !v.CanEdit {
		web.renderError(w, r, http.StatusForbidden, "error.forbidden")
		return v, false
	}
	return v, true
}

func (web *Web) editTopicData(r *http.Request, v sns.TopicView, in topicInput) topicFormData {
	c, _ := web.app.Communities.Get(r.Context(), httpx.MustPrincipal(r), v.Topic.CommunityID)
	return topicFormData{Community: c, Topic: v.Topic, Edit: true, Input: in, InfoTypes: model.InfoTypes,
		Priorities: model.Priorities, TLPs: model.TLPs}
}

func (web *Web) topicEdit(w http.ResponseWriter, r *http.Request) {
	v, ok := web.editableTopic(w, r)
	if !ok {
		return
	}
	t := v.Topic
	in := topicInput{Title: t.Title, Body: t.Body, InfoType: string(t.InfoType), Priority: string(t.Priority),
		Tags: strings.Join(t.Tags, ", "), TLP: string(t.TLP), Scope: string(t.Scope), ShowAudience: t.ShowAudience}
	p := web.newPage(w, r, "topicform.title_edit", "timeline")
	p.Data = web.editTopicData(r, v, in)
	web.render(w, r, http.StatusOK, "topic_edit", p)
}

func (web *Web) topicEditPost(w http.ResponseWriter, r *http.Request) {
	v, ok := web.editableTopic(w, r)
	if !ok {
		return
	}
	in := readTopicInput(r)
	in.Scope = string(v.Topic.Scope)
	_, err := web.app.SNS.EditTopic(r.Context(), httpx.MustPrincipal(r), v.Topic.ID, in.service(v.Topic.CommunityID))
	if err != nil {
		err = in.withChoiceErrors(err)
		if fault.KindOf(err) != fault.Invalid {
			web.fail(w, r, err)
			return
		}
		p := web.newPage(w, r, "topicform.title_edit", "timeline")
		p.setErrors(err)
		p.Data = web.editTopicData(r, v, in)
		web.render(w, r, http.StatusUnprocessableEntity, "topic_edit", p)
		return
	}
	web.redirectFlash(w, r, topicPath(v.Topic.ID), "flash.topic_saved")
}

// ---- versions and read progress ---------------------------------------------------------

// topicVersion is an earlier version and the time it was current from.
type topicVersion struct {
	model.TopicVersion
	From time.Time
}

type versionsData struct {
	View     sns.TopicView
	Versions []topicVersion
}

// CurrentSince is when the current version was written.
func (d versionsData) CurrentSince() time.Time {
	if !d.View.Topic.EditedAt.IsZero() {
		return d.View.Topic.EditedAt
	}
	return d.View.Topic.CreatedAt
}

func (web *Web) topicVersions(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	id := idParam(r, "id")
	v, err := web.app.SNS.PeekTopic(r.Context(), pr, id)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	list, err := web.app.SNS.Versions(r.Context(), pr, id)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	// Versions come newest first; each was current from the end of the one before it.
	d := versionsData{View: v}
	for i, x := range list {
		tv := topicVersion{TopicVersion: x, From: v.Topic.CreatedAt}
		if i+1 < len(list) {
			tv.From = list[i+1].EditedAt
		}
		d.Versions = append(d.Versions, tv)
	}
	p := web.newPage(w, r, "versions.title", "timeline")
	p.Data = d
	web.render(w, r, http.StatusOK, "topic_versions", p)
}

type progressData struct {
	View     sns.TopicView
	Progress sns.Progress
	Unread   []sns.OrgProgress // target organizations where nobody has acknowledged yet
}

func (web *Web) topicProgress(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	id := idParam(r, "id")
	v, err := web.app.SNS.PeekTopic(r.Context(), pr, id)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	prog, err := web.app.SNS.Progress(r.Context(), pr, id)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	d := progressData{View: v, Progress: prog}
	for _, o := range prog.Orgs {
		if o.FirstReadAt.IsZero() {
			d.Unread = append(d.Unread, o)
		}
	}
	p := web.newPage(w, r, "progress.title", "timeline")
	p.Data = d
	web.render(w, r, http.StatusOK, "topic_progress", p)
}
