package stix

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"time"
)

// Namespace is the UUIDv5 namespace of STIX 2.1 section 2.9 for the deterministic ids of
// cyber-observable objects. Nothing else may use it.
const Namespace = "00abedb4-aa42-466c-9c01-fed23315a9b7"

// IsTypeName reports whether s is a valid object type name: 3 to 250 characters of a-z,
// 0-9 and '-'. A type may not hold "--", which separates the type from the UUID in an
// identifier, nor begin or end with '-'.
func IsTypeName(s string) bool {
	if len(s) < 3 || len(s) > 250 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// IsPropertyName reports whether s is a valid property name: 3 to 250 characters of a-z,
// 0-9 and '_' ("id" is the one defined name shorter than that).
func IsPropertyName(s string) bool {
	if s == "id" {
		return true
	}
	if len(s) < 3 || len(s) > 250 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// SplitID splits an identifier into its type and UUID; ok is false when the form is not
// type--UUID with a valid type name and an RFC 4122 UUID in lower case.
func SplitID(id string) (typ, uuid string, ok bool) {
	i := strings.LastIndex(id, "--")
	if i < 0 {
		return "", "", false
	}
	typ, uuid = id[:i], id[i+2:]
	return typ, uuid, IsTypeName(typ) && IsUUID(uuid)
}

// IsID reports whether s is a valid identifier.
func IsID(s string) bool {
	_, _, ok := SplitID(s)
	return ok
}

// IDType returns the type part of an identifier, or "" when s is not one.
func IDType(s string) string {
	typ, _, ok := SplitID(s)
	if !ok {
		return ""
	}
	return typ
}

// IsUUID reports whether s is an RFC 4122 (RFC 9562) UUID in canonical lower-case form:
// 8-4-4-4-12 hex digits, the variant bits 10 and a version from 1 to 8.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	version, variant := s[14], s[19]
	return version >= '1' && version <= '8' && strings.IndexByte("89ab", variant) >= 0
}

// UUIDVersion returns the version digit of a valid UUID (4 for random, 5 for name-based).
func UUIDVersion(uuid string) int { return int(uuid[14] - '0') }

// NewID returns typ--<random UUIDv4>, the form STIX 2.1 recommends for domain, relationship
// and meta objects.
func NewID(typ string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("stix: no randomness: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return typ + "--" + formatUUID(b)
}

// UUIDv5 returns the name-based UUID of name in the namespace (a UUID string).
func UUIDv5(namespace, name string) string {
	ns, err := hex.DecodeString(strings.ReplaceAll(namespace, "-", ""))
	if err != nil || len(ns) != 16 {
		panic("stix: bad UUID namespace " + namespace)
	}
	h := sha1.New()
	h.Write(ns)
	h.Write([]byte(name))
	var b [16]byte
	copy(b[:], h.Sum(nil))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// ParseTimestamp reads a STIX timestamp: RFC 3339 in UTC with a "Z", at least to the
// second, any number of fraction digits (YYYY-MM-DDTHH:MM:SS[.s+]Z).
func ParseTimestamp(s string) (time.Time, bool) {
	const n = len("2006-01-02T15:04:05")
	if len(s) < n+1 || s[len(s)-1] != 'Z' || s[10] != 'T' {
		return time.Time{}, false
	}
	if frac := s[n : len(s)-1]; frac != "" {
		if len(frac) < 2 || frac[0] != '.' || strings.Trim(frac[1:], "0123456789") != "" {
			return time.Time{}, false
		}
		if len(frac) > 10 { // Go reads nanoseconds; finer digits cannot change the order
			s = s[:n+10] + "Z"
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// FormatTimestamp prints t in UTC to the millisecond, the precision STIX 2.1 asks of
// created and modified: 2016-05-12T08:17:27.000Z.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
