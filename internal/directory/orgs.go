// Package directory manages organizations and people: the member directory, their
// administration by center admins and org admins, and each person's own profile.
package directory

import (
	"context"
	"errors"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// Limits on organization fields.
const (
	MaxNameLen     = 200
	MaxContacts    = 10
	MaxContactText = 200
)

// Service is the directory service.
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

// OrgInput is the editable part of an organization, as typed.
type OrgInput struct {
	NameJA   string
	NameEN   string
	Kind     string
	Sector   string
	Contacts []model.Contact
	Disabled bool
}

var phonePattern = regexp.MustCompile(`^[0-9+()\- ]{3,40}$`)

// validate checks the input and returns the organization it describes.
func (in OrgInput) validate() (model.Org, error) {
	var errs fault.List
	var o model.Org
	var err error
	o.NameJA, err = model.CleanText(in.NameJA, MaxNameLen, true)
	errs.AddErr("name_ja", err)
	o.NameEN, err = model.CleanText(in.NameEN, MaxNameLen, false)
	errs.AddErr("name_en", err)
	if o.NameEN == "" {
		o.NameEN = o.NameJA
	}
	o.Kind, err = model.ParseOrgKind(in.Kind)
	errs.AddErr("kind", err)
	o.Sector, err = model.ParseSector(in.Sector)
	errs.AddErr("sector", err)
	if len(in.Contacts) > MaxContacts {
		errs.Add("contacts", "invalid.too_many", "max", MaxContacts)
	}
	for _, c := range in.Contacts {
		c, cerr := cleanContact(c)
		if cerr != nil {
			errs.AddErr("contacts", cerr)
			continue
		}
		if c != (model.Contact{}) {
			o.Contacts = append(o.Contacts, c)
		}
	}
	o.Disabled = in.Disabled
	return o, errs.Err()
}

func cleanContact(c model.Contact) (model.Contact, error) {
	var err error
	if c.Label, err = model.CleanText(c.Label, MaxContactText, false); err != nil {
		return c, err
	}
	if c.Phone, err = model.CleanText(c.Phone, 40, false); err != nil {
		return c, err
	}
	if c.Phone != "" && !phonePattern.MatchString(c.Phone) {
		return c, fault.New(fault.Invalid, "invalid.phone", "value", c.Phone)
	}
	if c.Email != "" {
		if c.Email, err = model.NormalizeEmail(c.Email); err != nil {
			return c, err
		}
	}
	if c.Label == "" && (c.Email != "" || c.Phone != "") {
		return c, fault.New(fault.Invalid, "invalid.contact_label")
	}
	return c, nil
}

// CreateOrg adds an organization (center admins).
func (s *Service) CreateOrg(ctx context.Context, p auth.Principal, in OrgInput) (model.Org, error) {
	if !policy.CanManageOrgs(p.Actor) {
		return model.Org{}, fault.New(fault.Forbidden, "error.forbidden")
	}
	o, err := in.validate()
	if err != nil {
		return model.Org{}, err
	}
	now := s.now()
	err = s.db.Write(ctx, func(c store.Conn) error {
		if o.ID, err = store.InsertOrg(ctx, c, o, now); err != nil {
			return orgWriteError(err)
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "org.created", TargetType: "org", TargetID: o.ID,
			Detail: map[string]any{"name_ja": o.NameJA, "name_en": o.NameEN, "kind": o.Kind, "sector": o.Sector}}, now)
		return err
	})
	o.CreatedAt, o.UpdatedAt = now, now
	return o, err
}

// UpdateOrg changes an organization (center admins).
func (s *Service) UpdateOrg(ctx context.Context, p auth.Principal, id int64, in OrgInput) (model.Org, error) {
	if !policy.CanManageOrgs(p.Actor) {
		return model.Org{}, fault.New(fault.Forbidden, "error.forbidden")
	}
	o, err := in.validate()
	if err != nil {
		return model.Org{}, err
	}
	o.ID = id
	now := s.now()
	err = s.db.Write(ctx, func(c store.Conn) error {
		old, err := store.GetOrg(ctx, c, id)
		if errors.Is(err, store.ErrNotFound) {
			return fault.New(fault.NotFound, "error.not_found")
		} else if err != nil {
			return err
		}
		if old.Kind == model.KindCenter && o.Kind != model.KindCenter {
			if n, err := store.CountCenterStaff(ctx, c, id); err != nil {
				return err
			} else if n > 0 {
				return fault.Field("kind", "org.center_has_staff")
			}
		}
		if err := store.UpdateOrg(ctx, c, o, now); err != nil {
			return orgWriteError(err)
		}
		o.CreatedAt = old.CreatedAt
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: orgAction(old, o), TargetType: "org", TargetID: id,
			Detail: orgChanges(old, o)}, now)
		return err
	})
	o.UpdatedAt = now
	return o, err
}

