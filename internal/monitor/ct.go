package monitor

import (
	"context"
	"strings"
	"time"

	"golang.org/x/net/idna"

	"github.com/renkei-dev/renkei/internal/store"
)

// CTEntry is one certificate seen in a Certificate Transparency log.
type CTEntry struct {
	Names     []string // DNS names of the certificate (subject alternative names)
	Issuer    string
	NotBefore time.Time
	Source    string // which log, and where in it
}

// CTSource is a feed of newly logged certificates, read from a cursor. An empty cursor
// means "from now on": the source returns no entries and the cursor of its current end,
// so that a new keyword does not bring up the log's whole history.
type CTSource interface {
	Entries(ctx context.Context, cursor string, limit int) (entries []CTEntry, next string, err error)
}

// ctPage and ctMaxEntries bound one run of a keyword's CT check.
const (
	ctPage       = 1000
	ctMaxEntries = 100000
)

const ctCursorKey = "ct:cursor"

// checkCT reads the certificates logged since the last run and reports each name that
// contains the brand keyword (in ASCII or Unicode form), once.
func (m *Monitor) checkCT(ctx context.Context, j store.MonitorCheck, prev map[string]store.MonitorState) (outcome, error) {
	kw := strings.ToLower(strings.TrimSpace(j.TargetValue))
	var o outcome
	if kw == "" {
		return o, nil
	}
	cursor := prev[ctCursorKey].Data
	reported := map[string]bool{}
	var err error
	for read := 0; read < ctMaxEntries; {
		var entries []CTEntry
		var next string
		entries, next, err = m.cfg.CT.Entries(ctx, cursor, ctPage)
		if err != nil {
			break
		}
		for _, e := range entries {
			for _, n := range e.Names {
				name := strings.ToLower(strings.TrimPrefix(strings.TrimSuffix(n, "."), "*."))
				uni, _ := idna.ToUnicode(name)
				key := "ct:" + name
				if reported[key] || !(strings.Contains(name, kw) || strings.Contains(strings.ToLower(uni), kw)) {
					continue
				}
				if _, had := prev[key]; had {
					continue
				}
				reported[key] = true
				vars := map[string]any{"domain": uni, "keyword": j.TargetValue, "issuer": e.Issuer}
				o.add(cond{key: key, mode: reportEvent, problem: true, severity: SevMedium, data: e.Source,
					evidence: map[string]string{"domain": name, "unicode": uni, "keyword": j.TargetValue, "issuer": e.Issuer,
						"not_before": e.NotBefore.UTC().Format(time.RFC3339), "source": e.Source, "change": "new",
						"fingerprint": fingerprint(name)},
					msg: message{TitleKey: "monitor.ct_match.title", BodyKey: "monitor.ct_match.body", ActionKey: "monitor.ct_match.action", Vars: vars}})
			}
		}
		read += len(entries)
		done := next == cursor || len(entries) < ctPage
		cursor = next
		if done {
			break
		}
	}
	// The cursor moves only as far as was read, even when the feed failed half-way.
	o.add(cond{key: ctCursorKey, mode: reportNever, data: cursor})
	return o, err
}
