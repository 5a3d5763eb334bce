package intel_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// linkWorld is the intel world with an indicator for 203.0.113.7 in the shared collection,
// a community topic and a topic for power's people only that both name it (defanged), and
// a case filed by rail that reports it.
type linkWorld struct {
	*world
	seq             int64
	open, powerOnly model.Topic
	railCase        model.Case
}

func newLinkWorld(t *testing.T, db *store.DB) *linkWorld {
	w := &linkWorld{world: newWorld(t, db)}
	ctx := testapp.Ctx()
	if _, err := w.env.Intel.AddObjects(ctx, w.pSato, w.shared.UUID, envelope(
		indicator(ind1, "2026-07-01T00:00:00.000Z", "[ipv4-addr:value = '203.0.113.7']", ""))); err != nil {
		t.Fatal(err)
	}
	list, err := w.env.Intel.Indicators(ctx, w.pSato, intel.IndicatorQuery{})
	if err != nil || len(list) != 1 {
		t.Fatalf("indicators %v, %v", list, err)
	}
	w.seq = list[0].Seq
	post := func(p auth.Principal, in sns.TopicInput) model.Topic {
		in.CommunityID, in.InfoType, in.TLP = w.comm.ID, "alert", "green"
		tp, err := w.env.SNS.CreateTopic(ctx, p, in)
		if err != nil {
			t.Fatal(err)
		}
		return tp
	}
	w.open = post(w.pSato, sns.TopicInput{Title: "不審な通信", Body: "接続先 203.0.113[.]7 を遮断しました", Scope: "community"})
	w.powerOnly = post(w.pSato, sns.TopicInput{Title: "社内限定", Body: "hxxp://203.0.113.7 と 203.0.113.7", Scope: "selected",
		Audience: model.Audience{Orgs: []int64{w.pSato.User.OrgID}}})
	w.railCase, err = w.env.Desk.File(ctx, w.pTanaka, desk.CaseInput{Kind: "incident", Category: "malware", Title: "不審な通信の報告",
		Description: "C2 らしき通信", Urgency: "high", EventImpact: "no",
		Observables: []desk.ObservableInput{{Kind: "ip", Value: "203.0.113[.]7"}}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func itemIDs(xs []store.ValueItem) []int64 {
	var out []int64
	for _, x := range xs {
		out = append(out, x.ID)
	}
	return out
}

func TestCorrelationFindsTopicsAndCasesTheViewerMayOpenOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newLinkWorld(t, db)
		ctx := testapp.Ctx()
		for _, tc := range []struct {
			name          string
			p             auth.Principal
			topics, cases []int64
		}{
			{"author (power)", w.pSato, []int64{w.powerOnly.ID, w.open.ID}, nil},
			{"rail, the case's reporter", w.pTanaka, []int64{w.open.ID}, []int64{w.railCase.ID}},
			{"center analyst", w.pAnalyst, []int64{w.open.ID}, []int64{w.railCase.ID}},
		} {
			v, err := w.env.Intel.Object(ctx, tc.p, w.seq)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := itemIDs(v.Topics); !slices.Equal(got, tc.topics) {
				t.Errorf("%s: topics %v, want %v", tc.name, got, tc.topics)
			}
			if got := itemIDs(v.Cases); !slices.Equal(got, tc.cases) {
				t.Errorf("%s: cases %v, want %v", tc.name, got, tc.cases)
			}
		}
		if _, err := w.env.Intel.Object(ctx, w.pStranger, w.seq); !fault.Is(err, fault.NotFound) {
			t.Errorf("a stranger opened the indicator: %v", err)
		}
		// From the other side: the topic's and the case's pages show the indicator.
		r, err := w.env.Intel.TopicIndicators(ctx, w.pTanaka, w.open.ID)
		if err != nil || len(r.Correlated) != 1 || r.Correlated[0].Seq != w.seq {
			t.Errorf("topic's indicators %+v, %v", r, err)
		}
		r, err = w.env.Intel.CaseIndicators(ctx, w.pAnalyst, w.railCase.ID)
		if err != nil || len(r.Correlated) != 1 {
			t.Errorf("case's indicators %+v, %v", r, err)
		}
		if _, err := w.env.Intel.CaseIndicators(ctx, w.pSato, w.railCase.ID); !fault.Is(err, fault.NotFound) {
			t.Errorf("power opened rail's case's indicators: %v", err)
		}
		if r, err := w.env.Intel.TopicIndicators(ctx, w.pStranger, w.open.ID); !fault.Is(err, fault.NotFound) {
			t.Errorf("a stranger got a topic's indicators %+v, %v", r, err)
		}
	})
}

