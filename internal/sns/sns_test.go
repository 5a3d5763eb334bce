package sns_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// world is a small community: the center, a power company with two people, a railway with
// one, and an outsider organization that is not a member.
type world struct {
	env                      *testapp.Env
	comm                     model.Community
	center, power, rail, out model.Org
	analyst, sato, suzuki    model.User
	tanaka, stranger         model.User
	pAnalyst, pSato, pSuzuki auth.Principal
	pTanaka, pStranger       auth.Principal
}

func newWorld(t *testing.T, db *store.DB) *world {
	env := testapp.New(t, db)
	w := &world{env: env}
	w.center = env.Org("対処調整センター", model.KindCenter)
	w.power = env.Org("東都電力株式会社", model.KindOperator)
	w.rail = env.Org("首都圏鉄道株式会社", model.KindOperator)
	w.out = env.Org("外部ベンダー株式会社", model.KindCTIVendor)
	w.analyst = env.Person(w.center, "analyst@ccc.example", model.RoleAnalyst)
	w.sato = env.Person(w.power, "sato@power.example", model.RoleMember)
	w.suzuki = env.Person(w.power, "suzuki@power.example", model.RoleMember)
	w.tanaka = env.Person(w.rail, "tanaka@rail.example", model.RoleMember)
	w.stranger = env.Person(w.out, "x@vendor.example", model.RoleMember)
	ctx, sys := testapp.Ctx(), auth.System()
	var err error
	w.comm, err = env.Communities.Create(ctx, sys, community.Input{NameJA: "情報提供（プロ）", NameEN: "Sharing (pro)"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []model.Org{w.center, w.power, w.rail} {
		if err := env.Communities.AddOrg(ctx, sys, w.comm.ID, o.ID); err != nil {
			t.Fatal(err)
		}
	}
	w.pAnalyst, w.pSato, w.pSuzuki = env.Principal(w.analyst), env.Principal(w.sato), env.Principal(w.suzuki)
	w.pTanaka, w.pStranger = env.Principal(w.tanaka), env.Principal(w.stranger)
	return w
}

func (w *world) post(t *testing.T, p auth.Principal, in sns.TopicInput) model.Topic {
	t.Helper()
	if in.CommunityID == 0 {
		in.CommunityID = w.comm.ID
	}
	if in.InfoType == "" {
		in.InfoType = "alert"
	}
	if in.TLP == "" {
		in.TLP = "green"
	}
	if in.Scope == "" {
		in.Scope = "community"
	}
	if in.Body == "" {
		in.Body = "本文"
	}
	topic, err := w.env.SNS.CreateTopic(testapp.Ctx(), p, in)
	if err != nil {
		t.Fatalf("CreateTopic(%q): %v", in.Title, err)
	}
	return topic
}

func timelineIDs(t *testing.T, w *world, p auth.Principal, q sns.TimelineQuery) []int64 {
	t.Helper()
	items, _, err := w.env.SNS.Timeline(testapp.Ctx(), p, q)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, it := range items {
		ids = append(ids, it.Topic.ID)
	}
	return ids
}

func wantKind(t *testing.T, err error, kind fault.Kind, key string) {
	t.Helper()
	if !fault.Is(err, kind) {
		t.Fatalf("got %v, want %s", err, kind)
	}
	if key != "" {
		found := false
		for _, e := range fault.Fields(err) {
			found = found || e.Key == key
		}
		if !found {
			t.Fatalf("got %v, want the message %s", err, key)
		}
	}
}

func TestCommunityTopicIsSeenByMembersOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		topic := w.post(t, w.pSato, sns.TopicInput{Title: "【重要】DDoS攻撃の予告について", Priority: "important", Tags: []string{"DDoS", "#予告"}})
		for _, p := range []auth.Principal{w.pSato, w.pSuzuki, w.pTanaka, w.pAnalyst} {
			if _, err := w.env.SNS.GetTopic(testapp.Ctx(), p, topic.ID); err != nil {
				t.Errorf("%s cannot open a community topic: %v", p.User.Email, err)
			}
		}
		_, err := w.env.SNS.GetTopic(testapp.Ctx(), w.pStranger, topic.ID)
		wantKind(t, err, fault.NotFound, "")
		if ids := timelineIDs(t, w, w.pStranger, sns.TimelineQuery{}); len(ids) != 0 {
			t.Errorf("outsider's timeline holds %v", ids)
		}
		got, _ := w.env.SNS.PeekTopic(testapp.Ctx(), w.pTanaka, topic.ID)
		if !slices.Equal(got.Topic.Tags, []string{"DDoS", "予告"}) {
			t.Errorf("tags %v", got.Topic.Tags)
		}
	})
}

