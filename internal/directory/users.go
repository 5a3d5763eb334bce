package directory

import (
	"context"
	"errors"
	"math"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// MaxDisplayNameLen bounds a person's display name.
const MaxDisplayNameLen = 100

// UserInput describes a new person, as typed.
type UserInput struct {
	OrgID       int64
	Email       string
	DisplayName string
	Role        string // member, org-admin, analyst, center-admin; empty means member
	Lang        string // empty means ja
	TimeZone    string // empty means Asia/Tokyo
}

// UserPatch changes a person; nil fields stay as they are.
type UserPatch struct {
	DisplayName *string
	Email       *string
	Role        *string
	Lang        *string
	TimeZone    *string
	Disabled    *bool
}

// CreateUser adds a person to an organization. Org admins add people to their own
// organization; center roles are granted by center admins to center people only.
func (s *Service) CreateUser(ctx context.Context, p auth.Principal, in UserInput) (model.User, error) {
	if in.Role == "" {
		in.Role = string(model.RoleMember)
	}
	if in.Lang == "" {
		in.Lang = string(model.LangJA)
	}
	if in.TimeZone == "" {
		in.TimeZone = model.DefaultTimeZone
	}
	org, err := store.GetOrg(ctx, s.db.Read(), in.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		return model.User{}, fault.Field("org_id", "org.not_found", "ref", in.OrgID)
	}
	if err != nil {
		return model.User{}, err
	}
	if !policy.CanManagePeopleOf(p.Actor, org.ID) {
		return model.User{}, fault.New(fault.Forbidden, "user.org_not_allowed").WithField("org_id")
	}
	u := model.User{OrgID: org.ID}
	var errs fault.List
	u.Email, err = model.NormalizeEmail(in.Email)
	errs.AddErr("email", err)
	u.DisplayName, err = model.CleanText(in.DisplayName, MaxDisplayNameLen, true)
	errs.AddErr("display_name", err)
	role, roleErr := model.ParseRole(in.Role)
	errs.AddErr("role", roleErr)
	u.Lang, err = model.ParseLang(in.Lang)
	errs.AddErr("lang", err)
	errs.AddErr("time_zone", model.ValidTimeZone(in.TimeZone))
	u.TimeZone = in.TimeZone
	if roleErr == nil && !policy.CanGrantRole(p.Actor, role, org.ID, org.Kind) {
		errs.Add("role", "user.role_not_allowed", "role", role)
	}
	if err := errs.Err(); err != nil {
		return model.User{}, err
	}
	u.OrgRole, u.CenterRole = role.Split()
	now := s.now()
	err = s.db.Write(ctx, func(c store.Conn) error {
		if u.ID, err = store.InsertUser(ctx, c, u, now); err != nil {
			return userWriteError(err)
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "user.created", TargetType: "user", TargetID: u.ID,
			Detail: map[string]any{"email": u.Email, "org_id": u.OrgID, "role": role}}, now)
		return err
	})
	u.CreatedAt, u.UpdatedAt = now, now
	return u, err
}

func userWriteError(err error) error {
	if errors.Is(err, store.ErrDuplicate) {
		return fault.New(fault.Conflict, "user.duplicate_email").WithField("email")
	}
	return err
}

// UpdateUser changes a person on an administrator's behalf.
func (s *Service) UpdateUser(ctx context.Context, p auth.Principal, id int64, patch UserPatch) (model.User, error) {
	old, err := s.ManagedUser(ctx, p, id)
	if err != nil {
		return model.User{}, err
	}
	u, role, err := s.applyPatch(ctx, p, old, patch)
	if err != nil {
		return model.User{}, err
	}
	now := s.now()
	err = s.db.Write(ctx, func(c store.Conn) error {
		// Take the audit lock (which the records below need anyway) before counting the
		// center admins: on PostgreSQL two admins demoted at once would otherwise both see
		// the other still active, and the platform would be left with none.
		if err := store.LockAudit(ctx, c); err != nil {
			return err
		}
		if err := s.keepOneCenterAdmin(ctx, c, old, u); err != nil {
			return err
		}
		if err := store.UpdateUser(ctx, c, u, now); err != nil {
			return userWriteError(err)
		}
		if u.Disabled && !old.Disabled {
			if _, err := store.DeleteUserSessions(ctx, c, u.ID, ""); err != nil {
				return err
			}
		}
		for _, e := range userChangeEntries(old, u, role) {
			e.Actor, e.TargetType, e.TargetID = p.AuditActor(), "user", u.ID
			if _, err := audit.Append(ctx, c, e, now); err != nil {
				return err
			}
		}
		return nil
	})
	u.UpdatedAt = now
	return u, err
}

