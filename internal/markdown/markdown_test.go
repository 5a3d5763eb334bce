package markdown

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// checkHTML reports what in out is not of the HTML that Render may produce:
// only the elements and attributes below, every '<' starting one of them
// (text is escaped), link targets of the allowed schemes only. It also makes
// the checks of FuzzRender's contract: no <script or <img anywhere, and no
// on…= event attribute, style= or javascript: inside a tag.
func checkHTML(out string) error {
	allowed := map[string]map[string]bool{
		"p": nil, "h3": nil, "h4": nil, "h5": nil, "h6": nil,
		"em": nil, "strong": nil, "del": nil, "pre": nil, "blockquote": nil,
		"ul": nil, "li": nil, "hr": nil, "br": nil,
		"table": nil, "thead": nil, "tbody": nil, "tr": nil,
		"a":     {"href": true, "rel": true, "title": true},
		"code":  {"class": true},
		"ol":    {"start": true},
		"th":    {"align": true},
		"td":    {"align": true},
		"input": {"checked": true, "disabled": true, "type": true},
	}
	lower := strings.ToLower(out)
	for _, bad := range []string{"<script", "<img", "<iframe", "<svg", "<!--", "<style"} {
		if strings.Contains(lower, bad) {
			return fmt.Errorf("contains %q", bad)
		}
	}
	event := regexp.MustCompile(`\son[a-z]+\s*=`)
	quoted := regexp.MustCompile(`"[^"]*"`)
	for rest := out; ; {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			return fmt.Errorf("unclosed tag at %q", rest[i:])
		}
		tag := rest[i : i+j+1]
		rest = rest[i+j+1:]
		// The tag with its attribute values emptied: values are escaped,
		// and a title may well say "onclick=".
		skeleton := strings.ToLower(quoted.ReplaceAllString(tag, `""`))
		if event.MatchString(skeleton) || strings.Contains(skeleton, "style=") || strings.Contains(skeleton, "javascript:") {
			return fmt.Errorf("tag %q", tag)
		}
		body := strings.TrimSuffix(tag[1:len(tag)-1], "/")
		if strings.HasPrefix(body, "/") {
			if _, ok := allowed[body[1:]]; !ok {
				return fmt.Errorf("end tag %q", tag)
			}
			continue
		}
		name, attrs, _ := strings.Cut(body, " ")
		attrsOK, ok := allowed[name]
		if !ok {
			return fmt.Errorf("element %q", tag)
		}
		for attrs = strings.TrimSpace(attrs); attrs != ""; attrs = strings.TrimSpace(attrs) {
			k, v, ok := strings.Cut(attrs, `="`)
			if !ok {
				return fmt.Errorf("attribute syntax in %q", tag)
			}
			end := strings.IndexByte(v, '"')
			if end < 0 {
				return fmt.Errorf("attribute syntax in %q", tag)
			}
			val := html.UnescapeString(v[:end])
			attrs = v[end+1:]
			if !attrsOK[k] {
				return fmt.Errorf("attribute %q in %q", k, tag)
			}
			if k == "href" {
				if err := checkHref(val); err != nil {
					return fmt.Errorf("%v in %q", err, tag)
				}
			}
			if k == "rel" && val != "noopener noreferrer nofollow" {
				return fmt.Errorf("rel in %q", tag)
			}
		}
		if name == "a" && !strings.Contains(body, ` rel="`) {
			return fmt.Errorf("link without rel: %q", tag)
		}
	}
	return nil
}

// checkHref is the link target rule, written apart from allowedURL.
func checkHref(v string) error {
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("control character in href %q", v)
		}
	}
	if v == "" {
		return fmt.Errorf("empty href")
	}
	lv := strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexAny(lv, ":/?#"); i >= 0 && lv[i] == ':' {
		switch lv[:i] {
		case "http", "https", "mailto":
		default:
			return fmt.Errorf("scheme of href %q", v)
		}
	}
	return nil
}

func render(t *testing.T, src string) string {
	t.Helper()
	out := string(Render(src))
	if err := checkHTML(out); err != nil {
		t.Errorf("Render(%q) = %q: %v", src, out, err)
	}
	return out
}

