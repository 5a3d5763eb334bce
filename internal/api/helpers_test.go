package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

var ctx = context.Background()

// world is a small federation: the coordination center, two operators (A and B), a
// disabled organization, and two communities. C1 has organization A as a member; C2 has
// no member at all. Every person has an API token.
type world struct {
	e    *testapp.Env
	base string

	center, orgA, orgB, disabledOrg model.Org
	// admin is a center admin, analyst a center analyst; adminA administers A;
	// memberA and memberA2 are members of A; memberB of B.
	admin, analyst, adminA, memberA, memberA2, memberB model.User
	c1, c2                                             model.Community

	tokens map[int64]string
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	return newWorldWith(t, testapp.New(t, db))
}

func newWorldWith(t *testing.T, e *testapp.Env) *world {
	t.Helper()
	w := &world{e: e, tokens: map[int64]string{}}
	w.center = e.Org("連携センター", model.KindCenter)
	w.orgA = w.org("東都電力", model.KindOperator, false)
	w.orgB = w.org("西日本鉄道", model.KindOperator, false)
	w.disabledOrg = w.org("旧組織", model.KindOther, true)
	w.admin = w.person(w.center, "admin@center.example", model.RoleCenterAdmin, "en")
	w.analyst = w.person(w.center, "analyst@center.example", model.RoleAnalyst, "ja")
	w.adminA = w.person(w.orgA, "admin@a.example", model.RoleOrgAdmin, "ja")
	w.memberA = w.person(w.orgA, "member@a.example", model.RoleMember, "ja")
	w.memberA2 = w.person(w.orgA, "member2@a.example", model.RoleMember, "ja")
	w.memberB = w.person(w.orgB, "member@b.example", model.RoleMember, "en")
	w.c1 = w.community("第一コミュニティ")
	w.c2 = w.community("第二コミュニティ")
	if err := e.Communities.AddOrg(ctx, auth.System(), w.c1.ID, w.orgA.ID); err != nil {
		t.Fatal(err)
	}
	for _, u := range []model.User{w.admin, w.analyst, w.adminA, w.memberA, w.memberA2, w.memberB} {
		w.tokens[u.ID] = e.Token(u)
	}
	w.base = e.Server()
	specOnce.Do(func() { spec = loadSpec(t, w) })
	return w
}

// org creates an organization with contacts, so that their redaction can be seen.
func (w *world) org(name string, kind model.OrgKind, disabled bool) model.Org {
	w.e.T.Helper()
	o, err := w.e.Directory.CreateOrg(ctx, auth.System(), directory.OrgInput{NameJA: name, NameEN: name + " (en)", Kind: string(kind),
		Contacts: []model.Contact{{Label: "SOC", Email: "soc@" + strconv.Itoa(len(name)) + ".example", Phone: "03-0000-0000"}}, Disabled: disabled})
	if err != nil {
		w.e.T.Fatal(err)
	}
	return o
}

// person creates a person without a password: API tokens do not need one, and hashing
// is the slowest part of a world.
func (w *world) person(o model.Org, email string, role model.Role, lang string) model.User {
	w.e.T.Helper()
	u, err := w.e.Directory.CreateUser(ctx, auth.System(), directory.UserInput{OrgID: o.ID, Email: email,
		DisplayName: strings.Split(email, "@")[0], Role: string(role), Lang: lang})
	if err != nil {
		w.e.T.Fatal(err)
	}
	return u
}

func (w *world) community(name string) model.Community {
	w.e.T.Helper()
	c, err := w.e.Communities.Create(ctx, auth.System(), community.Input{NameJA: name, NameEN: name + " (en)"})
	if err != nil {
		w.e.T.Fatal(err)
	}
	return c
}

// as is a client with the person's token.
func (w *world) as(t *testing.T, u model.User) *client {
	tok, ok := w.tokens[u.ID]
	if !ok {
		t.Fatalf("no token for %s", u.Email)
	}
	return &client{t: t, base: w.base, header: http.Header{"Authorization": {"Bearer " + tok}}}
}

// anon is a client without credentials.
func (w *world) anon(t *testing.T) *client {
	return &client{t: t, base: w.base, header: http.Header{}}
}

// client makes API requests and checks every answer against the OpenAPI document.
type client struct {
	t      *testing.T
	base   string
	header http.Header
}

// with returns a copy of the client with a header set (an empty value removes it).
func (c *client) with(name, value string) *client {
	h := c.header.Clone()
	h[http.CanonicalHeaderKey(name)] = nil // present but empty: not sent at all
	if value != "" {
		h.Set(name, value)
	}
	return &client{t: c.t, base: c.base, header: h}
}

type response struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

// do sends a request. body is nil (none), a string or []byte (sent as is, with
// Content-Type application/json unless the client sets another), or a value to encode.
func (c *client) do(method, path string, body any) *response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		if len(v) == 0 {
			req.Header.Del(k)
		} else {
			req.Header[k] = v
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	r := &response{method: method, path: path, status: res.StatusCode, header: res.Header, body: b}
	for _, msg := range spec.checkResponse(r) {
		c.t.Errorf("%s %s → %d does not agree with the OpenAPI document: %s\n%s", method, path, r.status, msg, r.body)
	}
	return r
}

