package i18n_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
)

var langs = []model.Lang{model.LangJA, model.LangEN}

// placeholderRe finds the {name} placeholders of a message.
var placeholderRe = regexp.MustCompile(`\{([^{}]*)\}`)

var placeholderNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// placeholders returns the sorted placeholder names of a message.
func placeholders(msg string) []string {
	var names []string
	for _, m := range placeholderRe.FindAllStringSubmatch(msg, -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return names
}

// raw returns the message as written in the catalog, without substitution.
func raw(lang model.Lang, key string) string { return i18n.T(lang, key) }

func TestCatalogsHaveTheSameKeys(t *testing.T) {
	ja, en := i18n.Keys(model.LangJA), i18n.Keys(model.LangEN)
	if len(ja) < 100 {
		t.Fatalf("the Japanese catalog has only %d keys: was it loaded?", len(ja))
	}
	for _, k := range ja {
		if !i18n.Has(model.LangEN, k) {
			t.Errorf("%q is in ja.json but not in en.json", k)
		}
	}
	for _, k := range en {
		if !i18n.Has(model.LangJA, k) {
			t.Errorf("%q is in en.json but not in ja.json", k)
		}
	}
}

// catalogFiles returns the files of a language: catalog/LANG.json, then one
// catalog/AREA.LANG.json per feature area.
func catalogFiles(t *testing.T, lang model.Lang) []string {
	areas, err := filepath.Glob("catalog/*." + string(lang) + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"catalog/" + string(lang) + ".json"}, areas...)
}

// readCatalogFile reads one file token by token: encoding/json keeps the last of two
// equal keys without a word, and a catalog must be one flat object of strings.
func readCatalogFile(t *testing.T, name string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: does not start with an object: %v %v", name, tok, err)
	}
	m := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		key := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %s: %v", name, key, err)
		}
		s, ok := v.(string)
		if !ok {
			t.Errorf("%s: %s is a %T, not a string", name, key, v)
		}
		if _, dup := m[key]; dup {
			t.Errorf("%s: %s appears twice (only the last one counts)", name, key)
		}
		m[key] = s
		if !keyRe.MatchString(key) {
			t.Errorf("%s: malformed key %q", name, key)
		}
	}
	if _, err := dec.Token(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// TestCatalogFilesAreWellFormed checks each file, and that each area has its messages in
// both languages in files of the same name.
func TestCatalogFilesAreWellFormed(t *testing.T) {
	areas := map[string][2]map[string]string{} // file name without the language: ja, en
	for i, l := range langs {
		for _, name := range catalogFiles(t, l) {
			area := strings.Replace(filepath.Base(name), string(l)+".json", "LANG.json", 1)
			pair := areas[area]
			pair[i] = readCatalogFile(t, name)
			areas[area] = pair
		}
	}
	for area, pair := range areas {
		if pair[0] == nil || pair[1] == nil {
			t.Errorf("catalog/%s exists in one language only", area)
			continue
		}
		for k := range pair[0] {
			if _, ok := pair[1][k]; !ok {
				t.Errorf("%s is in the Japanese %s but not in the English one", k, area)
			}
		}
		for k := range pair[1] {
			if _, ok := pair[0][k]; !ok {
				t.Errorf("%s is in the English %s but not in the Japanese one", k, area)
			}
		}
	}
}

func TestNoEmptyMessages(t *testing.T) {
	for _, l := range langs {
		for _, k := range i18n.Keys(l) {
			msg := raw(l, k)
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%s: %s is empty", l, k)
			} else if msg != strings.TrimSpace(msg) {
				t.Errorf("%s: %s has leading or trailing space: %q", l, k, msg)
			}
		}
	}
}

// TestPlaceholdersMatch checks that a message takes the same {arguments} in both
// languages, that their names are plain identifiers, and that no brace stands alone.
func TestPlaceholdersMatch(t *testing.T) {
	for _, k := range i18n.Keys(model.LangJA) {
		ja, en := raw(model.LangJA, k), raw(model.LangEN, k)
		pj, pe := placeholders(ja), placeholders(en)
		if !slices.Equal(pj, pe) {
			t.Errorf("%s: placeholders differ: ja %v, en %v", k, pj, pe)
		}
		for _, l := range langs {
			msg := raw(l, k)
			for _, name := range placeholders(msg) {
				if !placeholderNameRe.MatchString(name) {
					t.Errorf("%s %s: bad placeholder {%s}", l, k, name)
				}
			}
			if rest := placeholderRe.ReplaceAllString(msg, ""); strings.ContainsAny(rest, "{}") {
				t.Errorf("%s %s: unbalanced brace in %q", l, k, msg)
			}
		}
	}
}

func isJapanese(r rune) bool {
	return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) ||
		(r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef) // CJK punctuation, full-width forms
}

// TestLanguagesAreNotSwapped catches a message pasted into the wrong catalog: Japanese
// messages are written in Japanese, English ones contain no Japanese.
func TestLanguagesAreNotSwapped(t *testing.T) {
	// Names and codes that read the same in both languages, and each language's own name.
	sameInBoth := map[string]bool{"app.name": true, "field.id": true, "lang.name.en": true, "lang.name.ja": true}
	for _, k := range i18n.Keys(model.LangJA) {
		if sameInBoth[k] {
			continue
		}
		ja, en := raw(model.LangJA, k), raw(model.LangEN, k)
		if !strings.ContainsFunc(ja, isJapanese) {
			t.Errorf("ja %s is not Japanese: %q", k, ja)
		}
		if strings.ContainsFunc(en, isJapanese) {
			t.Errorf("en %s contains Japanese: %q", k, en)
		}
		if ja == en {
			t.Errorf("%s is the same in both languages: %q", k, ja)
		}
	}
	if i18n.T(model.LangEN, "lang.name.ja") != "日本語" || i18n.T(model.LangJA, "lang.name.en") != "English" {
		t.Error("each language is named in itself in the language switch")
	}
}

// TestEnumsHaveMessages checks the keys that code and templates build from codes
// (print "role." .Role, "problem." + slug, ...).
func TestEnumsHaveMessages(t *testing.T) {
	var keys []string
	for _, k := range model.OrgKinds {
		keys = append(keys, "org.kind."+string(k))
	}
	for _, s := range model.Sectors {
		keys = append(keys, "sector."+string(s))
	}
	for _, r := range model.Roles {
		keys = append(keys, "role."+string(r))
	}
	for _, l := range langs {
		keys = append(keys, "lang.name."+string(l))
	}
	// Every problem type the API answers with is documented at /problems/{slug}.
	for _, k := range []fault.Kind{fault.Invalid, fault.NotFound, fault.Conflict, fault.Forbidden,
		fault.Unauthorized, fault.RateLimited, fault.TooLarge, fault.Unsupported, fault.Unavailable,
		fault.Internal, "bad-request"} {
		keys = append(keys, "problem."+string(k))
	}
	for _, k := range keys {
		for _, l := range langs {
			if !i18n.Has(l, k) {
				t.Errorf("%s: no message %s", l, k)
			}
		}
	}
}
