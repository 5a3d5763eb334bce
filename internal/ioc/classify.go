package ioc

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// verdict is what one word turned out to be: an indicator, a rejection, or nothing.
type verdict struct {
	kind        Kind
	value       string
	schemeAdded bool
	reason      Reason
	message     string
}

func reject(r Reason, format string, args ...any) verdict {
	return verdict{reason: r, message: fmt.Sprintf(format, args...)}
}

// fold is the key under which duplicates meet: addresses are case-insensitive as a whole.
func (v verdict) fold() string {
	if v.kind == Email {
		return strings.ToLower(v.value)
	}
	return v.value
}

// classify decides what a trimmed word is. A word of hex digits is only ever a hash.
func classify(tok string, refanged bool) verdict {
	if isHex(tok) {
		return classifyHex(tok)
	}
	lower := strings.ToLower(tok)
	switch {
	case strings.Contains(tok, "://"):
		return classifyURL(tok, false)
	case strings.Contains(tok, "@"):
		return classifyEmail(tok)
	case strings.Contains(tok, "/"):
		return classifySlash(tok, refanged)
	case looksIPv4(tok):
		a, err := netip.ParseAddr(tok)
		if err != nil || !a.Is4() {
			return reject(BadIPv4, "%s is not a valid IPv4 address", tok)
		}
		return verdict{kind: IPv4, value: a.String()}
	case looksIPv6(tok):
		a, err := netip.ParseAddr(tok)
		if err != nil || !a.Is6() {
			return reject(BadIPv6, "%s is not a valid IPv6 address", tok)
		}
		return verdict{kind: IPv6, value: a.String()}
	case looksDomain(tok):
		return classifyDomain(lower, refanged)
	}
	return verdict{}
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// classifyHex takes 32, 40 and 64 hex digits as MD5, SHA-1 and SHA-256. A long run of hex
// digits of another length is a mistyped hash; short ones (a year, a port) are nothing.
func classifyHex(tok string) verdict {
	v := strings.ToLower(tok)
	switch len(tok) {
	case 32:
		return verdict{kind: MD5, value: v}
	case 40:
		return verdict{kind: SHA1, value: v}
	case 64:
		return verdict{kind: SHA256, value: v}
	}
	if len(tok) >= 24 && strings.ContainsAny(v, "abcdef") || len(tok) > 64 {
		return reject(BadHashLength, "%s has %d hex digits; MD5, SHA-1 and SHA-256 have 32, 40 and 64", tok, len(tok))
	}
	return verdict{}
}

var urlSchemes = map[string]bool{"http": true, "https": true, "ftp": true, "ftps": true, "sftp": true}

// classifyURL checks a URL and lower-cases its scheme and host, leaving the rest as
// written (paths are case-sensitive).
func classifyURL(tok string, schemeAdded bool) verdict {
	i := strings.Index(tok, "://")
	scheme := strings.ToLower(tok[:i])
	if !urlSchemes[scheme] {
		return reject(BadURL, "%s: the scheme %q is not one of http, https, ftp, ftps, sftp", tok, scheme)
	}
	u, err := url.Parse(tok)
	if err != nil || u.Host == "" {
		return reject(BadURL, "%s is not a valid URL", tok)
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return reject(BadURL, "%s: an address with a zone is not a URL host", tok)
		}
	} else if d := classifyDomain(strings.ToLower(host), true); d.kind != Domain {
		return reject(BadURL, "%s: the host %s is not a valid domain or address", tok, host)
	}
	rest := tok[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	value := scheme + "://" + lowerHost(rest[:end]) + rest[end:]
	return verdict{kind: URL, value: value, schemeAdded: schemeAdded}
}

// lowerHost lower-cases the host of an authority, leaving user information as written.
func lowerHost(authority string) string {
	at := strings.LastIndex(authority, "@")
	return authority[:at+1] + strings.ToLower(authority[at+1:])
}

// classifySlash reads address/prefix as a CIDR range, and domain/path as a URL without
// its scheme.
func classifySlash(tok string, refanged bool) verdict {
	before, _, _ := strings.Cut(tok, "/")
	if looksIPv4(before) || looksIPv6(before) {
		p, err := netip.ParsePrefix(tok)
		if err != nil {
			return reject(BadCIDR, "%s is not a valid CIDR range", tok)
		}
		if p != p.Masked() {
			return reject(CIDRHostBits, "%s has host bits set; the range is %s", tok, p.Masked())
		}
		return verdict{kind: CIDR, value: p.String()}
	}
	if looksDomain(before) {
		if d := classifyDomain(strings.ToLower(before), refanged); d.kind == Domain {
			return classifyURL("http://"+tok, true)
		}
	}
	return verdict{}
}

// classifyEmail checks local@domain; a word with an @ but no dotted domain (a handle such
// as @renkei) is nothing.
func classifyEmail(tok string) verdict {
	local, domain, _ := strings.Cut(tok, "@")
	if local == "" || !strings.Contains(domain, ".") {
		return verdict{}
	}
	if strings.Contains(domain, "@") || !validLocal(local) {
		return reject(BadEmail, "%s is not a valid email address", tok)
	}
	d := classifyDomain(strings.ToLower(domain), true)
	if d.kind != Domain {
		return reject(BadEmail, "%s: %s", tok, d.message)
	}
	return verdict{kind: Email, value: local + "@" + d.value}
}

// validLocal accepts the dot-atom local part of RFC 5322.
func validLocal(s string) bool {
	if len(s) > 64 || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".!#$%&*+-/=?^_{|}~", c) >= 0) {
			return false
		}
	}
	return true
}

