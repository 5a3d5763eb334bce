package auth

import (
	"context"
	"errors"
	"strings"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// TokenPrefix starts every API token, so that secret scanners can recognise a leaked one.
const TokenPrefix = "rk_"

// MaxTokenNameLen bounds a token's name.
const MaxTokenNameLen = 100

// CreateToken makes a new API token for a person and returns its secret, shown once.
func (s *Service) CreateToken(ctx context.Context, p Principal, userID int64, name string) (string, model.Token, error) {
	if !policy.CanCreateTokenFor(p.Actor, userID) {
		return "", model.Token{}, fault.New(fault.Forbidden, "error.forbidden")
	}
	actor := p.AuditActor()
	name, err := model.CleanText(name, MaxTokenNameLen, true)
	if err != nil {
		return "", model.Token{}, fault.As(err).WithField("name")
	}
	secret := TokenPrefix + randomSecret(32)
	now := s.now()
	t := model.Token{UserID: userID, Name: name, Prefix: secret[:len(TokenPrefix)+6], CreatedAt: now}
	err = s.db.Write(ctx, func(c store.Conn) error {
		n, err := store.CountActiveTokens(ctx, c, userID)
		if err != nil {
			return err
		}
		if n >= s.cfg.MaxTokens {
			return fault.New(fault.Conflict, "token.too_many", "max", s.cfg.MaxTokens)
		}
		if t.ID, err = store.InsertToken(ctx, c, t, hashSecret(secret)); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: actor, Action: "token.created", TargetType: "user", TargetID: userID,
			Detail: map[string]any{"token_id": t.ID, "name": name}}, now)
		return err
	})
	if err != nil {
		return "", model.Token{}, err
	}
	return secret, t, nil
}

// Tokens lists a person's tokens.
func (s *Service) Tokens(ctx context.Context, userID int64) ([]model.Token, error) {
	return store.ListTokens(ctx, s.db.Read(), userID)
}

// RevokeToken revokes a token; one the principal may not revoke is not found.
func (s *Service) RevokeToken(ctx context.Context, p Principal, tokenID int64) error {
	now := s.now()
	return s.db.Write(ctx, func(c store.Conn) error {
		t, err := store.GetToken(ctx, c, tokenID)
		if errors.Is(err, store.ErrNotFound) {
			return fault.New(fault.NotFound, "error.not_found")
		}
		if err != nil {
			return err
		}
		owner, err := store.GetUser(ctx, c, t.UserID)
		if err != nil {
			return err
		}
		if !policy.CanRevokeTokenOf(p.Actor, owner) {
			return fault.New(fault.NotFound, "error.not_found")
		}
		if err := store.RevokeToken(ctx, c, tokenID, now); errors.Is(err, store.ErrNotFound) {
			return fault.New(fault.Conflict, "token.already_revoked")
		} else if err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "token.revoked", TargetType: "user", TargetID: t.UserID,
			Detail: map[string]any{"token_id": t.ID, "name": t.Name}}, now)
		return err
	})
}

// Token returns the principal of an API token secret. Use is recorded: last-used time at
// most once a minute, and an audit record when the token had been idle for TokenAuditGap.
func (s *Service) Token(ctx context.Context, secret string, cl Client) (Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 100 {
		return Principal{}, fault.New(fault.Unauthorized, "token.invalid")
	}
	t, err := store.GetTokenByHash(ctx, s.db.Read(), hashSecret(secret))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !t.Active()) {
		return Principal{}, fault.New(fault.Unauthorized, "token.invalid")
	}
	if err != nil {
		return Principal{}, err
	}
	p, err := s.principal(ctx, s.db.Read(), t.UserID)
	if err != nil {
		return Principal{}, err
	}
	if !active(p) {
		return Principal{}, fault.New(fault.Unauthorized, "token.invalid")
	}
	now := s.now()
	if now.Sub(t.LastUsedAt) >= touchEvery {
		err := s.db.Write(ctx, func(c store.Conn) error {
			if err := store.TouchToken(ctx, c, t.ID, now); err != nil {
				return err
			}
			if now.Sub(t.LastUsedAt) < s.cfg.TokenAuditGap {
				return nil
			}
			_, err := audit.Append(ctx, c, audit.Entry{Actor: p.auditAs(cl), Action: "token.used", TargetType: "user",
				TargetID: p.User.ID, Detail: map[string]any{"token_id": t.ID, "name": t.Name}}, now)
			return err
		})
		if err != nil {
			return Principal{}, err
		}
		t.LastUsedAt = now
	}
	p.Token = t
	return p, nil
}
