package observe

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

// Finding is what a monitor observed about one condition of one approved asset.
type Finding struct {
	AssetID, OrgID int64
	Check          string // http, tls, dns, port, lookalike, ct
	// Key identifies the condition: "http:down", "port:3389", "lookalike:examp1e.jp".
	Key string
	// Problem: true when the condition holds, false when it is fine now.
	Problem    bool
	Severity   string
	ObservedAt time.Time
	TitleJA    string
	TitleEN    string
	BodyJA     string
	BodyEN     string
	ActionJA   string
	ActionEN   string
	Evidence   map[string]string
}

// kindOfCheck is the notice kind of a monitor's check.
var kindOfCheck = map[string]string{
	"http": NoticeDown, "tls": NoticeTLS, "dns": NoticeDNS, "port": NoticeExposed, "lookalike": NoticeLookalike, "ct": NoticePhishing,
}

// MaxKeyLen bounds a finding's condition key.
const MaxKeyLen = 300

func (f Finding) validate() error {
	var errs fault.List
	if _, ok := kindOfCheck[f.Check]; !ok {
		errs.Add("check", "observe.bad_check")
	}
	if f.Key == "" || len(f.Key) > MaxKeyLen {
		errs.Add("key", "observe.bad_key")
	}
	if !slices.Contains(Severities, f.Severity) {
		errs.Add("severity", "observe.bad_severity")
	}
	if strings.TrimSpace(f.TitleJA) == "" && strings.TrimSpace(f.TitleEN) == "" {
		errs.Add("title", "invalid.required")
	}
	if len(f.Evidence) > MaxEvidence {
		errs.Add("evidence", "observe.too_much_evidence", "max", MaxEvidence)
	}
	return errs.Err()
}

// ReportFinding turns a monitor's finding into a private notice to the asset's
// organization when it says something new: a problem first seen, a problem that became
// more severe, or a problem that is over. The same condition is not notified twice. The
// asset must be approved and belong to the organization named.
func (s *Service) ReportFinding(ctx context.Context, f Finding) error {
	if err := f.validate(); err != nil {
		return err
	}
	now := s.now()
	if f.ObservedAt.IsZero() {
		f.ObservedAt = now
	}
	return s.db.Write(ctx, func(c store.Conn) error {
		a, err := store.GetAsset(ctx, c, f.AssetID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (a.Status != StatusApproved || (f.OrgID != 0 && a.OrgID != f.OrgID))) {
			return fault.Field("asset_id", "observe.asset_not_watched")
		}
		if err != nil {
			return err
		}
		prev, err := store.GetCondition(ctx, c, a.ID, f.Key)
		seen := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		next := store.Condition{AssetID: a.ID, Key: f.Key, Problem: f.Problem, Severity: f.Severity, NoticeID: prev.NoticeID,
			ObservedAt: f.ObservedAt, ChangedAt: prev.ChangedAt}
		change := ""
		switch {
		case f.Problem && (!seen || !prev.Problem):
			change = "new"
		case f.Problem && severityRank(f.Severity) > severityRank(prev.Severity):
			change = "worsened"
		case !f.Problem && seen && prev.Problem:
			change = "recovered"
		}
		if !f.Problem && !(seen && prev.Problem) {
			next.Severity = f.Severity
		}
		if change != "" {
			next.ChangedAt = now
			if next.NoticeID, err = s.noticeOfFinding(ctx, c, a, f, change, now); err != nil {
				return err
			}
		} else if !seen {
			next.ChangedAt = now
		}
		return store.PutCondition(ctx, c, next)
	})
}

