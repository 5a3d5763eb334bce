// Package auth signs people in and keeps them signed in: argon2id passwords hashed under a
// concurrency bound, TOTP second factors with recovery codes, server-side sessions,
// sign-in throttling, one-time sign-in links and hashed API tokens. Every outcome that
// matters for security is written to the audit log in the same transaction.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/secretbox"
	"github.com/renkei-dev/renkei/internal/store"
)

// Config holds the lifetimes and limits of sign-in state.
type Config struct {
	SessionIdle   time.Duration // a session unused this long ends
	SessionMax    time.Duration // a session ends this long after sign-in, used or not
	PendingTTL    time.Duration // time allowed between password and second factor
	LinkTTL       time.Duration // lifetime of a one-time sign-in link
	Issuer        string        // name shown in authenticator apps
	MaxTokens     int           // active API tokens per person
	TokenAuditGap time.Duration // a token's use is audited when idle at least this long
}

// DefaultConfig returns the standard lifetimes.
func DefaultConfig() Config {
	return Config{
		SessionIdle:   8 * time.Hour,
		SessionMax:    72 * time.Hour,
		PendingTTL:    10 * time.Minute,
		LinkTTL:       7 * 24 * time.Hour,
		Issuer:        "Renkei",
		MaxTokens:     20,
		TokenAuditGap: time.Hour,
	}
}

// Service is the sign-in service.
type Service struct {
	db     *store.DB
	hasher *Hasher
	box    *secretbox.Box
	cfg    Config
	now    func() time.Time
}

// New returns the service.
func New(db *store.DB, hasher *Hasher, box *secretbox.Box, cfg Config, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, hasher: hasher, box: box, cfg: cfg, now: now}
}

// Hasher returns the password hasher, shared with whoever sets passwords.
func (s *Service) Hasher() *Hasher { return s.hasher }

// Config returns the lifetimes in force.
func (s *Service) Config() Config { return s.cfg }

// Client describes where a request came from, for throttling and the audit log.
type Client struct {
	IP        string
	UserAgent string
}

// Principal is an authenticated person with what the policy needs to know about them.
type Principal struct {
	User    model.User
	Org     model.Org
	Actor   policy.Actor
	Session model.Session // set for browser sessions
	Token   model.Token   // set for API tokens
	Client  Client        // where the current request came from
}

// AuditActor returns the principal as the actor of an audit record.
func (p Principal) AuditActor() audit.Actor { return p.auditAs(p.Client) }

func (p Principal) auditAs(c Client) audit.Actor {
	return audit.Actor{UserID: p.User.ID, Email: p.User.Email, IP: c.IP}
}

// System is the principal of the command line and background jobs: it holds center-admin
// rights, belongs to no organization and no community, and is audited as "system".
func System() Principal {
	return Principal{
		User:  model.User{Email: "system", OrgRole: model.OrgAdmin, CenterRole: model.CenterAdmin},
		Actor: policy.Actor{OrgRole: model.OrgAdmin, CenterRole: model.CenterAdmin, System: true},
	}
}

// SignedIn is the outcome of a sign-in step: a new session and its secret cookie value.
type SignedIn struct {
	Secret  string
	Session model.Session
	User    model.User
}

// Complete reports whether no further step is needed.
func (s SignedIn) Complete() bool { return s.Session.Stage == model.StageFull }

func randomSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is how session ids, link tokens and API tokens are stored: they are long
// random values, so a fast hash suffices and a database copy does not reveal them.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// principal loads a person, their organization and their communities.
func (s *Service) principal(ctx context.Context, c store.Conn, userID int64) (Principal, error) {
	u, err := store.GetUser(ctx, c, userID)
	if err != nil {
		return Principal{}, err
	}
	o, err := store.GetOrg(ctx, c, u.OrgID)
	if err != nil {
		return Principal{}, err
	}
	comms, err := store.UserCommunityIDs(ctx, c, u.ID, u.OrgID)
	if err != nil {
		return Principal{}, err
	}
	return Principal{User: u, Org: o, Actor: ActorFor(u, comms)}, nil
}

// ActorFor builds the policy actor of a person.
func ActorFor(u model.User, communities []int64) policy.Actor {
	return policy.Actor{UserID: u.ID, OrgID: u.OrgID, OrgRole: u.OrgRole, CenterRole: u.CenterRole, Communities: communities}
}

// Principal loads the principal of a person by id (for the command line and tests).
func (s *Service) Principal(ctx context.Context, userID int64) (Principal, error) {
	p, err := s.principal(ctx, s.db.Read(), userID)
	if errors.Is(err, store.ErrNotFound) {
		return p, fault.New(fault.NotFound, "error.not_found")
	}
	return p, err
}

// active reports whether a person may sign in at all.
func active(p Principal) bool { return !p.User.Disabled && !p.Org.Disabled }

// TOTPRequired reports whether a person must use a second factor: center staff and org
// admins always, everyone when the center has said so.
func (s *Service) TOTPRequired(ctx context.Context, u model.User) (bool, error) {
	if u.CenterRole != model.CenterNone || u.OrgRole == model.OrgAdmin {
		return true, nil
	}
	return s.RequireTOTPForAll(ctx)
}

const settingRequireTOTP = "require_totp_all"

// RequireTOTPForAll reports the platform setting that makes a second factor mandatory for
// every member.
func (s *Service) RequireTOTPForAll(ctx context.Context) (bool, error) {
	v, err := store.GetSetting(ctx, s.db.Read(), settingRequireTOTP, "false")
	return v == "true", err
}

// SetRequireTOTPForAll changes that setting (center admins only; audited).
func (s *Service) SetRequireTOTPForAll(ctx context.Context, p Principal, on bool, cl Client) error {
	if !policy.CanChangeSettings(p.Actor) {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	now := s.now()
	return s.db.Write(ctx, func(c store.Conn) error {
		v := "false"
		if on {
			v = "true"
		}
		if err := store.PutSetting(ctx, c, settingRequireTOTP, v, now); err != nil {
			return err
		}
		_, err := audit.Append(ctx, c, audit.Entry{Actor: p.auditAs(cl), Action: "settings.changed",
			TargetType: "setting", Detail: map[string]any{"key": settingRequireTOTP, "value": v}}, now)
		return err
	})
}
