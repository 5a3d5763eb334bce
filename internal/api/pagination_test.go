package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// walk follows next_cursor from the first page with the given limit, calling between
// (when not nil) after every page, and returns the ids in the order they came.
func walk(t *testing.T, c *client, path string, limit int, between func(page int)) []int64 {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var out []int64
	cursor := ""
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatalf("%s: no end after 100 pages", path)
		}
		q := fmt.Sprintf("%s%slimit=%d", path, sep, limit)
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		var list api.List[struct {
			ID int64 `json:"id"`
		}]
		r := c.get(q)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		if err := json.Unmarshal(r.body, &list); err != nil {
			t.Fatal(err)
		}
		if len(list.Items) > limit {
			t.Fatalf("%s: %d items on a page of %d", q, len(list.Items), limit)
		}
		if list.NextCursor != "" && len(list.Items) == 0 {
			t.Fatalf("%s: an empty page with a next cursor", q)
		}
		for _, it := range list.Items {
			out = append(out, it.ID)
		}
		if list.NextCursor == "" {
			return out
		}
		if list.NextCursor == cursor {
			t.Fatalf("%s: the cursor did not move", q)
		}
		cursor = list.NextCursor
		if between != nil {
			between(page)
		}
	}
}

// sameSet reports whether got has each id of want exactly once and nothing else, in
// ascending order (the lists are in id order).
func sameSet(t *testing.T, what string, got, want []int64) {
	t.Helper()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: walked %v, want %v", what, got, want)
	}
}

func TestWalkingListsWhileItemsAreAdded(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		sys := auth.System()
		n := 0
		newOrg := func(disabled bool) model.Org {
			n++
			o, err := w.e.Directory.CreateOrg(ctx, sys, directory.OrgInput{NameJA: fmt.Sprintf("追加組織%d", n), Kind: "partner", Disabled: disabled})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		var ahead model.Org
		for range 3 {
			ahead = newOrg(false)
		}
		allEnabled := func() []int64 {
			orgs, err := store.ListOrgs(ctx, db.Read(), store.OrgQuery{Page: store.Page{Limit: store.MaxPage}})
			if err != nil {
				t.Fatal(err)
			}
			return ids(orgs, func(o model.Org) int64 { return o.ID })
		}

		// Organizations, added (and some disabled) between pages: each shows up once, the
		// new ones too since they sort after the cursor, the disabled ones never.
		got := walk(t, w.as(t, w.memberA), api.Prefix+"/orgs", 2, func(page int) {
			newOrg(false)
			if page == 0 {
				newOrg(true)
				// One not reached yet is disabled: it is not listed.
				if _, err := w.e.Directory.UpdateOrg(ctx, sys, ahead.ID, directory.OrgInput{NameJA: ahead.NameJA, Kind: "partner", Disabled: true}); err != nil {
					t.Fatal(err)
				}
			}
		})
		sameSet(t, "orgs", got, allEnabled())
		if len(got) < 8 {
			t.Fatalf("only %d organizations walked", len(got))
		}

		// Every page size gives the same list.
		want := walk(t, w.as(t, w.analyst), api.Prefix+"/orgs?include_disabled=true", 500, nil)
		for _, limit := range []int{1, 2, 3, 7} {
			if got := walk(t, w.as(t, w.analyst), api.Prefix+"/orgs?include_disabled=true", limit, nil); !slices.Equal(got, want) {
				t.Fatalf("limit %d: %v, want %v", limit, got, want)
			}
		}

		// People, with filters kept across pages.
		m := 0
		newPerson := func() {
			m++
			w.person(w.orgA, fmt.Sprintf("extra%d@a.example", m), model.RoleMember, "ja")
		}
		for range 3 {
			newPerson()
		}
		got = walk(t, w.as(t, w.memberA), api.Prefix+"/users?org_id="+id(w.orgA.ID), 2, func(int) { newPerson() })
		users, _ := store.ListUsers(ctx, db.Read(), store.UserQuery{OrgID: w.orgA.ID, Page: store.Page{Limit: store.MaxPage}})
		sameSet(t, "users", got, ids(users, func(u model.User) int64 { return u.ID }))
		if len(got) < 9 {
			t.Fatalf("only %d people walked", len(got))
		}

		// Communities and members.
		k := 0
		for range 2 {
			k++
			w.community(fmt.Sprintf("追加コミュニティ%d", k))
		}
		got = walk(t, w.as(t, w.admin), api.Prefix+"/communities?all=true", 2, func(int) {
			k++
			w.community(fmt.Sprintf("追加コミュニティ%d", k))
		})
		comms, _ := store.ListCommunities(ctx, db.Read(), store.Filter{}, store.Page{Limit: store.MaxPage})
		sameSet(t, "communities", got, ids(comms, func(c model.Community) int64 { return c.ID }))

		var others []int64
		for _, o := range allEnabled() {
			if o != w.orgA.ID {
				others = append(others, o)
			}
		}
		addOrg := func() {
			if len(others) > 0 {
				if err := w.e.Communities.AddOrg(ctx, sys, w.c1.ID, others[0]); err != nil {
					t.Fatal(err)
				}
				others = others[1:]
			}
		}
		addOrg()
		addOrg()
		got = walk(t, w.as(t, w.memberA), api.Prefix+"/communities/"+id(w.c1.ID)+"/members", 2, func(int) { addOrg() })
		rows, _ := store.ListMemberRows(ctx, db.Read(), w.c1.ID, store.Filter{}, store.Page{Limit: store.MaxPage})
		sameSet(t, "members", got, ids(rows, func(r store.MemberRow) int64 { return r.ID }))
		if len(got) < 4 {
			t.Fatalf("only %d members walked", len(got))
		}
	})
}

