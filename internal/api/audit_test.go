package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// auditOf returns the records of an action, newest first.
func auditOf(t *testing.T, w *world, action string) []model.AuditRecord {
	t.Helper()
	recs, err := audit.List(ctx, w.e.DB, auth.System().Actor, audit.Query{Action: action, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// Every write through the API leaves its audit record, with the caller as actor and the
// client's address, in the same transaction as the change; refused writes leave none.
func TestWritesAreAudited(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for _, u := range []model.User{w.admin, w.adminA, w.memberA} {
			w.as(t, u).get(api.Prefix + "/me") // the first use of a token is itself audited
		}
		tip := func() int64 {
			last, err := store.LastAudit(ctx, db.Read())
			if err != nil {
				t.Fatal(err)
			}
			return last.Seq
		}
		c1 := api.Prefix + "/communities/" + id(w.c1.ID)
		var tokenID int64
		cases := []struct {
			name        string
			as          model.User
			method      string
			path        func() string
			body        any
			status      int
			actions     []string
			targetType  string
			targetID    func(body []byte) int64
			detailCheck string // a substring of the first record's detail
		}{
			{"create org", w.admin, "POST", fixedPath(api.Prefix + "/orgs"), map[string]any{"name_ja": "監査組織", "kind": "partner"}, 201,
				[]string{"org.created"}, "org", bodyID, `"name_ja":"監査組織"`},
			{"replace org", w.admin, "PUT", fixedPath(api.Prefix + "/orgs/" + id(w.orgB.ID)), map[string]any{"name_ja": "改名組織", "kind": "operator"}, 200,
				[]string{"org.updated"}, "org", constID(w.orgB.ID), `"to":"改名組織"`},
			{"disable org", w.admin, "PUT", fixedPath(api.Prefix + "/orgs/" + id(w.orgB.ID)), map[string]any{"name_ja": "改名組織", "kind": "operator", "disabled": true}, 200,
				[]string{"org.disabled"}, "org", constID(w.orgB.ID), `"disabled"`},
			{"create user", w.adminA, "POST", fixedPath(api.Prefix + "/users"), map[string]any{"org_id": w.orgA.ID, "email": "audited@a.example", "display_name": "監査"}, 201,
				[]string{"user.created", "auth.link_created"}, "user", bodyID, `"email":"audited@a.example"`},
			{"change a role", w.adminA, "PATCH", fixedPath(api.Prefix + "/users/" + id(w.memberA2.ID)), map[string]any{"role": "org-admin"}, 200,
				[]string{"user.role_changed"}, "user", constID(w.memberA2.ID), `"to":"org-admin"`},
			{"disable a person", w.adminA, "PATCH", fixedPath(api.Prefix + "/users/" + id(w.memberA2.ID)), map[string]any{"disabled": true}, 200,
				[]string{"user.disabled"}, "user", constID(w.memberA2.ID), ""},
			{"create community", w.admin, "POST", fixedPath(api.Prefix + "/communities"), map[string]any{"name_ja": "監査コミュニティ"}, 201,
				[]string{"community.created"}, "community", bodyID, `"name_ja":"監査コミュニティ"`},
			{"replace community", w.admin, "PUT", fixedPath(c1), map[string]any{"name_ja": "改名コミュニティ"}, 200,
				[]string{"community.updated"}, "community", constID(w.c1.ID), `"name_ja":"改名コミュニティ"`},
			{"add member", w.admin, "POST", fixedPath(c1 + "/members"), map[string]any{"user_id": w.memberB.ID}, 204,
				[]string{"community.member_added"}, "community", constID(w.c1.ID), fmt.Sprintf(`"user_id":%d`, w.memberB.ID)},
			{"add moderator", w.admin, "PUT", fixedPath(c1 + "/moderators/" + id(w.memberB.ID)), nil, 204,
				[]string{"community.moderator_added"}, "community", constID(w.c1.ID), fmt.Sprintf(`"user_id":%d`, w.memberB.ID)},
			{"remove moderator", w.admin, "DELETE", fixedPath(c1 + "/moderators/" + id(w.memberB.ID)), nil, 204,
				[]string{"community.moderator_removed"}, "community", constID(w.c1.ID), ""},
			{"remove person", w.admin, "DELETE", fixedPath(c1 + "/members/users/" + id(w.memberB.ID)), nil, 204,
				[]string{"community.member_removed"}, "community", constID(w.c1.ID), fmt.Sprintf(`"user_id":%d`, w.memberB.ID)},
			{"remove org", w.admin, "DELETE", fixedPath(c1 + "/members/orgs/" + id(w.orgA.ID)), nil, 204,
				[]string{"community.member_removed"}, "community", constID(w.c1.ID), fmt.Sprintf(`"org_id":%d`, w.orgA.ID)},
			{"create token", w.memberA, "POST", fixedPath(api.Prefix + "/tokens"), map[string]any{"name": "監査トークン"}, 201,
				[]string{"token.created"}, "user", constID(w.memberA.ID), `"name":"監査トークン"`},
			{"revoke token", w.memberA, "DELETE", func() string { return api.Prefix + "/tokens/" + id(tokenID) }, nil, 204,
				[]string{"token.revoked"}, "user", constID(w.memberA.ID), `"name":"監査トークン"`},
		}
		covered := map[string]bool{}
		for _, tc := range cases {
			before := tip()
			r := w.as(t, tc.as).do(tc.method, tc.path(), tc.body)
			r.ok(t, tc.status, nil)
			if tc.name == "create token" {
				var created api.TokenCreated
				json.Unmarshal(r.body, &created)
				tokenID = created.ID
			}
			recs, err := audit.List(ctx, db, auth.System().Actor, audit.Query{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			var added []model.AuditRecord
			for _, rec := range recs {
				if rec.Seq > before {
					added = append([]model.AuditRecord{rec}, added...)
				}
			}
			var actions []string
			for _, rec := range added {
				actions = append(actions, rec.Action)
				if rec.ActorUserID != tc.as.ID || rec.ActorEmail != tc.as.Email || rec.IP != "127.0.0.1" {
					t.Errorf("%s: %s recorded as %d %s from %q", tc.name, rec.Action, rec.ActorUserID, rec.ActorEmail, rec.IP)
				}
			}
			if !slices.Equal(actions, tc.actions) {
				t.Errorf("%s: recorded %v, want %v", tc.name, actions, tc.actions)
				continue
			}
			if first := added[0]; first.TargetType != tc.targetType || first.TargetID != tc.targetID(r.body) || !strings.Contains(first.Detail, tc.detailCheck) {
				t.Errorf("%s: %+v", tc.name, first)
			}
			_, path, _ := strings.Cut(opPattern(tc.method, tc.path()), " ")
			covered[tc.method+" "+path] = true
		}
		// Every write operation of the route table is here, except PATCH /me: a person's
		// own name, language and time zone are changed without a record
		// (directory.UpdateProfile writes none).
		for _, p := range routePatterns(t) {
			if !strings.HasPrefix(p, "GET ") && !covered[p] && !testedElsewhere(p) && p != "PATCH /api/v1/me" {
				t.Errorf("%s: not checked for its audit record", p)
			}
		}

		// Refused writes record nothing.
		before := tip()
		w.as(t, w.memberA).do("POST", api.Prefix+"/orgs", map[string]any{"name_ja": "x", "kind": "partner"}).problem(t, 403, "forbidden")
		w.as(t, w.memberA).do("POST", api.Prefix+"/tokens", `{"name":""}`).fieldProblem(t, "name")
		w.as(t, w.memberA).do("POST", api.Prefix+"/tokens", `{"name":"x","x":1}`).problem(t, 400, "bad-request")
		w.as(t, w.admin).do("POST", api.Prefix+"/orgs", map[string]any{"name_ja": "監査組織", "kind": "partner"}).problem(t, 409, "conflict")
		if after := tip(); after != before {
			t.Fatalf("refused writes were recorded: %d → %d", before, after)
		}
		// The chain is intact after all of it.
		rep, err := audit.Verify(ctx, db)
		if err != nil || !rep.OK() {
			t.Fatalf("audit chain: %+v %v", rep, err)
		}
	})
}

func fixedPath(p string) func() string { return func() string { return p } }

func constID(n int64) func([]byte) int64 { return func([]byte) int64 { return n } }

func bodyID(b []byte) int64 {
	var v struct {
		ID int64 `json:"id"`
	}
	json.Unmarshal(b, &v)
	return v.ID
}

// opPattern returns the route pattern a request reaches.
func opPattern(method, path string) string {
	req, _ := http.NewRequest(method, "http://x"+path, nil)
	_, p := spec.routes.Handler(req)
	return p
}
