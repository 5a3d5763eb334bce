package monitor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/idna"

	"github.com/renkei-dev/renkei/internal/dnscheck"
	"github.com/renkei-dev/renkei/internal/store"
)

// asciiDomain returns a registered domain in the form resolvers take.
func asciiDomain(v string) (string, error) {
	d, err := idna.Lookup.ToASCII(strings.TrimSuffix(strings.TrimSpace(v), "."))
	if err != nil || d == "" || !strings.Contains(d, ".") {
		return "", fmt.Errorf("domain %q: not a domain name", v)
	}
	return strings.ToLower(d), nil
}

// fingerprint names a set of records briefly.
func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// dnsTypes are the record types watched on registered domains, in report order.
var dnsTypes = []string{"A", "AAAA", "NS", "MX"}

// checkDNS resolves a registered domain and compares its A, AAAA, NS and MX records with
// the last ones seen. The first run records them as the baseline without reporting; a
// later difference is reported once as a change and becomes the new baseline. A type the
// resolver gave no clear answer for keeps its baseline; a domain that stops existing
// (NXDOMAIN) is reported until it resolves again.
func (m *Monitor) checkDNS(ctx context.Context, j store.MonitorCheck, prev map[string]store.MonitorState) (outcome, error) {
	name, err := asciiDomain(j.TargetValue)
	if err != nil {
		return outcome{}, err
	}
	res := m.dns.Check(ctx, name)
	var o outcome
	nxVars := map[string]any{"domain": j.TargetValue}
	nx := cond{key: "dns:nxdomain", severity: SevCritical, evidence: map[string]string{"rcode": res.Rcode},
		msg:   message{TitleKey: "monitor.dns_nxdomain.title", BodyKey: "monitor.dns_nxdomain.body", ActionKey: "monitor.dns_nxdomain.action", Vars: nxVars},
		okMsg: message{TitleKey: "monitor.dns_resolves.title", BodyKey: "monitor.dns_resolves.body", ActionKey: "monitor.no_action", Vars: nxVars}}
	switch res.Status {
	case dnscheck.Unknown:
		return outcome{}, errors.New("DNS: no clear answer: " + res.Error)
	case dnscheck.Unregistered:
		nx.problem = true
		o.add(nx)
		return o, nil
	}
	o.add(nx)
	for _, typ := range dnsTypes {
		recs, ok := res.Records[typ]
		if !ok {
			continue // no clear answer for this type: the baseline stands
		}
		key := "dns:" + strings.ToLower(typ)
		data := strings.Join(recs, "\n")
		c := cond{key: key, mode: reportNever, data: data}
		if p, had := prev[key]; had && p.Data != data {
			before := splitLines(p.Data)
			added, removed := diff(before, recs)
			vars := map[string]any{"domain": j.TargetValue, "type": typ, "before": listOrNone(before), "after": listOrNone(recs)}
			sev := SevMedium
			if typ == "NS" {
				sev = SevHigh // the domain's servers moved: a hijack looks like this
			}
			c.mode, c.problem, c.severity = reportEvent, true, sev
			c.evidence = map[string]string{"type": typ, "before": p.Data, "after": data,
				"added": strings.Join(added, "\n"), "removed": strings.Join(removed, "\n"),
				"change": "changed", "fingerprint": fingerprint(typ, data)}
			c.msg = message{TitleKey: "monitor.dns_change.title", BodyKey: "monitor.dns_change.body", ActionKey: "monitor.dns_change.action", Vars: vars}
		}
		o.add(c)
	}
	return o, nil
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func diff(before, after []string) (added, removed []string) {
	for _, a := range after {
		if !slices.Contains(before, a) {
			added = append(added, a)
		}
	}
	for _, b := range before {
		if !slices.Contains(after, b) {
			removed = append(removed, b)
		}
	}
	return added, removed
}

// listOrNone joins records for a message; an empty list shows as "-".
func listOrNone(recs []string) string {
	if len(recs) == 0 {
		return "-"
	}
	return strings.Join(recs, ", ")
}
