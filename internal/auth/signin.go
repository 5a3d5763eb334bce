package auth

import (
	"context"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/telemetry"
)

// errSignIn is the one answer to a wrong address, a wrong password, a disabled account or
// an account without a password: none of them may be told apart from outside.
func errSignIn() error { return fault.New(fault.Unauthorized, "signin.failed") }

func errThrottled(d time.Duration) error {
	return fault.New(fault.RateLimited, "signin.throttled", "seconds", int(math.Ceil(d.Seconds())))
}

// SignIn checks an email and password. On success it opens a session that is complete, or
// that waits for a second factor (StageTOTP), or that may only enrol one (StageEnrol).
func (s *Service) SignIn(ctx context.Context, email, password string, cl Client) (res SignedIn, err error) {
	defer func() { telemetry.Default.SignIn(signInResult(err)) }()
	now := s.now()
	acct, addr := accountKey(email), addressKey(cl.IP)
	if err := s.checkThrottle(ctx, now, acct, addr); err != nil {
		return SignedIn{}, err
	}
	p, err := s.principalByEmail(ctx, email)
	if err != nil {
		return SignedIn{}, err
	}
	var hash string
	if p.User.ID != 0 {
		cr, err := store.GetCredentials(ctx, s.db.Read(), p.User.ID)
		if err != nil {
			return SignedIn{}, err
		}
		hash = cr.PasswordHash
	}
	ok, stale, err := s.hasher.Verify(ctx, hash, password)
	if errors.Is(err, ErrBusy) {
		return SignedIn{}, fault.New(fault.Unavailable, "error.busy")
	}
	if err != nil {
		return SignedIn{}, err
	}
	if !ok || !active(p) {
		return SignedIn{}, s.failSignIn(ctx, p, email, "password", cl, acct, addr)
	}
	if stale {
		s.rehash(ctx, p.User.ID, password)
	}
	stage := model.StageFull
	if p.User.TOTPEnabled {
		stage = model.StageTOTP
	} else if req, err := s.TOTPRequired(ctx, p.User); err != nil {
		return SignedIn{}, err
	} else if req {
		stage = model.StageEnrol
	}
	var out SignedIn
	err = s.db.Write(ctx, func(c store.Conn) error {
		if err := store.ClearThrottle(ctx, c, acct); err != nil {
			return err
		}
		out, err = s.openSession(ctx, c, p.User, stage, cl, now)
		if err != nil || stage != model.StageFull {
			return err
		}
		return s.recordSignIn(ctx, c, p, cl, "password", now)
	})
	return out, err
}

func signInResult(err error) string {
	if err == nil {
		return "ok"
	}
	switch fault.KindOf(err) {
	case fault.RateLimited:
		return "throttled"
	case fault.Unavailable:
		return "busy"
	}
	return "failed"
}

// SecondFactor completes a pending sign-in with a TOTP code or a recovery code. The
// pending session is replaced by a new one, so a session id seen before the second
// factor is worth nothing after it.
func (s *Service) SecondFactor(ctx context.Context, pendingSecret, code string, cl Client) (SignedIn, error) {
	now := s.now()
	sess, err := store.GetSession(ctx, s.db.Read(), hashSecret(pendingSecret))
	if err != nil || sess.Stage != model.StageTOTP || !now.Before(sess.ExpiresAt) {
		return SignedIn{}, fault.New(fault.Unauthorized, "signin.pending_expired")
	}
	p, err := s.principal(ctx, s.db.Read(), sess.UserID)
	if err != nil {
		return SignedIn{}, err
	}
	acct, addr := accountKey(p.User.Email), addressKey(cl.IP)
	if err := s.checkThrottle(ctx, now, acct, addr); err != nil {
		return SignedIn{}, err
	}
	method, err := s.checkSecondFactor(ctx, p.User.ID, code, now)
	if err != nil {
		return SignedIn{}, err
	}
	if method == "" || !active(p) {
		return SignedIn{}, s.failSignIn(ctx, p, p.User.Email, "totp", cl, acct, addr)
	}
	var out SignedIn
	err = s.db.Write(ctx, func(c store.Conn) error {
		if err := store.DeleteSession(ctx, c, sess.IDHash); err != nil {
			return err
		}
		if err := store.ClearThrottle(ctx, c, acct); err != nil {
			return err
		}
		if out, err = s.openSession(ctx, c, p.User, model.StageFull, cl, now); err != nil {
			return err
		}
		return s.recordSignIn(ctx, c, p, cl, method, now)
	})
	return out, err
}

