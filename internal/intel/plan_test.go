package intel_test

import (
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// TestObjectQueriesUseIndexes checks on SQLite that the TAXII GET queries (as a reader
// with the access filter runs them) read one index in date_added order: no full scan of
// the collection and no sort, whatever its size.
func TestObjectQueriesUseIndexes(t *testing.T) {
	w := newWorld(t, testdb.SQLite(t))
	ctx := testapp.Ctx()
	for i := range 3 {
		if _, err := w.env.Intel.AddObjects(ctx, w.pSato, w.shared.UUID, strings.NewReader(benchEnvelope(i*1000, 1000))); err != nil {
			t.Fatal(err)
		}
	}
	f := policy.StixFilter(w.pTanaka.Actor)
	for _, tc := range []struct {
		name  string
		q     store.ObjectQuery
		index string
	}{
		{"latest", store.ObjectQuery{Limit: 1000}, "stix_objects_added"},
		{"next", store.ObjectQuery{After: 5, Limit: 1000}, "stix_objects_added"},
		{"added_after", store.ObjectQuery{AddedAfter: 5, Limit: 1000}, "stix_objects_added"},
		{"all versions", store.ObjectQuery{Versions: store.VersionMode{All: true}, AddedAfter: 5, Limit: 1000}, "stix_objects_added"},
		{"match[type]", store.ObjectQuery{Types: []string{"identity"}, Limit: 1000}, "stix_objects_type"},
		{"match[type] and next", store.ObjectQuery{Types: []string{"indicator"}, After: 5, Limit: 1000}, "stix_objects_type"},
	} {
		tc.q.CollectionID = w.shared.ID
		plan, err := store.QueryVersionsPlan(ctx, w.env.DB.Read(), f, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		t.Logf("%s:\n%s", tc.name, text)
		if !strings.Contains(text, "SEARCH o USING INDEX "+tc.index) || strings.Contains(text, "TEMP B-TREE") || strings.Contains(text, "SCAN o") {
			t.Errorf("%s: want a search of %s in order, got\n%s", tc.name, tc.index, text)
		}
	}
}

// TestCorrelationQueriesUseIndexes checks on both backends that an indicator page's
// correlation (other indicators, topics, cases sharing a value) looks each value up in its
// (kind, value) index and reads no table whole, as the viewer's filters run it.
func TestCorrelationQueriesUseIndexes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		p := w.pTanaka.Actor
		values := []store.StixValue{{Kind: "ipv4", Value: "203.0.113.7"}, {Kind: "domain", Value: "evil.example.com"}}
		plans, err := store.CorrelationPlans(testapp.Ctx(), w.env.DB, policy.StixFilter(p), policy.TopicFilter(p), policy.CaseFilter(p), values)
		if err != nil {
			t.Fatal(err)
		}
		for name, index := range map[string]string{"indicators": "stix_values_value", "topics": "topic_values_value", "cases": "case_observables_value"} {
			plan := plans[name]
			t.Logf("%s:\n%s", name, plan)
			if !strings.Contains(plan, index) {
				t.Errorf("%s: want a look-up in %s, got\n%s", name, index, plan)
			}
			for _, scan := range []string{"SCAN tv", "SCAN co", "SCAN v\n", "Seq Scan on topic_values", "Seq Scan on case_observables", "Seq Scan on stix_values"} {
				if strings.Contains(plan+"\n", scan) {
					t.Errorf("%s: the plan reads a table whole (%s):\n%s", name, scan, plan)
				}
			}
		}
	})
}
