package monitor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/store"
)

// checkTLS connects to an https URL's host and judges the certificate it is served:
// how soon it expires (against the warning thresholds), whether it names the host, and
// whether it chains to a trusted root.
func (m *Monitor) checkTLS(ctx context.Context, j store.MonitorCheck) (outcome, error) {
	u, err := parseTargetURL(j.TargetValue)
	if err != nil {
		return outcome{}, err
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.TLSTimeout)
	defer cancel()
	if err := m.hosts.wait(ctx, host); err != nil {
		return outcome{}, err
	}
	raw, err := m.cfg.Dial(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return outcome{}, fmt.Errorf("connect: %w", simplifyErr(err))
	}
	defer raw.Close()
	conf := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // verified below, one property at a time
	if _, err := netip.ParseAddr(host); err != nil {
		conf.ServerName = host
	}
	conn := tls.Client(raw, conf)
	if err := conn.HandshakeContext(ctx); err != nil {
		return outcome{}, fmt.Errorf("TLS handshake: %w", simplifyErr(err))
	}
	certs := conn.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return outcome{}, errors.New("TLS: no certificate")
	}
	leaf := certs[0]
	now := m.cfg.Now()
	ev := map[string]string{
		"subject":    leaf.Subject.String(),
		"issuer":     leaf.Issuer.String(),
		"not_after":  leaf.NotAfter.UTC().Format(time.RFC3339),
		"not_before": leaf.NotBefore.UTC().Format(time.RFC3339),
		"names":      strings.Join(certNames(leaf), ", "),
	}
	var o outcome

	// Expiry.
	left := leaf.NotAfter.Sub(now)
	days := int(left.Hours() / 24)
	sev := expirySeverity(left, m.cfg.TLSWarnDays)
	expVars := map[string]any{"url": u.String(), "days": days, "date": jst(leaf.NotAfter)}
	exp := cond{key: "tls:expiry", problem: sev != "", severity: sev, evidence: ev,
		msg:   message{TitleKey: "monitor.tls_expiry.title", BodyKey: "monitor.tls_expiry.body", ActionKey: "monitor.tls_expiry.action", Vars: expVars},
		okMsg: message{TitleKey: "monitor.tls_renewed.title", BodyKey: "monitor.tls_renewed.body", ActionKey: "monitor.no_action", Vars: expVars}}
	if left <= 0 {
		exp.msg = message{TitleKey: "monitor.tls_expired.title", BodyKey: "monitor.tls_expired.body", ActionKey: "monitor.tls_expiry.action", Vars: expVars}
	}
	o.add(exp)

	// Host name.
	nameErr := leaf.VerifyHostname(host)
	nameVars := map[string]any{"url": u.String(), "host": host, "names": ev["names"]}
	o.add(cond{key: "tls:hostname", problem: nameErr != nil, severity: SevHigh, evidence: ev,
		msg:   message{TitleKey: "monitor.tls_hostname.title", BodyKey: "monitor.tls_hostname.body", ActionKey: "monitor.tls_hostname.action", Vars: nameVars},
		okMsg: message{TitleKey: "monitor.tls_hostname_ok.title", BodyKey: "monitor.tls_hostname_ok.body", ActionKey: "monitor.no_action", Vars: nameVars}})

	// Chain, judged at a moment the certificate is valid so that expiry is not counted
	// twice.
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	at := now
	if at.After(leaf.NotAfter) || at.Before(leaf.NotBefore) {
		at = leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	}
	_, chainErr := leaf.Verify(x509.VerifyOptions{Roots: m.cfg.RootCAs, Intermediates: inter, CurrentTime: at})
	chainVars := map[string]any{"url": u.String(), "issuer": leaf.Issuer.String()}
	if chainErr != nil {
		ev["chain_error"] = chainErr.Error()
	}
	o.add(cond{key: "tls:chain", problem: chainErr != nil, severity: SevHigh, evidence: ev,
		msg:   message{TitleKey: "monitor.tls_chain.title", BodyKey: "monitor.tls_chain.body", ActionKey: "monitor.tls_chain.action", Vars: chainVars},
		okMsg: message{TitleKey: "monitor.tls_chain_ok.title", BodyKey: "monitor.tls_chain_ok.body", ActionKey: "monitor.no_action", Vars: chainVars}})
	return o, nil
}

// expirySeverity grades the time left: expired is critical; within the smallest warning
// threshold high, the next medium, any other low; beyond every threshold "" (fine).
func expirySeverity(left time.Duration, warnDays []int) string {
	if left <= 0 {
		return SevCritical
	}
	th := slices.Clone(warnDays)
	slices.Sort(th)
	for i, d := range th {
		if left <= time.Duration(d)*24*time.Hour {
			switch i {
			case 0:
				return SevHigh
			case 1:
				return SevMedium
			}
			return SevLow
		}
	}
	return ""
}

func certNames(c *x509.Certificate) []string {
	names := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName)
	}
	return names
}
