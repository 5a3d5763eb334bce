package auth

import (
	"context"
	"errors"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// checkPassword verifies the principal's current password (for changes that need it).
func (s *Service) checkPassword(ctx context.Context, p Principal, password string) error {
	cr, err := store.GetCredentials(ctx, s.db.Read(), p.User.ID)
	if err != nil {
		return err
	}
	ok, _, err := s.hasher.Verify(ctx, cr.PasswordHash, password)
	if errors.Is(err, ErrBusy) {
		return fault.New(fault.Unavailable, "error.busy")
	}
	if err != nil {
		return err
	}
	if !ok {
		return fault.Field("current_password", "password.wrong_current")
	}
	return nil
}

// ChangePassword sets a new password after checking the current one, and ends the
// person's other sessions.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next string, cl Client) error {
	if err := CheckPasswordRules(next, p.User.Email); err != nil {
		return err
	}
	if err := s.checkPassword(ctx, p, current); err != nil {
		return err
	}
	return s.storePassword(ctx, p.User, next, p.auditAs(cl), p.Session.IDHash, nil)
}

// storePassword hashes and stores a password, ends the person's sessions other than keep,
// and audits the change; also, when not nil, runs in the same transaction (and may veto it).
func (s *Service) storePassword(ctx context.Context, u model.User, password string, actor audit.Actor, keep string, also func(store.Conn) error) error {
	h, err := s.hasher.Hash(ctx, password)
	if errors.Is(err, ErrBusy) {
		return fault.New(fault.Unavailable, "error.busy")
	}
	if err != nil {
		return err
	}
	now := s.now()
	return s.db.Write(ctx, func(c store.Conn) error {
		if also != nil {
			if err := also(c); err != nil {
				return err
			}
		}
		if err := store.SetPassword(ctx, c, u.ID, h, now); err != nil {
			return err
		}
		if _, err := store.DeleteUserSessions(ctx, c, u.ID, keep); err != nil {
			return err
		}
		_, err := audit.Append(ctx, c, audit.Entry{Actor: actor, Action: "auth.password_changed", TargetType: "user", TargetID: u.ID}, now)
		return err
	})
}

// SetInitialPassword sets a password chosen by an operator on the command line.
func (s *Service) SetInitialPassword(ctx context.Context, userID int64, password string) error {
	u, err := store.GetUser(ctx, s.db.Read(), userID)
	if err != nil {
		return err
	}
	if err := CheckPasswordRules(password, u.Email); err != nil {
		return err
	}
	return s.storePassword(ctx, u, password, System().AuditActor(), "", nil)
}

