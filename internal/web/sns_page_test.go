package web_test

import (
	"bytes"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// snsWorld is one community shared by the center, a power company (the author's), a
// railway (the recipient's) and a CTI vendor that is a member but receives nothing.
type snsWorld struct {
	env                      *testapp.Env
	base                     string
	comm                     model.Community
	center, power, rail, cti model.Org
	analyst, sato, tanaka    model.User
	kimura                   model.User
}

func newSNSWorld(t *testing.T, db *store.DB) *snsWorld {
	env := testapp.New(t, db)
	w := &snsWorld{env: env}
	w.center = env.Org("対処調整センター", model.KindCenter)
	w.power = env.Org("東都電力", model.KindOperator)
	w.rail = env.Org("首都圏鉄道", model.KindOperator)
	w.cti = env.Org("脅威情報ベンダー", model.KindCTIVendor)
	w.analyst = env.Person(w.center, "analyst@center.example", model.RoleAnalyst)
	w.sato = env.Person(w.power, "sato@power.example", model.RoleMember)
	w.tanaka = env.Person(w.rail, "tanaka@rail.example", model.RoleMember)
	w.kimura = env.Person(w.cti, "kimura@cti.example", model.RoleMember)
	ctx, sys := testapp.Ctx(), auth.System()
	var err error
	w.comm, err = env.Communities.Create(ctx, sys, community.Input{NameJA: "情報提供（プロ）", NameEN: "Sharing (pro)"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []model.Org{w.center, w.power, w.rail, w.cti} {
		if err := env.Communities.AddOrg(ctx, sys, w.comm.ID, o.ID); err != nil {
			t.Fatal(err)
		}
	}
	w.base = env.Server()
	return w
}

func (w *snsWorld) visitor(t *testing.T, u model.User) *visitor {
	v := newVisitor(t, w.env, w.base)
	v.signInAs(u, nil)
	return v
}

// post creates a topic through the service, as the given person.
func (w *snsWorld) post(t *testing.T, u model.User, in sns.TopicInput) model.Topic {
	t.Helper()
	in.CommunityID = w.comm.ID
	if in.InfoType == "" {
		in.InfoType = "vulnerability"
	}
	if in.TLP == "" {
		in.TLP = "amber"
	}
	if in.Scope == "" {
		in.Scope = "community"
	}
	if in.Body == "" {
		in.Body = "本文"
	}
	topic, err := w.env.SNS.CreateTopic(testapp.Ctx(), w.env.Principal(u), in)
	if err != nil {
		t.Fatalf("CreateTopic(%q): %v", in.Title, err)
	}
	return topic
}

func (w *snsWorld) newTopicPath() string { return "/communities/" + idText(w.comm.ID) + "/topics/new" }

// multipartBody builds a form with one file, as a browser sends it.
func multipartBody(t *testing.T, fields url.Values, fileField, fileName string, content []byte) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if fileField != "" {
		fw, err := mw.CreateFormFile(fileField, fileName)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(content)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), mw.FormDataContentType()
}

// postFile posts a multipart form with the session's CSRF token and one file.
func (v *visitor) postFile(path string, fields url.Values, fileName string, content []byte) *reply {
	v.t.Helper()
	f := url.Values{"csrf": {v.csrf}}
	for k, vs := range fields {
		f[k] = vs
	}
	body, ct := multipartBody(v.t, f, "file", fileName, content)
	req, err := http.NewRequest(http.MethodPost, v.base+path, strings.NewReader(body))
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	return v.do(req)
}

// topicIDOf reads the topic id from a redirect to its page.
func topicIDOf(t *testing.T, r *reply) int64 {
	t.Helper()
	m := regexp.MustCompile(`^/topics/(\d+)`).FindStringSubmatch(r.location())
	if m == nil {
		t.Fatalf("status %d, location %q: not a topic page (alert %q)", r.status, r.location(), alertOf(r.body))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// textareaValue returns the text of the textarea with that id.
func textareaValue(body, id string) string {
	m := regexp.MustCompile(`(?s)<textarea[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</textarea>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(strings.TrimPrefix(m[1], "\n"))
}

// isChecked reports whether the input with that id is checked.
func isChecked(body, id string) bool {
	tag := regexp.MustCompile(`<input[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	return strings.Contains(tag, " checked")
}

// errText returns the text of the element with that id.
func errText(body, id string) string {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// A person posts a topic through the form, with its CSRF token, to one organization; the
// topic page shows it with its priority tag, TLP badge and rendered body. Without the
// token nothing is posted.
func TestPageTopicPostedThroughTheForm(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newSNSWorld(t, db)
		v := w.visitor(t, w.sato)

		form := v.get(w.newTopicPath())
		expectStatus(t, "new topic form", form, http.StatusOK)
		if h1Of(form.body) != "新しいトピック" {
			t.Errorf("form heading %q", h1Of(form.body))
		}
		for _, want := range []string{`id="aud-org-` + idText(w.rail.ID) + `"`, "首都圏鉄道", `<span class="tlp tlp-red">TLP:RED</span> 指名された個人のみ`, "【重要】",
			"脆弱性情報", `enctype="multipart/form-data"`, "tanaka"} {
			if !strings.Contains(form.body, want) {
				t.Errorf("the form lacks %q", want)
			}
		}
		fields := url.Values{"title": {"<b>攻撃</b>予告の観測"}, "body": {"## 概要\n\n**DDoS** 攻撃の予告を観測しました。"},
			"info_type": {"attack-forecast"}, "priority": {"important"}, "tags": {"DDoS, 予告"}, "tlp": {"amber"},
			"scope": {"selected"}, "audience_org": {idText(w.rail.ID)}}

		noToken := v.post(w.newTopicPath(), fields)
		expectStatus(t, "post without a token", noToken, http.StatusForbidden)
		if items, _, _ := w.env.SNS.Timeline(testapp.Ctx(), w.env.Principal(w.sato), sns.TimelineQuery{}); len(items) != 0 {
			t.Fatalf("a post without its CSRF token created %d topics", len(items))
		}

		fields.Set("csrf", csrfOf(form.body))
		r := v.post(w.newTopicPath(), fields)
		expectStatus(t, "post", r, http.StatusSeeOther)
		id := topicIDOf(t, r)
		page := v.get(r.location())
		expectStatus(t, "topic page", page, http.StatusOK)
		if got := flashOf(page.body); got != "トピックを投稿しました。" {
			t.Errorf("flash %q", got)
		}
		for _, want := range []string{`<span class="prio prio-important">【重要】</span>&lt;b&gt;攻撃&lt;/b&gt;予告の観測</h1>`,
			`<span class="tlp tlp-amber">TLP:AMBER</span>`, "<h4>概要</h4>", "<strong>DDoS</strong>", "攻撃予見情報", "#予告",
			"手動選択（指定した組織・個人のみ）", "首都圏鉄道", "既読にする", "sato", "東都電力"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the topic page lacks %q", want)
			}
		}
		if strings.Contains(page.body, "<b>攻撃</b>") {
			t.Error("the title is written into the page as HTML")
		}
		v2, err := w.env.SNS.PeekTopic(testapp.Ctx(), w.env.Principal(w.sato), id)
		if err != nil {
			t.Fatal(err)
		}
		if v2.Topic.Scope != model.ScopeSelected || v2.Audience == nil || len(v2.Audience.Orgs) != 1 || v2.Audience.Orgs[0] != w.rail.ID {
			t.Errorf("posted with scope %s and audience %+v", v2.Topic.Scope, v2.Audience)
		}
		if v2.Topic.Priority != model.PriorityImportant || v2.Topic.TLP != model.TLPAmber || len(v2.Topic.Tags) != 2 {
			t.Errorf("posted as %+v", v2.Topic)
		}
	})
}

// A refused post shows the form again with every field as typed and the reason next to
// the field at fault: TLP:RED for the whole community is explained next to the TLP picker.
func TestPageTopicFormKeepsTheDraft(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newSNSWorld(t, db)
		v := w.visitor(t, w.sato)
		body := "長い下書き\n\n- 一つ目\n- 二つ目 <script>alert(1)</script>"
		r := v.postCSRF(w.newTopicPath(), url.Values{"title": {"赤の情報"}, "body": {body}, "info_type": {"incident"},
			"priority": {"caution"}, "tags": {"ランサムウェア"}, "tlp": {"red"}, "scope": {"community"}, "show_audience": {"1"}})
		expectStatus(t, "red to the community", r, http.StatusUnprocessableEntity)
		if got, _ := inputValue(r.body, "title"); got != "赤の情報" {
			t.Errorf("title kept as %q", got)
		}
		if got := textareaValue(r.body, "body"); got != body {
			t.Errorf("body kept as %q", got)
		}
		if got, _ := inputValue(r.body, "tags"); got != "ランサムウェア" {
			t.Errorf("tags kept as %q", got)
		}
		for _, id := range []string{"tlp-red", "priority-caution", "scope-community", "show_audience"} {
			if !isChecked(r.body, id) {
				t.Errorf("%s is not checked again", id)
			}
		}
		if !strings.Contains(r.body, `<option value="incident" selected>`) {
			t.Error("the information type is not selected again")
		}
		want := "TLP:RED は個人を指名して共有する情報です。共有範囲は「手動選択」にして、宛先の個人を選んでください。"
		if got := errText(r.body, "tlp-error"); got != want {
			t.Errorf("TLP error %q, want %q", got, want)
		}
		if got := alertOf(r.body); got != "入力内容を確認してください。" {
			t.Errorf("form error %q", got)
		}

		// Nothing chosen: the form asks to choose, and keeps the ticked organization.
		r = v.postCSRF(w.newTopicPath(), url.Values{"title": {""}, "body": {"本文"}, "scope": {"selected"},
			"audience_org": {idText(w.rail.ID)}})
		expectStatus(t, "empty choices", r, http.StatusUnprocessableEntity)
		if msg, invalid := fieldError(r.body, "title"); !invalid || msg != "入力してください。" {
			t.Errorf("title error %q (invalid %v)", msg, invalid)
		}
		if msg, _ := fieldError(r.body, "info_type"); msg != "情報種別を選んでください。" {
			t.Errorf("info type error %q", msg)
		}
		if got := errText(r.body, "tlp-error"); !strings.HasPrefix(got, "TLP を選んでください。") {
			t.Errorf("TLP error %q", got)
		}
		if !isChecked(r.body, "aud-org-"+idText(w.rail.ID)) || !isChecked(r.body, "scope-selected") {
			t.Error("the audience is not ticked again")
		}

		// RED to an organization: the reason is next to the audience.
		r = v.postCSRF(w.newTopicPath(), url.Values{"title": {"赤"}, "body": {"本文"}, "info_type": {"incident"}, "tlp": {"red"},
			"scope": {"selected"}, "audience_org": {idText(w.rail.ID)}})
		expectStatus(t, "red to an organization", r, http.StatusUnprocessableEntity)
		if got := errText(r.body, "audience-error"); got != "TLP:RED の情報は組織全体には共有できません。宛先には個人だけを選んでください。" {
			t.Errorf("audience error %q", got)
		}
		if items, _, _ := w.env.SNS.Timeline(testapp.Ctx(), w.env.Principal(w.sato), sns.TimelineQuery{}); len(items) != 0 {
			t.Fatalf("refused posts created %d topics", len(items))
		}

		// RED to a named person is fine.
		r = v.postCSRF(w.newTopicPath(), url.Values{"title": {"赤"}, "body": {"本文"}, "info_type": {"incident"}, "tlp": {"red"},
			"scope": {"selected"}, "audience_user": {idText(w.tanaka.ID)}})
		expectStatus(t, "red to a person", r, http.StatusSeeOther)

		// In English, the same reason in English.
		en := setUserLang(w.env, w.sato, model.LangEN)
		ve := w.visitor(t, en)
		r = ve.postCSRF(w.newTopicPath(), url.Values{"title": {"Red"}, "body": {"x"}, "info_type": {"incident"}, "tlp": {"red"}, "scope": {"community"}})
		expectStatus(t, "red in English", r, http.StatusUnprocessableEntity)
		if got := errText(r.body, "tlp-error"); got != `TLP:RED is for named individuals: choose "selected" as the scope and name the people.` {
			t.Errorf("English TLP error %q", got)
		}
	})
}

// A selected-scope topic and its file are the standard 404 for a member of the community
// who is not a recipient; the recipient downloads the file as an attachment that no
// browser renders in the site's origin.
func TestPageSelectedTopicAndFileHiddenFromOthers(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newSNSWorld(t, db)
		author := w.visitor(t, w.sato)
		r := author.postCSRF(w.newTopicPath(), url.Values{"title": {"鉄道向け：不正通信の観測"}, "body": {"攻撃元の一覧を添付します。"},
			"info_type": {"observation"}, "tlp": {"amber+strict"}, "scope": {"selected"}, "audience_org": {idText(w.rail.ID)}})
		id := topicIDOf(t, r)
		content := []byte("<html><script>alert(document.cookie)</script></html>\n198.51.100.7\n")
		// A multipart form is checked for its CSRF token like any other.
		forged := *author
		forged.csrf = "forged"
		r = forged.postFile("/topics/"+idText(id)+"/attachments", nil, "攻撃元 一覧.html", content)
		expectStatus(t, "attach with a forged token", r, http.StatusForbidden)
		if files, _ := w.env.SNS.Attachments(testapp.Ctx(), w.env.Principal(w.sato), id); len(files) != 0 {
			t.Fatal("a forged multipart post attached a file")
		}
		r = author.postFile("/topics/"+idText(id)+"/attachments", nil, "攻撃元 一覧.html", content)
		expectStatus(t, "attach", r, http.StatusSeeOther)
		files, err := w.env.SNS.Attachments(testapp.Ctx(), w.env.Principal(w.sato), id)
		if err != nil || len(files) != 1 {
			t.Fatalf("attachments: %v %v", files, err)
		}
		file := "/attachments/" + idText(files[0].ID)

		page := author.get("/topics/" + idText(id))
		for _, want := range []string{`href="` + file + `"`, "攻撃元 一覧.html", files[0].SHA256, "TLP:AMBER&#43;STRICT"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the topic page lacks %q", want)
			}
		}

		recipient := w.visitor(t, w.tanaka)
		expectStatus(t, "recipient opens", recipient.get("/topics/"+idText(id)), http.StatusOK)
		dl := recipient.get(file)
		expectStatus(t, "recipient downloads", dl, http.StatusOK)
		if dl.body != string(content) {
			t.Errorf("downloaded %q", dl.body)
		}
		cd := dl.header.Get("Content-Disposition")
		if !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename*=UTF-8''%E6%94%BB%E6%92%83%E5%85%83%20%E4%B8%80%E8%A6%A7.html") {
			t.Errorf("Content-Disposition %q", cd)
		}
		if dl.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("X-Content-Type-Options %q", dl.header.Get("X-Content-Type-Options"))
		}
		if csp := dl.header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
			t.Errorf("Content-Security-Policy %q", csp)
		}
		if cc := dl.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("Cache-Control %q", cc)
		}

		other := w.visitor(t, w.kimura)
		for _, path := range []string{"/topics/" + idText(id), file, "/topics/" + idText(id) + "/progress",
			"/topics/" + idText(id) + "/versions", "/topics/" + idText(id) + "/edit"} {
			r := other.get(path)
			expectStatus(t, "non-recipient GET "+path, r, http.StatusNotFound)
			if alertOf(r.body) != jaNotFound {
				t.Errorf("non-recipient GET %s shows %q", path, alertOf(r.body))
			}
			if strings.Contains(r.body, "鉄道向け") || strings.Contains(r.body, "alert(document.cookie)") {
				t.Errorf("non-recipient GET %s shows the topic", path)
			}
		}
		for _, path := range []string{"/topics/" + idText(id) + "/ack", "/topics/" + idText(id) + "/comments", "/topics/" + idText(id) + "/bookmark"} {
			if r := other.postCSRF(path, url.Values{"body": {"見えていますか"}, "on": {"1"}}); r.status != http.StatusNotFound {
				t.Errorf("non-recipient POST %s: %d, want 404", path, r.status)
			}
		}
		for _, path := range []string{"/topics", "/search?q=" + url.QueryEscape("攻撃"), "/search?q=" + url.QueryEscape("鉄道向け")} {
			r := other.get(path)
			expectStatus(t, path, r, http.StatusOK)
			if strings.Contains(r.body, "/topics/"+idText(id)+`"`) || strings.Contains(r.body, "不正通信") {
				t.Errorf("non-recipient GET %s lists the topic", path)
			}
		}
		r = recipient.get("/search?q=" + url.QueryEscape("攻撃"))
		if !strings.Contains(r.body, "/topics/"+idText(id)+`"`) || !strings.Contains(r.body, "<mark>攻撃</mark>元の一覧") {
			t.Errorf("the recipient's search does not find the topic with its match marked:\n%s", r.body)
		}
		// A search too long is refused next to its field.
		r = recipient.get("/search?q=" + strings.Repeat("攻", 1000))
		expectStatus(t, "long search", r, http.StatusOK)
		if msg, invalid := fieldError(r.body, "q"); !invalid || !strings.HasPrefix(msg, "検索語が長すぎます") {
			t.Errorf("long search: %q", msg)
		}
		// The recipient may read the topic but not its read progress.
		expectStatus(t, "recipient progress", recipient.get("/topics/"+idText(id)+"/progress"), http.StatusForbidden)
	})
}

