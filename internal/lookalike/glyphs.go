package lookalike

import (
	"sort"
	"sync"
	"unicode"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/bidi"
	"golang.org/x/text/unicode/norm"
)

// The tables below come from three kinds of fact: keyboard layouts (which keys touch), the
// Unicode confusables data (UTS #39: which characters are drawn alike) and the Unicode
// decompositions (a letter with one small mark looks like the bare letter). Where a pair
// is our own judgement of what a reader mistakes (ソ/ン, シ/ツ, 未/末), it is marked so.

// keyboardRows are the letter and digit keys of three layouts, top row first. A key's
// neighbours are computed from where it sits (see neighbours), not listed by hand.
var keyboardRows = [][4]string{
	{"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"}, // QWERTY
	{"1234567890", "qwertzuiop", "asdfghjkl", "yxcvbnm"}, // QWERTZ (German)
	{"1234567890", "azertyuiop", "qsdfghjklm", "wxcvbn"}, // AZERTY (French)
}

// rowOffset is how far each row is shifted right, in key widths, on a staggered keyboard.
var rowOffset = [4]float64{0, 0.5, 0.75, 1.25}

// latinLookalikes are letters and digits that pass for an ASCII one, beyond the letters
// with one diacritic (derived in buildGlyphs): other ASCII characters or pairs of them
// ("rn" for m), small capitals, letters with a hook, stroke or bar, and the IPA and
// historic letters of the same shape.
var latinLookalikes = map[rune][]string{
	'0': {"o"},
	'1': {"l", "i"},
	'2': {"ƻ", "z"},
	'3': {"8"},
	'5': {"ƽ", "s"},
	'6': {"9", "b"},
	'8': {"3"},
	'9': {"6", "g", "q"},
	'a': {"ɑ", "ə", "ɐ"},
	'b': {"d", "lb", "ʙ", "ɓ", "ƅ", "ƀ", "6"},
	'c': {"e", "ƈ", "ᴄ", "ȼ", "ɕ"},
	'd': {"b", "cl", "dl", "ɗ", "đ", "ɖ", "ᶑ"},
	'e': {"c", "ɇ", "ɛ", "ǝ"},
	'f': {"ƒ", "ꞙ"},
	'g': {"q", "9", "ɢ", "ɡ", "ǥ", "ɠ"},
	'h': {"lh", "ħ", "ɦ", "ⱨ", "ɧ"},
	'i': {"1", "l", "ı", "ɩ", "ɨ", "ɪ"},
	'j': {"ʝ", "ɉ", "ȷ"},
	'k': {"lk", "ik", "lc", "ⱪ", "ᴋ", "ƙ", "ĸ"},
	'l': {"1", "i", "ɫ", "ł", "ƚ", "ɭ", "ŀ"},
	'm': {"n", "nn", "rn", "rr", "ɱ", "ᴍ"},
	'n': {"m", "r", "ꞑ", "ɲ", "ƞ", "ŋ", "ɳ"},
	'o': {"0", "ᴏ", "ø", "ɵ"},
	'p': {"ƿ", "ƥ", "ᵽ", "ρ"},
	'q': {"g", "9", "ʠ", "ɋ"},
	'r': {"ʀ", "ɼ", "ɽ", "ɍ", "ɾ", "ɿ"},
	's': {"5", "ʂ", "ꜱ", "ȿ"},
	't': {"ŧ", "ƫ", "ƭ", "ʈ"},
	'u': {"ᴜ", "ʉ"},
	'v': {"ⱱ", "ᶌ", "ⱴ", "ᴠ", "ʋ"},
	'w': {"vv", "ⱳ", "ᴡ"},
	'x': {"ẋ", "ẍ"},
	'y': {"ʏ", "ƴ", "ɏ", "ỿ"},
	'z': {"2", "ʐ", "ᴢ", "ƶ", "ⱬ", "ȥ"},
}

// smallMarks are the combining marks drawn small enough above or below a letter to be
// missed at a glance (acute, grave, dots, rings, hooks, cedilla and the like).
var smallMarks = map[rune]bool{
	0x0300: true, 0x0301: true, 0x0302: true, 0x0303: true, 0x0304: true, 0x0306: true,
	0x0307: true, 0x0308: true, 0x0309: true, 0x030A: true, 0x030B: true, 0x030C: true,
	0x030F: true, 0x0311: true, 0x031B: true, 0x0323: true, 0x0324: true, 0x0325: true,
	0x0326: true, 0x0327: true, 0x0328: true, 0x032D: true, 0x032E: true, 0x0330: true,
	0x0331: true,
}

// cyrillicTwins are the Cyrillic letters drawn like a Latin one (UTS #39 confusables;
// г for r and п for n are close in most sans-serif faces).
var cyrillicTwins = map[rune]rune{
	'a': 'а', 'b': 'ь', 'c': 'с', 'd': 'ԁ', 'e': 'е', 'g': 'ԍ', 'h': 'һ', 'i': 'і',
	'j': 'ј', 'k': 'к', 'l': 'ӏ', 'm': 'м', 'n': 'п', 'o': 'о', 'p': 'р', 'q': 'ԛ',
	'r': 'г', 's': 'ѕ', 't': 'т', 'v': 'ѵ', 'w': 'ԝ', 'x': 'х', 'y': 'у',
}

