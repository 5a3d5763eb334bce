// Package community manages communities: their names and descriptions in both languages,
// their members (whole organizations and individual people) and their moderators.
package community

import (
	"context"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// Limits on community fields.
const (
	MaxNameLen        = 100
	MaxDescriptionLen = 2000
)

// Service is the community service.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns the service.
func New(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now}
}

// Input is the editable part of a community, as typed.
type Input struct {
	NameJA        string
	NameEN        string
	DescriptionJA string
	DescriptionEN string
}

func (in Input) validate() (model.Community, error) {
	var errs fault.List
	var x model.Community
	var err error
	x.NameJA, err = model.CleanText(in.NameJA, MaxNameLen, true)
	errs.AddErr("name_ja", err)
	x.NameEN, err = model.CleanText(in.NameEN, MaxNameLen, false)
	errs.AddErr("name_en", err)
	if x.NameEN == "" {
		x.NameEN = x.NameJA
	}
	x.DescriptionJA, err = model.CleanMultiline(in.DescriptionJA, MaxDescriptionLen)
	errs.AddErr("description_ja", err)
	x.DescriptionEN, err = model.CleanMultiline(in.DescriptionEN, MaxDescriptionLen)
	errs.AddErr("description_en", err)
	return x, errs.Err()
}

// writeError reports a name another community already has as a conflict on the field
// that holds it (the unique index named in the driver's message tells which).
func writeError(err error) error {
	if errors.Is(err, store.ErrDuplicate) {
		field := "name_ja"
		if strings.Contains(err.Error(), "name_en_key") {
			field = "name_en"
		}
		return fault.New(fault.Conflict, "community.duplicate").WithField(field)
	}
	return err
}

// Create adds a community (center admins).
func (s *Service) Create(ctx context.Context, p auth.Principal, in Input) (model.Community, error) {
	if !policy.CanManageCommunities(p.Actor) {
		return model.Community{}, fault.New(fault.Forbidden, "error.forbidden")
	}
	x, err := in.validate()
	if err != nil {
		return x, err
	}
	now := s.now()
	err = s.db.Write(ctx, func(c store.Conn) error {
		if x.ID, err = store.InsertCommunity(ctx, c, x, now); err != nil {
			return writeError(err)
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "community.created", TargetType: "community",
			TargetID: x.ID, Detail: map[string]any{"name_ja": x.NameJA, "name_en": x.NameEN}}, now)
		return err
	})
	x.CreatedAt, x.UpdatedAt = now, now
	return x, err
}

// Update changes a community's names and descriptions (center admins).
func (s *Service) Update(ctx context.Context, p auth.Principal, id int64, in Input) (model.Community, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return model.Community{}, err
	}
	if !policy.CanManageCommunities(p.Actor) {
		return model.Community{}, fault.New(fault.Forbidden, "error.forbidden")
	}
	x, err := in.validate()
	if err != nil {
		return x, err
	}
	x.ID = id
	now := s.now()
	err = s.db.Write(ctx, func(c store.Conn) error {
		if err := store.UpdateCommunity(ctx, c, x, now); err != nil {
			return writeError(err)
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "community.updated", TargetType: "community",
			TargetID: x.ID, Detail: map[string]any{"name_ja": x.NameJA, "name_en": x.NameEN}}, now)
		return err
	})
	x.UpdatedAt = now
	return x, err
}

// Get returns a community the principal may see.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (model.Community, error) {
	x, err := store.GetCommunity(ctx, s.db.Read(), id)
	if errors.Is(err, store.ErrNotFound) {
		return x, fault.New(fault.NotFound, "error.not_found")
	}
	if err != nil {
		return x, err
	}
	if !policy.CanViewCommunity(p.Actor, id) {
		return model.Community{}, fault.New(fault.NotFound, "error.not_found")
	}
	return x, nil
}

// Find finds a community by id or name (command line).
func (s *Service) Find(ctx context.Context, p auth.Principal, ref string) (model.Community, error) {
	ref, _ = model.CleanText(ref, math.MaxInt, false) // no control characters: PostgreSQL refuses a NUL
	x, err := store.FindCommunity(ctx, s.db.Read(), ref)
	if errors.Is(err, store.ErrNotFound) {
		return x, fault.New(fault.NotFound, "community.not_found", "ref", ref)
	}
	if err != nil {
		return x, err
	}
	return s.Get(ctx, p, x.ID)
}

// Mine lists the communities the principal belongs to.
func (s *Service) Mine(ctx context.Context, p auth.Principal, page store.Page) ([]model.Community, error) {
	return store.ListCommunities(ctx, s.db.Read(), policy.MemberFilter(p.Actor), page)
}

// List lists every community the principal may see (all of them for center admins).
func (s *Service) List(ctx context.Context, p auth.Principal, page store.Page) ([]model.Community, error) {
	return store.ListCommunities(ctx, s.db.Read(), policy.CommunityFilter(p.Actor), page)
}

// Members lists a page of a community's members, with names, and marks moderators.
func (s *Service) Members(ctx context.Context, p auth.Principal, id int64, page store.Page) ([]store.MemberRow, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return store.ListMemberRows(ctx, s.db.Read(), id, policy.MemberRowFilter(p.Actor), page)
}

