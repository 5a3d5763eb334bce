package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/ioc"
	"github.com/renkei-dev/renkei/internal/model"
)

// hashKeys are the hash-algorithm-ov names of the hash kinds.
var hashKeys = map[ioc.Kind]string{ioc.MD5: "MD5", ioc.SHA1: "SHA-1", ioc.SHA256: "SHA-256"}

var hashLengths = map[ioc.Kind]int{ioc.MD5: 32, ioc.SHA1: 40, ioc.SHA256: 64}

// PatternFor returns the STIX pattern that matches the value: an equality on the value of
// an address, domain, URL or email observable, ISSUBSET for a CIDR range (any address in
// it), or an equality on the file hash. The value is checked for its kind first.
func PatternFor(kind ioc.Kind, value string) (string, error) {
	typ, path, err := observablePath(kind, value)
	if err != nil {
		return "", err
	}
	op := "="
	if kind == ioc.CIDR {
		op = "ISSUBSET"
	}
	return "[" + typ + ":" + path + " " + op + " " + quote(value) + "]", nil
}

// observablePath returns the object type and property path for a value of the kind.
func observablePath(kind ioc.Kind, value string) (typ, path string, err error) {
	if value == "" {
		return "", "", fmt.Errorf("empty %s value", kind)
	}
	switch kind {
	case ioc.IPv4, ioc.IPv6:
		a, err := netip.ParseAddr(value)
		if err != nil || a.Zone() != "" || (kind == ioc.IPv4) != a.Is4() {
			return "", "", fmt.Errorf("%q is not an %s address", value, kind)
		}
		return addrType(a), "value", nil
	case ioc.CIDR:
		p, err := netip.ParsePrefix(value)
		if err != nil {
			return "", "", fmt.Errorf("%q is not a CIDR range", value)
		}
		return addrType(p.Addr()), "value", nil
	case ioc.Domain:
		return "domain-name", "value", nil
	case ioc.URL:
		if !strings.Contains(value, "://") {
			return "", "", fmt.Errorf("%q is not a URL with a scheme", value)
		}
		return "url", "value", nil
	case ioc.Email:
		if !strings.Contains(value, "@") {
			return "", "", fmt.Errorf("%q is not an email address", value)
		}
		return "email-addr", "value", nil
	case ioc.MD5, ioc.SHA1, ioc.SHA256:
		if len(value) != hashLengths[kind] || strings.Trim(value, "0123456789abcdef") != "" {
			return "", "", fmt.Errorf("%q is not a %s hash in lower-case hex", value, kind)
		}
		key := hashKeys[kind]
		if strings.Contains(key, "-") {
			key = "'" + key + "'"
		}
		return "file", "hashes." + key, nil
	}
	return "", "", fmt.Errorf("unknown indicator kind %q", kind)
}

func addrType(a netip.Addr) string {
	if a.Is4() {
		return "ipv4-addr"
	}
	return "ipv6-addr"
}

// quote writes a pattern string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// ObservableFor returns the cyber-observable object for a value, with the deterministic id
// of STIX 2.1 section 2.9: a UUIDv5 under the STIX namespace of the canonical JSON of the
// ID-contributing properties ({"value":...}, or {"hashes":{...}} for a file).
func ObservableFor(kind ioc.Kind, value string) ([]byte, error) {
	typ, _, err := observablePath(kind, value)
	if err != nil {
		return nil, err
	}
	contributing := map[string]any{"value": value}
	if alg, ok := hashKeys[kind]; ok {
		contributing = map[string]any{"hashes": map[string]string{alg: value}}
	}
	name, err := canonicalJSON(contributing)
	if err != nil {
		return nil, err
	}
	obj := map[string]any{"type": typ, "spec_version": "2.1", "id": typ + "--" + UUIDv5(Namespace, string(name))}
	for k, v := range contributing {
		obj[k] = v
	}
	return canonicalJSON(obj)
}

// canonicalJSON writes compact JSON without HTML escaping of <, > and &. For maps of
// strings, as the ID-contributing properties are, that is the RFC 8785 form (sorted keys);
// structs keep their field order.
func canonicalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// IndicatorSpec describes an indicator to make for one value.
type IndicatorSpec struct {
	Kind  ioc.Kind
	Value string

	Name        string // default: the value
	Description string
	CreatedBy   string    // identity id of the organization, e.g. from NewOrganizationIdentity
	Created     time.Time // default: now; also modified
	ValidFrom   time.Time // default: Created
	ValidUntil  time.Time // optional; must be after ValidFrom
	Types       []string  // indicator_types; default ["malicious-activity"]
	Confidence  *int
	Labels      []string
	TLP         model.TLP // "" for no marking; else its TLP 2.0 marking-definition id is referenced

	// IDNamespace, when set, makes the id deterministic: a UUIDv5 in this namespace of the
	// creator and the pattern, so entering the same value twice yields the same object id
	// (a new version, not a new object). It may not be the STIX observable namespace.
	IDNamespace string
}

