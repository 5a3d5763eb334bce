package monitor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/renkei-dev/renkei/internal/config"
	"github.com/renkei-dev/renkei/internal/lookalike"
)

// DefaultPorts are the risky services the port check looks for: file sharing, remote
// desktops and shells, and databases or caches that should never face the Internet.
var DefaultPorts = []int{21, 23, 135, 139, 445, 1433, 2375, 3306, 3389, 5432, 5900, 5985, 6379, 9200, 11211, 27017}

// Limits of Config.
const (
	MaxConcurrency     = 1024
	MaxCIDRAddresses   = 65536
	MaxCandidatesLimit = 200000
	MaxPorts           = 256
)

// Config says how the monitors run. The zero value of a field means its default (see
// Defaults); Validate reports values out of range.
type Config struct {
	// Scheduling.
	Concurrency int           // checks running at once on this node
	Batch       int           // checks claimed per database round trip; 0 means Concurrency
	HostRate    float64       // connections (HTTP requests, TLS handshakes, TCP connects) per second to one host; < 0: no limit
	HostBurst   int           // connections to one host allowed at once before HostRate applies
	Lease       time.Duration // a claimed check is another node's to take only after this; must exceed every check's timeout
	Poll        time.Duration // how often Run looks for due checks
	SyncEvery   time.Duration // how often Run re-reads the approved assets
	Jitter      float64       // up to this fraction of the interval is added to or taken from each next run (0 to 0.5)

	// How often each check runs.
	HTTPInterval      time.Duration
	TLSInterval       time.Duration
	DNSInterval       time.Duration
	PortInterval      time.Duration
	LookalikeInterval time.Duration
	CTInterval        time.Duration

	// Timeouts of one run of a check (the lookalike sweep has its own).
	CheckTimeout     time.Duration
	LookalikeTimeout time.Duration

	// HTTP(S) liveness.
	HTTPTimeout      time.Duration // one request, redirects included
	HTTPSlow         time.Duration // a slower answer is reported as slow
	HTTPMaxRedirects int
	HTTPMaxBody      int64         // bytes of the page searched for the expected text
	ConfirmDelay     time.Duration // wait before the re-check that confirms a site is down
	UserAgent        string

	// TLS.
	TLSTimeout  time.Duration
	TLSWarnDays []int          // days before expiry that raise a warning, e.g. 30, 14, 7
	RootCAs     *x509.CertPool // trusted roots; nil means the system's

	// DNS and lookalike domains: the resolver and its limits (see internal/dnscheck).
	// With no Resolver, domains get neither DNS nor lookalike checks.
	Resolver       string  // host:port
	DNSRate        float64 // queries per second to the resolver; 0 means no limit (Defaults: 50)
	DNSConcurrency int
	DNSTimeout     time.Duration
	DNSRetries     int

	// Exposed services: only registered IP addresses and the addresses of registered CIDR
	// ranges are ever connected to. A range with more addresses than MaxCIDRAddresses is
	// not scanned at all.
	Ports            []int
	PortTimeout      time.Duration
	PortConcurrency  int // connections at once within one check
	MaxCIDRAddresses int

	// Lookalike sweeps.
	LookalikeFamilies []string // nil means every family of internal/lookalike
	MaxCandidates     int      // candidates resolved per registered domain

	// Certificate Transparency: new certificate names matched against brand keywords.
	// nil means keywords are not watched.
	CT CTSource

	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Dial opens every HTTP, TLS and port-check connection; nil means a net.Dialer that
	// resolves host names through Resolver when it is set (else the system's resolver).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Defaults returns the default settings.
func Defaults() Config {
	return Config{
		Concurrency: 32,
		HostRate:    2,
		HostBurst:   2,
		Lease:       20 * time.Minute,
		Poll:        5 * time.Second,
		SyncEvery:   5 * time.Minute,
		Jitter:      0.1,

		HTTPInterval:      5 * time.Minute,
		TLSInterval:       6 * time.Hour,
		DNSInterval:       time.Hour,
		PortInterval:      24 * time.Hour,
		LookalikeInterval: 24 * time.Hour,
		CTInterval:        10 * time.Minute,

		CheckTimeout:     5 * time.Minute,
		LookalikeTimeout: 15 * time.Minute,

		HTTPTimeout:      15 * time.Second,
		HTTPSlow:         5 * time.Second,
		HTTPMaxRedirects: 5,
		HTTPMaxBody:      1 << 20,
		ConfirmDelay:     30 * time.Second,
		UserAgent:        "Renkei-Monitor/1 (+liveness check)",

		TLSTimeout:  15 * time.Second,
		TLSWarnDays: []int{30, 14, 7},

		DNSRate:        50,
		DNSConcurrency: 32,
		DNSTimeout:     2 * time.Second,
		DNSRetries:     1,

		Ports:            DefaultPorts,
		PortTimeout:      3 * time.Second,
		PortConcurrency:  16,
		MaxCIDRAddresses: 256,

		MaxCandidates: 20000,
	}
}

// FromSettings returns the monitor configuration of the server's settings (the
// --monitor-* flags); everything they do not name keeps its default.
func FromSettings(s config.Config) Config {
	c := Defaults()
	c.Resolver = s.MonitorResolver
	c.Concurrency = s.MonitorConcurrency
	c.HostRate = s.MonitorHostRate
	c.DNSRate = s.MonitorDNSRate
	if s.MonitorPorts != nil {
		c.Ports = s.MonitorPorts
	}
	return c
}

// withDefaults fills the zero fields from Defaults.
func (c Config) withDefaults() Config {
	d := Defaults()
	if c.Concurrency == 0 {
		c.Concurrency = d.Concurrency
	}
	if c.Batch == 0 {
		c.Batch = c.Concurrency
	}
	if c.HostRate == 0 {
		c.HostRate = d.HostRate
	}
	if c.HostBurst == 0 {
		c.HostBurst = d.HostBurst
	}
	durations := []struct{ v, def *time.Duration }{
		{&c.Lease, &d.Lease}, {&c.Poll, &d.Poll}, {&c.SyncEvery, &d.SyncEvery},
		{&c.HTTPInterval, &d.HTTPInterval}, {&c.TLSInterval, &d.TLSInterval}, {&c.DNSInterval, &d.DNSInterval},
		{&c.PortInterval, &d.PortInterval}, {&c.LookalikeInterval, &d.LookalikeInterval}, {&c.CTInterval, &d.CTInterval},
		{&c.CheckTimeout, &d.CheckTimeout}, {&c.LookalikeTimeout, &d.LookalikeTimeout},
		{&c.HTTPTimeout, &d.HTTPTimeout}, {&c.HTTPSlow, &d.HTTPSlow}, {&c.TLSTimeout, &d.TLSTimeout},
		{&c.DNSTimeout, &d.DNSTimeout}, {&c.PortTimeout, &d.PortTimeout},
	}
	for _, p := range durations {
		if *p.v == 0 {
			*p.v = *p.def
		}
	}
	if c.ConfirmDelay == 0 {
		c.ConfirmDelay = d.ConfirmDelay
	} else if c.ConfirmDelay < 0 {
		c.ConfirmDelay = 0 // re-check at once
	}
	if c.HTTPMaxRedirects == 0 {
		c.HTTPMaxRedirects = d.HTTPMaxRedirects
	}
	if c.HTTPMaxBody == 0 {
		c.HTTPMaxBody = d.HTTPMaxBody
	}
	if c.UserAgent == "" {
		c.UserAgent = d.UserAgent
	}
	if c.TLSWarnDays == nil {
		c.TLSWarnDays = d.TLSWarnDays
	}
	if c.DNSConcurrency == 0 {
		c.DNSConcurrency = d.DNSConcurrency
	}
	if c.DNSRetries == 0 {
		c.DNSRetries = d.DNSRetries
	}
	if c.Ports == nil {
		c.Ports = d.Ports
	}
	if c.PortConcurrency == 0 {
		c.PortConcurrency = d.PortConcurrency
	}
	if c.MaxCIDRAddresses == 0 {
		c.MaxCIDRAddresses = d.MaxCIDRAddresses
	}
	if c.MaxCandidates == 0 {
		c.MaxCandidates = d.MaxCandidates
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Dial == nil {
		var d net.Dialer
		if c.Resolver != "" {
			// Host names of URLs are resolved through the configured resolver too.
			resolver := c.Resolver
			d.Resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var nd net.Dialer
				return nd.DialContext(ctx, network, resolver)
			}}
		}
		c.Dial = d.DialContext
	}
	return c
}