// ManagedUser loads a person the principal may administer: Forbidden for one they may
// only see, NotFound for one they may not even see.
func (s *Service) ManagedUser(ctx context.Context, p auth.Principal, id int64) (model.User, error) {
	u, err := store.GetUser(ctx, s.db.Read(), id)
	if errors.Is(err, store.ErrNotFound) {
		return model.User{}, fault.New(fault.NotFound, "error.not_found")
	}
	if err != nil {
		return model.User{}, err
	}
	if !policy.CanManagePerson(p.Actor, u) {
		if _, err := s.GetUser(ctx, p, id); err != nil {
			return model.User{}, err // not even visible: do not reveal it exists
		}
		return model.User{}, fault.New(fault.Forbidden, "error.forbidden")
	}
	return u, nil
}

func (s *Service) applyPatch(ctx context.Context, p auth.Principal, u model.User, patch UserPatch) (model.User, model.Role, error) {
	var errs fault.List
	var err error
	if patch.DisplayName != nil {
		u.DisplayName, err = model.CleanText(*patch.DisplayName, MaxDisplayNameLen, true)
		errs.AddErr("display_name", err)
	}
	if patch.Email != nil {
		u.Email, err = model.NormalizeEmail(*patch.Email)
		errs.AddErr("email", err)
	}
	if patch.Lang != nil {
		u.Lang, err = model.ParseLang(*patch.Lang)
		errs.AddErr("lang", err)
	}
	if patch.TimeZone != nil {
		errs.AddErr("time_zone", model.ValidTimeZone(*patch.TimeZone))
		u.TimeZone = *patch.TimeZone
	}
	if patch.Disabled != nil {
		if *patch.Disabled && u.ID == p.User.ID {
			errs.Add("disabled", "user.cannot_disable_self")
		}
		u.Disabled = *patch.Disabled
	}
	role := u.Role()
	if patch.Role != nil {
		role, err = model.ParseRole(*patch.Role)
		errs.AddErr("role", err)
		if err == nil && role != u.Role() {
			org, err := store.GetOrg(ctx, s.db.Read(), u.OrgID)
			if err != nil {
				return u, role, err
			}
			if !policy.CanGrantRole(p.Actor, role, org.ID, org.Kind) {
				errs.Add("role", "user.role_not_allowed", "role", role)
			}
			u.OrgRole, u.CenterRole = role.Split()
		}
	}
	return u, role, errs.Err()
}

// keepOneCenterAdmin refuses a change that would leave no enabled center admin.
func (s *Service) keepOneCenterAdmin(ctx context.Context, c store.Conn, old, new model.User) error {
	wasAdmin := old.CenterRole == model.CenterAdmin && !old.Disabled
	isAdmin := new.CenterRole == model.CenterAdmin && !new.Disabled
	if !wasAdmin || isAdmin {
		return nil
	}
	n, err := store.CountActiveCenterAdmins(ctx, c)
	if err != nil {
		return err
	}
	if n <= 1 {
		return fault.Field("role", "user.last_center_admin")
	}
	return nil
}

func userChangeEntries(old, new model.User, role model.Role) []audit.Entry {
	var out []audit.Entry
	if old.Role() != role {
		out = append(out, audit.Entry{Action: "user.role_changed", Detail: map[string]any{"from": old.Role(), "to": role}})
	}
	if !old.Disabled && new.Disabled {
		out = append(out, audit.Entry{Action: "user.disabled"})
	}
	if old.Disabled && !new.Disabled {
		out = append(out, audit.Entry{Action: "user.enabled"})
	}
	d := map[string]any{}
	if old.Email != new.Email {
		d["email"] = map[string]any{"from": old.Email, "to": new.Email}
	}
	if old.DisplayName != new.DisplayName {
		d["display_name"] = map[string]any{"from": old.DisplayName, "to": new.DisplayName}
	}
	if old.Lang != new.Lang {
		d["lang"] = new.Lang
	}
	if old.TimeZone != new.TimeZone {
		d["time_zone"] = new.TimeZone
	}
	if len(d) > 0 {
		out = append(out, audit.Entry{Action: "user.updated", Detail: d})
	}
	return out
}

