package stix

import (
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/renkei-dev/renkei/internal/stix/pattern"
)

// validate applies the STIX 2.1 MUST rules to a parsed object.
func validate(o *Object, ps *problems) {
	if !checkTypeAndID(o, ps) {
		return
	}
	cat := o.Category()
	checkCommon(o, cat, ps)
	checkPropertyNames(o, ps)
	checkTimes(o, cat, ps)
	checkRefs(o, ps)
	checkExtensions(o, ps)
	for _, prop := range requiredByType[o.Type] {
		requireProp(o, prop, ps)
	}
	if check := typeChecks[o.Type]; check != nil {
		check(o, ps)
	}
}

// checkTypeAndID checks type and id; without a usable type nothing else can be judged.
func checkTypeAndID(o *Object, ps *problems) bool {
	switch {
	case !o.Has("type"):
		ps.add("type", CodeMissing, "is required")
		return false
	case o.Type == "bundle":
		ps.add("type", CodeValue, "a bundle is not a STIX object; send the objects it holds")
		return false
	case !IsTypeName(o.Type):
		ps.add("type", CodeTypeName, "%q is not a valid type: use 3 to 250 characters of a-z, 0-9 and single hyphens", o.Type)
		return false
	}
	if !o.Has("id") {
		ps.add("id", CodeMissing, "is required")
		return true
	}
	i := strings.LastIndex(o.ID, "--")
	switch {
	case i < 0:
		ps.add("id", CodeID, "%q is not an identifier of the form %s--<UUID>", o.ID, o.Type)
	case o.ID[:i] != o.Type:
		ps.add("id", CodeIDType, "%q does not begin with the object's type %q", o.ID, o.Type+"--")
	case !IsUUID(o.ID[i+2:]):
		ps.add("id", CodeUUID, "%q is not an RFC 4122 UUID in lower-case hex (8-4-4-4-12, variant 10, version 1-8)", o.ID[i+2:])
	}
	return true
}

// checkCommon checks the common properties the category requires or forbids, and their
// values.
func checkCommon(o *Object, cat Category, ps *problems) {
	switch cat {
	case SCO:
		if o.Has("spec_version") && o.SpecVersion != "2.1" {
			ps.add("spec_version", CodeSpecVersion, "%q is not supported: only STIX 2.1 is accepted", o.SpecVersion)
		}
	default:
		if !o.Has("spec_version") {
			ps.add("spec_version", CodeMissing, "is required (\"2.1\"); objects without it are STIX 2.0, which is not accepted")
		} else if o.SpecVersion != "2.1" {
			ps.add("spec_version", CodeSpecVersion, "%q is not supported: only STIX 2.1 is accepted", o.SpecVersion)
		}
		requireProp(o, "created", ps)
		if cat != MarkingDefinition {
			requireProp(o, "modified", ps)
		}
	}
	for _, prop := range notApplicable[cat] {
		if o.Has(prop) {
			ps.add(prop, CodeNotAllowed, "is not allowed on a %s", cat)
		}
	}
	if o.Confidence != nil && (*o.Confidence < 0 || *o.Confidence > 100) {
		ps.add("confidence", CodeRange, "%d is outside 0 to 100", *o.Confidence)
	}
	if o.Lang != "" {
		if _, err := language.Parse(o.Lang); err != nil {
			ps.add("lang", CodeValue, "%q is not an RFC 5646 language tag", o.Lang)
		}
	}
	for i, ref := range o.ExternalReferences {
		checkExternalReference(i, ref, ps)
	}
	for i, gm := range o.GranularMarkings {
		checkGranularMarking(i, gm, ps)
	}
}

func checkExternalReference(i int, ref ExternalReference, ps *problems) {
	prop := "external_references[" + strconv.Itoa(i) + "]"
	if ref.SourceName == "" {
		ps.add(prop+".source_name", CodeMissing, "is required")
	}
	if ref.Description == "" && ref.URL == "" && ref.ExternalID == "" {
		ps.add(prop, CodeMissing, "needs at least one of description, url or external_id")
	}
}

