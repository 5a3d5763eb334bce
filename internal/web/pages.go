package web

import (
	"net/http"
	"strconv"

	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
)

// pageSize is the length of lists on pages.
const pageSize = 50

// afterParam reads the keyset cursor of a list page.
func afterParam(r *http.Request) int64 {
	v, err := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if err != nil || v < 0 {
		return 0
	}
	return v
}

// nextCursor returns the cursor of the next page, or 0 on the last page.
func nextCursor[T any](items []T, id func(T) int64) int64 {
	if len(items) < pageSize {
		return 0
	}
	return id(items[len(items)-1])
}

type homeData struct {
	Communities  []model.Community
	Unread       map[int64]int
	TOTPRequired bool
}

func (web *Web) home(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	comms, err := web.app.Communities.Mine(r.Context(), pr, store.Page{Limit: store.MaxPage})
	if err != nil {
		web.fail(w, r, err)
		return
	}
	unread, err := web.app.SNS.UnreadCounts(r.Context(), pr)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "home.title", "home")
	p.Data = homeData{Communities: comms, Unread: unread}
	web.render(w, r, http.StatusOK, "home", p)
}

type communityData struct {
	Community  model.Community
	Topics     []topicRow
	Members    []store.MemberRow
	Moderators []model.User
	Next       int64
}

func (web *Web) communityPage(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	id := idParam(r, "id")
	c, err := web.app.Communities.Get(r.Context(), pr, id)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	members, err := web.app.Communities.Members(r.Context(), pr, id, store.Page{After: afterParam(r), Limit: pageSize})
	if err != nil {
		web.fail(w, r, err)
		return
	}
	mods, err := web.app.Communities.Moderators(r.Context(), pr, id)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	items, _, err := web.app.SNS.Timeline(r.Context(), pr, sns.TimelineQuery{CommunityID: id, Limit: 20})
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "community.title", "home")
	p.Data = communityData{Community: c, Topics: web.topicRows(r.Context(), pr, items, []model.Community{c}), Members: members, Moderators: mods,
		Next: nextCursor(members, func(m store.MemberRow) int64 { return m.ID })}
	web.render(w, r, http.StatusOK, "community", p)
}

type directoryData struct {
	Orgs    []model.Org
	Kinds   []model.OrgKind
	Sectors []model.Sector
	Query   directory.OrgQuery
	Next    int64
}

func (web *Web) directoryPage(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	q := directory.OrgQuery{
		Kind: r.URL.Query().Get("kind"), Sector: r.URL.Query().Get("sector"), Text: r.URL.Query().Get("q"),
		Page: store.Page{After: afterParam(r), Limit: pageSize},
	}
	p := web.newPage(w, r, "directory.title", "directory")
	orgs, err := web.app.Directory.ListOrgs(r.Context(), pr, q)
	if err != nil {
		p.setErrors(err)
	}
	p.Data = directoryData{Orgs: orgs, Kinds: model.OrgKinds, Sectors: model.Sectors, Query: q,
		Next: nextCursor(orgs, func(o model.Org) int64 { return o.ID })}
	web.render(w, r, http.StatusOK, "directory", p)
}

type orgData struct {
	Org    model.Org
	People []model.User
	Next   int64
}

func (web *Web) orgPage(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	o, err := web.app.Directory.GetOrg(r.Context(), pr, idParam(r, "id"))
	if err != nil {
		web.fail(w, r, err)
		return
	}
	people, err := web.app.Directory.ListUsers(r.Context(), pr, directory.UserQuery{OrgID: o.ID, Page: store.Page{After: afterParam(r), Limit: pageSize}})
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "org.title", "directory")
	p.Data = orgData{Org: o, People: people, Next: nextCursor(people, func(u model.User) int64 { return u.ID })}
	web.render(w, r, http.StatusOK, "org", p)
}
