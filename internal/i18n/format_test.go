package i18n

import (
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/model"
)

// withMessage adds a message to one catalog for the length of a test.
func withMessage(t *testing.T, lang model.Lang, key, msg string) {
	t.Helper()
	if _, ok := catalogs[lang][key]; ok {
		t.Fatalf("%s already exists", key)
	}
	catalogs[lang][key] = msg
	t.Cleanup(func() { delete(catalogs[lang], key) })
}

func TestEnglishFallsBackToJapanese(t *testing.T) {
	withMessage(t, model.LangJA, "test.only_ja", "日本語だけ {n}")
	if got := T(model.LangEN, "test.only_ja", "n", 1); got != "日本語だけ 1" {
		t.Errorf("fallback: %q", got)
	}
	if Has(model.LangEN, "test.only_ja") {
		t.Error("Has must tell the fallback from a translation")
	}
}

func TestFormatEdgeCases(t *testing.T) {
	cases := []struct{ msg, want string }{
		{"{a}{a}", "11"}, // a placeholder used twice
		{"{a}{b}", "12"}, // adjacent placeholders
		{"x {unknown} y", "x {unknown} y"},
		{"{}", "{}"},
		{"{ a }", "{ a }"},
		{"open { only", "open { only"},
		{"close } only {a}", "close } only 1"},
		{"{a} then {", "1 then {"},
		{"{{a}}", "{{a}}"}, // the name read is "{a", which is not an argument
		{"日本語{a}です", "日本語1です"},
	}
	for i, c := range cases {
		key := "test.edge_" + string(rune('a'+i))
		withMessage(t, model.LangJA, key, c.msg)
		if got := T(model.LangJA, key, "a", 1, "b", 2); got != c.want {
			t.Errorf("%q: got %q, want %q", c.msg, got, c.want)
		}
	}
}

// FuzzFormat checks that no message can make Format panic, and that a message without
// braces comes back unchanged.
func FuzzFormat(f *testing.F) {
	for _, s := range []string{"", "{", "}", "{}", "{a}", "a{b}c{", "}{a}{", "{{a}}", "日本{a}語"} {
		f.Add(s, "a", "x")
	}
	f.Fuzz(func(t *testing.T, msg, name, value string) {
		catalogs[model.LangJA]["test.fuzz"] = msg
		defer delete(catalogs[model.LangJA], "test.fuzz")
		got := T(model.LangJA, "test.fuzz", name, value)
		if !strings.ContainsAny(msg, "{}") && got != msg {
			t.Fatalf("%q became %q", msg, got)
		}
	})
}
