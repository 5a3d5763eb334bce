package api

import (
	"net/http"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/fault"
)

// OnCallShift is one turn of the desk's on-call (当直) rota: the analyst alerted at once,
// by email and live event, when a case is filed between starts_at and ends_at.
type OnCallShift struct {
	ID       int64     `json:"id"`
	UserID   int64     `json:"user_id"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
}

// OnCallInput puts an analyst of the center on call.
type OnCallInput struct {
	UserID   int64      `json:"user_id" doc:"an analyst of the center"`
	StartsAt *time.Time `json:"starts_at" doc:"RFC 3339"`
	EndsAt   *time.Time `json:"ends_at" doc:"RFC 3339; after starts_at, at most 7 days later"`
}

func shiftOut(s desk.Shift) OnCallShift {
	return OnCallShift{ID: s.ID, UserID: s.UserID, StartsAt: s.StartsAt, EndsAt: s.EndsAt}
}

func (x *API) deskOnCallRoutes() {
	x.add(&op{Method: "GET", Path: "/desk/oncall", ID: "listOnCall", Tag: "cases", Summary: "The on-call rota: shifts that have not ended, soonest first (center staff)",
		Resp: List[OnCallShift]{}, Handle: x.listOnCall})
	x.add(&op{Method: "POST", Path: "/desk/oncall", ID: "addOnCall", Tag: "cases", Summary: "Put an analyst on call (center staff; audited)",
		Body: OnCallInput{}, Resp: OnCallShift{}, Status: 201, Handle: x.addOnCall})
	x.add(&op{Method: "DELETE", Path: "/desk/oncall/{id}", ID: "removeOnCall", Tag: "cases", Summary: "Take a shift off the rota (center staff; audited)",
		Handle: x.removeOnCall})
}

func (x *API) listOnCall(r *http.Request, p auth.Principal) (any, error) {
	shifts, err := x.app.Desk.Shifts(r.Context(), p)
	if err != nil {
		return nil, err
	}
	out := List[OnCallShift]{Items: make([]OnCallShift, 0, len(shifts))}
	for _, s := range shifts {
		out.Items = append(out.Items, shiftOut(s))
	}
	return out, nil
}

func (x *API) addOnCall(r *http.Request, p auth.Principal) (any, error) {
	var in OnCallInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	var errs fault.List
	if in.StartsAt == nil {
		errs.Add("starts_at", "invalid.required")
	}
	if in.EndsAt == nil {
		errs.Add("ends_at", "invalid.required")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	s, err := x.app.Desk.AddShift(r.Context(), p, in.UserID, *in.StartsAt, *in.EndsAt)
	if err != nil {
		return nil, err
	}
	return shiftOut(s), nil
}

func (x *API) removeOnCall(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return nil, x.app.Desk.RemoveShift(r.Context(), p, id)
}