func TestRenderXSS(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      string // exact output, if not empty
	}{
		{"script", `<script>alert(1)</script>`, "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{"script inline", `a <script>alert(1)</script> b`, "<p>a &lt;script&gt;alert(1)&lt;/script&gt; b</p>\n"},
		{"img onerror", `<img src=x onerror=alert(1)>`, "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n"},
		{"img onerror inline", `x <img src="x" onerror="alert(1)"> y`, ""},
		{"javascript link", `[x](javascript:alert(1))`, "<p>x</p>\n"},
		{"mixed case", `[x](JaVaScRiPt:alert(1))`, "<p>x</p>\n"},
		{"entity colon", `[x](javascript&#58;alert(1))`, "<p>x</p>\n"},
		{"entity colon hex", `[x](javascript&#x3A;alert(1))`, "<p>x</p>\n"},
		{"named entity colon", `[x](javascript&colon;alert(1))`, "<p>x</p>\n"},
		{"entity letters", `[x](&#106;avascript:alert(1))`, "<p>x</p>\n"},
		{"escaped colon", `[x](javascript\:alert(1))`, "<p>x</p>\n"},
		{"tab in scheme", "[x](<java\tscript:alert(1)>)", "<p>x</p>\n"},
		{"leading space", `[x]( javascript:alert(1))`, "<p>x</p>\n"},
		{"angle destination", `[x](<javascript:alert(1)>)`, "<p>x</p>\n"},
		{"vbscript", `[x](vbscript:msgbox(1))`, "<p>x</p>\n"},
		{"file", `[x](file:///etc/passwd)`, "<p>x</p>\n"},
		{"data html", `[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`, "<p>x</p>\n"},
		{"data image link", `[x](data:image/png;base64,iVBORw0KGgo=)`, "<p>x</p>\n"},
		{"data image", `![x](data:image/png;base64,iVBORw0KGgo=)`, "<p>x</p>\n"},
		{"unknown scheme", `[x](ms-settings:privacy)`, "<p>x</p>\n"},
		{"autolink javascript", `<javascript:alert(1)>`, "<p>javascript:alert(1)</p>\n"},
		{"autolink data", `<data:text/html,<script>alert(1)</script>>`, ""},
		{"autolink with quote", `<https://example.com/"onmouseover="alert(1)>`, ""},
		{"bare url with quote", `https://example.com/"onmouseover="alert(1)`, ""},
		{"raw anchor", `<a href="javascript:alert(1)">x</a>`, "<p>&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;</p>\n"},
		{"raw anchor block", "<a href=\"https://evil.example/\" target=\"_blank\">\nx\n</a>", ""},
		{"reference link", "[x][r]\n\n[r]: javascript:alert(1)", "<p>x</p>\n"},
		{"shortcut reference", "[r]\n\n[r]: <javascript:alert(1)> \"t\"", "<p>r</p>\n"},
		{"reference image", "![x][r]\n\n[r]: javascript:alert(1)", "<p>x</p>\n"},
		{"html comment", "<!-- hidden -->\n\nx <!-- y -->", "<p>&lt;!-- hidden --&gt;</p>\n<p>x &lt;!-- y --&gt;</p>\n"},
		{"iframe", `<iframe src="https://evil.example/"></iframe>`, ""},
		{"svg", `<svg onload=alert(1)><circle r=1></svg>`, ""},
		{"svg in link text", `[<svg onload=alert(1)>](https://example.com/)`, ""},
		{"style element", `<style>body{display:none}</style>`, ""},
		{"style attribute", `<p style="color:red">x</p>`, ""},
		{"attribute syntax", "# x {#id onclick=alert(1) style=\"color:red\"}", "<h3>x {#id onclick=alert(1) style=&quot;color:red&quot;}</h3>\n"},
		{"title breakout", `[x](https://example.com/ "a\" onmouseover=\"alert(1)")`, ""},
		{"link text markup", `[<b onclick=alert(1)>x</b>](https://example.com/)`, ""},
		{"code info", "```\" onclick=\"alert(1)\n" + "x\n```", ""},
		{"math", `<math><mi xlink:href="javascript:alert(1)">x</mi></math>`, ""},
		{"processing instruction", `<?php echo 1; ?>`, ""},
		{"cdata", `<![CDATA[<script>alert(1)</script>]]>`, ""},
		{"nul", "[x](java\x00script:alert(1))", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := render(t, tc.src)
			if tc.want != "" && out != tc.want {
				t.Errorf("Render(%q)\n got %q\nwant %q", tc.src, out, tc.want)
			}
		})
	}
}