func checkGranularMarking(i int, gm GranularMarking, ps *problems) {
	prop := "granular_markings[" + strconv.Itoa(i) + "]"
	if len(gm.Selectors) == 0 {
		ps.add(prop+".selectors", CodeMissing, "is required and must list at least one selector")
	}
	switch {
	case gm.MarkingRef == "" && gm.Lang == "":
		ps.add(prop, CodeMissing, "needs marking_ref or lang")
	case gm.MarkingRef != "" && gm.Lang != "":
		ps.add(prop, CodeNotAllowed, "may have marking_ref or lang, not both")
	}
}

// checkPropertyNames applies the naming rule to every top-level property, and the rule
// that a list has at least one value (STIX 2.1 section 2.7). Lists in properties named
// x_... are custom and left to their producers.
func checkPropertyNames(o *Object, ps *problems) {
	for _, name := range sortedKeys(o.Props) {
		if !IsPropertyName(name) {
			ps.add(name, CodePropertyName, "is not a valid property name: use 3 to 250 characters of a-z, 0-9 and '_'")
			continue
		}
		if string(o.Props[name]) == "[]" && !strings.HasPrefix(name, "x_") {
			ps.add(name, CodeEmptyList, "is an empty list; leave the property out instead")
		}
	}
}

// scoOnlyTimes are timestamp names that are timestamps only on observables; custom domain
// objects may use the names for other things.
var scoOnlyTimes = set("date", "start", "end", "ctime", "mtime", "atime")

// checkTimes checks the form of every timestamp property and the order rules.
func checkTimes(o *Object, cat Category, ps *problems) {
	times := map[string]time.Time{"created": o.Created, "modified": o.Modified,
		"valid_from": o.ValidFrom, "valid_until": o.ValidUntil}
	for name, raw := range o.Props {
		if _, done := times[name]; done || !timestampProps[name] || (scoOnlyTimes[name] && cat != SCO) {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			ps.add(name, CodeWrongType, "must be a timestamp string")
			continue
		}
		t, ok := ParseTimestamp(s)
		if !ok {
			ps.add(name, CodeTimestamp, "%q is not a STIX timestamp: use RFC 3339 in UTC, YYYY-MM-DDTHH:MM:SS[.s+]Z", s)
			continue
		}
		times[name] = t
	}
	rules := append(timeOrders["*"][:1:1], timeOrders[o.Type]...)
	for _, r := range rules {
		a, b := times[r.earlier], times[r.later]
		if a.IsZero() || b.IsZero() {
			continue
		}
		if r.strict && !b.After(a) {
			ps.add(r.later, CodeTimeOrder, "must be later than %s", r.earlier)
		} else if b.Before(a) {
			ps.add(r.later, CodeTimeOrder, "must not be earlier than %s", r.earlier)
		}
	}
}

// checkRefs checks every property named *_ref or *_refs, at any depth: each value is an
// identifier, a list of them is not empty, and the target type is one the specification
// allows there.
func checkRefs(o *Object, ps *problems) {
	for _, name := range sortedKeys(o.Props) {
		raw := o.Props[name]
		if isRefName(name) {
			var v any
			if json.Unmarshal(raw, &v) == nil {
				checkRefValue(o, name, name, v, ps)
			}
			continue
		}
		if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
			var v any
			if json.Unmarshal(raw, &v) == nil {
				walkRefs(o, name, v, ps)
			}
		}
	}
}

func isRefName(k string) bool { return strings.HasSuffix(k, "_ref") || strings.HasSuffix(k, "_refs") }

