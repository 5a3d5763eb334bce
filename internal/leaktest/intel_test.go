package leaktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/stix"
	"github.com/renkei-dev/renkei/internal/store"
)

// Indicator sharing's kinds: TAXII collections (tied to a community or an organization)
// and the STIX object versions in them, each version an item (its seq).
const (
	colCollections = "intel collections"
	colStix        = "stix versions"
)

func init() {
	kinds = append(kinds,
		kindSpec[policy.CollectionFacts]{
			name:     "intel collection",
			items:    colCollections,
			generate: generateIntel,
			facts:    collectionFacts,
			allowed:  policy.CanReadCollection,
			paths: []path{
				sqlFilter("policy.CollectionReadFilter (SQL)", "intel_collections k", "k.id", policy.CollectionReadFilter),
				{name: "intel.Service.Collections", ids: func(c *call) ([]int64, error) {
					ks, err := c.w.env.Intel.Collections(c.ctx, c.v.p)
					var out []int64
					for _, k := range ks {
						out = append(out, k.ID)
					}
					return out, err
				}},
				{name: "intel.Service.CollectionByID (every id)", ids: serviceGetEach(func(c *call, id int64) (intel.Collection, error) {
					return c.w.env.Intel.CollectionByID(c.ctx, c.v.p, id)
				}, func(k intel.Collection) int64 { return k.ID }, nil)},
			},
		}.kind(),
		kindSpec[policy.StixFacts]{
			name:    "stix object version",
			items:   colStix,
			facts:   stixFacts,
			allowed: policy.CanViewStix,
			paths: []path{
				sqlFilter("policy.StixFilter (SQL)", "stix_objects o", "o.seq", policy.StixFilter),
				{name: "intel.Service.Objects (all versions, every collection)", ids: objectsOfEveryCollection},
				{name: "intel.Service.Indicators (latest)", narrow: latestIndicator, ids: func(c *call) ([]int64, error) {
					var out []int64
					before := int64(0)
					for range maxPages {
						list, err := c.w.env.Intel.Indicators(c.ctx, c.v.p, intel.IndicatorQuery{Before: before, Limit: c.w.pageSize})
						if err != nil {
							return out, err
						}
						for _, it := range list {
							out = append(out, it.Seq)
						}
						if len(list) < c.w.pageSize {
							return out, nil
						}
						before = list[len(list)-1].Seq
					}
					return out, fmt.Errorf("more than %d pages", maxPages)
				}},
				{name: "intel.Service.Object (every seq, and what its correlation shows)", ids: correlatedOfEvery},
				{name: "GET /taxii2/renkei/collections/{id}/manifest/ (all versions)", api: true, ids: taxiiManifests},
				{name: "GET /api/v1/indicators", api: true, narrow: latestIndicator, ids: apiList(fixed("/api/v1/indicators"), byID)},
				{name: "GET /api/v1/indicators/{id}", api: true, ids: apiGetEach("/api/v1/indicators/%d", byID)},
				{name: "page /indicators", page: true, narrow: latestIndicator, ids: pageList("/indicators", indicatorRow)},
				{name: "page /indicators/{id}", page: true, ids: pageGetEach("/indicators/%d")},
			},
		}.kind(),
	)
}

// generateIntel makes a collection or two per community (members may write or not) and
// one for some organizations, and has random people who may write add indicators of every
// TLP, some in several versions; values repeat so that correlation has something to find.
func generateIntel(g *gen) {
	w := g.w
	add := func(in intel.CollectionInput) {
		k, err := w.env.Intel.CreateCollection(g.ctx, g.sys, in)
		w.must(err, "create collection %+v", in)
		w.ids[colCollections] = append(w.ids[colCollections], k.ID)
	}
	for _, cid := range w.ids[colCommunities] {
		for range 1 + g.r.IntN(2) {
			add(intel.CollectionInput{Title: "IoC", CommunityID: cid, MemberWrite: g.chance(0.6)})
		}
	}
	for _, oid := range w.ids[colOrgs] {
		if g.chance(0.3) {
			add(intel.CollectionInput{Title: "org IoC", OrgID: oid})
		}
	}
	tlps := []string{"", "clear", "green", "amber", "amber+strict", "red"}
	n := 0
	for _, kid := range w.ids[colCollections] {
		k, err := store.GetCollection(g.ctx, w.db.Read(), kid)
		w.must(err, "load collection %d", kid)
		var writers []auth.Principal
		for _, uid := range w.ids[colPeople] {
			p := principal(g, uid)
			if policy.CanWriteCollection(p.Actor, intel.CollectionFacts(k)) {
				writers = append(writers, p)
			}
		}
		if len(writers) == 0 {
			continue
		}
		for range 1 + g.r.IntN(3) {
			p := writers[g.r.IntN(len(writers))]
			var objs []string
			for range 1 + g.r.IntN(3) {
				n++
				marking := ""
				if t := tlps[g.r.IntN(len(tlps))]; t != "" {
					marking = fmt.Sprintf(`,"object_marking_refs":[%q]`, markingOf(t))
				}
				id := fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", g.r.IntN(8), w.seed%1e12)
				objs = append(objs, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2026-07-01T00:00:00.000Z",`+
					`"modified":"2026-07-%02dT00:00:00.000Z","pattern":"[ipv4-addr:value = '192.0.2.%d']","pattern_type":"stix",`+
					`"valid_from":"2026-07-01T00:00:00Z"%s}`, id, 1+g.r.IntN(28), g.r.IntN(5), marking))
			}
			st, err := w.env.Intel.AddObjects(g.ctx, p, k.UUID, strings.NewReader(`{"objects":[`+strings.Join(objs, ",")+`]}`))
			w.must(err, "add objects to collection %d", kid)
			if st.Failure > 0 {
				w.must(fmt.Errorf("%+v", st.Failures), "objects refused")
			}
		}
	}
	rows, err := w.db.Read().Query(g.ctx, "SELECT seq FROM stix_objects ORDER BY seq")
	w.must(err, "list versions")
	defer rows.Close()
	for rows.Next() {
		var seq int64
		w.must(rows.Scan(&seq), "scan")
		w.ids[colStix] = append(w.ids[colStix], seq)
	}
}

