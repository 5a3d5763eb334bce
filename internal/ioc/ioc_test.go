package ioc

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

type item struct {
	kind  Kind
	value string
}

func TestExtractKinds(t *testing.T) {
	cases := []struct {
		in   string
		want []item
	}{
		// Addresses and ranges.
		{"送信元は198.51.100.23でした。", []item{{IPv4, "198.51.100.23"}}},
		{"宛先 2001:DB8:0:0:0:0:0:1 を遮断", []item{{IPv6, "2001:db8::1"}}},
		{"::ffff:192.0.2.1 と fe80::", []item{{IPv6, "::ffff:192.0.2.1"}, {IPv6, "fe80::"}}},
		{"範囲（203.0.113.0/24）と2001:db8::/32", []item{{CIDR, "203.0.113.0/24"}, {CIDR, "2001:db8::/32"}}},
		{"[2001:db8::5]", []item{{IPv6, "2001:db8::5"}}},
		// Domains and URLs.
		{"不審なドメインはmalicious.example.comです。", []item{{Domain, "malicious.example.com"}}},
		{"「Evil.Example.CO.JP」にアクセス", []item{{Domain, "evil.example.co.jp"}}},
		{"xn--r8jz45g.jp をブロック", []item{{Domain, "xn--r8jz45g.jp"}}},
		{"URL: https://Example.COM/Path/File.exe?a=B#Frag です", []item{{URL, "https://example.com/Path/File.exe?a=B#Frag"}}},
		{"http://user@Example.com:8080/x", []item{{URL, "http://user@example.com:8080/x"}}},
		{"http://[2001:db8::1]/index.html", []item{{URL, "http://[2001:db8::1]/index.html"}}},
		{"(http://example.com/wiki/A_(b))", []item{{URL, "http://example.com/wiki/A_(b)"}}},
		{"example.com/dl/payload.bin", []item{{URL, "http://example.com/dl/payload.bin"}}},
		{"ftp://files.example.net/a", []item{{URL, "ftp://files.example.net/a"}}},
		// Email addresses.
		{"差出人：Taro.Yamada+x@Example.JP、件名なし", []item{{Email, "Taro.Yamada+x@example.jp"}}},
		{"mailto:soc@example.org", []item{{Email, "soc@example.org"}}},
		// Hashes are only ever hashes.
		{"MD5:D41D8CD98F00B204E9800998ECF8427E", []item{{MD5, "d41d8cd98f00b204e9800998ecf8427e"}}},
		{"SHA-1 da39a3ee5e6b4b0d3255bfef95601890afd80709", []item{{SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"}}},
		{"ハッシュ値はe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855です",
			[]item{{SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}},
		{"00000000000000000000000000000000", []item{{MD5, "00000000000000000000000000000000"}}},
		// Not indicators at all.
		{"バージョン1.2.3、12:30:00、@renkei、2024年、deadbeef、ファイル a/b", nil},
		{"", nil},
	}
	for _, tc := range cases {
		res, err := Extract(tc.in, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		var got []item
		for _, it := range res.Items {
			got = append(got, item{it.Kind, it.Value})
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %v\nwant %v (rejected %v)", tc.in, got, tc.want, res.Rejected)
		}
	}
}

func TestExtractRefang(t *testing.T) {
	cases := []struct {
		in   string
		want item
	}{
		{"hxxp://evil[.]example[.]com/a", item{URL, "http://evil.example.com/a"}},
		{"hXXps[:]//evil(.)example(.)com", item{URL, "https://evil.example.com"}},
		{"hxxps[://]evil{.}example[dot]com/x", item{URL, "https://evil.example.com/x"}},
		{"h**p://evil(dot)example(DOT)org", item{URL, "http://evil.example.org"}},
		{"fxp://files[.]example[.]net/a", item{URL, "ftp://files.example.net/a"}},
		{"evil[.]example[.]com", item{Domain, "evil.example.com"}},
		{"evil\\.example\\.com", item{Domain, "evil.example.com"}},
		{"198[.]51[.]100[.]7", item{IPv4, "198.51.100.7"}},
		{"user[at]example[.]com", item{Email, "user@example.com"}},
		{"user[@]example(.)com", item{Email, "user@example.com"}},
		{"user(at)example[dot]com", item{Email, "user@example.com"}},
		// Full-width forms from a Japanese input method, NFKC-folded.
		{"ｅｖｉｌ．ｅｘａｍｐｌｅ．ｃｏｍ", item{Domain, "evil.example.com"}},
		{"ｕｓｅｒ＠ｅｘａｍｐｌｅ．ｊｐ", item{Email, "user@example.jp"}},
		{"ｈｔｔｐｓ：／／ｅｖｉｌ．ｅｘａｍｐｌｅ．ｃｏｍ／ａ", item{URL, "https://evil.example.com/a"}},
		{"１９８．５１．１００．７", item{IPv4, "198.51.100.7"}},
		{"evil。example。com", item{Domain, "evil.example.com"}},
		{"evil［.］example［.］com", item{Domain, "evil.example.com"}},
		{"evil（.）example（.）com", item{Domain, "evil.example.com"}},
	}
	for _, tc := range cases {
		res, err := Extract("IoC："+tc.in+"。ご注意ください。", Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != 1 || (item{res.Items[0].Kind, res.Items[0].Value}) != tc.want {
			t.Errorf("%q: got %+v (rejected %v), want %v", tc.in, res.Items, res.Rejected, tc.want)
		}
	}
	res, _ := Extract("evil[.]example[.]com example.org", Limits{})
	if !res.Items[0].Refanged || res.Items[1].Refanged {
		t.Errorf("Refanged flags: %+v", res.Items)
	}
}

func TestExtractRejected(t *testing.T) {
	cases := []struct {
		in     string
		reason Reason
	}{
		{"999.1.1.1", BadIPv4},
		{"192.168.001.1", BadIPv4},
		{"2001:db8:::1", BadIPv6},
		{"1:2:3:4:5:6:7:8:9", BadIPv6},
		{"10.0.0.0/33", BadCIDR},
		{"10.1.2.3/8", CIDRHostBits},
		{"-bad-.example.com", BadDomain},
		{"a..example.com", BadDomain},
		{"foo.invalidtld", UnknownTLD},
		{"readme.txt", UnknownTLD},
		{"co.jp", PublicSuffix},
		{"setup.zip", FileName},
		{"notes.md", FileName},
		{"gopher://example.com/", BadURL},
		{"http://bad_host.invalidtld/", BadURL},
		{"http:///nohost", BadURL},
		{"a..b@example.com", BadEmail},
		{"user@example.invalidtld", BadEmail},
		{"d41d8cd98f00b204e9800998ecf8427", BadHashLength},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550", BadHashLength},
	}
	for _, tc := range cases {
		res, err := Extract("これは "+tc.in+" です", Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != 0 || len(res.Rejected) != 1 || res.Rejected[0].Reason != tc.reason ||
			res.Rejected[0].Line != 1 || !strings.Contains(res.Rejected[0].Message, tc.in) && tc.reason != BadIPv6 {
			t.Errorf("%q: items %v, rejected %+v; want %s", tc.in, res.Items, res.Rejected, tc.reason)
		}
	}
	// Defanging says "this is a domain": a file-like TLD is then accepted.
	if res, _ := Extract("setup[.]zip", Limits{}); len(res.Items) != 1 || res.Items[0].Value != "setup.zip" {
		t.Errorf("defanged setup[.]zip: %+v", res)
	}
}

func TestExtractFoldsDuplicatesInOrder(t *testing.T) {
	text := `2024年11月の観測：
1. EVIL.example.com（C2サーバ）
2. 198.51.100.7
3. evil[.]example[.]com ← 再掲
4. D41D8CD98F00B204E9800998ECF8427E
5. d41d8cd98f00b204e9800998ecf8427e
6. User@Example.com と user@example.COM
7. 198.51.100.7`
	res, err := Extract(text, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{
		{Kind: Domain, Value: "evil.example.com", Line: 2, Count: 2},
		{Kind: IPv4, Value: "198.51.100.7", Line: 3, Count: 2},
		{Kind: MD5, Value: "d41d8cd98f00b204e9800998ecf8427e", Line: 5, Count: 2},
		{Kind: Email, Value: "User@example.com", Line: 7, Count: 2},
	}
	if !reflect.DeepEqual(res.Items, want) {
		t.Errorf("got  %+v\nwant %+v", res.Items, want)
	}
}

func TestExtractLimits(t *testing.T) {
	_, err := Extract(strings.Repeat("a", 101), Limits{MaxBytes: 100})
	var le *LimitError
	if !errors.As(err, &le) || le.What != "bytes" || le.Limit != 100 {
		t.Errorf("size limit: %v", err)
	}
	if _, err := Extract(strings.Repeat("a", 100), Limits{MaxBytes: 100}); err != nil {
		t.Errorf("exactly at the size limit: %v", err)
	}
	three := "198.51.100.1 198.51.100.2 198.51.100.3"
	if _, err := Extract(three, Limits{MaxItems: 2}); !errors.As(err, &le) || le.What != "items" {
		t.Errorf("item limit: %v", err)
	}
	if res, err := Extract(three+" 198.51.100.3", Limits{MaxItems: 3}); err != nil || len(res.Items) != 3 {
		t.Errorf("duplicates do not count against the limit: %v", err)
	}
	if res, _ := Extract(strings.Repeat("999.1.1.1 ", 5), Limits{MaxItems: 2}); len(res.Rejected) != 2 {
		t.Errorf("rejected words are capped: %d", len(res.Rejected))
	}
}

// FuzzExtract checks that any text extracts without a panic into well-formed items: each
// value is non-empty ASCII without spaces, a hash value is lower-case hex of its length,
// and extracting a value alone gives it back unchanged.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{"hxxp://evil[.]example[.]com/a 198.51.100.7", "ｕｓｅｒ＠ｅｘａｍｐｌｅ．ｊｐ",
		"d41d8cd98f00b204e9800998ecf8427e", "[2001:db8::1]:443 10.0.0.0/8", "(http://a.example/b_(c))"} {
		f.Add(s)
	}
	hashLen := map[Kind]int{MD5: 32, SHA1: 40, SHA256: 64}
	f.Fuzz(func(t *testing.T, text string) {
		res, err := Extract(text, Limits{MaxItems: 100})
		if err != nil {
			return
		}
		for _, it := range res.Items {
			if it.Value == "" || !utf8.ValidString(it.Value) || strings.ContainsAny(it.Value, " \t\n") {
				t.Fatalf("bad value %q from %q", it.Value, text)
			}
			if n := hashLen[it.Kind]; n > 0 && (len(it.Value) != n || !isHex(it.Value) || strings.ToLower(it.Value) != it.Value) {
				t.Fatalf("bad hash %q", it.Value)
			}
			again, err := Extract(it.Value, Limits{})
			if err != nil || len(again.Items) != 1 || again.Items[0].Value != it.Value || again.Items[0].Kind != it.Kind {
				if it.Kind != Domain || !fileExtensions[it.Value[strings.LastIndexByte(it.Value, '.')+1:]] {
					t.Fatalf("%s %q from %q does not extract to itself: %+v %v", it.Kind, it.Value, text, again, err)
				}
			}
		}
	})
}

func BenchmarkExtract(b *testing.B) {
	var sb strings.Builder
	for i := range 1000 {
		sb.WriteString("観測された通信先：hxxp://evil")
		sb.WriteString(strings.Repeat("x", i%7))
		sb.WriteString("[.]example[.]com/path 198.51.100.")
		sb.WriteString(string(rune('0' + i%10)))
		sb.WriteString(" e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 です。\n")
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Extract(text, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// NormalURL writes a URL exactly as Extract does, and leaves anything else alone.
func TestNormalURL(t *testing.T) {
	for _, in := range []string{
		"HTTP://Evil.EXAMPLE.com/Login?Next=/Home#Top",
		"https://EVIL.example.com",
		"https://Admin:Secret@Evil.Example.com:8443/Path",
		"http://[2001:DB8::1]/X",
		"https://203.0.113.7/Payload.EXE",
	} {
		got, ok := NormalURL(in)
		res, err := Extract(in, Limits{})
		if err != nil || len(res.Items) != 1 || res.Items[0].Kind != URL {
			t.Fatalf("Extract(%q): %+v %v", in, res, err)
		}
		if !ok || got != res.Items[0].Value {
			t.Errorf("NormalURL(%q) = %q, %v; Extract writes %q", in, got, ok, res.Items[0].Value)
		}
	}
	for _, in := range []string{"evil.example.com/x", "javascript://alert(1)", "http://exa mple.com/", "not a url", ""} {
		if got, ok := NormalURL(in); ok || got != in {
			t.Errorf("NormalURL(%q) = %q, %v; want it unchanged and not ok", in, got, ok)
		}
	}
	if got, _ := NormalURL("HTTP://Evil.EXAMPLE.com/Login"); got != "http://evil.example.com/Login" {
		t.Errorf("the path's case was changed or the host's kept: %q", got)
	}
}