func walkRefs(o *Object, path string, v any, ps *problems) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			p := path + "." + k
			if isRefName(k) {
				checkRefValue(o, p, k, v[k], ps)
			} else {
				walkRefs(o, p, v[k], ps)
			}
		}
	case []any:
		for i, item := range v {
			walkRefs(o, path+"["+strconv.Itoa(i)+"]", item, ps)
		}
	}
}

func checkRefValue(o *Object, path, name string, v any, ps *problems) {
	allowed := refTargets[o.Type+"."+name]
	if allowed == nil {
		allowed = refTargets["*."+name]
	}
	if strings.HasSuffix(name, "_ref") {
		s, ok := v.(string)
		if !ok {
			ps.add(path, CodeWrongType, "must be an identifier string")
			return
		}
		checkRef(path, s, allowed, ps)
		return
	}
	list, ok := v.([]any)
	if !ok {
		ps.add(path, CodeWrongType, "must be a list of identifiers")
		return
	}
	if len(list) == 0 {
		ps.add(path, CodeEmptyList, "is an empty list; leave the property out instead")
	}
	for i, item := range list {
		p := path + "[" + strconv.Itoa(i) + "]"
		s, ok := item.(string)
		if !ok {
			ps.add(p, CodeWrongType, "must be an identifier string")
			continue
		}
		checkRef(p, s, allowed, ps)
	}
}

func checkRef(path, ref string, allowed []string, ps *problems) {
	typ := IDType(ref)
	if typ == "" {
		ps.add(path, CodeReference, "%q is not an identifier of the form type--<UUID>", ref)
		return
	}
	if len(allowed) > 0 && !refAllowed(typ, allowed) {
		ps.add(path, CodeReferenceType, "%q must refer to %s", ref, describeTargets(allowed))
	}
}

func refAllowed(typ string, allowed []string) bool {
	cat, known := CategoryOf(typ)
	for _, a := range allowed {
		switch a {
		case anyType:
			return true
		case anySDO:
			if cat == SDO {
				return true
			}
		case anySCO:
			if cat == SCO || !known {
				return true
			}
		case anySROorSCO:
			if cat == SRO || cat == SCO || !known {
				return true
			}
		case notSROorMeta:
			if cat == SDO || cat == SCO {
				return true
			}
		default:
			if typ == a {
				return true
			}
		}
	}
	return false
}

func describeTargets(allowed []string) string {
	names := make([]string, len(allowed))
	for i, a := range allowed {
		switch a {
		case anySDO:
			names[i] = "a domain object"
		case anySCO:
			names[i] = "a cyber-observable object"
		case anySROorSCO:
			names[i] = "a cyber-observable object, a relationship or a sighting"
		case notSROorMeta:
			names[i] = "a domain or cyber-observable object"
		default:
			names[i] = "a " + a
		}
	}
	return strings.Join(names, " or ")
}

// checkExtensions checks the keys and values of the extensions dictionary.
func checkExtensions(o *Object, ps *problems) {
	if !o.Has("extensions") || o.Extensions == nil {
		return
	}
	if len(o.Extensions) == 0 {
		ps.add("extensions", CodeEmptyList, "is an empty dictionary; leave the property out instead")
	}
	for _, key := range sortedKeys(o.Extensions) {
		prop := "extensions." + key
		val := o.Extensions[key]
		if len(val) == 0 || val[0] != '{' {
			ps.add(prop, CodeExtension, "must be a JSON object")
			continue
		}
		switch {
		case strings.HasPrefix(key, "extension-definition--"):
			if !IsID(key) {
				ps.add(prop, CodeExtension, "the key is not a valid extension-definition identifier")
				continue
			}
			var ext struct {
				ExtensionType *string `json:"extension_type"`
			}
			if json.Unmarshal(val, &ext) == nil && ext.ExtensionType != nil && !extensionTypes[*ext.ExtensionType] {
				ps.add(prop+".extension_type", CodeExtension, "%q is not one of %s", *ext.ExtensionType, joinSet(extensionTypes))
			}
		case predefinedExtensions[key] != "":
			if predefinedExtensions[key] != o.Type {
				ps.add(prop, CodeExtension, "is defined for %s objects only", predefinedExtensions[key])
			}
		case !IsTypeName(key):
			ps.add(prop, CodeExtension, "is neither an extension-definition identifier nor a valid extension name (3 to 250 characters of a-z, 0-9 and '-')")
		}
	}
}

