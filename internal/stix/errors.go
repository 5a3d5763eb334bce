// Package stix reads, checks and makes STIX 2.1 objects (OASIS STIX Version 2.1, OS): it
// decodes any object while keeping the bytes exactly as received, validates it against the
// specification's MUST rules with an English message and a stable code per failure, maps
// TLP marking definitions to model.TLP, streams the objects out of a TAXII envelope or a
// STIX bundle with bounded memory, and builds indicators and identities.
package stix

import (
	"fmt"
	"strings"
)

// Code names one kind of validation failure. Codes are stable: a page may translate them,
// and a TAXII status resource carries the English message.
type Code string

// The validation failure codes.
const (
	CodeNotObject         Code = "not_json_object"          // the value is not a JSON object
	CodeMissing           Code = "missing_property"         // a required property is absent
	CodeWrongType         Code = "wrong_type"               // e.g. a number where a string belongs
	CodeNotAllowed        Code = "property_not_allowed"     // defined, but not for this kind of object
	CodeTypeName          Code = "invalid_type_name"        // type is not 3-250 of a-z, 0-9, '-'
	CodePropertyName      Code = "invalid_property_name"    // not 3-250 of a-z, 0-9, '_'
	CodeID                Code = "invalid_identifier"       // not type--UUID
	CodeIDType            Code = "identifier_type_mismatch" // the id's prefix differs from type
	CodeUUID              Code = "invalid_uuid"             // not an RFC 4122 UUID
	CodeSpecVersion       Code = "unsupported_spec_version" // spec_version is not "2.1"
	CodeTimestamp         Code = "invalid_timestamp"        // not YYYY-MM-DDTHH:MM:SS[.s+]Z
	CodeTimeOrder         Code = "time_order"               // e.g. modified before created
	CodeReference         Code = "invalid_reference"        // a _ref/_refs value is not an identifier
	CodeReferenceType     Code = "reference_type"           // the reference points to a wrong type
	CodeRange             Code = "out_of_range"             // e.g. confidence above 100
	CodeEmptyList         Code = "empty_list"               // lists must have at least one value
	CodeValue             Code = "invalid_value"            // not one of the allowed values
	CodePattern           Code = "invalid_pattern"          // the STIX pattern does not parse
	CodeExtension         Code = "invalid_extension"        // a bad key or value in extensions
	CodeMarking           Code = "invalid_marking"          // e.g. a TLP marking with a wrong id
	CodeDuplicateProperty Code = "duplicate_property"       // the same key twice in one object
)

// Problem is one reason an object was rejected.
type Problem struct {
	// Property is the path of the property at fault, e.g. "created" or
	// "external_references[0].source_name"; empty for the object as a whole.
	Property string
	Code     Code
	Message  string // English, names the property and says why
}

func (p Problem) String() string { return p.Message }

// ValidationError lists every problem found in one object.
type ValidationError struct {
	ID       string // the object's id when it could be read, else ""
	Problems []Problem
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	s := strings.Join(msgs, "; ")
	if e.ID != "" {
		return e.ID + ": " + s
	}
	return s
}

// Has reports whether one of the problems has the code (for tests and callers that react
// to one kind).
func (e *ValidationError) Has(c Code) bool {
	for _, p := range e.Problems {
		if p.Code == c {
			return true
		}
	}
	return false
}

// problems collects Problems while an object is checked.
type problems []Problem

func (ps *problems) add(prop string, code Code, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if prop != "" {
		msg = prop + ": " + msg
	}
	*ps = append(*ps, Problem{Property: prop, Code: code, Message: msg})
}
