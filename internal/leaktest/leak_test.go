package leaktest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// Default number of worlds per backend: PostgreSQL is slower to build on, and the same
// seeds run on both, so its worlds are the first of SQLite's.
var defaultWorlds = map[store.Backend]int{store.SQLite: 20, store.Postgres: 8}

// maxFailures bounds the failures reported per world; the rest are counted.
const maxFailures = 40

// settings are read from the environment once.
type settings struct {
	seed   uint64 // 0: random
	worlds map[store.Backend]int
}

func readSettings(t *testing.T) settings {
	s := settings{worlds: maps(defaultWorlds)}
	if v := os.Getenv("RENKEI_LEAK_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			t.Fatalf("RENKEI_LEAK_SEED=%q: want a positive integer", v)
		}
		s.seed = n
	}
	if v := os.Getenv("RENKEI_LEAK_WORLDS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			for b := range s.worlds {
				s.worlds[b] = n
			}
		} else {
			for part := range strings.SplitSeq(v, ",") {
				name, num, _ := strings.Cut(strings.TrimSpace(part), "=")
				n, err := strconv.Atoi(num)
				if _, known := s.worlds[store.Backend(name)]; !known || err != nil || n < 0 {
					t.Fatalf("RENKEI_LEAK_WORLDS=%q: want N, or sqlite=N,postgres=M", v)
				}
				s.worlds[store.Backend(name)] = n
			}
		}
	}
	return s
}

func maps(m map[store.Backend]int) map[store.Backend]int {
	out := make(map[store.Backend]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// seeds returns the seeds of the worlds to build on a backend: the one asked for, or
// consecutive seeds from a random start (the same start on both backends).
func (s settings) seeds(b store.Backend, start uint64) []uint64 {
	if s.seed != 0 {
		return []uint64{s.seed}
	}
	out := make([]uint64, s.worlds[b])
	for i := range out {
		out[i] = start + uint64(i)
	}
	return out
}

// TestLeak builds random worlds and checks, for every kind of item, every viewer and every
// path, that the path returns exactly what the policy predicate allows.
func TestLeak(t *testing.T) {
	s := readSettings(t)
	start := 1 + rand.Uint64N(1_000_000_000)
	if s.seed == 0 {
		t.Logf("worlds from seed %d on; rebuild one with RENKEI_LEAK_SEED=N", start)
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		backend := db.Backend()
		var tally tally
		began := time.Now()
		t.Run("worlds", func(t *testing.T) {
			for i, seed := range s.seeds(backend, start) {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					t.Parallel()
					wdb := db
					if i > 0 {
						wdb = testdb.Open(t, backend)
					}
					runWorld(t, wdb, seed, &tally)
				})
			}
		})
		t.Logf("%s: %d worlds in %v", backend, tally.worlds, time.Since(began).Round(time.Millisecond))
		tally.check(t)
	})
}

// runWorld builds one world and checks every kind on it.
func runWorld(t *testing.T, db *store.DB, seed uint64, tally *tally) {
	began := time.Now()
	w := newWorld(t, db, seed)
	g := newGen(w)
	w.pageSize = []int{1, 2, 3, 5, 50}[g.r.IntN(5)]
	g.base()
	for _, k := range kinds {
		if k.generate != nil {
			k.generate(g)
		}
	}
	g.finish()
	w.load()
	w.signInViewers()
	built := time.Since(began)

	w.checkDeadTokens()
	for _, k := range kinds {
		w.check(k, tally)
	}
	w.report()
	members := 0
	for _, c := range w.ids[colCommunities] {
		members += len(w.orgIn[c]) + len(w.userIn[c])
	}
	disabled := 0
	for _, u := range w.users {
		if u.Disabled {
			disabled++
		}
	}
	t.Logf("seed %d (%s): %d orgs, %d people (%d disabled), %d communities, %d memberships, page size %d; built in %v, checked in %v\n\t%s",
		seed, db.Backend(), len(w.orgs), len(w.users), disabled, len(w.comms), members, w.pageSize,
		built.Round(time.Millisecond), (time.Since(began) - built).Round(time.Millisecond), strings.Join(w.stats, "\n\t"))
	if w.failures > maxFailures {
		t.Errorf("seed %d: %d more failures not shown", seed, w.failures-maxFailures)
	}
	if t.Failed() {
		t.Logf("rebuild this world: RENKEI_LEAK_SEED=%d go test ./internal/leaktest -run 'TestLeak/%s' -v", seed, db.Backend())
	}
}

// failf reports one failure of the world, with its seed.
func (w *world) failf(format string, args ...any) {
	w.t.Helper()
	w.failures++
	if w.failures <= maxFailures {
		w.t.Errorf("seed %d: %s", w.seed, fmt.Sprintf(format, args...))
	}
}

