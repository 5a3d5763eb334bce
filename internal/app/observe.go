package app

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
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

// matchTimeout bounds the matching of one write's values against the registered assets.
const matchTimeout = 30 * time.Second

// matchCaseObservables tells the organizations whose registered addresses or domains a
// filed case names, privately and without the case (observe.MatchObservables).
func matchCaseObservables(o *observe.Service, log *slog.Logger) func(model.Case) {
	return func(k model.Case) {
		values := make([]string, len(k.Observables))
		for i, ob := range k.Observables {
			values[i] = ob.Value
		}
		matchValues(o, log, []observe.Shared{{Source: "case:" + strconv.FormatInt(k.ID, 10), Values: values}})
	}
}

// matchIndicators does the same for indicators stored in a collection.
func matchIndicators(o *observe.Service, log *slog.Logger) func([]intel.Shared) {
	return func(items []intel.Shared) {
		shared := make([]observe.Shared, len(items))
		for i, it := range items {
			shared[i] = observe.Shared{Source: it.Source, Values: it.Values}
		}
		matchValues(o, log, shared)
	}
}

// matchValues runs after the item's own write has committed: a failure is logged and
// does not undo what the person did.
func matchValues(o *observe.Service, log *slog.Logger, items []observe.Shared) {
	ctx, cancel := context.WithTimeout(context.Background(), matchTimeout)
	defer cancel()
	if err := o.MatchShared(ctx, items); err != nil {
		log.Error("matching shared values against registered assets", "items", len(items), "err", err)
	}
}