// checkSecondFactor returns "totp" or "recovery-code" for a good code, "" for a bad one.
func (s *Service) checkSecondFactor(ctx context.Context, userID int64, code string, now time.Time) (string, error) {
	cr, err := store.GetCredentials(ctx, s.db.Read(), userID)
	if err != nil {
		return "", err
	}
	if !cr.TOTPEnabled {
		return "", nil
	}
	if len(normalizeCode(code)) == totpDigits {
		secret, err := s.box.Open(cr.TOTPSecret, totpPurpose(userID))
		if err != nil {
			return "", err
		}
		step, ok := CheckTOTP(secret, code, now)
		if !ok || step <= cr.TOTPLastStep {
			return "", nil
		}
		var fresh bool
		err = s.db.Write(ctx, func(c store.Conn) error {
			fresh, err = store.AdvanceTOTPStep(ctx, c, userID, step)
			return err
		})
		if err != nil || !fresh {
			return "", err
		}
		return "totp", nil
	}
	var used bool
	err = s.db.Write(ctx, func(c store.Conn) error {
		used, err = store.UseRecoveryCode(ctx, c, userID, HashRecoveryCode(code), now)
		if err == nil && used {
			_, err = audit.Append(ctx, c, audit.Entry{Actor: audit.Actor{UserID: userID}, Action: "auth.recovery_code_used",
				TargetType: "user", TargetID: userID}, now)
		}
		return err
	})
	if err != nil || !used {
		return "", err
	}
	return "recovery-code", nil
}

func totpPurpose(userID int64) string { return "totp:" + strconv.FormatInt(userID, 10) }

func (s *Service) checkThrottle(ctx context.Context, now time.Time, keys ...string) error {
	for _, k := range keys {
		d, err := blockedFor(ctx, s.db.Read(), k, now)
		if err != nil {
			return err
		}
		if d > 0 {
			return errThrottled(d)
		}
	}
	return nil
}

// failSignIn counts a failure on both keys, audits it, and returns the answer to give.
func (s *Service) failSignIn(ctx context.Context, p Principal, email, step string, cl Client, acct, addr string) error {
	now := s.now()
	var block time.Duration
	err := s.db.Write(ctx, func(c store.Conn) error {
		b1, err := recordFailure(ctx, c, acct, AccountRule, now)
		if err != nil {
			return err
		}
		b2, err := recordFailure(ctx, c, addr, AddressRule, now)
		if err != nil {
			return err
		}
		block = max(b1, b2)
		detail := map[string]any{"step": step, "user_agent": cl.UserAgent}
		if p.User.ID == 0 {
			detail["email_tried"] = truncate(email, 100)
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: audit.Actor{UserID: p.User.ID, Email: p.User.Email, IP: cl.IP},
			Action: "auth.signin_failed", TargetType: "user", TargetID: p.User.ID, Detail: detail}, now)
		return err
	})
	if err != nil {
		return err
	}
	if block > 0 {
		return errThrottled(block)
	}
	return errSignIn()
}

func (s *Service) recordSignIn(ctx context.Context, c store.Conn, p Principal, cl Client, method string, now time.Time) error {
	if err := store.TouchSignIn(ctx, c, p.User.ID, now); err != nil {
		return err
	}
	_, err := audit.Append(ctx, c, audit.Entry{Actor: p.auditAs(cl), Action: "auth.signin", TargetType: "user",
		TargetID: p.User.ID, Detail: map[string]any{"method": method, "user_agent": truncate(cl.UserAgent, 200)}}, now)
	return err
}

// principalByEmail returns the principal for an address, or an empty one when there is no
// such account (the caller still spends a hash on it).
func (s *Service) principalByEmail(ctx context.Context, email string) (Principal, error) {
	if len(email) > model.MaxEmailLen {
		return Principal{}, nil
	}
	u, err := store.GetUserByEmail(ctx, s.db.Read(), email)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, nil
	}
	if err != nil {
		return Principal{}, err
	}
	return s.principal(ctx, s.db.Read(), u.ID)
}

// rehash replaces a hash made with old parameters; a failure only means it stays old.
func (s *Service) rehash(ctx context.Context, userID int64, password string) {
	h, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return
	}
	s.db.Write(ctx, func(c store.Conn) error { return store.SetPassword(ctx, c, userID, h, s.now()) })
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
