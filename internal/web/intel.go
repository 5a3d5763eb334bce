package web

// Indicator pages: the list with filters, bulk entry from pasted text with a preview, and
// one indicator with its versions, source, correlation and sightings.

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/ioc"
	"github.com/renkei-dev/renkei/internal/model"
)

func (web *Web) intelRoutes(h func(string, http.HandlerFunc), s func(http.HandlerFunc) http.HandlerFunc) {
	h("GET /indicators", s(web.indicatorsPage))
	h("GET /indicators/new", s(web.indicatorNewPage))
	h("POST /indicators/new", s(web.indicatorNewPost))
	h("GET /indicators/{id}", s(web.indicatorPage))
	h("POST /indicators/{id}/sightings", s(web.sightingPost))
	web.intelLinkRoutes(h, s) // links to topics and cases (intellinks.go)
}

// IndicatorValues joins an indicator's values for a list cell.
func (p *page) IndicatorValues(i intel.Indicator) string {
	var vals []string
	for _, v := range i.Values {
		vals = append(vals, v.Value)
	}
	if len(vals) == 0 {
		return i.Name
	}
	return strings.Join(vals, ", ")
}

// KindName names a value kind.
func (p *page) KindName(k string) string { return p.T("webintel.kind." + k) }

// Micro prints stored microseconds as a time in the person's zone.
func (p *page) Micro(us int64) string {
	if us == 0 {
		return "—"
	}
	return p.Time(time.UnixMicro(us))
}

// IndicatorValid says whether an indicator is in force now.
func (p *page) IndicatorValid(i intel.Indicator) bool { return i.Valid(time.Now()) }

type indicatorsData struct {
	Collections []intel.Collection
	CanAdd      bool
	Kinds       []ioc.Kind
	TLPs        []model.TLP
	Query       struct {
		Collection int64
		Kind, TLP  string
		Value      string
		Valid      bool
	}
	Items []intel.Indicator
	Next  int64
}

const indicatorPage = 50

func (web *Web) indicatorsPage(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	p := web.newPage(w, r, "webintel.list_title", "indicators")
	d := &indicatorsData{Kinds: ioc.Kinds, TLPs: model.TLPs}
	var err error
	if d.Collections, err = web.app.Intel.Collections(r.Context(), pr); err != nil {
		web.fail(w, r, err)
		return
	}
	for _, k := range d.Collections {
		d.CanAdd = d.CanAdd || k.CanWrite
	}
	v := r.URL.Query()
	d.Query.Collection, _ = strconv.ParseInt(v.Get("collection"), 10, 64)
	d.Query.Kind, d.Query.Value, d.Query.Valid = v.Get("kind"), strings.TrimSpace(v.Get("value")), v.Get("valid") == "1"
	q := intel.IndicatorQuery{CollectionID: d.Query.Collection, Value: d.Query.Value, ValidOnly: d.Query.Valid, Limit: indicatorPage}
	if d.Query.Kind != "" {
		for _, k := range ioc.Kinds {
			if string(k) == d.Query.Kind {
				q.Kind = d.Query.Kind
			}
		}
	}
	if t := v.Get("tlp"); t != "" {
		if tlp, err := model.ParseTLP(t); err == nil {
			q.TLP, d.Query.TLP = string(tlp), string(tlp)
		}
	}
	q.Before, _ = strconv.ParseInt(v.Get("before"), 10, 64)
	if d.Items, err = web.app.Intel.Indicators(r.Context(), pr, q); err != nil {
		web.fail(w, r, err)
		return
	}
	if len(d.Items) == indicatorPage {
		d.Next = d.Items[len(d.Items)-1].Seq
	}
	p.Data = d
	web.render(w, r, http.StatusOK, "intel_list", p)
}

type indicatorNewData struct {
	Collections []intel.Collection // those the person may write
	TLPs        []model.TLP
	In          struct {
		Collection  int64
		Text, TLP   string
		Confidence  string
		ValidDays   string
		Description string
	}
	Preview *ioc.Result
}

func (web *Web) renderIndicatorNew(w http.ResponseWriter, r *http.Request, status int, d *indicatorNewData, err error) {
	p := web.newPage(w, r, "webintel.new_title", "indicators")
	if err != nil {
		p.setErrors(err)
	}
	all, lerr := web.app.Intel.Collections(r.Context(), httpx.MustPrincipal(r))
	if lerr != nil {
		web.fail(w, r, lerr)
		return
	}
	for _, k := range all {
		if k.CanWrite {
			d.Collections = append(d.Collections, k)
		}
	}
	d.TLPs = []model.TLP{model.TLPClear, model.TLPGreen, model.TLPAmber, model.TLPAmberStrict, model.TLPRed}
	p.Data = d
	web.render(w, r, status, "intel_new", p)
}

func (web *Web) indicatorNewPage(w http.ResponseWriter, r *http.Request) {
	d := &indicatorNewData{}
	d.In.TLP, d.In.Confidence, d.In.ValidDays = "amber", "", "90"
	d.In.Collection, _ = strconv.ParseInt(r.URL.Query().Get("collection"), 10, 64)
	web.renderIndicatorNew(w, r, http.StatusOK, d, nil)
}

