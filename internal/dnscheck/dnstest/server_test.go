package dnstest_test

import (
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/renkei-dev/renkei/internal/dnscheck/dnstest"
)

func ask(t *testing.T, network, addr, name string, qtype uint16) (*dns.Msg, error) {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Net: network, Timeout: 300 * time.Millisecond}
	r, _, err := c.Exchange(m, addr)
	return r, err
}

func TestServer(t *testing.T) {
	s, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Add("a.jp. 60 IN A 192.0.2.1", "d.jp. 60 IN NS ns.example.net."); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("not a record"); err == nil {
		t.Error("a bad record was accepted")
	}
	for _, network := range []string{"udp", "tcp"} {
		r, err := ask(t, network, s.Addr, "A.jp", dns.TypeA)
		if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || !r.Authoritative {
			t.Errorf("%s a.jp A: %v %v", network, r, err)
		}
		r, err = ask(t, network, s.Addr, "a.jp", dns.TypeMX)
		if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || len(r.Ns) != 1 {
			t.Errorf("%s a.jp MX (no data): %v %v", network, r, err)
		}
		r, err = ask(t, network, s.Addr, "d.jp", dns.TypeA)
		if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeNS {
			t.Errorf("%s d.jp A (referral): %v %v", network, r, err)
		}
		r, err = ask(t, network, s.Addr, "b.jp", dns.TypeA)
		if err != nil || r.Rcode != dns.RcodeNameError {
			t.Errorf("%s b.jp: %v %v", network, r, err)
		}
	}
	if s.Queries() != 8 || s.QueriesFor("a.jp") != 4 || s.QueriesFor("b.jp") != 2 {
		t.Errorf("counted %d queries, %d for a.jp, %d for b.jp", s.Queries(), s.QueriesFor("a.jp"), s.QueriesFor("b.jp"))
	}

	s.ServFail("a.jp")
	if r, err := ask(t, "udp", s.Addr, "a.jp", dns.TypeA); err != nil || r.Rcode != dns.RcodeServerFailure {
		t.Errorf("servfail: %v %v", r, err)
	}
	s.Refuse("a.jp")
	if r, err := ask(t, "tcp", s.Addr, "a.jp", dns.TypeA); err != nil || r.Rcode != dns.RcodeRefused {
		t.Errorf("refused: %v %v", r, err)
	}
	s.Silent("a.jp")
	if _, err := ask(t, "udp", s.Addr, "a.jp", dns.TypeA); err == nil {
		t.Error("silent name answered")
	}
	s.Heal("a.jp")
	s.Fail(dns.RcodeServerFailure, 2, "a.jp MX")
	for i, want := range []int{dns.RcodeServerFailure, dns.RcodeServerFailure, dns.RcodeSuccess} {
		if r, err := ask(t, "udp", s.Addr, "a.jp", dns.TypeMX); err != nil || r.Rcode != want {
			t.Errorf("MX query %d: %v %v", i, r, err)
		}
	}
	if r, err := ask(t, "udp", s.Addr, "a.jp", dns.TypeA); err != nil || r.Rcode != dns.RcodeSuccess {
		t.Errorf("A while MX failed: %v %v", r, err)
	}
}
