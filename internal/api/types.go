package api

import (
	"encoding/json"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

// The JSON shapes of the API. Times are RFC 3339 in UTC; a time never set is null.

// Org is an organization.
type Org struct {
	ID        int64           `json:"id"`
	NameJA    string          `json:"name_ja"`
	NameEN    string          `json:"name_en"`
	Kind      string          `json:"kind" doc:"center, operator, organizer, partner, venue, sports, ministry, police, security-agency, cti-vendor, local-gov or other"`
	Sector    string          `json:"sector" doc:"one of the 24 critical-service sectors, or empty"`
	Contacts  []model.Contact `json:"contacts,omitempty" doc:"shown to center staff and the organization's own people"`
	Disabled  bool            `json:"disabled"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

func orgOut(o model.Org) Org {
	return Org{ID: o.ID, NameJA: o.NameJA, NameEN: o.NameEN, Kind: string(o.Kind), Sector: string(o.Sector),
		Contacts: o.Contacts, Disabled: o.Disabled, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

// OrgInput creates or replaces an organization's editable fields.
type OrgInput struct {
	NameJA   string          `json:"name_ja"`
	NameEN   string          `json:"name_en,omitempty"`
	Kind     string          `json:"kind"`
	Sector   string          `json:"sector,omitempty"`
	Contacts []model.Contact `json:"contacts,omitempty"`
	Disabled bool            `json:"disabled,omitempty"`
}

// User is a person.
type User struct {
	ID           int64      `json:"id"`
	OrgID        int64      `json:"org_id"`
	Email        string     `json:"email"`
	DisplayName  string     `json:"display_name"`
	Role         string     `json:"role" doc:"member, org-admin, analyst or center-admin"`
	Lang         string     `json:"lang"`
	TimeZone     string     `json:"time_zone"`
	Disabled     bool       `json:"disabled"`
	TOTPEnabled  bool       `json:"totp_enabled"`
	CreatedAt    time.Time  `json:"created_at"`
	LastSignInAt *time.Time `json:"last_sign_in_at"`
}

func userOut(u model.User) User {
	return User{ID: u.ID, OrgID: u.OrgID, Email: u.Email, DisplayName: u.DisplayName, Role: string(u.Role()),
		Lang: string(u.Lang), TimeZone: u.TimeZone, Disabled: u.Disabled, TOTPEnabled: u.TOTPEnabled,
		CreatedAt: u.CreatedAt, LastSignInAt: timePtr(u.LastSignInAt)}
}

// UserInput creates a person.
type UserInput struct {
	OrgID       int64  `json:"org_id"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role,omitempty" doc:"member (default), org-admin, analyst or center-admin"`
	Lang        string `json:"lang,omitempty" doc:"ja (default) or en"`
	TimeZone    string `json:"time_zone,omitempty" doc:"IANA name; default Asia/Tokyo"`
}

// UserPatch changes a person; absent fields stay as they are.
type UserPatch struct {
	Email       *string `json:"email,omitempty"`
	DisplayName *string `json:"display_name,omitempty"`
	Role        *string `json:"role,omitempty"`
	Lang        *string `json:"lang,omitempty"`
	TimeZone    *string `json:"time_zone,omitempty"`
	Disabled    *bool   `json:"disabled,omitempty"`
}

// UserCreated is a new person with the one-time link that lets them set a password.
type UserCreated struct {
	User
	SignInLink       string    `json:"sign_in_link" doc:"one-time link to set a password; shown only in this response"`
	SignInLinkExpiry time.Time `json:"sign_in_link_expires_at"`
}

// ProfileInput is what people change about themselves.
type ProfileInput struct {
	DisplayName *string `json:"display_name,omitempty"`
	Lang        *string `json:"lang,omitempty"`
	TimeZone    *string `json:"time_zone,omitempty"`
}

// Me is the caller with their organization and communities.
type Me struct {
	User         User    `json:"user"`
	Org          Org     `json:"org"`
	Communities  []int64 `json:"communities" doc:"ids of the communities the caller belongs to"`
	TOTPRequired bool    `json:"totp_required"`
}

// Community is a community.
type Community struct {
	ID            int64     `json:"id"`
	NameJA        string    `json:"name_ja"`
	NameEN        string    `json:"name_en"`
	DescriptionJA string    `json:"description_ja"`
	DescriptionEN string    `json:"description_en"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func communityOut(c model.Community) Community {
	return Community{ID: c.ID, NameJA: c.NameJA, NameEN: c.NameEN, DescriptionJA: c.DescriptionJA,
		DescriptionEN: c.DescriptionEN, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// CommunityInput creates or replaces a community's names and descriptions.
type CommunityInput struct {
	NameJA        string `json:"name_ja"`
	NameEN        string `json:"name_en,omitempty"`
	DescriptionJA string `json:"description_ja,omitempty"`
	DescriptionEN string `json:"description_en,omitempty"`
}

// Member is a membership: a whole organization (org_id) or one person (user_id).
type Member struct {
	ID        int64     `json:"id"`
	OrgID     *int64    `json:"org_id"`
	UserID    *int64    `json:"user_id"`
	NameJA    string    `json:"name_ja"`
	NameEN    string    `json:"name_en"`
	Moderator bool      `json:"moderator"`
	AddedAt   time.Time `json:"added_at"`
}

func memberOut(m store.MemberRow) Member {
	out := Member{ID: m.ID, Moderator: m.Moderator, AddedAt: m.AddedAt}
	if m.OrgID != 0 {
		id := m.OrgID
		out.OrgID, out.NameJA, out.NameEN = &id, m.OrgNameJA, m.OrgNameEN
	} else {
		id := m.UserID
		out.UserID, out.NameJA, out.NameEN = &id, m.UserName, m.UserName
	}
	return out
}

// MemberInput adds an organization or a person (exactly one of the two).
type MemberInput struct {
	OrgID  int64 `json:"org_id,omitempty"`
	UserID int64 `json:"user_id,omitempty"`
}

// Token is an API token (never its secret, except once in TokenCreated).
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Active     bool       `json:"active"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func tokenOut(t model.Token) Token {
	return Token{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Active: t.Active(), CreatedAt: t.CreatedAt,
		LastUsedAt: timePtr(t.LastUsedAt), RevokedAt: timePtr(t.RevokedAt)}
}

// TokenInput names a new token.
type TokenInput struct {
	Name string `json:"name"`
}

// TokenCreated carries the secret, shown only in this response.
type TokenCreated struct {
	Token
	Secret string `json:"token"`
}

// AuditRecord is one record of the chained audit log.
type AuditRecord struct {
	Seq         int64           `json:"seq"`
	At          time.Time       `json:"at"`
	ActorUserID int64           `json:"actor_user_id"`
	ActorEmail  string          `json:"actor_email"`
	IP          string          `json:"ip"`
	Action      string          `json:"action"`
	TargetType  string          `json:"target_type"`
	TargetID    int64           `json:"target_id"`
	Detail      json.RawMessage `json:"detail"`
	PrevHash    string          `json:"prev_hash"`
	Hash        string          `json:"hash"`
}

func auditOut(r model.AuditRecord) AuditRecord {
	return AuditRecord{Seq: r.Seq, At: r.At, ActorUserID: r.ActorUserID, ActorEmail: r.ActorEmail, IP: r.IP, Action: r.Action,
		TargetType: r.TargetType, TargetID: r.TargetID, Detail: json.RawMessage(r.Detail), PrevHash: r.PrevHash, Hash: r.Hash}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