// validate checks a Config whose defaults are filled.
func (c Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("monitor: "+format, args...)) }
	if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
		bad("concurrency %d must be 1 to %d", c.Concurrency, MaxConcurrency)
	}
	if c.Batch < 1 || c.Batch > 500 {
		bad("batch %d must be 1 to 500", c.Batch)
	}
	if c.HostBurst < 1 {
		bad("host burst %d must be ≥ 1", c.HostBurst)
	}
	if c.Jitter < 0 || c.Jitter > 0.5 {
		bad("jitter %g must be 0 to 0.5", c.Jitter)
	}
	for _, iv := range []time.Duration{c.HTTPInterval, c.TLSInterval, c.DNSInterval, c.PortInterval, c.LookalikeInterval, c.CTInterval} {
		if iv < time.Second {
			bad("check interval %s is under a second", iv)
		}
	}
	if c.Lease <= c.CheckTimeout || c.Lease <= c.LookalikeTimeout {
		bad("lease %s must exceed the check timeout %s and the lookalike timeout %s", c.Lease, c.CheckTimeout, c.LookalikeTimeout)
	}
	if c.CheckTimeout < 2*c.HTTPTimeout+c.ConfirmDelay {
		bad("check timeout %s must leave room for two HTTP requests (%s each) and the confirmation delay %s", c.CheckTimeout, c.HTTPTimeout, c.ConfirmDelay)
	}
	if c.HTTPMaxRedirects < 0 || c.HTTPMaxRedirects > 20 {
		bad("redirects %d must be 0 to 20", c.HTTPMaxRedirects)
	}
	if c.HTTPMaxBody < 0 || c.HTTPMaxBody > 64<<20 {
		bad("HTTP body limit %d must be 0 to 64 MiB", c.HTTPMaxBody)
	}
	for _, d := range c.TLSWarnDays {
		if d < 1 || d > 365 {
			bad("TLS warning threshold %d days must be 1 to 365", d)
		}
	}
	if c.Resolver != "" {
		if _, _, err := net.SplitHostPort(c.Resolver); err != nil {
			bad("resolver %q: want host:port", c.Resolver)
		}
	}
	if len(c.Ports) > MaxPorts {
		bad("%d ports: at most %d", len(c.Ports), MaxPorts)
	}
	for _, p := range c.Ports {
		if p < 1 || p > 65535 {
			bad("port %d out of range", p)
		}
	}
	if c.PortConcurrency < 1 || c.PortConcurrency > 256 {
		bad("port concurrency %d must be 1 to 256", c.PortConcurrency)
	}
	if c.MaxCIDRAddresses < 1 || c.MaxCIDRAddresses > MaxCIDRAddresses {
		bad("CIDR address limit %d must be 1 to %d", c.MaxCIDRAddresses, MaxCIDRAddresses)
	}
	if c.MaxCandidates < 1 || c.MaxCandidates > MaxCandidatesLimit {
		bad("candidate limit %d must be 1 to %d", c.MaxCandidates, MaxCandidatesLimit)
	}
	for _, f := range c.LookalikeFamilies {
		if !slices.Contains(lookalike.Families(), f) {
			bad("unknown lookalike family %q", f)
		}
	}
	return errors.Join(errs...)
}