// check walks every path of a kind for every viewer and compares with the predicate.
func (w *world) check(k kind, tally *tally) {
	ids := w.ids[k.items]
	allowed := k.load(w)
	// Per-item paths also probe an id that does not exist, which must be not found.
	probe := slices.Clone(ids)
	probe = append(probe, slices.Max(append([]int64{0}, ids...))+1000)

	var pairs, yes, walks int
	for _, v := range w.viewers {
		want := map[int64]bool{}
		for _, id := range ids {
			pairs++
			if allowed(v.actor(), id) {
				want[id] = true
				yes++
			}
		}
		for _, p := range k.paths {
			if p.api && v.token == "" {
				continue
			}
			if p.page && v.session == "" {
				continue
			}
			walks++
			got, err := p.ids(&call{ctx: w.ctx, w: w, v: v, all: probe})
			if err != nil {
				w.failf("%s via %q, %s: %v", k.name, p.name, v.name, err)
				continue
			}
			expect := map[int64]bool{}
			for id := range want {
				if p.narrow == nil || p.narrow(w, v.actor(), id) {
					expect[id] = true
				}
			}
			w.compare(k, p, v, expect, got)
		}
	}
	w.stats = append(w.stats, fmt.Sprintf("%-22s %4d of %4d viewer×item pairs allowed, %4d path walks", k.name, yes, pairs, walks))
	tally.add(k.name, yes, pairs)
}

// compare records ids returned but not allowed (a leak), allowed but not returned, and
// returned twice.
func (w *world) compare(k kind, p path, v *viewer, expect map[int64]bool, got []int64) {
	seen := map[int64]bool{}
	var extra, dup, missing []int64
	for _, id := range got {
		if seen[id] {
			dup = append(dup, id)
		}
		seen[id] = true
		if !expect[id] && !slices.Contains(extra, id) {
			extra = append(extra, id)
		}
	}
	for id := range expect {
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	w.note(k, p, v, "LEAK: returns what the policy refuses", extra)
	w.note(k, p, v, "misses what the policy allows", missing)
	w.note(k, p, v, "returns items twice", dup)
}

// finding is one kind of disagreement of one path, with the viewers who met it.
type finding struct {
	what     string
	viewers  int
	examples []string
}

// maxExamples is how many viewers a finding shows.
const maxExamples = 3

func (w *world) note(k kind, p path, v *viewer, what string, ids []int64) {
	if len(ids) == 0 {
		return
	}
	key := k.name + "\x00" + p.name + "\x00" + what
	f := w.findings[key]
	if f == nil {
		f = &finding{what: fmt.Sprintf("%s via %q %s", k.name, p.name, what)}
		w.findings[key] = f
		w.order = append(w.order, key)
	}
	f.viewers++
	if len(f.examples) < maxExamples {
		f.examples = append(f.examples, fmt.Sprintf("%s gets %s", v.name, w.describeAll(k.items, ids)))
	}
}

// report turns the findings into failures, one per path and kind of disagreement.
func (w *world) report() {
	for _, key := range w.order {
		f := w.findings[key]
		w.failf("%s, for %d viewer(s); for example:\n\t%s", f.what, f.viewers, strings.Join(f.examples, "\n\t"))
	}
}

func (w *world) describeAll(col string, ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = w.describe(col, id)
	}
	return strings.Join(parts, "; ")
}

// checkDeadTokens: the token of a disabled person, or of a person of a disabled
// organization, opens nothing.
func (w *world) checkDeadTokens() {
	for _, v := range w.viewers {
		if v.dead == "" {
			continue
		}
		c := &call{ctx: w.ctx, w: w, v: &viewer{name: v.name, token: v.dead}}
		for _, u := range []string{"/api/v1/me", "/api/v1/users", "/api/v1/orgs", "/api/v1/communities"} {
			status, body, err := c.get(u)
			if err != nil {
				w.failf("GET %s with the token of %s: %v", u, v.name, err)
			} else if status != http.StatusUnauthorized {
				w.failf("LEAK: GET %s with the token of the inactive %s: status %d, want 401: %.200s", u, v.name, status, body)
			}
		}
	}
}

// tally adds up, over the worlds of one backend, how many viewer×item pairs each kind's
// predicate allowed, so that a test whose worlds never allow (or never refuse) anything
// of a kind says so instead of passing vacuously.
type tally struct {
	mu     sync.Mutex
	worlds int
	yes    map[string]int
	pairs  map[string]int
}

func (t *tally) add(kind string, yes, pairs int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.yes == nil {
		t.yes, t.pairs = map[string]int{}, map[string]int{}
	}
	if kind == kinds[0].name {
		t.worlds++
	}
	t.yes[kind] += yes
	t.pairs[kind] += pairs
}

func (t *tally) check(tt *testing.T) {
	if t.worlds < 3 {
		return // one world may well be lopsided
	}
	for _, k := range kinds {
		y, n := t.yes[k.name], t.pairs[k.name]
		if y == 0 || y == n {
			tt.Errorf("%s: %d of %d viewer×item pairs allowed over %d worlds: the worlds do not exercise the rule", k.name, y, n, t.worlds)
		}
	}
}

// kindAllowed is what a kind's load returns: the predicate bound to the loaded facts.
type kindAllowed = func(a policy.Actor, id int64) bool
