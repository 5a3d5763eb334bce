package notify_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpServer is a small SMTP server on 127.0.0.1 that holds what it receives: a real
// conversation (EHLO, STARTTLS, AUTH PLAIN, MAIL FROM, RCPT TO, DATA, RSET, QUIT), with
// failures on demand.
type smtpServer struct {
	ln   net.Listener
	tls  *tls.Config // offers STARTTLS when set
	user string      // requires AUTH PLAIN (after STARTTLS) when set
	pass string

	mu         sync.Mutex
	msgs       []received
	failData   int             // answer 451 to the next failData messages
	rejectRcpt map[string]bool // answer 550 to these recipients
	delay      time.Duration   // wait this long before accepting a message
	cleartext  int             // messages accepted over a connection without TLS
	wg         sync.WaitGroup
}

type received struct {
	From string
	To   []string
	Data []byte
	TLS  bool
	Auth bool
}

func newSMTPServer(t *testing.T, setup func(*smtpServer)) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, rejectRcpt: map[string]bool{}}
	if setup != nil {
		setup(s)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(conn) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *smtpServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *smtpServer) set(fn func(*smtpServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

func (s *smtpServer) serve(conn net.Conn) {
	defer func() { conn.Close() }()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 test.example ESMTP ready")
	var from string
	var to []string
	tlsOn, authed := false, false
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			exts := []string{"test.example", "8BITMIME"}
			if s.tls != nil && !tlsOn {
				exts = append(exts, "STARTTLS")
			}
			if s.user != "" && (tlsOn || s.tls == nil) {
				exts = append(exts, "AUTH PLAIN")
			}
			for i, e := range exts {
				sep := "-"
				if i == len(exts)-1 {
					sep = " "
				}
				tp.PrintfLine("250%s%s", sep, e)
			}
		case "STARTTLS":
			if s.tls == nil || tlsOn {
				tp.PrintfLine("502 not offered")
				continue
			}
			tp.PrintfLine("220 go ahead")
			tc := tls.Server(conn, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, tp, tlsOn = tc, textproto.NewConn(tc), true
			from, to = "", nil
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			raw, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(raw), "\x00")
			if strings.ToUpper(mech) != "PLAIN" || err != nil || len(parts) != 3 || parts[1] != s.user || parts[2] != s.pass {
				tp.PrintfLine("535 authentication failed")
				continue
			}
			authed = true
			tp.PrintfLine("235 accepted")
		case "MAIL":
			if s.user != "" && !authed {
				tp.PrintfLine("530 authentication required")
				continue
			}
			from, to = addrOf(arg), nil
			tp.PrintfLine("250 ok")
		case "RCPT":
			rcpt := addrOf(arg)
			s.mu.Lock()
			reject := s.rejectRcpt[rcpt]
			s.mu.Unlock()
			if reject {
				tp.PrintfLine("550 no such mailbox")
				continue
			}
			to = append(to, rcpt)
			tp.PrintfLine("250 ok")
		case "DATA":
			if from == "" || len(to) == 0 {
				tp.PrintfLine("503 bad sequence")
				continue
			}
			tp.PrintfLine("354 end with .")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			s.mu.Lock()
			delay := s.delay
			fail := s.failData > 0
			if fail {
				s.failData--
			}
			s.mu.Unlock()
			time.Sleep(delay)
			if fail {
				tp.PrintfLine("451 try again later")
			} else {
				s.mu.Lock()
				s.msgs = append(s.msgs, received{From: from, To: to, Data: data, TLS: tlsOn, Auth: authed})
				if !tlsOn {
					s.cleartext++
				}
				s.mu.Unlock()
				tp.PrintfLine("250 queued")
			}
			from, to = "", nil
		case "RSET":
			from, to = "", nil
			tp.PrintfLine("250 ok")
		case "NOOP":
			tp.PrintfLine("250 ok")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 unknown command")
		}
	}
}

// addrOf reads the address of "FROM:<a@b> BODY=8BITMIME".
func addrOf(arg string) string {
	i, j := strings.IndexByte(arg, '<'), strings.IndexByte(arg, '>')
	if i < 0 || j < i {
		return ""
	}
	return arg[i+1 : j]
}

// letter is a received message, parsed.
type letter struct {
	To        string
	Subject   string // decoded
	RawHeader string
	Header    mail.Header
	Body      string // decoded
}

func parseLetter(t *testing.T, r received) letter {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, r.Data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject does not decode: %v", err)
	}
	raw, err := io.ReadAll(m.Body)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("Content-Transfer-Encoding") != "base64" {
		t.Fatalf("transfer encoding %q", m.Header.Get("Content-Transfer-Encoding"))
	}
	body, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	if err != nil {
		t.Fatalf("body is not base64: %v", err)
	}
	head, _, _ := bytes.Cut(r.Data, []byte("\n\n"))
	return letter{To: r.To[0], Subject: subject, RawHeader: string(head), Header: m.Header,
		Body: strings.ReplaceAll(string(body), "\r\n", "\n")}
}

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}
