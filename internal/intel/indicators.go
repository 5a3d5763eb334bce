package intel

import (
	"context"
	"errors"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/ioc"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// IndicatorQuery narrows a list of indicators (their latest versions).
type IndicatorQuery struct {
	CollectionID int64
	TLP          string
	Kind         string
	Value        string // an exact value; refanged and normalised first
	ValidOnly    bool   // not revoked and not expired now
	Before       int64  // keyset: seq below this
	Limit        int
}

// Indicators returns the latest versions of the indicators the caller may see, newest
// first, with their observable values.
func (s *Service) Indicators(ctx context.Context, p auth.Principal, q IndicatorQuery) ([]Indicator, error) {
	sq := store.IndicatorQuery{CollectionID: q.CollectionID, TLP: q.TLP, Kind: q.Kind, Before: q.Before, Limit: q.Limit}
	if q.Value != "" {
		sq.Kind, sq.Value = normaliseValue(q.Kind, q.Value)
	}
	if q.ValidOnly {
		sq.ValidAt = s.now().UnixMicro()
	}
	vs, err := store.ListIndicators(ctx, s.db.Read(), policy.StixFilter(p.Actor), sq)
	if err != nil {
		return nil, err
	}
	return s.withValues(ctx, vs)
}

// normaliseValue refangs a searched value and writes it as the index does; the kind is
// the one recognised when none was given.
func normaliseValue(kind, value string) (string, string) {
	res, err := ioc.Extract(value, ioc.Limits{MaxItems: 1})
	if err != nil || len(res.Items) != 1 {
		return kind, value
	}
	it := res.Items[0]
	if kind != "" && kind != string(it.Kind) {
		return kind, value
	}
	return string(it.Kind), it.Value
}

// Indicator is an indicator version with its observable values.
type Indicator struct {
	store.StixVersion
	Values []store.StixValue
}

// Valid reports whether the indicator is in force at t: not revoked, not expired.
func (i Indicator) Valid(t time.Time) bool {
	return !i.Revoked && (i.ValidUntil == 0 || i.ValidUntil > t.UnixMicro())
}

func (s *Service) withValues(ctx context.Context, vs []store.StixVersion) ([]Indicator, error) {
	seqs := make([]int64, len(vs))
	for i, v := range vs {
		seqs[i] = v.Seq
	}
	vals, err := store.VersionValues(ctx, s.db.Read(), seqs)
	out := make([]Indicator, len(vs))
	for i, v := range vs {
		out[i] = Indicator{StixVersion: v, Values: vals[v.Seq]}
	}
	return out, err
}

// ObjectView is one object as a person sees it: the version opened, every version of it
// the person may see, its collection, the other indicators that share a value with it,
// and its sightings.
type ObjectView struct {
	Version    Indicator
	Collection Collection
	Versions   []store.StixVersion // oldest first
	Correlated []Indicator
	Sightings  []store.Sighting
	// Topics and cases the viewer may open that share a value, and the links the viewer
	// may see (links.go).
	Topics []store.ValueItem
	Cases  []store.ValueItem
	Links  []store.IndicatorLink
}

// MaxCorrelated bounds the correlated indicators shown with one object.
const MaxCorrelated = 50

// Object opens the version seq; one the caller may not see is not found.
func (s *Service) Object(ctx context.Context, p auth.Principal, seq int64) (ObjectView, error) {
	c := s.db.Read()
	v, err := store.GetVersion(ctx, c, seq)
	if errors.Is(err, store.ErrNotFound) {
		return ObjectView{}, notFound()
	}
	if err != nil {
		return ObjectView{}, err
	}
	k, err := store.GetCollection(ctx, c, v.CollectionID)
	if err != nil {
		return ObjectView{}, err
	}
	if !policy.CanViewStix(p.Actor, StixFacts(k, v)) {
		return ObjectView{}, notFound()
	}
	view := ObjectView{Collection: withRights(p.Actor, k)}
	ind, err := s.withValues(ctx, []store.StixVersion{v})
	if err != nil {
		return view, err
	}
	view.Version = ind[0]
	f := policy.StixFilter(p.Actor)
	all, err := store.ObjectVersionsAnywhere(ctx, c, f, v.StixID)
	if err != nil {
		return view, err
	}
	for _, x := range all {
		if x.CollectionID == v.CollectionID {
			view.Versions = append(view.Versions, x)
		}
	}
	corr, err := store.Correlated(ctx, c, f, v.StixID, view.Version.Values, MaxCorrelated)
	if err != nil {
		return view, err
	}
	if view.Correlated, err = s.withValues(ctx, corr); err != nil {
		return view, err
	}
	if view.Topics, view.Cases, err = s.correlateItems(ctx, p, view.Version.Values); err != nil {
		return view, err
	}
	if view.Links, err = s.objectLinks(ctx, p, v); err != nil {
		return view, err
	}
	// Sightings belong to the indicator, and its latest version decides who sees them
	// (policy.SightingFacts): a reader of an older version does not see them when the
	// latest is one they may not see (TLP:RED added by someone else).
	if latest, ok := latestOf(view.Versions); ok && policy.CanRecordSighting(p.Actor, StixFacts(k, latest)) {
		view.Sightings, err = store.ListSightings(ctx, c, policy.SightingFilter(p.Actor), v.CollectionID, v.StixID)
	}
	return view, err
}

// latestOf finds the latest version among versions of one object in one collection.
func latestOf(vs []store.StixVersion) (store.StixVersion, bool) {
	for _, x := range vs {
		if x.IsLatest {
			return x, true
		}
	}
	return store.StixVersion{}, false
}

// StixFactsOf loads the policy facts of a version, for tests and callers that check one.
func (s *Service) StixFactsOf(ctx context.Context, seq int64) (policy.StixFacts, error) {
	v, err := store.GetVersion(ctx, s.db.Read(), seq)
	if err != nil {
		return policy.StixFacts{}, err
	}
	k, err := store.GetCollection(ctx, s.db.Read(), v.CollectionID)
	return StixFacts(k, v), err
}
