package leaktest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
)

// The collections of the base world; kinds name theirs in kindSpec.items.
const (
	colOrgs        = "orgs"
	colPeople      = "people"
	colCommunities = "communities"
)

// world is one random world on one database, with the app and its HTTP server.
type world struct {
	t        *testing.T
	ctx      context.Context
	seed     uint64
	db       *store.DB
	env      *testapp.Env
	base     string       // the server's URL
	client   *http.Client // for the API
	pages    *http.Client // for the pages: follows no redirect
	pageSize int          // page size of every list the test pages through

	// ids holds each collection's item ids in creation order: the ground truth of what
	// exists, recorded by the generator rather than read back through a list query.
	ids map[string][]int64

	// The memberships as the generator made them, against which the facts loaded from the
	// database are checked (a wrong fact would make predicate and filter agree on a lie).
	orgIn  map[int64][]int64 // community → member organizations
	userIn map[int64][]int64 // community → personal members
	mods   map[int64][]int64 // community → moderators
	tokens map[int64]string  // person → API token, made while the person was active

	// Loaded from the database once the world is built.
	orgs    map[int64]model.Org
	users   map[int64]model.User
	comms   map[int64]model.Community
	viewers []*viewer

	failures int
	findings map[string]*finding
	order    []string // keys of findings, in the order met
	stats    []string
}

// viewer is someone on whose behalf the paths are walked.
type viewer struct {
	name string
	p    auth.Principal
	// token is the person's API token when it must work (the person and their organization
	// are enabled); dead is the token of a disabled person or organization, which must not.
	token, dead string
	// session is the secret of the person's web session (see pages_test.go), when active.
	session string
}

func (v *viewer) actor() policy.Actor { return v.p.Actor }

func newWorld(t *testing.T, db *store.DB, seed uint64) *world {
	return newWorldWith(t, db, seed, testapp.New(t, db))
}

// newWorldWith is newWorld on an app built by the caller (with its own configuration).
func newWorldWith(t *testing.T, db *store.DB, seed uint64, env *testapp.Env) *world {
	w := &world{
		t: t, ctx: testapp.Ctx(), seed: seed, db: db, env: env,
		base:   env.Server(),
		client: &http.Client{},
		pages:  &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		ids:    map[string][]int64{},
		orgIn:  map[int64][]int64{}, userIn: map[int64][]int64{}, mods: map[int64][]int64{},
		tokens: map[int64]string{}, findings: map[string]*finding{},
	}
	t.Cleanup(w.client.CloseIdleConnections)
	t.Cleanup(w.pages.CloseIdleConnections)
	return w
}

// must stops the world on an error that is not the subject of the test.
func (w *world) must(err error, what string, args ...any) {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("seed %d: %s: %v", w.seed, fmt.Sprintf(what, args...), err)
	}
}

// ---- Generation ----

// gen builds a world. Kinds' generators receive it.
type gen struct {
	w   *world
	r   *rand.Rand
	ctx context.Context
	sys auth.Principal // the operator: center-admin rights, audited as "system"
	// keeper is the first center admin, never disabled, so that the center stays run.
	keeper int64
	nOrg   int
	nUser  int
}