// requireProp reports a missing required property; a null counts as missing.
func requireProp(o *Object, prop string, ps *problems) {
	v, ok := o.Props[prop]
	if !ok || string(v) == "null" {
		ps.add(prop, CodeMissing, "is required on %s objects", o.Type)
	}
}

// typeChecks are the rules of single object types beyond required properties.
var typeChecks = map[string]func(*Object, *problems){
	"indicator":            checkIndicator,
	"malware":              checkMalware,
	"malware-analysis":     checkMalwareAnalysis,
	"location":             checkLocation,
	"observed-data":        checkObservedData,
	"opinion":              checkOpinion,
	"relationship":         checkRelationship,
	"sighting":             checkSighting,
	"marking-definition":   checkMarkingDefinition,
	"extension-definition": checkExtensionDefinition,
	"language-content":     checkLanguageContent,
	"artifact":             checkArtifact,
	"file":                 checkFile,
	"network-traffic":      checkNetworkTraffic,
	"email-message":        checkEmailMessage,
}

func checkIndicator(o *Object, ps *problems) {
	if o.PatternType != "stix" || o.Pattern == "" {
		return
	}
	pt, err := pattern.Parse(o.Pattern)
	if err != nil {
		var se *pattern.SyntaxError
		if errors.As(err, &se) {
			ps.add("pattern", CodePattern, "is not a valid STIX pattern: at offset %d, %s", se.Offset, se.Msg)
			return
		}
		ps.add("pattern", CodePattern, "is not a valid STIX pattern: %v", err)
		return
	}
	o.parsed = pt
}

func checkMalware(o *Object, ps *problems) {
	var isFamily bool
	if !decodeProp(o, "is_family", &isFamily, "a boolean", ps) {
		return
	}
	if isFamily && o.Name == "" {
		ps.add("name", CodeMissing, "is required when is_family is true")
	}
}

func checkMalwareAnalysis(o *Object, ps *problems) {
	if !o.Has("result") && !o.Has("analysis_sco_refs") {
		ps.add("result", CodeMissing, "result or analysis_sco_refs is required on malware-analysis objects")
	}
}

func checkLocation(o *Object, ps *problems) {
	var lat, long float64
	hasLat := decodeProp(o, "latitude", &lat, "a number", ps)
	hasLong := decodeProp(o, "longitude", &long, "a number", ps)
	if hasLat && (lat < -90 || lat > 90) {
		ps.add("latitude", CodeRange, "%v is outside -90 to 90", lat)
	}
	if hasLong && (long < -180 || long > 180) {
		ps.add("longitude", CodeRange, "%v is outside -180 to 180", long)
	}
	if o.Has("latitude") != o.Has("longitude") {
		ps.add("longitude", CodeMissing, "latitude and longitude go together")
	}
	if o.Has("precision") && !(o.Has("latitude") && o.Has("longitude")) {
		ps.add("precision", CodeNotAllowed, "needs latitude and longitude")
	}
	if !o.Has("region") && !o.Has("country") && !(o.Has("latitude") && o.Has("longitude")) {
		ps.add("region", CodeMissing, "a location needs region, country, or latitude and longitude")
	}
}

func checkObservedData(o *Object, ps *problems) {
	var n int64
	if decodeProp(o, "number_observed", &n, "an integer", ps) && (n < 1 || n > 999999999) {
		ps.add("number_observed", CodeRange, "%d is outside 1 to 999,999,999", n)
	}
	switch {
	case o.Has("objects") && o.Has("object_refs"):
		ps.add("objects", CodeNotAllowed, "may not appear with object_refs")
	case !o.Has("objects") && !o.Has("object_refs"):
		ps.add("object_refs", CodeMissing, "is required on observed-data objects")
	}
}

