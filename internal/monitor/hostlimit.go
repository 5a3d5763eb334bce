package monitor

import (
	"context"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// hostLimits holds a rate limiter per host (a name or an address), so that no check, nor
// many checks together, connect to one host faster than the configured rate. Limiters
// unused for a while are dropped, keeping the map as small as the hosts in use.
type hostLimits struct {
	rate  rate.Limit
	burst int

	mu    sync.Mutex
	hosts map[string]*hostLimit
	swept time.Time
}

type hostLimit struct {
	l    *rate.Limiter
	used time.Time
}

// hostIdle is how long an unused limiter is kept; after that it has refilled anyway.
const hostIdle = 10 * time.Minute

func newHostLimits(perSecond float64, burst int) *hostLimits {
	r := rate.Limit(perSecond)
	if perSecond <= 0 {
		r = rate.Inf
	}
	return &hostLimits{rate: r, burst: burst, hosts: map[string]*hostLimit{}, swept: time.Now()}
}

// wait blocks until one more connection to host is allowed, or ctx ends.
func (h *hostLimits) wait(ctx context.Context, host string) error {
	if h.rate == rate.Inf {
		return ctx.Err()
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	now := time.Now()
	h.mu.Lock()
	if now.Sub(h.swept) > hostIdle {
		for k, v := range h.hosts {
			if now.Sub(v.used) > hostIdle {
				delete(h.hosts, k)
			}
		}
		h.swept = now
	}
	hl := h.hosts[host]
	if hl == nil {
		hl = &hostLimit{l: rate.NewLimiter(h.rate, h.burst)}
		h.hosts[host] = hl
	}
	hl.used = now
	h.mu.Unlock()
	return hl.l.Wait(ctx)
}
