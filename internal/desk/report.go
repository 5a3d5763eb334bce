package desk

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// MaxReportWindow is the longest window of one report, and MaxReportCases the most cases
// it lists.
const (
	MaxReportWindow = 31 * 24 * time.Hour
	MaxReportCases  = 1000
)

// Report is the event-impact report of a time window (the seeds' AM/PM reports to the
// security coordination center): the cases filed in the window that affect the event's
// operations or are publicly visible, counted by category and state, each with a paragraph.
type Report struct {
	From, To   time.Time
	Cases      []ReportCase
	ByCategory []store.CaseCount
	ByState    []store.CaseCount
	Truncated  bool // more than MaxReportCases
}

// ReportCase is one case of a report, with its organization's names.
type ReportCase struct {
	Case   model.Case
	OrgJA  string
	OrgEN  string
	Status Status
}

// OrgName is the reporting organization's name in a language.
func (c ReportCase) OrgName(lang model.Lang) string {
	return model.Org{NameJA: c.OrgJA, NameEN: c.OrgEN}.Name(lang)
}

func checkWindow(from, to time.Time) error {
	switch {
	case from.IsZero() || to.IsZero() || !to.After(from):
		return fault.Field("to", "case.report_window")
	case to.Sub(from) > MaxReportWindow:
		return fault.Field("to", "case.report_window_too_long", "days", int(MaxReportWindow/(24*time.Hour)))
	}
	return nil
}

// EventReport builds the report of [from, to) (center staff).
func (s *Service) EventReport(ctx context.Context, p auth.Principal, from, to time.Time) (Report, error) {
	if !policy.CanViewInternalNotes(p.Actor) {
		return Report{}, forbidden()
	}
	if err := checkWindow(from, to); err != nil {
		return Report{}, err
	}
	c := s.db.Read()
	q := store.CaseQuery{Access: policy.CaseFilter(p.Actor), From: from, To: to, Reportable: true, Limit: MaxReportCases}
	r := Report{From: from, To: to}
	var err error
	if r.ByCategory, err = store.CountCases(ctx, c, q, "category"); err != nil {
		return r, err
	}
	if r.ByState, err = store.CountCases(ctx, c, q, "state"); err != nil {
		return r, err
	}
	cases, err := store.ListCases(ctx, c, q)
	if err != nil {
		return r, err
	}
	total := 0
	for _, x := range r.ByState {
		total += x.Count
	}
	r.Truncated = total > len(cases)
	slices.Reverse(cases) // oldest first, as a report reads
	orgs := map[int64]model.Org{}
	now := s.now()
	for _, k := range cases {
		o, ok := orgs[k.OrgID]
		if !ok {
			if o, err = store.GetOrg(ctx, c, k.OrgID); err != nil {
				return r, err
			}
			orgs[k.OrgID] = o
		}
		r.Cases = append(r.Cases, ReportCase{Case: k, OrgJA: o.NameJA, OrgEN: o.NameEN, Status: StatusOf(k, now)})
	}
	return r, nil
}

// RecordExport audits the download of a report.
func (s *Service) RecordExport(ctx context.Context, p auth.Principal, r Report, format string) error {
	now := s.now()
	return s.db.Write(ctx, func(c store.Conn) error {
		_, err := audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "case.report_exported", TargetType: "case_report",
			Detail: map[string]any{"from": r.From.UTC().Format(time.RFC3339), "to": r.To.UTC().Format(time.RFC3339), "format": format,
				"cases": len(r.Cases)}}, now)
		return err
	})
}