func newGen(w *world) *gen {
	return &gen{w: w, r: rand.New(rand.NewPCG(w.seed, 0x6c65616b)), ctx: w.ctx, sys: auth.System()}
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// org creates an organization with one to three contact points (so that whether the
// contacts come back can always be observed).
func (g *gen) org(kind model.OrgKind) model.Org {
	g.nOrg++
	n := g.nOrg
	var sector string
	if kind == model.KindOperator || g.chance(0.3) {
		sector = string(model.Sectors[g.r.IntN(len(model.Sectors))])
	}
	contacts := make([]model.Contact, 1+g.r.IntN(3))
	for i := range contacts {
		contacts[i] = model.Contact{Label: fmt.Sprintf("窓口 %d", i+1), Email: fmt.Sprintf("desk%d@org%02d.example", i+1, n),
			Phone: fmt.Sprintf("03-0000-%02d%02d", n, i)}
	}
	o, err := g.w.env.Directory.CreateOrg(g.ctx, g.sys, directory.OrgInput{NameJA: fmt.Sprintf("組織%02d", n),
		NameEN: fmt.Sprintf("Org %02d", n), Kind: string(kind), Sector: sector, Contacts: contacts})
	g.w.must(err, "create organization %d", n)
	g.w.ids[colOrgs] = append(g.w.ids[colOrgs], o.ID)
	return o
}

// person creates a person and an API token for them (while they are still active).
func (g *gen) person(o model.Org, role model.Role) model.User {
	g.nUser++
	n := g.nUser
	lang := model.LangJA
	if g.chance(0.2) {
		lang = model.LangEN
	}
	u, err := g.w.env.Directory.CreateUser(g.ctx, g.sys, directory.UserInput{OrgID: o.ID,
		Email: fmt.Sprintf("p%03d@org%d.example", n, o.ID), DisplayName: fmt.Sprintf("Person %03d", n), Role: string(role), Lang: string(lang)})
	g.w.must(err, "create person %d (%s) in organization %d", n, role, o.ID)
	g.w.ids[colPeople] = append(g.w.ids[colPeople], u.ID)
	secret, _, err := g.w.env.Auth.CreateToken(g.ctx, g.sys, u.ID, "leak test")
	g.w.must(err, "token for person %d", u.ID)
	g.w.tokens[u.ID] = secret
	return u
}

// base builds organizations, people, communities, memberships and moderators.
func (g *gen) base() {
	w := g.w
	center := g.org(model.KindCenter)
	for i := range 2 + g.r.IntN(3) {
		role := model.RoleAnalyst
		if i == 0 || g.chance(0.4) {
			role = model.RoleCenterAdmin
		}
		u := g.person(center, role)
		if i == 0 {
			g.keeper = u.ID
		}
	}
	// The center organization may also have people without a center role.
	for range g.r.IntN(2) {
		g.person(center, []model.Role{model.RoleMember, model.RoleOrgAdmin}[g.r.IntN(2)])
	}
	for range 2 + g.r.IntN(10) {
		o := g.org(model.OrgKinds[1+g.r.IntN(len(model.OrgKinds)-1)])
		for range g.r.IntN(6) { // some organizations have nobody
			role := model.RoleMember
			if g.chance(0.3) {
				role = model.RoleOrgAdmin
			}
			g.person(o, role)
		}
	}

	for i := range 1 + g.r.IntN(7) {
		c, err := w.env.Communities.Create(g.ctx, g.sys, community.Input{NameJA: fmt.Sprintf("コミュニティ%d", i+1),
			NameEN: fmt.Sprintf("Community %d", i+1), DescriptionJA: "乱数で作った世界"})
		w.must(err, "create community %d", i+1)
		w.ids[colCommunities] = append(w.ids[colCommunities], c.ID)
	}
	// Each community has its own density, from nearly empty to nearly everyone.
	for _, c := range w.ids[colCommunities] {
		pOrg, pUser := 0.6*g.r.Float64(), 0.3*g.r.Float64()
		for _, o := range w.ids[colOrgs] {
			if g.chance(pOrg) {
				w.must(w.env.Communities.AddOrg(g.ctx, g.sys, c, o), "add organization %d to community %d", o, c)
				w.orgIn[c] = append(w.orgIn[c], o)
			}
		}
		for _, u := range w.ids[colPeople] {
			if g.chance(pUser) {
				w.must(w.env.Communities.AddUser(g.ctx, g.sys, c, u), "add person %d to community %d", u, c)
				w.userIn[c] = append(w.userIn[c], u)
			}
		}
	}
	// Some memberships end again: what was removed must be gone from every path.
	for _, c := range w.ids[colCommunities] {
		w.orgIn[c] = slices.DeleteFunc(w.orgIn[c], func(o int64) bool {
			if !g.chance(0.1) {
				return false
			}
			w.must(w.env.Communities.RemoveOrg(g.ctx, g.sys, c, o), "remove organization %d from community %d", o, c)
			return true
		})
		w.userIn[c] = slices.DeleteFunc(w.userIn[c], func(u int64) bool {
			if !g.chance(0.1) {
				return false
			}
			w.must(w.env.Communities.RemoveUser(g.ctx, g.sys, c, u), "remove person %d from community %d", u, c)
			return true
		})
	}
	for _, c := range w.ids[colCommunities] {
		for _, u := range w.ids[colPeople] {
			if slices.Contains(w.builtCommunities(u), c) && g.chance(0.25) {
				w.must(w.env.Communities.SetModerator(g.ctx, g.sys, c, u, true), "make person %d moderator of community %d", u, c)
				w.mods[c] = append(w.mods[c], u)
			}
		}
	}
}

// finish disables some people and some organizations, after every kind has made its items
// (so that disabled people may have authored some).
func (g *gen) finish() {
	w := g.w
	yes := true
	for _, id := range w.ids[colPeople] {
		if id != g.keeper && g.chance(0.15) {
			_, err := w.env.Directory.UpdateUser(g.ctx, g.sys, id, directory.UserPatch{Disabled: &yes})
			w.must(err, "disable person %d", id)
		}
	}
	for _, id := range w.ids[colOrgs][1:] { // never the center
		if g.chance(0.15) {
			o, err := store.GetOrg(g.ctx, w.db.Read(), id)
			w.must(err, "load organization %d", id)
			_, err = w.env.Directory.UpdateOrg(g.ctx, g.sys, id, directory.OrgInput{NameJA: o.NameJA, NameEN: o.NameEN,
				Kind: string(o.Kind), Sector: string(o.Sector), Contacts: o.Contacts, Disabled: true})
			w.must(err, "disable organization %d", id)
		}
	}
}

// builtCommunities returns the communities a person belongs to according to the
// generator's record of memberships, directly or through their organization.
func (w *world) builtCommunities(userID int64) []int64 {
	u, ok := w.users[userID]
	orgID := u.OrgID
	if !ok { // during generation: read it
		x, err := store.GetUser(w.ctx, w.db.Read(), userID)
		w.must(err, "load person %d", userID)
		orgID = x.OrgID
	}
	var out []int64
	for _, c := range w.ids[colCommunities] {
		if slices.Contains(w.orgIn[c], orgID) || slices.Contains(w.userIn[c], userID) {
			out = append(out, c)
		}
	}
	return out
}

// ---- Loading ----

// load reads every item of the base world back and the principal of every person, and
// checks the loaded memberships against the generator's record.
func (w *world) load() {
	w.orgs, w.users, w.comms = map[int64]model.Org{}, map[int64]model.User{}, map[int64]model.Community{}
	r := w.db.Read()
	for _, id := range w.ids[colOrgs] {
		o, err := store.GetOrg(w.ctx, r, id)
		w.must(err, "load organization %d", id)
		w.orgs[id] = o
	}
	for _, id := range w.ids[colPeople] {
		u, err := store.GetUser(w.ctx, r, id)
		w.must(err, "load person %d", id)
		w.users[id] = u
	}
	for _, id := range w.ids[colCommunities] {
		c, err := store.GetCommunity(w.ctx, r, id)
		w.must(err, "load community %d", id)
		w.comms[id] = c
	}
	w.viewers = []*viewer{{name: "the operator (auth.System)", p: auth.System()}}
	for _, id := range w.ids[colPeople] {
		p, err := w.env.Auth.Principal(w.ctx, id)
		w.must(err, "principal of person %d", id)
		if got, want := p.Actor.Communities, w.builtCommunities(id); !slices.Equal(got, want) {
			w.failf("facts: person %d belongs to communities %v as loaded, %v as built", id, got, want)
		}
		v := &viewer{name: "viewer " + w.describePerson(id), p: p}
		if p.User.Disabled || p.Org.Disabled {
			v.dead = w.tokens[id]
		} else {
			v.token = w.tokens[id]
		}
		w.viewers = append(w.viewers, v)
	}
}

// ---- Descriptions for reports ----

func (w *world) describe(col string, id int64) string {
	switch col {
	case colPeople:
		return w.describePerson(id)
	case colOrgs:
		var in []int64
		for _, c := range w.ids[colCommunities] {
			if slices.Contains(w.orgIn[c], id) {
				in = append(in, c)
			}
		}
		if len(in) > 0 {
			return fmt.Sprintf("%s (member of communities %v)", w.describeOrg(id), in)
		}
		return w.describeOrg(id)
	case colCommunities:
		if c, ok := w.comms[id]; ok {
			return fmt.Sprintf("community %d %q", id, c.NameEN)
		}
	}
	return fmt.Sprintf("%s %d", col, id)
}

func (w *world) describePerson(id int64) string {
	u, ok := w.users[id]
	if !ok {
		return fmt.Sprintf("person %d (not in the world)", id)
	}
	flags := []string{string(u.Role()), w.describeOrg(u.OrgID)}
	if u.Disabled {
		flags = append(flags, "disabled")
	}
	if cs := w.builtCommunities(id); len(cs) > 0 {
		flags = append(flags, fmt.Sprintf("communities %v", cs))
	}
	return fmt.Sprintf("person %d <%s> (%s)", id, u.Email, strings.Join(flags, ", "))
}

func (w *world) describeOrg(id int64) string {
	o, ok := w.orgs[id]
	if !ok {
		return fmt.Sprintf("org %d (not in the world)", id)
	}
	s := fmt.Sprintf("org %d %s", id, o.Kind)
	if o.Disabled {
		s += " disabled"
	}
	return s
}