func (web *Web) indicatorNewPost(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	d := &indicatorNewData{}
	d.In.Collection, _ = strconv.ParseInt(r.PostFormValue("collection"), 10, 64)
	d.In.Text, d.In.TLP = r.PostFormValue("text"), r.PostFormValue("tlp")
	d.In.Confidence, d.In.ValidDays = strings.TrimSpace(r.PostFormValue("confidence")), strings.TrimSpace(r.PostFormValue("valid_days"))
	d.In.Description = r.PostFormValue("description")
	res, err := web.app.Intel.Preview(d.In.Text)
	if err != nil {
		web.renderIndicatorNew(w, r, statusOf(fault.KindOf(err)), d, err)
		return
	}
	d.Preview = &res
	if !r.PostForm.Has("create") {
		web.renderIndicatorNew(w, r, http.StatusOK, d, nil)
		return
	}
	in := intel.EntryInput{CollectionID: d.In.Collection, Text: d.In.Text, TLP: d.In.TLP, Confidence: -1, Description: d.In.Description}
	var errs fault.List
	if d.In.Confidence != "" {
		n, err := strconv.Atoi(d.In.Confidence)
		if err != nil {
			errs.Add("confidence", "intel.bad_confidence")
		}
		in.Confidence = n
	}
	if d.In.ValidDays != "" {
		n, err := strconv.Atoi(d.In.ValidDays)
		if err != nil {
			errs.Add("valid_days", "intel.bad_valid_days", "max", intel.MaxValidDays)
		}
		in.ValidDays = n
	}
	if err := errs.Err(); err != nil {
		web.renderIndicatorNew(w, r, statusOf(fault.Invalid), d, err)
		return
	}
	_, err = web.app.Intel.CreateIndicators(r.Context(), pr, in)
	if err != nil {
		if fault.KindOf(err) != fault.Invalid {
			web.fail(w, r, err)
			return
		}
		web.renderIndicatorNew(w, r, statusOf(fault.Invalid), d, err)
		return
	}
	web.redirectFlash(w, r, "/indicators?collection="+strconv.FormatInt(d.In.Collection, 10), "flash.indicators_created")
}

type indicatorData struct {
	intel.ObjectView
	CanSight bool
	Count    string
	OrgNames map[int64]string
	// The link form as typed (intellinks.go).
	LinkKind, LinkTarget string
}

func (web *Web) renderIndicator(w http.ResponseWriter, r *http.Request, status int, count string, err error) {
	web.renderIndicatorWith(w, r, status, err, func(d *indicatorData) { d.Count = count })
}

// renderIndicatorWith shows an indicator's page; typed puts back what a failed form held.
func (web *Web) renderIndicatorWith(w http.ResponseWriter, r *http.Request, status int, err error, typed func(*indicatorData)) {
	pr := httpx.MustPrincipal(r)
	v, verr := web.app.Intel.Object(r.Context(), pr, idParam(r, "id"))
	if verr != nil {
		web.fail(w, r, verr)
		return
	}
	p := web.newPage(w, r, "webintel.indicator_title", "indicators")
	if err != nil {
		p.setErrors(err)
	}
	d := &indicatorData{ObjectView: v, CanSight: v.Version.Type == "indicator", Count: "1", OrgNames: map[int64]string{}}
	typed(d)
	for _, si := range v.Sightings {
		if o, err := web.app.Directory.GetOrg(r.Context(), pr, si.OrgID); err == nil {
			d.OrgNames[si.OrgID] = p.OrgName(o)
		}
	}
	p.Data = d
	web.render(w, r, status, "intel_indicator", p)
}

func (web *Web) indicatorPage(w http.ResponseWriter, r *http.Request) {
	web.renderIndicator(w, r, http.StatusOK, "1", nil)
}

func (web *Web) sightingPost(w http.ResponseWriter, r *http.Request) {
	id := idParam(r, "id")
	count := strings.TrimSpace(r.PostFormValue("count"))
	n, perr := strconv.Atoi(count)
	if perr != nil {
		n = 0
	}
	err := web.app.Intel.RecordSighting(r.Context(), httpx.MustPrincipal(r), id, intel.SightingInput{Count: n})
	if err != nil {
		if fault.KindOf(err) != fault.Invalid {
			web.fail(w, r, err)
			return
		}
		web.renderIndicator(w, r, statusOf(fault.Invalid), count, err)
		return
	}
	web.redirectFlash(w, r, "/indicators/"+strconv.FormatInt(id, 10), "flash.sighting_recorded")
}

// TLPLabel prints a stored TLP as TLP:AMBER; TLPStyle is its badge class.
func (p *page) TLPLabel(s string) string { return model.TLP(s).Label() }

// TLPStyle is the badge class of a stored TLP.
func (p *page) TLPStyle(s string) string { return p.TLPClass(model.TLP(s)) }

// reasonKeys name why a pasted word was not taken.
var reasonKeys = map[ioc.Reason]string{
	ioc.BadIPv4: "webintel.reason.invalid_ipv4", ioc.BadIPv6: "webintel.reason.invalid_ipv6", ioc.BadCIDR: "webintel.reason.invalid_cidr",
	ioc.CIDRHostBits: "webintel.reason.cidr_host_bits", ioc.BadDomain: "webintel.reason.invalid_domain", ioc.UnknownTLD: "webintel.reason.unknown_tld",
	ioc.PublicSuffix: "webintel.reason.public_suffix", ioc.FileName: "webintel.reason.looks_like_file_name", ioc.BadURL: "webintel.reason.invalid_url",
	ioc.BadEmail: "webintel.reason.invalid_email", ioc.BadHashLength: "webintel.reason.hash_length",
}

// ReasonText says in the page's language why a word was not taken.
func (p *page) ReasonText(r ioc.Reason) string {
	if k, ok := reasonKeys[r]; ok {
		return p.T(k)
	}
	return string(r)
}
