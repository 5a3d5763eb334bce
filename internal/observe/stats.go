package observe

import (
	"context"
	"slices"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// MaxStatsNotices bounds how many read notices the time-to-read figures look at (the
// most recent ones of the period).
const MaxStatsNotices = 200_000

// Bucket is one bar of the time-to-read distribution: notices read within Upper (the last
// bucket has Upper 0: longer than the one before).
type Bucket struct {
	Upper time.Duration
	Count int
}

// bucketEdges are the upper bounds of the distribution's bars.
var bucketEdges = []time.Duration{15 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour, 72 * time.Hour, 0}

// OrgUnread is one organization's unread notices.
type OrgUnread struct {
	Org    model.Org
	Unread int
	Oldest time.Time
}

// ReadTimes are the center's figures of how long notices take to be read.
type ReadTimes struct {
	Since   time.Time
	Total   int // notices sent since
	Unread  int // of them, not read yet
	Read    int // of them, read (and counted below)
	Median  time.Duration
	P90     time.Duration
	Buckets []Bucket
	ByOrg   []OrgUnread // every organization with unread notices (of any time), most first
}

// ReadTimes computes the time-to-read figures of the notices sent since a time (center
// staff only) and the unread notices by organization.
func (s *Service) ReadTimes(ctx context.Context, p auth.Principal, since time.Time) (ReadTimes, error) {
	if !policy.CanViewReadTimes(p.Actor) {
		return ReadTimes{}, notFound()
	}
	c := s.db.Read()
	r := ReadTimes{Since: since}
	var err error
	if r.Total, r.Unread, err = store.CountNoticesSince(ctx, c, since); err != nil {
		return r, err
	}
	delays, err := store.ReadDelays(ctx, c, since, MaxStatsNotices)
	if err != nil {
		return r, err
	}
	r.Read = len(delays)
	slices.Sort(delays)
	r.Median, r.P90 = quantile(delays, 0.5), quantile(delays, 0.9)
	r.Buckets = make([]Bucket, len(bucketEdges))
	for i, e := range bucketEdges {
		r.Buckets[i].Upper = e
	}
	for _, d := range delays {
		i := 0
		for i < len(bucketEdges)-1 && time.Duration(d)*time.Millisecond > bucketEdges[i] {
			i++
		}
		r.Buckets[i].Count++
	}
	unread, err := store.UnreadNoticesByOrg(ctx, c, store.MaxPage)
	if err != nil {
		return r, err
	}
	for _, u := range unread {
		o, err := store.GetOrg(ctx, c, u.OrgID)
		if err != nil {
			return r, err
		}
		r.ByOrg = append(r.ByOrg, OrgUnread{Org: o, Unread: u.Unread, Oldest: u.Oldest})
	}
	return r, nil
}

// quantile is the q-quantile (nearest rank) of sorted millisecond delays.
func quantile(sorted []int64, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return time.Duration(sorted[i]) * time.Millisecond
}
