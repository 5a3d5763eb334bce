package api

import (
	"net/http"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/store"
)

// ---- Indicators meet topics and cases (internal/intel/links.go) ----

// RelatedItem is a topic or a case that shares a value with an indicator.
type RelatedItem struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	Mark  string `json:"mark" doc:"a topic's TLP, a case's state"`
}

// IndicatorLink is a link between an indicator and a topic or a case, shown only to
// those who may see both ends.
type IndicatorLink struct {
	ID          int64     `json:"id"`
	IndicatorID int64     `json:"indicator_id" doc:"the indicator's latest version"`
	StixID      string    `json:"stix_id"`
	TopicID     int64     `json:"topic_id,omitempty"`
	CaseID      int64     `json:"case_id,omitempty"`
	Title       string    `json:"title" doc:"the topic's or the case's title"`
	LinkedBy    int64     `json:"linked_by"`
	LinkedAt    time.Time `json:"linked_at"`
}

// IndicatorLinkInput names the topic or the case to link (exactly one).
type IndicatorLinkInput struct {
	TopicID int64 `json:"topic_id,omitempty"`
	CaseID  int64 `json:"case_id,omitempty"`
}

// ItemIndicators is what a topic or a case shares with indicators the caller may see.
type ItemIndicators struct {
	Correlated []Indicator     `json:"correlated" doc:"indicators sharing a value written in the topic or reported with the case"`
	Links      []IndicatorLink `json:"links"`
}

func (x *API) intelLinkRoutes() {
	x.add(&op{Method: "POST", Path: "/indicators/{id}/links", ID: "linkIndicator", Tag: "indicators",
		Summary: "Link an indicator to a topic or a case the caller may see (for a case: center staff, the reporting organization, invited partners); audited",
		Body:    IndicatorLinkInput{}, Resp: IndicatorLink{}, Status: 201, Handle: x.linkIndicator})
	x.add(&op{Method: "DELETE", Path: "/indicators/{id}/links/{link_id}", ID: "unlinkIndicator", Tag: "indicators",
		Summary: "Remove a link (the person who made it, or center staff); audited", Handle: x.unlinkIndicator})
	x.add(&op{Method: "GET", Path: "/topics/{id}/indicators", ID: "topicIndicators", Tag: "indicators",
		Summary: "Indicators the caller may see that share a value with a topic, and its links", Resp: ItemIndicators{}, Handle: x.topicIndicators})
	x.add(&op{Method: "GET", Path: "/cases/{id}/indicators", ID: "caseIndicators", Tag: "indicators",
		Summary: "Indicators the caller may see that share a value with a case, and its links", Resp: ItemIndicators{}, Handle: x.caseIndicators})
}

func linkJSON(l store.IndicatorLink) IndicatorLink {
	return IndicatorLink{ID: l.ID, IndicatorID: l.Seq, StixID: l.StixID, TopicID: l.TopicID, CaseID: l.CaseID, Title: l.Title,
		LinkedBy: l.LinkedBy, LinkedAt: l.LinkedAt}
}

func itemsJSON(xs []store.ValueItem) []RelatedItem {
	out := []RelatedItem{}
	for _, x := range xs {
		out = append(out, RelatedItem(x))
	}
	return out
}

func linksJSON(ls []store.IndicatorLink) []IndicatorLink {
	out := []IndicatorLink{}
	for _, l := range ls {
		out = append(out, linkJSON(l))
	}
	return out
}

func (x *API) linkIndicator(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in IndicatorLinkInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	l, err := x.app.Intel.Link(r.Context(), p, id, intel.LinkTarget(in))
	if err != nil {
		return nil, err
	}
	return linkJSON(l), nil
}

func (x *API) unlinkIndicator(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	link, err := pathID(r, "link_id")
	if err != nil {
		return nil, err
	}
	return nil, x.app.Intel.Unlink(r.Context(), p, id, link)
}

func relatedJSON(rel intel.Related) ItemIndicators {
	out := ItemIndicators{Correlated: []Indicator{}, Links: linksJSON(rel.Links)}
	for _, c := range rel.Correlated {
		out.Correlated = append(out.Correlated, indicatorJSON(c))
	}
	return out
}

func (x *API) topicIndicators(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	rel, err := x.app.Intel.TopicIndicators(r.Context(), p, id)
	return relatedJSON(rel), err
}

func (x *API) caseIndicators(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	rel, err := x.app.Intel.CaseIndicators(r.Context(), p, id)
	return relatedJSON(rel), err
}