// looksIPv4 is four dot-separated groups of digits (a version number has fewer).
func looksIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// looksIPv6 is hex digits, colons and dots with a "::" or at least seven colons, so that
// times such as 12:30:00 are not taken for addresses.
func looksIPv6(s string) bool {
	if !strings.Contains(s, "::") && strings.Count(s, ":") < 7 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == ':' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// looksDomain is letters, digits, hyphens and dots, with a dot and a last label of letters
// (or an xn-- label).
func looksDomain(s string) bool {
	s = strings.TrimSuffix(s, ".")
	dot := strings.LastIndexByte(s, '.')
	if dot <= 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	tld := strings.ToLower(s[dot+1:])
	if strings.HasPrefix(tld, "xn--") {
		return true
	}
	return len(tld) >= 2 && strings.Trim(tld, "abcdefghijklmnopqrstuvwxyz") == ""
}

// fileExtensions are top-level domains that are also common file extensions: readme.md or
// setup.zip in a paste is more likely a file than a domain, unless it was defanged.
var fileExtensions = map[string]bool{"zip": true, "mov": true, "py": true, "sh": true, "pl": true,
	"rs": true, "md": true, "ps": true, "so": true, "cc": true, "pm": true, "ai": true}

// classifyDomain checks a lower-case domain: label syntax, a top-level domain in the public
// suffix list, and more than a bare public suffix.
func classifyDomain(d string, refanged bool) verdict {
	d = strings.TrimSuffix(d, ".")
	if len(d) > 253 {
		return reject(BadDomain, "%s is longer than 253 characters", d)
	}
	labels := strings.Split(d, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return reject(BadDomain, "%s is not a valid domain name", d)
		}
	}
	tld := labels[len(labels)-1]
	if _, icann := publicsuffix.PublicSuffix(tld); !icann {
		return reject(UnknownTLD, "%s: .%s is not a known top-level domain", d, tld)
	}
	if _, err := publicsuffix.EffectiveTLDPlusOne(d); err != nil {
		return reject(PublicSuffix, "%s is a public suffix, not a domain that can be registered", d)
	}
	if fileExtensions[tld] && !refanged {
		return reject(FileName, "%s looks like a file name; write it defanged (e.g. %s) to enter it as a domain", d,
			strings.TrimSuffix(d, "."+tld)+"[.]"+tld)
	}
	return verdict{kind: Domain, value: d}
}

// NormalURL writes a URL as Extract does (scheme and host in lower case, the rest as
// written), so that a URL from another source (a STIX pattern, a MISP attribute) is
// looked up under the same value. ok is false for anything Extract would not take as a
// URL with its scheme.
func NormalURL(s string) (string, bool) {
	if !strings.Contains(s, "://") {
		return s, false
	}
	v := classifyURL(s, false)
	if v.kind != URL {
		return s, false
	}
	return v.value, true
}
