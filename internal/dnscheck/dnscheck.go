// Package dnscheck resolves many names through one configured resolver, with a rate
// limit, bounded concurrency, timeouts and retries, and classifies each name as
// registered, not registered or unknown. Only a clear answer counts: NXDOMAIN is "not
// registered", records or a delegation are "registered", and SERVFAIL, REFUSED, timeouts
// and network errors are "unknown" — never "registered". Compare tells what is new,
// changed or gone between two sweeps.
package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/time/rate"
)

// Status is what a sweep learned about a name.
type Status string

const (
	Registered   Status = "registered"   // records, a delegation, or the name exists
	Unregistered Status = "unregistered" // NXDOMAIN
	Unknown      Status = "unknown"      // no clear answer: SERVFAIL, REFUSED, timeout, …
)

// Defaults and limits of Config.
const (
	DefaultConcurrency = 32
	DefaultTimeout     = 2 * time.Second
	DefaultRetries     = 1
	MaxConcurrency     = 1024
	MaxRetries         = 5
	MaxTimeout         = 30 * time.Second
)

// DefaultTypes are the record types asked for a name that exists. A is asked first: an
// NXDOMAIN answer to it settles the name with one query.
var DefaultTypes = []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeNS, dns.TypeMX}

// Config says how to resolve.
type Config struct {
	Server      string        // resolver address, host:port (required)
	Rate        float64       // queries per second across all names; 0 means no limit
	Concurrency int           // names resolved at once; 0 means DefaultConcurrency
	Timeout     time.Duration // one query attempt; 0 means DefaultTimeout
	Retries     int           // further attempts after a timeout, network error or SERVFAIL; -1 means none, 0 DefaultRetries
	Types       []uint16      // record types to ask; nil means DefaultTypes
}

// Result is what one name resolved to.
type Result struct {
	Name   string `json:"name"` // as asked, ASCII, without the final dot
	Status Status `json:"status"`
	// Records by type ("A", "MX" …), each sorted; a type is present when its query got a
	// clear answer (an empty list for none), absent when it did not.
	Records map[string][]string `json:"records,omitempty"`
	Rcode   string              `json:"rcode,omitempty"` // of the answer that decided, e.g. NXDOMAIN
	Error   string              `json:"error,omitempty"` // why the status is unknown
}

// Resolver resolves names under one Config. It is safe for concurrent use.
type Resolver struct {
	cfg      Config
	udp, tcp *dns.Client
	limit    *rate.Limiter // nil: no limit
}

