package lookalike

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// dnstwistFamilies are the fuzzers of dnstwist; each has a family of the same name here.
// (plural exists in later dnstwist releases; the Debian 12 one has none, which the
// comparison treats as an empty set.)
var dnstwistFamilies = []string{
	"addition", "bitsquatting", "cyrillic", "homoglyph", "hyphenation", "insertion",
	"omission", "plural", "repetition", "replacement", "subdomain", "transposition",
	"vowel-swap", "various", "dictionary", "tld-swap",
}

// testDomains reads testdata/domains.txt.
func testDomains(t testing.TB) []string {
	t.Helper()
	f, err := os.Open("testdata/domains.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// dnstwistPython returns the interpreter of the installed dnstwist command (from its
// "#!" line), so that the comparison runs the very code the command runs. A missing
// dnstwist skips the test, or fails it when RENKEI_TEST_REQUIRE_DNSTWIST=1 (scripts/test.sh
// installs Debian's dnstwist and sets it, so there the comparison always runs).
func dnstwistPython(t *testing.T) string {
	t.Helper()
	fail := func(format string, args ...any) string {
		if os.Getenv("RENKEI_TEST_REQUIRE_DNSTWIST") == "1" {
			t.Fatalf("RENKEI_TEST_REQUIRE_DNSTWIST=1 but "+format+" (install it with: apt-get install -y dnstwist)", args...)
		}
		t.Skipf(format+" (install Debian's dnstwist to compare)", args...)
		return ""
	}
	bin, err := exec.LookPath("dnstwist")
	if err != nil {
		return fail("dnstwist is not installed: %v", err)
	}
	head, err := os.ReadFile(bin)
	if err != nil {
		return fail("cannot read %s: %v", bin, err)
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	interp, ok := strings.CutPrefix(string(line), "#!")
	if !ok {
		return fail("%s is not a script", bin)
	}
	return strings.Fields(interp)[0]
}

// runDnstwist returns dnstwist's names per domain and fuzzer, in ASCII form.
func runDnstwist(t *testing.T, python string, domains []string) map[string]map[string][]string {
	t.Helper()
	dict, tlds := "testdata/words.txt", "testdata/tlds.txt" // the default lists
	args := append([]string{"testdata/run_dnstwist.py", dict, tlds, strings.Join(dnstwistFamilies, ",")}, domains...)
	cmd := exec.Command(python, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dnstwist: %v\n%s", err, stderr.String())
	}
	var res map[string]map[string][]string
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("dnstwist output: %v", err)
	}
	return res
}

// TestSupersetOfDnstwist runs dnstwist on testdata/domains.txt and checks, family by
// family, that every name it generates is generated here too (with the same word and TLD
// lists), apart from the documented exclusions. It logs the counts side by side.
func TestSupersetOfDnstwist(t *testing.T) {
	python := dnstwistPython(t)
	domains := testDomains(t)
	theirs := runDnstwist(t, python, domains)
	totals := map[string][2]int{}
	for _, d := range domains {
		for _, fam := range dnstwistFamilies {
			cs, err := Generate(d, Options{Families: []string{fam}})
			if err != nil {
				t.Fatalf("%s: %v", d, err)
			}
			ours := map[string]bool{}
			for _, c := range cs {
				ours[c.Domain] = true
			}
			self, err := Parse(d)
			if err != nil {
				t.Fatal(err)
			}
			var missing []string
			for _, name := range theirs[d][fam] {
				if !ours[name] && excluded(name, self.ASCII()) == "" {
					missing = append(missing, name)
				}
			}
			if len(missing) > 0 {
				sort.Strings(missing)
				t.Errorf("%s %s: %d of dnstwist's %d names missing, e.g. %v", d, fam, len(missing), len(theirs[d][fam]), missing[:min(len(missing), 12)])
			}
			tot := totals[fam]
			totals[fam] = [2]int{tot[0] + len(theirs[d][fam]), tot[1] + len(cs)}
		}
	}
	t.Logf("%-14s %9s %9s", "family", "dnstwist", "renkei")
	for _, fam := range dnstwistFamilies {
		t.Logf("%-14s %9d %9d", fam, totals[fam][0], totals[fam][1])
	}
}

// excluded says why a name dnstwist generates is left out here, or "" if it is not.
// dnstwist lists the input itself under some families (a vowel swapped for itself, a
// homoglyph swapped back); it is not a lookalike of itself. Labels with "--" in the third and fourth places are reserved for IDNA tags (RFC 5891
// section 4.2.3.1, "R-LDH" in RFC 5890): no registry delegates them, and UTS #46 refuses
// them (CheckHyphens), so they cannot be lookalikes anyone registered.
func excluded(name, input string) string {
	if name == input {
		return "the input itself"
	}
	for _, l := range strings.Split(name, ".") {
		if len(l) >= 4 && l[2:4] == "--" && !strings.HasPrefix(l, "xn--") {
			return "reserved hyphens"
		}
	}
	return ""
}
