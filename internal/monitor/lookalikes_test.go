package monitor

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/idna"

	"github.com/renkei-dev/renkei/internal/lookalike"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// pick returns the first candidate of a family.
func pick(t *testing.T, cands []lookalike.Candidate, family string) lookalike.Candidate {
	t.Helper()
	for _, c := range cands {
		if c.Family == family {
			return c
		}
	}
	t.Fatalf("no %s candidate", family)
	return lookalike.Candidate{}
}

func TestLookalikeSweeps(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		d := startDNS(t)
		d.Add("toto-power.jp. 300 IN A 192.0.2.10")
		families := []string{"omission", "tld-swap", "ja-homoglyph"}
		cands, err := lookalike.Generate("toto-power.jp", lookalike.Options{Families: families})
		if err != nil {
			t.Fatal(err)
		}
		omit, swap, ja := pick(t, cands, "omission"), pick(t, cands, "tld-swap"), pick(t, cands, "ja-homoglyph")
		other := cands[len(cands)-1]
		for _, c := range []lookalike.Candidate{omit, swap, ja} {
			if err := d.Add(c.Domain + ". 300 IN A 203.0.113.5"); err != nil {
				t.Fatal(err)
			}
		}
		clk := newClock()
		targets := &fakeTargets{}
		targets.set(Target{AssetID: 7, OrgID: 3, Kind: KindDomain, Value: "toto-power.jp"})
		s := &sink{t: t}
		cfg := testConfig(clk)
		cfg.Resolver = d.Addr
		cfg.LookalikeFamilies = families
		m := newMonitor(t, db, cfg, targets, s)
		step := func() []Finding {
			clk.advance(25 * time.Hour)
			sweep(t, m)
			var out []Finding
			for _, f := range s.take() {
				if f.Check == CheckLookalike {
					out = append(out, f)
				}
			}
			return out
		}
		key := func(c lookalike.Candidate, state string) string { return "7 lookalike:" + c.Domain + "=" + state }

		// The first sweep: every registered lookalike is new, with its family and the
		// asset it imitates.
		got := wantFindings(t, step(), key(omit, "problem"), key(swap, "problem"), key(ja, "problem"))
		f := got[key(ja, "problem")]
		if f.Evidence["family"] != "ja-homoglyph" || f.Evidence["imitates"] != "toto-power.jp" || f.Evidence["unicode"] != ja.Unicode ||
			f.Evidence["a"] != "203.0.113.5" || f.Evidence["change"] != "new" || f.Severity != SevMedium ||
			!strings.Contains(f.BodyJA, ja.Unicode) || !strings.Contains(f.BodyEN, "toto-power.jp") || !strings.Contains(f.BodyEN, "ja-homoglyph") {
			t.Errorf("new lookalike: %+v", f)
		}
		// Nothing changed: nothing to report.
		wantFindings(t, step())

		// A mail server appears on one (worse), one is deleted, the resolver fails for
		// one seen before and for one never seen: the failures conclude nothing.
		d.Add(omit.Domain + ". 300 IN MX 10 mail.example.net.")
		d.Fail(dns.RcodeNameError, 0, swap.Domain)
		d.ServFail(ja.Domain, other.Domain)
		got = wantFindings(t, step(), key(omit, "problem"), key(swap, "ok"))
		if f := got[key(omit, "problem")]; f.Evidence["change"] != "changed" || f.Severity != SevHigh || f.Evidence["mx"] != "10 mail.example.net." {
			t.Errorf("changed lookalike: %+v", f)
		}
		if f := got[key(swap, "ok")]; f.Evidence["change"] != "gone" || f.Evidence["family"] != "tld-swap" {
			t.Errorf("gone lookalike: %+v", f)
		}
		// The resolver answers again: the name seen before is not new.
		d.Heal(ja.Domain, other.Domain)
		wantFindings(t, step())
		// Registered again after being gone: new again.
		d.Heal(swap.Domain)
		wantFindings(t, step(), key(swap, "problem"))

		// A timeout is unknown too.
		d.Silent(omit.Domain)
		wantFindings(t, step())
		for _, c := range checks(t, db) {
			if c.Check == CheckLookalike && c.LastError != "" {
				t.Errorf("a failure for one name is not an error of the sweep: %q", c.LastError)
			}
		}
	})
}

