package auth

import (
	"context"
	"errors"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

// touchEvery limits how often a session's last-seen time is written.
const touchEvery = time.Minute

// openSession stores a new session and returns its secret.
func (s *Service) openSession(ctx context.Context, c store.Conn, u model.User, stage model.SessionStage, cl Client, now time.Time) (SignedIn, error) {
	secret := randomSecret(32)
	expires := now.Add(s.cfg.SessionMax)
	if stage != model.StageFull {
		expires = now.Add(s.cfg.PendingTTL)
	}
	sess := model.Session{
		IDHash: hashSecret(secret), UserID: u.ID, Stage: stage, CSRF: randomSecret(32),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: expires, IP: cl.IP, UserAgent: truncate(cl.UserAgent, 300),
	}
	if err := store.InsertSession(ctx, c, sess); err != nil {
		return SignedIn{}, err
	}
	return SignedIn{Secret: secret, Session: sess, User: u}, nil
}

// Session returns the principal of a session secret, whatever its stage. An unknown,
// expired or idle session, or one whose person was disabled, is an Unauthorized error.
func (s *Service) Session(ctx context.Context, secret string) (Principal, error) {
	now := s.now()
	if secret == "" || len(secret) > 100 {
		return Principal{}, fault.New(fault.Unauthorized, "session.expired")
	}
	sess, err := store.GetSession(ctx, s.db.Read(), hashSecret(secret))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, fault.New(fault.Unauthorized, "session.expired")
	}
	if err != nil {
		return Principal{}, err
	}
	idle := s.cfg.SessionIdle
	if sess.Stage != model.StageFull {
		idle = s.cfg.PendingTTL
	}
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= idle {
		s.db.Write(ctx, func(c store.Conn) error { return store.DeleteSession(ctx, c, sess.IDHash) })
		return Principal{}, fault.New(fault.Unauthorized, "session.expired")
	}
	p, err := s.principal(ctx, s.db.Read(), sess.UserID)
	if err != nil {
		return Principal{}, err
	}
	if !active(p) {
		return Principal{}, fault.New(fault.Unauthorized, "session.expired")
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		err := s.db.Write(ctx, func(c store.Conn) error { return store.TouchSession(ctx, c, sess.IDHash, now) })
		if err != nil {
			return Principal{}, err
		}
		sess.LastSeenAt = now
	}
	p.Session = sess
	return p, nil
}

// SignOut ends one session.
func (s *Service) SignOut(ctx context.Context, p Principal, cl Client) error {
	now := s.now()
	return s.db.Write(ctx, func(c store.Conn) error {
		if err := store.DeleteSession(ctx, c, p.Session.IDHash); err != nil {
			return err
		}
		_, err := audit.Append(ctx, c, audit.Entry{Actor: p.auditAs(cl), Action: "auth.signout", TargetType: "user", TargetID: p.User.ID}, now)
		return err
	})
}

// SignOutEverywhere ends every session of the principal, this one included.
func (s *Service) SignOutEverywhere(ctx context.Context, p Principal, cl Client) (int64, error) {
	now := s.now()
	var n int64
	err := s.db.Write(ctx, func(c store.Conn) error {
		var err error
		if n, err = store.DeleteUserSessions(ctx, c, p.User.ID, ""); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.auditAs(cl), Action: "auth.signout_everywhere", TargetType: "user",
			TargetID: p.User.ID, Detail: map[string]any{"sessions": n}}, now)
		return err
	})
	return n, err
}

// Sessions lists the principal's live sessions.
func (s *Service) Sessions(ctx context.Context, p Principal) ([]model.Session, error) {
	return store.ListUserSessions(ctx, s.db.Read(), p.User.ID, s.now())
}

// Sweep deletes expired sessions and old throttle entries; the server runs it periodically.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.now()
	return s.db.Write(ctx, func(c store.Conn) error {
		if _, err := store.DeleteExpiredSessions(ctx, c, now, now.Add(-s.cfg.SessionIdle)); err != nil {
			return err
		}
		_, err := store.DeleteOldThrottles(ctx, c, now.Add(-AccountRule.Window), now)
		return err
	})
}