func checkOpinion(o *Object, ps *problems) {
	var v string
	if decodeProp(o, "opinion", &v, "a string", ps) && !opinionValues[v] {
		ps.add("opinion", CodeValue, "%q is not one of %s", v, joinSet(opinionValues))
	}
}

func checkRelationship(o *Object, ps *problems) {
	var v string
	if !decodeProp(o, "relationship_type", &v, "a string", ps) {
		return
	}
	ok := v != ""
	for i := 0; i < len(v); i++ {
		c := v[i]
		ok = ok && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')
	}
	if !ok {
		ps.add("relationship_type", CodeValue, "%q may hold only a-z, 0-9 and '-'", v)
	}
}

func checkSighting(o *Object, ps *problems) {
	var n int64
	if decodeProp(o, "count", &n, "an integer", ps) && (n < 0 || n > 999999999) {
		ps.add("count", CodeRange, "%d is outside 0 to 999,999,999", n)
	}
}

func checkExtensionDefinition(o *Object, ps *problems) {
	var types []string
	if decodeProp(o, "extension_types", &types, "a list of strings", ps) {
		for i, t := range types {
			if !extensionTypes[t] {
				ps.add("extension_types["+strconv.Itoa(i)+"]", CodeValue, "%q is not one of %s", t, joinSet(extensionTypes))
			}
		}
	}
	var s string
	decodeProp(o, "schema", &s, "a string", ps)
	decodeProp(o, "version", &s, "a string", ps)
}

func checkLanguageContent(o *Object, ps *problems) {
	var contents map[string]json.RawMessage
	if decodeProp(o, "contents", &contents, "a dictionary of languages", ps) && len(contents) == 0 {
		ps.add("contents", CodeEmptyList, "must hold at least one language")
	}
}

func checkArtifact(o *Object, ps *problems) {
	switch {
	case o.Has("payload_bin") && o.Has("url"):
		ps.add("url", CodeNotAllowed, "may not appear with payload_bin")
	case !o.Has("payload_bin") && !o.Has("url"):
		ps.add("payload_bin", CodeMissing, "payload_bin or url is required on artifact objects")
	case o.Has("url") && !o.Has("hashes"):
		ps.add("hashes", CodeMissing, "is required when url is present")
	}
}

func checkFile(o *Object, ps *problems) {
	if !o.Has("hashes") && !o.Has("name") {
		ps.add("name", CodeMissing, "hashes or name is required on file objects")
	}
}

func checkNetworkTraffic(o *Object, ps *problems) {
	if !o.Has("src_ref") && !o.Has("dst_ref") {
		ps.add("src_ref", CodeMissing, "src_ref or dst_ref is required on network-traffic objects")
	}
}

func checkEmailMessage(o *Object, ps *problems) {
	var multipart bool
	if !decodeProp(o, "is_multipart", &multipart, "a boolean", ps) {
		return
	}
	if multipart && o.Has("body") {
		ps.add("body", CodeNotAllowed, "may not appear when is_multipart is true; use body_multipart")
	}
	if !multipart && o.Has("body_multipart") {
		ps.add("body_multipart", CodeNotAllowed, "may not appear when is_multipart is false")
	}
}

// decodeProp reads an optional property into dst, reporting a wrong type; it returns
// whether the property was present and readable.
func decodeProp(o *Object, prop string, dst any, want string, ps *problems) bool {
	v, ok := o.Props[prop]
	if !ok {
		return false
	}
	if json.Unmarshal(v, dst) != nil || string(v) == "null" {
		ps.add(prop, CodeWrongType, "must be %s", want)
		return false
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func joinSet(s map[string]bool) string {
	return strings.Join(sortedKeys(s), ", ")
}
