package notify

import (
	"context"
	"slices"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/store"
)

// The choices for 【重要】 topics.
const (
	ImportantImmediate = "immediate" // an email at once (the default)
	ImportantDigest    = "digest"    // in the digest with the rest
)

// The choices for everything else.
const (
	OthersHourly = "hourly"
	OthersDaily  = "daily" // the default
)

// PrefNone turns a kind of notification off.
const PrefNone = "none"

// Prefs are a person's notification choices.
type Prefs struct {
	Important string // immediate, digest or none
	Others    string // hourly, daily or none
}

// ImportantChoices and OthersChoices list the choices in display order.
var (
	ImportantChoices = []string{ImportantImmediate, ImportantDigest, PrefNone}
	OthersChoices    = []string{OthersHourly, OthersDaily, PrefNone}
)

// Prefs returns the person's own choices (the defaults when they never chose).
func (n *Notifier) Prefs(ctx context.Context, p auth.Principal) (Prefs, error) {
	if p.User.ID == 0 {
		return Prefs{}, fault.New(fault.Forbidden, "error.forbidden")
	}
	s, err := store.GetNotifyPrefs(ctx, n.db.Read(), p.User.ID)
	return Prefs{Important: s.Important, Others: s.Others}, err
}

// SetPrefs records the person's own choices. Items already waiting for a digest are still
// sent unless the new choice turns their kind off.
func (n *Notifier) SetPrefs(ctx context.Context, p auth.Principal, in Prefs) (Prefs, error) {
	if p.User.ID == 0 {
		return Prefs{}, fault.New(fault.Forbidden, "error.forbidden")
	}
	var errs fault.List
	if !slices.Contains(ImportantChoices, in.Important) {
		errs.Add("important", "notify.invalid_choice", "value", in.Important, "allowed", "immediate, digest, none")
	}
	if !slices.Contains(OthersChoices, in.Others) {
		errs.Add("others", "notify.invalid_choice", "value", in.Others, "allowed", "hourly, daily, none")
	}
	if err := errs.Err(); err != nil {
		return Prefs{}, err
	}
	err := n.db.Write(ctx, func(c store.Conn) error {
		return store.SetNotifyPrefs(ctx, c, store.NotifyPrefs{UserID: p.User.ID, Important: in.Important, Others: in.Others}, n.now())
	})
	return in, err
}