func TestTopicValuesFollowCommentsEditsAndDeletion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newLinkWorld(t, db)
		ctx := testapp.Ctx()
		values := func(id int64) []store.StixValue {
			vs, err := store.TopicValues(ctx, w.env.DB.Read(), id, 100)
			if err != nil {
				t.Fatal(err)
			}
			return vs
		}
		if got := values(w.open.ID); !slices.Equal(got, []store.StixValue{{Kind: "ipv4", Value: "203.0.113.7"}}) {
			t.Fatalf("values %v", got)
		}
		hash := "44d88612fea8a8f36de82e1278abb02f"
		cm, err := w.env.SNS.AddComment(ctx, w.pTanaka, w.open.ID, sns.CommentInput{Body: "検体 44D88612FEA8A8F36DE82E1278ABB02F と evil[.]example[.]com"})
		if err != nil {
			t.Fatal(err)
		}
		want := []store.StixValue{{Kind: "domain", Value: "evil.example.com"}, {Kind: "ipv4", Value: "203.0.113.7"}, {Kind: "md5", Value: hash}}
		if got := values(w.open.ID); !slices.Equal(got, want) {
			t.Errorf("after the comment: %v, want %v", got, want)
		}
		if err := w.env.SNS.DeleteComment(ctx, w.pTanaka, cm.ID); err != nil {
			t.Fatal(err)
		}
		if got := values(w.open.ID); len(got) != 1 {
			t.Errorf("after deleting the comment: %v", got)
		}
		if _, err := w.env.SNS.EditTopic(ctx, w.pSato, w.open.ID, sns.TopicInput{Title: "不審な通信", Body: "なし", InfoType: "alert", TLP: "green"}); err != nil {
			t.Fatal(err)
		}
		if got := values(w.open.ID); len(got) != 0 {
			t.Errorf("after the edit: %v", got)
		}
		if err := w.env.SNS.DeleteTopic(ctx, w.pSato, w.powerOnly.ID); err != nil {
			t.Fatal(err)
		}
		if got := values(w.powerOnly.ID); len(got) != 0 {
			t.Errorf("a deleted topic keeps %v", got)
		}
	})
}

