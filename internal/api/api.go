// Package api serves the JSON API under /api/v1: bearer-token authentication, RFC 9457
// problem objects for every error, cursor pagination, and an OpenAPI 3.1 document built
// from the same route table that registers the handlers, so the two cannot drift apart.
package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/store"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// API is the JSON API.
type API struct {
	app *app.App
	ops []*op
}

// op is one operation: its route, its documentation and its handler.
type op struct {
	Method  string
	Path    string // under Prefix, with {name} parameters
	ID      string // operationId
	Tag     string
	Summary string
	Query   []param
	Body    any // request body type (a zero value), nil for none
	Resp    any // response body type, nil for 204
	Status  int // success status; 200 when 0
	Public  bool
	// Upload: the request body is a file (any media type), up to MaxBody bytes rather than
	// the configured JSON body limit. Download: the result is a *File written as is.
	Upload   bool
	BodyDoc  string // describes an Upload body (default: a file named by the name parameter)
	MaxBody  func() int64
	Download bool
	Handle   func(r *http.Request, p auth.Principal) (any, error)

	// Multipart: an Upload body may also be multipart/form-data with files in parts named
	// "file" (at most Multipart of them), as the OpenAPI document says.
	Multipart int
}

// File is a download: written with Content-Disposition: attachment and nosniff.
type File struct {
	Name        string
	ContentType string
	SHA256      string
	Data        []byte
}

type param struct {
	Name, Type, Desc string
}

// New builds the API and its route table.
func New(a *app.App) *API {
	x := &API{app: a}
	x.routes()
	return x
}

func (x *API) add(o *op) { x.ops = append(x.ops, o) }

// Register adds every operation, the OpenAPI document and a JSON 404 for unknown API paths.
func (x *API) Register(mux *http.ServeMux) {
	for _, o := range x.ops {
		mux.Handle(o.Method+" "+Prefix+o.Path, x.serve(o))
	}
	mux.HandleFunc("GET "+Prefix+"/openapi.json", x.openAPI)
	// The catch-all below would answer 404 to a known path with another method too: it
	// asks a mux of the operations alone which methods the path has, for a 405 with Allow.
	probe := http.NewServeMux()
	var methods []string
	for _, pat := range x.Patterns() {
		probe.Handle(pat, http.NotFoundHandler())
		if m, _, _ := strings.Cut(pat, " "); !slices.Contains(methods, m) {
			methods = append(methods, m)
		}
	}
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range methods {
			q := r.Clone(r.Context())
			q.Method = m
			if _, pat := probe.Handler(q); pat != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeProblem(w, r, http.StatusMethodNotAllowed, fault.New(kindMethod, "error.method_not_allowed"))
			return
		}
		writeProblem(w, r, http.StatusNotFound, fault.New(fault.NotFound, "error.not_found"))
	})
}

// Patterns returns the registered method and path patterns, for the agreement test.
func (x *API) Patterns() []string {
	out := make([]string, 0, len(x.ops)+1)
	for _, o := range x.ops {
		out = append(out, o.Method+" "+Prefix+o.Path)
	}
	return append(out, "GET "+Prefix+"/openapi.json")
}

// serve authenticates, limits the body, runs the handler and writes its result.
func (x *API) serve(o *op) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p auth.Principal
		if !o.Public {
			var err error
			if p, err = x.authenticate(r); err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="renkei"`)
				writeProblem(w, r, http.StatusUnauthorized, err)
				return
			}
			r = httpx.WithPrincipal(r, p)
			p.Client = httpx.Client(r)
		}
		if r.Body != nil {
			limit := x.app.Config.MaxBodyBytes
			if o.MaxBody != nil {
				limit = o.MaxBody()
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		res, err := o.Handle(r, p)
		if err != nil {
			x.fail(w, r, err)
			return
		}
		if f, ok := res.(*File); ok {
			writeFile(w, f)
			return
		}
		status := o.Status
		if status == 0 {
			status = http.StatusOK
		}
		if res == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, status, res)
	})
}

// authenticate reads the bearer token.
func (x *API) authenticate(r *http.Request) (auth.Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return auth.Principal{}, fault.New(fault.Unauthorized, "error.unauthorized")
	}
	return x.app.Auth.Token(r.Context(), strings.TrimSpace(token), httpx.Client(r))
}

func (x *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(fault.KindOf(err))
	if status >= 500 {
		x.app.Log.Error("api request failed", "path", r.URL.Path, "request_id", httpx.RequestID(r), "err", err)
	}
	writeProblem(w, r, status, err)
}

func statusOf(k fault.Kind) int {
	switch k {
	case fault.Invalid:
		return http.StatusUnprocessableEntity
	case fault.NotFound:
		return http.StatusNotFound
	case fault.Conflict:
		return http.StatusConflict
	case fault.Forbidden:
		return http.StatusForbidden
	case fault.Unauthorized:
		return http.StatusUnauthorized
	case fault.RateLimited:
		return http.StatusTooManyRequests
	case fault.TooLarge:
		return http.StatusRequestEntityTooLarge
	case fault.Unsupported:
		return http.StatusUnsupportedMediaType
	case fault.Unavailable:
		return http.StatusServiceUnavailable
	case kindBadRequest:
		return http.StatusBadRequest
	case kindMethod:
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem object. Type is stable: clients switch on it.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail"`
	Instance  string         `json:"instance"`
	RequestID string         `json:"request_id,omitempty"`
	Errors    []ProblemField `json:"errors,omitempty"`
}

