package auth

import (
	"context"
	"net/netip"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

// ThrottleRule says how many failures a key may have before each further failure blocks it
// for a growing time: Base, then twice that, and so on up to Max. Failures are forgotten
// after Window without one.
type ThrottleRule struct {
	Free   int
	Base   time.Duration
	Max    time.Duration
	Window time.Duration
}

// Default rules: an account gets 5 free tries, an address 20 (an office behind one NAT).
var (
	AccountRule = ThrottleRule{Free: 5, Base: 2 * time.Second, Max: 15 * time.Minute, Window: 24 * time.Hour}
	AddressRule = ThrottleRule{Free: 20, Base: 2 * time.Second, Max: 15 * time.Minute, Window: 24 * time.Hour}
)

// accountKey keys throttling by the address typed, whether or not such an account exists,
// so that throttling behaves the same for both and reveals nothing.
func accountKey(email string) string { return "acct:" + model.EmailKey(email) }

// addressKey keys throttling by client address; IPv6 clients by their /64, which one
// machine can otherwise rotate through.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "ip:" + ip
	}
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + a.Unmap().String()
}

// blockedFor returns how long the key is still blocked, or 0.
func blockedFor(ctx context.Context, c store.Conn, key string, now time.Time) (time.Duration, error) {
	t, err := store.GetThrottle(ctx, c, key)
	if err != nil {
		return 0, err
	}
	if d := t.BlockedUntil.Sub(now); d > 0 {
		return d, nil
	}
	return 0, nil
}

// recordFailure counts a failure and returns the new block duration (0 if not blocked).
func recordFailure(ctx context.Context, c store.Conn, key string, rule ThrottleRule, now time.Time) (time.Duration, error) {
	t, err := store.GetThrottle(ctx, c, key)
	if err != nil {
		return 0, err
	}
	if now.Sub(t.LastFailure) > rule.Window {
		t.Failures = 0
	}
	t.Failures++
	t.LastFailure = now
	var block time.Duration
	if over := t.Failures - rule.Free; over > 0 {
		block = rule.Base
		for i := 1; i < over && block < rule.Max; i++ {
			block *= 2
		}
		block = min(block, rule.Max)
		t.BlockedUntil = now.Add(block)
	}
	return block, store.PutThrottle(ctx, c, t)
}
