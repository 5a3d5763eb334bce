package stix

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/renkei-dev/renkei/internal/stix/pattern"
)

// Object is one STIX object: its bytes exactly as received, every top-level property, and
// the common and indicator properties read out. A property that is absent, or present
// with the wrong JSON type, is left at its zero value (Decode reports the wrong type).
type Object struct {
	Raw   []byte                     // the object exactly as received
	Props map[string]json.RawMessage // every top-level property

	Type         string
	ID           string
	SpecVersion  string
	Created      time.Time // zero when absent
	Modified     time.Time // zero when absent
	CreatedByRef string
	Revoked      bool
	Labels       []string
	Confidence   *int // nil when absent
	Lang         string

	ExternalReferences []ExternalReference
	ObjectMarkingRefs  []string
	GranularMarkings   []GranularMarking
	Extensions         map[string]json.RawMessage

	// Indicator properties (also read from any object that has them).
	Name           string
	Pattern        string
	PatternType    string
	PatternVersion string
	ValidFrom      time.Time
	ValidUntil     time.Time // zero when absent
	IndicatorTypes []string

	parsed *pattern.Pattern // the STIX pattern, once validation has parsed it
}

// ParsedPattern returns the indicator's STIX pattern as validation parsed it, or nil when
// it was not parsed (not a "stix" pattern, or an object not validated).
func (o *Object) ParsedPattern() *pattern.Pattern { return o.parsed }

// ExternalReference is one entry of external_references.
type ExternalReference struct {
	SourceName  string            `json:"source_name"`
	Description string            `json:"description,omitempty"`
	URL         string            `json:"url,omitempty"`
	Hashes      map[string]string `json:"hashes,omitempty"`
	ExternalID  string            `json:"external_id,omitempty"`
}

// GranularMarking is one entry of granular_markings.
type GranularMarking struct {
	Lang       string   `json:"lang,omitempty"`
	MarkingRef string   `json:"marking_ref,omitempty"`
	Selectors  []string `json:"selectors"`
}

// Has reports whether the object carries the top-level property.
func (o *Object) Has(prop string) bool {
	_, ok := o.Props[prop]
	return ok
}

// Category is the object's kind. A type STIX does not define is a domain object, unless
// one of its extensions declares it a new SCO or SRO (extension_type "new-sco"/"new-sro").
func (o *Object) Category() Category {
	c, ok := CategoryOf(o.Type)
	if ok {
		return c
	}
	for _, v := range o.Extensions {
		var ext struct {
			ExtensionType string `json:"extension_type"`
		}
		if json.Unmarshal(v, &ext) == nil {
			switch ext.ExtensionType {
			case "new-sco":
				return SCO
			case "new-sro":
				return SRO
			}
		}
	}
	return SDO
}

// Parse reads an object without checking it against the specification: for objects that
// were validated when they came in. It fails only when raw is not one JSON object.
func Parse(raw []byte) (*Object, error) {
	o, ps := parse(raw)
	if o == nil {
		return nil, &ValidationError{Problems: ps}
	}
	return o, nil
}

// Decode reads an object and checks it against the STIX 2.1 rules. When the object is
// readable but breaks rules it returns the object and a *ValidationError listing every
// problem; when raw is not a JSON object it returns nil and the error.
func Decode(raw []byte) (*Object, error) {
	o, ps := parse(raw)
	if o == nil {
		return nil, &ValidationError{Problems: ps}
	}
	validate(o, &ps)
	if len(ps) > 0 {
		return o, &ValidationError{ID: o.ID, Problems: ps}
	}
	return o, nil
}