// ProfileInput is what a person changes about themselves.
type ProfileInput struct {
	DisplayName string
	Lang        string
	TimeZone    string
}

// UpdateProfile changes the principal's own name, language and time zone. The rest of the
// person is read again in the write, so that a principal loaded before an administrator
// changed the person's role or disabled them does not undo that change.
func (s *Service) UpdateProfile(ctx context.Context, p auth.Principal, in ProfileInput) (model.User, error) {
	var errs fault.List
	name, err := model.CleanText(in.DisplayName, MaxDisplayNameLen, true)
	errs.AddErr("display_name", err)
	lang, err := model.ParseLang(in.Lang)
	errs.AddErr("lang", err)
	errs.AddErr("time_zone", model.ValidTimeZone(in.TimeZone))
	if err := errs.Err(); err != nil {
		return p.User, err
	}
	now := s.now()
	var u model.User
	err = s.db.Write(ctx, func(c store.Conn) error {
		if u, err = store.GetUser(ctx, c, p.User.ID); err != nil {
			return err
		}
		u.DisplayName, u.Lang, u.TimeZone = name, lang, in.TimeZone
		return store.UpdateUser(ctx, c, u, now)
	})
	u.UpdatedAt = now
	return u, err
}

// GetUser returns a person the principal may see.
func (s *Service) GetUser(ctx context.Context, p auth.Principal, id int64) (model.User, error) {
	c := s.db.Read()
	u, err := store.GetUser(ctx, c, id)
	if errors.Is(err, store.ErrNotFound) {
		return u, fault.New(fault.NotFound, "error.not_found")
	}
	if err != nil {
		return u, err
	}
	facts, err := PersonFacts(ctx, c, u)
	if err != nil {
		return u, err
	}
	if !policy.CanViewPerson(p.Actor, facts) {
		return model.User{}, fault.New(fault.NotFound, "error.not_found")
	}
	return u, nil
}

// PersonFacts loads what the people rule needs to know about a person.
func PersonFacts(ctx context.Context, c store.Conn, u model.User) (policy.PersonFacts, error) {
	comms, err := store.UserCommunityIDs(ctx, c, u.ID, u.OrgID)
	return policy.PersonFacts{ID: u.ID, OrgID: u.OrgID, Communities: comms}, err
}

// FindUser finds a person by email (command line).
func (s *Service) FindUser(ctx context.Context, p auth.Principal, email string) (model.User, error) {
	u, err := store.GetUserByEmail(ctx, s.db.Read(), email)
	if errors.Is(err, store.ErrNotFound) {
		return u, fault.New(fault.NotFound, "user.not_found", "ref", email)
	}
	if err != nil {
		return u, err
	}
	return s.GetUser(ctx, p, u.ID)
}

// UserQuery filters a list of people.
type UserQuery struct {
	OrgID           int64
	Text            string
	IncludeDisabled bool
	Page            store.Page
}

// ListUsers returns the people the principal may see. Disabled people are listed only to
// those who manage that organization's people (or to center staff across organizations).
func (s *Service) ListUsers(ctx context.Context, p auth.Principal, q UserQuery) ([]model.User, error) {
	include := q.IncludeDisabled && policy.CanListDisabledPeople(p.Actor, q.OrgID)
	text, _ := model.CleanText(q.Text, math.MaxInt, false) // no control characters: PostgreSQL refuses a NUL
	return store.ListUsers(ctx, s.db.Read(), store.UserQuery{
		OrgID: q.OrgID, Text: text, IncludeDisabled: include, Access: policy.PersonFilter(p.Actor), Page: q.Page,
	})
}
