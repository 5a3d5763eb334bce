package web_test

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// A signed-in member's /events stream carries a new topic of their community; without a
// session there is no stream.
func TestLiveEventsStreamForTheSignedInPerson(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("東都電力株式会社", model.KindOperator)
		u := env.Person(org, "sato@power.example", model.RoleMember)
		c, err := env.Communities.Create(testapp.Ctx(), auth.System(), community.Input{NameJA: "情報提供", NameEN: "Sharing"})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Communities.AddOrg(testapp.Ctx(), auth.System(), c.ID, org.ID); err != nil {
			t.Fatal(err)
		}
		base := env.Server()
		anon := newVisitor(t, env, base)
		if res, err := anon.hc.Get(base + "/events"); err != nil || strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("an anonymous request got the stream: %v", err)
		}
		v := newVisitor(t, env, base)
		v.signIn(u.Email, testapp.Password)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/events", nil)
		res, err := v.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
			t.Fatalf("Content-Type %q", ct)
		}
		topic, err := env.SNS.CreateTopic(testapp.Ctx(), env.Principal(u), sns.TopicInput{CommunityID: c.ID, Title: "新着", Body: "本文",
			InfoType: "alert", TLP: "green", Scope: "community"})
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "data:") && strings.Contains(line, `"topic_id":`) {
				if !strings.Contains(line, `"topic_id":`+strconv.FormatInt(topic.ID, 10)) {
					t.Fatalf("event for another topic: %s", line)
				}
				return
			}
		}
		t.Fatalf("no event before the stream ended: %v", sc.Err())
	})
}
