package api_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func openAPIDocument(t *testing.T, w *world) {
	r := w.anon(t).get(api.Prefix + "/openapi.json")
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("openapi.json: %d %q", r.status, r.header.Get("Content-Type"))
	}
	if !json.Valid(r.body) {
		t.Fatal("openapi.json is not valid JSON")
	}
	doc := decodeJSON(r.body).(map[string]any)
	if v, _ := doc["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Fatalf("openapi %q", v)
	}
	info := obj(doc["info"])
	if info["title"] == "" || info["version"] == "" {
		t.Errorf("info: %v", info)
	}
	if obj(obj(obj(doc["components"])["securitySchemes"])["bearer"])["scheme"] != "bearer" {
		t.Errorf("no bearer security scheme")
	}
	// The document served is the one the package builds.
	built, _ := json.Marshal(api.New(w.e.App).Doc())
	if !jsonEqual(built, r.body) {
		t.Error("the served document differs from Doc()")
	}

	// Operations in the document and patterns of the route table are the same set.
	x := api.New(w.e.App)
	patterns := x.Patterns()
	var documented []string
	for path, item := range obj(doc["paths"]) {
		for method := range obj(item) {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(documented)
	sorted := slices.Sorted(slices.Values(patterns))
	if !slices.Equal(sorted, documented) {
		t.Fatalf("route table and document differ:\nroutes: %v\ndoc:    %v", sorted, documented)
	}
	if len(slices.Compact(slices.Clone(sorted))) != len(sorted) {
		t.Fatalf("a pattern appears twice: %v", sorted)
	}

	// Patterns() is what Register puts in the mux: every pattern reaches itself.
	mux := http.NewServeMux()
	x.Register(mux)
	for _, p := range patterns {
		method, path, _ := strings.Cut(p, " ")
		req, _ := http.NewRequest(method, "http://x"+pathParam.ReplaceAllString(path, "7"), nil)
		if _, got := mux.Handler(req); got != p {
			t.Errorf("%s reaches %q in the mux", p, got)
		}
	}

	// Each operation: a unique id, its path parameters, its security and its errors.
	seen := map[string]string{}
	for _, p := range patterns {
		method, path, _ := strings.Cut(p, " ")
		op := obj(obj(obj(doc["paths"])[path])[strings.ToLower(method)])
		opID, _ := op["operationId"].(string)
		if opID == "" || seen[opID] != "" {
			t.Errorf("%s: operationId %q (also %s)", p, opID, seen[opID])
		}
		seen[opID] = p
		var inPath []string
		params, _ := op["parameters"].([]any)
		for _, prm := range params {
			prm := obj(prm)
			if prm["in"] == "path" {
				if prm["required"] != true {
					t.Errorf("%s: path parameter %v not required", p, prm["name"])
				}
				inPath = append(inPath, "{"+prm["name"].(string)+"}")
			}
		}
		if want := pathParam.FindAllString(path, -1); !slices.Equal(inPath, want) {
			t.Errorf("%s: path parameters %v, want %v", p, inPath, want)
		}
		responses := obj(op["responses"])
		public := op["security"] != nil && len(op["security"].([]any)) == 0
		if _, ok := responses["401"]; !ok && !public {
			t.Errorf("%s: 401 is not documented", p)
		}
		if public != (path == api.Prefix+"/openapi.json") {
			t.Errorf("%s: public %v", p, public)
		}
		if op["requestBody"] != nil {
			if obj(op["requestBody"])["required"] != true {
				t.Errorf("%s: the request body is not required", p)
			}
			codes := []string{"413"} // any body has a limit
			if obj(obj(op["requestBody"])["content"])["application/json"] != nil {
				codes = append(codes, "400", "415") // a JSON body is decoded
			}
			for _, code := range codes {
				if _, ok := responses[code]; !ok {
					t.Errorf("%s: %s is not documented", p, code)
				}
			}
		}
		for code, resp := range responses {
			for mt := range obj(obj(resp)["content"]) {
				if strings.HasPrefix(code, "4") && mt != "application/problem+json" {
					t.Errorf("%s: %s documented as %s", p, code, mt)
				}
			}
		}
	}

	// Every $ref resolves, and to a schema rather than to another $ref.
	walkRefs(doc, func(ref string) {
		name, ok := strings.CutPrefix(ref, "#/components/schemas/")
		target := obj(obj(obj(doc["components"])["schemas"])[name])
		if !ok || target == nil {
			t.Errorf("dangling $ref %s", ref)
		} else if _, isRef := target["$ref"]; isRef || target["type"] == nil {
			t.Errorf("$ref %s leads to %v", ref, target)
		}
	})
	problem := spec.resolve(map[string]any{"$ref": "#/components/schemas/Problem"})
	for _, k := range []string{"type", "title", "status", "detail", "instance"} {
		if !slices.Contains(required(problem), k) {
			t.Errorf("Problem.%s is not required: %v", k, problem)
		}
	}
	if obj(obj(problem["properties"])["errors"])["type"] != "array" {
		t.Errorf("Problem.errors: %v", problem["properties"])
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

func walkRefs(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			fn(ref)
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			walkRefs(x[k], fn)
		}
	case []any:
		for _, e := range x {
			walkRefs(e, fn)
		}
	}
}

// Every GET operation is called once with success; the client checks each answer against
// the document (undocumented keys, missing required keys, wrong types, undocumented
// status or media type).
func TestEveryGETAnswerMatchesItsSchema(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.e.Communities.AddUser(ctx, auth.System(), w.c1.ID, w.analyst.ID)
		w.e.Communities.SetModerator(ctx, auth.System(), w.c1.ID, w.analyst.ID, true)
		c1 := id(w.c1.ID)
		gets := map[string][]string{
			"GET /api/v1/me":                       {"/me"},
			"GET /api/v1/orgs":                     {"/orgs?include_disabled=true&limit=2", "/orgs?q=none"},
			"GET /api/v1/orgs/{id}":                {"/orgs/" + id(w.orgA.ID), "/orgs/" + id(w.disabledOrg.ID)},
			"GET /api/v1/users":                    {"/users?include_disabled=true&limit=2"},
			"GET /api/v1/users/{id}":               {"/users/" + id(w.memberA.ID), "/users/" + id(w.analyst.ID)},
			"GET /api/v1/communities":              {"/communities?all=true&limit=1"},
			"GET /api/v1/communities/{id}":         {"/communities/" + c1},
			"GET /api/v1/communities/{id}/members": {"/communities/" + c1 + "/members"},
			"GET /api/v1/tokens":                   {"/tokens"},
			"GET /api/v1/audit":                    {"/audit?limit=500"},
			"GET /api/v1/openapi.json":             {"/openapi.json"},
		}
		for _, p := range routePatterns(t) {
			if strings.HasPrefix(p, "GET ") && gets[p] == nil && !testedElsewhere(p) {
				t.Errorf("no GET call for %s", p)
			}
		}
		// Something of everything: a used and a revoked token, a sign-in time.
		w.as(t, w.admin).get(api.Prefix + "/me")
		w.as(t, w.admin).do("POST", api.Prefix+"/tokens", `{"name":"revoked"}`)
		ts, _ := w.e.Auth.Tokens(ctx, w.admin.ID)
		w.e.Auth.RevokeToken(ctx, auth.System(), ts[0].ID)
		checked := 0
		for _, pattern := range slices.Sorted(maps.Keys(gets)) {
			for _, path := range gets[pattern] {
				r := w.as(t, w.admin).get(api.Prefix + path)
				if r.status != 200 {
					t.Errorf("%s: %d %s", path, r.status, r.body)
				}
				if spec.operation("GET", strings.SplitN(api.Prefix+path, "?", 2)[0]) == nil {
					t.Errorf("%s reaches no documented operation", path)
				}
				checked++
			}
		}
		if checked < len(gets) {
			t.Fatal("not every GET was called")
		}
	})
}

