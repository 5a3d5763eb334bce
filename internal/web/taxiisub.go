package web

// TAXII subscriptions (internal/taxii): the status of an organization's subscriptions to
// remote TAXII 2.1 collections, and a form to add, remove and run them. For its
// administrators only; anyone else gets a 404 page, as if there were nothing here.

import (
	"net/http"
	"strconv"
	"time"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
)

func (web *Web) taxiiSubRoutes(h func(string, http.HandlerFunc), s func(http.HandlerFunc) http.HandlerFunc) {
	h("GET /intel/subscriptions", s(web.taxiiSubsPage))
	h("POST /intel/subscriptions", s(web.taxiiSubCreate))
	h("POST /intel/subscriptions/{id}/run", s(web.taxiiSubAction("run")))
	h("POST /intel/subscriptions/{id}/delete", s(web.taxiiSubAction("delete")))
	h("GET /intel/subscriptions/{id}/edit", s(web.taxiiSubEditPage))
	h("POST /intel/subscriptions/{id}/edit", s(web.taxiiSubEditPost))
}

// taxiiSubForm is what was typed into the form (never the secret, which is typed again).
type taxiiSubForm struct {
	Title, Direction, Collection, APIRoot, RemoteCollection, AuthKind, Username, Interval string
}

type taxiiSubsData struct {
	Subs        []taxii.Subscription
	Collections []intel.Collection // those the person may use: write for pull, read for push
	Form        taxiiSubForm
	Max         int
	MinInterval int
	MaxInterval int
	Edit        *taxii.Subscription // the subscription being changed, on the edit page
}

// CanManageTaxiiSubs reports whether the person keeps their organization's TAXII
// subscriptions (for the link on the administration page).
func (p *page) CanManageTaxiiSubs() bool { return policy.CanManageTaxiiSubs(p.Actor) }

// TaxiiSubState names the state of a subscription (running, failing, waiting, ok).
func (p *page) TaxiiSubState(s taxii.Subscription) string {
	switch {
	case s.Running:
		return "running"
	case s.Failures > 0:
		return "failing"
	case s.LastSuccessAt.IsZero():
		return "waiting"
	}
	return "ok"
}

// TimeOrNever prints a time, or "never" for the zero time.
func (p *page) TimeOrNever(t time.Time) string {
	if t.IsZero() {
		return p.T("webtaxiisub.never")
	}
	return p.Time(t)
}

func (web *Web) taxiiSubsAllowed(w http.ResponseWriter, r *http.Request) bool {
	if !policy.CanManageTaxiiSubs(httpx.MustPrincipal(r).Actor) {
		web.renderError(w, r, http.StatusNotFound, "error.not_found")
		return false
	}
	return true
}

func (web *Web) renderTaxiiSubs(w http.ResponseWriter, r *http.Request, status int, edit func(*page, *taxiiSubsData)) {
	pr := httpx.MustPrincipal(r)
	ctx := r.Context()
	subs, err := taxii.SubscriptionsOf(web.app).List(ctx, pr, store.Page{Limit: taxii.MaxSubscriptionsPerOrg})
	if err != nil {
		web.fail(w, r, err)
		return
	}
	colls, err := web.app.Intel.Collections(ctx, pr)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "webtaxiisub.title", "indicators")
	d := &taxiiSubsData{Subs: subs, Collections: colls, Max: taxii.MaxSubscriptionsPerOrg,
		MinInterval: int(taxii.MinSubInterval / time.Minute), MaxInterval: int(taxii.MaxSubInterval / time.Minute),
		Form: taxiiSubForm{Direction: "pull", AuthKind: "bearer", Interval: "60"}}
	if edit != nil {
		edit(p, d)
	}
	p.Data = d
	web.render(w, r, status, "taxiisub_list", p)
}

func (web *Web) taxiiSubsPage(w http.ResponseWriter, r *http.Request) {
	if web.taxiiSubsAllowed(w, r) {
		web.renderTaxiiSubs(w, r, http.StatusOK, nil)
	}
}

func (web *Web) taxiiSubCreate(w http.ResponseWriter, r *http.Request) {
	if !web.taxiiSubsAllowed(w, r) {
		return
	}
	f := taxiiSubForm{Title: r.PostFormValue("title"), Direction: r.PostFormValue("direction"), Collection: r.PostFormValue("collection"),
		APIRoot: r.PostFormValue("api_root"), RemoteCollection: r.PostFormValue("remote_collection"), AuthKind: r.PostFormValue("auth_kind"),
		Username: r.PostFormValue("username"), Interval: r.PostFormValue("interval")}
	minutes, err := strconv.Atoi(f.Interval)
	if err != nil {
		minutes = 0 // reported by the service as out of range
	}
	_, err = taxii.SubscriptionsOf(web.app).Create(r.Context(), httpx.MustPrincipal(r), taxii.SubscriptionInput{Title: f.Title, Direction: f.Direction,
		Collection: f.Collection, APIRoot: f.APIRoot, RemoteCollection: f.RemoteCollection, AuthKind: f.AuthKind, Username: f.Username,
		Secret: r.PostFormValue("secret"), Interval: time.Duration(minutes) * time.Minute})
	if err != nil {
		kind := fault.KindOf(err)
		if kind != fault.Invalid && kind != fault.Conflict {
			web.fail(w, r, err)
			return
		}
		web.renderTaxiiSubs(w, r, statusOf(kind), func(p *page, d *taxiiSubsData) {
			p.setErrors(err)
			d.Form = f
		})
		return
	}
	web.redirectFlash(w, r, "/intel/subscriptions", "flash.taxiisub_created")
}

func (web *Web) taxiiSubAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !web.taxiiSubsAllowed(w, r) {
			return
		}
		subs := taxii.SubscriptionsOf(web.app)
		pr, id := httpx.MustPrincipal(r), idParam(r, "id")
		var err error
		if action == "run" {
			err = subs.RunNow(r.Context(), pr, id)
		} else {
			err = subs.Delete(r.Context(), pr, id)
		}
		if err != nil {
			web.fail(w, r, err)
			return
		}
		web.redirectFlash(w, r, "/intel/subscriptions", "flash.taxiisub_"+action)
	}
}