func (c *client) get(path string) *response { c.t.Helper(); return c.do("GET", path, nil) }

// ok asserts the status and decodes the JSON body into v (when not nil).
func (r *response) ok(t *testing.T, status int, v any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s %s: status %d, want %d: %s", r.method, r.path, r.status, status, r.body)
	}
	if v == nil {
		return
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q", r.method, r.path, ct)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s %s: %v: %s", r.method, r.path, err, r.body)
	}
}

// problem asserts an RFC 9457 problem of the given status and type slug and returns it.
func (r *response) problem(t *testing.T, status int, slug string) api.Problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s %s: status %d, want %d: %s", r.method, r.path, r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%s %s: Content-Type %q, want application/problem+json", r.method, r.path, ct)
	}
	var raw map[string]any
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatalf("%s %s: problem is not JSON: %v: %s", r.method, r.path, err, r.body)
	}
	for _, k := range []string{"type", "title", "status", "detail", "instance"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("%s %s: problem lacks %q: %s", r.method, r.path, k, r.body)
		}
	}
	var p api.Problem
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	if p.Type != "/problems/"+slug || p.Status != status || p.Title == "" || p.Detail == "" {
		t.Fatalf("%s %s: want type /problems/%s status %d with title and detail, got %+v", r.method, r.path, slug, status, p)
	}
	if p.Instance != strings.SplitN(r.path, "?", 2)[0] {
		t.Errorf("%s %s: instance %q", r.method, r.path, p.Instance)
	}
	if p.RequestID == "" || p.RequestID != r.header.Get("X-Request-Id") {
		t.Errorf("%s %s: request_id %q, header %q", r.method, r.path, p.RequestID, r.header.Get("X-Request-Id"))
	}
	return p
}

// fieldProblem asserts a 422 validation problem naming field among its errors.
func (r *response) fieldProblem(t *testing.T, field string) api.Problem {
	t.Helper()
	p := r.problem(t, http.StatusUnprocessableEntity, "validation-error")
	for _, e := range p.Errors {
		if e.Field == field {
			if e.Message == "" || untranslated.MatchString(e.Message) {
				t.Errorf("%s %s: field %q has the message %q", r.method, r.path, field, e.Message)
			}
			return p
		}
	}
	t.Fatalf("%s %s: no error for field %q: %+v", r.method, r.path, field, p.Errors)
	return p
}

// ---- The OpenAPI document as the checker reads it ----

// spec is the document as served, read like a client would, with a mux of the route
// table's patterns to tell which operation a request reaches.
var (
	spec     *openAPI
	specOnce sync.Once
)

type openAPI struct {
	doc      map[string]any
	routes   *http.ServeMux
	patterns []string
}

func loadSpec(t *testing.T, w *world) *openAPI {
	res, err := http.Get(w.base + api.Prefix + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("openapi.json: %d %v", res.StatusCode, err)
	}
	s := &openAPI{doc: decodeJSON(b).(map[string]any), routes: http.NewServeMux(), patterns: api.New(w.e.App).Patterns()}
	for _, p := range s.patterns {
		s.routes.HandleFunc(p, func(http.ResponseWriter, *http.Request) {})
	}
	return s
}

// decodeJSON decodes with numbers kept as json.Number, so that integers can be told apart.
func decodeJSON(b []byte) any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		panic(fmt.Sprintf("%v: %s", err, b))
	}
	return v
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

// operation returns the documented operation a request reaches, or nil.
func (s *openAPI) operation(method, path string) map[string]any {
	req, err := http.NewRequest(method, "http://x"+path, nil)
	if err != nil {
		return nil
	}
	_, pattern := s.routes.Handler(req)
	m, p, ok := strings.Cut(pattern, " ")
	if !ok || m != method {
		return nil
	}
	return obj(obj(obj(s.doc["paths"])[p])[strings.ToLower(m)])
}

// checkResponse compares a response of a documented operation with the document: the
// status is one of its responses, the media type is documented, and the body has no key
// the schema lacks and every key the schema requires.
func (s *openAPI) checkResponse(r *response) []string {
	op := s.operation(r.method, strings.SplitN(r.path, "?", 2)[0])
	if op == nil {
		return nil
	}
	resp := obj(obj(op["responses"])[strconv.Itoa(r.status)])
	if resp == nil {
		return []string{fmt.Sprintf("status %d is not among the documented responses", r.status)}
	}
	content := obj(resp["content"])
	if content == nil {
		if len(r.body) != 0 {
			return []string{"a body where none is documented"}
		}
		return nil
	}
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	media := obj(content[mt])
	if media == nil && content["*/*"] != nil {
		return nil // a file download: any media type, bytes as stored
	}
	if media == nil {
		return []string{fmt.Sprintf("media type %q is not documented", mt)}
	}
	return s.validate(obj(media["schema"]), decodeJSON(r.body), "$")
}

