// Package model holds the plain data types shared by the store, the services and the
// handlers: organizations, people, communities, sessions, tokens and their enumerations.
// It has no behaviour beyond validating its own values.
package model

import "time"

// Org is a member organization or the coordination center itself.
type Org struct {
	ID        int64
	NameJA    string
	NameEN    string
	Kind      OrgKind
	Sector    Sector
	Contacts  []Contact
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Name returns the organization's name in the given language.
func (o Org) Name(lang Lang) string { return pick(lang, o.NameJA, o.NameEN) }

// Contact is one contact point of an organization (a desk, an on-call phone, a person).
type Contact struct {
	Label string `json:"label"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// User is a person who signs in.
type User struct {
	ID           int64
	OrgID        int64
	Email        string
	DisplayName  string
	OrgRole      OrgRole
	CenterRole   CenterRole
	Lang         Lang
	TimeZone     string
	Disabled     bool
	TOTPEnabled  bool
	HasPassword  bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastSignInAt time.Time
}

// Role is the single role name used on the command line: it combines the organization role
// and the center role.
func (u User) Role() Role {
	switch {
	case u.CenterRole == CenterAdmin:
		return RoleCenterAdmin
	case u.CenterRole == CenterAnalyst:
		return RoleAnalyst
	case u.OrgRole == OrgAdmin:
		return RoleOrgAdmin
	}
	return RoleMember
}

// Location returns the person's time zone, JST when unset or unknown.
func (u User) Location() *time.Location { return LoadLocation(u.TimeZone) }

// Community is a group in which topics are shared.
type Community struct {
	ID            int64
	NameJA        string
	NameEN        string
	DescriptionJA string
	DescriptionEN string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Name returns the community's name in the given language.
func (c Community) Name(lang Lang) string { return pick(lang, c.NameJA, c.NameEN) }

// Description returns the description in the given language.
func (c Community) Description(lang Lang) string { return pick(lang, c.DescriptionJA, c.DescriptionEN) }

// Member is one membership of a community: a whole organization or one person.
type Member struct {
	ID          int64
	CommunityID int64
	OrgID       int64 // set for an organization membership
	UserID      int64 // set for a personal membership
	AddedAt     time.Time
}

// Session is a signed-in browser.
type Session struct {
	IDHash     string
	UserID     int64
	Stage      SessionStage
	CSRF       string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
}

// SessionStage says how far a sign-in has got.
type SessionStage string

const (
	// StageFull is a completed sign-in.
	StageFull SessionStage = "full"
	// StageTOTP is waiting for the second factor.
	StageTOTP SessionStage = "totp"
	// StageEnrol may only enrol a second factor, which the person's role requires.
	StageEnrol SessionStage = "enrol"
)

// Token is a personal API token (its secret is never stored).
type Token struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// Active reports whether the token may still be used.
func (t Token) Active() bool { return t.RevokedAt.IsZero() }

// AuditRecord is one entry of the chained audit log.
type AuditRecord struct {
	Seq         int64
	At          time.Time
	ActorUserID int64
	ActorEmail  string
	IP          string
	Action      string
	TargetType  string
	TargetID    int64
	Detail      string // JSON object, stored exactly as hashed
	PrevHash    string
	Hash        string
}

func pick(lang Lang, ja, en string) string {
	if lang == LangEN && en != "" {
		return en
	}
	if ja == "" {
		return en
	}
	return ja
}
