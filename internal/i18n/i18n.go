// Package i18n holds the message catalogs (Japanese and English) and picks the language of
// a request. Every user-visible string of the pages, the API's problem details and the
// command line's errors comes from here.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"golang.org/x/text/language"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
)

//go:embed catalog/*.json
var files embed.FS

var catalogs = map[model.Lang]map[string]string{}

// The catalog of a language is catalog/LANG.json (the platform core) plus one
// catalog/AREA.LANG.json per feature area, so that each area keeps its own messages. A key
// defined twice is a programming error.
func init() {
	for _, l := range []model.Lang{model.LangJA, model.LangEN} {
		m := map[string]string{}
		names, _ := fs.Glob(files, "catalog/*."+string(l)+".json")
		for _, name := range append([]string{"catalog/" + string(l) + ".json"}, names...) {
			if err := load(m, name); err != nil {
				panic(err)
			}
		}
		catalogs[l] = m
	}
}

func load(into map[string]string, name string) error {
	b, err := files.ReadFile(name)
	if err != nil {
		return err
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("catalog %s: %v", name, err)
	}
	for k, v := range m {
		if _, dup := into[k]; dup {
			return fmt.Errorf("catalog %s: key %q is defined twice", name, k)
		}
		into[k] = v
	}
	return nil
}

// Has reports whether a key exists in the language's catalog.
func Has(lang model.Lang, key string) bool {
	_, ok := catalogs[lang][key]
	return ok
}

// Keys returns every key of a catalog, sorted.
func Keys(lang model.Lang) []string {
	keys := make([]string, 0, len(catalogs[lang]))
	for k := range catalogs[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// T returns the message for key in lang with {name} placeholders replaced from args
// (pairs of name, value). A missing key shows as the key itself, which tests catch.
func T(lang model.Lang, key string, args ...any) string {
	return Format(lang, key, pairs(args))
}

// Format is T with the arguments as a map.
func Format(lang model.Lang, key string, args map[string]any) string {
	msg, ok := catalogs[lang][key]
	if !ok {
		if msg, ok = catalogs[model.LangJA][key]; !ok {
			return key
		}
	}
	if len(args) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(msg, '{')
		j := strings.IndexByte(msg[i+1:], '}')
		if i < 0 || j < 0 {
			b.WriteString(msg)
			return b.String()
		}
		name := msg[i+1 : i+1+j]
		b.WriteString(msg[:i])
		if v, ok := args[name]; ok {
			fmt.Fprint(&b, v)
		} else {
			b.WriteString(msg[i : i+2+j])
		}
		msg = msg[i+2+j:]
	}
}

// Error renders a service error in lang: its message, prefixed by nothing.
func Error(lang model.Lang, err error) string {
	fe := fault.As(err)
	return Format(lang, fe.Key, fe.Args)
}

func pairs(args []any) map[string]any {
	if len(args) == 0 {
		return nil
	}
	m := make(map[string]any, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		m[fmt.Sprint(args[i])] = args[i+1]
	}
	return m
}

var matcher = language.NewMatcher([]language.Tag{language.Japanese, language.English})

// Match picks ja or en from an Accept-Language header; Japanese when nothing matches.
func Match(acceptLanguage string) model.Lang {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return model.LangJA
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No || idx == 0 {
		return model.LangJA
	}
	return model.LangEN
}
