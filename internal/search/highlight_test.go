package search

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHighlight(t *testing.T) {
	tests := []struct {
		text, q string
		max     int
		want    string
	}{
		{"", "攻撃", 0, ""},
		{"大規模なDDoS攻撃が発生", "", 0, "大規模なDDoS攻撃が発生"},
		{"大規模なDDoS攻撃が発生", "ddos攻撃", 0, "大規模な[DDoS攻撃]が発生"},
		{"大規模なDDoS攻撃が発生", "攻撃 ddos", 0, "大規模な[DDoS攻撃]が発生"},
		{"大規模なDDoS 攻撃が発生", "ddos攻撃", 0, "大規模な[DDoS 攻撃]が発生"},
		{"攻撃と攻撃情報", "攻撃", 0, "[攻撃]と[攻撃]情報"},
		{"専攻と攻撃", "攻", 0, "専[攻]と[攻]撃"},
		// Normalization: full width, half width, hiragana, case.
		{"ＤＤｏＳ攻撃", "ddos", 0, "[ＤＤｏＳ]攻撃"},
		{"ﾌｨｯｼﾝｸﾞ詐欺とフィッシング", "ふぃっしんぐ", 0, "[ﾌｨｯｼﾝｸﾞ]詐欺と[フィッシング]"},
		{"㍻3年", "平成", 0, "[㍻]3年"},
		{"1㌐と2ギガ", "ぎが", 0, "1[㌐]と2[ギガ]"},
		{"1㌐", "が", 0, "1[㌐]"},
		{"葛\U000E0100飾区", "葛飾", 0, "[葛\U000E0100飾]区"},
		{"cafe\u0301 au lait", "café", 0, "[cafe\u0301] au lait"},
		// Punctuation inside a term matches any separators.
		{"CVE 2026 12345 と CVE-2026-12345", "cve-2026-12345", 0, "[CVE 2026 12345] と [CVE-2026-12345]"},
		{"攻撃🔥情報", `"攻撃 情報"`, 0, "[攻撃🔥情報]"},
		// Words: at a word start; prefixes for words, whole numbers and letters.
		{"string ring rings", "ring", 0, "string [ring] [ring]s"},
		{"DDoS ddos-attack xddos", "ddo", 0, "[DDo]S [ddo]s-attack xddos"},
		{"192.168.1.10 と 192.168.1.1。", "192.168.1.1", 0, "192.168.1.10 と [192.168.1.1]。"},
		{"a b abc", "a", 0, "[a] b abc"},
		{`phishing mails and phishing mail.`, `"phishing mail"`, 0, "phishing mails and [phishing mail]."},
		// Windows.
		{"短い文", "文", 10, "短い[文]"},
		{"0123456789abcdefghij攻撃klmnopqrstuvwxyz", "攻撃", 12, "…hij[攻撃]klmnopq…"},
		{"0123456789", "", 4, "0123…"},
		{"0 1 2 3 4 5 6 7 8 9", "9", 4, "…8 [9]"},
		{"abcdefghij", "abcdefgh", 4, "[abcd]…"},
		{"これは長い前置きです。大規模なDDoS攻撃が発生しました。その後の経過", "攻撃", 16,
			"…DDoS[攻撃]が発生しました。その…"},
		// The window leaves a quarter before the match and does not cut words.
		{"The quick brown fox jumps over the lazy dog and then the DDoS attack started yesterday, leaving many servers offline for hours",
			"ddos", 40, "…then the [DDoS] attack started yesterday,…"},
		{"The quick brown fox jumps over the lazy dog; then the DDoS attack started yesterday, leaving many servers offline for hours",
			"ddos", 80, "…lazy dog; then the [DDoS] attack started yesterday, leaving many servers offline…"},
	}
	for _, tt := range tests {
		q, err := Parse(tt.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := render(Highlight(tt.text, q, tt.max)); got != tt.want {
			t.Errorf("Highlight(%q, %q, %d) = %q, want %q", tt.text, tt.q, tt.max, got, tt.want)
		}
	}
}

// Highlight's segments are a window of the text, at most max runes, in order, with no
// empty segments and no two neighbours alike.
func TestHighlightShape(t *testing.T) {
	texts := append(append([]string{benchText[:3000], benchTextEN[:3000]}, sampleTexts...), nastyQueries()...)
	queries := append([]string{"攻撃", "ddos 脆弱性", "cve-2026", "a", "ー", "🔥"}, nastyQueries()[:60]...)
	for _, text := range texts {
		for _, qs := range queries {
			q, err := Parse(qs)
			if err != nil {
				continue
			}
			for _, max := range []int{0, 1, 5, 40, 160} {
				checkHighlight(t, text, q, max)
			}
		}
	}
}

func checkHighlight(t *testing.T, text string, q Query, max int) {
	t.Helper()
	segs, cutStart, cutEnd := Highlight(text, q, max)
	valid := strings.ToValidUTF8(text, "\uFFFD")
	var b strings.Builder
	for i, s := range segs {
		if s.Text == "" || (i > 0 && segs[i-1].Mark == s.Mark) {
			t.Fatalf("Highlight(%q, %q, %d): bad segments %+v", text, q.FTS5(), max, segs)
		}
		b.WriteString(s.Text)
	}
	got := b.String()
	n := utf8.RuneCountInString(valid)
	switch {
	case max <= 0 || n <= max:
		if got != valid || cutStart || cutEnd {
			t.Fatalf("Highlight(%q, %q, %d) = %q %v %v, want the whole text", text, q.FTS5(), max, got, cutStart, cutEnd)
		}
	default:
		i := strings.Index(valid, got)
		if got == "" || i < 0 || utf8.RuneCountInString(got) > max {
			t.Fatalf("Highlight(%q, %q, %d) = %q: not a window of at most %d runes", text, q.FTS5(), max, got, max)
		}
		if (!cutStart && !strings.HasPrefix(valid, got)) || (!cutEnd && !strings.HasSuffix(valid, got)) || (cutStart && cutEnd && got == valid) {
			t.Fatalf("Highlight(%q, %q, %d) = %q: cut flags %v %v", text, q.FTS5(), max, got, cutStart, cutEnd)
		}
	}
}