type indicatorJSON struct {
	Type              string   `json:"type"`
	SpecVersion       string   `json:"spec_version"`
	ID                string   `json:"id"`
	CreatedByRef      string   `json:"created_by_ref,omitempty"`
	Created           string   `json:"created"`
	Modified          string   `json:"modified"`
	Name              string   `json:"name"`
	Description       string   `json:"description,omitempty"`
	IndicatorTypes    []string `json:"indicator_types"`
	Pattern           string   `json:"pattern"`
	PatternType       string   `json:"pattern_type"`
	PatternVersion    string   `json:"pattern_version"`
	ValidFrom         string   `json:"valid_from"`
	ValidUntil        string   `json:"valid_until,omitempty"`
	Confidence        *int     `json:"confidence,omitempty"`
	Labels            []string `json:"labels,omitempty"`
	ObjectMarkingRefs []string `json:"object_marking_refs,omitempty"`
}

// NewIndicator makes a STIX 2.1 indicator for one value and checks it with Decode.
func NewIndicator(spec IndicatorSpec) ([]byte, error) {
	pat, err := PatternFor(spec.Kind, spec.Value)
	if err != nil {
		return nil, err
	}
	if spec.Created.IsZero() {
		spec.Created = time.Now()
	}
	if spec.ValidFrom.IsZero() {
		spec.ValidFrom = spec.Created
	}
	ind := indicatorJSON{Type: "indicator", SpecVersion: "2.1", CreatedByRef: spec.CreatedBy,
		Created: FormatTimestamp(spec.Created), Modified: FormatTimestamp(spec.Created),
		Name: spec.Name, Description: spec.Description, IndicatorTypes: spec.Types,
		Pattern: pat, PatternType: "stix", PatternVersion: "2.1", ValidFrom: FormatTimestamp(spec.ValidFrom),
		Confidence: spec.Confidence, Labels: spec.Labels}
	if ind.Name == "" {
		ind.Name = spec.Value
	}
	if len(ind.IndicatorTypes) == 0 {
		ind.IndicatorTypes = []string{"malicious-activity"}
	}
	if !spec.ValidUntil.IsZero() {
		ind.ValidUntil = FormatTimestamp(spec.ValidUntil)
	}
	if spec.TLP != "" {
		id := MarkingID(spec.TLP)
		if id == "" {
			return nil, fmt.Errorf("unknown TLP %q", spec.TLP)
		}
		ind.ObjectMarkingRefs = []string{id}
	}
	switch {
	case spec.IDNamespace == "":
		ind.ID = NewID("indicator")
	case !IsUUID(spec.IDNamespace) || spec.IDNamespace == Namespace:
		return nil, fmt.Errorf("%q cannot be the namespace of indicator ids", spec.IDNamespace)
	default:
		ind.ID = "indicator--" + UUIDv5(spec.IDNamespace, spec.CreatedBy+"\n"+pat)
	}
	return encodeChecked(ind)
}

// IdentitySpec describes an organization's STIX identity.
type IdentitySpec struct {
	ID                 string // default: a new random id
	Name               string
	Description        string
	ContactInformation string
	Sectors            []string // identity-sectors-ov values, e.g. "energy", "transportation"
	Created            time.Time
	Modified           time.Time // default: Created
}

type identityJSON struct {
	Type               string   `json:"type"`
	SpecVersion        string   `json:"spec_version"`
	ID                 string   `json:"id"`
	Created            string   `json:"created"`
	Modified           string   `json:"modified"`
	Name               string   `json:"name"`
	Description        string   `json:"description,omitempty"`
	IdentityClass      string   `json:"identity_class"`
	Sectors            []string `json:"sectors,omitempty"`
	ContactInformation string   `json:"contact_information,omitempty"`
}

// NewOrganizationIdentity makes an identity with identity_class "organization", the
// created_by_ref of what an organization's people create.
func NewOrganizationIdentity(spec IdentitySpec) ([]byte, error) {
	if strings.TrimSpace(spec.Name) == "" {
		return nil, fmt.Errorf("an identity needs a name")
	}
	if spec.Created.IsZero() {
		spec.Created = time.Now()
	}
	if spec.Modified.IsZero() {
		spec.Modified = spec.Created
	}
	if spec.ID == "" {
		spec.ID = NewID("identity")
	}
	return encodeChecked(identityJSON{Type: "identity", SpecVersion: "2.1", ID: spec.ID,
		Created: FormatTimestamp(spec.Created), Modified: FormatTimestamp(spec.Modified),
		Name: spec.Name, Description: spec.Description, IdentityClass: "organization",
		Sectors: spec.Sectors, ContactInformation: spec.ContactInformation})
}

// encodeChecked marshals an object and validates it, so that nothing made here can be
// refused by Renkei's own TAXII server.
func encodeChecked(v any) ([]byte, error) {
	raw, err := canonicalJSON(v)
	if err != nil {
		return nil, err
	}
	if _, err := Decode(raw); err != nil {
		return nil, err
	}
	return raw, nil
}