// jaForASCII are Japanese characters that pass for an ASCII one in a Japanese font and
// that UTS #46 does not fold back to ASCII (unlike the full-width forms ｏ, ｌ, －): the
// ideographic zero (UTS #39 lists 〇 with O), a vertical stroke for l and 1, and the
// prolonged sound mark and the kanji for one, drawn as a dash.
var jaForASCII = map[rune][]string{
	'o': {"〇"},
	'0': {"〇"},
	'l': {"丨"},
	'1': {"丨"},
	'-': {"ー", "一"},
}

// jaConfusableGroups are kana and kanji drawn (nearly) alike. The first groups are pairs
// in the UTS #39 confusables data; the rest (marked) are our reading of Japanese type.
var jaConfusableGroups = [][]rune{
	{'ロ', '口'}, {'エ', '工'}, {'カ', '力'}, {'ニ', '二'}, {'ー', '一'}, {'ヘ', 'へ'},
	{'ト', '卜'}, {'タ', '夕'}, {'ハ', '八'}, {'土', '士'}, {'口', '囗'},
	// our judgement from here on
	{'オ', '才'}, {'チ', '千'}, {'ヒ', '匕'}, {'ム', '厶'}, {'メ', '乂'}, {'ヌ', '又'},
	{'ヨ', '彐'}, {'ソ', 'ン'}, {'シ', 'ツ'}, {'ベ', 'べ'}, {'ペ', 'ぺ'}, {'リ', 'り'},
	{'キ', 'き'}, {'セ', 'せ'}, {'モ', 'も'}, {'ヤ', 'や'}, {'カ', 'か'}, {'干', '千'},
	{'未', '末'}, {'己', '已', '巳'}, {'日', '曰'}, {'人', '入'}, {'大', '犬', '太'},
	{'王', '玉'}, {'田', '由', '甲', '申'}, {'本', '木'}, {'天', '夫'}, {'休', '体'},
	{'待', '持'}, {'鳥', '烏'}, {'刀', '力'}, {'ぬ', 'め'}, {'わ', 'ね', 'れ'},
	{'は', 'ほ'}, {'る', 'ろ'}, {'さ', 'ち'}, {'い', 'り'}, {'ク', 'ケ'}, {'ワ', 'ウ'},
	{'コ', 'ユ'}, {'ス', 'ヌ'}, {'マ', 'ム'}, {'テ', 'チ'}, {'ヲ', 'ヨ'},
}

// kanaSizes are the small kana and their full-size forms (ッ is easily read as ツ).
var kanaSizes = [][2]rune{
	{'ぁ', 'あ'}, {'ぃ', 'い'}, {'ぅ', 'う'}, {'ぇ', 'え'}, {'ぉ', 'お'}, {'っ', 'つ'},
	{'ゃ', 'や'}, {'ゅ', 'ゆ'}, {'ょ', 'よ'}, {'ゎ', 'わ'}, {'ゕ', 'か'}, {'ゖ', 'け'},
	{'ァ', 'ア'}, {'ィ', 'イ'}, {'ゥ', 'ウ'}, {'ェ', 'エ'}, {'ォ', 'オ'}, {'ッ', 'ツ'},
	{'ャ', 'ヤ'}, {'ュ', 'ユ'}, {'ョ', 'ヨ'}, {'ヮ', 'ワ'}, {'ヵ', 'カ'}, {'ヶ', 'ケ'},
}

// glyphTables holds the tables in the form the families use; built once, on first use.
type glyphTables struct {
	neighbours map[rune][]rune // keys next to a key, on any of the layouts
	latin      glyphs          // homoglyphs of ASCII letters and digits
	jaASCII    glyphs          // Japanese look-alikes of ASCII characters
	jaConfuse  glyphs          // kana and kanji drawn alike
	jaKana     glyphs          // small and full-size kana, and the voiced-mark variants
	stable     map[rune]bool   // runes the fast path may encode without full IDNA checks
}

// glyphs maps a character to what may stand in its place (one or more characters each).
type glyphs map[rune][][]rune

func fromStrings(m map[rune][]string) glyphs {
	out := glyphs{}
	for r, gs := range m {
		for _, g := range gs {
			out[r] = append(out[r], []rune(g))
		}
	}
	return out
}

func fromRunes(m map[rune][]rune) glyphs {
	out := glyphs{}
	for r, gs := range m {
		for _, g := range gs {
			out[r] = append(out[r], []rune{g})
		}
	}
	return out
}

var tables = sync.OnceValue(buildTables)