// noticeOfFinding writes the notice of a change of a condition.
func (s *Service) noticeOfFinding(ctx context.Context, c store.Conn, a store.Asset, f Finding, change string, now time.Time) (int64, error) {
	ev := map[string]string{}
	for k, v := range f.Evidence {
		if len([]rune(v)) > MaxEvidenceLen {
			v = string([]rune(v)[:MaxEvidenceLen])
		}
		ev[k] = v
	}
	ev["asset"], ev["condition"], ev["change"] = a.Value, f.Key, change
	b, _ := json.Marshal(ev)
	sev := f.Severity
	if change == "recovered" {
		sev = "info"
	}
	prefix := func(lang model.Lang, t string) string {
		if change == "new" || t == "" {
			return t
		}
		return i18n.T(lang, "observe.change."+change) + " " + t
	}
	clean := func(t string, max int) string {
		t, _ = model.CleanMultiline(t, max*4)
		if r := []rune(t); len(r) > max {
			t = string(r[:max])
		}
		return t
	}
	n := store.Notice{OrgID: a.OrgID, Source: SourceMonitor, Kind: kindOfCheck[f.Check], Severity: sev,
		TitleJA: clean(prefix(model.LangJA, f.TitleJA), MaxTitleLen), TitleEN: clean(prefix(model.LangEN, f.TitleEN), MaxTitleLen),
		BodyJA: clean(f.BodyJA, MaxBodyLen), BodyEN: clean(f.BodyEN, MaxBodyLen),
		ActionJA: clean(f.ActionJA, MaxActionLen), ActionEN: clean(f.ActionEN, MaxActionLen),
		Evidence: string(b), AssetID: a.ID, ObservedAt: f.ObservedAt}
	if change == "recovered" {
		n.ActionJA, n.ActionEN = "", ""
	}
	id, err := store.InsertNotice(ctx, c, n, now)
	if err != nil {
		return 0, err
	}
	_, err = audit.Append(ctx, c, audit.Entry{Actor: auth.System().AuditActor(), Action: "notice.finding", TargetType: "notice", TargetID: id,
		Detail: map[string]any{"org_id": a.OrgID, "asset_id": a.ID, "key": f.Key, "change": change, "severity": sev}}, now)
	return id, err
}

// MatchObservables tells each organization privately when shared intelligence (an
// indicator, a sighting, a case observable: source names it, e.g. "indicator:42") names an
// IP address inside one of its approved addresses or ranges, or a host equal to or under
// one of its approved domains. The notice names only the matching value and the
// organization's own asset, never the source; the same value from the same source is
// notified once.
func (s *Service) MatchObservables(ctx context.Context, source string, values []string) error {
	return s.MatchShared(ctx, []Shared{{Source: source, Values: values}})
}

// Shared is one item of shared intelligence for MatchShared: its source and the values
// it names.
type Shared struct {
	Source string
	Values []string
}

// MaxSharedBatch is how many items MatchShared matches in one transaction.
const MaxSharedBatch = 500

