package web

// Changing a TAXII subscription: the same fields as a new one, its direction fixed, its
// secret kept unless a new one is typed.

import (
	"net/http"
	"strconv"
	"time"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/taxii"
)

func (web *Web) renderTaxiiSubEdit(w http.ResponseWriter, r *http.Request, status int, edit func(*page, *taxiiSubsData)) {
	pr := httpx.MustPrincipal(r)
	sub, err := taxii.SubscriptionsOf(web.app).Get(r.Context(), pr, idParam(r, "id"))
	if err != nil {
		web.fail(w, r, err)
		return
	}
	colls, err := web.app.Intel.Collections(r.Context(), pr)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	d := &taxiiSubsData{Collections: colls, Edit: &sub, MinInterval: int(taxii.MinSubInterval / time.Minute),
		MaxInterval: int(taxii.MaxSubInterval / time.Minute),
		Form: taxiiSubForm{Title: sub.Title, Direction: sub.Direction, Collection: sub.Collection.UUID, APIRoot: sub.APIRoot,
			RemoteCollection: sub.RemoteCollection, AuthKind: sub.AuthKind, Username: sub.Username, Interval: strconv.Itoa(int(sub.Interval / time.Minute))}}
	p := web.newPage(w, r, "webtaxiisub.edit_title", "indicators")
	if edit != nil {
		edit(p, d)
	}
	p.Data = d
	web.render(w, r, status, "taxiisub_edit", p)
}

func (web *Web) taxiiSubEditPage(w http.ResponseWriter, r *http.Request) {
	if web.taxiiSubsAllowed(w, r) {
		web.renderTaxiiSubEdit(w, r, http.StatusOK, nil)
	}
}

func (web *Web) taxiiSubEditPost(w http.ResponseWriter, r *http.Request) {
	if !web.taxiiSubsAllowed(w, r) {
		return
	}
	id := idParam(r, "id")
	f := taxiiSubForm{Title: r.PostFormValue("title"), Direction: r.PostFormValue("direction"), Collection: r.PostFormValue("collection"),
		APIRoot: r.PostFormValue("api_root"), RemoteCollection: r.PostFormValue("remote_collection"), AuthKind: r.PostFormValue("auth_kind"),
		Username: r.PostFormValue("username"), Interval: r.PostFormValue("interval")}
	minutes, err := strconv.Atoi(f.Interval)
	if err != nil {
		minutes = 0 // reported by the service as out of range
	}
	_, err = taxii.SubscriptionsOf(web.app).Update(r.Context(), httpx.MustPrincipal(r), id, taxii.SubscriptionInput{Title: f.Title,
		Direction: f.Direction, Collection: f.Collection, APIRoot: f.APIRoot, RemoteCollection: f.RemoteCollection, AuthKind: f.AuthKind,
		Username: f.Username, Secret: r.PostFormValue("secret"), Interval: time.Duration(minutes) * time.Minute})
	if err != nil {
		if fault.KindOf(err) != fault.Invalid {
			web.fail(w, r, err)
			return
		}
		web.renderTaxiiSubEdit(w, r, http.StatusUnprocessableEntity, func(p *page, d *taxiiSubsData) {
			p.setErrors(err)
			d.Form = f
		})
		return
	}
	web.redirectFlash(w, r, "/intel/subscriptions", "flash.taxiisub_updated")
}
