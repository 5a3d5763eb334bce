// Package ioc recognises indicators of compromise in pasted text: IPv4 and IPv6 addresses,
// CIDR ranges, domains, URLs, email addresses and MD5, SHA-1 and SHA-256 hashes. It undoes
// the usual defanging (hxxp, [.], (dot), [at] ...) and the full-width forms a Japanese
// input method produces, folds duplicates, keeps the order of first appearance, and reports
// the words that looked like indicators but were not valid.
package ioc

import (
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Kind is the kind of an indicator.
type Kind string

// The kinds recognised.
const (
	IPv4   Kind = "ipv4"
	IPv6   Kind = "ipv6"
	CIDR   Kind = "cidr" // an IPv4 or IPv6 network, e.g. 203.0.113.0/24
	Domain Kind = "domain"
	URL    Kind = "url"
	Email  Kind = "email"
	MD5    Kind = "md5"
	SHA1   Kind = "sha1"
	SHA256 Kind = "sha256"
)

// Kinds lists every kind in a stable order.
var Kinds = []Kind{IPv4, IPv6, CIDR, Domain, URL, Email, MD5, SHA1, SHA256}

// Item is one recognised indicator.
type Item struct {
	Kind  Kind
	Value string // normalised: lower-case hashes and domains, canonical addresses
	Line  int    // line of the first appearance, from 1
	Count int    // how many times it appeared
	// Refanged is true when the first appearance was defanged (hxxp, [.] ...).
	Refanged bool
	// SchemeAdded is true for a URL written without a scheme (example.com/path), to which
	// http:// was added.
	SchemeAdded bool
}

// Reason says why a word that looked like an indicator was not taken.
type Reason string

// The reasons.
const (
	BadIPv4       Reason = "invalid_ipv4"
	BadIPv6       Reason = "invalid_ipv6"
	BadCIDR       Reason = "invalid_cidr"
	CIDRHostBits  Reason = "cidr_host_bits"
	BadDomain     Reason = "invalid_domain"
	UnknownTLD    Reason = "unknown_tld"
	PublicSuffix  Reason = "public_suffix"
	FileName      Reason = "looks_like_file_name"
	BadURL        Reason = "invalid_url"
	BadEmail      Reason = "invalid_email"
	BadHashLength Reason = "hash_length"
)

// Rejected is a word that looked like an indicator but was not valid.
type Rejected struct {
	Line    int
	Text    string // the word after refanging
	Reason  Reason
	Message string // English
}

// Result is what Extract found.
type Result struct {
	Items    []Item
	Rejected []Rejected
}

// Limits bound one paste. Zero fields take the defaults.
type Limits struct {
	MaxBytes int // size of the text
	MaxItems int // distinct indicators, and separately rejected words
}

// The default limits.
const (
	DefaultMaxBytes = 1 << 20
	DefaultMaxItems = 10_000
)

// LimitError reports a paste over a limit.
type LimitError struct {
	What  string // "bytes" or "items"
	Limit int
}

func (e *LimitError) Error() string {
	if e.What == "bytes" {
		return fmt.Sprintf("the text is larger than %d bytes", e.Limit)
	}
	return fmt.Sprintf("the text holds more than %d indicators", e.Limit)
}

// Extract finds the indicators in text.
func Extract(text string, lim Limits) (Result, error) {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultMaxBytes
	}
	if lim.MaxItems <= 0 {
		lim.MaxItems = DefaultMaxItems
	}
	if len(text) > lim.MaxBytes {
		return Result{}, &LimitError{What: "bytes", Limit: lim.MaxBytes}
	}
	x := extractor{lim: lim, seen: map[string]int{}}
	for i, line := range strings.Split(text, "\n") {
		if err := x.line(i+1, line); err != nil {
			return Result{}, err
		}
	}
	return x.res, nil
}

type extractor struct {
	lim  Limits
	res  Result
	seen map[string]int // fold key -> index in res.Items
}

func (x *extractor) line(n int, line string) error {
	line = norm.NFKC.String(line)
	for _, chunk := range strings.Fields(line) {
		chunk, refanged := refang(chunk)
		for _, tok := range tokens(chunk) {
			if err := x.token(n, tok, refanged); err != nil {
				return err
			}
		}
	}
	return nil
}

func (x *extractor) token(line int, tok string, refanged bool) error {
	c := classify(tok, refanged)
	switch {
	case c.reason != "":
		if len(x.res.Rejected) < x.lim.MaxItems {
			x.res.Rejected = append(x.res.Rejected, Rejected{Line: line, Text: tok, Reason: c.reason, Message: c.message})
		}
	case c.kind != "":
		key := string(c.kind) + "|" + c.fold()
		if i, ok := x.seen[key]; ok {
			x.res.Items[i].Count++
			return nil
		}
		if len(x.res.Items) >= x.lim.MaxItems {
			return &LimitError{What: "items", Limit: x.lim.MaxItems}
		}
		x.seen[key] = len(x.res.Items)
		x.res.Items = append(x.res.Items, Item{Kind: c.kind, Value: c.value, Line: line, Count: 1,
			Refanged: refanged, SchemeAdded: c.schemeAdded})
	}
	return nil
}
