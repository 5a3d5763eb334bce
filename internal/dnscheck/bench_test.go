package dnscheck_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/dnscheck"
	"github.com/renkei-dev/renkei/internal/lookalike"
)

// candidates returns n lookalike names of a few domains; every 20th is registered on s with
// the four record types asked, the rest are NXDOMAIN.
func candidates(b *testing.B, s interface{ Add(...string) error }, n int) []string {
	var names []string
	for _, d := range []string{"example.co.jp", "mizuhobank.co.jp", "tokyo2020.jp", "jpcert.or.jp"} {
		cs, err := lookalike.Generate(d, lookalike.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range cs {
			if len(names) == n {
				break
			}
			names = append(names, c.Domain)
		}
	}
	if len(names) < n {
		b.Fatalf("only %d candidates", len(names))
	}
	for i := 0; i < n; i += 20 {
		d := names[i] + "."
		if err := s.Add(d+" 60 IN A 192.0.2.1", d+" 60 IN AAAA 2001:db8::1", d+" 60 IN NS ns.example.net.", d+" 60 IN MX 10 mx.example.net."); err != nil {
			b.Fatal(err)
		}
	}
	return names
}

// BenchmarkCheck10000 resolves 10,000 lookalike candidates against the local server with
// the rate limit off (the issue asks for at most 10 s).
func BenchmarkCheck10000(b *testing.B) {
	for _, conc := range []int{dnscheck.DefaultConcurrency, 128} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			s := startServer(b)
			names := candidates(b, s, 10000)
			r := newResolver(b, dnscheck.Config{Server: s.Addr, Concurrency: conc})
			for b.Loop() {
				start := time.Now()
				res, err := r.CheckAll(context.Background(), names)
				if err != nil {
					b.Fatal(err)
				}
				reg := 0
				for _, x := range res {
					switch x.Status {
					case dnscheck.Registered:
						reg++
					case dnscheck.Unknown:
						b.Fatalf("%+v", x)
					}
				}
				if reg != 500 {
					b.Fatalf("%d registered, want 500", reg)
				}
				b.ReportMetric(time.Since(start).Seconds(), "s/10000names")
			}
			b.ReportMetric(float64(s.Queries())/float64(b.N), "queries/op")
		})
	}
}
