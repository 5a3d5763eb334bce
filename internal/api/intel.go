package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/ioc"
	"github.com/renkei-dev/renkei/internal/model"
)

// ---- Indicators (the people's side of indicator sharing; machines use TAXII) ----

// Collection is a TAXII collection as the API shows it.
type Collection struct {
	ID          int64  `json:"id"`
	TaxiiID     string `json:"taxii_id" doc:"the collection id under /taxii2/renkei/collections/"`
	Title       string `json:"title"`
	Description string `json:"description"`
	CommunityID int64  `json:"community_id,omitempty"`
	OrgID       int64  `json:"org_id,omitempty"`
	CanWrite    bool   `json:"can_write"`
	DefaultTLP  string `json:"default_tlp"`
}

// IndicatorValue is one observable value of an indicator's pattern.
type IndicatorValue struct {
	Kind       string `json:"kind" doc:"ipv4, ipv6, cidr, domain, url, email, md5, sha1 or sha256"`
	Value      string `json:"value"`
	Sufficient bool   `json:"sufficient" doc:"the value alone matches the pattern (it goes to blocklists)"`
}

// Indicator is the latest version of a STIX indicator the caller may see.
type Indicator struct {
	ID           int64            `json:"id" doc:"the version's number in Renkei"`
	StixID       string           `json:"stix_id"`
	CollectionID int64            `json:"collection_id"`
	Name         string           `json:"name"`
	Version      string           `json:"version"`
	DateAdded    time.Time        `json:"date_added"`
	TLP          string           `json:"tlp"`
	Confidence   *int             `json:"confidence,omitempty"`
	ValidUntil   *time.Time       `json:"valid_until,omitempty"`
	Revoked      bool             `json:"revoked"`
	Values       []IndicatorValue `json:"values"`
}

// IndicatorDetail is an indicator with its STIX object, versions, correlation and
// sightings.
type IndicatorDetail struct {
	Indicator
	Object     json.RawMessage `json:"object" doc:"the STIX object exactly as received"`
	Versions   []string        `json:"versions"`
	Correlated []Indicator     `json:"correlated" doc:"other indicators sharing a value, among those the caller may see"`
	Sightings  []Sighting      `json:"sightings"`
	// Topics and cases the caller may open that share a value, and the links the caller
	// may see (intellinks.go).
	Topics []RelatedItem   `json:"topics" doc:"topics sharing a value, among those the caller may see (at most 50)"`
	Cases  []RelatedItem   `json:"cases" doc:"cases sharing a value, among those the caller may see (at most 50)"`
	Links  []IndicatorLink `json:"links" doc:"links to topics and cases, shown only when the caller may see both ends"`
}

// Sighting is one organization's record of an indicator.
type Sighting struct {
	OrgID     int64     `json:"org_id"`
	Count     int       `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// SightingInput records sightings.
type SightingInput struct {
	Count     int        `json:"count"`
	FirstSeen *time.Time `json:"first_seen,omitempty"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
}

// IndicatorEntry creates indicators from pasted text.
type IndicatorEntry struct {
	CollectionID int64  `json:"collection_id"`
	Text         string `json:"text" doc:"IPs, CIDRs, domains, URLs, emails and MD5/SHA-1/SHA-256 hashes, defanged or not"`
	TLP          string `json:"tlp"`
	Confidence   *int   `json:"confidence,omitempty" doc:"0–100"`
	ValidDays    int    `json:"valid_days,omitempty" doc:"valid_until this many days from now; 0 for none"`
	Description  string `json:"description,omitempty"`
	Preview      bool   `json:"preview,omitempty" doc:"only recognise the values; create nothing"`
}

// EntryItem is one value recognised in pasted text.
type EntryItem struct {
	Kind     string `json:"kind"`
	Value    string `json:"value"`
	Count    int    `json:"count"`
	Refanged bool   `json:"refanged"`
}