// The checker above must see what it is meant to see.
func TestSchemaCheckerCatchesDisagreement(t *testing.T) {
	t.Parallel()
	newWorld(t, testdb.SQLite(t)) // loads spec
	{
		org := map[string]any{"$ref": "#/components/schemas/Org"}
		good := `{"id":1,"name_ja":"a","name_en":"a","kind":"center","sector":"","disabled":false,
			"created_at":"2026-07-24T00:00:00Z","updated_at":"2026-07-24T00:00:00Z","contacts":[{"label":"x","email":"a@b"}]}`
		if errs := spec.validate(org, decodeJSON([]byte(good)), "$"); len(errs) != 0 {
			t.Fatalf("a good organization: %v", errs)
		}
		for name, bad := range map[string]string{
			"extra key":        strings.Replace(good, `"id":1`, `"id":1,"secret":"x"`, 1),
			"extra nested key": strings.Replace(good, `"label":"x"`, `"label":"x","pin":"1234"`, 1),
			"missing required": strings.Replace(good, `"id":1,`, ``, 1),
			"wrong type":       strings.Replace(good, `"disabled":false`, `"disabled":"no"`, 1),
			"null not allowed": strings.Replace(good, `"name_ja":"a"`, `"name_ja":null`, 1),
			"not an integer":   strings.Replace(good, `"id":1`, `"id":1.5`, 1),
			"not a date-time":  strings.Replace(good, `"created_at":"2026-07-24T00:00:00Z"`, `"created_at":"yesterday"`, 1),
		} {
			if errs := spec.validate(org, decodeJSON([]byte(bad)), "$"); len(errs) == 0 {
				t.Errorf("%s: not caught", name)
			}
		}
		list := map[string]any{"$ref": "#/components/schemas/ListUser"}
		if errs := spec.validate(list, decodeJSON([]byte(`{"items":[{"id":1}],"next_cursor":""}`)), "$"); len(errs) == 0 {
			t.Error("an incomplete item in a list: not caught")
		}
		// And a response with an undocumented status is reported.
		if msgs := spec.checkResponse(&response{method: "GET", path: api.Prefix + "/me", status: 418, header: http.Header{}}); len(msgs) == 0 {
			t.Error("an undocumented status: not caught")
		}
		if msgs := spec.checkResponse(&response{method: "GET", path: api.Prefix + "/me", status: 200,
			header: http.Header{"Content-Type": {"text/html"}}, body: []byte("<p>")}); len(msgs) == 0 {
			t.Error("an undocumented media type: not caught")
		}
	}
}