func TestSelectedScopeHidesTopicAndAudience(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		topic := w.post(t, w.pAnalyst, sns.TopicInput{Title: "個別連絡", TLP: "amber", Scope: "selected",
			Audience: model.Audience{Orgs: []int64{w.power.ID}}})
		if _, err := w.env.SNS.GetTopic(testapp.Ctx(), w.pTanaka, topic.ID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("a member outside the audience opened the topic: %v", err)
		}
		v, err := w.env.SNS.GetTopic(testapp.Ctx(), w.pSuzuki, topic.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Audience != nil || v.AudienceRefs != nil {
			t.Errorf("a recipient sees the audience list although the author did not show it: %+v", v.Audience)
		}
		if av, _ := w.env.SNS.GetTopic(testapp.Ctx(), w.pAnalyst, topic.ID); av.Audience == nil {
			t.Error("the author does not see the audience")
		}
		if ids := timelineIDs(t, w, w.pTanaka, sns.TimelineQuery{}); slices.Contains(ids, topic.ID) {
			t.Error("the selected topic is in a non-recipient's timeline")
		}
		if ids := timelineIDs(t, w, w.pSato, sns.TimelineQuery{}); !slices.Contains(ids, topic.ID) {
			t.Error("the selected topic is missing from a recipient's timeline")
		}
		// Widening is explicit and audited.
		if err := w.env.SNS.WidenScope(testapp.Ctx(), w.pSato, topic.ID, sns.Widening{ToCommunity: true}); !fault.Is(err, fault.Forbidden) {
			t.Errorf("a recipient widened the scope: %v", err)
		}
		if err := w.env.SNS.WidenScope(testapp.Ctx(), w.pAnalyst, topic.ID, sns.Widening{Add: model.Audience{Users: []int64{w.tanaka.ID}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.env.SNS.GetTopic(testapp.Ctx(), w.pTanaka, topic.ID); err != nil {
			t.Errorf("after widening to Tanaka: %v", err)
		}
		recs, err := store.ListAudit(testapp.Ctx(), db.Read(), store.AuditQuery{Action: "topic.scope_widened"})
		if err != nil || len(recs) != 1 || recs[0].TargetID != topic.ID {
			t.Errorf("widening audit records: %v %v", recs, err)
		}
	})
}

func TestRedIsForNamedPeopleOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		base := sns.TopicInput{CommunityID: w.comm.ID, Title: "限定", Body: "本文", InfoType: "incident", TLP: "RED"}
		in := base
		in.Scope = "community"
		_, err := w.env.SNS.CreateTopic(ctx, w.pAnalyst, in)
		wantKind(t, err, fault.Invalid, "topic.red_needs_people")
		in = base
		in.Scope, in.Audience = "selected", model.Audience{Orgs: []int64{w.power.ID}}
		_, err = w.env.SNS.CreateTopic(ctx, w.pAnalyst, in)
		wantKind(t, err, fault.Invalid, "topic.red_no_orgs")
		in.Audience = model.Audience{Users: []int64{w.sato.ID}}
		topic, err := w.env.SNS.CreateTopic(ctx, w.pAnalyst, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.env.SNS.GetTopic(ctx, w.pSuzuki, topic.ID); !fault.Is(err, fault.NotFound) {
			t.Errorf("Sato's colleague opened a RED topic named to Sato: %v", err)
		}
		if _, err := w.env.SNS.GetTopic(ctx, w.pSato, topic.ID); err != nil {
			t.Fatal(err)
		}
		recs, _ := store.ListAudit(ctx, db.Read(), store.AuditQuery{Action: "topic.viewed_red"})
		if len(recs) != 1 {
			t.Errorf("%d topic.viewed_red records, want 1", len(recs))
		}
		// The database refuses a RED topic with a community scope even if code tried.
		err = db.Write(ctx, func(c store.Conn) error {
			_, err := c.Exec(ctx, "UPDATE topics SET scope = 'community' WHERE id = ?", topic.ID)
			return err
		})
		if err == nil {
			t.Error("the schema let a RED topic become community-wide")
		}
	})
}

func TestValidationNamesFieldsAndKeepsNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		_, err := w.env.SNS.CreateTopic(testapp.Ctx(), w.pSato, sns.TopicInput{CommunityID: w.comm.ID, Title: "", Body: "", InfoType: "rumour",
			TLP: "purple", Scope: "everyone", Tags: strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")})
		fields := map[string]bool{}
		for _, e := range fault.Fields(err) {
			fields[e.Field] = true
		}
		for _, f := range []string{"title", "body", "info_type", "tlp", "scope", "tags"} {
			if !fields[f] {
				t.Errorf("no error for %s in %v", f, err)
			}
		}
		_, err = w.env.SNS.CreateTopic(testapp.Ctx(), w.pStranger, sns.TopicInput{CommunityID: w.comm.ID, Title: "x", Body: "y",
			InfoType: "alert", TLP: "white", Scope: "community"})
		wantKind(t, err, fault.Invalid, "topic.not_member")
		_, err = w.env.SNS.CreateTopic(testapp.Ctx(), w.pSato, sns.TopicInput{CommunityID: w.comm.ID, Title: "x", Body: "y",
			InfoType: "alert", TLP: "green", Scope: "selected", Audience: model.Audience{Orgs: []int64{w.out.ID}}})
		wantKind(t, err, fault.Invalid, "topic.audience_not_member")
		if ids := timelineIDs(t, w, w.pSato, sns.TimelineQuery{}); len(ids) != 0 {
			t.Errorf("refused topics were stored: %v", ids)
		}
	})
}

func TestEditKeepsVersionsAndOnlyTheAuthorEdits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		topic := w.post(t, w.pSato, sns.TopicInput{Title: "初版", Body: "最初の本文"})
		in := sns.TopicInput{Title: "第2版", Body: "直した本文", InfoType: "alert", TLP: "amber"}
		if _, err := w.env.SNS.EditTopic(ctx, w.pSuzuki, topic.ID, in); !fault.Is(err, fault.Forbidden) {
			t.Fatalf("a colleague edited: %v", err)
		}
		got, err := w.env.SNS.EditTopic(ctx, w.pSato, topic.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 2 || got.Title != "第2版" || got.TLP != model.TLPAmber {
			t.Errorf("after the edit: %+v", got)
		}
		vs, err := w.env.SNS.Versions(ctx, w.pTanaka, topic.ID)
		if err != nil || len(vs) != 1 || vs[0].Title != "初版" || vs[0].Body != "最初の本文" {
			t.Errorf("versions %+v, %v", vs, err)
		}
	})
}

