package intel_test

import (
	"testing"

	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/stix"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// Sightings belong to the indicator, whose latest version decides who sees them: once a
// member re-marks it TLP:RED, another organization's member who can still open the older
// GREEN version sees no sightings there (found by the leak test's sightings entry).
func TestSightingsFollowTheLatestVersion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		green := indicator(ind1, "2026-07-01T00:00:00.000Z", "[ipv4-addr:value = '198.51.100.8']",
			`,"object_marking_refs":["`+stix.MarkingID(model.TLPGreen)+`"]`)
		if _, err := w.env.Intel.AddObjects(ctx, w.pSato, w.shared.UUID, envelope(green)); err != nil {
			t.Fatal(err)
		}
		old, err := w.env.Intel.Indicators(ctx, w.pTanaka, intel.IndicatorQuery{CollectionID: w.shared.ID})
		if err != nil || len(old) != 1 {
			t.Fatalf("indicators %v %v", old, err)
		}
		if err := w.env.Intel.RecordSighting(ctx, w.pTanaka, old[0].Seq, intel.SightingInput{Count: 2}); err != nil {
			t.Fatal(err)
		}
		if v, err := w.env.Intel.Object(ctx, w.pTanaka, old[0].Seq); err != nil || len(v.Sightings) != 1 {
			t.Fatalf("before: %+v %v", v.Sightings, err)
		}
		red := indicator(ind1, "2026-07-02T00:00:00.000Z", "[ipv4-addr:value = '198.51.100.8']",
			`,"object_marking_refs":["`+stix.MarkingID(model.TLPRed)+`"]`)
		if _, err := w.env.Intel.AddObjects(ctx, w.pSato, w.shared.UUID, envelope(red)); err != nil {
			t.Fatal(err)
		}
		v, err := w.env.Intel.Object(ctx, w.pTanaka, old[0].Seq)
		if err != nil || len(v.Sightings) != 0 {
			t.Errorf("after the RED version: %+v %v", v.Sightings, err)
		}
	})
}
