package lookalike

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time the process has used: on a machine other jobs share, it moves
// less than the wall clock, so the benchmarks report it next to ns/op.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGenerateList generates every family for each name of testdata/domains.txt;
// scripts/bench-lookalike.sh compares the time with dnstwist on the same list.
func BenchmarkGenerateList(b *testing.B) {
	domains := testDomains(b)
	tables() // built once per process; the command pays it once too
	n := 0
	start := cpuTime()
	for b.Loop() {
		n = 0
		for _, d := range domains {
			cs, err := Generate(d, Options{})
			if err != nil {
				b.Fatal(err)
			}
			n += len(cs)
		}
	}
	b.ReportMetric(float64(n), "candidates/op")
	b.ReportMetric(float64(cpuTime()-start)/1e6/float64(b.N), "cpu-ms/op")
}

// BenchmarkLongestLabel bounds the worst case: a 24-character label (the longest that
// gets two-step homoglyphs) of letters that all have look-alikes.
func BenchmarkLongestLabel(b *testing.B) {
	n := 0
	for b.Loop() {
		cs, err := Generate("abcdeghijklmnopqrstuvwxy.jp", Options{})
		if err != nil {
			b.Fatal(err)
		}
		n = len(cs)
	}
	b.ReportMetric(float64(n), "candidates/op")
}