func TestCommentsRepliesMentionsAndDeletion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		topic := w.post(t, w.pSato, sns.TopicInput{Title: "フィッシングサイト", Scope: "selected", Audience: model.Audience{Orgs: []int64{w.power.ID, w.center.ID}}})
		c1, err := w.env.SNS.AddComment(ctx, w.pAnalyst, topic.ID, sns.CommentInput{Body: "確認しました @suzuki@power.example @tanaka@rail.example"})
		if err != nil {
			t.Fatal(err)
		}
		var mentioned []int64
		events, _ := store.ListEvents(ctx, db.Read(), 0, 100)
		for _, e := range events {
			if e.CommentID == c1.ID {
				_, mentioned, _ = store.ListMentions(ctx, db.Read(), e.ID)
			}
		}
		if !slices.Equal(mentioned, []int64{w.suzuki.ID}) {
			t.Errorf("mentions recorded %v, want only Suzuki (Tanaka cannot see the topic)", mentioned)
		}
		reply, err := w.env.SNS.AddComment(ctx, w.pSuzuki, topic.ID, sns.CommentInput{ParentID: c1.ID, Body: "了解"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.env.SNS.AddComment(ctx, w.pSato, topic.ID, sns.CommentInput{ParentID: reply.ID, Body: "返信の返信"})
		wantKind(t, err, fault.Invalid, "comment.one_level")
		_, err = w.env.SNS.AddComment(ctx, w.pTanaka, topic.ID, sns.CommentInput{Body: "見えないはず"})
		wantKind(t, err, fault.NotFound, "")
		if err := w.env.SNS.DeleteComment(ctx, w.pSato, c1.ID); !fault.Is(err, fault.Forbidden) {
			t.Errorf("the topic's author deleted someone else's comment: %v", err)
		}
		if err := w.env.SNS.DeleteComment(ctx, w.pAnalyst, c1.ID); err != nil {
			t.Fatal(err)
		}
		list, err := w.env.SNS.Comments(ctx, w.pSuzuki, topic.ID, store.Page{})
		if err != nil || len(list) != 2 || list[0].Body != "" || !list[0].Deleted() || list[1].Body != "了解" {
			t.Errorf("comments after deletion: %+v %v", list, err)
		}
	})
}

func TestAcknowledgeProgressAndUnread(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		topic := w.post(t, w.pAnalyst, sns.TopicInput{Title: "注意喚起"})
		unread, _ := w.env.SNS.UnreadCounts(ctx, w.pSato)
		if unread[w.comm.ID] != 1 {
			t.Errorf("unread %v, want 1 in the community", unread)
		}
		w.env.Clock.Advance(90 * time.Minute)
		for range 2 {
			if err := w.env.SNS.Acknowledge(ctx, w.pSato, topic.ID); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := w.env.SNS.PeekTopic(ctx, w.pSato, topic.ID)
		if got.Topic.AckCount != 1 || got.Read.AckedAt.IsZero() {
			t.Errorf("ack count %d, acked at %v", got.Topic.AckCount, got.Read.AckedAt)
		}
		if unread, _ := w.env.SNS.UnreadCounts(ctx, w.pSato); unread[w.comm.ID] != 0 {
			t.Errorf("acknowledged but still unread: %v", unread)
		}
		if _, err := w.env.SNS.Progress(ctx, w.pSato, topic.ID); !fault.Is(err, fault.Forbidden) {
			t.Errorf("a member read the progress: %v", err)
		}
		pr, err := w.env.SNS.Progress(ctx, w.pAnalyst, topic.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(pr.Orgs) != 3 || pr.ReadOrgs != 1 {
			t.Fatalf("progress %+v", pr)
		}
		for _, o := range pr.Orgs {
			if o.OrgID == w.power.ID && (o.Readers != 1 || o.TimeToRead != 90*time.Minute) {
				t.Errorf("power company progress %+v", o)
			}
		}
	})
}

func TestBookmarksAndTimelineFilters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		a := w.post(t, w.pAnalyst, sns.TopicInput{Title: "脆弱性", InfoType: "vulnerability", Priority: "important", Tags: []string{"CVE"}})
		b := w.post(t, w.pAnalyst, sns.TopicInput{Title: "予定", InfoType: "schedule", TLP: "clear"})
		if err := w.env.SNS.SetBookmark(ctx, w.pTanaka, b.ID, true); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			q    sns.TimelineQuery
			want []int64
		}{
			{sns.TimelineQuery{}, []int64{b.ID, a.ID}},
			{sns.TimelineQuery{InfoType: "vulnerability"}, []int64{a.ID}},
			{sns.TimelineQuery{Priority: "important"}, []int64{a.ID}},
			{sns.TimelineQuery{TLP: "clear"}, []int64{b.ID}},
			{sns.TimelineQuery{Tag: "CVE"}, []int64{a.ID}},
			{sns.TimelineQuery{Bookmarked: true}, []int64{b.ID}},
			{sns.TimelineQuery{Limit: 1}, []int64{b.ID}},
			{sns.TimelineQuery{Before: b.ID}, []int64{a.ID}},
		} {
			if got := timelineIDs(t, w, w.pTanaka, c.q); !slices.Equal(got, c.want) {
				t.Errorf("%+v: got %v, want %v", c.q, got, c.want)
			}
		}
	})
}

