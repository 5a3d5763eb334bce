package desk

import (
	"fmt"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
)

// Clock is the SLA of one urgency: how soon the center first answers a new case, and how
// soon it is resolved.
type Clock struct {
	Response time.Duration
	Resolve  time.Duration
}

// SLA holds the clocks of every urgency.
type SLA map[model.Urgency]Clock

// DefaultSLAText is the default of --desk-sla.
const DefaultSLAText = "critical=30m/8h,high=1h/24h,medium=4h/72h,low=24h/168h"

// WarnFraction is how much of a clock may run before the case is flagged as near its limit.
const WarnFraction = 0.8

// DefaultSLA returns the default clocks.
func DefaultSLA() SLA {
	s, err := ParseSLA(DefaultSLAText)
	if err != nil {
		panic(err)
	}
	return s
}

// ParseSLA reads "critical=30m/8h,high=1h/24h,…": per urgency, the time to first
// response and the time to resolution. Every urgency must be given.
func ParseSLA(text string) (SLA, error) {
	s := SLA{}
	for part := range strings.SplitSeq(text, ",") {
		name, spec, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("desk SLA %q: want urgency=response/resolution", part)
		}
		u, err := model.ParseUrgency(strings.TrimSpace(name))
		if err != nil {
			return nil, fmt.Errorf("desk SLA: unknown urgency %q", name)
		}
		a, b, ok := strings.Cut(spec, "/")
		if !ok {
			return nil, fmt.Errorf("desk SLA %q: want response/resolution, e.g. 1h/24h", part)
		}
		resp, err1 := time.ParseDuration(strings.TrimSpace(a))
		res, err2 := time.ParseDuration(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || resp <= 0 || res <= 0 || res < resp {
			return nil, fmt.Errorf("desk SLA %q: want two positive durations, the resolution not shorter than the response", part)
		}
		s[u] = Clock{Response: resp, Resolve: res}
	}
	for _, u := range model.Urgencies {
		if _, ok := s[u]; !ok {
			return nil, fmt.Errorf("desk SLA: no clock for urgency %s", u)
		}
	}
	return s, nil
}

// String writes the clocks in the form ParseSLA reads.
func (s SLA) String() string {
	var parts []string
	for _, u := range model.Urgencies {
		c := s[u]
		parts = append(parts, fmt.Sprintf("%s=%s/%s", u, c.Response, c.Resolve))
	}
	return strings.Join(parts, ",")
}

// setClocks sets a case's due and warning times from its creation time and urgency.
func (s SLA) setClocks(k *model.Case) {
	c := s[k.Urgency]
	k.ResponseDueAt = k.CreatedAt.Add(c.Response)
	k.ResponseWarnAt = k.CreatedAt.Add(time.Duration(float64(c.Response) * WarnFraction))
	k.ResolveDueAt = k.CreatedAt.Add(c.Resolve)
	k.ResolveWarnAt = k.CreatedAt.Add(time.Duration(float64(c.Resolve) * WarnFraction))
}

// Flag is where one SLA clock stands.
type Flag string

// The flags: running within its limit, near it, past it; stopped within it (met) or after
// it (missed).
const (
	FlagOK     Flag = "ok"
	FlagNear   Flag = "near"
	FlagPast   Flag = "past"
	FlagMet    Flag = "met"
	FlagMissed Flag = "missed"
)

// Status is where a case's two clocks stand.
type Status struct {
	Response Flag
	Resolve  Flag
}

// Alert reports whether a clock is running and near or past its limit: the queue flags
// the case.
func (s Status) Alert() Flag {
	switch {
	case s.Response == FlagPast || s.Resolve == FlagPast:
		return FlagPast
	case s.Response == FlagNear || s.Resolve == FlagNear:
		return FlagNear
	}
	return FlagOK
}

// StatusOf computes a case's SLA flags at now. It agrees with the store's SLA filter.
func StatusOf(k model.Case, now time.Time) Status {
	clock := func(stopped, due, warn time.Time) Flag {
		switch {
		case !stopped.IsZero() && !stopped.After(due):
			return FlagMet
		case !stopped.IsZero():
			return FlagMissed
		case !now.Before(due):
			return FlagPast
		case !now.Before(warn):
			return FlagNear
		}
		return FlagOK
	}
	resolved := k.ResolvedAt
	if !k.State.Open() && resolved.IsZero() {
		resolved = k.UpdatedAt
	}
	if k.State.Open() {
		resolved = time.Time{}
	}
	return Status{
		Response: clock(k.FirstResponseAt, k.ResponseDueAt, k.ResponseWarnAt),
		Resolve:  clock(resolved, k.ResolveDueAt, k.ResolveWarnAt),
	}
}
