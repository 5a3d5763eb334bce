package web_test

import (
	"bufio"
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

var reLiveFrom = regexp.MustCompile(`id="desk-live"[^>]*data-from="(\d+)"`)

// caseEvents follows /events as a visitor from an event id, and returns the data lines of
// the desk events up to the first about the case until (or fails after a while).
func caseEvents(t *testing.T, v *visitor, from string, until int64) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, v.base+"/events?last_event_id="+from, nil)
	res, err := v.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	var out []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "data:") && strings.Contains(line, `"case_id":`) {
			out = append(out, line)
			if strings.Contains(line, `"case_id":`+strconv.FormatInt(until, 10)+",") {
				return out
			}
		}
	}
	t.Fatalf("the stream ended before case %d: %v (got %v)", until, sc.Err(), out)
	return nil
}

// The queue page says where its live stream starts; from there the analyst's /events
// stream carries the newly filed case (category and urgency, no title) as an on-call
// alert, and a person of another organization's stream does not: it carries only their
// own organization's case, filed after.
func TestDeskLiveEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		center := env.Org("対処調整センター", model.KindCenter)
		power := env.Org("東都電力", model.KindOperator)
		rail := env.Org("首都圏鉄道", model.KindOperator)
		analyst := env.Person(center, "analyst@center.example", model.RoleAnalyst)
		sato := env.Person(power, "sato@power.example", model.RoleMember)
		tanaka := env.Person(rail, "tanaka@rail.example", model.RoleMember)
		ctx := testapp.Ctx()
		now := env.Clock.Now()
		if _, err := env.Desk.AddShift(ctx, env.Principal(analyst), analyst.ID, now.Add(-time.Hour), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		base := env.Server()
		an := newVisitor(t, env, base)
		an.signInAs(analyst, env.EnrolTOTP(analyst))
		tn := newVisitor(t, env, base)
		tn.signInAs(tanaka, nil)
		// Something in the log, so that the hub's position is not 0.
		if _, err := env.Desk.File(ctx, env.Principal(tanaka), desk.CaseInput{Kind: "consultation", Category: "other", Title: "相談", Description: "相談です", Urgency: "low"}); err != nil {
			t.Fatal(err)
		}
		var from string
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			r := an.get("/desk")
			expectStatus(t, "queue", r, 200)
			if !strings.Contains(r.body, `<script src="/static/desk_live.js" defer></script>`) {
				t.Fatal("the queue does not load its live script")
			}
			if m := reLiveFrom.FindStringSubmatch(r.body); m != nil {
				from = m[1]
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the queue never names where its live stream starts")
			}
		}
		k, err := env.Desk.File(ctx, env.Principal(sato), desk.CaseInput{Kind: "incident", Category: "malware", Title: "ランサムウェア感染",
			Description: "暗号化された", Urgency: "critical", EventImpact: "yes"})
		if err != nil {
			t.Fatal(err)
		}
		own, err := env.Desk.File(ctx, env.Principal(tanaka), desk.CaseInput{Kind: "incident", Category: "dos", Title: "DoS",
			Description: "サイトが重い", Urgency: "high"})
		if err != nil {
			t.Fatal(err)
		}
		got := caseEvents(t, an, from, k.ID)
		last := got[len(got)-1]
		for _, want := range []string{`"kind":"case.filed"`, `"category":"malware"`, `"urgency":"critical"`, `"alert":true`} {
			if !strings.Contains(last, want) {
				t.Errorf("the analyst's event lacks %s: %s", want, last)
			}
		}
		if strings.Contains(last, "ランサムウェア") || strings.Contains(last, "暗号化") {
			t.Errorf("the event carries text: %s", last)
		}
		for _, line := range caseEvents(t, tn, from, own.ID) {
			if !strings.Contains(line, `"case_id":`+strconv.FormatInt(own.ID, 10)+",") || strings.Contains(line, `"alert"`) {
				t.Errorf("another organization's stream carried %s", line)
			}
		}
	})
}