func TestSearchFindsTwoCharacterJapaneseWordsTheViewerMaySee(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		open := w.post(t, w.pAnalyst, sns.TopicInput{Title: "DDoS攻撃の予告", Body: "大会サイトへの攻撃が予告されています。"})
		hidden := w.post(t, w.pAnalyst, sns.TopicInput{Title: "攻撃の観測（電力向け）", Scope: "selected", Audience: model.Audience{Orgs: []int64{w.power.ID}}})
		w.post(t, w.pAnalyst, sns.TopicInput{Title: "脆弱性情報", Body: "Exchange の更新"})
		ids := func(p auth.Principal, q string) []int64 {
			hits, _, err := w.env.SNS.Search(ctx, p, sns.SearchQuery{Text: q})
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, h := range hits {
				out = append(out, h.Topic.ID)
			}
			slices.Sort(out)
			return out
		}
		if got := ids(w.pSato, "攻撃"); !slices.Equal(got, []int64{open.ID, hidden.ID}) {
			t.Errorf("攻撃 for a recipient: %v", got)
		}
		if got := ids(w.pTanaka, "攻撃"); !slices.Equal(got, []int64{open.ID}) {
			t.Errorf("攻撃 for a non-recipient: %v (the selected topic must not appear)", got)
		}
		if got := ids(w.pTanaka, "ddos 予告"); !slices.Equal(got, []int64{open.ID}) {
			t.Errorf("mixed query: %v", got)
		}
		if got := ids(w.pStranger, "攻撃"); len(got) != 0 {
			t.Errorf("outsider found %v", got)
		}
		if _, err := w.env.SNS.AddComment(ctx, w.pSato, open.ID, sns.CommentInput{Body: "ファイアウォールで遮断しました"}); err != nil {
			t.Fatal(err)
		}
		if got := ids(w.pTanaka, "遮断"); !slices.Equal(got, []int64{open.ID}) {
			t.Errorf("a comment's words: %v", got)
		}
		hits, _, _ := w.env.SNS.Search(ctx, w.pTanaka, sns.SearchQuery{Text: "予告"})
		marked := false
		for _, s := range hits[0].Title {
			marked = marked || (s.Mark && s.Text == "予告")
		}
		if !marked {
			t.Errorf("title not highlighted: %+v", hits[0].Title)
		}
	})
}

func TestAttachmentsAreLimitedHashedAndAudited(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		topic := w.post(t, w.pAnalyst, sns.TopicInput{Title: "IoC一覧", TLP: "amber+strict"})
		data := []byte("198.51.100.7\nevil.example\n")
		a, err := w.env.SNS.AddAttachment(ctx, w.pAnalyst, topic.ID, 0, sns.Upload{Name: `C:\tmp\ioc 一覧.txt`, Body: bytes.NewReader(data)})
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != "ioc 一覧.txt" || len(a.SHA256) != 64 || a.Size != int64(len(data)) {
			t.Errorf("attachment %+v", a)
		}
		big := bytes.Repeat([]byte("x"), int(w.env.SNS.MaxAttachment())+1)
		_, err = w.env.SNS.AddAttachment(ctx, w.pAnalyst, topic.ID, 0, sns.Upload{Name: "big.bin", Body: bytes.NewReader(big)})
		wantKind(t, err, fault.Invalid, "attachment.too_large")
		if _, _, err := w.env.SNS.OpenAttachment(ctx, w.pStranger, a.ID); !fault.Is(err, fault.NotFound) {
			t.Errorf("outsider download: %v", err)
		}
		_, got, err := w.env.SNS.OpenAttachment(ctx, w.pTanaka, a.ID)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("download: %q %v", got, err)
		}
		recs, _ := store.ListAudit(ctx, db.Read(), store.AuditQuery{Action: "attachment.downloaded"})
		if len(recs) != 1 {
			t.Errorf("%d download records for an AMBER+STRICT file, want 1", len(recs))
		}
	})
}