// Moderators lists a community's moderators; disabled ones only to those to whom the
// member list shows disabled people (policy.CanListMember).
func (s *Service) Moderators(ctx context.Context, p auth.Principal, id int64) ([]model.User, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	mods, err := store.ListModeratorUsers(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	out := mods[:0]
	for _, u := range mods {
		if policy.CanListMember(p.Actor, policy.MemberFacts{PersonOrgID: u.OrgID, PersonDisabled: u.Disabled}) {
			out = append(out, u)
		}
	}
	return out, nil
}

// AddOrg makes a whole organization a member (center admins).
func (s *Service) AddOrg(ctx context.Context, p auth.Principal, communityID, orgID int64) error {
	return s.changeMember(ctx, p, communityID, orgID, 0, true)
}

// AddUser makes one person a member (center admins).
func (s *Service) AddUser(ctx context.Context, p auth.Principal, communityID, userID int64) error {
	return s.changeMember(ctx, p, communityID, 0, userID, true)
}

// RemoveOrg removes an organization's membership (center admins).
func (s *Service) RemoveOrg(ctx context.Context, p auth.Principal, communityID, orgID int64) error {
	return s.changeMember(ctx, p, communityID, orgID, 0, false)
}

// RemoveUser removes a person's own membership (center admins).
func (s *Service) RemoveUser(ctx context.Context, p auth.Principal, communityID, userID int64) error {
	return s.changeMember(ctx, p, communityID, 0, userID, false)
}

func (s *Service) changeMember(ctx context.Context, p auth.Principal, communityID, orgID, userID int64, add bool) error {
	if _, err := s.Get(ctx, p, communityID); err != nil {
		return err
	}
	if !policy.CanManageCommunities(p.Actor) {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	now := s.now()
	return s.db.Write(ctx, func(c store.Conn) error {
		if err := memberExists(ctx, c, orgID, userID); err != nil {
			return err
		}
		action := "community.member_added"
		if add {
			added, err := store.AddMember(ctx, c, communityID, orgID, userID, now)
			if err != nil {
				return err
			}
			if !added {
				return nil // already a member: nothing changed, nothing to record
			}
		} else {
			action = "community.member_removed"
			err := store.RemoveMember(ctx, c, communityID, orgID, userID)
			if errors.Is(err, store.ErrNotFound) {
				return fault.New(fault.NotFound, "community.not_a_member")
			}
			if err != nil {
				return err
			}
		}
		detail := map[string]any{}
		if orgID != 0 {
			detail["org_id"] = orgID
		} else {
			detail["user_id"] = userID
		}
		if _, err := audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: action, TargetType: "community",
			TargetID: communityID, Detail: detail}, now); err != nil {
			return err
		}
		if add {
			return nil
		}
		return dropModeratorsNotMembers(ctx, c, p, communityID, now)
	})
}

// dropModeratorsNotMembers ends the moderation of the people a removed membership left
// outside the community: only a member may moderate (see SetModerator).
func dropModeratorsNotMembers(ctx context.Context, c store.Conn, p auth.Principal, communityID int64, now time.Time) error {
	mods, err := store.ListModerators(ctx, c, communityID)
	if err != nil {
		return err
	}
	for _, id := range mods {
		u, err := store.GetUser(ctx, c, id)
		if err != nil {
			return err
		}
		comms, err := store.UserCommunityIDs(ctx, c, u.ID, u.OrgID)
		if err != nil {
			return err
		}
		if policy.IsCommunityMember(auth.ActorFor(u, comms), communityID) {
			continue
		}
		if err := store.SetModerator(ctx, c, communityID, id, false, now); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "community.moderator_removed", TargetType: "community",
			TargetID: communityID, Detail: map[string]any{"user_id": id, "reason": "no_longer_member"}}, now); err != nil {
			return err
		}
	}
	return nil
}

func memberExists(ctx context.Context, c store.Conn, orgID, userID int64) error {
	if orgID != 0 {
		if _, err := store.GetOrg(ctx, c, orgID); errors.Is(err, store.ErrNotFound) {
			return fault.Field("org_id", "org.not_found", "ref", orgID)
		} else if err != nil {
			return err
		}
		return nil
	}
	if _, err := store.GetUser(ctx, c, userID); errors.Is(err, store.ErrNotFound) {
		return fault.Field("user_id", "user.not_found", "ref", userID)
	} else if err != nil {
		return err
	}
	return nil
}

// SetModerator makes a member a moderator (on) or not (center admins).
func (s *Service) SetModerator(ctx context.Context, p auth.Principal, communityID, userID int64, on bool) error {
	if _, err := s.Get(ctx, p, communityID); err != nil {
		return err
	}
	if !policy.CanManageCommunities(p.Actor) {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	now := s.now()
	return s.db.Write(ctx, func(c store.Conn) error {
		u, err := store.GetUser(ctx, c, userID)
		if errors.Is(err, store.ErrNotFound) {
			return fault.Field("user_id", "user.not_found", "ref", userID)
		} else if err != nil {
			return err
		}
		if on {
			comms, err := store.UserCommunityIDs(ctx, c, u.ID, u.OrgID)
			if err != nil {
				return err
			}
			if !policy.IsCommunityMember(auth.ActorFor(u, comms), communityID) {
				return fault.Field("user_id", "community.moderator_not_member")
			}
		}
		if err := store.SetModerator(ctx, c, communityID, userID, on, now); err != nil {
			return err
		}
		action := "community.moderator_added"
		if !on {
			action = "community.moderator_removed"
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: action, TargetType: "community",
			TargetID: communityID, Detail: map[string]any{"user_id": userID}}, now)
		return err
	})
}