// A file larger than the limit is refused with the reason next to the file field and
// nothing is posted; a comment with a file carries it.
func TestPageCommentsRepliesAndFiles(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cfg := testapp.Config(t)
		cfg.AttachmentMaxMiB = 1
		env := testapp.NewWith(t, db, cfg)
		w := &snsWorld{env: env}
		w.power = env.Org("東都電力", model.KindOperator)
		w.rail = env.Org("首都圏鉄道", model.KindOperator)
		w.sato = env.Person(w.power, "sato@power.example", model.RoleMember)
		w.tanaka = env.Person(w.rail, "tanaka@rail.example", model.RoleMember)
		ctx, sys := testapp.Ctx(), auth.System()
		var err error
		if w.comm, err = env.Communities.Create(ctx, sys, community.Input{NameJA: "情報提供（一般）"}); err != nil {
			t.Fatal(err)
		}
		for _, o := range []model.Org{w.power, w.rail} {
			if err := env.Communities.AddOrg(ctx, sys, w.comm.ID, o.ID); err != nil {
				t.Fatal(err)
			}
		}
		w.base = env.Server()
		topic := w.post(t, w.sato, sns.TopicInput{Title: "VPN 機器の脆弱性"})
		path := "/topics/" + idText(topic.ID)
		v := w.visitor(t, w.tanaka)

		big := bytes.Repeat([]byte("x"), 1<<20+1)
		r := v.postFile(path+"/comments", url.Values{"body": {"ログを添付します。"}}, "log.txt", big)
		expectStatus(t, "comment with a large file", r, http.StatusUnprocessableEntity)
		if got := textareaValue(r.body, "comment-body"); got != "ログを添付します。" {
			t.Errorf("comment kept as %q", got)
		}
		if msg, invalid := fieldError(r.body, "comment-file"); !invalid || msg != "ファイルが大きすぎます（上限 1 MB）。" {
			t.Errorf("file error %q (invalid %v)", msg, invalid)
		}
		if !strings.Contains(r.body, "もう一度選んでください") {
			t.Error("the form does not say to choose the file again")
		}
		// Larger than the whole body limit: the standard 413 page, nothing posted.
		huge := bytes.Repeat([]byte("x"), 3<<20)
		r = v.postFile(path+"/comments", url.Values{"body": {"巨大"}}, "huge.bin", huge)
		expectStatus(t, "comment with a huge file", r, http.StatusRequestEntityTooLarge)
		if alertOf(r.body) != jaTooLarge {
			t.Errorf("huge file: %q", alertOf(r.body))
		}

		r = v.postFile(path+"/comments", url.Values{"body": {"ログを添付します。"}}, "vpn.log", []byte("2026-07-24 login failed\n"))
		expectStatus(t, "comment with a file", r, http.StatusSeeOther)
		if !strings.HasPrefix(r.location(), path+"#c") {
			t.Errorf("comment leads to %q", r.location())
		}
		comments, err := env.SNS.Comments(ctx, env.Principal(w.tanaka), topic.ID, store.Page{})
		if err != nil || len(comments) != 1 {
			t.Fatalf("comments %v %v", comments, err)
		}
		first := comments[0].ID

		// An empty reply comes back with its error in its own form, open.
		r = v.postCSRF(path+"/comments", url.Values{"body": {"  "}, "parent_id": {idText(first)}})
		expectStatus(t, "empty reply", r, http.StatusUnprocessableEntity)
		if msg, _ := fieldError(r.body, "reply-"+idText(first)+"-body"); msg != "入力してください。" {
			t.Errorf("reply error %q", msg)
		}
		if msg, _ := fieldError(r.body, "comment-body"); msg != "" {
			t.Errorf("the error shows on the new-comment form too: %q", msg)
		}
		r = v.postCSRF(path+"/comments", url.Values{"body": {"承知しました。"}, "parent_id": {idText(first)}})
		expectStatus(t, "reply", r, http.StatusSeeOther)

		author := w.visitor(t, w.sato)
		page := author.get(path)
		for _, want := range []string{"ログを添付します。", "承知しました。", "vpn.log", `class="replies"`, "コメント（2）"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the topic page lacks %q", want)
			}
		}
		// A reply to a reply is refused.
		comments, _ = env.SNS.Comments(ctx, env.Principal(w.tanaka), topic.ID, store.Page{})
		r = author.postCSRF(path+"/comments", url.Values{"body": {"返信の返信"}, "parent_id": {idText(comments[1].ID)}})
		expectStatus(t, "reply to a reply", r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.body, "返信への返信はできません。") {
			t.Errorf("a reply to a reply is not explained: %q", alertOf(r.body))
		}
		// The author of a comment deletes it; the author of the topic cannot.
		if r := author.postCSRF("/comments/"+idText(first)+"/delete", url.Values{"topic": {idText(topic.ID)}}); r.status != http.StatusForbidden {
			t.Errorf("the topic's author deleted another's comment: %d", r.status)
		}
		r = v.postCSRF("/comments/"+idText(first)+"/delete", url.Values{"topic": {idText(topic.ID)}})
		expectStatus(t, "delete comment", r, http.StatusSeeOther)
		page = v.get(r.location())
		if !strings.Contains(page.body, "このコメントは削除されました。") || strings.Contains(page.body, "vpn.log") {
			t.Error("a deleted comment still shows its text or file")
		}
	})
}