func TestRenderEmpty(t *testing.T) {
	for _, src := range []string{"", "\n\n", "[r]: https://example.com/"} {
		if got := Render(src); got != "" {
			t.Errorf("Render(%q) = %q, want empty", src, got)
		}
	}
}

func TestRenderRawHTMLIsText(t *testing.T) {
	// Quoted payloads stay readable, and Plain keeps them as typed.
	src := "攻撃者は <script src=\"https://evil.example/x.js\"></script> を挿入した。"
	if got, want := render(t, src), "<p>攻撃者は &lt;script src=&quot;https://evil.example/x.js&quot;&gt;&lt;/script&gt; を挿入した。</p>\n"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got := Plain(src); got != src {
		t.Errorf("Plain = %q, want %q", got, src)
	}
}

func TestRenderJapanese(t *testing.T) {
	src := "## 概要\n\n「ＡＢＣ株式会社」の　ＶＰＮ装置（ｶﾀｶﾅ）に脆弱性、ＣＶＥ－２０２４－１２３４。\n" +
		"対策は**至急**適用のこと。～以上～ 🔒"
	want := "<h4>概要</h4>\n<p>「ＡＢＣ株式会社」の　ＶＰＮ装置（ｶﾀｶﾅ）に脆弱性、ＣＶＥ－２０２４－１２３４。" +
		"対策は<strong>至急</strong>適用のこと。～以上～ 🔒</p>\n"
	if got := render(t, src); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// A soft line break between ASCII words stays a space.
	if got, want := render(t, "two\nwords"), "<p>two\nwords</p>\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Invalid UTF-8 does not pass through.
	if got, want := render(t, "a\xff\xfeb"), "<p>a\uFFFDb</p>\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRenderTable(t *testing.T) {
	src := "| 種別 | 値 | 件数 |\n|:--|:-:|--:|\n| IP | `198.51.100.7` | 3 |\n| ドメイン | evil.example | |\n"
	want := "<table>\n<thead>\n<tr>\n<th align=\"left\">種別</th>\n<th align=\"center\">値</th>\n<th align=\"right\">件数</th>\n</tr>\n</thead>\n" +
		"<tbody>\n<tr>\n<td align=\"left\">IP</td>\n<td align=\"center\"><code>198.51.100.7</code></td>\n<td align=\"right\">3</td>\n</tr>\n" +
		"<tr>\n<td align=\"left\">ドメイン</td>\n<td align=\"center\">evil.example</td>\n<td align=\"right\"></td>\n</tr>\n</tbody>\n</table>\n"
	if got := render(t, src); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestRenderGFM(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"~~取り下げ~~", "<p><del>取り下げ</del></p>\n"},
		{"- [x] 遮断\n- [ ] 報告", "<ul>\n<li><input checked=\"\" disabled=\"\" type=\"checkbox\"> 遮断</li>\n<li><input disabled=\"\" type=\"checkbox\"> 報告</li>\n</ul>\n"},
		{"see www.example.com.", "<p>see <a href=\"http://www.example.com\" rel=\"noopener noreferrer nofollow\">www.example.com</a>.</p>\n"},
		{"https://example.com/a?b=1&c=2", "<p><a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer nofollow\">https://example.com/a?b=1&amp;c=2</a></p>\n"},
		{"csirt@example.jp", "<p><a href=\"mailto:csirt@example.jp\" rel=\"noopener noreferrer nofollow\">csirt@example.jp</a></p>\n"},
		{"ftp://example.com/x", "<p>ftp://example.com/x</p>\n"},
		{"1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>\n"},
		{"3. a", "<ol start=\"3\">\n<li>a</li>\n</ol>\n"},
		{"> 引用", "<blockquote>\n<p>引用</p>\n</blockquote>\n"},
		{"a  \nb", "<p>a<br>\nb</p>\n"},
		{"***", "<hr>\n"},
	} {
		if got := render(t, tc.src); got != tc.want {
			t.Errorf("Render(%q)\n got %q\nwant %q", tc.src, got, tc.want)
		}
	}
}

