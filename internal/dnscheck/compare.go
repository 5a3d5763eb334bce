package dnscheck

import (
	"slices"
	"sort"
)

// ChangeKind says how a name differs from the last sweep.
type ChangeKind string

const (
	KindNew     ChangeKind = "new"     // registered now, not known to be before
	KindChanged ChangeKind = "changed" // registered before and now, with other records
	KindGone    ChangeKind = "gone"    // registered before, NXDOMAIN now
)

// Change is one name that differs from the last sweep.
type Change struct {
	Name   string     `json:"name"`
	Kind   ChangeKind `json:"kind"`
	Before *Result    `json:"before,omitempty"` // nil for a name never seen registered
	After  Result     `json:"after"`
}

// Compare compares a sweep with the state kept from the earlier ones and returns what is
// new, changed or gone, and the state to keep for the next comparison. An unknown answer
// neither reports nor forgets anything: the name keeps its last known result, so that a
// resolver failing for a while does not make registered names "new" again when it
// recovers. Records are compared only for the types both sweeps got a clear answer for.
// Changes come in the order of cur.
func Compare(prev, cur []Result) (changes []Change, next []Result) {
	known := make(map[string]Result, len(prev))
	for _, p := range prev {
		known[p.Name] = p
	}
	next = make([]Result, 0, len(cur))
	for _, c := range cur {
		p, had := known[c.Name]
		delete(known, c.Name)
		if c.Status == Unknown {
			if had {
				next = append(next, p)
			} else {
				next = append(next, c)
			}
			continue
		}
		next = append(next, c)
		wasRegistered := had && p.Status == Registered
		switch {
		case c.Status == Registered && !wasRegistered:
			changes = append(changes, Change{Name: c.Name, Kind: KindNew, After: c})
		case c.Status == Registered && recordsDiffer(p.Records, c.Records):
			changes = append(changes, Change{Name: c.Name, Kind: KindChanged, Before: &p, After: c})
		case c.Status == Unregistered && wasRegistered:
			changes = append(changes, Change{Name: c.Name, Kind: KindGone, Before: &p, After: c})
		}
	}
	// Names not in this sweep are kept as they were.
	rest := make([]string, 0, len(known))
	for n := range known {
		rest = append(rest, n)
	}
	sort.Strings(rest)
	for _, n := range rest {
		next = append(next, known[n])
	}
	return changes, next
}

func recordsDiffer(a, b map[string][]string) bool {
	for t, ra := range a {
		if rb, ok := b[t]; ok && !slices.Equal(ra, rb) {
			return true
		}
	}
	return false
}
