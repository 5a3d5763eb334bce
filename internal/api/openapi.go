package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/renkei-dev/renkei/internal/fault"
)

// Doc builds the OpenAPI 3.1 document from the route table and the Go types of the
// request and response bodies.
func (x *API) Doc() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]any{}
	for _, o := range x.ops {
		item, _ := paths[Prefix+o.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[Prefix+o.Path] = item
		}
		item[strings.ToLower(o.Method)] = g.operation(o)
	}
	paths[Prefix+"/openapi.json"] = map[string]any{"get": map[string]any{
		"operationId": "getOpenAPI", "tags": []string{"meta"}, "summary": "This document", "security": []any{},
		"responses": map[string]any{"200": map[string]any{"description": "OK", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}},
	}}
	g.schema(reflect.TypeFor[Problem]()) // adds the Problem component (and returns a $ref to it)
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Renkei API",
			"version":     "1",
			"description": "Threat-information sharing and incident coordination. Authenticate with a personal API token: Authorization: Bearer rk_…. Errors are RFC 9457 problem objects whose type is stable; detail is in the caller's language.",
		},
		"servers":  []any{map[string]any{"url": "/"}},
		"security": []any{map[string]any{"bearer": []string{}}},
		"paths":    paths,
		"components": map[string]any{
			"schemas":         g.defs,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}

var (
	docOnce sync.Once
	docJSON []byte
)

func (x *API) openAPI(w http.ResponseWriter, r *http.Request) {
	docOnce.Do(func() { docJSON, _ = json.MarshalIndent(x.Doc(), "", "  ") })
	w.Header().Set("Content-Type", "application/json")
	w.Write(docJSON)
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

type schemaGen struct{ defs map[string]any }

func (g *schemaGen) operation(o *op) map[string]any {
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(o.Path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "integer", "format": "int64"}})
	}
	for _, q := range o.Query {
		params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Desc, "schema": map[string]any{"type": q.Type}})
	}
	status := o.Status
	if status == 0 {
		status = 200
	}
	responses := map[string]any{}
	if o.Download {
		responses[itoa(status)] = map[string]any{"description": "The file, as an attachment", "content": map[string]any{
			"*/*": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
	} else if o.Resp != nil {
		responses[itoa(status)] = map[string]any{"description": "OK", "content": map[string]any{
			"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(o.Resp))}}}
	} else {
		responses["204"] = map[string]any{"description": "Done"}
	}
	for _, k := range []fault.Kind{fault.Unauthorized, fault.Forbidden, fault.NotFound, fault.Invalid} {
		responses[itoa(statusOf(k))] = problemResponse(k)
	}
	if o.Body != nil || o.Method != "GET" {
		responses["409"] = problemResponse(fault.Conflict) // e.g. revoking a revoked token
	}
	if o.Body != nil {
		responses["400"] = problemResponse(kindBadRequest)
		responses["413"] = problemResponse(fault.TooLarge)
		responses["415"] = problemResponse(fault.Unsupported)
	}
	out := map[string]any{"operationId": o.ID, "tags": []string{o.Tag}, "summary": o.Summary, "responses": responses}
	if len(params) > 0 {
		out["parameters"] = params
	}
	if o.Body != nil {
		out["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(o.Body))}}}
	}
	if o.Upload {
		doc := "the file's bytes; its name in the name parameter"
		if o.BodyDoc != "" {
			doc = o.BodyDoc
		}
		out["requestBody"] = map[string]any{"required": true, "description": doc,
			"content": map[string]any{"*/*": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		if o.Multipart > 0 {
			files := map[string]any{"type": "array", "maxItems": o.Multipart, "items": map[string]any{"type": "string", "format": "binary"}}
			out["requestBody"].(map[string]any)["content"].(map[string]any)["multipart/form-data"] = map[string]any{"schema": map[string]any{
				"type": "object", "required": []string{"file"}, "properties": map[string]any{"file": files}}}
		}
		responses["400"] = problemResponse(kindBadRequest)
		responses["413"] = problemResponse(fault.TooLarge)
	}
	if o.Public {
		out["security"] = []any{}
	}
	return out
}

func problemResponse(k fault.Kind) map[string]any {
	return map[string]any{"description": problemTitles[k] + " (type " + ProblemType(k) + ")", "content": map[string]any{
		"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
}

var timeType = reflect.TypeFor[time.Time]()
var rawType = reflect.TypeFor[json.RawMessage]()

// schema returns the JSON Schema of a Go type; named structs become components.
func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{"type": "object"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if ty, ok := s["type"].(string); ok {
			s["type"] = []string{ty, "null"}
			return s
		}
		return map[string]any{"oneOf": []any{s, map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		name := schemaName(t)
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = map[string]any{} // break cycles
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// object describes a struct: json names, with required fields being those without
// omitempty; embedded structs contribute their fields.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	sort.Strings(required)
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			g.fields(f.Type, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.schema(f.Type)
		if d := f.Tag.Get("doc"); d != "" {
			if _, isRef := s["$ref"]; isRef {
				s = map[string]any{"allOf": []any{s}, "description": d}
			} else {
				s["description"] = d
			}
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") {
			*required = append(*required, name)
		}
	}
}

// schemaName names a component after its Go type; List[T] becomes ListT.
func schemaName(t reflect.Type) string {
	n := t.Name()
	if i := strings.IndexByte(n, '['); i >= 0 {
		inner := n[i+1 : len(n)-1]
		if j := strings.LastIndexByte(inner, '.'); j >= 0 {
			inner = inner[j+1:]
		}
		n = n[:i] + inner
	}
	return n
}

func itoa(v int) string { return strconv.Itoa(v) }