// Acknowledging, bookmarking, editing, widening and the progress page, as their people see them.
func TestPageTopicActions(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newSNSWorld(t, db)
		topic := w.post(t, w.sato, sns.TopicInput{Title: "不審なメールの注意喚起", Scope: "selected",
			Audience: model.Audience{Orgs: []int64{w.rail.ID}}, InfoType: "alert"})
		path := "/topics/" + idText(topic.ID)
		author, recipient, other := w.visitor(t, w.sato), w.visitor(t, w.tanaka), w.visitor(t, w.kimura)

		// Only the author is offered editing, widening and the progress.
		page := recipient.get(path)
		for _, no := range []string{path + "/edit", path + "/progress", path + "/widen", path + "/delete", path + "/attachments"} {
			if strings.Contains(page.body, no) {
				t.Errorf("the recipient is offered %s", no)
			}
		}
		if strings.Contains(page.body, "首都圏鉄道") && strings.Contains(page.body, "inline-list") {
			t.Error("the recipient sees the audience the author did not show")
		}
		r := recipient.postCSRF(path+"/ack", nil)
		expectStatus(t, "ack", r, http.StatusSeeOther)
		page = recipient.get(r.location())
		if flashOf(page.body) != "既読にしました。投稿者に伝わります。" || !strings.Contains(page.body, "既読にしました") ||
			strings.Contains(page.body, `action="`+path+`/ack"`) {
			t.Error("the page does not show the acknowledgement")
		}
		expectStatus(t, "bookmark", recipient.postCSRF(path+"/bookmark", url.Values{"on": {"1"}}), http.StatusSeeOther)
		tl := recipient.get("/topics?bookmarked=1")
		if !strings.Contains(tl.body, path+`"`) {
			t.Error("the bookmarked topic is not in the bookmarked timeline")
		}
		if r := recipient.postCSRF(path+"/edit", url.Values{"title": {"乗っ取り"}}); r.status != http.StatusForbidden {
			t.Errorf("the recipient edits: %d", r.status)
		}
		if r := recipient.postCSRF(path+"/widen", url.Values{"to_community": {"1"}}); r.status != http.StatusForbidden {
			t.Errorf("the recipient widens: %d", r.status)
		}

		prog := author.get(path + "/progress")
		expectStatus(t, "progress", prog, http.StatusOK)
		if !strings.Contains(prog.body, "対象の 1 組織のうち 1 組織で") || !strings.Contains(prog.body, "首都圏鉄道") ||
			!strings.Contains(prog.body, `<span class="badge on">既読</span>`) {
			t.Errorf("progress page:\n%s", prog.body)
		}

		// Editing keeps the old version.
		edit := author.get(path + "/edit")
		expectStatus(t, "edit form", edit, http.StatusOK)
		if got, _ := inputValue(edit.body, "title"); got != topic.Title {
			t.Errorf("edit form title %q", got)
		}
		r = author.postCSRF(path+"/edit", url.Values{"title": {""}, "body": {"改訂"}, "info_type": {"alert"}, "tlp": {"amber"}})
		expectStatus(t, "bad edit", r, http.StatusUnprocessableEntity)
		if got := textareaValue(r.body, "body"); got != "改訂" {
			t.Errorf("edit kept body %q", got)
		}
		r = author.postCSRF(path+"/edit", url.Values{"title": {"【続報】不審なメール"}, "body": {"改訂"}, "info_type": {"alert"},
			"tlp": {"green"}, "priority": {"caution"}})
		expectStatus(t, "edit", r, http.StatusSeeOther)
		vers := author.get(path + "/versions")
		if !strings.Contains(vers.body, "第1版") || !strings.Contains(vers.body, topic.Title) || !strings.Contains(vers.body, "現在の版（第2版）") {
			t.Errorf("versions page:\n%s", vers.body)
		}

		// Widening to the CTI vendor lets its people in.
		expectStatus(t, "other before", other.get(path), http.StatusNotFound)
		r = author.postCSRF(path+"/widen", nil)
		expectStatus(t, "empty widening", r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.body, "宛先の組織または個人を1つ以上選んでください。") {
			t.Error("an empty widening is not explained")
		}
		r = author.postCSRF(path+"/widen", url.Values{"audience_org": {idText(w.cti.ID)}})
		expectStatus(t, "widen", r, http.StatusSeeOther)
		expectStatus(t, "other after", other.get(path), http.StatusOK)

		// Deleting is the author's; the topic is then gone for everyone.
		if r := recipient.postCSRF(path+"/delete", nil); r.status != http.StatusForbidden {
			t.Errorf("the recipient deletes: %d", r.status)
		}
		r = author.postCSRF(path+"/delete", nil)
		expectStatus(t, "delete", r, http.StatusSeeOther)
		expectStatus(t, "after delete", recipient.get(path), http.StatusNotFound)
	})
}

