package leaktest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
)

// Indicators meet topics and cases (internal/intel/links.go): correlation by a shared
// value must list only topics, cases and indicators the viewer may open, and a link is
// seen only with both ends. This file sorts after sns_test.go, so that its generator runs
// once topics, cases and indicators exist.
const colIndicatorLinks = "indicator links"

func init() {
	kinds = append(kinds,
		kindSpec[policy.IndicatorLinkFacts]{
			name:     "indicator link",
			items:    colIndicatorLinks,
			generate: generateIndicatorLinks,
			facts:    indicatorLinkFacts,
			allowed:  policy.CanViewIndicatorLink,
			paths: []path{
				sqlFilter("policy.IndicatorLinkFilter (SQL)", "indicator_links l", "l.id", policy.IndicatorLinkFilter),
				{name: "intel.Service.Object (links of every seq)", ids: distinct(func(c *call, note func(int64)) error {
					return eachObject(c, func(v intel.ObjectView) {
						for _, l := range v.Links {
							note(l.ID)
						}
					})
				})},
				{name: "intel.Service.TopicIndicators and CaseIndicators (links of every topic and case)", ids: distinct(func(c *call, note func(int64)) error {
					return eachRelated(c, func(r intel.Related) {
						for _, l := range r.Links {
							note(l.ID)
						}
					})
				})},
				{name: "GET /api/v1/indicators/{id} (links)", api: true, ids: apiDetailField("links")},
				{name: "GET /api/v1/topics/{id}/indicators and /cases/{id}/indicators (links)", api: true, ids: apiItemLinks},
			},
		}.kind(),
		kindSpec[policy.TopicFacts]{
			name:    "topic sharing a value",
			items:   colTopics,
			facts:   topicFacts,
			allowed: policy.CanViewTopic,
			paths: []path{
				{name: "intel.Service.Object (topics sharing a value, every seq)", narrow: sharesTopicValue, ids: distinct(func(c *call, note func(int64)) error {
					return eachObject(c, func(v intel.ObjectView) {
						for _, x := range v.Topics {
							note(x.ID)
						}
					})
				})},
				{name: "GET /api/v1/indicators/{id} (topics)", api: true, narrow: sharesTopicValue, ids: apiDetailField("topics")},
			},
		}.kind(),
		kindSpec[policy.CaseFacts]{
			name:    "case sharing a value",
			items:   colCases,
			facts:   caseFacts,
			allowed: policy.CanViewCase,
			paths: []path{
				{name: "intel.Service.Object (cases sharing a value, every seq)", narrow: sharesCaseValue, ids: distinct(func(c *call, note func(int64)) error {
					return eachObject(c, func(v intel.ObjectView) {
						for _, x := range v.Cases {
							note(x.ID)
						}
					})
				})},
				{name: "GET /api/v1/indicators/{id} (cases)", api: true, narrow: sharesCaseValue, ids: apiDetailField("cases")},
			},
		}.kind(),
		kindSpec[policy.StixFacts]{
			name:    "indicator sharing a value",
			items:   colStix,
			facts:   stixFacts,
			allowed: policy.CanViewStix,
			paths: []path{
				{name: "intel.Service.TopicIndicators and CaseIndicators (indicators sharing a value)", narrow: sharesItemValue,
					ids: distinct(func(c *call, note func(int64)) error {
						return eachRelated(c, func(r intel.Related) {
							for _, i := range r.Correlated {
								note(i.Seq)
							}
						})
					})},
			},
		}.kind(),
	)
}

// leakValue is one of the few addresses the intel generator's patterns use.
func leakValue(g *gen) string { return fmt.Sprintf("192.0.2.%d", g.r.IntN(5)) }

