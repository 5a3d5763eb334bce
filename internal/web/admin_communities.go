package web

import (
	"net/http"
	"strings"

	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

type adminCommunitiesData struct {
	Communities []model.Community
	Next        int64
}

func (web *Web) adminCommunities(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	if !policy.CanManageCommunities(pr.Actor) {
		web.renderError(w, r, http.StatusForbidden, "error.forbidden")
		return
	}
	list, err := web.app.Communities.List(r.Context(), pr, store.Page{After: afterParam(r), Limit: pageSize})
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "admin.communities", "admin")
	p.Data = adminCommunitiesData{Communities: list, Next: nextCursor(list, func(c model.Community) int64 { return c.ID })}
	web.render(w, r, http.StatusOK, "admin_communities", p)
}

type communityFormData struct {
	Community  model.Community
	Input      community.Input
	Members    []store.MemberRow
	Moderators []model.User
	Next       int64
	New        bool
	AddOrg     string
	AddUser    string
	AddMod     string
}

func (web *Web) renderCommunityForm(w http.ResponseWriter, r *http.Request, status int, d communityFormData, err error) {
	pr := httpx.MustPrincipal(r)
	titleKey := "admin.community_edit"
	if d.New {
		titleKey = "admin.community_new"
	} else {
		var lerr error
		if d.Members, lerr = web.app.Communities.Members(r.Context(), pr, d.Community.ID, store.Page{After: afterParam(r), Limit: pageSize}); lerr == nil {
			d.Moderators, lerr = web.app.Communities.Moderators(r.Context(), pr, d.Community.ID)
		}
		if lerr != nil {
			web.fail(w, r, lerr)
			return
		}
		d.Next = nextCursor(d.Members, func(m store.MemberRow) int64 { return m.ID })
	}
	p := web.newPage(w, r, titleKey, "admin")
	if err != nil {
		p.setErrors(err)
	}
	p.Data = d
	web.render(w, r, status, "admin_community", p)
}

func communityInputFromForm(r *http.Request) community.Input {
	return community.Input{NameJA: r.PostFormValue("name_ja"), NameEN: r.PostFormValue("name_en"),
		DescriptionJA: r.PostFormValue("description_ja"), DescriptionEN: r.PostFormValue("description_en")}
}

func (web *Web) adminCommunityNew(w http.ResponseWriter, r *http.Request) {
	if !policy.CanManageCommunities(httpx.MustPrincipal(r).Actor) {
		web.renderError(w, r, http.StatusForbidden, "error.forbidden")
		return
	}
	web.renderCommunityForm(w, r, http.StatusOK, communityFormData{New: true}, nil)
}

func (web *Web) adminCommunityCreate(w http.ResponseWriter, r *http.Request) {
	in := communityInputFromForm(r)
	c, err := web.app.Communities.Create(r.Context(), httpx.MustPrincipal(r), in)
	if err != nil {
		web.communityFormFailed(w, r, communityFormData{New: true, Input: in}, err)
		return
	}
	web.redirectFlash(w, r, "/admin/communities/"+itoa(c.ID), "flash.community_created")
}

func (web *Web) communityFormFailed(w http.ResponseWriter, r *http.Request, d communityFormData, err error) {
	kind := fault.KindOf(err)
	if kind == fault.Internal || (kind == fault.NotFound && fault.As(err).Field == "") {
		web.fail(w, r, err)
		return
	}
	web.renderCommunityForm(w, r, statusOf(kind), d, err)
}

// loadCommunity loads a community for its admin page.
func (web *Web) loadCommunity(w http.ResponseWriter, r *http.Request) (communityFormData, bool) {
	pr := httpx.MustPrincipal(r)
	if !policy.CanManageCommunities(pr.Actor) {
		web.renderError(w, r, http.StatusForbidden, "error.forbidden")
		return communityFormData{}, false
	}
	c, err := web.app.Communities.Get(r.Context(), pr, idParam(r, "id"))
	if err != nil {
		web.fail(w, r, err)
		return communityFormData{}, false
	}
	return communityFormData{Community: c, Input: community.Input{NameJA: c.NameJA, NameEN: c.NameEN,
		DescriptionJA: c.DescriptionJA, DescriptionEN: c.DescriptionEN}}, true
}

func (web *Web) adminCommunity(w http.ResponseWriter, r *http.Request) {
	d, ok := web.loadCommunity(w, r)
	if ok {
		web.renderCommunityForm(w, r, http.StatusOK, d, nil)
	}
}

func (web *Web) adminCommunityUpdate(w http.ResponseWriter, r *http.Request) {
	d, ok := web.loadCommunity(w, r)
	if !ok {
		return
	}
	d.Input = communityInputFromForm(r)
	if _, err := web.app.Communities.Update(r.Context(), httpx.MustPrincipal(r), d.Community.ID, d.Input); err != nil {
		web.communityFormFailed(w, r, d, err)
		return
	}
	web.redirectFlash(w, r, "/admin/communities/"+itoa(d.Community.ID), "flash.community_saved")
}

// adminCommunityMembers adds or removes an organization, a person or a moderator, as the
// form's op says.
func (web *Web) adminCommunityMembers(w http.ResponseWriter, r *http.Request) {
	d, ok := web.loadCommunity(w, r)
	if !ok {
		return
	}
	pr := httpx.MustPrincipal(r)
	ctx, cid := r.Context(), d.Community.ID
	var err error
	var flash string
	switch op := r.PostFormValue("op"); op {
	case "add-org":
		d.AddOrg = strings.TrimSpace(r.PostFormValue("org"))
		var o model.Org
		if o, err = web.app.Directory.FindOrg(ctx, pr, d.AddOrg); err == nil {
			err = web.app.Communities.AddOrg(ctx, pr, cid, o.ID)
		}
		err, flash = fieldErr(err, "org"), "flash.member_added"
	case "add-user", "add-mod":
		field := "user"
		if op == "add-mod" {
			field = "moderator"
		}
		ref := strings.TrimSpace(r.PostFormValue(field))
		d.AddUser, d.AddMod = ref, ref
		var u model.User
		if u, err = web.app.Directory.FindUser(ctx, pr, ref); err == nil {
			if op == "add-mod" {
				err, flash = web.app.Communities.SetModerator(ctx, pr, cid, u.ID, true), "flash.moderator_added"
			} else {
				err, flash = web.app.Communities.AddUser(ctx, pr, cid, u.ID), "flash.member_added"
			}
		}
		err = fieldErr(err, field)
	case "remove-org":
		err, flash = web.app.Communities.RemoveOrg(ctx, pr, cid, formID(r, "id")), "flash.member_removed"
	case "remove-user":
		err, flash = web.app.Communities.RemoveUser(ctx, pr, cid, formID(r, "id")), "flash.member_removed"
	case "remove-mod":
		err, flash = web.app.Communities.SetModerator(ctx, pr, cid, formID(r, "id"), false), "flash.moderator_removed"
	default:
		err = fault.Field("op", "error.bad_form")
	}
	if err != nil {
		web.communityFormFailed(w, r, d, err)
		return
	}
	web.redirectFlash(w, r, "/admin/communities/"+itoa(cid), flash)
}

// fieldErr attaches a form field to an error that names none (or names an id field).
func fieldErr(err error, field string) error {
	if err == nil {
		return nil
	}
	fe := fault.As(err)
	if fe.Kind == fault.Internal {
		return err
	}
	return fe.WithField(field)
}

func formID(r *http.Request, name string) int64 {
	v, err := parseID(r.PostFormValue(name))
	if err != nil {
		return 0
	}
	return v
}
