package api_test

import (
	"fmt"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
)

func init() {
	endpointTests["PUT /api/v1/taxii-subscriptions/{id}"] = testUpdateTaxiiSub
}

func testUpdateTaxiiSub(t *testing.T, w *world) {
	s := newTaxiiSub(t, w)
	path := fmt.Sprintf("%s/taxii-subscriptions/%d", api.Prefix, s.ID)
	in := api.TaxiiSubscriptionInput{Title: "Renamed feed", Collection: s.Collection, APIRoot: s.APIRoot, RemoteCollection: s.RemoteCollection,
		AuthKind: "bearer", IntervalMinutes: 120}
	var got api.TaxiiSubscription
	w.as(t, w.adminA).do("PUT", path, in).ok(t, 200, &got)
	if got.Title != "Renamed feed" || got.IntervalMinutes != 120 || !got.HasSecret || got.Direction != "pull" {
		t.Errorf("updated: %+v", got)
	}
	w.as(t, w.memberB).do("PUT", path, in).problem(t, 404, "not-found")
	w.as(t, w.memberA).do("PUT", path, in).problem(t, 404, "not-found")
	in.Direction = "push"
	w.as(t, w.adminA).do("PUT", path, in).fieldProblem(t, "direction")
}