func TestPageSize(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for i := range 52 {
			w.org(fmt.Sprintf("組織%02d", i), model.KindPartner, false)
		}
		c := w.as(t, w.memberA)
		// The default page is 50.
		var list api.List[api.Org]
		c.get(api.Prefix+"/orgs").ok(t, 200, &list)
		if len(list.Items) != 50 || list.NextCursor == "" {
			t.Fatalf("default page: %d items, cursor %q", len(list.Items), list.NextCursor)
		}
		// The largest page is 500, and the limit is refused (not clamped) outside 1–500.
		c.get(api.Prefix+"/orgs?limit=500").ok(t, 200, &list)
		if len(list.Items) != 55 || list.NextCursor != "" {
			t.Fatalf("limit=500: %d items, cursor %q", len(list.Items), list.NextCursor)
		}
		if store.MaxPage != 500 {
			t.Fatalf("MaxPage %d: the documented range is 1–500", store.MaxPage)
		}
		for _, path := range []string{"/orgs", "/users", "/communities", "/communities/" + id(w.c1.ID) + "/members", "/audit"} {
			cl := c
			if path == "/audit" {
				cl = w.as(t, w.admin)
			}
			for _, l := range []string{"501", "0", "-1", "ten", "1.5", "99999999999999999999"} {
				p := cl.get(api.Prefix+path+"?limit="+l).fieldProblem(t, "limit")
				if !strings.Contains(p.Errors[0].Message, l) {
					t.Errorf("%s limit=%s: %q does not repeat the value", path, l, p.Errors[0].Message)
				}
			}
			cl.get(api.Prefix+path+"?limit=1").ok(t, 200, nil)
		}
	})
}

func badCursors(t *testing.T, w *world) {
	c := w.as(t, w.memberA)
	enc := base64.RawURLEncoding.EncodeToString
	for _, cur := range []string{"!!!", "@@@@", enc([]byte("id:abc")), enc([]byte("seq:3")), enc([]byte("id:-3")), enc([]byte("3")),
		base64.StdEncoding.EncodeToString([]byte("id:3")) + "=", enc([]byte("id:3")) + "."} {
		for _, path := range []string{"/orgs", "/users", "/communities", "/communities/" + id(w.c1.ID) + "/members"} {
			p := c.get(api.Prefix+path+"?cursor="+url.QueryEscape(cur)).fieldProblem(t, "cursor")
			if len(p.Errors) != 1 {
				t.Errorf("%s: %+v", path, p.Errors)
			}
		}
	}
	// A well-formed cursor past the end is an empty last page.
	var list api.List[api.Org]
	c.get(api.Prefix+"/orgs?cursor="+enc([]byte("id:999999"))).ok(t, 200, &list)
	if len(list.Items) != 0 || list.Items == nil || list.NextCursor != "" {
		t.Fatalf("past the end: %+v", list)
	}
	// The cursor is the id of the last item: id:N continues after N.
	c.get(api.Prefix+"/orgs?cursor="+enc([]byte("id:"+id(w.orgA.ID)))).ok(t, 200, &list)
	if len(list.Items) == 0 || list.Items[0].ID <= w.orgA.ID {
		t.Fatalf("after org A: %+v", list.Items)
	}
}

// The audit log pages with before=<seq> rather than next_cursor (which it leaves empty).
func TestAuditPagesWithBefore(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c := w.as(t, w.admin)
		var seen []int64
		path := api.Prefix + "/audit?limit=3"
		for {
			var list api.List[api.AuditRecord]
			c.get(path).ok(t, 200, &list)
			if list.NextCursor != "" {
				t.Fatalf("audit next_cursor %q", list.NextCursor)
			}
			if len(list.Items) == 0 {
				break
			}
			for _, r := range list.Items {
				seen = append(seen, r.Seq)
			}
			path = api.Prefix + "/audit?limit=3&before=" + id(list.Items[len(list.Items)-1].Seq)
		}
		last, err := store.LastAudit(ctx, db.Read())
		if err != nil {
			t.Fatal(err)
		}
		// Newest first, each record once, down to seq 1. (The admin's first use of their
		// token is recorded before the first page is read, so it is the newest.)
		if int64(len(seen)) != last.Seq || seen[0] != last.Seq || last.Action != "token.used" {
			t.Fatalf("walked %v, log ends at %d", seen, last.Seq)
		}
		for i := 1; i < len(seen); i++ {
			if seen[i] != seen[i-1]-1 {
				t.Fatalf("walked %v", seen)
			}
		}
	})
}
