package app

import (
	"context"

	"github.com/renkei-dev/renkei/internal/monitor"
	"github.com/renkei-dev/renkei/internal/observe"
)

// The monitors watch what the observation service says is approved and hand what they
// find back to it; these two adapters are the whole of their contact.

// approvedTargets gives the monitors the approved assets.
type approvedTargets struct{ o *observe.Service }

func (t approvedTargets) ApprovedTargets(ctx context.Context) ([]monitor.Target, error) {
	assets, err := t.o.ApprovedAssets(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]monitor.Target, len(assets))
	for i, a := range assets {
		out[i] = monitor.Target{AssetID: a.ID, OrgID: a.OrgID, Kind: a.Kind, Value: a.Value}
	}
	return out, nil
}

// findingSink turns the monitors' findings into notices.
type findingSink struct{ o *observe.Service }

func (s findingSink) Report(ctx context.Context, f monitor.Finding) error {
	key := f.Key
	// A change that is an event (a DNS record set, a lookalike's records) keeps its key while
	// it changes again; the observation service notifies a condition once, so each new state
	// becomes a condition of its own. The monitor reports each event only once.
	if fp := f.Evidence["fingerprint"]; fp != "" && f.Problem {
		key += "#" + fp
	}
	return s.o.ReportFinding(ctx, observe.Finding{AssetID: f.AssetID, OrgID: f.OrgID, Check: f.Check, Key: key,
		Problem: f.Problem, Severity: f.Severity, ObservedAt: f.ObservedAt,
		TitleJA: f.TitleJA, TitleEN: f.TitleEN, BodyJA: f.BodyJA, BodyEN: f.BodyEN, ActionJA: f.ActionJA, ActionEN: f.ActionEN,
		Evidence: f.Evidence})
}