// MatchShared is MatchObservables for many items (a TAXII envelope, an import), a few
// hundred per transaction rather than one each.
func (s *Service) MatchShared(ctx context.Context, items []Shared) error {
	for _, it := range items {
		if it.Source == "" || len(it.Source) > 200 {
			return fault.Field("source", "observe.bad_source")
		}
		if len(it.Values) > MaxMatchValues {
			return fault.Field("values", "observe.too_many_values", "max", MaxMatchValues)
		}
	}
	for len(items) > 0 {
		n := min(len(items), MaxSharedBatch)
		if err := s.matchBatch(ctx, items[:n]); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}

func (s *Service) matchBatch(ctx context.Context, items []Shared) error {
	now := s.now()
	return s.db.Write(ctx, func(c store.Conn) error {
		// One look-up for the whole batch first: most shared values cover no asset, and
		// a query per value was most of the cost of a TAXII POST.
		var addrs, hosts []string
		for _, it := range items {
			for _, raw := range it.Values {
				_, addr, hs := observable(raw)
				if addr != "" {
					addrs = append(addrs, addr)
				}
				hosts = append(hosts, hs...)
			}
		}
		covered, err := store.CoveredKeys(ctx, c, addrs, hosts)
		if err != nil {
			return err
		}
		for _, it := range items {
			for _, raw := range it.Values {
				if !coveredValue(raw, covered) {
					continue
				}
				if err := s.matchValue(ctx, c, it.Source, raw, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// coveredValue says whether CoveredKeys found an asset for the value.
func coveredValue(raw string, covered map[string]bool) bool {
	_, addr, hosts := observable(raw)
	if addr != "" && covered[addr] {
		return true
	}
	for _, h := range hosts {
		if covered[h] {
			return true
		}
	}
	return false
}

// matchValue notifies each organization owning an asset that covers the value, once per
// source and value.
func (s *Service) matchValue(ctx context.Context, c store.Conn, source, raw string, now time.Time) error {
	value, addr, hosts := observable(raw)
	if addr == "" && len(hosts) == 0 {
		return nil
	}
	assets, err := store.AssetsCovering(ctx, c, addr, hosts)
	if err != nil {
		return err
	}
	done := map[int64]bool{}
	for _, a := range assets {
		if done[a.OrgID] {
			continue
		}
		done[a.OrgID] = true
		fresh, err := store.ClaimMatch(ctx, c, a.OrgID, source, value, now)
		if err != nil {
			return err
		}
		if !fresh {
			continue
		}
		id, err := s.noticeOfMatch(ctx, c, a, value, now)
		if err != nil {
			return err
		}
		if err := store.SetMatchNotice(ctx, c, a.OrgID, source, value, id); err != nil {
			return err
		}
	}
	return nil
}

// observable reads a value as an IP address (its key) or a host name (its reversed forms,
// itself and the domains above it), from a bare value or a URL.
func observable(raw string) (value, addr string, hosts []string) {
	v := strings.TrimSpace(raw)
	if v == "" || len(v) > MaxValueLen {
		return "", "", nil
	}
	if ip, err := netip.ParseAddr(v); err == nil {
		ip = ip.Unmap().WithZone("")
		return ip.String(), addrKey(ip), nil
	}
	host := v
	if strings.Contains(v, "://") {
		// Only the host of a URL is told: its path and query are the source's, not the
		// organization's.
		var a store.Asset
		a.Kind = KindURL
		if fill(&a, v) != nil {
			return "", "", nil
		}
		if a.AddrLo != "" {
			u, _ := url.Parse(a.Value)
			ip, _ := netip.ParseAddr(u.Hostname())
			return ip.Unmap().String(), a.AddrLo, nil
		}
		host = reverseHost(a.HostRev)
	}
	h, err := hostName(strings.TrimSuffix(host, "."))
	if err != nil {
		return "", "", nil
	}
	rev := reverseHost(h)
	return h, "", append([]string{rev}, parentHosts(rev)...)
}

func (s *Service) noticeOfMatch(ctx context.Context, c store.Conn, a store.Asset, value string, now time.Time) (int64, error) {
	ev, _ := json.Marshal(map[string]string{"value": value, "asset": a.Value})
	n := store.Notice{OrgID: a.OrgID, Source: SourceMatch, Kind: NoticeMatch, Severity: "medium",
		TitleJA:  i18n.T(model.LangJA, "observe.match_title", "value", value),
		TitleEN:  i18n.T(model.LangEN, "observe.match_title", "value", value),
		BodyJA:   i18n.T(model.LangJA, "observe.match_body", "value", value, "asset", a.Value),
		BodyEN:   i18n.T(model.LangEN, "observe.match_body", "value", value, "asset", a.Value),
		ActionJA: i18n.T(model.LangJA, "observe.match_action"),
		ActionEN: i18n.T(model.LangEN, "observe.match_action"),
		Evidence: string(ev), AssetID: a.ID, ObservedAt: now}
	id, err := store.InsertNotice(ctx, c, n, now)
	if err != nil {
		return 0, err
	}
	_, err = audit.Append(ctx, c, audit.Entry{Actor: auth.System().AuditActor(), Action: "notice.match", TargetType: "notice", TargetID: id,
		Detail: map[string]any{"org_id": a.OrgID, "asset_id": a.ID}}, now)
	return id, err
}