func orgAction(old, new model.Org) string {
	switch {
	case !old.Disabled && new.Disabled:
		return "org.disabled"
	case old.Disabled && !new.Disabled:
		return "org.enabled"
	}
	return "org.updated"
}

func orgChanges(old, new model.Org) map[string]any {
	d := map[string]any{}
	diff := func(k string, a, b any) {
		if a != b {
			d[k] = map[string]any{"from": a, "to": b}
		}
	}
	diff("name_ja", old.NameJA, new.NameJA)
	diff("name_en", old.NameEN, new.NameEN)
	diff("kind", old.Kind, new.Kind)
	diff("sector", old.Sector, new.Sector)
	diff("disabled", old.Disabled, new.Disabled)
	if len(old.Contacts) != len(new.Contacts) {
		d["contacts"] = "changed"
	} else {
		for i := range old.Contacts {
			if old.Contacts[i] != new.Contacts[i] {
				d["contacts"] = "changed"
			}
		}
	}
	return d
}

// orgWriteError reports a name another organization already has as a conflict on the
// field that holds it (the unique index named in the driver's message tells which).
func orgWriteError(err error) error {
	if errors.Is(err, store.ErrDuplicate) {
		field := "name_ja"
		if strings.Contains(err.Error(), "name_en_key") {
			field = "name_en"
		}
		return fault.New(fault.Conflict, "org.duplicate").WithField(field)
	}
	return err
}

// GetOrg returns an organization the principal may see, without contacts they may not.
func (s *Service) GetOrg(ctx context.Context, p auth.Principal, id int64) (model.Org, error) {
	o, err := store.GetOrg(ctx, s.db.Read(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !policy.CanViewOrg(p.Actor, policy.OrgFacts{ID: o.ID, Disabled: o.Disabled})) {
		return model.Org{}, fault.New(fault.NotFound, "error.not_found")
	}
	return redactOrg(p, o), err
}

// FindOrg finds an organization by id or name (command line).
func (s *Service) FindOrg(ctx context.Context, p auth.Principal, ref string) (model.Org, error) {
	ref, _ = model.CleanText(ref, math.MaxInt, false) // no control characters: PostgreSQL refuses a NUL
	o, err := store.FindOrg(ctx, s.db.Read(), ref)
	if errors.Is(err, store.ErrNotFound) {
		return o, fault.New(fault.NotFound, "org.not_found", "ref", ref)
	}
	if err != nil {
		return o, err
	}
	return s.GetOrg(ctx, p, o.ID)
}

// OrgQuery filters the directory.
type OrgQuery struct {
	Kind            string
	Sector          string
	Text            string
	IncludeDisabled bool
	Page            store.Page
}

// ListOrgs returns a page of the directory.
func (s *Service) ListOrgs(ctx context.Context, p auth.Principal, q OrgQuery) ([]model.Org, error) {
	sq := store.OrgQuery{Text: q.Text, Page: q.Page, IncludeDisabled: q.IncludeDisabled && policy.OrgFilter(p.Actor)}
	var errs fault.List
	if q.Kind != "" {
		k, err := model.ParseOrgKind(q.Kind)
		errs.AddErr("kind", err)
		sq.Kind = k
	}
	if q.Sector != "" {
		sec, err := model.ParseSector(q.Sector)
		errs.AddErr("sector", err)
		sq.Sector = sec
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	orgs, err := store.ListOrgs(ctx, s.db.Read(), sq)
	for i := range orgs {
		orgs[i] = redactOrg(p, orgs[i])
	}
	return orgs, err
}

func redactOrg(p auth.Principal, o model.Org) model.Org {
	if !policy.CanViewOrgContacts(p.Actor, o.ID) {
		o.Contacts = nil
	}
	return o
}