// TestLookalikeSweepLimits: the candidate limit is kept and said; unknown answers are not
// counted as registered even when every name fails.
func TestLookalikeSweepLimits(t *testing.T) {
	d := startDNS(t)
	d.Add("example.co.jp. 300 IN A 192.0.2.1")
	db := testdb.SQLite(t)
	clk := newClock()
	targets := &fakeTargets{}
	targets.set(Target{AssetID: 1, OrgID: 1, Kind: KindDomain, Value: "example.co.jp"})
	s := &sink{t: t}
	cfg := testConfig(clk)
	cfg.Resolver = d.Addr
	cfg.MaxCandidates = 50
	m := newMonitor(t, db, cfg, targets, s)
	sweep(t, m)
	if q := d.Queries(); q < 50 || q > 60 {
		t.Errorf("%d queries for 50 candidates and the domain", q)
	}
	for _, c := range checks(t, db) {
		if c.Check == CheckLookalike && !strings.Contains(c.LastError, "first 50 candidates") {
			t.Errorf("limit not said: %q", c.LastError)
		}
	}
	if got := s.take(); len(got) != 0 {
		t.Errorf("findings with nothing registered: %v", keys(got))
	}
}

// fakeCT is a feed of certificates read by position.
type fakeCT struct {
	mu      sync.Mutex
	entries []CTEntry
}

func (f *fakeCT) add(names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = append(f.entries, CTEntry{Names: names, Issuer: "CN=Test CA", NotBefore: time.Now(), Source: fmt.Sprintf("test-log#%d", len(f.entries))})
}

func (f *fakeCT) Entries(_ context.Context, cursor string, limit int) ([]CTEntry, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cursor == "" {
		return nil, fmt.Sprint(len(f.entries)), nil
	}
	var pos int
	fmt.Sscan(cursor, &pos)
	end := min(pos+limit, len(f.entries))
	return f.entries[pos:end], fmt.Sprint(end), nil
}

func TestCertificateTransparencyKeywords(t *testing.T) {
	feed := &fakeCT{}
	feed.add("toto-power.jp") // logged before the keyword was watched: not reported
	db := testdb.SQLite(t)
	clk := newClock()
	targets := &fakeTargets{}
	targets.set(Target{AssetID: 5, OrgID: 2, Kind: KindKeyword, Value: "toto-power"},
		Target{AssetID: 6, OrgID: 4, Kind: KindKeyword, Value: "東都電力"})
	s := &sink{t: t}
	cfg := testConfig(clk)
	cfg.CT = feed
	m := newMonitor(t, db, cfg, targets, s)
	sweep(t, m)
	wantFindings(t, s.take())
	feed.add("login.toto-power-support.com", "www.login.toto-power-support.com")
	feed.add("unrelated.example")
	portal, _ := idna.ToASCII("ポータル.jp")
	brand, _ := idna.ToASCII("東都電力.jp")
	feed.add("*."+portal, "xn--3kq3x.jp")
	feed.add(brand)
	feed.add("login.toto-power-support.com", "mail.toto-power-support.com") // seen already: once
	clk.advance(time.Hour)
	sweep(t, m)
	got := wantFindings(t, s.take(),
		"5 ct:login.toto-power-support.com=problem", "5 ct:www.login.toto-power-support.com=problem",
		"5 ct:mail.toto-power-support.com=problem", "6 ct:"+brand+"=problem")
	if f := got["6 ct:"+brand+"=problem"]; f.Evidence["unicode"] != "東都電力.jp" || !strings.Contains(f.TitleJA, "東都電力.jp") {
		t.Errorf("IDN match: %+v", f)
	}
	clk.advance(time.Hour)
	sweep(t, m)
	wantFindings(t, s.take())
}