func TestReindexRewritesRowsOfAnotherTokenizerVersion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		topic := w.post(t, w.pAnalyst, sns.TopicInput{Title: "標的型メール"})
		if n, err := w.env.SNS.ReindexStale(ctx); err != nil || n != 0 {
			t.Fatalf("fresh index: %d rebuilt, %v", n, err)
		}
		must(t, db.Write(ctx, func(c store.Conn) error {
			return store.IndexTopic(ctx, c, topic.ID, 0, "", "", nil)
		}))
		if hits, _, _ := w.env.SNS.Search(ctx, w.pSato, sns.SearchQuery{Text: "標的"}); len(hits) != 0 {
			t.Fatalf("emptied row still found")
		}
		if n, err := w.env.SNS.ReindexStale(ctx); err != nil || n != 1 {
			t.Fatalf("rebuilt %d, %v; want 1", n, err)
		}
		if hits, _, _ := w.env.SNS.Search(ctx, w.pSato, sns.SearchQuery{Text: "標的"}); len(hits) != 1 {
			t.Errorf("after the rebuild: %d hits", len(hits))
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Search ranks topics with more of the words in their title first, then the newest; pages
// follow that order without repeating or skipping; a widened topic is found by its new
// recipients and a deleted one by nobody.
func TestSearchRanksPagesAndFollowsTheAudience(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		titled := w.post(t, w.pAnalyst, sns.TopicInput{Title: "ランサムウェア被害の報告", Body: "詳細は別途。"})
		var bodies []int64
		for i := range 4 {
			bodies = append(bodies, w.post(t, w.pAnalyst, sns.TopicInput{Title: fmt.Sprintf("週次まとめ %d", i), Body: "ランサムウェアの相談がありました。"}).ID)
		}
		want := []int64{titled.ID, bodies[3], bodies[2], bodies[1], bodies[0]}
		var got []int64
		offset := 0
		for range 10 {
			hits, next, err := w.env.SNS.Search(ctx, w.pTanaka, sns.SearchQuery{Text: "ランサム", TimelineQuery: sns.TimelineQuery{Limit: 2}, Offset: offset})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hits {
				got = append(got, h.Topic.ID)
			}
			if next == 0 {
				break
			}
			offset = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages gave %v, want %v", got, want)
		}

		sel := w.post(t, w.pAnalyst, sns.TopicInput{Title: "標的型メールの観測", Scope: "selected", Audience: model.Audience{Orgs: []int64{w.power.ID}}})
		found := func(p auth.Principal) bool {
			hits, _, err := w.env.SNS.Search(ctx, p, sns.SearchQuery{Text: "標的型"})
			must(t, err)
			return len(hits) == 1 && hits[0].Topic.ID == sel.ID
		}
		if !found(w.pSato) || found(w.pTanaka) {
			t.Fatalf("before widening: recipient %v, other %v", found(w.pSato), found(w.pTanaka))
		}
		must(t, w.env.SNS.WidenScope(ctx, w.pAnalyst, sel.ID, sns.Widening{ToCommunity: true}))
		if !found(w.pTanaka) {
			t.Error("the community does not find a topic widened to it")
		}
		must(t, w.env.SNS.DeleteTopic(ctx, w.pAnalyst, sel.ID))
		if found(w.pSato) || found(w.pAnalyst) {
			t.Error("a deleted topic is still found")
		}
	})
}