// The fields the document marks as required are exactly those the server requires: without
// one of them a valid body is refused naming it; without any other it is accepted. And the
// valid bodies use every documented property, so the decoder knows them all.
func TestRequiredRequestFieldsAreDocumented(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		n := 0
		uniq := func(s string) string { n++; return fmt.Sprintf("%s%d", s, n) }
		cases := []struct {
			method, path string
			as           func() *client
			body         func() map[string]any
			ok           int
		}{
			{"POST", "/orgs", func() *client { return w.as(t, w.admin) }, func() map[string]any {
				return map[string]any{"name_ja": uniq("組織"), "name_en": uniq("Org"), "kind": "partner", "sector": "finance",
					"contacts": []any{map[string]any{"label": "SOC", "email": "soc@x.example", "phone": "03-1234-5678"}}, "disabled": false}
			}, 201},
			{"PUT", "/orgs/" + id(w.orgB.ID), func() *client { return w.as(t, w.admin) }, func() map[string]any {
				return map[string]any{"name_ja": uniq("組織"), "name_en": uniq("Org"), "kind": "operator", "sector": "railway",
					"contacts": []any{}, "disabled": false}
			}, 200},
			{"POST", "/users", func() *client { return w.as(t, w.admin) }, func() map[string]any {
				return map[string]any{"org_id": w.orgA.ID, "email": uniq("u") + "@a.example", "display_name": "u", "role": "member",
					"lang": "en", "time_zone": "UTC"}
			}, 201},
			{"PATCH", "/users/" + id(w.memberA2.ID), func() *client { return w.as(t, w.admin) }, func() map[string]any {
				return map[string]any{"email": uniq("m") + "@a.example", "display_name": "m", "role": "member", "lang": "ja",
					"time_zone": "Asia/Tokyo", "disabled": false}
			}, 200},
			{"PATCH", "/me", func() *client { return w.as(t, w.memberA) }, func() map[string]any {
				return map[string]any{"display_name": "me", "lang": "ja", "time_zone": "Asia/Tokyo"}
			}, 200},
			{"POST", "/communities", func() *client { return w.as(t, w.admin) }, func() map[string]any {
				return map[string]any{"name_ja": uniq("コミュ"), "name_en": uniq("Comm"), "description_ja": "説明", "description_en": "About"}
			}, 201},
			{"PUT", "/communities/" + id(w.c2.ID), func() *client { return w.as(t, w.admin) }, func() map[string]any {
				return map[string]any{"name_ja": uniq("コミュ"), "name_en": uniq("Comm"), "description_ja": "説明", "description_en": "About"}
			}, 200},
			{"POST", "/tokens", func() *client { return w.as(t, w.memberB) }, func() map[string]any {
				return map[string]any{"name": uniq("token")}
			}, 201},
		}
		tested := map[string]bool{}
		for _, tc := range cases {
			schema := spec.requestSchema(tc.method, api.Prefix+tc.path)
			if schema == nil {
				t.Fatalf("%s %s: no documented request body", tc.method, tc.path)
			}
			op := spec.operation(tc.method, api.Prefix+tc.path)
			tested[op["operationId"].(string)] = true
			props := slices.Sorted(maps.Keys(obj(schema["properties"])))
			if keys := slices.Sorted(maps.Keys(tc.body())); !slices.Equal(keys, props) {
				t.Errorf("%s %s: the test body has %v, the document %v", tc.method, tc.path, keys, props)
			}
			tc.as().do(tc.method, api.Prefix+tc.path, tc.body()).ok(t, tc.ok, nil)
			for _, field := range props {
				body := tc.body()
				delete(body, field)
				r := tc.as().do(tc.method, api.Prefix+tc.path, body)
				if slices.Contains(required(schema), field) {
					r.fieldProblem(t, field)
				} else if r.status != tc.ok {
					t.Errorf("%s %s without the optional %s: %d %s", tc.method, tc.path, field, r.status, r.body)
				}
			}
		}
		// Every operation with a JSON body is covered, except addMember, whose two fields
		// are optional one by one but one of them is required (see TestEveryEndpoint).
		for _, p := range routePatterns(t) {
			method, path, _ := strings.Cut(p, " ")
			op := spec.operation(method, pathParam.ReplaceAllString(path, "1"))
			if spec.requestSchema(method, pathParam.ReplaceAllString(path, "1")) == nil || testedElsewhere(p) {
				continue
			}
			if opID := op["operationId"].(string); !tested[opID] && opID != "addMember" {
				t.Errorf("%s: required fields not checked", p)
			}
		}
	})
}
