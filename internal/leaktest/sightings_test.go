package leaktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// Sightings: an organization's record of having seen an indicator (one row per
// collection, STIX id and organization), shared back to the center. A sighting has no id
// of its own, so the test numbers them once they are made (sightingKeys).
const colSightings = "sightings"

type sightingKey struct {
	collection int64
	stixID     string
	org        int64
}

var (
	sightingMu   sync.Mutex
	sightingKeys = map[*world]map[sightingKey]int64{}
)

func init() {
	kinds = append(kinds, kindSpec[policy.SightingFacts]{
		name:     "sighting",
		items:    colSightings,
		generate: generateSightings,
		facts:    sightingFacts,
		allowed:  policy.CanViewSighting,
		paths: []path{
			{name: "policy.SightingFilter AND StixFilter on the latest version (SQL)", ids: sightingsBySQL},
			{name: "intel.Service.Object (every version seq, its sightings)", ids: sightingsOfEveryObject},
			{name: "GET /api/v1/indicators/{id} (every version, its sightings)", api: true, ids: sightingsOfEveryAPIObject},
		},
	}.kind())
}

// generateSightings has random people record sightings of indicators they can see (an
// indicator several times over, by people of several organizations), then numbers them.
func generateSightings(g *gen) {
	w := g.w
	seen := g.ctx
	for _, uid := range w.ids[colPeople] {
		p := principal(g, uid)
		if p.User.Disabled || p.Org.Disabled || len(w.ids[colStix]) == 0 || !g.chance(0.6) {
			continue
		}
		for range 1 + g.r.IntN(4) {
			seq := w.ids[colStix][g.r.IntN(len(w.ids[colStix]))]
			f, err := w.env.Intel.StixFactsOf(seen, seq)
			w.must(err, "facts of %d", seq)
			v, err := store.GetVersion(g.ctx, w.db.Read(), seq)
			w.must(err, "version %d", seq)
			if !policy.CanRecordSighting(p.Actor, f) || v.Type != "indicator" {
				continue
			}
			at := time.Date(2026, 7, 1+g.r.IntN(20), 0, 0, 0, 0, time.UTC)
			w.must(w.env.Intel.RecordSighting(g.ctx, p, seq, intel.SightingInput{Count: 1 + g.r.IntN(5), FirstSeen: at, LastSeen: at.Add(time.Hour)}),
				"sighting of %d by %d", seq, uid)
		}
	}
	rows, err := w.db.Read().Query(g.ctx, "SELECT collection_id, stix_id, org_id FROM intel_sightings ORDER BY collection_id, stix_id, org_id")
	w.must(err, "list sightings")
	defer rows.Close()
	keys := map[sightingKey]int64{}
	for rows.Next() {
		var k sightingKey
		w.must(rows.Scan(&k.collection, &k.stixID, &k.org), "scan")
		keys[k] = int64(len(keys) + 1)
		w.ids[colSightings] = append(w.ids[colSightings], keys[k])
	}
	sightingMu.Lock()
	sightingKeys[w] = keys
	sightingMu.Unlock()
}

func sightingID(w *world, k sightingKey) (int64, error) {
	sightingMu.Lock()
	defer sightingMu.Unlock()
	id, ok := sightingKeys[w][k]
	if !ok {
		return 0, fmt.Errorf("a sighting that was never made: %+v", k)
	}
	return id, nil
}

// sightingFacts are the facts of the indicator's latest version and the organization.
func sightingFacts(w *world, id int64) policy.SightingFacts {
	sightingMu.Lock()
	var key sightingKey
	for k, v := range sightingKeys[w] {
		if v == id {
			key = k
		}
	}
	sightingMu.Unlock()
	var seq int64
	w.must(w.db.Read().QueryRow(w.ctx, "SELECT seq FROM stix_objects WHERE collection_id = ? AND stix_id = ? AND is_latest",
		key.collection, key.stixID).Scan(&seq), "latest version of %+v", key)
	f, err := w.env.Intel.StixFactsOf(w.ctx, seq)
	w.must(err, "facts of %d", seq)
	return policy.SightingFacts{Object: f, OrgID: key.org}
}

// sightingsBySQL is the list query a page of sightings would make: the organization rule
// over the sightings, the object rule over the indicator's latest version.
func sightingsBySQL(c *call) ([]int64, error) {
	sf, of := policy.SightingFilter(c.v.actor()), policy.StixFilter(c.v.actor())
	where := "TRUE"
	if sf.SQL != "" {
		where = sf.SQL
	}
	rows, err := c.read().Query(c.ctx, `SELECT s.collection_id, s.stix_id, s.org_id FROM intel_sightings s WHERE (`+where+`) AND EXISTS (
		SELECT 1 FROM stix_objects o WHERE o.collection_id = s.collection_id AND o.stix_id = s.stix_id AND o.is_latest AND (`+of.SQL+`))`,
		append(append([]any{}, sf.Args...), of.Args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var k sightingKey
		if err := rows.Scan(&k.collection, &k.stixID, &k.org); err != nil {
			return out, err
		}
		id, err := sightingID(c.w, k)
		if err != nil {
			return out, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// sightingsOfEveryObject opens every version and collects the sightings shown with it,
// once each.
func sightingsOfEveryObject(c *call) ([]int64, error) {
	seen := map[int64]bool{}
	var out []int64
	for _, seq := range c.w.ids[colStix] {
		v, err := c.w.env.Intel.Object(c.ctx, c.v.p, seq)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return out, err
		}
		for _, s := range v.Sightings {
			id, err := sightingID(c.w, sightingKey{s.CollectionID, s.StixID, s.OrgID})
			if err != nil {
				return out, err
			}
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// sightingsOfEveryAPIObject is sightingsOfEveryObject through the API.
func sightingsOfEveryAPIObject(c *call) ([]int64, error) {
	seen := map[int64]bool{}
	var out []int64
	for _, seq := range c.w.ids[colStix] {
		status, body, err := c.get(fmt.Sprintf("/api/v1/indicators/%d", seq))
		if err != nil {
			return out, err
		}
		if status == http.StatusNotFound {
			continue
		}
		if status != http.StatusOK {
			return out, fmt.Errorf("GET /api/v1/indicators/%d: status %d", seq, status)
		}
		var d struct {
			StixID       string `json:"stix_id"`
			CollectionID int64  `json:"collection_id"`
			Sightings    []struct {
				OrgID int64 `json:"org_id"`
			} `json:"sightings"`
		}
		if err := json.Unmarshal(body, &d); err != nil {
			return out, err
		}
		for _, s := range d.Sightings {
			id, err := sightingID(c.w, sightingKey{d.CollectionID, d.StixID, s.OrgID})
			if err != nil {
				return out, err
			}
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out, nil
}
