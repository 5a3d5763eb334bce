package stix

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/ioc"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/stix/pattern"
)

func TestPatternFor(t *testing.T) {
	cases := []struct {
		kind  ioc.Kind
		value string
		want  string
		obs   pattern.Observable
	}{
		{ioc.IPv4, "198.51.100.7", `[ipv4-addr:value = '198.51.100.7']`, pattern.Observable{Type: "ipv4-addr", Path: "value", Value: "198.51.100.7", Sufficient: true}},
		{ioc.IPv6, "2001:db8::1", `[ipv6-addr:value = '2001:db8::1']`, pattern.Observable{Type: "ipv6-addr", Path: "value", Value: "2001:db8::1", Sufficient: true}},
		{ioc.CIDR, "203.0.113.0/24", `[ipv4-addr:value ISSUBSET '203.0.113.0/24']`, pattern.Observable{Type: "ipv4-addr", Path: "value", Value: "203.0.113.0/24", Sufficient: true}},
		{ioc.CIDR, "2001:db8::/32", `[ipv6-addr:value ISSUBSET '2001:db8::/32']`, pattern.Observable{Type: "ipv6-addr", Path: "value", Value: "2001:db8::/32", Sufficient: true}},
		{ioc.Domain, "evil.example.com", `[domain-name:value = 'evil.example.com']`, pattern.Observable{Type: "domain-name", Path: "value", Value: "evil.example.com", Sufficient: true}},
		{ioc.URL, `http://evil.example.com/a'b\c?x=1&y=2`, `[url:value = 'http://evil.example.com/a\'b\\c?x=1&y=2']`, pattern.Observable{Type: "url", Path: "value", Value: `http://evil.example.com/a'b\c?x=1&y=2`, Sufficient: true}},
		{ioc.Email, "phish@example.org", `[email-addr:value = 'phish@example.org']`, pattern.Observable{Type: "email-addr", Path: "value", Value: "phish@example.org", Sufficient: true}},
		{ioc.MD5, "d41d8cd98f00b204e9800998ecf8427e", `[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']`, pattern.Observable{Type: "file", Path: "hashes.MD5", Value: "d41d8cd98f00b204e9800998ecf8427e", Sufficient: true}},
		{ioc.SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", `[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']`, pattern.Observable{Type: "file", Path: "hashes.SHA-1", Value: "da39a3ee5e6b4b0d3255bfef95601890afd80709", Sufficient: true}},
		{ioc.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", `[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']`, pattern.Observable{Type: "file", Path: "hashes.SHA-256", Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Sufficient: true}},
	}
	for _, tc := range cases {
		got, err := PatternFor(tc.kind, tc.value)
		if err != nil || got != tc.want {
			t.Errorf("PatternFor(%s, %q) = %q, %v; want %q", tc.kind, tc.value, got, err, tc.want)
			continue
		}
		p, err := pattern.Parse(got)
		if err != nil {
			t.Errorf("%s does not parse: %v", got, err)
			continue
		}
		if obs := p.Observables(); len(obs) != 1 || obs[0] != tc.obs {
			t.Errorf("%s observables %+v, want %+v", got, obs, tc.obs)
		}
	}
	bad := []struct {
		kind  ioc.Kind
		value string
	}{
		{ioc.IPv4, "2001:db8::1"}, {ioc.IPv6, "198.51.100.7"}, {ioc.IPv4, "999.1.1.1"}, {ioc.CIDR, "10.0.0.0/33"},
		{ioc.URL, "example.com/a"}, {ioc.Email, "nobody"}, {ioc.MD5, "D41D8CD98F00B204E9800998ECF8427E"},
		{ioc.SHA1, "d41d8cd98f00b204e9800998ecf8427e"}, {ioc.Domain, ""}, {"ssdeep", "x"},
	}
	for _, tc := range bad {
		if _, err := PatternFor(tc.kind, tc.value); err == nil {
			t.Errorf("PatternFor(%s, %q) accepted", tc.kind, tc.value)
		}
	}
}

func TestObservableFor(t *testing.T) {
	raw, err := ObservableFor(ioc.IPv4, "8.8.8.8")
	if err != nil {
		t.Fatal(err)
	}
	// The same id other STIX 2.1 tools give this observable.
	if string(raw) != `{"id":"ipv4-addr--2f689bf9-0ff2-545f-aa61-e495eb8cecc7","spec_version":"2.1","type":"ipv4-addr","value":"8.8.8.8"}` {
		t.Errorf("got %s", raw)
	}
	for _, kind := range []ioc.Kind{ioc.URL, ioc.SHA256, ioc.CIDR} {
		value := map[ioc.Kind]string{ioc.URL: "http://a.example/?x=1&y=<2>", ioc.SHA256: strings.Repeat("ab", 32), ioc.CIDR: "10.0.0.0/8"}[kind]
		a, err := ObservableFor(kind, value)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := ObservableFor(kind, value)
		o, err := Decode(a)
		if err != nil || string(a) != string(b) || o.Category() != SCO {
			t.Errorf("%s: %s %v", kind, a, err)
		}
		if _, uuid, _ := SplitID(o.ID); UUIDVersion(uuid) != 5 {
			t.Errorf("%s: id %s is not a UUIDv5", kind, o.ID)
		}
		if strings.Contains(string(a), `\u0026`) {
			t.Errorf("HTML escaping changes the id: %s", a)
		}
	}
	if raw, _ := ObservableFor(ioc.SHA256, strings.Repeat("ab", 32)); !strings.Contains(string(raw), `"hashes":{"SHA-256":"abab`) {
		t.Errorf("file observable %s", raw)
	}
}

func TestNewIndicator(t *testing.T) {
	identity, err := NewOrganizationIdentity(IdentitySpec{Name: "電力ISAC", Sectors: []string{"utilities"},
		Created: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	org, err := Decode(identity)
	if err != nil || org.Type != "identity" || !strings.Contains(string(identity), `"identity_class":"organization"`) {
		t.Fatalf("identity %s: %v", identity, err)
	}
	conf := 80
	created := time.Date(2026, 11, 2, 3, 4, 5, 6e6, time.UTC)
	spec := IndicatorSpec{Kind: ioc.Domain, Value: "evil.example.com", CreatedBy: org.ID, Created: created,
		ValidUntil: created.Add(30 * 24 * time.Hour), Confidence: &conf, TLP: model.TLPAmber,
		IDNamespace: "6ba7b810-9dad-41d1-80b4-00c04fd430c8", Description: "C2 サーバ"}
	raw, err := NewIndicator(spec)
	if err != nil {
		t.Fatal(err)
	}
	o, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if o.Pattern != `[domain-name:value = 'evil.example.com']` || o.PatternType != "stix" || o.Name != "evil.example.com" ||
		o.CreatedByRef != org.ID || !o.Created.Equal(created) || !o.ValidFrom.Equal(created) ||
		o.TLP(model.TLPClear) != model.TLPAmber || *o.Confidence != 80 || o.IndicatorTypes[0] != "malicious-activity" {
		t.Errorf("indicator %s", raw)
	}
	again, _ := NewIndicator(spec)
	var a, b struct{ ID string }
	json.Unmarshal(raw, &a)
	json.Unmarshal(again, &b)
	if a.ID != b.ID {
		t.Error("with IDNamespace the id must be deterministic")
	}
	spec.IDNamespace = ""
	other, _ := NewIndicator(spec)
	json.Unmarshal(other, &b)
	if a.ID == b.ID {
		t.Error("without IDNamespace the id must be random")
	}

	badSpecs := []IndicatorSpec{
		{Kind: ioc.IPv4, Value: "not an address"},
		{Kind: ioc.IPv4, Value: "198.51.100.7", TLP: "purple"},
		{Kind: ioc.IPv4, Value: "198.51.100.7", IDNamespace: Namespace},
		{Kind: ioc.IPv4, Value: "198.51.100.7", IDNamespace: "nope"},
		{Kind: ioc.IPv4, Value: "198.51.100.7", Created: created, ValidUntil: created},
		{Kind: ioc.IPv4, Value: "198.51.100.7", CreatedBy: "Example Corp"},
	}
	for _, s := range badSpecs {
		if _, err := NewIndicator(s); err == nil {
			t.Errorf("NewIndicator(%+v) accepted", s)
		}
	}
	if _, err := NewOrganizationIdentity(IdentitySpec{Name: " "}); err == nil {
		t.Error("an identity without a name was accepted")
	}
}

// TestIndicatorsFromPaste is the path phase 2 takes: pasted text to indicators.
func TestIndicatorsFromPaste(t *testing.T) {
	res, err := ioc.Extract("hxxp://evil[.]example[.]com/a、198.51.100.7、2001:db8::/32、ｕｓｅｒ＠ｅｘａｍｐｌｅ．ｊｐ、"+
		"d41d8cd98f00b204e9800998ecf8427e、da39a3ee5e6b4b0d3255bfef95601890afd80709、"+
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855、2001:db8::1、evil[.]example[.]org", ioc.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[ioc.Kind]bool{}
	for _, it := range res.Items {
		kinds[it.Kind] = true
		if _, err := NewIndicator(IndicatorSpec{Kind: it.Kind, Value: it.Value}); err != nil {
			t.Errorf("%s %s: %v", it.Kind, it.Value, err)
		}
		if _, err := ObservableFor(it.Kind, it.Value); err != nil {
			t.Errorf("%s %s: %v", it.Kind, it.Value, err)
		}
	}
	if len(kinds) != len(ioc.Kinds) {
		t.Errorf("kinds seen %v, rejected %v", kinds, res.Rejected)
	}
}
