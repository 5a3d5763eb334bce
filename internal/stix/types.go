package stix

// Category is the kind of STIX object, which decides the common properties it needs.
type Category uint8

// The object categories of STIX 2.1.
const (
	SDO               Category = iota + 1 // domain object (attack-pattern ... vulnerability)
	SRO                                   // relationship or sighting
	SCO                                   // cyber-observable object
	MarkingDefinition                     // marking-definition
	LanguageContent                       // language-content
	ExtensionDef                          // extension-definition
)

func (c Category) String() string {
	switch c {
	case SDO:
		return "domain object"
	case SRO:
		return "relationship object"
	case SCO:
		return "cyber-observable object"
	case MarkingDefinition:
		return "marking definition"
	case LanguageContent:
		return "language content"
	case ExtensionDef:
		return "extension definition"
	}
	return "object"
}

var sdoTypes = set("attack-pattern", "campaign", "course-of-action", "grouping", "identity",
	"incident", "indicator", "infrastructure", "intrusion-set", "location", "malware",
	"malware-analysis", "note", "observed-data", "opinion", "report", "threat-actor", "tool",
	"vulnerability")

var scoTypes = set("artifact", "autonomous-system", "directory", "domain-name", "email-addr",
	"email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic",
	"process", "software", "url", "user-account", "windows-registry-key", "x509-certificate")

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}

// CategoryOf returns the category of a type defined by STIX 2.1. A custom type is a
// domain object unless an extension in its object says otherwise (see Object.Category);
// ok is false for a type the specification does not define.
func CategoryOf(typ string) (c Category, ok bool) {
	switch {
	case sdoTypes[typ]:
		return SDO, true
	case scoTypes[typ]:
		return SCO, true
	case typ == "relationship" || typ == "sighting":
		return SRO, true
	case typ == "marking-definition":
		return MarkingDefinition, true
	case typ == "language-content":
		return LanguageContent, true
	case typ == "extension-definition":
		return ExtensionDef, true
	}
	return SDO, false
}

// requiredByType lists the properties each defined type needs beyond the common ones.
var requiredByType = map[string][]string{
	"attack-pattern":       {"name"},
	"campaign":             {"name"},
	"course-of-action":     {"name"},
	"grouping":             {"context", "object_refs"},
	"identity":             {"name"},
	"incident":             {"name"},
	"indicator":            {"pattern", "pattern_type", "valid_from"},
	"infrastructure":       {"name"},
	"intrusion-set":        {"name"},
	"malware":              {"is_family"},
	"malware-analysis":     {"product"},
	"note":                 {"content", "object_refs"},
	"observed-data":        {"first_observed", "last_observed", "number_observed"},
	"opinion":              {"opinion", "object_refs"},
	"report":               {"name", "published", "object_refs"},
	"threat-actor":         {"name"},
	"tool":                 {"name"},
	"vulnerability":        {"name"},
	"relationship":         {"relationship_type", "source_ref", "target_ref"},
	"sighting":             {"sighting_of_ref"},
	"language-content":     {"object_ref", "contents"},
	"extension-definition": {"created_by_ref", "name", "schema", "version", "extension_types"},
	"autonomous-system":    {"number"},
	"directory":            {"path"},
	"domain-name":          {"value"},
	"email-addr":           {"value"},
	"email-message":        {"is_multipart"},
	"ipv4-addr":            {"value"},
	"ipv6-addr":            {"value"},
	"mac-addr":             {"value"},
	"mutex":                {"name"},
	"network-traffic":      {"protocols"},
	"software":             {"name"},
	"url":                  {"value"},
}

// notApplicable lists the common properties a category may not carry (STIX 2.1 table 3.1
// marks them "not applicable").
var notApplicable = map[Category][]string{
	SCO: {"created", "modified", "created_by_ref", "revoked", "labels", "confidence", "lang",
		"external_references"},
	MarkingDefinition: {"modified", "revoked", "labels", "confidence", "lang"},
	LanguageContent:   {"lang"},
	ExtensionDef:      {"confidence", "lang"},
}

// timestampProps are the properties of type timestamp, checked wherever they appear at the
// top level of an object.
var timestampProps = set("created", "modified", "valid_from", "valid_until", "first_seen",
	"last_seen", "first_observed", "last_observed", "published", "start_time", "stop_time",
	"analysis_started", "analysis_ended", "submitted", "object_modified", "ctime", "mtime",
	"atime", "date", "created_time", "modified_time", "account_created", "account_expires",
	"credential_last_changed", "account_first_login", "account_last_login", "start", "end",
	"validity_not_before", "validity_not_after")

// timeOrder is a rule that one timestamp is later than (or not before) another.
type timeOrder struct {
	earlier, later string
	strict         bool // later must be strictly after earlier
}