// generateIndicatorLinks has topics' readers name the indicators' addresses (defanged at
// times) in comments, files cases that report them, and has random people link random
// indicators to random topics and cases; the links that the service accepts are items.
func generateIndicatorLinks(g *gen) {
	w := g.w
	for _, tid := range w.ids[colTopics] {
		t, err := store.GetTopic(g.ctx, w.db.Read(), tid)
		w.must(err, "load topic %d", tid)
		if g.chance(0.6) {
			// A deleted topic or a disabled author refuses; that is not what is tested here.
			_, _ = w.env.SNS.AddComment(g.ctx, principal(g, t.AuthorID), tid, sns.CommentInput{Body: "観測 " + leakValue(g) + " hxxp://" + leakValue(g) + "/x"})
		}
	}
	var seqs []int64
	rows, err := w.db.Read().Query(g.ctx, "SELECT seq FROM stix_objects WHERE is_latest ORDER BY seq")
	w.must(err, "list latest versions")
	seqs, err = collectIDs(rows)
	w.must(err, "scan")
	if len(seqs) == 0 || len(w.ids[colPeople]) == 0 {
		return
	}
	for range 40 {
		p := principal(g, w.ids[colPeople][g.r.IntN(len(w.ids[colPeople]))])
		var to intel.LinkTarget
		switch {
		case g.chance(0.5) && len(w.ids[colTopics]) > 0:
			to.TopicID = w.ids[colTopics][g.r.IntN(len(w.ids[colTopics]))]
		case len(w.ids[colCases]) > 0:
			to.CaseID = w.ids[colCases][g.r.IntN(len(w.ids[colCases]))]
		default:
			continue
		}
		l, err := w.env.Intel.Link(g.ctx, p, seqs[g.r.IntN(len(seqs))], to)
		if err == nil {
			w.ids[colIndicatorLinks] = append(w.ids[colIndicatorLinks], l.ID)
		}
	}
}

func collectIDs(rows interface {
	Next() bool
	Scan(...any) error
	Close() error
	Err() error
}) ([]int64, error) {
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return out, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func indicatorLinkFacts(w *world, id int64) policy.IndicatorLinkFacts {
	l, err := store.GetIndicatorLink(w.ctx, w.db.Read(), id)
	w.must(err, "load link %d", id)
	f, err := intel.LinkFacts(w.ctx, w.db.Read(), l)
	w.must(err, "load the ends of link %d", id)
	return f
}

// distinct is a path whose walk may meet an id several times (one link seen from several
// versions of its indicator): each is reported once.
func distinct(walk func(c *call, note func(int64)) error) func(*call) ([]int64, error) {
	return func(c *call) ([]int64, error) {
		seen := map[int64]bool{}
		var out []int64
		err := walk(c, func(id int64) {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		})
		return out, err
	}
}

// eachObject opens every version; those not visible must be not found.
func eachObject(c *call, each func(intel.ObjectView)) error {
	for _, seq := range c.w.ids[colStix] {
		v, err := c.w.env.Intel.Object(c.ctx, c.v.p, seq)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("version %d: %v", seq, err)
		}
		each(v)
	}
	return nil
}

// eachRelated asks every topic and case for its indicators; those not visible must be
// not found.
func eachRelated(c *call, each func(intel.Related)) error {
	for _, tid := range c.w.ids[colTopics] {
		r, err := c.w.env.Intel.TopicIndicators(c.ctx, c.v.p, tid)
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("topic %d: %v", tid, err)
		}
		each(r)
	}
	for _, kid := range c.w.ids[colCases] {
		r, err := c.w.env.Intel.CaseIndicators(c.ctx, c.v.p, kid)
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("case %d: %v", kid, err)
		}
		each(r)
	}
	return nil
}

// apiDetailField opens every version through the API and collects the ids of one list
// of the detail (links, topics or cases).
func apiDetailField(field string) func(*call) ([]int64, error) {
	return distinct(func(c *call, note func(int64)) error {
		for _, seq := range c.w.ids[colStix] {
			if err := apiIDsOf(c, fmt.Sprintf("/api/v1/indicators/%d", seq), field, note); err != nil {
				return err
			}
		}
		return nil
	})
}

func apiItemLinks(c *call) ([]int64, error) {
	return distinct(func(c *call, note func(int64)) error {
		for _, tid := range c.w.ids[colTopics] {
			if err := apiIDsOf(c, fmt.Sprintf("/api/v1/topics/%d/indicators", tid), "links", note); err != nil {
				return err
			}
		}
		for _, kid := range c.w.ids[colCases] {
			if err := apiIDsOf(c, fmt.Sprintf("/api/v1/cases/%d/indicators", kid), "links", note); err != nil {
				return err
			}
		}
		return nil
	})(c)
}

