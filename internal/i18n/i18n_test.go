package i18n_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
)

func TestMatchAcceptLanguage(t *testing.T) {
	ja, en := model.LangJA, model.LangEN
	cases := []struct {
		header string
		want   model.Lang
	}{
		{"ja", ja},
		{"ja-JP", ja},
		{"ja-JP;q=0.8", ja},
		{"JA-jp", ja},
		{"en", en},
		{"en-US", en},
		{"en-GB,en;q=0.9", en},
		{"en-US,en;q=0.9,ja;q=0.8", en},
		{"ja,en-US;q=0.9,en;q=0.8", ja},
		{"en-US;q=0.5, ja-JP;q=0.8", ja}, // quality decides, not order
		{"ja;q=0.5, en;q=0.8", en},
		{"fr-FR, en;q=0.5", en},         // the first supported one the reader accepts
		{"de-CH,de;q=0.9,ja;q=0.1", ja}, // likewise, however low its quality
		{"en;q=0", ja},                  // q=0 means "not English"
		{"fr", ja},                      // nothing we have: the default
		{"zh-CN,zh;q=0.9", ja},
		{"ko-KR", ja},
		{"*", ja},
		{"", ja},
		{"garbage", ja},
		{";;;,,,q=", ja},
		{"en-US;q=abc", ja}, // malformed quality: the whole header is ignored
		{"日本語", ja},
		{"x-pirate", ja},
	}
	for _, c := range cases {
		if got := i18n.Match(c.header); got != c.want {
			t.Errorf("Match(%q) = %s, want %s", c.header, got, c.want)
		}
	}
}

func TestArgumentSubstitution(t *testing.T) {
	cases := []struct {
		lang model.Lang
		key  string
		args []any
		want string
	}{
		{model.LangJA, "signin.throttled", []any{"seconds", 30}, "サインインの試行が多すぎます。30秒後にもう一度お試しください。"},
		{model.LangEN, "signin.throttled", []any{"seconds", 30}, "Too many sign-in attempts. Please try again in 30 seconds."},
		// Two arguments, given in either order.
		{model.LangJA, "home.lead", []any{"name", "鈴木", "org", "東都電力"}, "鈴木さん（東都電力）"},
		{model.LangJA, "home.lead", []any{"org", "東都電力", "name", "鈴木"}, "鈴木さん（東都電力）"},
		{model.LangEN, "home.lead", []any{"name", "Suzuki", "org", "Toto Electric"}, "Suzuki (Toto Electric)"},
		// Values are inserted as they are, never read as placeholders themselves.
		{model.LangEN, "home.lead", []any{"name", "{org}", "org", "X"}, "{org} (X)"},
		// Any value prints with fmt.
		{model.LangEN, "invalid.too_long", []any{"max", int64(100)}, "Use at most 100 characters."},
		// Unused arguments are ignored; an odd one out is dropped.
		{model.LangEN, "invalid.too_long", []any{"max", 5, "other", 1, "dangling"}, "Use at most 5 characters."},
		// A missing argument leaves its placeholder showing, so that the gap is visible.
		{model.LangJA, "home.lead", []any{"name", "鈴木"}, "鈴木さん（{org}）"},
		{model.LangEN, "signin.throttled", nil, "Too many sign-in attempts. Please try again in {seconds} seconds."},
		// A message without placeholders is unaffected by arguments.
		{model.LangJA, "signin.failed", []any{"x", 1}, "メールアドレスまたはパスワードが正しくありません。"},
	}
	for _, c := range cases {
		if got := i18n.T(c.lang, c.key, c.args...); got != c.want {
			t.Errorf("T(%s, %s, %v) = %q, want %q", c.lang, c.key, c.args, got, c.want)
		}
	}
	got := i18n.Format(model.LangJA, "audit.verify_ok", map[string]any{"count": 3, "hash": "ab12"})
	if want := "検証しました：3件の記録はすべて正しく連鎖しています。最新のハッシュ：ab12"; got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
}

func TestMissingKey(t *testing.T) {
	for _, l := range []model.Lang{model.LangJA, model.LangEN} {
		if i18n.Has(l, "no.such_key") {
			t.Fatal("Has reports a key that does not exist")
		}
		// The key itself shows, with or without arguments, so that tests and people see it.
		if got := i18n.T(l, "no.such_key"); got != "no.such_key" {
			t.Errorf("%s: missing key gives %q", l, got)
		}
		if got := i18n.T(l, "no.such_key", "name", "x"); got != "no.such_key" {
			t.Errorf("%s: missing key with arguments gives %q", l, got)
		}
	}
	// A language without a catalog gets Japanese, the default.
	if got, want := i18n.T(model.Lang("fr"), "signin.title"), i18n.T(model.LangJA, "signin.title"); got != want {
		t.Errorf("unknown language: %q, want %q", got, want)
	}
	if got := i18n.T(model.Lang(""), "signin.submit"); got != "サインイン" {
		t.Errorf("empty language: %q", got)
	}
}

func TestError(t *testing.T) {
	err := fault.New(fault.RateLimited, "signin.throttled", "seconds", 4)
	if got := i18n.Error(model.LangEN, err); got != "Too many sign-in attempts. Please try again in 4 seconds." {
		t.Errorf("fault error: %q", got)
	}
	// Wrapped faults are found.
	wrapped := fmt.Errorf("signing in: %w", fault.Field("email", "invalid.email", "value", "a@"))
	if got := i18n.Error(model.LangJA, wrapped); got != "メールアドレスの形式が正しくありません（a@）。" {
		t.Errorf("wrapped fault: %q", got)
	}
	// Anything else is an internal error; its text never reaches the reader.
	got := i18n.Error(model.LangJA, errors.New("pq: connection refused"))
	if got != i18n.T(model.LangJA, "error.internal") {
		t.Errorf("plain error: %q", got)
	}
}
