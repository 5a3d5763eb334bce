package monitor

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/renkei-dev/renkei/internal/dnscheck/dnstest"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// byAsset indexes findings as "asset key=problem|ok".
func byAsset(fs []Finding) map[string]Finding {
	out := map[string]Finding{}
	for _, f := range fs {
		p := "ok"
		if f.Problem {
			p = "problem"
		}
		out[fmt.Sprintf("%d %s=%s", f.AssetID, f.Key, p)] = f
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func wantFindings(t *testing.T, got []Finding, want ...string) map[string]Finding {
	t.Helper()
	m := byAsset(got)
	slices.Sort(want)
	if ks := sortedKeys(m); !slices.Equal(ks, want) {
		t.Fatalf("findings\n got %q\nwant %q", ks, want)
	}
	return m
}

func TestHTTPLiveness(t *testing.T) {
	var flaky, downStatus atomic.Int64
	downStatus.Store(503)
	var slowDelay atomic.Int64
	slowDelay.Store(int64(1500 * time.Millisecond))
	var mu sync.Mutex
	hits := map[string]int{}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		switch r.URL.Path {
		case "/up":
			fmt.Fprint(w, "<h1>東都電力へようこそ</h1>")
		case "/flaky": // fails once, then works: the confirmation re-check saves it
			if flaky.Add(1) == 1 {
				w.WriteHeader(502)
				return
			}
			fmt.Fprint(w, "ok")
		case "/down":
			w.WriteHeader(int(downStatus.Load()))
		case "/r1":
			http.Redirect(w, r, "/r2", http.StatusFound)
		case "/r2":
			http.Redirect(w, r, "/up", http.StatusMovedPermanently)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/slow":
			time.Sleep(time.Duration(slowDelay.Load()))
			fmt.Fprint(w, "ok")
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	db := testdb.SQLite(t)
	clk := newClock()
	targets := &fakeTargets{}
	targets.set(
		Target{AssetID: 1, OrgID: 1, Kind: KindURL, Value: srv.URL + "/up", Expect: "ようこそ"},
		Target{AssetID: 2, OrgID: 1, Kind: KindURL, Value: srv.URL + "/flaky"},
		Target{AssetID: 3, OrgID: 2, Kind: KindURL, Value: srv.URL + "/down"},
		Target{AssetID: 4, OrgID: 2, Kind: KindURL, Value: srv.URL + "/r1", Expect: "missing text"},
		Target{AssetID: 5, OrgID: 3, Kind: KindURL, Value: srv.URL + "/loop"},
		Target{AssetID: 6, OrgID: 3, Kind: KindURL, Value: srv.URL + "/slow"},
	)
	s := &sink{t: t}
	cfg := testConfig(clk)
	cfg.HTTPSlow = time.Second // far above a local answer, even under a loaded race detector
	cfg.HTTPMaxRedirects = 3
	m := newMonitor(t, db, cfg, targets, s)
	sweep(t, m)
	got := wantFindings(t, s.take(), "3 http:down=problem", "4 http:content=problem", "5 http:down=problem", "6 http:slow=problem")
	if f := got["3 http:down=problem"]; f.Severity != SevHigh || f.Evidence["status"] != "503" ||
		f.Evidence["first_attempt"] != "HTTP 503" || !strings.Contains(f.BodyJA, "HTTP 503") || !strings.Contains(f.TitleEN, srv.URL+"/down") {
		t.Errorf("down finding: %+v", f)
	}
	if f := got["4 http:content=problem"]; f.Evidence["redirects"] != "2" || f.Evidence["final_url"] != srv.URL+"/up" ||
		!strings.Contains(f.BodyEN, `"missing text"`) {
		t.Errorf("redirects and content: %+v", f)
	}
	if f := got["5 http:down=problem"]; !strings.Contains(f.Evidence["error"], "too many redirects") {
		t.Errorf("redirect loop: %+v", f.Evidence)
	}
	mu.Lock()
	if hits["/down"] != 2 || hits["/flaky"] != 2 || hits["/up"] != 2 {
		t.Errorf("requests: %v (a down site is asked twice; /up once itself, once through /r1)", hits)
	}
	mu.Unlock()

	// The site comes back and gets fast: each problem is reported as recovered, once.
	downStatus.Store(200)
	slowDelay.Store(0)
	clk.advance(time.Hour)
	sweep(t, m)
	got = wantFindings(t, s.take(), "3 http:down=ok", "4 http:content=problem", "5 http:down=problem", "6 http:slow=ok")
	if f := got["3 http:down=ok"]; f.Severity != SevInfo || !strings.Contains(f.TitleEN, "back up") {
		t.Errorf("recovery: %+v", f)
	}
	clk.advance(time.Hour)
	sweep(t, m)
	wantFindings(t, s.take(), "4 http:content=problem", "5 http:down=problem")
}

// selfSigned makes a certificate valid from an hour ago for the given time, for names
// (IP addresses or DNS names).
func selfSigned(t *testing.T, valid time.Duration, names ...string) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0], Organization: []string{"Renkei test"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(valid),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, cert
}

// tlsServer serves HTTPS on 127.0.0.1 with a certificate the test can swap.
func tlsServer(t *testing.T, cert tls.Certificate) (*httptest.Server, *atomic.Pointer[tls.Certificate]) {
	var cur atomic.Pointer[tls.Certificate]
	cur.Store(&cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	// Asked for every connection, with or without SNI (httptest's own certificate would
	// otherwise answer connections to an IP address).
	srv.TLS = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return &tls.Config{Certificates: []tls.Certificate{*cur.Load()}}, nil
	}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &cur
}

func TestTLSCertificates(t *testing.T) {
	nearCert, near := selfSigned(t, 10*24*time.Hour, "127.0.0.1", "localhost")
	otherCert, _ := selfSigned(t, 200*24*time.Hour, "other.example")
	a, cur := tlsServer(t, nearCert)
	b, _ := tlsServer(t, otherCert)
	db := testdb.SQLite(t)
	clk := newClock()
	targets := &fakeTargets{}
	targets.set(Target{AssetID: 1, OrgID: 1, Kind: KindURL, Value: a.URL + "/"},
		Target{AssetID: 2, OrgID: 2, Kind: KindURL, Value: b.URL + "/"})
	s := &sink{t: t}
	cfg := testConfig(clk)
	m := newMonitor(t, db, cfg, targets, s)
	if n := sweep(t, m); n != 4 {
		t.Fatalf("%d checks ran, want liveness and TLS of two URLs", n)
	}
	// The liveness check ignores certificates: both sites are up.
	got := wantFindings(t, s.take(), "1 tls:chain=problem", "1 tls:expiry=problem", "2 tls:chain=problem", "2 tls:hostname=problem")
	if f := got["1 tls:expiry=problem"]; f.Severity != SevMedium || !strings.Contains(f.TitleJA, "残り 9 日") && !strings.Contains(f.TitleJA, "残り 10 日") {
		t.Errorf("10 days left: %s %q", f.Severity, f.TitleJA)
	}
	if f := got["2 tls:hostname=problem"]; !strings.Contains(f.BodyEN, "other.example") || f.Severity != SevHigh {
		t.Errorf("hostname mismatch: %+v", f)
	}

	// Trusting the test certificates, and 8 days later (2 left): worse expiry, chain fine.
	roots := x509.NewCertPool()
	roots.AddCert(near)
	cfg.RootCAs = roots
	m = newMonitor(t, db, cfg, targets, s)
	clk.advance(8 * 24 * time.Hour)
	sweep(t, m)
	got = wantFindings(t, s.take(), "1 tls:chain=ok", "1 tls:expiry=problem", "2 tls:chain=problem", "2 tls:hostname=problem")
	if f := got["1 tls:expiry=problem"]; f.Severity != SevHigh {
		t.Errorf("2 days left is %s", f.Severity)
	}

	// Renewed: the expiry condition recovers.
	renewed, renewedX := selfSigned(t, 90*24*time.Hour, "127.0.0.1")
	roots.AddCert(renewedX)
	cur.Store(&renewed)
	clk.advance(7 * time.Hour)
	sweep(t, m)
	got = wantFindings(t, s.take(), "1 tls:expiry=ok", "2 tls:chain=problem", "2 tls:hostname=problem")
	if f := got["1 tls:expiry=ok"]; !strings.Contains(f.TitleEN, "renewed") {
		t.Errorf("renewal: %q", f.TitleEN)
	}
}

func TestExpirySeverity(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		left time.Duration
		want string
	}{{-time.Hour, SevCritical}, {time.Hour, SevHigh}, {7 * day, SevHigh}, {8 * day, SevMedium}, {14 * day, SevMedium},
		{20 * day, SevLow}, {30 * day, SevLow}, {31 * day, ""}} {
		if got := expirySeverity(c.left, []int{30, 14, 7}); got != c.want {
			t.Errorf("%s left: %q, want %q", c.left, got, c.want)
		}
	}
}

func startDNS(t testing.TB) *dnstest.Server {
	t.Helper()
	s, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDNSChanges(t *testing.T) {
	d := startDNS(t)
	if err := d.Add("toto-power.jp. 300 IN A 192.0.2.10", "toto-power.jp. 300 IN NS ns1.toto-power.jp.",
		"toto-power.jp. 300 IN MX 10 mx.toto-power.jp.", "kanto-gas.jp. 300 IN A 192.0.2.20"); err != nil {
		t.Fatal(err)
	}
	db := testdb.SQLite(t)
	clk := newClock()
	targets := &fakeTargets{}
	targets.set(Target{AssetID: 1, OrgID: 1, Kind: KindDomain, Value: "toto-power.jp"},
		Target{AssetID: 2, OrgID: 2, Kind: KindDomain, Value: "kanto-gas.jp"})
	s := &sink{t: t}
	cfg := testConfig(clk)
	cfg.Resolver = d.Addr
	cfg.LookalikeFamilies = []string{"omission"}
	m := newMonitor(t, db, cfg, targets, s)
	sweep(t, m)
	wantFindings(t, s.take()) // the first sweep records the baseline
	step := func() []Finding {
		clk.advance(25 * time.Hour)
		sweep(t, m)
		return s.take()
	}
	// An A record added: a change, reported once; the NS and MX records are unchanged.
	d.Add("toto-power.jp. 300 IN A 192.0.2.11")
	got := wantFindings(t, step(), "1 dns:a=problem")
	f := got["1 dns:a=problem"]
	if f.Evidence["added"] != "192.0.2.11" || f.Evidence["before"] != "192.0.2.10" || f.Severity != SevMedium ||
		!strings.Contains(f.BodyEN, "Before: 192.0.2.10 / after: 192.0.2.10, 192.0.2.11") || f.Evidence["fingerprint"] == "" {
		t.Errorf("A change: %+v", f)
	}
	wantFindings(t, step())
	// The resolver fails: nothing is concluded, the baseline stands.
	d.ServFail("toto-power.jp")
	wantFindings(t, step())
	d.Heal("toto-power.jp")
	wantFindings(t, step())
	// NXDOMAIN is critical, until the name resolves again.
	d.Fail(dns.RcodeNameError, 0, "kanto-gas.jp")
	got = wantFindings(t, step(), "2 dns:nxdomain=problem")
	if got["2 dns:nxdomain=problem"].Severity != SevCritical {
		t.Errorf("NXDOMAIN: %+v", got)
	}
	wantFindings(t, step(), "2 dns:nxdomain=problem")
	d.Heal("kanto-gas.jp")
	wantFindings(t, step(), "2 dns:nxdomain=ok")
	wantFindings(t, step())
	var dnsErr string
	for _, c := range checks(t, db) {
		if c.Check == CheckDNS && c.AssetID == 1 {
			dnsErr = c.LastError
		}
	}
	if dnsErr != "" {
		t.Errorf("last error after healing: %q", dnsErr)
	}
}

// TestPortsOnlyRegisteredAddresses proves that the port check connects to the registered
// address and the addresses of registered ranges only: a listener on an address nobody
// registered is never reached, and every dial is recorded.
func TestPortsOnlyRegisteredAddresses(t *testing.T) {
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	port := open.Addr().(*net.TCPAddr).Port
	// Same port on another loopback address that is not registered.
	var strayHits atomic.Int64
	stray, err := net.Listen("tcp", fmt.Sprintf("127.0.0.2:%d", port))
	if err != nil {
		t.Skipf("no 127.0.0.2 here: %v", err)
	}
	defer stray.Close()
	go func() {
		for {
			c, err := stray.Accept()
			if err != nil {
				return
			}
			strayHits.Add(1)
			c.Close()
		}
	}()
	go func() {
		for {
			c, err := open.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	// A closed port: listen, note the port, close.
	l2, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := l2.Addr().(*net.TCPAddr).Port
	l2.Close()

	var mu sync.Mutex
	dialed := map[string]int{}
	var d net.Dialer
	db := testdb.SQLite(t)
	clk := newClock()
	targets := &fakeTargets{}
	targets.set(
		Target{AssetID: 1, OrgID: 1, Kind: KindIP, Value: "127.0.0.1"},
		Target{AssetID: 2, OrgID: 2, Kind: KindCIDR, Value: "127.0.1.0/30"},
		Target{AssetID: 3, OrgID: 2, Kind: KindCIDR, Value: "127.1.0.0/16"}, // too large: never scanned
		Target{AssetID: 4, OrgID: 3, Kind: KindDomain, Value: "example.jp"}, // no resolver: no checks
		Target{AssetID: 5, OrgID: 3, Kind: KindKeyword, Value: "127.0.0.2"},
	)
	s := &sink{t: t}
	cfg := testConfig(clk)
	cfg.Ports = []int{port, closedPort}
	cfg.MaxCIDRAddresses = 16
	cfg.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed[addr]++
		mu.Unlock()
		return d.DialContext(ctx, network, addr)
	}
	m := newMonitor(t, db, cfg, targets, s)
	if n := sweep(t, m); n != 3 {
		t.Fatalf("%d checks ran, want a port check of the IP and of the two ranges", n)
	}
	got := wantFindings(t, s.take(), fmt.Sprintf("1 port:%d=problem", port))
	if f := got[fmt.Sprintf("1 port:%d=problem", port)]; f.Evidence["address"] != "127.0.0.1" || !strings.Contains(f.TitleJA, "127.0.0.1") {
		t.Errorf("open port: %+v", f)
	}
	want := map[string]int{}
	for _, a := range []string{"127.0.0.1", "127.0.1.0", "127.0.1.1", "127.0.1.2", "127.0.1.3"} {
		for _, p := range []int{port, closedPort} {
			want[net.JoinHostPort(a, fmt.Sprint(p))] = 1
		}
	}
	mu.Lock()
	if !mapsEqual(dialed, want) {
		t.Errorf("dialled %v\nwant %v", dialed, want)
	}
	mu.Unlock()
	if strayHits.Load() != 0 {
		t.Errorf("the unregistered 127.0.0.2 was connected to %d times", strayHits.Load())
	}
	for _, c := range checks(t, db) {
		if c.AssetID == 3 && !strings.Contains(c.LastError, "range too large") {
			t.Errorf("a /16 with a limit of 16 addresses: %q", c.LastError)
		}
	}
	// Even called directly, the dialler refuses an address that is not the target's.
	if _, err := m.dialPort(context.Background(), nil, netipAddrPort(t, "127.0.0.2", port)); err == nil {
		t.Error("dialPort accepted an unregistered address")
	}

	// The service is closed: reported once as no longer exposed.
	open.Close()
	clk.advance(25 * time.Hour)
	sweep(t, m)
	wantFindings(t, s.take(), fmt.Sprintf("1 port:%d=ok", port))
	clk.advance(25 * time.Hour)
	sweep(t, m)
	wantFindings(t, s.take())
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestTargetAddrs(t *testing.T) {
	for _, c := range []struct {
		kind, value string
		n           int
		err         bool
	}{
		{KindIP, "192.0.2.1", 1, false}, {KindIP, "::ffff:192.0.2.1", 1, false}, {KindIP, "example.jp", 0, true},
		{KindCIDR, "192.0.2.0/24", 256, false}, {KindCIDR, "192.0.2.7/29", 8, false}, {KindCIDR, "192.0.0.0/23", 0, true},
		{KindCIDR, "2001:db8::/120", 256, false}, {KindCIDR, "2001:db8::/64", 0, true}, {KindCIDR, "0.0.0.0/0", 0, true},
		{KindDomain, "example.jp", 0, true},
	} {
		got, err := targetAddrs(c.kind, c.value, 256)
		if (err != nil) != c.err || len(got) != c.n {
			t.Errorf("%s %s: %d addresses, %v", c.kind, c.value, len(got), err)
		}
	}
}

// TestFailedReportIsRetried: when the sink fails, the state is not saved, so the next
// run reports the same again.
func TestFailedReportIsRetried(t *testing.T) {
	srv := newHitServer(t)
	srv.setStatus("/site/0", 500)
	db := testdb.SQLite(t)
	clk := newClock()
	targets := &fakeTargets{}
	targets.set(urlTargets(srv.URL, 1)...)
	s := &sink{t: t}
	m := newMonitor(t, db, testConfig(clk), targets, s)
	sweep(t, m)
	wantFindings(t, s.take(), "1 http:down=problem")
	srv.setStatus("/site/0", 200)
	s.fail.Store(true)
	clk.advance(time.Hour)
	sweep(t, m)
	if c := checks(t, db)[0]; !strings.Contains(c.LastError, "sink down") {
		t.Errorf("last error %q", c.LastError)
	}
	st, err := m.Status(context.Background())
	if err != nil || len(st) != 1 || st[0].Check != CheckHTTP || st[0].Total != 1 || st[0].Failing != 1 || st[0].Due != 0 || st[0].LastRun.IsZero() {
		t.Errorf("status %+v, %v", st, err)
	}
	s.fail.Store(false)
	clk.advance(time.Hour)
	if st, _ := m.Status(context.Background()); st[0].Due != 1 {
		t.Errorf("status once due: %+v", st)
	}
	sweep(t, m)
	wantFindings(t, s.take(), "1 http:down=ok") // the recovery was not lost
}

func netipAddrPort(t *testing.T, addr string, port int) netip.AddrPort {
	t.Helper()
	return netip.AddrPortFrom(netip.MustParseAddr(addr), uint16(port))
}

// TestURLHostsResolveThroughTheConfiguredResolver: a URL's host name is looked up on the
// configured resolver, not the system's.
func TestURLHostsResolveThroughTheConfiguredResolver(t *testing.T) {
	srv := newHitServer(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	d := startDNS(t)
	d.Add("www.toto-power.test. 60 IN A 127.0.0.1")
	db := testdb.SQLite(t)
	clk := newClock()
	targets := &fakeTargets{}
	targets.set(Target{AssetID: 1, OrgID: 1, Kind: KindURL, Value: "http://www.toto-power.test:" + port + "/home"})
	s := &sink{t: t}
	cfg := testConfig(clk)
	cfg.Resolver = d.Addr
	m := newMonitor(t, db, cfg, targets, s)
	sweep(t, m)
	wantFindings(t, s.take())
	if srv.hitsFor("/home") != 1 || d.QueriesFor("www.toto-power.test") == 0 {
		t.Errorf("%d requests, %d queries", srv.hitsFor("/home"), d.QueriesFor("www.toto-power.test"))
	}
}
