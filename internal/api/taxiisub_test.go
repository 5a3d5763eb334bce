package api_test

import (
	"fmt"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/intel"
)

// Their GET answers are checked against the document by the endpoint tests below (the
// client checks every answer), so the schema walk leaves them out.
func init() {
	elsewhere = append(elsewhere, api.Prefix+"/taxii-subscriptions")
	endpointTests["GET /api/v1/taxii-subscriptions"] = testListTaxiiSubs
	endpointTests["POST /api/v1/taxii-subscriptions"] = testCreateTaxiiSub
	endpointTests["GET /api/v1/taxii-subscriptions/{id}"] = testGetTaxiiSub
	endpointTests["DELETE /api/v1/taxii-subscriptions/{id}"] = testDeleteTaxiiSub
	endpointTests["POST /api/v1/taxii-subscriptions/{id}/run"] = testRunTaxiiSub
}

// newTaxiiSub has organization A's admin subscribe A's own collection to a remote one.
func newTaxiiSub(t *testing.T, w *world) api.TaxiiSubscription {
	t.Helper()
	k, err := w.e.Intel.CreateCollection(ctx, auth.System(), intel.CollectionInput{Title: "A's feed", OrgID: w.orgA.ID})
	if err != nil {
		t.Fatal(err)
	}
	var s api.TaxiiSubscription
	w.as(t, w.adminA).do("POST", api.Prefix+"/taxii-subscriptions", api.TaxiiSubscriptionInput{Title: "Vendor feed", Direction: "pull",
		Collection: k.UUID, APIRoot: "https://taxii.vendor.example/api1", RemoteCollection: "91a7b528-80eb-42ed-a74d-c6fbd5a26116",
		AuthKind: "bearer", Secret: "s3cret-token", IntervalMinutes: 60}).ok(t, 201, &s)
	return s
}

func testCreateTaxiiSub(t *testing.T, w *world) {
	s := newTaxiiSub(t, w)
	if s.APIRoot != "https://taxii.vendor.example/api1/" || !s.HasSecret || s.IntervalMinutes != 60 || s.Direction != "pull" ||
		s.OrgID != w.orgA.ID || s.LastSuccessAt != nil || s.CollectionTitle != "A's feed" {
		t.Errorf("created: %+v", s)
	}
	// A member who is not an admin may not; bad input names its fields.
	w.as(t, w.memberA).do("POST", api.Prefix+"/taxii-subscriptions", api.TaxiiSubscriptionInput{Title: "x", Direction: "pull",
		Collection: s.Collection, APIRoot: "https://x.example/", RemoteCollection: "c", AuthKind: "none", IntervalMinutes: 60}).problem(t, 403, "forbidden")
	p := w.as(t, w.adminA).do("POST", api.Prefix+"/taxii-subscriptions", api.TaxiiSubscriptionInput{Direction: "sideways",
		Collection: s.Collection, APIRoot: "http://plain.example/", AuthKind: "basic", IntervalMinutes: 1}).problem(t, 422, "validation-error")
	got := map[string]bool{}
	for _, e := range p.Errors {
		got[e.Field] = true
	}
	for _, f := range []string{"title", "direction", "api_root", "remote_collection", "username", "secret", "interval"} {
		if !got[f] {
			t.Errorf("no error on %s: %+v", f, p.Errors)
		}
	}
}

func testListTaxiiSubs(t *testing.T, w *world) {
	s := newTaxiiSub(t, w)
	var l api.List[api.TaxiiSubscription]
	w.as(t, w.adminA).get(api.Prefix+"/taxii-subscriptions").ok(t, 200, &l)
	if len(l.Items) != 1 || l.Items[0].ID != s.ID {
		t.Errorf("admin of A: %+v", l.Items)
	}
	for _, u := range []string{"memberA", "memberB", "admin"} {
		who := map[string]*client{"memberA": w.as(t, w.memberA), "memberB": w.as(t, w.memberB), "admin": w.as(t, w.admin)}[u]
		who.get(api.Prefix+"/taxii-subscriptions").ok(t, 200, &l)
		if len(l.Items) != 0 {
			t.Errorf("%s sees %+v", u, l.Items)
		}
	}
}

func testGetTaxiiSub(t *testing.T, w *world) {
	s := newTaxiiSub(t, w)
	var got api.TaxiiSubscription
	path := fmt.Sprintf("%s/taxii-subscriptions/%d", api.Prefix, s.ID)
	w.as(t, w.adminA).get(path).ok(t, 200, &got)
	if got.ID != s.ID || got.NextRunAt.IsZero() {
		t.Errorf("got %+v", got)
	}
	// Another organization, or a member who is not an admin: not found.
	w.as(t, w.memberB).get(path).problem(t, 404, "not-found")
	w.as(t, w.memberA).get(path).problem(t, 404, "not-found")
	w.as(t, w.admin).get(path).problem(t, 404, "not-found")
}

func testDeleteTaxiiSub(t *testing.T, w *world) {
	s := newTaxiiSub(t, w)
	path := fmt.Sprintf("%s/taxii-subscriptions/%d", api.Prefix, s.ID)
	w.as(t, w.memberB).do("DELETE", path, nil).problem(t, 404, "not-found")
	w.as(t, w.adminA).do("DELETE", path, nil).ok(t, 204, nil)
	w.as(t, w.adminA).get(path).problem(t, 404, "not-found")
}

func testRunTaxiiSub(t *testing.T, w *world) {
	s := newTaxiiSub(t, w)
	path := fmt.Sprintf("%s/taxii-subscriptions/%d", api.Prefix, s.ID)
	w.as(t, w.memberB).do("POST", path+"/run", nil).problem(t, 404, "not-found")
	w.e.Clock.Advance(3e9)
	w.as(t, w.adminA).do("POST", path+"/run", nil).ok(t, 204, nil)
	var got api.TaxiiSubscription
	w.as(t, w.adminA).get(path).ok(t, 200, &got)
	if !got.NextRunAt.Equal(w.e.Clock.Now()) {
		t.Errorf("next run %v, want now %v", got.NextRunAt, w.e.Clock.Now())
	}
}