func TestRenderCodeEscaped(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"```html\n<script>alert(\"x\")</script>\n&amp;\n```", "<pre><code class=\"language-html\">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\n&amp;amp;\n</code></pre>\n"},
		{"    <b>indented</b>", "<pre><code>&lt;b&gt;indented&lt;/b&gt;\n</code></pre>\n"},
		{"`<img src=x onerror=alert(1)>`", "<p><code>&lt;img src=x onerror=alert(1)&gt;</code></p>\n"},
		{"```\" onclick=\"x\nc\n```", "<pre><code class=\"language-&quot;\">c\n</code></pre>\n"},
	} {
		if got := render(t, tc.src); got != tc.want {
			t.Errorf("Render(%q)\n got %q\nwant %q", tc.src, got, tc.want)
		}
	}
}

func TestRenderHeadings(t *testing.T) {
	src := "# 1\n## 2\n### 3\n#### 4\n##### 5\n###### 6\nSetext 1\n===\nSetext 2\n---\n# With {#custom-id}"
	want := "<h3>1</h3>\n<h4>2</h4>\n<h5>3</h5>\n<h6>4</h6>\n<h6>5</h6>\n<h6>6</h6>\n<h3>Setext 1</h3>\n<h4>Setext 2</h4>\n<h3>With {#custom-id}</h3>\n"
	got := render(t, src)
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if strings.Contains(got, "id=") {
		t.Errorf("heading with id: %q", got)
	}
}

func TestRenderLinks(t *testing.T) {
	const rel = ` rel="noopener noreferrer nofollow"`
	for _, tc := range []struct{ src, want string }{
		{"[a](https://example.com/)", `<p><a href="https://example.com/"` + rel + `>a</a></p>` + "\n"},
		{"[a](HTTP://example.com/)", `<p><a href="HTTP://example.com/"` + rel + `>a</a></p>` + "\n"},
		{"[a](http://example.com/ \"題名\")", `<p><a href="http://example.com/"` + rel + ` title="題名">a</a></p>` + "\n"},
		{"[a](mailto:csirt@example.jp)", `<p><a href="mailto:csirt@example.jp"` + rel + `>a</a></p>` + "\n"},
		{"[a](/topics/12#c3)", `<p><a href="/topics/12#c3"` + rel + `>a</a></p>` + "\n"},
		{"[a](../x?y=1)", `<p><a href="../x?y=1"` + rel + `>a</a></p>` + "\n"},
		{"[a](#frag)", `<p><a href="#frag"` + rel + `>a</a></p>` + "\n"},
		{"[a](https://例え.jp/パス)", `<p><a href="https://%E4%BE%8B%E3%81%88.jp/%E3%83%91%E3%82%B9"` + rel + `>a</a></p>` + "\n"},
		{"[a](https://example.com/\"x)", `<p><a href="https://example.com/%22x"` + rel + `>a</a></p>` + "\n"},
		{"[a][r]\n\n[r]: https://example.com/ref", `<p><a href="https://example.com/ref"` + rel + `>a</a></p>` + "\n"},
		{"<https://example.com/>", `<p><a href="https://example.com/"` + rel + `>https://example.com/</a></p>` + "\n"},
		{"[a]()", "<p>a</p>\n"},
		{"[a](tel:0312345678)", "<p>a</p>\n"},
		{"[**太字**](javascript:x)", "<p><strong>太字</strong></p>\n"},
	} {
		got := render(t, tc.src)
		if got != tc.want {
			t.Errorf("Render(%q)\n got %q\nwant %q", tc.src, got, tc.want)
		}
		if strings.Contains(got, "target=") {
			t.Errorf("Render(%q) has a target: %q", tc.src, got)
		}
	}
}