// The timeline filters, marks unread topics, tags priorities and TLPs, and pages by keyset.
func TestPageTimeline(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newSNSWorld(t, db)
		for i := range 52 {
			w.post(t, w.sato, sns.TopicInput{Title: fmt.Sprintf("定期報告 %02d", i), InfoType: "observation", TLP: "green"})
		}
		red := w.post(t, w.sato, sns.TopicInput{Title: "田中さんだけに", TLP: "red", Scope: "selected",
			Audience: model.Audience{Users: []int64{w.tanaka.ID}}, InfoType: "incident", Priority: "important", Tags: []string{"標的型"}})
		v := w.visitor(t, w.tanaka)
		r := v.get("/topics")
		expectStatus(t, "timeline", r, http.StatusOK)
		if h1Of(r.body) != "タイムライン" {
			t.Errorf("heading %q", h1Of(r.body))
		}
		for _, want := range []string{`<span class="tlp tlp-red">TLP:RED</span>`, `<span class="prio prio-important">【重要】</span>田中さんだけに`,
			`<span class="badge unread">未読</span>`, `<span class="tlp tlp-green">TLP:GREEN</span>`, "未読 53 件", `aria-current="page">タイムライン`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("the timeline lacks %q", want)
			}
		}
		if got := strings.Count(r.body, `class="topic-item`); got != 50 {
			t.Errorf("%d topics on the first page, want 50", got)
		}
		older := regexp.MustCompile(`href="(/topics\?before=\d+)">さらに古いトピック`).FindStringSubmatch(r.body)
		if older == nil {
			t.Fatal("no link to older topics")
		}
		r = v.get(html.UnescapeString(older[1]))
		if got := strings.Count(r.body, `class="topic-item`); got != 3 {
			t.Errorf("%d topics on the second page, want 3", got)
		}
		if strings.Contains(r.body, "さらに古いトピック") {
			t.Error("the last page links to older topics")
		}

		for _, c := range []struct {
			query string
			want  int
		}{
			{"tlp=red", 1}, {"priority=important", 1}, {"info_type=observation", 50}, {"tag=" + url.QueryEscape("#標的型"), 1},
			{"community=" + idText(w.comm.ID) + "&tlp=green&info_type=incident", 0},
			{"from=2026-07-24&to=2026-07-24", 50}, {"from=2026-07-25", 0},
		} {
			r := v.get("/topics?" + c.query)
			expectStatus(t, c.query, r, http.StatusOK)
			if got := strings.Count(r.body, `class="topic-item`); got != c.want {
				t.Errorf("/topics?%s: %d topics, want %d", c.query, got, c.want)
			}
		}
		r = v.get("/topics?tlp=purple&from=yesterday")
		expectStatus(t, "bad filters", r, http.StatusOK)
		if msg, invalid := fieldError(r.body, "f-tlp"); !invalid || !strings.Contains(msg, "purple") {
			t.Errorf("bad TLP filter: %q", msg)
		}
		if msg, _ := fieldError(r.body, "f-from"); !strings.Contains(msg, "yesterday") {
			t.Errorf("bad date filter: %q", msg)
		}

		// Opening a topic clears its unread mark; unread-only leaves it out.
		v.get("/topics/" + idText(red.ID))
		r = v.get("/topics?unread=1")
		if strings.Contains(r.body, "田中さんだけに") || !strings.Contains(r.body, "未読 52 件") {
			t.Error("an opened topic is still unread")
		}
		// The vendor sees the community's topics but not the RED one.
		r = w.visitor(t, w.kimura).get("/topics?tlp=red")
		if strings.Contains(r.body, "田中さんだけに") {
			t.Error("a TLP:RED topic reaches someone not named")
		}
	})
}