func buildTables() *glyphTables {
	t := &glyphTables{
		neighbours: neighbours(),
		latin:      fromStrings(buildGlyphs()),
		jaASCII:    fromStrings(jaForASCII),
		jaConfuse:  fromRunes(groupMap(jaConfusableGroups)),
		jaKana:     fromRunes(kanaMap()),
		stable:     map[rune]bool{},
	}
	note := func(rs []rune) {
		for _, r := range rs {
			if r >= 0x80 {
				t.stable[r] = stableRune(r)
			}
		}
	}
	for _, tab := range []glyphs{t.latin, t.jaASCII, t.jaConfuse, t.jaKana} {
		for r, gs := range tab {
			note([]rune{r})
			for _, g := range gs {
				note(g)
			}
		}
	}
	for _, r := range cyrillicTwins {
		note([]rune{r})
	}
	return t
}

// neighbours maps each key to the keys that touch it on any layout: the keys beside it and
// those in the rows above and below whose centres are at most one key width away.
func neighbours() map[rune][]rune {
	out := map[rune][]rune{}
	for _, rows := range keyboardRows {
		for ri, row := range rows {
			for ki, k := range row {
				x := float64(ki) + rowOffset[ri]
				for rj := max(ri-1, 0); rj <= min(ri+1, len(rows)-1); rj++ {
					for kj, n := range rows[rj] {
						d := float64(kj) + rowOffset[rj] - x
						if n != k && d >= -1 && d <= 1 && !containsRune(out[k], n) {
							out[k] = append(out[k], n)
						}
					}
				}
			}
		}
	}
	return out
}

// buildGlyphs joins latinLookalikes with every lower-case Latin letter that decomposes to
// an ASCII letter plus one small mark (é, ȧ, ḍ, ư …), keeping only those valid in an IDN.
func buildGlyphs() map[rune][]string {
	out := map[rune][]string{}
	add := func(base rune, g string) {
		for _, have := range out[base] {
			if have == g {
				return
			}
		}
		out[base] = append(out[base], g)
	}
	for base, gs := range latinLookalikes {
		for _, g := range gs {
			if validGlyph(g) {
				add(base, g)
			}
		}
	}
	var derived []rune
	for _, block := range [][2]rune{{0x00C0, 0x024F}, {0x1E00, 0x1EFF}} {
		for r := block[0]; r <= block[1]; r++ {
			if !unicode.IsLower(r) {
				continue
			}
			d := []rune(norm.NFD.String(string(r)))
			if len(d) == 2 && d[0] >= 'a' && d[0] <= 'z' && smallMarks[d[1]] && stableRune(r) {
				derived = append(derived, r)
			}
		}
	}
	sort.Slice(derived, func(i, j int) bool { return derived[i] < derived[j] })
	for _, r := range derived {
		add([]rune(norm.NFD.String(string(r)))[0], string(r))
	}
	return out
}

// validGlyph reports whether a look-alike can stand in a domain label as it is: ASCII
// letters and digits, or runes that IDNA keeps unchanged.
func validGlyph(g string) bool {
	for _, r := range g {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case r < 0x80:
			return false
		case !stableRune(r):
			return false
		}
	}
	return true
}

// stableRune reports whether r is valid in an IDN label under UTS #46 lookup and is its
// own mapping, and whether a label of ASCII letters, digits and such runes is valid without
// further checks: a letter or number (no combining mark), written left to right, outside
// the conjoining Hangul jamo (which NFC would compose) and without a CONTEXTO rule.
func stableRune(r rune) bool {
	if !(unicode.IsLetter(r) || unicode.IsNumber(r)) || r == '・' || r == '·' {
		return false
	}
	if p, _ := bidi.LookupRune(r); p.Class() != bidi.L {
		return false
	}
	if r >= 0x1100 && r <= 0x11FF || r >= 0xA960 && r <= 0xA97F || r >= 0xD7B0 && r <= 0xD7FF {
		return false
	}
	u, err := idna.Lookup.ToUnicode(string(r))
	return err == nil && u == string(r)
}

func groupMap(groups [][]rune) map[rune][]rune {
	out := map[rune][]rune{}
	for _, g := range groups {
		for _, r := range g {
			for _, o := range g {
				if o != r && !containsRune(out[r], o) {
					out[r] = append(out[r], o)
				}
			}
		}
	}
	return out
}

// kanaMap relates small and full-size kana, and the kana that differ only by the voiced
// or semi-voiced sound mark (は ば ぱ, ウ ヴ), found from their decompositions.
func kanaMap() map[rune][]rune {
	groups := map[rune][]rune{}
	for r := rune(0x3041); r <= 0x30FA; r++ {
		d := []rune(norm.NFD.String(string(r)))
		if len(d) == 2 && (d[1] == 0x3099 || d[1] == 0x309A) {
			if len(groups[d[0]]) == 0 {
				groups[d[0]] = []rune{d[0]}
			}
			groups[d[0]] = append(groups[d[0]], r)
		}
	}
	var all [][]rune
	for r := rune(0x3041); r <= 0x30FA; r++ {
		if g := groups[r]; g != nil {
			all = append(all, g)
		}
	}
	for _, p := range kanaSizes {
		all = append(all, p[:])
	}
	return groupMap(all)
}

func containsRune(rs []rune, r rune) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