func TestRenderImagesAsLinks(t *testing.T) {
	const rel = ` rel="noopener noreferrer nofollow"`
	for _, tc := range []struct{ src, want string }{
		{"![スクリーンショット](https://tracker.example/p.png)", `<p><a href="https://tracker.example/p.png"` + rel + `>スクリーンショット</a></p>` + "\n"},
		{"![](https://tracker.example/p.png)", `<p><a href="https://tracker.example/p.png"` + rel + `>https://tracker.example/p.png</a></p>` + "\n"},
		{"![*a* `b`](/x.png \"t\")", `<p><a href="/x.png"` + rel + ` title="t">a b</a></p>` + "\n"},
		{"![a][r]\n\n[r]: https://example.com/i.gif", `<p><a href="https://example.com/i.gif"` + rel + `>a</a></p>` + "\n"},
		{"[![a](https://example.com/i.gif)](https://example.com/page)", `<p><a href="https://example.com/page"` + rel + `>a</a></p>` + "\n"},
		{"![a](javascript:alert(1))", "<p>a</p>\n"},
		{"![<img src=x>](https://example.com/i.gif)", `<p><a href="https://example.com/i.gif"` + rel + `>&lt;img src=x&gt;</a></p>` + "\n"},
	} {
		if got := render(t, tc.src); got != tc.want {
			t.Errorf("Render(%q)\n got %q\nwant %q", tc.src, got, tc.want)
		}
	}
}

func TestPlain(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"", ""},
		{"  \n\n ", ""},
		{"# 見出し\n\n本文の\n続き。\n\nSecond   para\nline two.", "見出し\n\n本文の続き。\n\nSecond para line two."},
		{"**強調** と _斜体_ と ~~取消~~ と `code`", "強調 と 斜体 と 取消 と code"},
		{"[リンク](https://example.com/) ![画像](https://example.com/i.png) <https://example.com/x>", "リンク 画像 https://example.com/x"},
		{"- 一\n- 二\n  - 三\n\n後", "一\n二\n三\n\n後"},
		{"- [x] 済\n- [ ] 未", "済\n未"},
		{"| a | b |\n|---|---|\n| 1 | 2 |", "a b\n1 2"},
		{"```\nline 1\n  line 2\n```", "line 1 line 2"},
		{"> 引用\n> 続き", "引用続き"},
		{"AT&amp;T &lt;x&gt; &#x41; \\*not\\* &copy;", "AT&T <x> A *not* ©"},
		{"<b>raw</b> & <script>x</script>", "<b>raw</b> & <script>x</script>"},
		{"<div>\nblock\n</div>", "<div> block </div>"},
		{"全角　スペース\t保持", "全角　スペース 保持"},
		{"**強調**\\ した", "強調した"},
		{"a\x00b", "a\uFFFDb"},
		{"[x][r]\n\n[r]: https://example.com/", "x"},
	} {
		if got := Plain(tc.src); got != tc.want {
			t.Errorf("Plain(%q)\n got %q\nwant %q", tc.src, got, tc.want)
		}
	}
}

