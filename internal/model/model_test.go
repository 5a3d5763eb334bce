package model_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
)

func wantKey(t *testing.T, what string, err error, key string) {
	t.Helper()
	if fe := fault.As(err); fe.Kind != fault.Invalid || fe.Key != key {
		t.Errorf("%s: got %v, want %s (%s)", what, err, fault.Invalid, key)
	}
}

func TestNormalizeEmailTrimsAndLowercasesTheDomainOnly(t *testing.T) {
	for in, want := range map[string]string{
		"m.suzuki@toto.example":            "m.suzuki@toto.example",
		"  M.Suzuki@TOTO.Example\t":        "M.Suzuki@toto.example",
		"soc+alerts@Sub.Domain.EXAMPLE":    "soc+alerts@sub.domain.example",
		"o'brien@example.co.jp":            "o'brien@example.co.jp",
		"first.last@xn--wgv71a.example":    "first.last@xn--wgv71a.example",
		"UPPER@LOWER.EXAMPLE":              "UPPER@lower.example",
		"a@b.c":                            "a@b.c",
		strings.Repeat("a", 240) + "@x.jp": strings.Repeat("a", 240) + "@x.jp",
	} {
		got, err := model.NormalizeEmail(in)
		if err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestNormalizeEmailRejectsWhatIsNotABareAddress(t *testing.T) {
	wantKey(t, "empty", errOf(model.NormalizeEmail("")), "invalid.required")
	wantKey(t, "blank", errOf(model.NormalizeEmail("  \t ")), "invalid.required")
	long := strings.Repeat("a", 250) + "@x.jp" // 255 characters
	_, err := model.NormalizeEmail(long)
	wantKey(t, "too long", err, "invalid.too_long")
	if fault.As(err).Args["max"] != model.MaxEmailLen {
		t.Errorf("too long: args %v", fault.As(err).Args)
	}
	for _, in := range []string{
		"no-at-sign",
		"Suzuki <s@toto.example>", // a display name is not an address
		"<s@toto.example>",
		"s@localhost", // no dot in the domain
		"s@toto.example.",
		"s@.toto.example",
		"s@@toto.example",
		"two words@toto.example",
		"a@b@toto.example",
		"s@toto.example, t@toto.example",
		"s@toto.example\r\nBcc: x@evil.example",
		"s\x00@toto.example",
	} {
		_, err := model.NormalizeEmail(in)
		if fe := fault.As(err); fe.Kind != fault.Invalid || (fe.Key != "invalid.email" && fe.Key != "invalid.required") {
			t.Errorf("NormalizeEmail(%q) accepted or wrong error: %v", in, err)
		}
	}
}

func TestEmailKeyIsTheWholeAddressLowercased(t *testing.T) {
	if got := model.EmailKey("  M.Suzuki@TOTO.example \n"); got != "m.suzuki@toto.example" {
		t.Fatalf("got %q", got)
	}
	// A control character cannot match a stored address, nor reach the database as itself.
	for _, in := range []string{"m.suzuki\x00@toto.example", "m.suzuki@toto.example\x00", "m\x1b.suzuki@toto.example", "m.suzuki@toto.ex\xffample"} {
		got := model.EmailKey(in)
		if got == "m.suzuki@toto.example" || strings.ContainsAny(got, "\x00\x1b") || !utf8.ValidString(got) {
			t.Errorf("EmailKey(%q) = %q", in, got)
		}
	}
}

func TestNameKeyTreatsWidthCaseAndSpacingAsTheSameName(t *testing.T) {
	groups := [][]string{
		{"ABC電力", "ＡＢＣ電力", "abc電力", "  Abc電力 "},
		{"東都 電力", "東都\u3000電力", "東都   電力", "\t東都 電力\n"},
		{"トウト", "ﾄｳﾄ"},
		{"Toto Electric Co.", "TOTO ELECTRIC CO.", "ｔｏｔｏ　ｅｌｅｃｔｒｉｃ　ｃｏ．"},
		{"第1電力", "第１電力"},
	}
	for _, g := range groups {
		want := model.NameKey(g[0])
		for _, s := range g[1:] {
			if got := model.NameKey(s); got != want {
				t.Errorf("NameKey(%q) = %q; NameKey(%q) = %q", s, got, g[0], want)
			}
		}
	}
	if model.NameKey("東都電力") == model.NameKey("東都電気") {
		t.Error("different names share a key")
	}
	if got := model.NameKey("  ＡＢＣ　 Power "); got != "abc power" {
		t.Errorf("got %q", got)
	}
	// Control characters count as spaces; invalid UTF-8 becomes U+FFFD.
	if got := model.NameKey("東都\x00電力\x1b"); got != "東都 電力" {
		t.Errorf("got %q", got)
	}
	if got := model.NameKey("bad\xffbyte"); got != "bad\uFFFDbyte" {
		t.Errorf("got %q", got)
	}
	// A cleaned name keeps the key of what was typed.
	for _, typed := range []string{"東都\x00電力", " ＡＢＣ\t電力 ", "a\u0085b"} {
		clean, _ := model.CleanText(typed, 100, true)
		if model.NameKey(clean) != model.NameKey(typed) {
			t.Errorf("%q: key of the cleaned name %q differs", typed, clean)
		}
	}
}

func TestCleanTextTrimsCollapsesAndComposes(t *testing.T) {
	for in, want := range map[string]string{
		"  東都電力  ":          "東都電力",
		"Toto \t  Electric": "Toto Electric",
		"line\nbreak":       "line break",
		"e\u0301":           "\u00e9", // NFC
		"\u3000全角空白\u3000":  "全角空白",
		"ＡＢＣ":               "ＡＢＣ", // width is kept: only the key folds it
		"":                  "",
	} {
		got, err := model.CleanText(in, 100, false)
		if err != nil || got != want {
			t.Errorf("CleanText(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestCleanTextRequiredAndLengthInCharacters(t *testing.T) {
	_, err := model.CleanText(" \t\n ", 10, true)
	wantKey(t, "blank required", err, "invalid.required")
	if s, err := model.CleanText(strings.Repeat("電", 10), 10, true); err != nil || s != strings.Repeat("電", 10) {
		t.Errorf("ten kanji in ten characters: %q %v", s, err)
	}
	_, err = model.CleanText(strings.Repeat("電", 11), 10, true)
	wantKey(t, "eleven kanji", err, "invalid.too_long")
	if fault.As(err).Args["max"] != 10 {
		t.Errorf("args %v", fault.As(err).Args)
	}
	// Spaces that are collapsed away do not count.
	if _, err := model.CleanText("  abc       def  ", 7, true); err != nil {
		t.Errorf("collapsed text is 7 characters: %v", err)
	}
}

func TestCleanTextRemovesControlCharactersAndInvalidUTF8(t *testing.T) {
	for in, want := range map[string]string{
		"a\x00b":              "a b",
		"\x1b[31mred\x1b[0m":  "[31mred [0m",
		"bell\x07":            "bell",
		"del\x7fete":          "del ete",
		"c1\u0085\u009bnext":  "c1 next",
		"bad\xffbyte":         "bad\uFFFDbyte",
		"\xe3\x81":            "\uFFFD", // a truncated multi-byte sequence
		"\x00\x01\x02":        "",
		"name\r\nBcc: x@evil": "name Bcc: x@evil",
	} {
		got, err := model.CleanText(in, 100, false)
		if err != nil || got != want {
			t.Errorf("CleanText(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := model.CleanText("\x00\x1b", 100, true); fault.As(err).Key != "invalid.required" {
		t.Errorf("only control characters is empty: %v", err)
	}
}

func TestCleanMultilineKeepsLinesAndDropsControls(t *testing.T) {
	for in, want := range map[string]string{
		"\n  first line\r\n\r\n  indented\tcol\n\n": "first line\n\n  indented\tcol",
		"old mac\rline":          "old mac\nline",
		"nul\x00 and esc\x1b[2J": "nul and esc[2J",
		"bad\xffbyte":            "bad\uFFFDbyte",
		"e\u0301":                "\u00e9",
		" \r\n\t ":               "",
	} {
		got, err := model.CleanMultiline(in, 100)
		if err != nil || got != want {
			t.Errorf("CleanMultiline(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := model.CleanMultiline(strings.Repeat("説明", 5), 10); err != nil {
		t.Errorf("ten characters: %v", err)
	}
	_, err := model.CleanMultiline(strings.Repeat("説明", 5)+"!", 10)
	wantKey(t, "eleven characters", err, "invalid.too_long")
	// A CRLF counts as one character.
	if _, err := model.CleanMultiline("abcd\r\nefgh", 9); err != nil {
		t.Errorf("CRLF counted twice: %v", err)
	}
}

func TestRoleSplitAndUserRoleAreInverse(t *testing.T) {
	want := map[model.Role][2]string{
		model.RoleMember:      {"member", ""},
		model.RoleOrgAdmin:    {"org-admin", ""},
		model.RoleAnalyst:     {"member", "analyst"},
		model.RoleCenterAdmin: {"org-admin", "center-admin"},
	}
	if len(model.Roles) != len(want) {
		t.Fatalf("Roles = %v", model.Roles)
	}
	for _, r := range model.Roles {
		o, c := r.Split()
		if [2]string{string(o), string(c)} != want[r] {
			t.Errorf("%s splits into %q %q", r, o, c)
		}
		if got := (model.User{OrgRole: o, CenterRole: c}).Role(); got != r {
			t.Errorf("%s: User.Role() = %s", r, got)
		}
		if r.IsCenter() != (c != model.CenterNone) {
			t.Errorf("%s: IsCenter %v", r, r.IsCenter())
		}
		if got, err := model.ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%s): %v %v", r, got, err)
		}
	}
	// A center role wins over the organization role.
	if got := (model.User{OrgRole: model.OrgAdmin, CenterRole: model.CenterAnalyst}).Role(); got != model.RoleAnalyst {
		t.Errorf("org-admin analyst is %s", got)
	}
	// An unknown role splits into the least privilege.
	if o, c := model.Role("root").Split(); o != model.OrgMember || c != model.CenterNone {
		t.Errorf("unknown role splits into %s %s", o, c)
	}
	for _, s := range []string{"", "admin", "Center-Admin", " member"} {
		_, err := model.ParseRole(s)
		wantKey(t, "ParseRole("+s+")", err, "invalid.role")
	}
}

func TestParseLang(t *testing.T) {
	for _, s := range []string{"ja", "en"} {
		if l, err := model.ParseLang(s); err != nil || string(l) != s {
			t.Errorf("ParseLang(%s) = %s %v", s, l, err)
		}
	}
	for _, s := range []string{"", "JA", "jp", "en-US", "fr"} {
		_, err := model.ParseLang(s)
		wantKey(t, "ParseLang("+s+")", err, "invalid.lang")
	}
}

func TestTimeZones(t *testing.T) {
	for _, ok := range []string{"Asia/Tokyo", "UTC", "Europe/Paris", "America/New_York"} {
		if err := model.ValidTimeZone(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Local", "JST", "Asia/Osaka", "Mars/Olympus_Mons", "../../etc/passwd", "Asia/Tokyo\x00"} {
		wantKey(t, "ValidTimeZone("+bad+")", model.ValidTimeZone(bad), "invalid.time_zone")
	}
	if model.LoadLocation("").String() != model.DefaultTimeZone {
		t.Errorf("empty zone is %s", model.LoadLocation(""))
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range []string{"", "Nowhere/Unknown"} {
		_, off := at.In(model.LoadLocation(name)).Zone()
		if off != 9*3600 {
			t.Errorf("LoadLocation(%q) offset %d, want JST", name, off)
		}
	}
	if _, off := at.In((model.User{TimeZone: "Europe/London"}).Location()).Zone(); off != 0 {
		t.Errorf("London in January: offset %d", off)
	}
}

func TestOrgKindCodes(t *testing.T) {
	want := []string{"center", "operator", "organizer", "partner", "venue", "sports", "ministry", "police",
		"security-agency", "cti-vendor", "local-gov", "other"}
	if len(model.OrgKinds) != len(want) {
		t.Fatalf("%d kinds: %v", len(model.OrgKinds), model.OrgKinds)
	}
	for i, k := range model.OrgKinds {
		if string(k) != want[i] {
			t.Errorf("kind %d is %s, want %s", i, k, want[i])
		}
		if got, err := model.ParseOrgKind(string(k)); err != nil || got != k {
			t.Errorf("ParseOrgKind(%s): %v %v", k, got, err)
		}
	}
	for _, s := range []string{"", "Center", "vendor", "none"} {
		_, err := model.ParseOrgKind(s)
		wantKey(t, "ParseOrgKind("+s+")", err, "invalid.org_kind")
		if allowed, _ := fault.As(err).Args["allowed"].(string); !strings.Contains(allowed, "security-agency") {
			t.Errorf("the error lists the codes: %v", fault.As(err).Args)
		}
	}
}

func TestTheTwentyFourSectorsAndNone(t *testing.T) {
	if len(model.Sectors) != 24 {
		t.Fatalf("%d sectors: %v", len(model.Sectors), model.Sectors)
	}
	seen := map[model.Sector]bool{}
	for _, s := range model.Sectors {
		if s == model.SectorNone || seen[s] || strings.ToLower(string(s)) != string(s) || strings.ContainsAny(string(s), " _") {
			t.Errorf("bad or repeated code %q", s)
		}
		seen[s] = true
		if got, err := model.ParseSector(string(s)); err != nil || got != s {
			t.Errorf("ParseSector(%s): %v %v", s, got, err)
		}
	}
	for _, code := range []model.Sector{"telecom", "finance", "electricity", "hospital", "venue"} {
		if !seen[code] {
			t.Errorf("sector %s missing", code)
		}
	}
	for _, none := range []string{"", "none"} {
		if got, err := model.ParseSector(none); err != nil || got != model.SectorNone {
			t.Errorf("ParseSector(%q) = %q %v", none, got, err)
		}
	}
	for _, bad := range []string{"Finance", "banking", "None", " telecom"} {
		_, err := model.ParseSector(bad)
		wantKey(t, "ParseSector("+bad+")", err, "invalid.sector")
		if allowed, _ := fault.As(err).Args["allowed"].(string); !strings.HasPrefix(allowed, "none, telecom") {
			t.Errorf("allowed list %q", allowed)
		}
	}
}

func TestNamesFallBackToTheOtherLanguage(t *testing.T) {
	o := model.Org{NameJA: "東都電力", NameEN: "Toto Electric"}
	if o.Name(model.LangJA) != "東都電力" || o.Name(model.LangEN) != "Toto Electric" {
		t.Errorf("%q %q", o.Name(model.LangJA), o.Name(model.LangEN))
	}
	if got := (model.Org{NameJA: "東都電力"}).Name(model.LangEN); got != "東都電力" {
		t.Errorf("no English name: %q", got)
	}
	if got := (model.Org{NameEN: "Toto"}).Name(model.LangJA); got != "Toto" {
		t.Errorf("no Japanese name: %q", got)
	}
	c := model.Community{NameJA: "電力", NameEN: "Power", DescriptionJA: "説明"}
	if c.Name(model.LangEN) != "Power" || c.Description(model.LangEN) != "説明" || c.Description(model.LangJA) != "説明" {
		t.Errorf("community: %q %q", c.Name(model.LangEN), c.Description(model.LangEN))
	}
}

func TestTokenActiveUntilRevoked(t *testing.T) {
	if !(model.Token{}).Active() || (model.Token{RevokedAt: time.Unix(1, 0)}).Active() {
		t.Fatal("Active is wrong")
	}
}

func errOf(_ string, err error) error { return err }