// Markdown writes the report as Markdown in a language and time zone.
func (r Report) Markdown(lang model.Lang, loc *time.Location) string {
	t := func(key string, args ...any) string { return i18n.T(lang, key, args...) }
	at := func(x time.Time) string {
		if x.IsZero() {
			return "—"
		}
		return x.In(loc).Format("2006-01-02 15:04 MST")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s: %s – %s\n\n", t("deskreport.title"), t("deskreport.window"), at(r.From), at(r.To))
	fmt.Fprintf(&b, "## %s\n\n", t("deskreport.summary"))
	fmt.Fprintf(&b, "%s: %d\n\n", t("deskreport.total"), sum(r.ByState))
	fmt.Fprintf(&b, "| %s | %s |\n| --- | ---: |\n", t("deskreport.category"), t("deskreport.count"))
	for _, x := range r.ByCategory {
		fmt.Fprintf(&b, "| %s | %d |\n", t("case_category."+x.Key), x.Count)
	}
	fmt.Fprintf(&b, "\n| %s | %s |\n| --- | ---: |\n", t("deskreport.state"), t("deskreport.count"))
	for _, x := range r.ByState {
		fmt.Fprintf(&b, "| %s | %d |\n", t("case_state."+x.Key), x.Count)
	}
	fmt.Fprintf(&b, "\n## %s\n\n", t("deskreport.cases"))
	if len(r.Cases) == 0 {
		fmt.Fprintf(&b, "%s\n", t("deskreport.none"))
	}
	for _, c := range r.Cases {
		k := c.Case
		fmt.Fprintf(&b, "### #%d %s\n\n", k.ID, mdEscape(k.Title))
		fmt.Fprintf(&b, "%s\n\n", t("deskreport.paragraph", "org", mdEscape(c.OrgName(lang)), "filed", at(k.CreatedAt),
			"category", t("case_category."+string(k.Category)), "urgency", t("urgency."+string(k.Urgency)),
			"state", t("case_state."+string(k.State)), "impact", t("impact."+string(k.EventImpact))))
		if k.PublicVisibility {
			fmt.Fprintf(&b, "%s\n\n", t("deskreport.public"))
		}
		fmt.Fprintf(&b, "%s\n\n", mdEscape(k.Description))
	}
	if r.Truncated {
		fmt.Fprintf(&b, "%s\n", t("deskreport.truncated", "max", MaxReportCases))
	}
	return b.String()
}

// CSV writes one row per case, with a header row in a language.
func (r Report) CSV(lang model.Lang, loc *time.Location) []byte {
	t := func(key string) string { return i18n.T(lang, key) }
	var buf bytes.Buffer
	buf.WriteString("\uFEFF") // spreadsheet programs read UTF-8 with a byte-order mark
	w := csv.NewWriter(&buf)
	w.Write([]string{"id", t("deskreport.col_filed"), t("deskreport.col_org"), t("deskreport.category"), t("deskreport.col_kind"), t("deskreport.col_urgency"),
		t("deskreport.state"), t("deskreport.col_impact"), t("deskreport.col_public"), t("deskreport.col_title"), t("deskreport.col_first_response"), t("deskreport.col_resolved")})
	at := func(x time.Time) string {
		if x.IsZero() {
			return ""
		}
		return x.In(loc).Format("2006-01-02 15:04")
	}
	for _, c := range r.Cases {
		k := c.Case
		w.Write([]string{fmt.Sprint(k.ID), at(k.CreatedAt), csvSafe(c.OrgName(lang)), t("case_category." + string(k.Category)),
			t("case_kind." + string(k.Kind)), t("urgency." + string(k.Urgency)), t("case_state." + string(k.State)),
			t("impact." + string(k.EventImpact)), fmt.Sprint(k.PublicVisibility), csvSafe(k.Title), at(k.FirstResponseAt), at(k.ResolvedAt)})
	}
	w.Flush()
	return buf.Bytes()
}

func sum(xs []store.CaseCount) int {
	n := 0
	for _, x := range xs {
		n += x.Count
	}
	return n
}

// mdEscape keeps text typed by reporters from becoming Markdown structure.
func mdEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "#", `\#`, "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "|", `\|`)
	return r.Replace(s)
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ---- Figures for metrics ----

// Figures are the desk's counts for metrics over a window: cases by category and kind, and
// per urgency the time to first response and to resolution.
type Figures struct {
	From, To   time.Time
	ByCategory []store.CaseCount
	ByKind     []store.CaseCount
	Urgencies  []UrgencyFigures
}

// UrgencyFigures are the response times of one urgency's cases.
type UrgencyFigures struct {
	Urgency             model.Urgency
	Cases               int
	Responded, Resolved int
	MedianResponse      time.Duration // 0 when none responded
	MedianResolution    time.Duration
}

// Figures computes the metrics of the cases filed in [from, to) that the viewer may see.
func (s *Service) Figures(ctx context.Context, p auth.Principal, from, to time.Time) (Figures, error) {
	if err := checkWindow(from, to); err != nil {
		return Figures{}, err
	}
	c := s.db.Read()
	q := store.CaseQuery{Access: policy.CaseFilter(p.Actor), From: from, To: to}
	f := Figures{From: from, To: to}
	var err error
	if f.ByCategory, err = store.CountCases(ctx, c, q, "category"); err != nil {
		return f, err
	}
	if f.ByKind, err = store.CountCases(ctx, c, q, "kind"); err != nil {
		return f, err
	}
	rows, urg, err := store.CaseDurations(ctx, c, q)
	if err != nil {
		return f, err
	}
	for _, u := range model.Urgencies {
		uf := UrgencyFigures{Urgency: u}
		var resp, res []int64
		for i, r := range rows {
			if urg[i] != u {
				continue
			}
			uf.Cases++
			if r[2] != 0 {
				resp = append(resp, r[2]-r[1])
			}
			if r[3] != 0 {
				res = append(res, r[3]-r[1])
			}
		}
		uf.Responded, uf.Resolved = len(resp), len(res)
		uf.MedianResponse, uf.MedianResolution = median(resp), median(res)
		f.Urgencies = append(f.Urgencies, uf)
	}
	return f, nil
}

func median(ms []int64) time.Duration {
	if len(ms) == 0 {
		return 0
	}
	slices.Sort(ms)
	m := ms[len(ms)/2]
	if len(ms)%2 == 0 {
		m = (ms[len(ms)/2-1] + ms[len(ms)/2]) / 2
	}
	return time.Duration(m) * time.Millisecond
}