func markingOf(t string) string { return stix.MarkingID(model.TLP(t)) }

func collectionFacts(w *world, id int64) policy.CollectionFacts {
	k, err := store.GetCollection(w.ctx, w.db.Read(), id)
	w.must(err, "load collection %d", id)
	return intel.CollectionFacts(k)
}

func stixFacts(w *world, seq int64) policy.StixFacts {
	f, err := w.env.Intel.StixFactsOf(w.ctx, seq)
	w.must(err, "load version %d", seq)
	return f
}

// latestIndicator: paths over indicators' latest versions ask for those only. The answer
// is loaded once per world.
func latestIndicator(w *world, _ policy.Actor, seq int64) bool {
	latestMu.Lock()
	defer latestMu.Unlock()
	m, ok := latestOf[w]
	if !ok {
		m = map[int64]bool{}
		rows, err := w.db.Read().Query(w.ctx, "SELECT seq FROM stix_objects WHERE is_latest AND type = 'indicator'")
		w.must(err, "list latest versions")
		for rows.Next() {
			var s int64
			w.must(rows.Scan(&s), "scan")
			m[s] = true
		}
		rows.Close()
		latestOf[w] = m
	}
	return m[seq]
}

var (
	latestMu sync.Mutex
	latestOf = map[*world]map[int64]bool{}
)

func objectsOfEveryCollection(c *call) ([]int64, error) {
	var out []int64
	for _, kid := range c.w.ids[colCollections] {
		k, err := store.GetCollection(c.ctx, c.read(), kid)
		if err != nil {
			return nil, err
		}
		q := intel.Query{Limit: c.w.pageSize, Versions: store.VersionMode{All: true}}
		for range maxPages {
			pg, err := c.w.env.Intel.Objects(c.ctx, c.v.p, k.UUID, q)
			if isNotFound(err) {
				break
			}
			if err != nil {
				return out, err
			}
			for _, v := range pg.Versions {
				out = append(out, v.Seq)
			}
			if !pg.More {
				break
			}
			q.Next = pg.Next
		}
	}
	return out, nil
}

// correlatedOfEvery opens every version and returns those that open, plus every version
// their correlation shows (which must be visible latest versions).
func correlatedOfEvery(c *call) ([]int64, error) {
	seen := map[int64]bool{}
	var out []int64
	note := func(seq int64) {
		if !seen[seq] {
			seen[seq] = true
			out = append(out, seq)
		}
	}
	for _, seq := range c.w.ids[colStix] {
		v, err := c.w.env.Intel.Object(c.ctx, c.v.p, seq)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		note(seq)
		for _, x := range v.Correlated {
			note(x.Seq)
		}
	}
	return out, nil
}

// taxiiManifests pages through every collection's TAXII manifest with the viewer's token
// and maps each entry to its version by date_added, which is unique in a collection.
func taxiiManifests(c *call) ([]int64, error) {
	var out []int64
	for _, kid := range c.w.ids[colCollections] {
		k, err := store.GetCollection(c.ctx, c.read(), kid)
		if err != nil {
			return nil, err
		}
		next := ""
		for range maxPages {
			u := fmt.Sprintf("%s/taxii2/renkei/collections/%s/manifest/?match[version]=all&limit=%d", c.w.base, k.UUID, c.w.pageSize)
			if next != "" {
				u += "&next=" + url.QueryEscape(next)
			}
			req, _ := http.NewRequestWithContext(c.ctx, http.MethodGet, u, nil)
			req.Header.Set("Authorization", "Bearer "+c.v.token)
			req.Header.Set("Accept", "application/taxii+json;version=2.1")
			res, err := c.w.client.Do(req)
			if err != nil {
				return nil, err
			}
			var m struct {
				More    bool   `json:"more"`
				Next    string `json:"next"`
				Objects []struct {
					ID        string `json:"id"`
					DateAdded string `json:"date_added"`
				} `json:"objects"`
			}
			err = json.NewDecoder(res.Body).Decode(&m)
			res.Body.Close()
			if res.StatusCode == http.StatusNotFound {
				break
			}
			if res.StatusCode != http.StatusOK || err != nil {
				return out, fmt.Errorf("manifest of collection %d: %d %v", kid, res.StatusCode, err)
			}
			for _, o := range m.Objects {
				t, err := time.Parse(time.RFC3339Nano, o.DateAdded)
				if err != nil {
					return out, err
				}
				var seq int64
				if err := c.read().QueryRow(c.ctx, "SELECT seq FROM stix_objects WHERE collection_id = ? AND date_added = ? AND stix_id = ?",
					kid, t.UnixMicro(), o.ID).Scan(&seq); err != nil {
					return out, fmt.Errorf("manifest entry %s %s: %v", o.ID, o.DateAdded, err)
				}
				out = append(out, seq)
			}
			if !m.More {
				break
			}
			next = m.Next
		}
	}
	return out, nil
}