// EntryRejected is a word that looked like an indicator but was not valid.
type EntryRejected struct {
	Line   int    `json:"line"`
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

// EntryResult is the preview, or the indicators created.
type EntryResult struct {
	Items    []EntryItem     `json:"items"`
	Rejected []EntryRejected `json:"rejected"`
	Created  []int64         `json:"created" doc:"ids of the indicators created (empty for a preview)"`
}

func (x *API) intelRoutes() {
	x.add(&op{Method: "GET", Path: "/collections", ID: "listCollections", Tag: "indicators", Summary: "Indicator collections the caller may read",
		Resp: List[Collection]{}, Handle: x.listCollections})
	x.add(&op{Method: "POST", Path: "/collections/{id}/misp", ID: "importMISP", Tag: "indicators",
		Summary: "Import one MISP event (MISP JSON, as in a MISP feed's event files) as STIX indicators; the body is the file",
		Upload:  true, MaxBody: func() int64 { return MaxMISPUpload }, Resp: MISPImport{}, Handle: x.importMISP})
	x.add(&op{Method: "GET", Path: "/indicators", ID: "listIndicators", Tag: "indicators", Summary: "Indicators the caller may see, newest first",
		Query: []param{{"collection_id", "integer", "only this collection"}, {"tlp", "string", "only this TLP"},
			{"kind", "string", "only indicators with a value of this kind"}, {"value", "string", "only indicators with this value (defanged is fine)"},
			{"valid", "boolean", "only indicators neither revoked nor expired"}, {"cursor", "string", "from next_cursor"},
			{"limit", "integer", "page size, 1–500 (default 50)"}},
		Resp: List[Indicator]{}, Handle: x.listIndicators})
	x.add(&op{Method: "POST", Path: "/indicators", ID: "createIndicators", Tag: "indicators",
		Summary: "Recognise indicators in pasted text and, unless preview, create them as STIX indicators",
		Body:    IndicatorEntry{}, Resp: EntryResult{}, Status: 201, Handle: x.createIndicators})
	x.add(&op{Method: "GET", Path: "/indicators/{id}", ID: "getIndicator", Tag: "indicators", Summary: "One indicator version with its object, versions, correlation and sightings",
		Resp: IndicatorDetail{}, Handle: x.getIndicator})
	x.add(&op{Method: "POST", Path: "/indicators/{id}/sightings", ID: "recordSighting", Tag: "indicators",
		Summary: "Record that the caller's organization saw an indicator", Body: SightingInput{}, Handle: x.recordSighting})
	x.intelLinkRoutes() // links to topics and cases (intellinks.go)
}

// MISPImport is what an import of a MISP event did.
type MISPImport struct {
	Event      string   `json:"event" doc:"the event's info"`
	Attributes int      `json:"attributes"`
	Created    int      `json:"created" doc:"indicator versions added"`
	Skipped    int      `json:"skipped" doc:"attributes not for detection, of other types, invalid, or imported before"`
	Errors     []string `json:"errors"`
}

// MaxMISPUpload bounds a MISP event sent to the API.
const MaxMISPUpload = 256 << 20

func (x *API) importMISP(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	res, err := x.app.Intel.ImportMISP(r.Context(), p, id, r.Body)
	if err != nil {
		return nil, err
	}
	if res.Errors == nil {
		res.Errors = []string{}
	}
	return MISPImport(res), nil
}

func collectionJSON(k intel.Collection) Collection {
	return Collection{ID: k.ID, TaxiiID: k.UUID, Title: k.Title, Description: k.Description, CommunityID: k.CommunityID, OrgID: k.OrgID,
		CanWrite: k.CanWrite, DefaultTLP: k.DefaultTLP}
}

func (x *API) listCollections(r *http.Request, p auth.Principal) (any, error) {
	ks, err := x.app.Intel.Collections(r.Context(), p)
	out := List[Collection]{Items: []Collection{}}
	for _, k := range ks {
		out.Items = append(out.Items, collectionJSON(k))
	}
	return out, err
}

func indicatorJSON(i intel.Indicator) Indicator {
	out := Indicator{ID: i.Seq, StixID: i.StixID, CollectionID: i.CollectionID, Name: i.Name, Version: i.Version,
		DateAdded: time.UnixMicro(i.DateAdded).UTC(), TLP: i.TLP, Revoked: i.Revoked, Values: []IndicatorValue{}}
	if i.Confidence >= 0 {
		c := i.Confidence
		out.Confidence = &c
	}
	if i.ValidUntil > 0 {
		t := time.UnixMicro(i.ValidUntil).UTC()
		out.ValidUntil = &t
	}
	for _, v := range i.Values {
		out.Values = append(out.Values, IndicatorValue(v))
	}
	return out
}

func (x *API) listIndicators(r *http.Request, p auth.Principal) (any, error) {
	var q intel.IndicatorQuery
	var err error
	if q.CollectionID, err = queryInt64(r, "collection_id"); err != nil {
		return nil, err
	}
	v := r.URL.Query()
	if t := v.Get("tlp"); t != "" {
		tlp, err := model.ParseTLP(t)
		if err != nil {
			return nil, fault.Field("tlp", "error.bad_param", "name", "tlp", "value", t)
		}
		q.TLP = string(tlp)
	}
	if k := v.Get("kind"); k != "" {
		if !validKind(k) {
			return nil, fault.Field("kind", "error.bad_param", "name", "kind", "value", k)
		}
		q.Kind = k
	}
	q.Value = v.Get("value")
	if q.ValidOnly, err = queryBool(r, "valid"); err != nil {
		return nil, err
	}
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	q.Before, q.Limit = pg.After, pg.Limit
	list, err := x.app.Intel.Indicators(r.Context(), p, q)
	if err != nil {
		return nil, err
	}
	return listOf(list, pg, func(i intel.Indicator) int64 { return i.Seq }, indicatorJSON), nil
}

func validKind(k string) bool {
	for _, x := range ioc.Kinds {
		if string(x) == k {
			return true
		}
	}
	return false
}

func (x *API) getIndicator(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	v, err := x.app.Intel.Object(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	out := IndicatorDetail{Indicator: indicatorJSON(v.Version), Object: json.RawMessage(v.Version.Raw), Versions: []string{},
		Correlated: []Indicator{}, Sightings: []Sighting{}, Topics: itemsJSON(v.Topics), Cases: itemsJSON(v.Cases), Links: linksJSON(v.Links)}
	for _, ver := range v.Versions {
		out.Versions = append(out.Versions, ver.Version)
	}
	for _, c := range v.Correlated {
		out.Correlated = append(out.Correlated, indicatorJSON(c))
	}
	for _, s := range v.Sightings {
		out.Sightings = append(out.Sightings, Sighting{OrgID: s.OrgID, Count: s.Count, FirstSeen: s.FirstSeen, LastSeen: s.LastSeen})
	}
	return out, nil
}

func (x *API) createIndicators(r *http.Request, p auth.Principal) (any, error) {
	var in IndicatorEntry
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	res, err := x.app.Intel.Preview(in.Text)
	if err != nil {
		return nil, err
	}
	out := EntryResult{Items: []EntryItem{}, Rejected: []EntryRejected{}, Created: []int64{}}
	for _, it := range res.Items {
		out.Items = append(out.Items, EntryItem{Kind: string(it.Kind), Value: it.Value, Count: it.Count, Refanged: it.Refanged})
	}
	for _, rj := range res.Rejected {
		out.Rejected = append(out.Rejected, EntryRejected{Line: rj.Line, Text: rj.Text, Reason: string(rj.Reason)})
	}
	if in.Preview {
		return out, nil
	}
	conf := -1
	if in.Confidence != nil {
		conf = *in.Confidence
	}
	seqs, err := x.app.Intel.CreateIndicators(r.Context(), p, intel.EntryInput{CollectionID: in.CollectionID, Text: in.Text, TLP: in.TLP,
		Confidence: conf, ValidDays: in.ValidDays, Description: in.Description})
	if err != nil {
		return nil, err
	}
	out.Created = append(out.Created, seqs...)
	return out, nil
}

func (x *API) recordSighting(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in SightingInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	si := intel.SightingInput{Count: in.Count}
	if in.FirstSeen != nil {
		si.FirstSeen = *in.FirstSeen
	}
	if in.LastSeen != nil {
		si.LastSeen = *in.LastSeen
	}
	return nil, x.app.Intel.RecordSighting(r.Context(), p, id, si)
}