// parse reads the top-level properties, noting duplicates and wrong JSON types.
func parse(raw []byte) (*Object, problems) {
	var ps problems
	props, dup, err := topLevel(raw)
	if err != nil {
		ps.add("", CodeNotObject, "the object is not a JSON object: %v", err)
		return nil, ps
	}
	if dup != "" {
		ps.add(dup, CodeDuplicateProperty, "the property appears more than once")
	}
	o := &Object{Raw: raw, Props: props}
	r := reader{o: o, ps: &ps}
	o.Type = r.str("type")
	o.ID = r.str("id")
	o.SpecVersion = r.str("spec_version")
	o.Created = r.timestamp("created")
	o.Modified = r.timestamp("modified")
	o.CreatedByRef = r.str("created_by_ref")
	r.decode("revoked", &o.Revoked, "a boolean")
	o.Labels = r.strings("labels")
	if _, ok := props["confidence"]; ok {
		var c int
		if r.decode("confidence", &c, "an integer") {
			o.Confidence = &c
		}
	}
	o.Lang = r.str("lang")
	r.decode("external_references", &o.ExternalReferences, "a list of external references")
	o.ObjectMarkingRefs = r.strings("object_marking_refs")
	r.decode("granular_markings", &o.GranularMarkings, "a list of granular markings")
	r.decode("extensions", &o.Extensions, "a dictionary")
	o.Name = r.str("name")
	o.Pattern = r.str("pattern")
	o.PatternType = r.str("pattern_type")
	o.PatternVersion = r.str("pattern_version")
	o.ValidFrom = r.timestamp("valid_from")
	o.ValidUntil = r.timestamp("valid_until")
	o.IndicatorTypes = r.strings("indicator_types")
	return o, ps
}

// topLevel splits a JSON object into its properties and names the first duplicate key.
// The syntax is checked first, so the split below only has to find where values end.
func topLevel(raw []byte) (map[string]json.RawMessage, string, error) {
	if !json.Valid(raw) {
		var v any
		return nil, "", json.Unmarshal(raw, &v) // the same verdict, with encoding/json's reason
	}
	i := skipSpace(raw, 0)
	if raw[i] != '{' {
		return nil, "", errNotObject
	}
	props := make(map[string]json.RawMessage, 16)
	dup := ""
	i = skipSpace(raw, i+1)
	for raw[i] != '}' {
		end := valueEnd(raw, i)
		key, ok := unquote(raw[i:end])
		if !ok {
			return nil, "", errNotObject
		}
		i = skipSpace(raw, end)
		i = skipSpace(raw, i+1) // the colon
		end = valueEnd(raw, i)
		if _, seen := props[key]; seen && dup == "" {
			dup = key
		}
		props[key] = raw[i:end:end]
		i = skipSpace(raw, end)
		if raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return props, dup, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// valueEnd returns the index after the valid JSON value that starts at b[i].
func valueEnd(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			i++
			for b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 { // the end of the enclosing object after a number or literal
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// unquote reads a JSON string, quickly when it has no escapes.
func unquote(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b[1 : len(b)-1]), true
	}
	var s string
	return s, json.Unmarshal(b, &s) == nil
}

type parseError string

func (e parseError) Error() string { return string(e) }

const errNotObject = parseError("it is not an object")

// reader reads typed properties and reports those of the wrong JSON type.
type reader struct {
	o  *Object
	ps *problems
}

func (r reader) decode(prop string, dst any, want string) bool {
	v, ok := r.o.Props[prop]
	if !ok {
		return false
	}
	if err := json.Unmarshal(v, dst); err != nil || string(v) == "null" {
		r.ps.add(prop, CodeWrongType, "must be %s", want)
		return false
	}
	return true
}

func (r reader) str(prop string) string {
	v, ok := r.o.Props[prop]
	if !ok {
		return ""
	}
	if s, ok := unquote(v); ok {
		return s
	}
	r.ps.add(prop, CodeWrongType, "must be a string")
	return ""
}

func (r reader) strings(prop string) []string {
	var s []string
	r.decode(prop, &s, "a list of strings")
	return s
}

func (r reader) timestamp(prop string) time.Time {
	v, ok := r.o.Props[prop]
	if !ok {
		return time.Time{}
	}
	s, ok := unquote(v)
	if !ok {
		r.ps.add(prop, CodeWrongType, "must be a timestamp string")
		return time.Time{}
	}
	t, ok := ParseTimestamp(s)
	if !ok {
		r.ps.add(prop, CodeTimestamp, "%q is not a STIX timestamp: use RFC 3339 in UTC, YYYY-MM-DDTHH:MM:SS[.s+]Z", s)
	}
	return t
}
