package dnscheck_test

import (
	"reflect"
	"testing"

	"github.com/renkei-dev/renkei/internal/dnscheck"
)

func reg(name string, a ...string) dnscheck.Result {
	return dnscheck.Result{Name: name, Status: dnscheck.Registered, Records: map[string][]string{"A": a}}
}

func status(name string, s dnscheck.Status) dnscheck.Result {
	return dnscheck.Result{Name: name, Status: s}
}

func kinds(cs []dnscheck.Change) map[string]dnscheck.ChangeKind {
	out := map[string]dnscheck.ChangeKind{}
	for _, c := range cs {
		out[c.Name] = c.Kind
	}
	return out
}

func TestCompare(t *testing.T) {
	// first sweep: every registered name is new
	first := []dnscheck.Result{reg("a.jp", "192.0.2.1"), status("b.jp", dnscheck.Unregistered), reg("c.jp", "192.0.2.3"), reg("d.jp", "192.0.2.4"), status("e.jp", dnscheck.Unknown)}
	changes, state := dnscheck.Compare(nil, first)
	if want := map[string]dnscheck.ChangeKind{"a.jp": "new", "c.jp": "new", "d.jp": "new"}; !reflect.DeepEqual(kinds(changes), want) {
		t.Fatalf("first sweep: %v", kinds(changes))
	}

	// the same answers again: nothing to report
	if changes, _ := dnscheck.Compare(state, first); len(changes) != 0 {
		t.Fatalf("a repeat reported %v", kinds(changes))
	}

	second := []dnscheck.Result{
		reg("a.jp", "192.0.2.1"),              // unchanged
		reg("b.jp", "192.0.2.2"),              // registered since
		reg("c.jp", "192.0.2.99"),             // moved
		status("d.jp", dnscheck.Unregistered), // dropped
		reg("e.jp", "192.0.2.5"),              // unknown before: new now
	}
	changes, state = dnscheck.Compare(state, second)
	want := map[string]dnscheck.ChangeKind{"b.jp": "new", "c.jp": "changed", "d.jp": "gone", "e.jp": "new"}
	if !reflect.DeepEqual(kinds(changes), want) {
		t.Fatalf("second sweep: %v, want %v", kinds(changes), want)
	}
	for _, c := range changes {
		if c.Kind == "changed" && (c.Before == nil || c.Before.Records["A"][0] != "192.0.2.3" || c.After.Records["A"][0] != "192.0.2.99") {
			t.Errorf("changed without before and after: %+v", c)
		}
	}

	// the resolver fails for a while: nothing is reported, nothing forgotten, and when it
	// recovers the names are not new again
	outage := []dnscheck.Result{status("a.jp", dnscheck.Unknown), status("b.jp", dnscheck.Unknown), reg("c.jp", "192.0.2.99")}
	changes, state = dnscheck.Compare(state, outage)
	if len(changes) != 0 {
		t.Fatalf("an outage reported %v", kinds(changes))
	}
	changes, _ = dnscheck.Compare(state, second[:2])
	if len(changes) != 0 {
		t.Fatalf("recovery reported %v", kinds(changes))
	}

	// a type answered in only one sweep is not a change
	partial := reg("a.jp", "192.0.2.1")
	partial.Records["MX"] = []string{"10 mx.a.jp."}
	_, state = dnscheck.Compare(nil, []dnscheck.Result{partial})
	if changes, _ := dnscheck.Compare(state, []dnscheck.Result{reg("a.jp", "192.0.2.1")}); len(changes) != 0 {
		t.Errorf("a missing type reported %v", kinds(changes))
	}

	// names left out of a sweep are kept in the state
	_, state = dnscheck.Compare([]dnscheck.Result{reg("x.jp", "192.0.2.7")}, []dnscheck.Result{reg("y.jp")})
	if len(state) != 2 || state[1].Name != "x.jp" {
		t.Errorf("state %+v", state)
	}
}