// timeOrders per type; "*" applies to every object.
var timeOrders = map[string][]timeOrder{
	"*":                {{"created", "modified", false}},
	"indicator":        {{"valid_from", "valid_until", true}},
	"campaign":         {{"first_seen", "last_seen", false}},
	"infrastructure":   {{"first_seen", "last_seen", false}},
	"intrusion-set":    {{"first_seen", "last_seen", false}},
	"malware":          {{"first_seen", "last_seen", false}},
	"threat-actor":     {{"first_seen", "last_seen", false}},
	"sighting":         {{"first_seen", "last_seen", false}},
	"observed-data":    {{"first_observed", "last_observed", false}},
	"relationship":     {{"start_time", "stop_time", true}},
	"malware-analysis": {{"analysis_started", "analysis_ended", false}},
	"x509-certificate": {{"validity_not_before", "validity_not_after", false}},
}

// Reference constraints: which types a reference property may point to. An entry holds
// type names, or one of the category markers below.
const (
	anySDO       = "<sdo>"     // any domain object (custom types count)
	anySCO       = "<sco>"     // any cyber-observable (custom types count)
	anySROorSCO  = "<sro-sco>" // a relationship, a sighting or an observable
	notSROorMeta = "<not-sro>" // anything but a relationship, sighting or meta object
	anyType      = "<any>"     // no constraint
)

// refTargets maps "type.property" (or "*.property" for every type) to the allowed targets.
var refTargets = map[string][]string{
	"*.created_by_ref":                         {"identity"},
	"*.object_marking_refs":                    {"marking-definition"},
	"*.marking_ref":                            {"marking-definition"},
	"relationship.source_ref":                  {notSROorMeta},
	"relationship.target_ref":                  {notSROorMeta},
	"sighting.sighting_of_ref":                 {anySDO},
	"sighting.observed_data_refs":              {"observed-data"},
	"sighting.where_sighted_refs":              {"identity", "location"},
	"observed-data.object_refs":                {anySROorSCO},
	"malware.sample_refs":                      {"file", "artifact"},
	"malware.operating_system_refs":            {"software"},
	"malware-analysis.host_vm_ref":             {"software"},
	"malware-analysis.operating_system_ref":    {"software"},
	"malware-analysis.installed_software_refs": {"software"},
	"malware-analysis.sample_ref":              {"file", "network-traffic", "artifact"},
	"malware-analysis.analysis_sco_refs":       {anySCO},
	"directory.contains_refs":                  {"file", "directory"},
	"domain-name.resolves_to_refs":             {"ipv4-addr", "ipv6-addr", "domain-name"},
	"email-addr.belongs_to_ref":                {"user-account"},
	"email-message.from_ref":                   {"email-addr"},
	"email-message.sender_ref":                 {"email-addr"},
	"email-message.to_refs":                    {"email-addr"},
	"email-message.cc_refs":                    {"email-addr"},
	"email-message.bcc_refs":                   {"email-addr"},
	"email-message.raw_email_ref":              {"artifact"},
	"email-message.body_raw_ref":               {"artifact", "file"},
	"file.parent_directory_ref":                {"directory"},
	"file.contains_refs":                       {anySCO},
	"file.content_ref":                         {"artifact"},
	"ipv4-addr.resolves_to_refs":               {"mac-addr"},
	"ipv4-addr.belongs_to_refs":                {"autonomous-system"},
	"ipv6-addr.resolves_to_refs":               {"mac-addr"},
	"ipv6-addr.belongs_to_refs":                {"autonomous-system"},
	"network-traffic.src_ref":                  {"ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"},
	"network-traffic.dst_ref":                  {"ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"},
	"network-traffic.src_payload_ref":          {"artifact"},
	"network-traffic.dst_payload_ref":          {"artifact"},
	"network-traffic.encapsulates_refs":        {"network-traffic"},
	"network-traffic.encapsulated_by_ref":      {"network-traffic"},
	"network-traffic.message_body_data_ref":    {"artifact"},
	"process.opened_connection_refs":           {"network-traffic"},
	"process.creator_user_ref":                 {"user-account"},
	"process.image_ref":                        {"file"},
	"process.parent_ref":                       {"process"},
	"process.child_refs":                       {"process"},
	"process.service_dll_refs":                 {"file"},
	"windows-registry-key.creator_user_ref":    {"user-account"},
}

// predefinedExtensions are the extension names STIX 2.1 defines for observables.
var predefinedExtensions = map[string]string{
	"archive-ext": "file", "ntfs-ext": "file", "pdf-ext": "file", "raster-image-ext": "file",
	"windows-pebinary-ext": "file", "http-request-ext": "network-traffic",
	"icmp-ext": "network-traffic", "socket-ext": "network-traffic", "tcp-ext": "network-traffic",
	"windows-process-ext": "process", "windows-service-ext": "process",
	"unix-account-ext": "user-account",
}

var extensionTypes = set("new-sdo", "new-sco", "new-sro", "property-extension",
	"toplevel-property-extension")

var opinionValues = set("strongly-disagree", "disagree", "neutral", "agree", "strongly-agree")