// ProblemField is one field at fault in a validation problem.
type ProblemField struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problemTitles are the fixed English titles of the problem types.
var problemTitles = map[fault.Kind]string{
	fault.Invalid:      "Validation failed",
	fault.NotFound:     "Not found",
	fault.Conflict:     "Conflict",
	fault.Forbidden:    "Forbidden",
	fault.Unauthorized: "Unauthorized",
	fault.RateLimited:  "Too many requests",
	fault.TooLarge:     "Payload too large",
	fault.Unsupported:  "Unsupported media type",
	fault.Unavailable:  "Service unavailable",
	fault.Internal:     "Internal error",
	kindBadRequest:     "Bad request",
	kindMethod:         "Method not allowed",
}

// Kinds only the API produces.
const (
	kindBadRequest fault.Kind = "bad-request"
	kindMethod     fault.Kind = "method-not-allowed"
)

// ProblemType returns the type URI of a kind.
func ProblemType(k fault.Kind) string { return "/problems/" + string(k) }

func writeProblem(w http.ResponseWriter, r *http.Request, status int, err error) {
	lang := httpx.Lang(r)
	if _, ok := httpx.Principal(r); !ok {
		lang = i18n.Match(r.Header.Get("Accept-Language"))
	}
	kind := fault.KindOf(err)
	if kind == fault.Internal && status == http.StatusBadRequest {
		kind = kindBadRequest
	}
	fields := fault.Fields(err)
	pr := Problem{Type: ProblemType(kind), Title: problemTitles[kind], Status: status, Instance: r.URL.Path, RequestID: httpx.RequestID(r)}
	if kind == fault.Invalid {
		pr.Detail = i18n.T(lang, "form.has_errors")
		for _, fe := range fields {
			pr.Errors = append(pr.Errors, ProblemField{Field: fe.Field, Message: i18n.Format(lang, fe.Key, fe.Args)})
		}
		if len(fields) == 1 {
			pr.Detail = i18n.Format(lang, fields[0].Key, fields[0].Args)
		}
	} else if len(fields) > 0 {
		pr.Detail = i18n.Format(lang, fields[0].Key, fields[0].Args)
	}
	if kind == fault.RateLimited {
		if s, ok := fields[0].Args["seconds"]; ok {
			w.Header().Set("Retry-After", strings.TrimSpace(strconv.Itoa(toInt(s))))
		}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Language", string(lang))
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(pr)
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	}
	return 1
}

func writeFile(w http.ResponseWriter, f *File) {
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(f.Data)))
	if f.SHA256 != "" {
		h.Set("Digest", "sha-256="+f.SHA256)
	}
	w.WriteHeader(http.StatusOK)
	w.Write(f.Data)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// decode reads a JSON body into dst: the content type must be JSON, the body within the
// limit, well-formed, one value, and without unknown fields.
func decode(r *http.Request, dst any) error {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (ct != "application/json" && !strings.HasSuffix(ct, "+json")) {
		return fault.New(fault.Unsupported, "error.unsupported_media_type")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fault.New(fault.TooLarge, "error.too_large")
		}
		return &fault.Error{Kind: kindBadRequest, Key: "error.bad_json", Args: map[string]any{"detail": err.Error()}}
	}
	// More() is false before a stray ] or }, so read on: only the end of the body may follow.
	var rest json.RawMessage
	if err := dec.Decode(&rest); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fault.New(fault.TooLarge, "error.too_large")
		}
		return &fault.Error{Kind: kindBadRequest, Key: "error.bad_json", Args: map[string]any{"detail": "more than one JSON value"}}
	}
	return nil
}

// pathID reads a numeric path parameter; a malformed one is simply not found.
func pathID(r *http.Request, name string) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, fault.New(fault.NotFound, "error.not_found")
	}
	return v, nil
}

// List is a page of items with the cursor of the next page ("" on the last page).
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func encodeCursor(id int64) string { return cursorOf("id", id) }

// page reads cursor and limit query parameters.
func page(r *http.Request) (store.Page, error) {
	var p store.Page
	q := r.URL.Query()
	after, err := cursorValue(r, "id")
	if err != nil {
		return p, err
	}
	p.After = after
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > store.MaxPage {
			return p, fault.Field("limit", "error.bad_param", "name", "limit", "value", l)
		}
		p.Limit = n
	}
	if p.Limit == 0 {
		p.Limit = 50
	}
	return p, nil
}

// listOf builds a page response, with a next cursor when the page is full.
func listOf[T any, U any](items []T, p store.Page, id func(T) int64, conv func(T) U) List[U] {
	out := List[U]{Items: make([]U, 0, len(items))}
	for _, it := range items {
		out.Items = append(out.Items, conv(it))
	}
	if len(items) == p.Limit && len(items) > 0 {
		out.NextCursor = encodeCursor(id(items[len(items)-1]))
	}
	return out
}

// queryInt64 reads an optional numeric query parameter.
func queryInt64(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, fault.Field(name, "error.bad_param", "name", name, "value", s)
	}
	return v, nil
}
