package web

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
)

// ---- The on-call alert on every page ----
//
// A person on call (当直) is alerted at once when a case is filed: by email, and by the
// live stream wherever they are in the site, not only on the desk's queue. The layout adds
// the alert's region (partials/oncall.html) for a person on call now; the stream's
// case.filed events carry alert=true for the people on call when the case was filed.

// onCallNow reports whether the reader is on the rota now; a failure only hides the alert.
func (web *Web) onCallNow(ctx context.Context, pr auth.Principal) bool {
	if !policy.CanViewInternalNotes(pr.Actor) {
		return false
	}
	ids, err := web.app.Desk.OnCallNow(ctx, pr)
	return err == nil && slices.Contains(ids, pr.User.ID)
}

// OnCallNames are the names of the categories and urgencies in the page's language, as
// JSON, for the alert's text (the event carries the codes).
func (p *page) OnCallNames() string {
	names := map[string]map[string]string{"category": {}, "urgency": {}}
	for _, c := range model.CaseCategories {
		names["category"][string(c)] = p.CaseCategoryName(c)
	}
	for _, u := range model.Urgencies {
		names["urgency"][string(u)] = p.UrgencyName(u)
	}
	b, _ := json.Marshal(names)
	return string(b)
}
