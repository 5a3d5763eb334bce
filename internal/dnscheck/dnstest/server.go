// Package dnstest runs a DNS server on 127.0.0.1 for tests: it answers from records it is
// given, over UDP and TCP on the same port, can be told to fail (SERVFAIL, REFUSED) or to
// stay silent for some names, and counts the queries it gets. Tests of DNS checks use it
// instead of the network.
package dnstest

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/miekg/dns"
)

// Server is a running test DNS server.
type Server struct {
	Addr string // host:port, for UDP and TCP

	udp, tcp *dns.Server

	mu       sync.RWMutex
	records  map[string][]dns.RR // by owner name (lower case, with the final dot)
	failures map[string]failure  // "name." or "name. TYPE" → how to fail
	perName  map[string]int      // queries per name
	queries  atomic.Int64
}

// failure is how the server fails for a name: an rcode or silence, for the next times
// queries (0: always).
type failure struct {
	rcode int
	times int
}

// silent marks a name the server does not answer.
const silent = -1

// Start starts a server on 127.0.0.1 with a free port; Close stops it.
func Start() (*Server, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		pc.Close()
		return nil, err
	}
	s := &Server{
		Addr:     pc.LocalAddr().String(),
		records:  map[string][]dns.RR{},
		failures: map[string]failure{},
		perName:  map[string]int{},
	}
	h := dns.HandlerFunc(s.serve)
	s.udp = &dns.Server{PacketConn: pc, Handler: h}
	s.tcp = &dns.Server{Listener: ln, Handler: h}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
	}
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error {
	return errors.Join(s.udp.Shutdown(), s.tcp.Shutdown())
}

// Add adds records in zone-file form ("example.jp. 300 IN A 192.0.2.1"). A name with NS
// records and no records of the type asked is answered with a referral (the NS records in
// the authority section), as a parent zone's server does.
func (s *Server) Add(records ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range records {
		rr, err := dns.NewRR(r)
		if err != nil {
			return err
		}
		name := strings.ToLower(rr.Header().Name)
		s.records[name] = append(s.records[name], rr)
	}
	return nil
}

// ServFail makes the server answer SERVFAIL for these names.
func (s *Server) ServFail(names ...string) { s.Fail(dns.RcodeServerFailure, 0, names...) }

// Refuse makes the server answer REFUSED for these names.
func (s *Server) Refuse(names ...string) { s.Fail(dns.RcodeRefused, 0, names...) }

// Silent makes the server drop queries for these names without an answer.
func (s *Server) Silent(names ...string) { s.Fail(silent, 0, names...) }

// Fail makes the server answer rcode (or stay silent, for -1) to the next times queries for
// each name (0: to every query). A name may be followed by a type ("example.jp MX") to
// fail only queries of that type.
func (s *Server) Fail(rcode, times int, names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		s.failures[failKey(n)] = failure{rcode, times}
	}
}

// Heal makes the server answer these names (or name and type) normally again.
func (s *Server) Heal(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		delete(s.failures, failKey(n))
	}
}

func failKey(n string) string {
	name, typ, _ := strings.Cut(strings.ToLower(strings.TrimSpace(n)), " ")
	if typ == "" {
		return dns.Fqdn(name)
	}
	return dns.Fqdn(name) + " " + strings.ToUpper(typ)
}

// failing returns how to fail a query, counting it down; the caller holds s.mu.
func (s *Server) failing(name string, qtype uint16) (failure, bool) {
	for _, k := range []string{name + " " + dns.TypeToString[qtype], name} {
		f, ok := s.failures[k]
		if !ok {
			continue
		}
		if f.times > 0 {
			if f.times == 1 {
				delete(s.failures, k)
			} else {
				s.failures[k] = failure{f.rcode, f.times - 1}
			}
		}
		return f, true
	}
	return failure{}, false
}

// Queries returns how many queries the server has received.
func (s *Server) Queries() int64 { return s.queries.Load() }

// QueriesFor returns how many queries named name (any type).
func (s *Server) QueriesFor(name string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.perName[dns.Fqdn(strings.ToLower(name))]
}

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	s.queries.Add(1)
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	s.mu.Lock()
	s.perName[name]++
	fail, failing := s.failing(name, q.Qtype)
	s.mu.Unlock()
	if failing && fail.rcode == silent {
		return
	}
	m := new(dns.Msg)
	if failing {
		m.SetRcode(req, fail.rcode)
	} else {
		s.answer(m, req, name, q.Qtype)
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		size := dns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil {
			size = int(opt.UDPSize())
		}
		m.Truncate(size)
	}
	w.WriteMsg(m)
}

// answer fills m as an authoritative server of every name it knows would.
func (s *Server) answer(m, req *dns.Msg, name string, qtype uint16) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rrs, known := s.records[name]
	if !known {
		m.SetRcode(req, dns.RcodeNameError)
		m.Authoritative = true
		m.Ns = []dns.RR{soa()}
		return
	}
	m.SetReply(req)
	var ns []dns.RR
	for _, rr := range rrs {
		switch rr.Header().Rrtype {
		case qtype:
			m.Answer = append(m.Answer, dns.Copy(rr))
		case dns.TypeNS:
			ns = append(ns, dns.Copy(rr))
		}
	}
	switch {
	case len(m.Answer) > 0:
		m.Authoritative = true
	case len(ns) > 0:
		m.Ns = ns // a referral to the name's own servers
	default:
		m.Authoritative = true
		m.Ns = []dns.RR{soa()}
	}
}

// soa is the SOA record of the test zone, sent with negative answers.
func soa() dns.RR {
	return &dns.SOA{
		Hdr: dns.RR_Header{Name: "test.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 300},
		Ns:  "ns.test.", Mbox: "hostmaster.test.", Serial: 1,
		Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 300,
	}
}
