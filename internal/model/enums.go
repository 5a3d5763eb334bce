package model

import (
	"net/mail"
	"strings"
	"time"
	_ "time/tzdata" // dates must work on machines without a zoneinfo database
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/renkei-dev/renkei/internal/fault"
)

// OrgKind is what sort of organization a member is.
type OrgKind string

// The organization kinds; their codes are part of the CLI and API contract.
const (
	KindCenter         OrgKind = "center"
	KindOperator       OrgKind = "operator"
	KindOrganizer      OrgKind = "organizer"
	KindPartner        OrgKind = "partner"
	KindVenue          OrgKind = "venue"
	KindSports         OrgKind = "sports"
	KindMinistry       OrgKind = "ministry"
	KindPolice         OrgKind = "police"
	KindSecurityAgency OrgKind = "security-agency"
	KindCTIVendor      OrgKind = "cti-vendor"
	KindLocalGov       OrgKind = "local-gov"
	KindOther          OrgKind = "other"
)

// OrgKinds lists every kind in display order.
var OrgKinds = []OrgKind{KindCenter, KindOperator, KindOrganizer, KindPartner, KindVenue, KindSports,
	KindMinistry, KindPolice, KindSecurityAgency, KindCTIVendor, KindLocalGov, KindOther}

// ParseOrgKind accepts a kind code.
func ParseOrgKind(s string) (OrgKind, error) {
	for _, k := range OrgKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fault.New(fault.Invalid, "invalid.org_kind", "value", s, "allowed", joinCodes(OrgKinds))
}

// Sector is one of the critical-service sectors of the seeds, or none.
type Sector string

// SectorNone means the organization is not a critical-service operator.
const SectorNone Sector = ""

// Sectors lists the 24 critical-service sectors (重要サービス分野 and 会場) in the seeds' order.
var Sectors = []Sector{"telecom", "broadcasting", "finance", "aviation", "railway", "electricity",
	"gas", "water", "logistics", "credit", "local-gov-services", "sewerage", "airport",
	"traffic-control", "emergency-call", "weather-disaster", "immigration", "expressway",
	"heat-supply", "bus", "security-services", "travel", "hospital", "venue"}

// ParseSector accepts a sector code, or "" / "none" for no sector.
func ParseSector(s string) (Sector, error) {
	if s == "" || s == "none" {
		return SectorNone, nil
	}
	for _, x := range Sectors {
		if string(x) == s {
			return x, nil
		}
	}
	return "", fault.New(fault.Invalid, "invalid.sector", "value", s, "allowed", "none, "+joinCodes(Sectors))
}

// OrgRole is a person's role inside their organization.
type OrgRole string

// Organization roles.
const (
	OrgMember OrgRole = "member"
	OrgAdmin  OrgRole = "org-admin"
)

// CenterRole is the extra role of coordination-center staff.
type CenterRole string

// Center roles; the empty role means "not center staff".
const (
	CenterNone    CenterRole = ""
	CenterAnalyst CenterRole = "analyst"
	CenterAdmin   CenterRole = "center-admin"
)

// Role is the combined role used on the command line and in the API.
type Role string

// Combined roles.
const (
	RoleMember      Role = "member"
	RoleOrgAdmin    Role = "org-admin"
	RoleAnalyst     Role = "analyst"
	RoleCenterAdmin Role = "center-admin"
)

// Roles lists the combined roles.
var Roles = []Role{RoleMember, RoleOrgAdmin, RoleAnalyst, RoleCenterAdmin}

// ParseRole accepts a combined role code.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fault.New(fault.Invalid, "invalid.role", "value", s, "allowed", joinCodes(Roles))
}

// Split returns the organization role and center role a combined role stands for.
func (r Role) Split() (OrgRole, CenterRole) {
	switch r {
	case RoleOrgAdmin:
		return OrgAdmin, CenterNone
	case RoleAnalyst:
		return OrgMember, CenterAnalyst
	case RoleCenterAdmin:
		return OrgAdmin, CenterAdmin
	}
	return OrgMember, CenterNone
}

// IsCenter reports whether the role belongs to center staff.
func (r Role) IsCenter() bool { return r == RoleAnalyst || r == RoleCenterAdmin }

// Lang is a user-interface language.
type Lang string

