package web

import (
	"net/http"
	"strings"

	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

func (web *Web) adminIndex(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	if !policy.CanManagePeopleOf(pr.Actor, pr.User.OrgID) {
		web.renderError(w, r, http.StatusForbidden, "error.forbidden")
		return
	}
	p := web.newPage(w, r, "admin.title", "admin")
	web.render(w, r, http.StatusOK, "admin", p)
}

func (web *Web) adminOrgs(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	if !policy.CanManageOrgs(pr.Actor) {
		web.renderError(w, r, http.StatusForbidden, "error.forbidden")
		return
	}
	q := directory.OrgQuery{Kind: r.URL.Query().Get("kind"), Sector: r.URL.Query().Get("sector"), Text: r.URL.Query().Get("q"),
		IncludeDisabled: true, Page: store.Page{After: afterParam(r), Limit: pageSize}}
	p := web.newPage(w, r, "admin.orgs", "admin")
	orgs, err := web.app.Directory.ListOrgs(r.Context(), pr, q)
	if err != nil {
		p.setErrors(err)
	}
	p.Data = directoryData{Orgs: orgs, Kinds: model.OrgKinds, Sectors: model.Sectors, Query: q,
		Next: nextCursor(orgs, func(o model.Org) int64 { return o.ID })}
	web.render(w, r, http.StatusOK, "admin_orgs", p)
}

type orgFormData struct {
	Org     model.Org
	Input   directory.OrgInput
	Kinds   []model.OrgKind
	Sectors []model.Sector
	People  []model.User
	New     bool
}

// contactRows pads the contact list with blank rows for the form.
func (d orgFormData) ContactRows() []model.Contact {
	rows := append([]model.Contact(nil), d.Input.Contacts...)
	for len(rows) < len(d.Input.Contacts)+2 && len(rows) < directory.MaxContacts {
		rows = append(rows, model.Contact{})
	}
	return rows
}

func orgInputFrom(o model.Org) directory.OrgInput {
	return directory.OrgInput{NameJA: o.NameJA, NameEN: o.NameEN, Kind: string(o.Kind), Sector: string(o.Sector),
		Contacts: o.Contacts, Disabled: o.Disabled}
}

func orgInputFromForm(r *http.Request) directory.OrgInput {
	in := directory.OrgInput{NameJA: r.PostFormValue("name_ja"), NameEN: r.PostFormValue("name_en"),
		Kind: r.PostFormValue("kind"), Sector: r.PostFormValue("sector"), Disabled: r.PostFormValue("disabled") == "on"}
	labels, emails, phones := r.PostForm["contact_label"], r.PostForm["contact_email"], r.PostForm["contact_phone"]
	for i := range labels {
		c := model.Contact{Label: labels[i]}
		if i < len(emails) {
			c.Email = emails[i]
		}
		if i < len(phones) {
			c.Phone = phones[i]
		}
		if strings.TrimSpace(c.Label+c.Email+c.Phone) != "" {
			in.Contacts = append(in.Contacts, c)
		}
	}
	return in
}

func (web *Web) renderOrgForm(w http.ResponseWriter, r *http.Request, status int, d orgFormData, err error) {
	titleKey := "admin.org_edit"
	if d.New {
		titleKey = "admin.org_new"
	}
	p := web.newPage(w, r, titleKey, "admin")
	d.Kinds, d.Sectors = model.OrgKinds, model.Sectors
	if err != nil {
		p.setErrors(err)
	}
	p.Data = d
	web.render(w, r, status, "admin_org", p)
}

func (web *Web) adminOrgNew(w http.ResponseWriter, r *http.Request) {
	if !policy.CanManageOrgs(httpx.MustPrincipal(r).Actor) {
		web.renderError(w, r, http.StatusForbidden, "error.forbidden")
		return
	}
	web.renderOrgForm(w, r, http.StatusOK, orgFormData{New: true, Input: directory.OrgInput{Kind: string(model.KindOperator)}}, nil)
}

func (web *Web) adminOrgCreate(w http.ResponseWriter, r *http.Request) {
	in := orgInputFromForm(r)
	o, err := web.app.Directory.CreateOrg(r.Context(), httpx.MustPrincipal(r), in)
	if err != nil {
		web.orgFormFailed(w, r, orgFormData{New: true, Input: in}, err)
		return
	}
	web.redirectFlash(w, r, "/admin/orgs/"+itoa(o.ID), "flash.org_created")
}

func (web *Web) orgFormFailed(w http.ResponseWriter, r *http.Request, d orgFormData, err error) {
	kind := fault.KindOf(err)
	if kind != fault.Invalid && kind != fault.Conflict {
		web.fail(w, r, err)
		return
	}
	web.renderOrgForm(w, r, statusOf(kind), d, err)
}

func (web *Web) adminOrg(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	if !policy.CanManageOrgs(pr.Actor) {
		web.renderError(w, r, http.StatusForbidden, "error.forbidden")
		return
	}
	o, err := web.app.Directory.GetOrg(r.Context(), pr, idParam(r, "id"))
	if err != nil {
		web.fail(w, r, err)
		return
	}
	people, err := web.app.Directory.ListUsers(r.Context(), pr, directory.UserQuery{OrgID: o.ID, IncludeDisabled: true, Page: store.Page{Limit: store.MaxPage}})
	if err != nil {
		web.fail(w, r, err)
		return
	}
	web.renderOrgForm(w, r, http.StatusOK, orgFormData{Org: o, Input: orgInputFrom(o), People: people}, nil)
}

func (web *Web) adminOrgUpdate(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	in := orgInputFromForm(r)
	id := idParam(r, "id")
	if _, err := web.app.Directory.UpdateOrg(r.Context(), pr, id, in); err != nil {
		o, gerr := web.app.Directory.GetOrg(r.Context(), pr, id)
		if gerr != nil {
			web.fail(w, r, gerr)
			return
		}
		web.orgFormFailed(w, r, orgFormData{Org: o, Input: in}, err)
		return
	}
	web.redirectFlash(w, r, "/admin/orgs/"+itoa(id), "flash.org_saved")
}
