package monitor

import (
	"time"

	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

// message names the catalog texts of a finding (internal/i18n/catalog/monitor.*.json) and
// the values of their placeholders.
type message struct {
	TitleKey, BodyKey, ActionKey string
	Vars                         map[string]any
}

// render returns the texts in Japanese and English.
func (msg message) render() (titleJA, titleEN, bodyJA, bodyEN, actionJA, actionEN string) {
	t := func(l model.Lang, key string) string { return i18n.Format(l, key, msg.Vars) }
	return t(model.LangJA, msg.TitleKey), t(model.LangEN, msg.TitleKey),
		t(model.LangJA, msg.BodyKey), t(model.LangEN, msg.BodyKey),
		t(model.LangJA, msg.ActionKey), t(model.LangEN, msg.ActionKey)
}

// reportMode says when a condition becomes a finding.
type reportMode int

const (
	// reportState: a condition that holds is reported each run; one that held at the last
	// run and no longer does is reported once as recovered (with okMsg).
	reportState reportMode = iota
	// reportEvent: reported once, now (a DNS change, a new lookalike), with Problem as set.
	reportEvent
	// reportNever: only the state is kept (a DNS baseline).
	reportNever
)

// cond is one condition a check evaluated in this run.
type cond struct {
	key      string
	mode     reportMode
	problem  bool
	severity string
	msg      message // when it holds, or the event
	okMsg    message // when it recovered (reportState)
	evidence map[string]string
	data     string // kept in the state for the next run
	forget   bool   // drop the state after reporting
}

// outcome is what one run of a check found. Conditions a run could not evaluate are
// absent: their last state stands.
type outcome struct {
	conds []cond
}

func (o *outcome) add(c cond) { o.conds = append(o.conds, c) }

// resolve turns a run's conditions into findings and the state to save. A condition kept
// only while it is a problem (reportState) has no state row once it is fine.
func (m *Monitor) resolve(j store.MonitorCheck, out outcome, prev map[string]store.MonitorState, now time.Time) (findings []Finding, put []store.MonitorState, drop []string) {
	finding := func(c cond, problem bool, msg message) Finding {
		f := Finding{AssetID: j.AssetID, OrgID: j.OrgID, Check: j.Check, Key: c.key, Problem: problem,
			Severity: c.severity, ObservedAt: now, Evidence: c.evidence}
		if !problem && c.mode == reportState {
			f.Severity = SevInfo
		}
		f.TitleJA, f.TitleEN, f.BodyJA, f.BodyEN, f.ActionJA, f.ActionEN = msg.render()
		if f.Evidence == nil {
			f.Evidence = map[string]string{}
		}
		f.Evidence["target"] = j.TargetValue
		return f
	}
	for _, c := range out.conds {
		p, had := prev[c.key]
		switch c.mode {
		case reportState:
			switch {
			case c.problem:
				findings = append(findings, finding(c, true, c.msg))
				put = append(put, store.MonitorState{Key: c.key, Problem: true, Severity: c.severity, Data: c.data, UpdatedAt: now})
			case had && p.Problem:
				findings = append(findings, finding(c, false, c.okMsg))
				drop = append(drop, c.key)
			case had:
				drop = append(drop, c.key)
			}
			continue
		case reportEvent:
			findings = append(findings, finding(c, c.problem, c.msg))
		}
		if c.forget {
			if had {
				drop = append(drop, c.key)
			}
			continue
		}
		if !had || p.Problem != c.problem || p.Severity != c.severity || p.Data != c.data {
			put = append(put, store.MonitorState{Key: c.key, Problem: c.problem, Severity: c.severity, Data: c.data, UpdatedAt: now})
		}
	}
	return findings, put, drop
}
