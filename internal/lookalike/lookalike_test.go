package lookalike

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/idna"
)

func TestParse(t *testing.T) {
	cases := []struct{ in, prefix, label, suffix, ascii string }{
		{"example.co.jp", "", "example", "co.jp", "example.co.jp"},
		{"Example.CO.JP.", "", "example", "co.jp", "example.co.jp"},
		{"www.city.shinjuku.lg.jp", "www.city", "shinjuku", "lg.jp", "www.city.shinjuku.lg.jp"},
		{"ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "", "example", "co.jp", "example.co.jp"},
		{"日本レジストリ.jp", "", "日本レジストリ", "jp", "xn--yckc9b5hg9742fo4b.jp"},
		{"xn--yckc9b5hg9742fo4b.jp", "", "日本レジストリ", "jp", "xn--yckc9b5hg9742fo4b.jp"},
		{"ｓｈｏｐ。ｅｘａｍｐｌｅ。ｊｐ", "shop", "example", "jp", "shop.example.jp"},
		{"shop.example.コム", "shop", "example", "コム", "shop.example.xn--tckwe"},
		{"foo.github.io", "", "foo", "github.io", "foo.github.io"},
	}
	for _, c := range cases {
		n, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if n.Prefix != c.prefix || n.Label != c.label || n.Suffix != c.suffix || n.ASCII() != c.ascii {
			t.Errorf("Parse(%q) = %q %q %q (%s), want %q %q %q (%s)", c.in, n.Prefix, n.Label, n.Suffix, n.ASCII(), c.prefix, c.label, c.suffix, c.ascii)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for in, want := range map[string]string{
		"":                                      "empty",
		"localhost":                             "single label",
		"co.jp":                                 "public suffix",
		"東京.jp":                                 "public suffix",
		"example.invalidtld":                    "unknown top-level domain",
		"https://example.com/":                  "not a URL",
		"example.com:443":                       "not a URL",
		"user@example.com":                      "not a URL",
		"exa mple.com":                          "not a URL",
		"-example.com":                          "not a valid host name",
		"ex_ample.com":                          "not a valid host name",
		"ab--cd.com":                            "not a valid host name",
		strings.Repeat("a", 64) + ".jp":         "1 to 63",
		strings.Repeat("abcdefghi.", 26) + "jp": "longer than 253",
	} {
		_, err := Parse(in)
		if !errors.Is(err, ErrDomain) || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want ErrDomain saying %q", in, err, want)
		}
	}
}

// has reports whether cs holds the ASCII name under the family.
func has(cs []Candidate, family, domain string) bool {
	return slices.ContainsFunc(cs, func(c Candidate) bool { return c.Family == family && c.Domain == domain })
}

func generate(t *testing.T, domain string, families ...string) []Candidate {
	t.Helper()
	cs, err := Generate(domain, Options{Families: families})
	if err != nil {
		t.Fatalf("Generate(%q): %v", domain, err)
	}
	return cs
}

func TestFamilyExamples(t *testing.T) {
	cs := generate(t, "example.co.jp")
	for _, w := range [][2]string{
		{"addition", "example1.co.jp"},
		{"bitsquatting", "dxample.co.jp"}, // e ^ 1
		{"cyrillic", mustASCII(t, "ехамрӏе") + ".co.jp"},
		{"homoglyph", "examp1e.co.jp"},                    // l → 1
		{"homoglyph", mustASCII(t, "exàmp1e") + ".co.jp"}, // two steps
		{"homoglyph", "exarnple.co.jp"},                   // m → rn
		{"hyphenation", "exam-ple.co.jp"},                 //
		{"insertion", "exsample.co.jp"},                   // s touches a
		{"omission", "exmple.co.jp"},                      //
		{"plural", "examples.co.jp"},                      //
		{"repetition", "exxample.co.jp"},                  //
		{"replacement", "exampke.co.jp"},                  // k touches l
		{"subdomain", "exam.ple.co.jp"},                   //
		{"transposition", "exmaple.co.jp"},                //
		{"vowel-swap", "exumple.co.jp"},                   //
		{"various", "example.jp"},                         // out from under co.jp
		{"various", "exampleco.jp"},                       //
		{"various", "example-co-jp.com"},                  //
		{"dictionary", "example-login.co.jp"},             //
		{"dictionary", mustASCII(t, "example公式") + ".co.jp"},
		{"tld-swap", "example.ne.jp"},     //
		{"tld-swap", "example.go.jp"},     //
		{"tld-swap", "example.xn--tckwe"}, // .コム
	} {
		if !has(cs, w[0], w[1]) {
			t.Errorf("example.co.jp: no %s %s", w[0], w[1])
		}
	}
	if has(cs, "omission", "example.co.jp") || slices.ContainsFunc(cs, func(c Candidate) bool { return c.Domain == "example.co.jp" }) {
		t.Error("the input is listed as its own lookalike")
	}
}

func TestJapaneseFamilies(t *testing.T) {
	cs := generate(t, "tokyo2020.jp")
	uni := map[string]string{}
	for _, c := range cs {
		uni[c.Unicode] = c.Family
	}
	for name, fam := range map[string]string{
		"t〇kyo2020.jp": "ja-homoglyph",
		"tokyo2〇2〇.jp": "ja-homoglyph", // both zeros
		"tokyo2〇20.jp": "ja-homoglyph",
		"t〇ky〇2020.jp": "ja-homoglyph",
	} {
		if uni[name] != fam {
			t.Errorf("tokyo2020.jp: %s is %q, want %s", name, uni[name], fam)
		}
	}
	cs = generate(t, "jr-east.co.jp", "ja-homoglyph")
	if !has(cs, "ja-homoglyph", mustASCII(t, "jrーeast")+".co.jp") || !has(cs, "ja-homoglyph", mustASCII(t, "jr一east")+".co.jp") {
		t.Errorf("jr-east.co.jp: no ー or 一 for the hyphen: %v", cs)
	}

	cs = generate(t, "日本レジストリ.jp")
	uni = map[string]string{}
	for _, c := range cs {
		uni[c.Unicode] = c.Family
	}
	for name, fam := range map[string]string{
		"曰本レジストリ.jp":   "ja-confusable", // 日/曰
		"日木レジストリ.jp":   "ja-confusable", // 本/木
		"日本レジストり.jp":   "ja-confusable", // リ/り
		"日本レシストリ.jp":   "ja-kana",       // ジ/シ
		"日本レジスドリ.jp":   "ja-kana",       // ト/ド
		"日本ジストリ.jp":    "omission",
		"日本レジトスリ.jp":   "transposition",
		"日本レジストリa.jp":  "addition",
		"日本レ.ジストリ.jp":  "subdomain",
		"日本レジストリ.com":  "tld-swap",
		"日本レジストリ公式.jp": "dictionary",
	} {
		if uni[name] != fam {
			t.Errorf("日本レジストリ.jp: %s is %q, want %s", name, uni[name], fam)
		}
	}
	cs = generate(t, "ソニーツ.jp", "ja-confusable", "ja-kana")
	for _, w := range []string{"ンニーツ.jp", "ソ二ーツ.jp", "ソニ一ツ.jp", "ソニーシ.jp", "ソニーッ.jp"} {
		if !slices.ContainsFunc(cs, func(c Candidate) bool { return c.Unicode == w }) {
			t.Errorf("ソニーツ.jp: no %s", w)
		}
	}
}

func mustASCII(t *testing.T, s string) string {
	t.Helper()
	a, err := idna.Lookup.ToASCII(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestCandidatesAreValidNames checks every candidate of the test domains against the
// IDNA library: valid under the lookup rules, ASCII and Unicode forms that agree, host
// name labels, DNS lengths; once each, never the input, families in order.
func TestCandidatesAreValidNames(t *testing.T) {
	order := map[string]int{}
	for i, f := range Families() {
		order[f] = i
	}
	for _, d := range append(testDomains(t), "ソニーツ.jp", "l·l.jp", "www.ελλάδα.com") {
		in, err := Parse(d)
		if err != nil {
			t.Fatal(err)
		}
		cs := generate(t, d)
		seen := map[string]bool{}
		last := 0
		for _, c := range cs {
			a, err := idna.Lookup.ToASCII(c.Unicode)
			if err != nil || a != c.Domain {
				t.Errorf("%s: %s %q → %q, %v; want %q", d, c.Family, c.Unicode, a, err, c.Domain)
			}
			u, err := idna.Lookup.ToUnicode(c.Domain)
			if err != nil || u != c.Unicode {
				t.Errorf("%s: %s %q → %q, %v; want %q", d, c.Family, c.Domain, u, err, c.Unicode)
			}
			if err := checkLengths(c.Domain); err != nil {
				t.Errorf("%s: %s %q: %v", d, c.Family, c.Domain, err)
			}
			for _, l := range strings.Split(c.Domain, ".") {
				if !ldh(l) || len(l) >= 4 && l[2:4] == "--" && !strings.HasPrefix(l, "xn--") {
					t.Errorf("%s: %s %q: bad label %q", d, c.Family, c.Domain, l)
				}
			}
			if seen[c.Domain] || c.Domain == in.ASCII() {
				t.Errorf("%s: %s %q twice or the input", d, c.Family, c.Domain)
			}
			seen[c.Domain] = true
			if order[c.Family] < last {
				t.Errorf("%s: %s %q out of family order", d, c.Family, c.Domain)
			}
			last = order[c.Family]
		}
	}
}

func TestDeterministic(t *testing.T) {
	a := generate(t, "mizuhobank.co.jp")
	b := generate(t, "mizuhobank.co.jp")
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs differ")
	}
}

// TestFirstFamilyKeepsAName: exanple is both a homoglyph (m → n) and a keyboard slip; the
// full list keeps it once, as the homoglyph, while the replacement family alone has it.
func TestFirstFamilyKeepsAName(t *testing.T) {
	all := generate(t, "example.co.jp")
	if !has(all, "homoglyph", "exanple.co.jp") || has(all, "replacement", "exanple.co.jp") {
		t.Error("exanple.co.jp is not kept under homoglyph only")
	}
	if !has(generate(t, "example.co.jp", "replacement"), "replacement", "exanple.co.jp") {
		t.Error("the replacement family alone lacks exanple.co.jp")
	}
}

func TestFamilyFilter(t *testing.T) {
	cs := generate(t, "example.co.jp", "omission", "plural")
	if len(cs) != 8 { // 7 omissions and examples
		t.Errorf("omission and plural: %d candidates: %v", len(cs), cs)
	}
	_, err := Generate("example.co.jp", Options{Families: []string{"omission", "typo"}})
	if !errors.Is(err, ErrFamily) || !strings.Contains(err.Error(), `"typo"`) || !strings.Contains(err.Error(), "vowel-swap") {
		t.Errorf("unknown family: %v", err)
	}
	for _, f := range Families() {
		if FamilyDoc(f) == "" {
			t.Errorf("family %s has no description", f)
		}
	}
}

func TestWordAndTLDLists(t *testing.T) {
	cs, err := Generate("example.co.jp", Options{Families: []string{"dictionary", "tld-swap"}, Dictionary: []string{"Portal", "ＬＯＧＩＮ"}, TLDs: []string{"com", ".net.", "co.jp"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.Domain)
	}
	want := []string{
		"exampleportal.co.jp", "example-portal.co.jp", "portalexample.co.jp", "portal-example.co.jp",
		"examplelogin.co.jp", "example-login.co.jp", "loginexample.co.jp", "login-example.co.jp",
		"example.com", "example.net",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if _, err := Generate("example.co.jp", Options{Dictionary: []string{"a.b"}}); err == nil || !strings.Contains(err.Error(), `"a.b"`) {
		t.Errorf("a word with a dot: %v", err)
	}
	for _, bad := range []string{"notatld", "example.com", "a_b"} {
		if _, err := Generate("example.co.jp", Options{TLDs: []string{bad}}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("TLD %q: %v", bad, err)
		}
	}
}

// TestInvalidVariantsDropped: variants that are not host names never come out.
func TestInvalidVariantsDropped(t *testing.T) {
	for _, c := range generate(t, "jr-east.co.jp") {
		if strings.Contains(c.Domain, "--") && !strings.Contains(c.Domain, "xn--") || strings.Contains(c.Domain, "-.") || strings.Contains(c.Domain, ".-") {
			t.Errorf("%s %s", c.Family, c.Domain)
		}
	}
	// a 63-character label has no room for one more
	long := strings.Repeat("a", 63) + ".jp"
	for _, c := range generate(t, long, "addition", "repetition", "homoglyph") {
		if c.Family != "homoglyph" || len(strings.Split(c.Domain, ".")[0]) > maxLabel {
			t.Errorf("%s %s", c.Family, c.Domain)
		}
	}
}

// TestRepeatsOneStep: a label whose one-step homoglyphs exceed twoStepMax (here a letter
// repeated 30 times: 465 runs of it, each with every look-alike) gets no second step.
func TestRepeatsOneStep(t *testing.T) {
	runs := 30 * 31 / 2
	cs := generate(t, strings.Repeat("a", 30)+".jp", "homoglyph")
	if max := runs * len(tables().latin['a']); len(cs) == 0 || len(cs) > max {
		t.Fatalf("%d homoglyphs, want 1 to %d", len(cs), max)
	}
	for _, c := range cs {
		l, _, _ := strings.Cut(c.Unicode, ".")
		// one step replaces one run of a's: no a is left between replaced ones
		if strings.Contains(strings.Trim(l, "a"), "a") {
			t.Fatalf("two steps in %s", c.Unicode)
		}
	}
}

func TestPunycode(t *testing.T) {
	for _, s := range []string{"exàmple", "日本レジストリ", "ехамрӏе", "tokyo2〇2〇", "ü", "aü", "üa", "ᴡᴡᴡ", "公式example", "ꜱ𝟙"} {
		want, err := idna.Punycode.ToASCII(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(appendPunycode(nil, []rune(s))); got != want {
			t.Errorf("%q: %q, want %q", s, got, want)
		}
	}
}

func TestKeyboardNeighbours(t *testing.T) {
	nb := tables().neighbours
	for k, want := range map[rune]string{
		'a': "qwszy2z1", // QWERTY, QWERTZ (y below a) and AZERTY (a on the top row)
		'm': "njkl,p",
		'1': "2qa",
	} {
		for _, w := range want {
			if w == ',' {
				continue
			}
			if !slices.Contains(nb[k], w) {
				t.Errorf("%c: neighbours %q lack %c", k, string(nb[k]), w)
			}
		}
	}
	if slices.Contains(nb['a'], 'p') || slices.Contains(nb['q'], 'm') {
		t.Error("far keys counted as neighbours")
	}
}

// TestListFilesMatchDefaults: testdata/words.txt and tlds.txt, which dnstwist gets in the
// comparison and the benchmark script, are the default lists.
func TestListFilesMatchDefaults(t *testing.T) {
	for file, want := range map[string][]string{"testdata/words.txt": DefaultDictionary, "testdata/tlds.txt": DefaultTLDs} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Fields(string(data)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s differs from the default list", file)
		}
	}
}