// New checks cfg and returns a Resolver.
func New(cfg Config) (*Resolver, error) {
	if _, _, err := net.SplitHostPort(cfg.Server); err != nil {
		return nil, fmt.Errorf("dnscheck: resolver address %q: want host:port", cfg.Server)
	}
	switch {
	case cfg.Rate < 0:
		return nil, errors.New("dnscheck: negative rate")
	case cfg.Concurrency < 0 || cfg.Concurrency > MaxConcurrency:
		return nil, fmt.Errorf("dnscheck: concurrency must be 0 to %d", MaxConcurrency)
	case cfg.Timeout < 0 || cfg.Timeout > MaxTimeout:
		return nil, fmt.Errorf("dnscheck: timeout must be 0 to %s", MaxTimeout)
	case cfg.Retries < -1 || cfg.Retries > MaxRetries:
		return nil, fmt.Errorf("dnscheck: retries must be -1 to %d", MaxRetries)
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch cfg.Retries {
	case 0:
		cfg.Retries = DefaultRetries
	case -1:
		cfg.Retries = 0
	}
	if cfg.Types == nil {
		cfg.Types = DefaultTypes
	}
	for _, t := range cfg.Types {
		if _, ok := dns.TypeToString[t]; !ok {
			return nil, fmt.Errorf("dnscheck: unknown record type %d", t)
		}
	}
	r := &Resolver{
		cfg: cfg,
		udp: &dns.Client{Net: "udp", Timeout: cfg.Timeout},
		tcp: &dns.Client{Net: "tcp", Timeout: cfg.Timeout},
	}
	if cfg.Rate > 0 {
		r.limit = rate.NewLimiter(rate.Limit(cfg.Rate), max(1, int(cfg.Rate/10)))
	}
	return r, nil
}

// Each resolves names with up to Concurrency at once and calls fn with each result as it
// comes (in any order; i is the name's index), from one goroutine at a time. It returns
// ctx's error if ctx ended before every name was resolved.
func (r *Resolver) Each(ctx context.Context, names []string, fn func(i int, res Result)) error {
	jobs := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(r.cfg.Concurrency, len(names)) {
		wg.Go(func() {
			for i := range jobs {
				res := r.Check(ctx, names[i])
				if done(ctx) {
					continue // cut short: not a result
				}
				mu.Lock()
				fn(i, res)
				mu.Unlock()
			}
		})
	}
feed:
	for i := range names {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if done(ctx) {
		<-ctx.Done()
	}
	return ctx.Err()
}

// done reports whether ctx has ended, or is at its deadline: a network deadline taken from
// ctx may fire a moment before ctx's own timer does.
func done(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// CheckAll resolves names and returns their results in the same order.
func (r *Resolver) CheckAll(ctx context.Context, names []string) ([]Result, error) {
	out := make([]Result, len(names))
	err := r.Each(ctx, names, func(i int, res Result) { out[i] = res })
	return out, err
}

// answer is how one query ended.
type answer struct {
	rcode   int
	records []string // of the type asked
	deleg   bool     // a referral: NS records for the name in the authority section
	err     error    // no answer
}

// Check resolves one name: A first, then the other types unless the name does not exist.
func (r *Resolver) Check(ctx context.Context, name string) Result {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	res := Result{Name: name, Records: map[string][]string{}}
	if _, ok := dns.IsDomainName(name); !ok || name == "" {
		res.Status, res.Error = Unknown, "not a domain name"
		return res
	}
	var data, nx, delegated bool
	var firstErr string
	for _, t := range r.cfg.Types {
		a := r.query(ctx, dns.Fqdn(name), t)
		switch {
		case a.err != nil:
			firstErr = cmpOr(firstErr, a.err.Error())
		case a.rcode == dns.RcodeNameError:
			nx = true
			res.Rcode = "NXDOMAIN"
		case a.rcode == dns.RcodeSuccess:
			res.Records[dns.TypeToString[t]] = a.records
			data = data || len(a.records) > 0
			delegated = delegated || a.deleg
			if res.Rcode == "" {
				res.Rcode = "NOERROR"
			}
		default:
			firstErr = cmpOr(firstErr, dns.RcodeToString[a.rcode])
		}
		if nx {
			break // the name does not exist, whatever the type
		}
	}
	switch {
	case nx && (data || delegated):
		res.Status, res.Error = Unknown, "inconsistent answers: NXDOMAIN and records"
	case nx:
		res.Status, res.Records = Unregistered, nil
	case len(res.Records) > 0:
		// Records, a delegation, or NOERROR without data: the name exists.
		res.Status = Registered
		if len(res.Records) < len(r.cfg.Types) {
			res.Error = "incomplete: " + firstErr
		}
	default:
		res.Status, res.Records, res.Rcode, res.Error = Unknown, nil, "", firstErr
	}
	return res
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// query asks one question, retrying after a timeout, a network error or SERVFAIL, and
// over TCP when the UDP answer was truncated.
func (r *Resolver) query(ctx context.Context, fqdn string, qtype uint16) answer {
	m := new(dns.Msg)
	m.SetQuestion(fqdn, qtype)
	m.RecursionDesired = true
	m.SetEdns0(1232, false)
	var a answer
	for attempt := 0; attempt <= r.cfg.Retries; attempt++ {
		if r.limit != nil {
			if err := r.limit.Wait(ctx); err != nil {
				return answer{err: err}
			}
		}
		a = r.exchange(ctx, m)
		if a.err == nil && a.rcode != dns.RcodeServerFailure {
			return a
		}
		if done(ctx) {
			err := ctx.Err()
			if err == nil {
				err = context.DeadlineExceeded
			}
			return answer{err: err}
		}
	}
	return a
}

func (r *Resolver) exchange(ctx context.Context, m *dns.Msg) answer {
	resp, _, err := r.udp.ExchangeContext(ctx, m, r.cfg.Server)
	if err == nil && resp.Truncated {
		resp, _, err = r.tcp.ExchangeContext(ctx, m, r.cfg.Server)
	}
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return answer{err: errors.New("timeout")}
		}
		return answer{err: err}
	}
	if resp.Id != m.Id || len(resp.Question) != 1 || !strings.EqualFold(resp.Question[0].Name, m.Question[0].Name) {
		return answer{err: errors.New("answer to another question")}
	}
	a := answer{rcode: resp.Rcode, records: []string{}}
	q := m.Question[0]
	for _, rr := range resp.Answer {
		h := rr.Header()
		if h.Rrtype == q.Qtype && h.Class == dns.ClassINET {
			a.records = append(a.records, rdata(rr))
		}
	}
	for _, rr := range resp.Ns {
		if ns, ok := rr.(*dns.NS); ok && strings.EqualFold(ns.Hdr.Name, q.Name) {
			a.deleg = true
			if q.Qtype == dns.TypeNS && len(resp.Answer) == 0 {
				a.records = append(a.records, rdata(rr)) // the delegation is the answer
			}
		}
	}
	sort.Strings(a.records)
	a.records = slices.Compact(a.records)
	return a
}

// rdata is a record's data as text, without the owner, class and TTL (which change
// without meaning anything): "192.0.2.1", "10 mx.example.jp.".
func rdata(rr dns.RR) string {
	full := rr.String()
	hdr := rr.Header().String()
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(full, hdr)))
}
