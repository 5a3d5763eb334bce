// Package taxii serves TAXII 2.1 (OASIS TAXII Version 2.1) at /taxii2/: discovery, one API
// root, its collections, objects (GET with added_after, limit, next and the match filters;
// POST of an envelope with a status resource; DELETE), single objects, their versions, the
// manifest and status resources. Requests authenticate with an API token, as a bearer
// token or as the password of HTTP Basic. Every read and write goes through the intel
// service, which asks the policy package.
package taxii

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/stix"
	"github.com/renkei-dev/renkei/internal/store"
)

// Media types.
const (
	MediaTAXII = "application/taxii+json;version=2.1"
	MediaSTIX  = "application/stix+json;version=2.1"
)

// Prefix is the discovery URL; APIRoot is the one API root under it.
const (
	Prefix  = "/taxii2/"
	APIRoot = "renkei"
)

// Server is the TAXII 2.1 server.
type Server struct {
	app *app.App
}

// New returns the server.
func New(a *app.App) *Server { return &Server{app: a} }

// Register adds the TAXII routes and the blocklist feeds to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.Handle(Prefix, s)
	mux.Handle(FeedPrefix, http.HandlerFunc(s.serveFeed))
}

// ServeHTTP routes a TAXII request. TAXII URLs end with a slash; one without is served
// the same.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="renkei TAXII", Bearer realm="renkei TAXII"`)
		writeError(w, http.StatusUnauthorized, "Authentication required", "Send an API token as a bearer token or as the password of HTTP Basic.")
		return
	}
	if !acceptsTAXII(r.Header.Get("Accept")) {
		writeError(w, http.StatusNotAcceptable, "Not acceptable", "This server answers with "+MediaTAXII+".")
		return
	}
	seg := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, Prefix), "/"), "/")
	if len(seg) == 1 && seg[0] == "" {
		seg = nil
	}
	route := func(methods ...string) bool {
		for _, m := range methods {
			if r.Method == m {
				return true
			}
		}
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeError(w, http.StatusMethodNotAllowed, "Method not allowed", r.Method+" is not allowed here.")
		return false
	}
	switch {
	case len(seg) == 0:
		if route("GET") {
			s.discovery(w, r)
		}
	case seg[0] != APIRoot:
		writeError(w, http.StatusNotFound, "Not found", "There is no API root here.")
	case len(seg) == 1:
		if route("GET") {
			s.apiRoot(w)
		}
	case len(seg) == 3 && seg[1] == "status":
		if route("GET") {
			s.status(w, r, p, seg[2])
		}
	case seg[1] != "collections":
		writeError(w, http.StatusNotFound, "Not found", "There is no such resource.")
	case len(seg) == 2:
		if route("GET") {
			s.collections(w, r, p)
		}
	case len(seg) == 3:
		if route("GET") {
			s.collection(w, r, p, seg[2])
		}
	case len(seg) == 4 && seg[3] == "objects":
		if route("GET", "POST") {
			if r.Method == "POST" {
				s.addObjects(w, r, p, seg[2])
			} else {
				s.objects(w, r, p, seg[2], "")
			}
		}
	case len(seg) == 4 && seg[3] == "manifest":
		if route("GET") {
			s.manifest(w, r, p, seg[2])
		}
	case len(seg) == 5 && seg[3] == "objects":
		if route("GET", "DELETE") {
			if r.Method == "DELETE" {
				s.deleteObject(w, r, p, seg[2], seg[4])
			} else {
				s.objects(w, r, p, seg[2], seg[4])
			}
		}
	case len(seg) == 6 && seg[3] == "objects" && seg[5] == "versions":
		if route("GET") {
			s.versions(w, r, p, seg[2], seg[4])
		}
	default:
		writeError(w, http.StatusNotFound, "Not found", "There is no such resource.")
	}
}

// authenticate reads an API token from a bearer token or the password of HTTP Basic; with
// Basic, the user name must be the token owner's email (or empty).
func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	bad := fault.New(fault.Unauthorized, "error.unauthorized")
	secret, user := "", ""
	if u, pw, ok := r.BasicAuth(); ok {
		secret, user = pw, u
	} else if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		secret = strings.TrimSpace(tok)
	}
	if secret == "" {
		return auth.Principal{}, bad
	}
	p, err := s.app.Auth.Token(r.Context(), secret, httpx.Client(r))
	if err != nil {
		return auth.Principal{}, err
	}
	if user != "" && !strings.EqualFold(user, p.User.Email) {
		return auth.Principal{}, bad
	}
	p.Client = httpx.Client(r)
	return p, nil
}