// Supported languages; Japanese is the default.
const (
	LangJA Lang = "ja"
	LangEN Lang = "en"
)

// ParseLang accepts "ja" or "en".
func ParseLang(s string) (Lang, error) {
	switch Lang(s) {
	case LangJA, LangEN:
		return Lang(s), nil
	}
	return "", fault.New(fault.Invalid, "invalid.lang", "value", s)
}

// DefaultTimeZone is Japan Standard Time.
const DefaultTimeZone = "Asia/Tokyo"

var jst = time.FixedZone("JST", 9*60*60)

// LoadLocation returns the named zone, or JST when the name is empty or unknown.
func LoadLocation(name string) *time.Location {
	if name == "" {
		name = DefaultTimeZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return jst
	}
	return loc
}

// ValidTimeZone reports whether name is an IANA time zone name.
func ValidTimeZone(name string) error {
	if name == "" || name == "Local" {
		return fault.New(fault.Invalid, "invalid.time_zone", "value", name)
	}
	if _, err := time.LoadLocation(name); err != nil {
		return fault.New(fault.Invalid, "invalid.time_zone", "value", name)
	}
	return nil
}

// MaxEmailLen is the longest email address accepted (RFC 5321 path limit).
const MaxEmailLen = 254

// NormalizeEmail checks an address and returns it trimmed with its domain lowercased.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fault.New(fault.Invalid, "invalid.required")
	}
	if len(s) > MaxEmailLen {
		return "", fault.New(fault.Invalid, "invalid.too_long", "max", MaxEmailLen)
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return "", fault.New(fault.Invalid, "invalid.email", "value", s)
	}
	at := strings.LastIndexByte(s, '@')
	domain := strings.ToLower(s[at+1:])
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", fault.New(fault.Invalid, "invalid.email", "value", s)
	}
	return s[:at+1] + domain, nil
}

// EmailKey is the form used for uniqueness and look-up: the whole address lowercased.
// Control characters become U+FFFD, which no valid address holds, so that a look-up with
// one finds nothing on either backend (PostgreSQL refuses a NUL in a query).
func EmailKey(email string) string {
	return strings.ToLower(withoutControls(strings.TrimSpace(email), '\uFFFD'))
}

// NameKey is the form of a name used for uniqueness: NFKC, case-folded, spaces collapsed,
// so that "ＡＢＣ電力" and "abc電力" count as the same organization. Control characters
// count as spaces, as in CleanText.
func NameKey(name string) string {
	s := strings.ToLower(norm.NFKC.String(withoutControls(name, ' ')))
	return strings.Join(strings.Fields(s), " ")
}

// withoutControls returns s as valid UTF-8 (U+FFFD for bad bytes) with its control
// characters replaced by repl.
func withoutControls(s string, repl rune) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return repl
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// CleanText trims a one-line text, collapses its spaces and rejects over-long ones.
// required says whether an empty value is an error. Control characters count as spaces
// and invalid UTF-8 becomes U+FFFD: PostgreSQL refuses NUL and invalid UTF-8 that SQLite
// would store, and escape sequences must not reach a terminal that prints a name.
func CleanText(s string, max int, required bool) (string, error) {
	s = strings.Join(strings.Fields(norm.NFC.String(withoutControls(s, ' '))), " ")
	if s == "" && required {
		return "", fault.New(fault.Invalid, "invalid.required")
	}
	if n := len([]rune(s)); n > max {
		return "", fault.New(fault.Invalid, "invalid.too_long", "max", max)
	}
	return s, nil
}

// CleanMultiline trims a multi-line text (a description) and rejects over-long ones. Line
// breaks become "\n"; other control characters but tabs are dropped and invalid UTF-8
// becomes U+FFFD, as in CleanText.
func CleanMultiline(s string, max int) (string, error) {
	s = strings.ReplaceAll(norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD")), "\r\n", "\n")
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r != '\n' && r != '\t' && unicode.IsControl(r):
			return -1
		}
		return r
	}, s))
	if n := len([]rune(s)); n > max {
		return "", fault.New(fault.Invalid, "invalid.too_long", "max", max)
	}
	return s, nil
}

func joinCodes[T ~string](xs []T) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = string(x)
	}
	return strings.Join(parts, ", ")
}