// TestGuards checks the bounds of guard.go: hostile structure is cut off,
// while long documents of ordinary Markdown are rendered whole.
func TestGuards(t *testing.T) {
	t.Run("nesting", func(t *testing.T) {
		out := render(t, strings.Repeat(">", 1000)+" x")
		if n := strings.Count(out, "<blockquote>"); n != maxNesting {
			t.Errorf("%d blockquotes, want %d", n, maxNesting)
		}
		out = render(t, strings.Repeat("- ", 1000)+"x")
		if n := strings.Count(out, "<ul>"); n != maxNesting {
			t.Errorf("%d lists, want %d", n, maxNesting)
		}
		var b strings.Builder
		for i := range maxNesting {
			fmt.Fprintf(&b, "%s- level %d\n", strings.Repeat("  ", i), i)
		}
		if n := strings.Count(render(t, b.String()), "<ul>"); n != maxNesting {
			t.Errorf("%d lists, want %d", n, maxNesting)
		}
	})
	t.Run("wide table", func(t *testing.T) {
		src := "|" + strings.Repeat("a|", 1000) + "\n|" + strings.Repeat("-|", 1000) + "\n" + strings.Repeat("|x\n", 100)
		if out := render(t, src); strings.Contains(out, "<table>") {
			t.Errorf("table of %d cells rendered", 1000*101)
		}
	})
	t.Run("long table", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("| IP | 初見 | 備考 |\n|---|---|---|\n")
		for i := range 3000 {
			fmt.Fprintf(&b, "| 198.51.%d.%d | 2024-05-%02d | **C2** [詳細](https://example.com/%d) |\n", i/256, i%256, i%28+1, i)
		}
		out := render(t, b.String())
		if got := strings.Count(out, "<tr>"); got != 3001 {
			t.Errorf("%d rows, want 3001", got)
		}
		if got := strings.Count(out, "<a href="); got != 3000 {
			t.Errorf("%d links, want 3000", got)
		}
	})
	t.Run("ordinary long document", func(t *testing.T) {
		// A paragraph of 2,000 lines with a link on each, and 1,000
		// paragraphs of 5 lines with links, references and emphasis:
		// all of it is rendered.
		out := render(t, ordinaryLong())
		for _, c := range []struct {
			tag  string
			want int
		}{{"<a href=", 2000 + 1000*6}, {"<em>", 2000}, {"<strong>", 1000}, {"<del>", 1000}, {"<code>", 1000}} {
			if got := strings.Count(out, c.tag); got != c.want {
				t.Errorf("%d %s, want %d", got, c.tag, c.want)
			}
		}
	})
	t.Run("budget of ordinary documents", func(t *testing.T) {
		for _, src := range []string{typical(bodyLimit), ordinaryLong()} {
			pc := parser.NewContext()
			md.Parser().Parse(text.NewReader([]byte(src)), parser.WithContext(pc))
			if spent := workBudget - budgetOf(pc).left; spent > workBudget/10 {
				t.Errorf("spent %d of %d", spent, workBudget)
			}
		}
	})
	t.Run("reference blow-up", func(t *testing.T) {
		src := "[x]: https://example.com/" + strings.Repeat("a", 50000) + "\n\n" + strings.Repeat("[x] ", 10000)
		out := render(t, src)
		if len(out) > 2*len(src)+2*maxLinkBytes {
			t.Errorf("output of %d bytes for %d bytes of input", len(out), len(src))
		}
		if !strings.Contains(out, "<a href=") {
			t.Errorf("no link rendered")
		}
	})
}

// ordinaryLong returns a paragraph of 2,000 lines with a link on each, and
// 1,000 paragraphs of 5 lines with links, references and emphasis.
func ordinaryLong() string {
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, "[IOC %d](https://example.com/%d) を確認\n", i, i)
	}
	for i := range 1000 {
		fmt.Fprintf(&b, "\n*%d* [報告](https://example.com/%d) と\n[参考][r]、**重要** ~~旧~~\n_a_ [b] [c][r]\n`d` <https://e.example/>\nwww.f.example\n", i, i)
	}
	b.WriteString("\n[r]: https://example.com/ref\n[b]: /b\n")
	return b.String()
}

func TestConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				src := fmt.Sprintf("# %d\n\n*a* [b](https://example.com/%d) %s", i, j, strings.Repeat("[c](d) ", j))
				if err := checkHTML(string(Render(src))); err != nil {
					t.Error(err)
				}
				_ = Plain(src)
			}
		})
	}
	wg.Wait()
}

// fuzzSeeds are inputs for FuzzRender besides the tests' vectors.
var fuzzSeeds = []string{
	"[x](javascript:alert(1))", "<img src=x onerror=alert(1)>", "![a](data:image/png;base64,AA)",
	"| a |\n|:-:|\n| <b> |", "> - [ ] *a **b** ~~c~~ `d` <e@f.g> www.h.i", "[a]: <j> 'k'\n\n[a] [a][] ![a]",
	"```\n<script>\n```", "<div onclick=x>\n*a*\n</div>", "\\<script>", "&lt;script&gt;", "[a](<b c>)",
	"[![a](b)](c)", "a~~~b ~~c~~ ~d~ ~~~~", strings.Repeat("[", 50) + strings.Repeat("](x)", 50), strings.Repeat("> ", 40) + "a",
}

func FuzzRender(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	for _, s := range []string{
		`<script>alert(1)</script>`, `[x](JaVaScRiPt:alert(1))`, `[x](javascript&#58;alert(1))`,
		"[x][r]\n\n[r]: javascript:alert(1)", `<!-- c -->`, `<iframe src=x>`, `<svg onload=alert(1)>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := string(Render(src))
		if err := checkHTML(out); err != nil {
			t.Fatalf("Render(%q) = %q: %v", src, out, err)
		}
		_ = Plain(src)
	})
}