// resolve follows a $ref.
func (s *openAPI) resolve(schema map[string]any) map[string]any {
	for hops := 0; ; hops++ {
		ref, ok := schema["$ref"].(string)
		if !ok {
			return schema
		}
		if hops > 10 {
			panic("$ref cycle at " + ref)
		}
		name, ok := strings.CutPrefix(ref, "#/components/schemas/")
		if !ok {
			panic("unexpected $ref " + ref)
		}
		schema = obj(obj(obj(s.doc["components"])["schemas"])[name])
		if schema == nil {
			panic("dangling $ref " + ref)
		}
	}
}

func types(schema map[string]any) []string {
	switch t := schema["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

// validate checks a JSON value against a schema, recursively, and returns what is wrong.
func (s *openAPI) validate(schema map[string]any, v any, at string) []string {
	schema = s.resolve(schema)
	var errs []string
	if all, ok := schema["allOf"].([]any); ok {
		for _, sub := range all {
			errs = append(errs, s.validate(obj(sub), v, at)...)
		}
	}
	if one, ok := schema["oneOf"].([]any); ok {
		var alt []string
		matched := 0
		for _, sub := range one {
			e := s.validate(obj(sub), v, at)
			if len(e) == 0 {
				matched++
			}
			alt = append(alt, e...)
		}
		if matched != 1 {
			errs = append(errs, fmt.Sprintf("%s matches %d of the oneOf alternatives: %v", at, matched, alt))
		}
	}
	ts := types(schema)
	if ts == nil {
		return errs
	}
	want := func(t string) bool {
		if !slices.Contains(ts, t) {
			errs = append(errs, fmt.Sprintf("%s is %s, documented as %v", at, t, ts))
			return false
		}
		return true
	}
	switch x := v.(type) {
	case nil:
		want("null")
	case bool:
		want("boolean")
	case string:
		if want("string") && schema["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, x); err != nil {
				errs = append(errs, fmt.Sprintf("%s = %q is not a date-time", at, x))
			}
		}
	case json.Number:
		if _, err := x.Int64(); err == nil && slices.Contains(ts, "integer") {
			break
		}
		want("number")
	case []any:
		if want("array") {
			for i, item := range x {
				errs = append(errs, s.validate(obj(schema["items"]), item, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case map[string]any:
		if !want("object") {
			break
		}
		props := obj(schema["properties"])
		extra := schema["additionalProperties"]
		for k, val := range x {
			switch p := obj(props[k]); {
			case p != nil:
				errs = append(errs, s.validate(p, val, at+"."+k)...)
			case obj(extra) != nil:
				errs = append(errs, s.validate(obj(extra), val, at+"."+k)...)
			case extra == false || props != nil:
				errs = append(errs, fmt.Sprintf("%s.%s is not documented", at, k))
			}
		}
		for _, k := range required(schema) {
			if _, ok := x[k]; !ok {
				errs = append(errs, fmt.Sprintf("%s lacks the required %q", at, k))
			}
		}
	}
	return errs
}

func required(schema map[string]any) []string {
	var out []string
	list, _ := schema["required"].([]any)
	for _, r := range list {
		out = append(out, r.(string))
	}
	return out
}

// requestSchema returns the resolved schema of an operation's request body, or nil.
func (s *openAPI) requestSchema(method, path string) map[string]any {
	op := s.operation(method, path)
	body := obj(obj(obj(op["requestBody"])["content"])["application/json"])
	if body == nil {
		return nil
	}
	return s.resolve(obj(body["schema"]))
}

var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

// untranslated matches a message catalog key shown in place of its text.
var untranslated = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)+$`)

// ---- Small helpers ----

func id(n int64) string { return strconv.FormatInt(n, 10) }

func ptr[T any](v T) *T { return &v }

// ids returns the ids of a list.
func ids[T any](items []T, f func(T) int64) []int64 {
	out := make([]int64, 0, len(items))
	for _, it := range items {
		out = append(out, f(it))
	}
	return out
}

// routePatterns returns the route table's patterns (of an app on a throwaway database).
func routePatterns(t *testing.T) []string {
	t.Helper()
	return api.New(testapp.New(t, testdb.SQLite(t)).App).Patterns()
}

// readOnly are checks that change nothing the others look at: they share one world per
// backend, since a fresh database is the slow part of a test.
var readOnly = map[string]func(t *testing.T, w *world){
	"EveryOperationRequiresAToken":     everyOperationRequiresAToken,
	"MalformedAuthorizationHeaders":    malformedAuthorizationHeaders,
	"ProblemLanguage":                  problemLanguage,
	"ValidationProblemListsTheFields":  validationProblemListsTheFields,
	"ProblemTypesAreDocumentedPages":   problemTypesAreDocumentedPages,
	"UnknownAPIPathIsAProblemNotAPage": unknownAPIPathIsAProblemNotAPage,
	"WrongMethodIs405":                 wrongMethodIs405,
	"OpenAPIDocument":                  openAPIDocument,
	"BadCursors":                       badCursors,
}

func TestReadOnly(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for _, name := range slices.Sorted(maps.Keys(readOnly)) {
			t.Run(name, func(t *testing.T) { readOnly[name](t, w) })
		}
	})
}