// acceptsTAXII: the client accepts the TAXII 2.1 media type (or any version of it, or
// anything at all).
func acceptsTAXII(h string) bool {
	if strings.TrimSpace(h) == "" {
		return true
	}
	for _, part := range strings.Split(h, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
				continue
			}
		}
		switch mt {
		case "*/*", "application/*":
			return true
		case "application/taxii+json":
			if v, ok := params["version"]; !ok || v == "2.1" {
				return true
			}
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"title":"Internal error","http_status":"500"}`)
	}
	w.Header().Set("Content-Type", MediaTAXII)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte("\n"))
}

// errorResource is a TAXII error message.
type errorResource struct {
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	ErrorCode   string            `json:"error_code,omitempty"`
	HTTPStatus  string            `json:"http_status"`
	Details     map[string]string `json:"details,omitempty"`
}

func writeError(w http.ResponseWriter, status int, title, desc string) {
	writeJSON(w, status, errorResource{Title: title, Description: desc, HTTPStatus: strconv.Itoa(status)})
}

// fail turns a service error into a TAXII error.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge *intel.ErrTooLarge
	var bad *intel.ErrEnvelope
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "Request too large",
			fmt.Sprintf("The envelope is larger than max_content_length (%d bytes).", tooLarge.Limit))
		return
	case errors.As(err, &bad):
		writeJSON(w, http.StatusBadRequest, errorResource{Title: "Bad envelope", Description: bad.Error(), ErrorCode: string(bad.Err.Code),
			HTTPStatus: "400"})
		return
	}
	switch fault.KindOf(err) {
	case fault.NotFound:
		writeError(w, http.StatusNotFound, "Not found", "There is no such resource, or you may not see it.")
	case fault.Forbidden:
		writeError(w, http.StatusForbidden, "Forbidden", "You may not do this in this collection.")
	case fault.Invalid:
		writeError(w, http.StatusBadRequest, "Bad request", "A parameter is not valid.")
	case fault.Unauthorized:
		writeError(w, http.StatusUnauthorized, "Authentication required", "")
	default:
		s.app.Log.Error("taxii request failed", "path", r.URL.Path, "request_id", httpx.RequestID(r), "err", err)
		writeError(w, http.StatusInternalServerError, "Internal error", "The server could not answer; the request id is "+httpx.RequestID(r)+".")
	}
}

// ---- Discovery, API root, collections ----

func (s *Server) rootURL() string {
	return strings.TrimSuffix(s.app.Config.PublicURL(), "/") + Prefix + APIRoot + "/"
}

func (s *Server) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"title":       "Renkei TAXII 2.1",
		"description": "Indicators shared through Renkei's communities and organizations.",
		"default":     s.rootURL(),
		"api_roots":   []string{s.rootURL()},
	})
}

func (s *Server) apiRoot(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{
		"title":              "Renkei",
		"description":        "Collections of the communities and organizations you belong to.",
		"versions":           []string{MediaTAXII},
		"max_content_length": s.app.Intel.Limits().MaxContentLength,
	})
}

type collectionResource struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

func collectionOut(k intel.Collection) collectionResource {
	return collectionResource{ID: k.UUID, Title: k.Title, Description: k.Description, CanRead: k.CanRead, CanWrite: k.CanWrite,
		MediaTypes: []string{MediaSTIX}}
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	ks, err := s.app.Intel.Collections(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := map[string]any{}
	if len(ks) > 0 {
		list := make([]collectionResource, len(ks))
		for i, k := range ks {
			list[i] = collectionOut(k)
		}
		out["collections"] = list
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) collection(w http.ResponseWriter, r *http.Request, p auth.Principal, id string) {
	k, err := s.app.Intel.Collection(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, collectionOut(k))
}

// ---- Objects ----

// badParam is a query parameter that cannot be read.
type badParam struct{ name, why string }

func (e *badParam) Error() string { return e.name + ": " + e.why }

// readQuery reads added_after, limit, next and the match[] filters. objectID, when set,
// is the object of the URL, and match[id] is not allowed with it.
func readQuery(v url.Values, objectID string, withType bool) (intel.Query, error) {
	var q intel.Query
	for name := range v {
		switch name {
		case "added_after", "limit", "next", "match[id]", "match[version]", "match[spec_version]":
		case "match[type]":
			if !withType {
				return q, &badParam{name, "not allowed here"}
			}
		default:
			return q, &badParam{name, "unknown parameter"}
		}
	}
	if a := v.Get("added_after"); a != "" {
		t, ok := stix.ParseTimestamp(a)
		if !ok {
			return q, &badParam{"added_after", "not a timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)"}
		}
		q.AddedAfter = t
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return q, &badParam{"limit", "not a positive integer"}
		}
		q.Limit = n
	}
	q.Next = v.Get("next")
	list := func(name string) []string {
		var out []string
		for _, x := range v[name] {
			for _, part := range strings.Split(x, ",") {
				if part = strings.TrimSpace(part); part != "" {
					out = append(out, part)
				}
			}
		}
		return out
	}
	q.IDs = list("match[id]")
	for _, id := range q.IDs {
		if !stix.IsID(id) {
			return q, &badParam{"match[id]", fmt.Sprintf("%q is not a STIX identifier", id)}
		}
	}
	if objectID != "" {
		if len(q.IDs) > 0 {
			return q, &badParam{"match[id]", "not allowed on a single object"}
		}
		q.IDs = []string{objectID}
	}
	q.Types = list("match[type]")
	for _, t := range q.Types {
		if !stix.IsTypeName(t) {
			return q, &badParam{"match[type]", fmt.Sprintf("%q is not a STIX type", t)}
		}
	}
	q.SpecVersions = list("match[spec_version]")
	for _, sv := range q.SpecVersions {
		if sv != "2.0" && sv != "2.1" {
			return q, &badParam{"match[spec_version]", fmt.Sprintf("%q is not 2.0 or 2.1", sv)}
		}
	}
	for _, ver := range list("match[version]") {
		switch ver {
		case "last":
			q.Versions.Last = true
		case "first":
			q.Versions.First = true
		case "all":
			q.Versions.All = true
		default:
			t, ok := stix.ParseTimestamp(ver)
			if !ok {
				return q, &badParam{"match[version]", fmt.Sprintf("%q is not last, first, all or a timestamp", ver)}
			}
			q.Versions.Modified = append(q.Versions.Modified, t.UnixMicro())
		}
	}
	return q, nil
}

func (s *Server) query(w http.ResponseWriter, r *http.Request, objectID string, withType bool) (intel.Query, bool) {
	if objectID != "" && !stix.IsID(objectID) {
		writeError(w, http.StatusNotFound, "Not found", "That is not a STIX identifier.")
		return intel.Query{}, false
	}
	q, err := readQuery(r.URL.Query(), objectID, withType)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad request", err.Error())
		return q, false
	}
	return q, true
}

func dateHeaders(w http.ResponseWriter, vs []store.StixVersion) {
	if len(vs) == 0 {
		return
	}
	w.Header().Set("X-TAXII-Date-Added-First", intel.FormatMicro(vs[0].DateAdded))
	w.Header().Set("X-TAXII-Date-Added-Last", intel.FormatMicro(vs[len(vs)-1].DateAdded))
}

// objects serves GET …/objects/ and GET …/objects/{id}/: an envelope.
func (s *Server) objects(w http.ResponseWriter, r *http.Request, p auth.Principal, coll, objectID string) {
	q, ok := s.query(w, r, objectID, objectID == "")
	if !ok {
		return
	}
	pg, err := s.app.Intel.Objects(r.Context(), p, coll, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if objectID != "" && len(pg.Versions) == 0 {
		writeError(w, http.StatusNotFound, "Not found", "No version of that object matches, or you may not see it.")
		return
	}
	dateHeaders(w, pg.Versions)
	// The objects are written as stored, byte for byte.
	var b strings.Builder
	size := 64
	for _, v := range pg.Versions {
		size += len(v.Raw) + 1
	}
	b.Grow(size)
	b.WriteString("{")
	if len(pg.Versions) > 0 {
		b.WriteString(`"more":`)
		b.WriteString(strconv.FormatBool(pg.More))
		if pg.More {
			b.WriteString(`,"next":`)
			nb, _ := json.Marshal(pg.Next)
			b.Write(nb)
		}
		b.WriteString(`,"objects":[`)
		for i, v := range pg.Versions {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(v.Raw)
		}
		b.WriteString("]")
	}
	b.WriteString("}\n")
	w.Header().Set("Content-Type", MediaTAXII)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, b.String()) // no copy of a page that can be megabytes
}

type manifestEntry struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

func (s *Server) manifest(w http.ResponseWriter, r *http.Request, p auth.Principal, coll string) {
	q, ok := s.query(w, r, "", true)
	if !ok {
		return
	}
	pg, err := s.app.Intel.Manifest(r.Context(), p, coll, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	dateHeaders(w, pg.Versions)
	out := map[string]any{}
	if len(pg.Versions) > 0 {
		list := make([]manifestEntry, len(pg.Versions))
		for i, v := range pg.Versions {
			list[i] = manifestEntry{ID: v.StixID, DateAdded: intel.FormatMicro(v.DateAdded), Version: versionOf(v), MediaType: MediaSTIX}
		}
		out["more"] = pg.More
		if pg.More {
			out["next"] = pg.Next
		}
		out["objects"] = list
	}
	writeJSON(w, http.StatusOK, out)
}

func versionOf(v store.StixVersion) string {
	if v.Version != "" {
		return v.Version
	}
	return intel.FormatMicro(v.DateAdded)
}

func (s *Server) versions(w http.ResponseWriter, r *http.Request, p auth.Principal, coll, objectID string) {
	q, ok := s.query(w, r, objectID, false)
	if !ok {
		return
	}
	if r.URL.Query().Has("match[version]") {
		writeError(w, http.StatusBadRequest, "Bad request", "match[version]: not allowed on versions")
		return
	}
	q.Versions.All = true
	pg, err := s.app.Intel.Manifest(r.Context(), p, coll, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(pg.Versions) == 0 {
		writeError(w, http.StatusNotFound, "Not found", "No version of that object matches, or you may not see it.")
		return
	}
	dateHeaders(w, pg.Versions)
	list := make([]string, len(pg.Versions))
	for i, v := range pg.Versions {
		list[i] = versionOf(v)
	}
	out := map[string]any{"more": pg.More, "versions": list}
	if pg.More {
		out["next"] = pg.Next
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request, p auth.Principal, coll, objectID string) {
	q, ok := s.query(w, r, objectID, false)
	if !ok {
		return
	}
	if _, err := s.app.Intel.DeleteObject(r.Context(), p, coll, objectID, q); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", MediaTAXII)
	w.WriteHeader(http.StatusOK)
}

// ---- Adding objects and status ----

func (s *Server) addObjects(w http.ResponseWriter, r *http.Request, p auth.Principal, coll string) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/taxii+json" || (params["version"] != "" && params["version"] != "2.1") {
		writeError(w, http.StatusUnsupportedMediaType, "Unsupported media type", "Send the envelope as "+MediaTAXII+".")
		return
	}
	limit := s.app.Intel.Limits().MaxContentLength
	if r.ContentLength > limit {
		writeError(w, http.StatusRequestEntityTooLarge, "Request too large",
			fmt.Sprintf("The envelope is larger than max_content_length (%d bytes).", limit))
		return
	}
	st, err := s.app.Intel.AddObjects(r.Context(), p, coll, r.Body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, statusOut(st))
}

type statusResource struct {
	ID               string           `json:"id"`
	Status           string           `json:"status"`
	RequestTimestamp string           `json:"request_timestamp"`
	TotalCount       int              `json:"total_count"`
	SuccessCount     int              `json:"success_count"`
	Successes        []intel.Outcome  `json:"successes,omitempty"`
	FailureCount     int              `json:"failure_count"`
	Failures         []failureOutcome `json:"failures,omitempty"`
	PendingCount     int              `json:"pending_count"`
	Pendings         []intel.Outcome  `json:"pendings,omitempty"`
}

// failureOutcome always names an id, as the status resource requires; an entry that had
// none readable says so.
type failureOutcome struct {
	ID      string `json:"id"`
	Version string `json:"version,omitempty"`
	Message string `json:"message,omitempty"`
}

func statusOut(st intel.Status) statusResource {
	out := statusResource{ID: st.ID, Status: st.Status, RequestTimestamp: st.RequestedAt.UTC().Format("2006-01-02T15:04:05.000000Z"),
		TotalCount: st.Total, SuccessCount: st.Success, Successes: st.Successes, FailureCount: st.Failure, PendingCount: st.Pending,
		Pendings: st.Pendings}
	for _, f := range st.Failures {
		out.Failures = append(out.Failures, failureOutcome(f))
	}
	return out
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, p auth.Principal, id string) {
	st, err := s.app.Intel.GetStatus(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, statusOut(st))
}
