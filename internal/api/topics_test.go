package api_test

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func topicBody(w *world, title string, extra map[string]any) map[string]any {
	b := map[string]any{"community_id": w.c1.ID, "title": title, "body": "本文です。", "info_type": "alert", "tlp": "green", "scope": "community"}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func TestTopicLifecycleThroughTheAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, a2, b := w.as(t, w.memberA), w.as(t, w.memberA2), w.as(t, w.memberB)

		var created api.Topic
		a.do("POST", "/api/v1/topics", topicBody(w, "【重要】DDoS攻撃の予告", map[string]any{"priority": "important", "tags": []string{"DDoS"}})).ok(t, 201, &created)
		if created.ID == 0 || created.Priority != "important" || created.Version != 1 || !slices.Equal(created.Tags, []string{"DDoS"}) {
			t.Fatalf("created %+v", created)
		}
		path := fmt.Sprintf("/api/v1/topics/%d", created.ID)
		var got api.Topic
		a2.get(path).ok(t, 200, &got)
		if got.Read.ViewCount != 1 || got.Read.FirstViewAt == nil {
			t.Errorf("the view was not recorded: %+v", got.Read)
		}
		b.get(path).problem(t, 404, "not-found")
		b.do("POST", path+"/comments", map[string]any{"body": "x"}).problem(t, 404, "not-found")

		a2.do("POST", path+"/read", nil).ok(t, 204, nil)
		a2.do("PUT", path+"/bookmark", nil).ok(t, 204, nil)
		var list api.List[api.Topic]
		a2.get("/api/v1/topics?bookmarked=true").ok(t, 200, &list)
		if len(list.Items) != 1 || !list.Items[0].Read.Bookmarked || list.Items[0].Read.AckedAt == nil {
			t.Errorf("bookmarked timeline %+v", list.Items)
		}

		var comment api.Comment
		a2.do("POST", path+"/comments", map[string]any{"body": "遮断しました"}).ok(t, 201, &comment)
		var comments api.List[api.Comment]
		a.get(path+"/comments").ok(t, 200, &comments)
		if len(comments.Items) != 1 || comments.Items[0].Body != "遮断しました" {
			t.Errorf("comments %+v", comments.Items)
		}

		a2.do("PATCH", path, map[string]any{"title": "乗っ取り", "body": "x", "info_type": "alert", "tlp": "green"}).problem(t, 403, "forbidden")
		var edited api.Topic
		a.do("PATCH", path, map[string]any{"title": "DDoS攻撃の予告（更新）", "body": "更新", "info_type": "alert", "tlp": "amber"}).ok(t, 200, &edited)
		if edited.Version != 2 || edited.TLP != "amber" {
			t.Errorf("edited %+v", edited)
		}
		var versions api.List[api.TopicVersion]
		a2.get(path+"/versions").ok(t, 200, &versions)
		if len(versions.Items) != 1 || versions.Items[0].Title != "【重要】DDoS攻撃の予告" {
			t.Errorf("versions %+v", versions.Items)
		}

		var pr api.Progress
		a.get(path+"/progress").ok(t, 200, &pr)
		if pr.ReadOrgs != 1 || len(pr.Orgs) != 1 || pr.Orgs[0].Readers != 1 || pr.Orgs[0].SecondsToFirstRead == nil {
			t.Errorf("progress %+v", pr)
		}
		a2.get(path+"/progress").problem(t, 403, "forbidden")

		var unread api.Unread
		a2.get("/api/v1/topics/unread").ok(t, 200, &unread)
		if len(unread.Communities) != 1 || unread.Communities[0].Unread != 0 {
			t.Errorf("unread %+v", unread)
		}

		a2.do("DELETE", path, nil).problem(t, 403, "forbidden")
		a.do("DELETE", path, nil).ok(t, 204, nil)
		a2.get(path).problem(t, 404, "not-found")
	})
}

func TestTopicValidationProblems(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a := w.as(t, w.memberA)
		a.do("POST", "/api/v1/topics", topicBody(w, "赤", map[string]any{"tlp": "red"})).fieldProblem(t, "tlp")
		a.do("POST", "/api/v1/topics", topicBody(w, "赤", map[string]any{"tlp": "red", "scope": "selected",
			"audience": map[string]any{"orgs": []int64{w.orgA.ID}}})).fieldProblem(t, "audience")
		a.do("POST", "/api/v1/topics", topicBody(w, "", map[string]any{"info_type": "gossip"})).fieldProblem(t, "info_type")
		a.do("POST", "/api/v1/topics", topicBody(w, "x", map[string]any{"colour": "red"})).problem(t, 400, "bad-request")
		a.do("POST", "/api/v1/topics", topicBody(w, "x", map[string]any{"community_id": w.c2.ID})).fieldProblem(t, "community_id")
		a.get("/api/v1/topics?tlp=purple").fieldProblem(t, "tlp")
		a.get("/api/v1/topics?cursor=bogus").fieldProblem(t, "cursor")
		var list api.List[api.Topic]
		a.get("/api/v1/topics").ok(t, 200, &list)
		if len(list.Items) != 0 {
			t.Errorf("refused topics were stored: %+v", list.Items)
		}
	})
}

func TestSelectedScopeAndRedThroughTheAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, a2 := w.as(t, w.memberA), w.as(t, w.memberA2)
		var red api.Topic
		a.do("POST", "/api/v1/topics", topicBody(w, "個人宛て", map[string]any{"tlp": "RED", "scope": "selected",
			"audience": map[string]any{"users": []int64{w.adminA.ID}}})).ok(t, 201, &red)
		if red.Audience == nil || !slices.Equal(red.Audience.Users, []int64{w.adminA.ID}) {
			t.Errorf("the author does not see the audience: %+v", red.Audience)
		}
		path := fmt.Sprintf("/api/v1/topics/%d", red.ID)
		a2.get(path).problem(t, 404, "not-found")
		var seen api.Topic
		w.as(t, w.adminA).get(path).ok(t, 200, &seen)
		if seen.Audience != nil {
			t.Errorf("a recipient sees the audience list: %+v", seen.Audience)
		}
		a.do("POST", path+"/widen", map[string]any{"to_community": true}).fieldProblem(t, "scope")
		a.do("POST", path+"/widen", map[string]any{"add": map[string]any{"users": []int64{w.memberA2.ID}}}).ok(t, 204, nil)
		a2.get(path).ok(t, 200, nil)
	})
}

func TestTimelinePagesAndSearch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a := w.as(t, w.memberA)
		var ids []int64
		for i := range 5 {
			var tp api.Topic
			a.do("POST", "/api/v1/topics", topicBody(w, fmt.Sprintf("脆弱性情報 %d", i), nil)).ok(t, 201, &tp)
			ids = append(ids, tp.ID)
		}
		var seen []int64
		next := ""
		for page := 0; page < 10; page++ {
			var list api.List[api.Topic]
			a.get("/api/v1/topics?limit=2&cursor="+url.QueryEscape(next)).ok(t, 200, &list)
			for _, it := range list.Items {
				seen = append(seen, it.ID)
			}
			if page == 0 {
				// A topic arriving while paging is not skipped on later pages or doubled.
				a.do("POST", "/api/v1/topics", topicBody(w, "新着", nil)).ok(t, 201, nil)
			}
			if next = list.NextCursor; next == "" {
				break
			}
		}
		slices.Reverse(ids)
		if !slices.Equal(seen, ids) {
			t.Errorf("paged %v, want %v", seen, ids)
		}
		var hits api.List[api.Topic]
		a.get("/api/v1/topics?q="+url.QueryEscape("脆弱")+"&limit=3").ok(t, 200, &hits)
		if len(hits.Items) != 3 || hits.NextCursor == "" {
			t.Fatalf("search page 1: %d items, cursor %q", len(hits.Items), hits.NextCursor)
		}
		var rest api.List[api.Topic]
		a.get("/api/v1/topics?q="+url.QueryEscape("脆弱")+"&limit=3&cursor="+url.QueryEscape(hits.NextCursor)).ok(t, 200, &rest)
		if len(rest.Items) != 2 || rest.NextCursor != "" {
			t.Errorf("search page 2: %d items, cursor %q", len(rest.Items), rest.NextCursor)
		}
		var none api.List[api.Topic]
		w.as(t, w.memberB).get("/api/v1/topics?q="+url.QueryEscape("脆弱")).ok(t, 200, &none)
		if len(none.Items) != 0 {
			t.Errorf("a non-member found %d topics", len(none.Items))
		}
	})
}

func TestAttachmentsThroughTheAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cfg := testapp.Config(t)
		cfg.AttachmentMaxMiB = 1
		w := newWorldWith(t, testapp.NewWith(t, db, cfg))
		a := w.as(t, w.memberA)
		var tp api.Topic
		a.do("POST", "/api/v1/topics", topicBody(w, "IoC", map[string]any{"tlp": "amber+strict"})).ok(t, 201, &tp)
		path := fmt.Sprintf("/api/v1/topics/%d/attachments", tp.ID)
		data := []byte("198.51.100.7\n")
		var att api.Attachment
		a.with("Content-Type", "text/plain").do("POST", path+"?name="+url.QueryEscape("ioc一覧.txt"), data).ok(t, 201, &att)
		if att.Size != int64(len(data)) || len(att.SHA256) != 64 || att.Name != "ioc一覧.txt" {
			t.Errorf("attachment %+v", att)
		}
		big := bytes.Repeat([]byte("x"), 1<<20+10)
		a.with("Content-Type", "application/octet-stream").do("POST", path+"?name=big.bin", big).problem(t, 413, "payload-too-large")

		res := w.as(t, w.memberA2).get(att.URL)
		if res.status != 200 || !bytes.Equal(res.body, data) {
			t.Fatalf("download: %d %q", res.status, res.body)
		}
		if cd := res.header.Get("Content-Disposition"); cd == "" || res.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("download headers: %v", res.header)
		}
		w.as(t, w.memberB).get(att.URL).problem(t, 404, "not-found")
		recs, _ := store.ListAudit(ctx, db.Read(), store.AuditQuery{Action: "attachment.downloaded"})
		if len(recs) != 1 {
			t.Errorf("%d audited downloads of an AMBER+STRICT file, want 1", len(recs))
		}
		var list api.List[api.Attachment]
		a.get(path).ok(t, 200, &list)
		if len(list.Items) != 1 {
			t.Errorf("attachments %+v", list.Items)
		}
	})
}