func TestTextValuesAreBoundedAndRefanged(t *testing.T) {
	text := "hxxps://bad[.]example[.]com/x\n"
	for i := range 2 * sns.MaxTopicValues {
		text += "10.0." + itoa(i/250) + "." + itoa(i%250) + "\n"
	}
	vs := sns.TextValues(text)
	if len(vs) != sns.MaxTopicValues || len(vs) > 0 && vs[0] != (store.StixValue{Kind: "url", Value: "https://bad.example.com/x"}) {
		t.Errorf("%d values, first %v", len(vs), vs[0])
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestBackfillGivesOlderTopicsTheirValuesInBatches(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newLinkWorld(t, db)
		ctx := testapp.Ctx()
		// As after the migration on an installation with these topics: no values yet.
		if err := w.env.DB.Write(ctx, func(c store.Conn) error {
			if _, err := c.Exec(ctx, "DELETE FROM topic_values"); err != nil {
				return err
			}
			_, err := c.Exec(ctx, "UPDATE topic_values_backfill SET done_through = 0, up_to = ?", w.powerOnly.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if v, _ := w.env.Intel.Object(ctx, w.pTanaka, w.seq); len(v.Topics) != 0 {
			t.Fatalf("topics before the backfill: %v", v.Topics)
		}
		for _, want := range []int{1, 1, 0, 0} {
			if n, err := w.env.SNS.BackfillTopicValues(ctx, 1); err != nil || n != want {
				t.Fatalf("batch: %d, %v; want %d", n, err, want)
			}
		}
		if v, _ := w.env.Intel.Object(ctx, w.pTanaka, w.seq); len(v.Topics) != 1 {
			t.Errorf("topics after the backfill: %v", v.Topics)
		}
	})
}

func TestLinksAreSeenOnlyWithBothEnds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newLinkWorld(t, db)
		ctx := testapp.Ctx()
		l, err := w.env.Intel.Link(ctx, w.pTanaka, w.seq, intel.LinkTarget{CaseID: w.railCase.ID})
		if err != nil || l.CaseID != w.railCase.ID || l.Seq != w.seq || l.Title != w.railCase.Title {
			t.Fatalf("link %+v, %v", l, err)
		}
		if _, err := w.env.Intel.Link(ctx, w.pTanaka, w.seq, intel.LinkTarget{CaseID: w.railCase.ID}); !fault.Is(err, fault.Conflict) {
			t.Errorf("second link: %v", err)
		}
		// Power sees the indicator but not rail's case: the same answer as for no case.
		for _, to := range []intel.LinkTarget{{CaseID: w.railCase.ID}, {CaseID: w.railCase.ID + 99}} {
			if _, err := w.env.Intel.Link(ctx, w.pSato, w.seq, to); fault.As(err).Key != "indicator.link_target_not_found" {
				t.Errorf("power linking %+v: %v", to, err)
			}
		}
		if _, err := w.env.Intel.Link(ctx, w.pTanaka, w.seq, intel.LinkTarget{TopicID: w.powerOnly.ID}); fault.As(err).Key != "indicator.link_target_not_found" {
			t.Errorf("rail linking power's topic: %v", err)
		}
		tl, err := w.env.Intel.Link(ctx, w.pSato, w.seq, intel.LinkTarget{TopicID: w.powerOnly.ID})
		if err != nil {
			t.Fatal(err)
		}
		links := func(p auth.Principal) []int64 {
			v, err := w.env.Intel.Object(ctx, p, w.seq)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, l := range v.Links {
				out = append(out, l.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			p    auth.Principal
			want []int64
		}{{"rail", w.pTanaka, []int64{l.ID}}, {"power", w.pSato, []int64{tl.ID}}, {"center", w.pAnalyst, []int64{l.ID}}} {
			if got := links(tc.p); !slices.Equal(got, tc.want) {
				t.Errorf("%s sees links %v, want %v", tc.name, got, tc.want)
			}
		}
		if r, err := w.env.Intel.CaseIndicators(ctx, w.pAnalyst, w.railCase.ID); err != nil || len(r.Links) != 1 {
			t.Errorf("case's links %+v, %v", r.Links, err)
		}
		if r, err := w.env.Intel.TopicIndicators(ctx, w.pSuzuki, w.powerOnly.ID); err != nil || len(r.Links) != 1 {
			t.Errorf("topic's links %+v, %v", r.Links, err)
		}
		// Unlinking: not by someone who cannot see it (not found), not by another person
		// of rail's side who did not make it unless center.
		if err := w.env.Intel.Unlink(ctx, w.pSato, w.seq, l.ID); !fault.Is(err, fault.NotFound) {
			t.Errorf("power unlinking rail's link: %v", err)
		}
		if err := w.env.Intel.Unlink(ctx, w.pSuzuki, w.seq, tl.ID); !fault.Is(err, fault.Forbidden) {
			t.Errorf("suzuki unlinking sato's link: %v", err)
		}
		if err := w.env.Intel.Unlink(ctx, w.pAnalyst, w.seq, l.ID); err != nil {
			t.Errorf("center unlinking: %v", err)
		}
		if err := w.env.Intel.Unlink(ctx, w.pSato, w.seq, tl.ID); err != nil {
			t.Errorf("the linker unlinking: %v", err)
		}
		var n int
		if err := w.env.DB.Read().QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action IN ('intel.indicator_linked', 'intel.indicator_unlinked')").Scan(&n); err != nil || n != 4 {
			t.Errorf("%d audit records, %v", n, err)
		}
	})
}

func TestParseLinkTarget(t *testing.T) {
	for _, tc := range []struct {
		kind, text string
		want       intel.LinkTarget
		err        string
	}{
		{"topic", "12", intel.LinkTarget{TopicID: 12}, ""},
		{"case", " #7 ", intel.LinkTarget{CaseID: 7}, ""},
		{"", "https://renkei.example/topics/12", intel.LinkTarget{TopicID: 12}, ""},
		{"topic", "https://renkei.example/desk/cases/7?x=1", intel.LinkTarget{CaseID: 7}, ""},
		{"", "12", intel.LinkTarget{}, "indicator.bad_link_kind"},
		{"topic", "", intel.LinkTarget{}, "invalid.required"},
		{"topic", "https://renkei.example/indicators/3", intel.LinkTarget{}, "indicator.bad_link_target"},
		{"topic", "-4", intel.LinkTarget{}, "indicator.bad_link_target"},
	} {
		got, err := intel.ParseLinkTarget(tc.kind, tc.text)
		if tc.err != "" {
			if fault.As(err).Key != tc.err {
				t.Errorf("%q %q: %v, want %s", tc.kind, tc.text, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q %q: %+v, %v", tc.kind, tc.text, got, err)
		}
	}
}

func TestLinksAreBounded(t *testing.T) {
	w := newLinkWorld(t, testdb.SQLite(t))
	ctx := testapp.Ctx()
	for i := range intel.MaxLinks + 1 {
		tp, err := w.env.SNS.CreateTopic(ctx, w.pSato, sns.TopicInput{CommunityID: w.comm.ID, Title: "t" + strconv.Itoa(i), Body: "x",
			InfoType: "alert", TLP: "green", Scope: "community"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.env.Intel.Link(ctx, w.pSato, w.seq, intel.LinkTarget{TopicID: tp.ID})
		if i < intel.MaxLinks && err != nil {
			t.Fatalf("link %d: %v", i, err)
		}
		if i == intel.MaxLinks && fault.As(err).Key != "indicator.too_many_links" {
			t.Errorf("link past the limit: %v", err)
		}
	}
}
