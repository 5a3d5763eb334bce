package dnscheck_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/renkei-dev/renkei/internal/dnscheck"
	"github.com/renkei-dev/renkei/internal/dnscheck/dnstest"
)

func startServer(t testing.TB, records ...string) *dnstest.Server {
	t.Helper()
	s, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Add(records...); err != nil {
		t.Fatal(err)
	}
	return s
}

func newResolver(t testing.TB, cfg dnscheck.Config) *dnscheck.Resolver {
	t.Helper()
	r, err := dnscheck.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var zone = []string{
	"reg.jp. 300 IN A 192.0.2.1",
	"reg.jp. 300 IN A 192.0.2.2",
	"reg.jp. 300 IN AAAA 2001:db8::1",
	"reg.jp. 300 IN NS ns1.example.net.",
	"reg.jp. 300 IN MX 10 mail.reg.jp.",
	"deleg.jp. 300 IN NS ns1.example.net.",
	"deleg.jp. 300 IN NS ns2.example.net.",
	"nodata.jp. 300 IN TXT \"exists\"",
	"mixed.jp. 300 IN A 192.0.2.9",
}

func TestClassify(t *testing.T) {
	s := startServer(t, zone...)
	s.ServFail("fail.jp")
	s.Refuse("refused.jp")
	s.ServFail("mixed.jp MX")
	r := newResolver(t, dnscheck.Config{Server: s.Addr, Timeout: 500 * time.Millisecond})
	ctx := context.Background()

	got := r.Check(ctx, "REG.jp.")
	want := dnscheck.Result{Name: "reg.jp", Status: dnscheck.Registered, Rcode: "NOERROR", Records: map[string][]string{
		"A": {"192.0.2.1", "192.0.2.2"}, "AAAA": {"2001:db8::1"}, "NS": {"ns1.example.net."}, "MX": {"10 mail.reg.jp."},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reg.jp:\n got %+v\nwant %+v", got, want)
	}

	// a delegation (a referral, as a parent zone's server gives) is registered
	got = r.Check(ctx, "deleg.jp")
	if got.Status != dnscheck.Registered || !reflect.DeepEqual(got.Records["NS"], []string{"ns1.example.net.", "ns2.example.net."}) || len(got.Records["A"]) != 0 {
		t.Errorf("deleg.jp: %+v", got)
	}

	// NOERROR without data: the name exists
	got = r.Check(ctx, "nodata.jp")
	if got.Status != dnscheck.Registered || len(got.Records) != 4 || got.Error != "" {
		t.Errorf("nodata.jp: %+v", got)
	}

	// NXDOMAIN settles the name with the first query
	got = r.Check(ctx, "free.jp")
	if got.Status != dnscheck.Unregistered || got.Rcode != "NXDOMAIN" || got.Records != nil || s.QueriesFor("free.jp") != 1 {
		t.Errorf("free.jp: %+v after %d queries", got, s.QueriesFor("free.jp"))
	}

	// SERVFAIL is never registered; each type is tried 1 + 1 retry times
	got = r.Check(ctx, "fail.jp")
	if got.Status != dnscheck.Unknown || got.Error != "SERVFAIL" || got.Records != nil || s.QueriesFor("fail.jp") != 8 {
		t.Errorf("fail.jp: %+v after %d queries", got, s.QueriesFor("fail.jp"))
	}

	// REFUSED is unknown and not retried
	got = r.Check(ctx, "refused.jp")
	if got.Status != dnscheck.Unknown || got.Error != "REFUSED" || s.QueriesFor("refused.jp") != 4 {
		t.Errorf("refused.jp: %+v after %d queries", got, s.QueriesFor("refused.jp"))
	}

	// records for some types and SERVFAIL for one: registered, marked incomplete, and the
	// failed type is absent rather than empty
	got = r.Check(ctx, "mixed.jp")
	if _, hasMX := got.Records["MX"]; got.Status != dnscheck.Registered || hasMX || !strings.Contains(got.Error, "incomplete") {
		t.Errorf("mixed.jp: %+v", got)
	}

	got = r.Check(ctx, "not a name..jp")
	if got.Status != dnscheck.Unknown || got.Error != "not a domain name" {
		t.Errorf("bad name: %+v", got)
	}
}

func TestTimeoutIsUnknown(t *testing.T) {
	s := startServer(t, zone...)
	s.Silent("silent.jp")
	r := newResolver(t, dnscheck.Config{Server: s.Addr, Timeout: 100 * time.Millisecond, Types: []uint16{dns.TypeA}})
	got := r.Check(context.Background(), "silent.jp")
	if got.Status != dnscheck.Unknown || got.Error != "timeout" || s.QueriesFor("silent.jp") != 2 {
		t.Errorf("silent.jp: %+v after %d queries", got, s.QueriesFor("silent.jp"))
	}
	// nothing listens: a network error or a timeout, unknown either way
	s.Close()
	got = r.Check(context.Background(), "reg.jp")
	if got.Status != dnscheck.Unknown || got.Error == "" {
		t.Errorf("no server: %+v", got)
	}
}

func TestRetryRecovers(t *testing.T) {
	s := startServer(t, zone...)
	s.Fail(dns.RcodeServerFailure, 1, "reg.jp A")
	r := newResolver(t, dnscheck.Config{Server: s.Addr, Types: []uint16{dns.TypeA}})
	if got := r.Check(context.Background(), "reg.jp"); got.Status != dnscheck.Registered || len(got.Records["A"]) != 2 {
		t.Errorf("after one SERVFAIL and a retry: %+v", got)
	}
	s.Fail(dns.RcodeServerFailure, 1, "reg.jp A")
	none := newResolver(t, dnscheck.Config{Server: s.Addr, Types: []uint16{dns.TypeA}, Retries: -1})
	if got := none.Check(context.Background(), "reg.jp"); got.Status != dnscheck.Unknown {
		t.Errorf("without retries: %+v", got)
	}
}

// TestTruncatedAnswerOverTCP: an answer too large for UDP is fetched again over TCP.
func TestTruncatedAnswerOverTCP(t *testing.T) {
	var rrs []string
	for i := range 120 {
		rrs = append(rrs, fmt.Sprintf("big.jp. 300 IN A 192.0.2.%d", i))
	}
	s := startServer(t, rrs...)
	r := newResolver(t, dnscheck.Config{Server: s.Addr, Types: []uint16{dns.TypeA}})
	if got := r.Check(context.Background(), "big.jp"); got.Status != dnscheck.Registered || len(got.Records["A"]) != 120 {
		t.Errorf("big.jp: %s with %d records", got.Status, len(got.Records["A"]))
	}
}

func TestCheckAllKeepsOrder(t *testing.T) {
	s := startServer(t, zone...)
	r := newResolver(t, dnscheck.Config{Server: s.Addr, Concurrency: 3})
	names := []string{"free1.jp", "reg.jp", "free2.jp", "deleg.jp", "free3.jp"}
	res, err := r.CheckAll(context.Background(), names)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		want := dnscheck.Unregistered
		if !strings.HasPrefix(n, "free") {
			want = dnscheck.Registered
		}
		if res[i].Name != n || res[i].Status != want {
			t.Errorf("%d: %+v, want %s %s", i, res[i], n, want)
		}
	}
}

// TestRateLimit: 40 names of one query each at 50 per second take at least 0.6 s (a burst
// of 5, then one every 20 ms); without a limit they take far less.
func TestRateLimit(t *testing.T) {
	s := startServer(t)
	names := make([]string, 40)
	for i := range names {
		names[i] = fmt.Sprintf("n%d.jp", i)
	}
	limited := newResolver(t, dnscheck.Config{Server: s.Addr, Rate: 50})
	start := time.Now()
	if _, err := limited.CheckAll(context.Background(), names); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 600*time.Millisecond {
		t.Errorf("40 queries at 50/s took %s", took)
	}
	if s.Queries() != 40 {
		t.Errorf("%d queries, want 40", s.Queries())
	}
}

// TestConcurrencyBound: with 4 at once, 8 names that time out take two rounds.
func TestConcurrencyBound(t *testing.T) {
	s := startServer(t)
	var names []string
	for i := range 8 {
		names = append(names, fmt.Sprintf("quiet%d.jp", i))
	}
	s.Silent(names...)
	r := newResolver(t, dnscheck.Config{Server: s.Addr, Concurrency: 4, Timeout: 150 * time.Millisecond, Retries: -1, Types: []uint16{dns.TypeA}})
	start := time.Now()
	res, err := r.CheckAll(context.Background(), names)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("8 timeouts, 4 at once, took %s: more than 4 ran at once", took)
	}
	for _, x := range res {
		if x.Status != dnscheck.Unknown {
			t.Errorf("%+v", x)
		}
	}
}

func TestEachStopsWithContext(t *testing.T) {
	s := startServer(t)
	names := make([]string, 200)
	for i := range names {
		names[i] = fmt.Sprintf("n%d.jp", i)
	}
	s.Silent(names...)
	r := newResolver(t, dnscheck.Config{Server: s.Addr, Concurrency: 2, Timeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	n := 0
	err := r.Each(ctx, names, func(int, dnscheck.Result) { n++ })
	if !errors.Is(err, context.DeadlineExceeded) || n != 0 {
		t.Errorf("err %v after %d results", err, n)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, c := range []dnscheck.Config{
		{Server: "127.0.0.1"},
		{Server: "127.0.0.1:53", Rate: -1},
		{Server: "127.0.0.1:53", Concurrency: dnscheck.MaxConcurrency + 1},
		{Server: "127.0.0.1:53", Timeout: time.Hour},
		{Server: "127.0.0.1:53", Retries: dnscheck.MaxRetries + 1},
		{Server: "127.0.0.1:53", Types: []uint16{65000}},
	} {
		if _, err := dnscheck.New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
