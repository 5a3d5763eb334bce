package web

// Links from an indicator's page to topics and cases (internal/intel/links.go); the
// topic's and the case's pages list theirs through the "item_indicators" partial.

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

func (web *Web) intelLinkRoutes(h func(string, http.HandlerFunc), s func(http.HandlerFunc) http.HandlerFunc) {
	h("POST /indicators/{id}/links", s(web.indicatorLinkPost))
	h("POST /indicators/{id}/links/{link}/delete", s(web.indicatorUnlinkPost))
}

// CanUnlinkIndicator says whether the reader may remove a link shown to them.
func (p *page) CanUnlinkIndicator(l store.IndicatorLink) bool {
	return policy.CanUnlinkSeenLink(p.Actor, l.LinkedBy)
}

func (web *Web) indicatorLinkPost(w http.ResponseWriter, r *http.Request) {
	id := idParam(r, "id")
	kind, text := r.PostFormValue("kind"), strings.TrimSpace(r.PostFormValue("target"))
	to, err := intel.ParseLinkTarget(kind, text)
	if err == nil {
		_, err = web.app.Intel.Link(r.Context(), httpx.MustPrincipal(r), id, to)
	}
	if err != nil {
		if k := fault.KindOf(err); k != fault.Invalid && k != fault.Conflict {
			web.fail(w, r, err)
			return
		}
		if fault.KindOf(err) == fault.Conflict {
			err = fault.Field("target", fault.As(err).Key)
		}
		web.renderIndicatorWith(w, r, statusOf(fault.Invalid), err, func(d *indicatorData) { d.LinkKind, d.LinkTarget = kind, text })
		return
	}
	web.redirectFlash(w, r, "/indicators/"+strconv.FormatInt(id, 10)+"#h-links", "flash.indicator_linked")
}

func (web *Web) indicatorUnlinkPost(w http.ResponseWriter, r *http.Request) {
	id := idParam(r, "id")
	if err := web.app.Intel.Unlink(r.Context(), httpx.MustPrincipal(r), id, idParam(r, "link")); err != nil {
		web.fail(w, r, err)
		return
	}
	web.redirectFlash(w, r, "/indicators/"+strconv.FormatInt(id, 10)+"#h-links", "flash.indicator_unlinked")
}

// relatedIndicators loads what a topic's or case's page shows of indicators; the page is
// still shown if this fails (the item itself was readable), without the section's items.
func (web *Web) relatedIndicators(ctx context.Context, pr auth.Principal, topicID, caseID int64) intel.Related {
	var r intel.Related
	var err error
	if topicID != 0 {
		r, err = web.app.Intel.TopicIndicators(ctx, pr, topicID)
	} else {
		r, err = web.app.Intel.CaseIndicators(ctx, pr, caseID)
	}
	if err != nil {
		web.app.Log.Warn("indicators of a page", "topic", topicID, "case", caseID, "err", err)
	}
	return r
}
