package taxii

import (
	"context"
	"log/slog"
	"time"
)

// nudge wakes a scheduler's loop without waiting: one pending wake is enough.
func nudge(wake chan struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}

// runSchedule calls tick every poll, and at once on a wake, until ctx ends; wait returns
// once the tick under way is over. The TAXII subscriptions and the MISP feed imports
// share it.
func runSchedule(ctx context.Context, poll time.Duration, wake <-chan struct{}, log *slog.Logger, what string,
	tick func(context.Context) error) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			if err := tick(ctx); err != nil && ctx.Err() == nil {
				log.Error(what, "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-wake:
			}
		}
	}()
	return func() { <-done }
}
