package search

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestTokens(t *testing.T) {
	long := strings.Repeat("a", 200)
	tests := []struct{ in, want string }{
		{"", ""},
		{"   \n\t　", ""},
		// CJK runs: overlapping bigrams plus the last character alone.
		{"攻撃", "攻撃 撃"},
		{"攻撃情報", "攻撃 撃情 情報 報"},
		{"攻", "攻"},
		{"攻撃　情報", "攻撃 撃 情報 報"}, // ideographic space
		{"「攻撃」、（注意）!!", "攻撃 撃 注意 意"},
		{"ラーメン", "ラー ーメ メン ン"},
		{"時々", "時々 々"},
		{"한국어", "한국 국어 어"},
		{"ひらがなカタカナ漢字", "ヒラ ラガ ガナ ナカ カタ タカ カナ ナ漢 漢字 字"},
		// Hiragana folds to katakana; half-width katakana becomes full-width.
		{"ふぃっしんぐ", "フィ ィッ ッシ シン ング グ"},
		{"ﾌｨｯｼﾝｸﾞ", "フィ ィッ ッシ シン ング グ"},
		{"ゔぁゝ", "ヴァ ァヽ ヽ"},
		// Latin: whole words, lower case; full width folded by NFKC.
		{"DDoS", "ddos"},
		{"ＤＤｏＳ", "ddos"},
		{"DDoS攻撃", "ddos 攻撃 撃"},
		{"ＤＤｏＳ攻撃が発生", "ddos 攻撃 撃ガ ガ発 発生 生"},
		{"CVE-2026-12345", "cve 2026 12345"},
		{"２０２６年", "2026 年"},
		{"e-mail: User@Example.COM https://example.com/a?q=1", "e mail user example com https example com a q 1"},
		{"192.168.1.1", "192 168 1 1"},
		{"Ⅻ ① ㍻", "xii 1 平成 成"},
		{"❶手順 ⓫", "手順 順"}, // numbers that are symbols
		{"〇〇市", "〇〇 〇市 市"},
		{"ΣΑΣ ς", "σασ σ"},
		{"İstanbul Straße", "istanbul straße"},
		{"Привет мир", "привет мир"},
		{"ภาษาไทย", "ภาษาไทย"},
		// Marks and invisible characters do not break a word.
		{"cafe\u0301", "café"},
		{"secu\u00adrity", "security"},
		{"攻\u200b撃", "攻撃 撃"},
		{"葛\U000E0100飾区", "葛飾 飾区 区"},
		// Emoji, symbols and invalid UTF-8 separate.
		{"🔥攻撃🔥", "攻撃 撃"},
		{"👨\u200d💻 ★☆ →", ""},
		{"𱍐𫜹 𛄲", ""}, // Unicode 15: unknown to PostgreSQL on Debian 12
		{"a🔥b", "a b"},
		{"\xff攻撃\xfe", "攻撃 撃"},
		{"x\x00y", "x y"},
		// Long words are cut.
		{long + " b", long[:MaxWord] + " b"},
	}
	for _, tt := range tests {
		if got := Tokens(tt.in); got != tt.want {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Every token is letters and digits only, separated by single spaces.
func TestTokensShape(t *testing.T) {
	for _, s := range append(nastyQueries(), sampleTexts...) {
		got := Tokens(s)
		if got == "" {
			continue
		}
		if !utf8.ValidString(got) || strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.Contains(got, "  ") {
			t.Errorf("Tokens(%q) = %q: bad spacing or UTF-8", s, got)
		}
		for _, tok := range strings.Split(got, " ") {
			checkToken(t, s, tok)
		}
	}
}

// checkToken fails unless tok is a word or one or two CJK characters.
func checkToken(t *testing.T, src, tok string) {
	t.Helper()
	n, c0 := 0, class(0)
	for _, r := range tok {
		c := classOf(r)
		if c == sep || (n > 0 && c != c0) {
			t.Errorf("%q: token %q has a separator or mixes CJK and words", src, tok)
			return
		}
		c0 = c
		n++
	}
	if n == 0 || (c0 == cjk && n > 2) || n > MaxWord {
		t.Errorf("%q: token %q has a bad length", src, tok)
	}
}

// A 10 KB body must tokenize in well under a millisecond.
var benchText = func() string {
	const para = "2026年3月、複数の組織でDDoS攻撃とフィッシングメールによる被害が報告されました。" +
		"攻撃者はCVE-2026-12345の脆弱性を悪用し、認証情報を窃取しています。" +
		"ＩＯＣ: 192.0.2.10, evil.example.com（ﾊｰﾌｶﾀｶﾅ）。対策として、パッチの適用を推奨します。\n"
	var b strings.Builder
	for b.Len() < 10*1024 {
		b.WriteString(para)
	}
	return b.String()[:10*1024]
}()

var benchTextEN = func() string {
	const para = "On 3 March 2026 several organizations reported DDoS attacks and phishing mail. " +
		"The attackers exploit CVE-2026-12345 to steal credentials; IOC 192.0.2.10, evil.example.com. Apply the patch.\n"
	var b strings.Builder
	for b.Len() < 10*1024 {
		b.WriteString(para)
	}
	return b.String()[:10*1024]
}()

func BenchmarkTokens(b *testing.B) {
	for _, bc := range []struct{ name, text string }{{"ja-10KB", benchText}, {"en-10KB", benchTextEN}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			b.ReportAllocs()
			for b.Loop() {
				Tokens(bc.text)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		q, _ := Parse(`DDoS攻撃 ふぃっしんぐ "CVE-2026-12345" 情`)
		_ = q.FTS5()
		_ = q.TSQuery()
	}
}

func BenchmarkHighlight(b *testing.B) {
	q, _ := Parse("脆弱性 patch")
	b.ReportAllocs()
	for b.Loop() {
		Highlight(benchText, q, 160)
	}
}

// The tokenizer's letters are those of Go's Unicode tables, less those PostgreSQL's C
// library does not know (unicode15). When Go's tables change, characters new to them
// become letters here but stay unknown to PostgreSQL: extend that table from what
// TestTokenCharsPostgres reports, and bump Version, since tokens change.
func TestUnicodeVersion(t *testing.T) {
	if unicode.Version != "15.0.0" {
		t.Fatalf("Go's Unicode tables are %s, the tokenizer was written for 15.0.0: see unicode15", unicode.Version)
	}
}

// foldRef is fold without its shortcut: NFKC of the whole text, then mapRune.
func foldRef(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKC.String(strings.ToValidUTF8(s, "\uFFFD")) {
		if m := mapRune(r); m >= 0 {
			b.WriteRune(m)
		}
	}
	return b.String()
}

// fold's shortcut around NFKC changes nothing, even next to combining marks.
func TestFold(t *testing.T) {
	texts := append(append([]string{benchText, benchTextEN}, sampleTexts...), nastyQueries()...)
	// Every character quickNFKC maps, each followed by combining marks of several kinds.
	var all strings.Builder
	for r := rune(0); r <= 0xFFFF; r++ {
		if _, ok := quickNFKC(r); ok {
			all.WriteRune(r)
			all.WriteString("\u3099\u0301ﾞ\u0323\u0307" + string(r) + "\u309a")
		}
	}
	texts = append(texts, all.String(), "か\u3099き\u309aｶﾞﾊﾟｰ e\u0301\u0323 ᄀ\u1161\u11a8 가\u11a8 \u0b47\u0b3e \u3099あ",
		"Ｅ\u0301ｳﾞｶ\u3099　\u0301ﾜﾞｦﾞ", "㌐", "㌐\u0301㍻㋿ﾊﾟ\ufdfa")
	for _, s := range texts {
		if got, want := fold(s), foldRef(s); got != want {
			t.Errorf("fold(%.40q…) = %.40q…, want %.40q…", s, got, want)
		}
		checkSpans(t, s)
	}
}

// checkSpans fails unless foldSpans folds s as fold does, each character coming from
// bytes of s at or after those of the one before.
func checkSpans(t *testing.T, s string) {
	t.Helper()
	v := strings.ToValidUTF8(s, "\uFFFD") // as Highlight calls it
	doc := foldSpans(v)
	var b strings.Builder
	for i, h := range doc {
		b.WriteRune(h.r)
		if h.start < 0 || h.end > int32(len(v)) || h.start >= h.end || (i > 0 && h.start < doc[i-1].start) || h.c != classOf(h.r) {
			t.Fatalf("foldSpans(%.40q…): bad character %d %+v", s, i, h)
		}
	}
	if got, want := b.String(), fold(s); got != want {
		t.Errorf("foldSpans(%.40q…) = %.40q…, want %.40q…", s, got, want)
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range append(sampleTexts, nastyQueries()...) {
		f.Add(s)
	}
	f.Add("か\u3099き\u309aｶﾞﾊﾟｰ e\u0301\u0323 ᄀ\u1161\u11a8 가\u11a8")
	f.Add("㌐")
	f.Add("\xf4ĳ")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := fold(s), foldRef(s); got != want {
			t.Fatalf("fold(%q) = %q, want %q", s, got, want)
		}
		checkSpans(t, s)
	})
}

// randomKanji returns n bytes of text whose bigrams are nearly all distinct: the worst
// case for the size of an index.
func randomKanji(n int) string {
	rng := rand.New(rand.NewPCG(1, 1))
	var b strings.Builder
	for b.Len() < n {
		b.WriteRune(rune(0x4E00 + rng.IntN(3000)))
		if rng.IntN(20) == 0 {
			b.WriteString("。")
		}
	}
	return b.String()
}

func TestTokensLimit(t *testing.T) {
	for _, s := range []string{randomKanji(1 << 20), strings.Repeat("word ", 1<<18)} {
		got := Tokens(s)
		if len(got) > MaxIndexBytes || len(got) < MaxIndexBytes-20 {
			t.Errorf("Tokens(%.10q…) is %d bytes, want just under %d", s, len(got), MaxIndexBytes)
		}
		if want := Tokens(s[:len(got)/2]); !strings.HasPrefix(got, want[:strings.LastIndexByte(want, ' ')]) {
			t.Errorf("Tokens(%.10q…) does not begin with the tokens of its beginning", s)
		}
	}
}
