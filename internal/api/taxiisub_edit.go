package api

import (
	"net/http"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/taxii"
)

func (x *API) updateTaxiiSub(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in TaxiiSubscriptionInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	s, err := x.taxiiSubs().Update(r.Context(), p, id, taxii.SubscriptionInput{Title: in.Title, Direction: in.Direction, Collection: in.Collection,
		APIRoot: in.APIRoot, RemoteCollection: in.RemoteCollection, AuthKind: in.AuthKind, Username: in.Username, Secret: in.Secret,
		Interval: time.Duration(in.IntervalMinutes) * time.Minute})
	if err != nil {
		return nil, err
	}
	return taxiiSubOut(s), nil
}
