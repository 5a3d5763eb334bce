package cli_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLookalikesList(t *testing.T) {
	t.Parallel()
	r := runCLI(t, safeEnv(t), "lookalikes", "--families", "omission,tld-swap", "example.co.jp", "日本レジストリ.jp")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("want exit 0:\n%s", r)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	for _, want := range []string{
		"example.co.jp\tomission\texmple.co.jp\texmple.co.jp",
		"example.co.jp\ttld-swap\texample.ne.jp\texample.ne.jp",
		"example.co.jp\ttld-swap\texample.xn--tckwe\texample.コム",
		"日本レジストリ.jp\tomission\txn--yckc9b5h983zcvb.jp\t日本ジストリ.jp",
	} {
		if !strings.Contains(r.stdout, want+"\n") {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 4 || (f[1] != "omission" && f[1] != "tld-swap") {
			t.Errorf("bad line %q", l)
		}
	}
	if r.stdout[:len("example.co.jp")] != "example.co.jp" || !strings.HasPrefix(lines[len(lines)-1], "日本レジストリ.jp\t") {
		t.Error("domains not in the order given")
	}
	// the database is never opened
	if _, err := os.Stat(filepath.Join(safeEnv(t)["RENKEI_DATA"], "renkei.db")); err == nil {
		t.Error("lookalikes opened a database")
	}
}

func TestLookalikesJSON(t *testing.T) {
	t.Parallel()
	// flags may follow the domain
	r := runCLI(t, safeEnv(t), "lookalikes", "tokyo2020.jp", "--format", "json")
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	families := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	found := false
	for sc.Scan() {
		var c struct{ Input, Family, Domain, Unicode string }
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if c.Input != "tokyo2020.jp" || c.Domain == "" || c.Unicode == "" {
			t.Fatalf("bad line %q", sc.Text())
		}
		families[c.Family]++
		found = found || c.Unicode == "tokyo2〇2〇.jp" && c.Family == "ja-homoglyph" && c.Domain == "xn--tokyo22-hq3fb.jp"
	}
	if !found {
		t.Error("no tokyo2〇2〇.jp under ja-homoglyph")
	}
	for _, f := range []string{"addition", "homoglyph", "omission", "dictionary", "tld-swap", "ja-homoglyph"} {
		if families[f] == 0 {
			t.Errorf("no %s candidates: %v", f, families)
		}
	}
}

func TestLookalikesWordAndTLDFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	words := filepath.Join(dir, "words.txt")
	tlds := filepath.Join(dir, "tlds.txt")
	os.WriteFile(words, []byte("# words\nportal\n\n"), 0o600)
	os.WriteFile(tlds, []byte("net\n"), 0o600)
	r := runCLI(t, safeEnv(t), "lookalikes", "--families", "dictionary,tld-swap", "--dictionary", words, "--tlds", tlds, "example.com")
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	if n := strings.Count(r.stdout, "\n"); n != 5 || !strings.Contains(r.stdout, "\texample-portal.com\t") || !strings.Contains(r.stdout, "\texample.net\t") {
		t.Errorf("want 4 dictionary names and 1 TLD swap:\n%s", r.stdout)
	}
	os.WriteFile(tlds, []byte("notatld\n"), 0o600)
	r = runCLI(t, safeEnv(t), "lookalikes", "--tlds", tlds, "example.com")
	checkFail(t, r, 1, `TLD "notatld": not a public suffix`)
	r = runCLI(t, safeEnv(t), "lookalikes", "--dictionary", filepath.Join(dir, "missing.txt"), "example.com")
	checkFail(t, r, 1, "--dictionary", "missing.txt")
	os.WriteFile(words, []byte(strings.Repeat("w\n", 10001)), 0o600)
	r = runCLI(t, safeEnv(t), "lookalikes", "--dictionary", words, "example.com")
	checkFail(t, r, 1, "more than 10000 entries")
}

func TestLookalikesErrors(t *testing.T) {
	t.Parallel()
	r := runCLI(t, safeEnv(t), "lookalikes")
	checkFail(t, r, 2, "give at least one DOMAIN", "Usage: renkei lookalikes")
	r = runCLI(t, safeEnv(t), "lookalikes", "example.com", "co.jp")
	checkFail(t, r, 1, `invalid domain name "co.jp": a public suffix`)
	r = runCLI(t, safeEnv(t), "lookalikes", "https://example.com/login")
	checkFail(t, r, 1, "not a URL")
	r = runCLI(t, safeEnv(t), "lookalikes", "example.nosuchtld")
	checkFail(t, r, 1, `unknown top-level domain "nosuchtld"`)
	r = runCLI(t, safeEnv(t), "lookalikes", "--families", "omission,typo", "example.com")
	checkFail(t, r, 1, `--families: unknown family "typo"`, "vowel-swap")
	r = runCLI(t, safeEnv(t), "lookalikes", "--format", "csv", "example.com")
	checkFail(t, r, 1, `--format "csv": want list or json`)
	many := make([]string, 1001)
	for i := range many {
		many[i] = "example.com"
	}
	r = runCLI(t, safeEnv(t), append([]string{"lookalikes"}, many...)...)
	checkFail(t, r, 1, "at most 1000 domains")
	// the families are listed in the help
	r = runCLI(t, safeEnv(t), "lookalikes", "--help")
	if r.code != 0 || !strings.Contains(r.stderr, "Families:") || !strings.Contains(r.stderr, "ja-confusable") {
		t.Errorf("help lacks the families:\n%s", r)
	}
	// the environment sets flags as for every command
	env := safeEnv(t)
	env["RENKEI_FAMILIES"] = "plural"
	r = runCLI(t, env, "lookalikes", "example.co.jp")
	if r.code != 0 || r.stdout != "example.co.jp\tplural\texamples.co.jp\texamples.co.jp\n" {
		t.Errorf("RENKEI_FAMILIES=plural:\n%s", r)
	}
}