// apiIDsOf reads the ids of one list of a response: 200 or 404, nothing else.
func apiIDsOf(c *call, u, field string, note func(int64)) error {
	status, body, err := c.get(u)
	if err != nil || status == 404 {
		return err
	}
	if status != 200 {
		return fmt.Errorf("GET %s: status %d: %.300s", u, status, body)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("GET %s: %v", u, err)
	}
	var items []struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(m[field], &items); err != nil {
		return fmt.Errorf("GET %s: %s: %v", u, field, err)
	}
	for _, it := range items {
		note(it.ID)
	}
	return nil
}

// ---- What correlation may show: the expected sets ----

// valueFacts are a world's values, loaded once: each version's, each topic's and each
// case's, and each version's policy facts.
type valueFacts struct {
	version map[int64][]store.StixValue
	topic   map[int64][]store.StixValue
	kase    map[int64][]store.StixValue
	stix    map[int64]policy.StixFacts
	latest  map[int64]bool
	topics  map[int64]policy.TopicFacts
	cases   map[int64]policy.CaseFacts
}

var (
	valuesMu sync.Mutex
	valuesOf = map[*world]*valueFacts{}
)

func worldValues(w *world) *valueFacts {
	valuesMu.Lock()
	defer valuesMu.Unlock()
	if v, ok := valuesOf[w]; ok {
		return v
	}
	v := &valueFacts{version: map[int64][]store.StixValue{}, topic: map[int64][]store.StixValue{}, kase: map[int64][]store.StixValue{},
		stix: map[int64]policy.StixFacts{}, latest: map[int64]bool{}, topics: map[int64]policy.TopicFacts{}, cases: map[int64]policy.CaseFacts{}}
	vals, err := store.VersionValues(w.ctx, w.db.Read(), w.ids[colStix])
	w.must(err, "load values of versions")
	for _, seq := range w.ids[colStix] {
		v.version[seq] = vals[seq]
		v.stix[seq] = stixFacts(w, seq)
		ver, err := store.GetVersion(w.ctx, w.db.Read(), seq)
		w.must(err, "load version %d", seq)
		v.latest[seq] = ver.IsLatest
	}
	for _, id := range w.ids[colTopics] {
		v.topic[id], err = store.TopicValues(w.ctx, w.db.Read(), id, intel.MaxCorrelationValues)
		w.must(err, "load values of topic %d", id)
		v.topics[id] = topicFacts(w, id)
	}
	for _, id := range w.ids[colCases] {
		v.kase[id], err = store.CaseValues(w.ctx, w.db.Read(), id)
		w.must(err, "load values of case %d", id)
		v.cases[id] = caseFacts(w, id)
	}
	valuesOf[w] = v
	return v
}

func overlap(a, b []store.StixValue) bool {
	for _, x := range a {
		if slices.ContainsFunc(b, func(y store.StixValue) bool { return x.Kind == y.Kind && x.Value == y.Value }) {
			return true
		}
	}
	return false
}

// sharesWithVisibleVersion: some version the viewer may open names one of the values.
func sharesWithVisibleVersion(w *world, a policy.Actor, values []store.StixValue) bool {
	v := worldValues(w)
	for _, seq := range w.ids[colStix] {
		if policy.CanViewStix(a, v.stix[seq]) && overlap(v.version[seq], values) {
			return true
		}
	}
	return false
}

func sharesTopicValue(w *world, a policy.Actor, id int64) bool {
	return sharesWithVisibleVersion(w, a, worldValues(w).topic[id])
}

func sharesCaseValue(w *world, a policy.Actor, id int64) bool {
	return sharesWithVisibleVersion(w, a, worldValues(w).kase[id])
}

// sharesItemValue: a latest version that shares a value with a topic or a case the viewer
// may open.
func sharesItemValue(w *world, a policy.Actor, seq int64) bool {
	v := worldValues(w)
	if !v.latest[seq] {
		return false
	}
	for _, id := range w.ids[colTopics] {
		if overlap(v.version[seq], v.topic[id]) && policy.CanViewTopic(a, v.topics[id]) {
			return true
		}
	}
	for _, id := range w.ids[colCases] {
		if overlap(v.version[seq], v.kase[id]) && policy.CanViewCase(a, v.cases[id]) {
			return true
		}
	}
	return false
}
