package api

import (
	"net/http"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

var pageParams = []param{
	{"cursor", "string", "opaque cursor from next_cursor of the previous page"},
	{"limit", "integer", "page size, 1–500 (default 50)"},
}

func (x *API) routes() {
	x.add(&op{Method: "GET", Path: "/me", ID: "getMe", Tag: "people", Summary: "The caller, their organization and communities", Resp: Me{}, Handle: x.me})
	x.add(&op{Method: "PATCH", Path: "/me", ID: "updateMe", Tag: "people", Summary: "Change the caller's display name, language or time zone", Body: ProfileInput{}, Resp: User{}, Handle: x.updateMe})

	x.add(&op{Method: "GET", Path: "/orgs", ID: "listOrgs", Tag: "organizations", Summary: "The directory of member organizations",
		Query: append([]param{{"kind", "string", "filter by kind"}, {"sector", "string", "filter by sector"}, {"q", "string", "part of either name"},
			{"include_disabled", "boolean", "include disabled organizations (center staff only)"}}, pageParams...),
		Resp: List[Org]{}, Handle: x.listOrgs})
	x.add(&op{Method: "POST", Path: "/orgs", ID: "createOrg", Tag: "organizations", Summary: "Add an organization (center admins)", Body: OrgInput{}, Resp: Org{}, Status: 201, Handle: x.createOrg})
	x.add(&op{Method: "GET", Path: "/orgs/{id}", ID: "getOrg", Tag: "organizations", Summary: "One organization", Resp: Org{}, Handle: x.getOrg})
	x.add(&op{Method: "PUT", Path: "/orgs/{id}", ID: "replaceOrg", Tag: "organizations", Summary: "Replace an organization's editable fields (center admins)", Body: OrgInput{}, Resp: Org{}, Handle: x.replaceOrg})

	x.add(&op{Method: "GET", Path: "/users", ID: "listUsers", Tag: "people", Summary: "People the caller may see",
		Query: append([]param{{"org_id", "integer", "only people of this organization"}, {"q", "string", "part of the name or email"},
			{"include_disabled", "boolean", "include disabled people (their administrators only)"}}, pageParams...),
		Resp: List[User]{}, Handle: x.listUsers})
	x.add(&op{Method: "POST", Path: "/users", ID: "createUser", Tag: "people", Summary: "Add a person (center admins; org admins for their organization)", Body: UserInput{}, Resp: UserCreated{}, Status: 201, Handle: x.createUser})
	x.add(&op{Method: "GET", Path: "/users/{id}", ID: "getUser", Tag: "people", Summary: "One person", Resp: User{}, Handle: x.getUser})
	x.add(&op{Method: "PATCH", Path: "/users/{id}", ID: "updateUser", Tag: "people", Summary: "Change a person's role, name, email, language, time zone or disabled flag", Body: UserPatch{}, Resp: User{}, Handle: x.updateUser})

	x.add(&op{Method: "GET", Path: "/communities", ID: "listCommunities", Tag: "communities", Summary: "Communities the caller belongs to",
		Query: append([]param{{"all", "boolean", "every community (center admins)"}}, pageParams...), Resp: List[Community]{}, Handle: x.listCommunities})
	x.add(&op{Method: "POST", Path: "/communities", ID: "createCommunity", Tag: "communities", Summary: "Create a community (center admins)", Body: CommunityInput{}, Resp: Community{}, Status: 201, Handle: x.createCommunity})
	x.add(&op{Method: "GET", Path: "/communities/{id}", ID: "getCommunity", Tag: "communities", Summary: "One community", Resp: Community{}, Handle: x.getCommunity})
	x.add(&op{Method: "PUT", Path: "/communities/{id}", ID: "replaceCommunity", Tag: "communities", Summary: "Replace a community's names and descriptions (center admins)", Body: CommunityInput{}, Resp: Community{}, Handle: x.replaceCommunity})
	x.add(&op{Method: "GET", Path: "/communities/{id}/members", ID: "listMembers", Tag: "communities", Summary: "A community's members", Query: pageParams, Resp: List[Member]{}, Handle: x.listMembers})
	x.add(&op{Method: "POST", Path: "/communities/{id}/members", ID: "addMember", Tag: "communities", Summary: "Add an organization or a person (center admins)", Body: MemberInput{}, Handle: x.addMember})
	x.add(&op{Method: "DELETE", Path: "/communities/{id}/members/orgs/{org_id}", ID: "removeOrgMember", Tag: "communities", Summary: "Remove an organization (center admins)", Handle: x.removeOrgMember})
	x.add(&op{Method: "DELETE", Path: "/communities/{id}/members/users/{user_id}", ID: "removeUserMember", Tag: "communities", Summary: "Remove a person (center admins)", Handle: x.removeUserMember})
	x.add(&op{Method: "PUT", Path: "/communities/{id}/moderators/{user_id}", ID: "addModerator", Tag: "communities", Summary: "Make a member a moderator (center admins)", Handle: x.setModerator(true)})
	x.add(&op{Method: "DELETE", Path: "/communities/{id}/moderators/{user_id}", ID: "removeModerator", Tag: "communities", Summary: "Remove a moderator (center admins)", Handle: x.setModerator(false)})

	x.add(&op{Method: "GET", Path: "/tokens", ID: "listTokens", Tag: "tokens", Summary: "The caller's API tokens", Resp: List[Token]{}, Handle: x.listTokens})
	x.add(&op{Method: "POST", Path: "/tokens", ID: "createToken", Tag: "tokens", Summary: "Create an API token; its secret is in this response only", Body: TokenInput{}, Resp: TokenCreated{}, Status: 201, Handle: x.createToken})
	x.add(&op{Method: "DELETE", Path: "/tokens/{id}", ID: "revokeToken", Tag: "tokens", Summary: "Revoke an API token", Handle: x.revokeToken})

	x.add(&op{Method: "GET", Path: "/audit", ID: "listAudit", Tag: "audit", Summary: "The audit log, newest first (center admins)",
		Query: []param{{"action", "string", "an action, or a prefix ending in a dot (auth.)"}, {"actor_id", "integer", "only this person's actions"},
			{"target_type", "string", "user, org, community or setting"}, {"target_id", "integer", "with target_type"},
			{"since", "string", "RFC 3339 time"}, {"until", "string", "RFC 3339 time"}, {"before", "integer", "records with seq below this"},
			{"limit", "integer", "page size, 1–500 (default 50)"}},
		Resp: List[AuditRecord]{}, Handle: x.listAudit})

	x.topicRoutes()
	x.notifyRoutes()
	x.deskRoutes() // consultation desk
	x.caseAttachRoutes()
	x.deskOnCallRoutes()
	x.observeRoutes()
	x.intelRoutes()    // indicators (internal/api/intel.go)
	x.taxiiSubRoutes() // TAXII subscriptions (internal/api/taxiisub.go)
	x.mispFeedRoutes() // MISP feed imports (internal/api/mispfeed.go)
}

func (x *API) me(r *http.Request, p auth.Principal) (any, error) {
	req, err := x.app.Auth.TOTPRequired(r.Context(), p.User)
	if err != nil {
		return nil, err
	}
	comms := p.Actor.Communities
	if comms == nil {
		comms = []int64{}
	}
	return Me{User: userOut(p.User), Org: orgOut(p.Org), Communities: comms, TOTPRequired: req}, nil
}

func (x *API) updateMe(r *http.Request, p auth.Principal) (any, error) {
	var in ProfileInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	pi := directory.ProfileInput{DisplayName: p.User.DisplayName, Lang: string(p.User.Lang), TimeZone: p.User.TimeZone}
	if in.DisplayName != nil {
		pi.DisplayName = *in.DisplayName
	}
	if in.Lang != nil {
		pi.Lang = *in.Lang
	}
	if in.TimeZone != nil {
		pi.TimeZone = *in.TimeZone
	}
	u, err := x.app.Directory.UpdateProfile(r.Context(), p, pi)
	return userOut(u), err
}

func (x *API) listOrgs(r *http.Request, p auth.Principal) (any, error) {
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	orgs, err := x.app.Directory.ListOrgs(r.Context(), p, directory.OrgQuery{Kind: q.Get("kind"), Sector: q.Get("sector"), Text: q.Get("q"),
		IncludeDisabled: q.Get("include_disabled") == "true", Page: pg})
	if err != nil {
		return nil, err
	}
	return listOf(orgs, pg, func(o model.Org) int64 { return o.ID }, orgOut), nil
}

func orgInput(in OrgInput) directory.OrgInput {
	return directory.OrgInput{NameJA: in.NameJA, NameEN: in.NameEN, Kind: in.Kind, Sector: in.Sector, Contacts: in.Contacts, Disabled: in.Disabled}
}

func (x *API) createOrg(r *http.Request, p auth.Principal) (any, error) {
	var in OrgInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	o, err := x.app.Directory.CreateOrg(r.Context(), p, orgInput(in))
	return orgOut(o), err
}

func (x *API) getOrg(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	o, err := x.app.Directory.GetOrg(r.Context(), p, id)
	return orgOut(o), err
}

func (x *API) replaceOrg(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	if _, err := x.app.Directory.GetOrg(r.Context(), p, id); err != nil {
		return nil, err
	}
	var in OrgInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	o, err := x.app.Directory.UpdateOrg(r.Context(), p, id, orgInput(in))
	return orgOut(o), err
}

func (x *API) listUsers(r *http.Request, p auth.Principal) (any, error) {
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	orgID, err := queryInt64(r, "org_id")
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	users, err := x.app.Directory.ListUsers(r.Context(), p, directory.UserQuery{OrgID: orgID, Text: q.Get("q"),
		IncludeDisabled: q.Get("include_disabled") == "true", Page: pg})
	if err != nil {
		return nil, err
	}
	return listOf(users, pg, func(u model.User) int64 { return u.ID }, userOut), nil
}

func (x *API) createUser(r *http.Request, p auth.Principal) (any, error) {
	var in UserInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	u, err := x.app.Directory.CreateUser(r.Context(), p, directory.UserInput{OrgID: in.OrgID, Email: in.Email,
		DisplayName: in.DisplayName, Role: in.Role, Lang: in.Lang, TimeZone: in.TimeZone})
	if err != nil {
		return nil, err
	}
	secret, expires, err := x.app.Auth.CreateLink(r.Context(), p, u, auth.LinkWelcome)
	if err != nil {
		return nil, err
	}
	return UserCreated{User: userOut(u), SignInLink: x.app.Config.PublicURL() + "/welcome/" + secret, SignInLinkExpiry: expires}, nil
}

func (x *API) getUser(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	u, err := x.app.Directory.GetUser(r.Context(), p, id)
	return userOut(u), err
}

func (x *API) updateUser(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	if _, err := x.app.Directory.ManagedUser(r.Context(), p, id); err != nil {
		return nil, err
	}
	var in UserPatch
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	u, err := x.app.Directory.UpdateUser(r.Context(), p, id, directory.UserPatch{DisplayName: in.DisplayName, Email: in.Email,
		Role: in.Role, Lang: in.Lang, TimeZone: in.TimeZone, Disabled: in.Disabled})
	return userOut(u), err
}

func (x *API) listCommunities(r *http.Request, p auth.Principal) (any, error) {
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	var list []model.Community
	if r.URL.Query().Get("all") == "true" {
		list, err = x.app.Communities.List(r.Context(), p, pg)
	} else {
		list, err = x.app.Communities.Mine(r.Context(), p, pg)
	}
	if err != nil {
		return nil, err
	}
	return listOf(list, pg, func(c model.Community) int64 { return c.ID }, communityOut), nil
}

func communityInput(in CommunityInput) community.Input {
	return community.Input{NameJA: in.NameJA, NameEN: in.NameEN, DescriptionJA: in.DescriptionJA, DescriptionEN: in.DescriptionEN}
}

func (x *API) createCommunity(r *http.Request, p auth.Principal) (any, error) {
	var in CommunityInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	c, err := x.app.Communities.Create(r.Context(), p, communityInput(in))
	return communityOut(c), err
}

func (x *API) getCommunity(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	c, err := x.app.Communities.Get(r.Context(), p, id)
	return communityOut(c), err
}

func (x *API) replaceCommunity(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	old, err := x.app.Communities.Get(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	var in CommunityInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	c, err := x.app.Communities.Update(r.Context(), p, id, communityInput(in))
	if c.CreatedAt.IsZero() {
		c.CreatedAt = old.CreatedAt // Update returns the new fields only
	}
	return communityOut(c), err
}

func (x *API) listMembers(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	ms, err := x.app.Communities.Members(r.Context(), p, id, pg)
	if err != nil {
		return nil, err
	}
	return listOf(ms, pg, func(m store.MemberRow) int64 { return m.ID }, memberOut), nil
}

func (x *API) addMember(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	if _, err := x.app.Communities.Get(r.Context(), p, id); err != nil {
		return nil, err
	}
	var in MemberInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	switch {
	case in.OrgID != 0 && in.UserID == 0:
		return nil, x.app.Communities.AddOrg(r.Context(), p, id, in.OrgID)
	case in.UserID != 0 && in.OrgID == 0:
		return nil, x.app.Communities.AddUser(r.Context(), p, id, in.UserID)
	}
	return nil, fault.Field("org_id", "api.member_one_of")
}

func (x *API) removeOrgMember(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	orgID, err := pathID(r, "org_id")
	if err != nil {
		return nil, err
	}
	return nil, x.app.Communities.RemoveOrg(r.Context(), p, id, orgID)
}

func (x *API) removeUserMember(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	userID, err := pathID(r, "user_id")
	if err != nil {
		return nil, err
	}
	return nil, x.app.Communities.RemoveUser(r.Context(), p, id, userID)
}

func (x *API) setModerator(on bool) func(*http.Request, auth.Principal) (any, error) {
	return func(r *http.Request, p auth.Principal) (any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		userID, err := pathID(r, "user_id")
		if err != nil {
			return nil, err
		}
		return nil, x.app.Communities.SetModerator(r.Context(), p, id, userID, on)
	}
}

func (x *API) listTokens(r *http.Request, p auth.Principal) (any, error) {
	ts, err := x.app.Auth.Tokens(r.Context(), p.User.ID)
	if err != nil {
		return nil, err
	}
	return listOf(ts, store.Page{Limit: len(ts) + 1}, func(t model.Token) int64 { return t.ID }, tokenOut), nil
}

func (x *API) createToken(r *http.Request, p auth.Principal) (any, error) {
	var in TokenInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	secret, t, err := x.app.Auth.CreateToken(r.Context(), p, p.User.ID, in.Name)
	if err != nil {
		return nil, err
	}
	return TokenCreated{Token: tokenOut(t), Secret: secret}, nil
}

func (x *API) revokeToken(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return nil, x.app.Auth.RevokeToken(r.Context(), p, id)
}

func (x *API) listAudit(r *http.Request, p auth.Principal) (any, error) {
	q := r.URL.Query()
	var errs fault.List
	aq := audit.Query{Action: q.Get("action"), TargetType: q.Get("target_type")}
	var err error
	aq.ActorID, err = queryInt64(r, "actor_id")
	errs.AddErr("actor_id", err)
	aq.TargetID, err = queryInt64(r, "target_id")
	errs.AddErr("target_id", err)
	aq.Before, err = queryInt64(r, "before")
	errs.AddErr("before", err)
	aq.Since, err = queryTime(r, "since")
	errs.AddErr("since", err)
	aq.Until, err = queryTime(r, "until")
	errs.AddErr("until", err)
	pg, err := page(r)
	errs.AddErr("limit", err)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	aq.Limit = pg.Limit
	recs, err := audit.List(r.Context(), x.app.DB, p.Actor, aq)
	if err != nil {
		return nil, err
	}
	out := List[AuditRecord]{Items: make([]AuditRecord, 0, len(recs))}
	for _, rec := range recs {
		out.Items = append(out.Items, auditOut(rec))
	}
	return out, nil
}

func queryTime(r *http.Request, name string) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fault.Field(name, "error.bad_param", "name", name, "value", s)
	}
	return t, nil
}
