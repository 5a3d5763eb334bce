package monitor

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/renkei-dev/renkei/internal/store"
)

// serviceNames name the usual services of the risky ports, for the messages.
var serviceNames = map[int]string{
	21: "FTP", 23: "Telnet", 135: "MS-RPC", 139: "NetBIOS", 445: "SMB", 1433: "MS SQL Server", 2375: "Docker API",
	3306: "MySQL", 3389: "RDP", 5432: "PostgreSQL", 5900: "VNC", 5985: "WinRM", 6379: "Redis", 9200: "Elasticsearch",
	11211: "memcached", 27017: "MongoDB",
}

func serviceName(port int) string {
	if s, ok := serviceNames[port]; ok {
		return s
	}
	return "TCP " + strconv.Itoa(port)
}

// ErrRangeTooLarge is returned for a registered CIDR range with more addresses than
// Config.MaxCIDRAddresses: such a range is not scanned at all.
var ErrRangeTooLarge = errors.New("range too large to scan")

// targetAddrs returns the addresses a port check of a target may connect to: the
// registered IP address, or every address of the registered range. Nothing else is ever
// dialled by the port check.
func targetAddrs(kind, value string, maxAddrs int) ([]netip.Addr, error) {
	switch kind {
	case KindIP:
		a, err := netip.ParseAddr(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("IP address %q: %v", value, err)
		}
		return []netip.Addr{a.Unmap()}, nil
	case KindCIDR:
		p, err := netip.ParsePrefix(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("CIDR %q: %v", value, err)
		}
		p = p.Masked()
		hostBits := p.Addr().BitLen() - p.Bits()
		if hostBits >= 31 || 1<<hostBits > maxAddrs {
			return nil, fmt.Errorf("%w: %s has more than %d addresses", ErrRangeTooLarge, p, maxAddrs)
		}
		out := make([]netip.Addr, 0, 1<<hostBits)
		for a := p.Addr(); p.Contains(a); a = a.Next() {
			out = append(out, a)
			if !a.Next().IsValid() {
				break
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("a port check needs an IP address or a CIDR range, not a %s", kind)
}

// checkPorts connects to each configured port of the registered address (or of each
// address of the registered range) and reports the ones that accept a connection.
func (m *Monitor) checkPorts(ctx context.Context, j store.MonitorCheck) (outcome, error) {
	addrs, err := targetAddrs(j.TargetKind, j.TargetValue, m.cfg.MaxCIDRAddresses)
	if err != nil {
		return outcome{}, err
	}
	type probeResult struct {
		addr netip.Addr
		port int
		open bool
		err  error // the check was cut short
	}
	jobs := make(chan netip.AddrPort)
	var mu sync.Mutex
	var results []probeResult
	var wg sync.WaitGroup
	for range min(m.cfg.PortConcurrency, len(addrs)*len(m.cfg.Ports)) {
		wg.Go(func() {
			for ap := range jobs {
				open, err := m.dialPort(ctx, addrs, ap)
				mu.Lock()
				results = append(results, probeResult{ap.Addr(), int(ap.Port()), open, err})
				mu.Unlock()
			}
		})
	}
feed:
	for _, a := range addrs {
		for _, p := range m.cfg.Ports {
			select {
			case jobs <- netip.AddrPortFrom(a, uint16(p)):
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if ctx.Err() != nil {
		return outcome{}, ctx.Err() // an unfinished scan would read as ports closing
	}
	var o outcome
	for _, r := range results {
		if r.err != nil {
			return outcome{}, r.err
		}
		key := "port:" + strconv.Itoa(r.port)
		if j.TargetKind == KindCIDR {
			key = "port:" + r.addr.String() + ":" + strconv.Itoa(r.port)
		}
		vars := map[string]any{"addr": r.addr.String(), "port": r.port, "service": serviceName(r.port)}
		sev := SevHigh
		switch r.port {
		case 23, 445, 3389, 2375, 6379, 9200, 11211, 27017:
			sev = SevCritical // remote control or data with no authentication by default
		}
		o.add(cond{key: key, problem: r.open, severity: sev,
			evidence: map[string]string{"address": r.addr.String(), "port": strconv.Itoa(r.port), "service": serviceName(r.port)},
			msg:      message{TitleKey: "monitor.port_open.title", BodyKey: "monitor.port_open.body", ActionKey: "monitor.port_open.action", Vars: vars},
			okMsg:    message{TitleKey: "monitor.port_closed.title", BodyKey: "monitor.port_closed.body", ActionKey: "monitor.no_action", Vars: vars}})
	}
	return o, nil
}

// dialPort makes one TCP connection and closes it at once. It refuses an address that is
// not one of the target's, whatever called it.
func (m *Monitor) dialPort(ctx context.Context, allowed []netip.Addr, ap netip.AddrPort) (open bool, err error) {
	ok := false
	for _, a := range allowed {
		if a == ap.Addr() {
			ok = true
			break
		}
	}
	if !ok {
		return false, fmt.Errorf("refused to dial %s: not a registered address", ap)
	}
	if err := m.hosts.wait(ctx, ap.Addr().String()); err != nil {
		return false, err
	}
	dctx, cancel := context.WithTimeout(ctx, m.cfg.PortTimeout)
	defer cancel()
	conn, err := m.cfg.Dial(dctx, "tcp", ap.String())
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, nil // refused, filtered or timed out: not exposed
	}
	conn.Close()
	return true, nil
}
