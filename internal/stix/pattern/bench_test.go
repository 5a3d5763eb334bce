package pattern

import "testing"

// typicalPatterns are what indicators carry in practice: mostly one comparison on an
// address, a domain, a URL or a hash, sometimes a few joined.
var typicalPatterns = []string{
	`[ipv4-addr:value = '198.51.100.23']`,
	`[domain-name:value = 'malicious.example.com']`,
	`[url:value = 'http://malicious.example.com/path/to/payload.exe?id=12345']`,
	`[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`,
	`[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f' OR file:hashes.'SHA-1' = '2fd4e1c67a2d28fced849ee1bb76e7391b93eb12']`,
	`[email-addr:value = 'phish@bad.example']`,
	`[ipv4-addr:value ISSUBSET '203.0.113.0/24']`,
	`[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_port = 443] REPEATS 5 TIMES WITHIN 300 SECONDS`,
}

// BenchmarkParse reports patterns per second on one core; the target is 200,000.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := Parse(typicalPatterns[n%len(typicalPatterns)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "patterns/s")
}

func BenchmarkString(b *testing.B) {
	ps := make([]*Pattern, len(typicalPatterns))
	for i, s := range typicalPatterns {
		ps[i], _ = Parse(s)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		_ = ps[n%len(ps)].String()
		n++
	}
}