// GeneratePassword returns a random password of 20 characters for an operator to pass on.
func GeneratePassword() string {
	return randomString("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 20)
}

// BeginTOTP creates a new secret for the principal (not yet enabled) and returns the
// otpauth URI to show as a QR code and the secret as text.
func (s *Service) BeginTOTP(ctx context.Context, p Principal) (uri, secretText string, err error) {
	if p.User.TOTPEnabled {
		return "", "", fault.New(fault.Conflict, "totp.already_enabled")
	}
	secret := NewTOTPSecret()
	err = s.db.Write(ctx, func(c store.Conn) error {
		return store.SetTOTP(ctx, c, p.User.ID, s.box.Seal(secret, totpPurpose(p.User.ID)), false, s.now())
	})
	if err != nil {
		return "", "", err
	}
	return TOTPURI(s.cfg.Issuer, p.User.Email, secret), EncodeSecret(secret), nil
}

// PendingTOTP returns the URI and text of a secret begun but not yet confirmed.
func (s *Service) PendingTOTP(ctx context.Context, p Principal) (uri, secretText string, err error) {
	cr, err := store.GetCredentials(ctx, s.db.Read(), p.User.ID)
	if err != nil {
		return "", "", err
	}
	if cr.TOTPEnabled || cr.TOTPSecret == "" {
		return "", "", fault.New(fault.NotFound, "totp.not_pending")
	}
	secret, err := s.box.Open(cr.TOTPSecret, totpPurpose(p.User.ID))
	if err != nil {
		return "", "", err
	}
	return TOTPURI(s.cfg.Issuer, p.User.Email, secret), EncodeSecret(secret), nil
}

// ConfirmTOTP enables the pending secret once the person proves it with a code, and
// returns fresh recovery codes to show once. A session that could only enrol becomes a
// full session, under a new id; its secret is returned in SignedIn (empty otherwise).
func (s *Service) ConfirmTOTP(ctx context.Context, p Principal, code string, cl Client) ([]string, SignedIn, error) {
	cr, err := store.GetCredentials(ctx, s.db.Read(), p.User.ID)
	if err != nil {
		return nil, SignedIn{}, err
	}
	if cr.TOTPEnabled {
		return nil, SignedIn{}, fault.New(fault.Conflict, "totp.already_enabled")
	}
	if cr.TOTPSecret == "" {
		return nil, SignedIn{}, fault.New(fault.NotFound, "totp.not_pending")
	}
	secret, err := s.box.Open(cr.TOTPSecret, totpPurpose(p.User.ID))
	if err != nil {
		return nil, SignedIn{}, err
	}
	now := s.now()
	step, ok := CheckTOTP(secret, code, now)
	if !ok {
		return nil, SignedIn{}, fault.Field("code", "totp.wrong_code")
	}
	codes := NewRecoveryCodes()
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = HashRecoveryCode(c)
	}
	var out SignedIn
	err = s.db.Write(ctx, func(c store.Conn) error {
		if err := store.SetTOTP(ctx, c, p.User.ID, cr.TOTPSecret, true, now); err != nil {
			return err
		}
		if _, err := store.AdvanceTOTPStep(ctx, c, p.User.ID, step); err != nil {
			return err
		}
		if err := store.ReplaceRecoveryCodes(ctx, c, p.User.ID, hashes); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, c, audit.Entry{Actor: p.auditAs(cl), Action: "auth.totp_enabled", TargetType: "user", TargetID: p.User.ID}, now); err != nil {
			return err
		}
		if p.Session.Stage != model.StageEnrol {
			return nil
		}
		if err := store.DeleteSession(ctx, c, p.Session.IDHash); err != nil {
			return err
		}
		if out, err = s.openSession(ctx, c, p.User, model.StageFull, cl, now); err != nil {
			return err
		}
		return s.recordSignIn(ctx, c, p, cl, "password+totp-enrolment", now)
	})
	return codes, out, err
}

// DisableTOTP removes the second factor after checking the password; refused when the
// person's role requires one.
func (s *Service) DisableTOTP(ctx context.Context, p Principal, password string, cl Client) error {
	if req, err := s.TOTPRequired(ctx, p.User); err != nil {
		return err
	} else if req {
		return fault.New(fault.Forbidden, "totp.required")
	}
	if err := s.checkPassword(ctx, p, password); err != nil {
		return err
	}
	now := s.now()
	return s.db.Write(ctx, func(c store.Conn) error {
		if err := store.SetTOTP(ctx, c, p.User.ID, "", false, now); err != nil {
			return err
		}
		if err := store.ReplaceRecoveryCodes(ctx, c, p.User.ID, nil); err != nil {
			return err
		}
		_, err := audit.Append(ctx, c, audit.Entry{Actor: p.auditAs(cl), Action: "auth.totp_disabled", TargetType: "user", TargetID: p.User.ID}, now)
		return err
	})
}

