package api

// TAXII subscriptions: an organization's administrators tie a local collection to a remote
// TAXII 2.1 collection, pulled from or pushed to on a schedule (internal/taxii).

import (
	"net/http"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/taxii"
)

// TaxiiSubscription is a subscription and its status (never its credential).
type TaxiiSubscription struct {
	ID               int64      `json:"id"`
	OrgID            int64      `json:"org_id"`
	Title            string     `json:"title"`
	Direction        string     `json:"direction" doc:"pull (remote into local) or push (local to remote)"`
	Collection       string     `json:"collection" doc:"the local collection's TAXII id"`
	CollectionTitle  string     `json:"collection_title"`
	APIRoot          string     `json:"api_root"`
	RemoteCollection string     `json:"remote_collection"`
	AuthKind         string     `json:"auth_kind" doc:"none, bearer or basic"`
	Username         string     `json:"username,omitempty"`
	HasSecret        bool       `json:"has_secret"`
	IntervalMinutes  int        `json:"interval_minutes"`
	Checkpoint       string     `json:"checkpoint" doc:"pull: the remote added_after of the last page stored; push: the local date_added (µs) of the last object sent"`
	NextRunAt        time.Time  `json:"next_run_at"`
	Running          bool       `json:"running"`
	LastRunAt        *time.Time `json:"last_run_at"`
	LastSuccessAt    *time.Time `json:"last_success_at"`
	LastError        string     `json:"last_error,omitempty"`
	LastErrorAt      *time.Time `json:"last_error_at"`
	Failures         int        `json:"failures" doc:"failed runs in a row; the next try waits 1, 2, 4 … minutes, at most 24 hours"`
	Pulled           int64      `json:"objects_pulled"`
	Pushed           int64      `json:"objects_pushed"`
	Refused          int64      `json:"objects_refused" doc:"objects the receiving side refused"`
	CreatedBy        int64      `json:"created_by"`
	CreatedAt        time.Time  `json:"created_at"`
}

// TaxiiSubscriptionInput creates a subscription.
type TaxiiSubscriptionInput struct {
	Title            string `json:"title"`
	Direction        string `json:"direction" doc:"pull or push"`
	Collection       string `json:"collection" doc:"the local collection's TAXII id; the caller must be able to write it (pull) or read it (push)"`
	APIRoot          string `json:"api_root" doc:"the remote API root URL (https)"`
	RemoteCollection string `json:"remote_collection" doc:"the remote collection's id"`
	AuthKind         string `json:"auth_kind" doc:"none, bearer or basic"`
	Username         string `json:"username,omitempty" doc:"for basic"`
	Secret           string `json:"secret,omitempty" doc:"the bearer token or Basic password; stored encrypted, never shown again"`
	IntervalMinutes  int    `json:"interval_minutes" doc:"5 to 10080"`
}

func subTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func taxiiSubOut(s taxii.Subscription) TaxiiSubscription {
	return TaxiiSubscription{ID: s.ID, OrgID: s.OrgID, Title: s.Title, Direction: s.Direction, Collection: s.Collection.UUID,
		CollectionTitle: s.Collection.Title, APIRoot: s.APIRoot, RemoteCollection: s.RemoteCollection, AuthKind: s.AuthKind,
		Username: s.Username, HasSecret: s.HasSecret, IntervalMinutes: int(s.Interval / time.Minute), Checkpoint: s.Checkpoint,
		NextRunAt: s.NextAt, Running: s.Running, LastRunAt: subTime(s.LastRunAt), LastSuccessAt: subTime(s.LastSuccessAt),
		LastError: s.LastError, LastErrorAt: subTime(s.LastErrorAt), Failures: s.Failures, Pulled: s.Pulled, Pushed: s.Pushed,
		Refused: s.Refused, CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt}
}

func (x *API) taxiiSubRoutes() {
	x.add(&op{Method: "GET", Path: "/taxii-subscriptions", ID: "listTaxiiSubscriptions", Tag: "indicators", Summary: "The caller's organization's TAXII subscriptions (its admins)",
		Query: pageParams, Resp: List[TaxiiSubscription]{}, Handle: x.listTaxiiSubs})
	x.add(&op{Method: "POST", Path: "/taxii-subscriptions", ID: "createTaxiiSubscription", Tag: "indicators", Summary: "Subscribe a local collection to a remote TAXII 2.1 collection (org admins, center admins)",
		Body: TaxiiSubscriptionInput{}, Resp: TaxiiSubscription{}, Status: 201, Handle: x.createTaxiiSub})
	x.add(&op{Method: "GET", Path: "/taxii-subscriptions/{id}", ID: "getTaxiiSubscription", Tag: "indicators", Summary: "One subscription and its status", Resp: TaxiiSubscription{}, Handle: x.getTaxiiSub})
	x.add(&op{Method: "PUT", Path: "/taxii-subscriptions/{id}", ID: "updateTaxiiSubscription", Tag: "indicators",
		Summary: "Change a subscription (its direction stays; an empty secret keeps the stored one; a new remote side or local collection starts from the beginning)",
		Body:    TaxiiSubscriptionInput{}, Resp: TaxiiSubscription{}, Handle: x.updateTaxiiSub})
	x.add(&op{Method: "DELETE", Path: "/taxii-subscriptions/{id}", ID: "deleteTaxiiSubscription", Tag: "indicators", Summary: "Remove a subscription", Handle: x.deleteTaxiiSub})
	x.add(&op{Method: "POST", Path: "/taxii-subscriptions/{id}/run", ID: "runTaxiiSubscription", Tag: "indicators", Summary: "Run a subscription now", Handle: x.runTaxiiSub})
}

func (x *API) taxiiSubs() *taxii.Subscriptions { return taxii.SubscriptionsOf(x.app) }

func (x *API) listTaxiiSubs(r *http.Request, p auth.Principal) (any, error) {
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	subs, err := x.taxiiSubs().List(r.Context(), p, pg)
	if err != nil {
		return nil, err
	}
	return listOf(subs, pg, func(s taxii.Subscription) int64 { return s.ID }, taxiiSubOut), nil
}

func (x *API) createTaxiiSub(r *http.Request, p auth.Principal) (any, error) {
	var in TaxiiSubscriptionInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	s, err := x.taxiiSubs().Create(r.Context(), p, taxii.SubscriptionInput{Title: in.Title, Direction: in.Direction, Collection: in.Collection,
		APIRoot: in.APIRoot, RemoteCollection: in.RemoteCollection, AuthKind: in.AuthKind, Username: in.Username, Secret: in.Secret,
		Interval: time.Duration(in.IntervalMinutes) * time.Minute})
	if err != nil {
		return nil, err
	}
	return taxiiSubOut(s), nil
}

func (x *API) getTaxiiSub(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	s, err := x.taxiiSubs().Get(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	return taxiiSubOut(s), nil
}

func (x *API) deleteTaxiiSub(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return nil, x.taxiiSubs().Delete(r.Context(), p, id)
}

func (x *API) runTaxiiSub(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return nil, x.taxiiSubs().RunNow(r.Context(), p, id)
}
