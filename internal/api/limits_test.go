package api_test

import (
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// A person holds at most MaxTokens active tokens; revoked ones do not count.
func TestActiveTokensAreLimited(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		max := w.e.Auth.Config().MaxTokens
		if max != 20 {
			t.Fatalf("MaxTokens %d", max)
		}
		c := w.as(t, w.memberB) // English
		var last api.TokenCreated
		for i := 1; i < max; i++ { // the world gave them one
			c.do("POST", api.Prefix+"/tokens", `{"name":"t"}`).ok(t, 201, &last)
		}
		p := c.do("POST", api.Prefix+"/tokens", `{"name":"one too many"}`).problem(t, 409, "conflict")
		if p.Detail != i18n.T(model.LangEN, "token.too_many", "max", max) || !strings.Contains(p.Detail, "20") {
			t.Fatalf("detail %q", p.Detail)
		}
		if n := tokenCount(t, w, w.memberB.ID); n != max {
			t.Fatalf("%d tokens", n)
		}
		c.do("DELETE", api.Prefix+"/tokens/"+id(last.ID), nil).ok(t, 204, nil)
		c.do("POST", api.Prefix+"/tokens", `{"name":"again"}`).ok(t, 201, nil)
		c.do("POST", api.Prefix+"/tokens", `{"name":"and again"}`).problem(t, 409, "conflict")
		// The limit is per person.
		w.as(t, w.memberA).do("POST", api.Prefix+"/tokens", `{"name":"other"}`).ok(t, 201, nil)
	})
}

// Text fields are bounded; the API reports the field, nothing is stored.
func TestFieldLengthLimits(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		admin := w.as(t, w.admin)
		long := func(n int) string { return strings.Repeat("あ", n) }
		cases := []struct {
			method, path string
			c            *client
			ok, bad      map[string]any
			field        string
		}{
			{"POST", "/tokens", w.as(t, w.memberA), map[string]any{"name": long(auth.MaxTokenNameLen)},
				map[string]any{"name": long(auth.MaxTokenNameLen + 1)}, "name"},
			{"PATCH", "/me", w.as(t, w.memberA), map[string]any{"display_name": long(directory.MaxDisplayNameLen)},
				map[string]any{"display_name": long(directory.MaxDisplayNameLen + 1)}, "display_name"},
			{"POST", "/orgs", admin, map[string]any{"name_ja": long(directory.MaxNameLen), "kind": "partner"},
				map[string]any{"name_ja": long(directory.MaxNameLen+1) + "x", "kind": "partner"}, "name_ja"},
			{"POST", "/communities", admin, map[string]any{"name_ja": "長い説明", "description_ja": long(community.MaxDescriptionLen)},
				map[string]any{"name_ja": "長すぎる説明", "description_ja": long(community.MaxDescriptionLen + 1)}, "description_ja"},
			{"PUT", "/orgs/" + id(w.orgB.ID), admin, map[string]any{"name_ja": "連絡先", "kind": "operator", "contacts": contacts(directory.MaxContacts)},
				map[string]any{"name_ja": "連絡先", "kind": "operator", "contacts": contacts(directory.MaxContacts + 1)}, "contacts"},
		}
		for _, tc := range cases {
			tc.c.do(tc.method, api.Prefix+tc.path, tc.bad).fieldProblem(t, tc.field)
			r := tc.c.do(tc.method, api.Prefix+tc.path, tc.ok)
			if r.status/100 != 2 {
				t.Errorf("%s %s at the limit: %d %s", tc.method, tc.path, r.status, r.body)
			}
		}
		if _, err := store.FindCommunity(ctx, db.Read(), "長すぎる説明"); err == nil {
			t.Error("the refused community was stored")
		}
	})
}

func contacts(n int) []map[string]string {
	out := make([]map[string]string, n)
	for i := range out {
		out[i] = map[string]string{"label": "SOC", "phone": "03-0000-000" + string(rune('0'+i%10))}
	}
	return out
}
