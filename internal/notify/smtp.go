package notify

// Email goes out through net/smtp from the standard library rather than a third-party
// mail package. Renkei sends one kind of message (plain UTF-8 text, built in email.go) to
// one recipient at a time; what it needs from SMTP is EHLO, STARTTLS, AUTH PLAIN, MAIL,
// RCPT and DATA, all of which net/smtp does correctly. The package is frozen, which here
// is a virtue: no new dependency to vet and follow for security fixes, and what it lacks
// (timeouts, implicit TLS) is added below by owning the connection — a deadline per
// conversation and tls.Dialer for port 465.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// smtpSession is one connection to the mail server, reused for several messages.
type smtpSession struct {
	conn    net.Conn
	client  *smtp.Client
	timeout time.Duration
}

func (n *Notifier) tlsConfig() *tls.Config {
	if n.cfg.TLSConfig != nil {
		c := n.cfg.TLSConfig.Clone()
		if c.ServerName == "" {
			c.ServerName = n.cfg.SMTPHost
		}
		return c
	}
	return &tls.Config{ServerName: n.cfg.SMTPHost, MinVersion: tls.VersionTLS12}
}

// dialSMTP connects, greets, protects the connection as configured and signs in. The whole
// exchange must finish within Config.SMTPTimeout.
func (n *Notifier) dialSMTP(ctx context.Context) (*smtpSession, error) {
	timeout := n.cfg.SMTPTimeout
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(n.cfg.SMTPHost, strconv.Itoa(n.cfg.SMTPPort))
	d := &net.Dialer{Timeout: timeout}
	var conn net.Conn
	var err error
	if n.cfg.TLSMode == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: d, Config: n.tlsConfig()}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to SMTP server %s: %w", addr, err)
	}
	conn.SetDeadline(time.Now().Add(timeout))
	s := &smtpSession{conn: conn, timeout: timeout}
	fail := func(step string, err error) (*smtpSession, error) {
		s.close()
		return nil, fmt.Errorf("SMTP %s: %w", step, err)
	}
	if s.client, err = smtp.NewClient(conn, n.cfg.SMTPHost); err != nil {
		conn.Close()
		return nil, fmt.Errorf("SMTP greeting: %w", err)
	}
	if err := s.client.Hello(n.heloName()); err != nil {
		return fail("EHLO", err)
	}
	if n.cfg.TLSMode == TLSStartTLS {
		if ok, _ := s.client.Extension("STARTTLS"); !ok {
			return fail("STARTTLS", errors.New("the server does not offer STARTTLS (set the TLS mode to none only for a trusted relay)"))
		}
		if err := s.client.StartTLS(n.tlsConfig()); err != nil {
			return fail("STARTTLS", err)
		}
	}
	if n.cfg.SMTPUsername != "" {
		if ok, _ := s.client.Extension("AUTH"); !ok {
			return fail("AUTH", errors.New("the server does not offer authentication"))
		}
		// PlainAuth refuses to send the password unless the connection is protected by TLS
		// or goes to localhost.
		if err := s.client.Auth(smtp.PlainAuth("", n.cfg.SMTPUsername, n.cfg.SMTPPassword, n.cfg.SMTPHost)); err != nil {
			return fail("AUTH", err)
		}
	}
	return s, nil
}

func (n *Notifier) heloName() string {
	if n.cfg.HELOName != "" {
		return n.cfg.HELOName
	}
	if n.from != nil {
		if at := strings.LastIndexByte(n.from.Address, '@'); at >= 0 {
			return n.from.Address[at+1:]
		}
	}
	return "localhost"
}

// send delivers one message to one recipient within the timeout.
func (s *smtpSession) send(from, to string, msg []byte) error {
	s.conn.SetDeadline(time.Now().Add(s.timeout))
	if err := s.client.Mail(from); err != nil {
		return fmt.Errorf("SMTP MAIL FROM: %w", err)
	}
	if err := s.client.Rcpt(to); err != nil {
		return refusal("SMTP RCPT TO", err)
	}
	w, err := s.client.Data()
	if err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return refusal("SMTP DATA", err)
	}
	return nil
}

// close ends the session politely if it can, within a short deadline.
func (s *smtpSession) close() {
	if s == nil {
		return
	}
	if s.client != nil {
		s.conn.SetDeadline(time.Now().Add(2 * time.Second))
		if s.client.Quit() != nil {
			s.client.Close()
		}
		return
	}
	s.conn.Close()
}

// permanentError is a failure that trying again would not cure.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// refusal wraps an error of RCPT TO or of the end of DATA; a 5xx reply there means the
// server refuses this message or mailbox for good (unknown address, policy), so it is
// permanent. Errors of the connection, EHLO, STARTTLS, AUTH and MAIL FROM are not: they
// are the configuration's or the server's, and every message would meet them.
func refusal(step string, err error) error {
	err = fmt.Errorf("%s: %w", step, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return permanentError{err}
	}
	return err
}

func permanent(err error) bool {
	var pe permanentError
	return errors.As(err, &pe)
}