// ResetTOTP removes a person's second factor on an administrator's behalf (lost phone);
// the person must enrol again at next sign-in if their role requires it.
func (s *Service) ResetTOTP(ctx context.Context, p Principal, target model.User) error {
	if !policy.CanManagePerson(p.Actor, target) {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	actor, userID := p.AuditActor(), target.ID
	now := s.now()
	return s.db.Write(ctx, func(c store.Conn) error {
		if err := store.SetTOTP(ctx, c, userID, "", false, now); err != nil {
			return err
		}
		if err := store.ReplaceRecoveryCodes(ctx, c, userID, nil); err != nil {
			return err
		}
		if _, err := store.DeleteUserSessions(ctx, c, userID, ""); err != nil {
			return err
		}
		_, err := audit.Append(ctx, c, audit.Entry{Actor: actor, Action: "auth.totp_reset", TargetType: "user", TargetID: userID}, now)
		return err
	})
}

// RegenerateRecoveryCodes replaces the principal's recovery codes after checking the password.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, p Principal, password string, cl Client) ([]string, error) {
	if !p.User.TOTPEnabled {
		return nil, fault.New(fault.Conflict, "totp.not_enabled")
	}
	if err := s.checkPassword(ctx, p, password); err != nil {
		return nil, err
	}
	codes := NewRecoveryCodes()
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = HashRecoveryCode(c)
	}
	now := s.now()
	err := s.db.Write(ctx, func(c store.Conn) error {
		if err := store.ReplaceRecoveryCodes(ctx, c, p.User.ID, hashes); err != nil {
			return err
		}
		_, err := audit.Append(ctx, c, audit.Entry{Actor: p.auditAs(cl), Action: "auth.recovery_codes_regenerated", TargetType: "user", TargetID: p.User.ID}, now)
		return err
	})
	return codes, err
}

// RecoveryCodesLeft returns how many unused recovery codes the person has.
func (s *Service) RecoveryCodesLeft(ctx context.Context, p Principal) (int, error) {
	return store.CountRecoveryCodes(ctx, s.db.Read(), p.User.ID)
}

// Link purposes.
const (
	LinkWelcome = "welcome"
	LinkReset   = "reset"
)

// CreateLink makes a one-time link secret with which a person sets a password; earlier
// unused links of the same person stop working. Only those who manage the person may.
func (s *Service) CreateLink(ctx context.Context, p Principal, target model.User, purpose string) (string, time.Time, error) {
	if !policy.CanManagePerson(p.Actor, target) {
		return "", time.Time{}, fault.New(fault.Forbidden, "error.forbidden")
	}
	if target.Disabled {
		return "", time.Time{}, fault.New(fault.Conflict, "link.user_disabled")
	}
	actor, userID := p.AuditActor(), target.ID
	secret := randomSecret(32)
	now := s.now()
	expires := now.Add(s.cfg.LinkTTL)
	err := s.db.Write(ctx, func(c store.Conn) error {
		if err := store.InsertSignInLink(ctx, c, store.SignInLink{TokenHash: hashSecret(secret), UserID: userID,
			Purpose: purpose, CreatedAt: now, ExpiresAt: expires}); err != nil {
			return err
		}
		_, err := audit.Append(ctx, c, audit.Entry{Actor: actor, Action: "auth.link_created", TargetType: "user",
			TargetID: userID, Detail: map[string]any{"purpose": purpose}}, now)
		return err
	})
	return secret, expires, err
}

// LinkUser returns the person a link is for, if the link is still good.
func (s *Service) LinkUser(ctx context.Context, secret string) (model.User, error) {
	l, err := store.GetSignInLink(ctx, s.db.Read(), hashSecret(secret))
	if err != nil || !l.UsedAt.IsZero() || !s.now().Before(l.ExpiresAt) {
		return model.User{}, fault.New(fault.NotFound, "link.invalid")
	}
	u, err := store.GetUser(ctx, s.db.Read(), l.UserID)
	if err != nil || u.Disabled {
		return model.User{}, fault.New(fault.NotFound, "link.invalid")
	}
	return u, nil
}

// UseLink sets the password of the link's person and spends the link.
func (s *Service) UseLink(ctx context.Context, secret, password string, cl Client) (model.User, error) {
	u, err := s.LinkUser(ctx, secret)
	if err != nil {
		return u, err
	}
	if err := CheckPasswordRules(password, u.Email); err != nil {
		return u, err
	}
	spend := func(c store.Conn) error {
		used, err := store.UseSignInLink(ctx, c, hashSecret(secret), s.now())
		if err == nil && !used {
			err = fault.New(fault.NotFound, "link.invalid")
		}
		return err
	}
	return u, s.storePassword(ctx, u, password, audit.Actor{UserID: u.ID, Email: u.Email, IP: cl.IP}, "", spend)
}