// The pages speak the person's language: Japanese labels for a Japanese reader, English
// ones (and no Japanese of the interface) for an English reader.
func TestPageSNSLabelsInJapaneseAndEnglish(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newSNSWorld(t, db)
		topic := w.post(t, w.sato, sns.TopicInput{Title: "Exploited VPN flaw", Body: "Patch now.", Priority: "important",
			TLP: "amber+strict", InfoType: "vulnerability", Tags: []string{"vpn"}})
		w.env.Communities.Update(testapp.Ctx(), auth.System(), w.comm.ID, community.Input{NameJA: w.comm.NameJA, NameEN: "Sharing (pro)"})
		ja := w.visitor(t, w.tanaka)
		en := w.visitor(t, setUserLang(w.env, w.kimura, model.LangEN))
		paths := []string{"/topics", "/topics/" + idText(topic.ID), "/search?q=vpn", w.newTopicPath()}
		jaWant := map[string][]string{
			"/topics":                     {"タイムライン", "【重要】", "脆弱性情報", "絞り込み", "未読", "TLP:AMBER&#43;STRICT"},
			"/topics/" + idText(topic.ID): {"既読にする", "受信組織の中だけに限る", "コメントする", "添付ファイル", "情報種別", "投稿者"},
			"/search?q=vpn":               {"検索", "<mark>VPN</mark>", "検索語"},
			w.newTopicPath():              {"新しいトピック", "</span> 公開可", "コミュニティ全体", "投稿する", "Markdown 記法"},
		}
		enWant := map[string][]string{
			"/topics":                     {"Timeline", "[Important]", "Vulnerability", "Filters", "Unread", "TLP:AMBER&#43;STRICT"},
			"/topics/" + idText(topic.ID): {"I have read this", "recipients&#39; organizations only", "Add a comment", "Files", "Information type", "Author"},
			"/search?q=vpn":               {"Search", "<mark>VPN</mark>", "Search words"},
			w.newTopicPath():              {"New topic", "</span> may be shared publicly", "Whole community", "Post", "Markdown works"},
		}
		for _, path := range paths {
			rj, re := ja.get(path), en.get(path)
			expectStatus(t, "ja "+path, rj, http.StatusOK)
			expectStatus(t, "en "+path, re, http.StatusOK)
			for _, want := range jaWant[path] {
				if !strings.Contains(rj.body, want) {
					t.Errorf("ja %s lacks %q", path, want)
				}
			}
			for _, want := range enWant[path] {
				if !strings.Contains(re.body, want) {
					t.Errorf("en %s lacks %q", path, want)
				}
			}
			// Japanese left in the English page comes from names people gave (organizations,
			// the community), never from the interface.
			rest := re.body
			for _, name := range []string{w.comm.NameJA, w.power.NameJA, w.rail.NameJA, w.cti.NameJA, w.center.NameJA, "日本語"} {
				rest = strings.ReplaceAll(rest, name, "")
			}
			if i := strings.IndexFunc(rest, func(r rune) bool { return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) }); i >= 0 {
				t.Errorf("en %s: Japanese in the English page: %q", path, rest[max(0, i-60):min(len(rest), i+60)])
			}
		}
	})
}

