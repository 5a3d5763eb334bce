package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/renkei-dev/renkei/internal/dnscheck"
	"github.com/renkei-dev/renkei/internal/lookalike"
	"github.com/renkei-dev/renkei/internal/store"
)

// lookalikeSeen is what is kept of a lookalike name seen registered.
type lookalikeSeen struct {
	Family  string          `json:"family"`
	Unicode string          `json:"unicode"`
	Result  dnscheck.Result `json:"result"`
}

const lookalikePrefix = "lookalike:"

// checkLookalikes generates the lookalike candidates of a registered domain, resolves
// them through the configured resolver (with its rate limit) and reports only what
// differs from the last sweep: a name newly registered, a registered name whose records
// changed, and one that no longer exists. An unknown answer (SERVFAIL, timeout) is never
// taken for "registered", nor does it forget a name seen registered before.
func (m *Monitor) checkLookalikes(ctx context.Context, j store.MonitorCheck, prev map[string]store.MonitorState) (outcome, error) {
	cands, err := lookalike.Generate(j.TargetValue, lookalike.Options{Families: m.cfg.LookalikeFamilies})
	if err != nil {
		return outcome{}, err
	}
	truncated := len(cands) > m.cfg.MaxCandidates
	if truncated {
		cands = cands[:m.cfg.MaxCandidates]
	}
	byName := make(map[string]lookalike.Candidate, len(cands))
	names := make([]string, len(cands))
	for i, c := range cands {
		names[i] = c.Domain
		byName[c.Domain] = c
	}
	var before []dnscheck.Result
	seen := map[string]lookalikeSeen{}
	for k, s := range prev {
		if !strings.HasPrefix(k, lookalikePrefix) {
			continue
		}
		var ls lookalikeSeen
		if err := json.Unmarshal([]byte(s.Data), &ls); err != nil {
			continue // unreadable: as if never seen
		}
		seen[ls.Result.Name] = ls
		before = append(before, ls.Result)
	}
	cur, sweepErr := m.dns.CheckAll(ctx, names)
	for i := range cur {
		if cur[i].Name == "" { // not resolved before the sweep's time ran out
			cur[i] = dnscheck.Result{Name: names[i], Status: dnscheck.Unknown, Error: "not resolved"}
		}
	}
	changes, _ := dnscheck.Compare(before, cur)
	var o outcome
	for _, ch := range changes {
		c, ok := byName[ch.Name]
		if !ok {
			continue
		}
		fam, uni := c.Family, c.Unicode
		if ls, ok := seen[ch.Name]; ok && ch.Kind == dnscheck.KindGone {
			fam, uni = ls.Family, ls.Unicode
		}
		ev := map[string]string{"domain": ch.Name, "unicode": uni, "family": fam, "imitates": j.TargetValue,
			"change": string(ch.Kind)}
		for _, t := range dnsTypes {
			if r := ch.After.Records[t]; len(r) > 0 {
				ev[strings.ToLower(t)] = strings.Join(r, "\n")
			}
		}
		records := recordSummary(ch.After.Records)
		vars := map[string]any{"domain": uni, "ascii": ch.Name, "family": fam, "asset": j.TargetValue, "records": records}
		sev := SevMedium
		if len(ch.After.Records["MX"]) > 0 {
			sev = SevHigh // it can send and receive mail: phishing-ready
		}
		data, _ := json.Marshal(lookalikeSeen{Family: fam, Unicode: uni, Result: ch.After})
		cd := cond{key: lookalikePrefix + ch.Name, mode: reportEvent, problem: true, severity: sev, evidence: ev, data: string(data)}
		switch ch.Kind {
		case dnscheck.KindNew:
			cd.msg = message{TitleKey: "monitor.lookalike_new.title", BodyKey: "monitor.lookalike_new.body", ActionKey: "monitor.lookalike_new.action", Vars: vars}
		case dnscheck.KindChanged:
			if ch.Before != nil {
				ev["before"] = recordSummary(ch.Before.Records)
			}
			cd.msg = message{TitleKey: "monitor.lookalike_changed.title", BodyKey: "monitor.lookalike_changed.body", ActionKey: "monitor.lookalike_new.action", Vars: vars}
		case dnscheck.KindGone:
			cd.problem, cd.severity, cd.forget = false, SevInfo, true
			cd.msg = message{TitleKey: "monitor.lookalike_gone.title", BodyKey: "monitor.lookalike_gone.body", ActionKey: "monitor.no_action", Vars: vars}
		}
		ev["fingerprint"] = fingerprint(ch.Name, string(ch.Kind), records)
		o.add(cd)
	}
	if sweepErr != nil {
		return o, fmt.Errorf("lookalike sweep cut short: %w", sweepErr)
	}
	if truncated {
		return o, fmt.Errorf("only the first %d candidates were resolved (limit)", m.cfg.MaxCandidates)
	}
	return o, nil
}

// recordSummary lists records for a message: "A 192.0.2.1; MX 10 mx.example.".
func recordSummary(recs map[string][]string) string {
	var parts []string
	for _, t := range dnsTypes {
		for _, r := range recs[t] {
			parts = append(parts, t+" "+r)
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}