// The form for a community the person does not belong to is refused; one they cannot see
// does not exist.
func TestPageNewTopicNeedsMembership(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newSNSWorld(t, db)
		outsiderOrg := w.env.Org("外部の会社", model.KindOperator)
		outsider := w.env.Person(outsiderOrg, "x@outside.example", model.RoleMember)
		v := w.visitor(t, outsider)
		expectStatus(t, "outsider form", v.get(w.newTopicPath()), http.StatusNotFound)
		expectStatus(t, "outsider post", v.postCSRF(w.newTopicPath(), url.Values{"title": {"x"}}), http.StatusNotFound)
		admin := w.env.Person(w.center, "admin@center.example", model.RoleCenterAdmin)
		if err := w.env.Communities.RemoveOrg(testapp.Ctx(), auth.System(), w.comm.ID, w.center.ID); err != nil {
			t.Fatal(err)
		}
		va := newVisitor(t, w.env, w.base)
		va.signInAs(admin, w.env.EnrolTOTP(admin))
		r := va.get(w.newTopicPath())
		expectStatus(t, "center admin, not a member", r, http.StatusForbidden)
		if alertOf(r.body) != "このコミュニティに投稿する権限がありません。" {
			t.Errorf("refusal %q", alertOf(r.body))
		}
	})
}

// A moderator of the community pins a topic, which the timeline marks, and deletes
// another's comment; a member who is not a moderator is offered neither.
func TestPageModeratorPinsAndDeletes(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newSNSWorld(t, db)
		ctx := testapp.Ctx()
		if err := w.env.Communities.SetModerator(ctx, auth.System(), w.comm.ID, w.analyst.ID, true); err != nil {
			t.Fatal(err)
		}
		topic := w.post(t, w.sato, sns.TopicInput{Title: "大会期間中の連絡体制", InfoType: "schedule", TLP: "green"})
		c, err := w.env.SNS.AddComment(ctx, w.env.Principal(w.tanaka), topic.ID, sns.CommentInput{Body: "宣伝のコメント"})
		if err != nil {
			t.Fatal(err)
		}
		path := "/topics/" + idText(topic.ID)
		member := w.visitor(t, w.kimura)
		page := member.get(path)
		if strings.Contains(page.body, path+"/pin") || strings.Contains(page.body, "/comments/"+idText(c.ID)+"/delete") {
			t.Error("a member who is not a moderator is offered to pin or delete")
		}
		if r := member.postCSRF(path+"/pin", url.Values{"on": {"1"}}); r.status != http.StatusForbidden {
			t.Errorf("a member pins: %d", r.status)
		}
		mod := newVisitor(t, w.env, w.base)
		mod.signInAs(w.analyst, w.env.EnrolTOTP(w.analyst))
		page = mod.get(path)
		if !strings.Contains(page.body, path+"/pin") || !strings.Contains(page.body, "/comments/"+idText(c.ID)+"/delete") ||
			!strings.Contains(page.body, path+"/progress") {
			t.Error("the moderator is not offered to pin, delete the comment and see the progress")
		}
		r := mod.postCSRF(path+"/pin", url.Values{"on": {"1"}})
		expectStatus(t, "pin", r, http.StatusSeeOther)
		if tl := member.get("/topics"); !strings.Contains(tl.body, `<span class="badge pin">ピン留め</span>`) {
			t.Error("the timeline does not mark the pinned topic")
		}
		r = mod.postCSRF("/comments/"+idText(c.ID)+"/delete", url.Values{"topic": {idText(topic.ID)}})
		expectStatus(t, "moderator deletes a comment", r, http.StatusSeeOther)
		if r.location() != path {
			t.Errorf("after deleting a comment: %q", r.location())
		}
		expectStatus(t, "progress", mod.get(path+"/progress"), http.StatusOK)
	})
}
