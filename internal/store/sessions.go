package store

import (
	"context"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
)

const sessionColumns = "id_hash, user_id, stage, csrf, created_at, last_seen_at, expires_at, ip, user_agent"

func scanSession(s scanner) (model.Session, error) {
	var x model.Session
	var created, seen, expires int64
	err := s.Scan(&x.IDHash, &x.UserID, &x.Stage, &x.CSRF, &created, &seen, &expires, &x.IP, &x.UserAgent)
	x.CreatedAt, x.LastSeenAt, x.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return x, classify(err)
}

// InsertSession stores a new session.
func InsertSession(ctx context.Context, c Conn, s model.Session) error {
	_, err := c.Exec(ctx, "INSERT INTO sessions ("+sessionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		s.IDHash, s.UserID, s.Stage, s.CSRF, ms(s.CreatedAt), ms(s.LastSeenAt), ms(s.ExpiresAt), s.IP, s.UserAgent)
	return classify(err)
}

// GetSession returns the session with the given id hash.
func GetSession(ctx context.Context, c Conn, idHash string) (model.Session, error) {
	return scanSession(c.QueryRow(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE id_hash = ?", idHash))
}

// TouchSession records activity on a session.
func TouchSession(ctx context.Context, c Conn, idHash string, now time.Time) error {
	_, err := c.Exec(ctx, "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", ms(now), idHash)
	return err
}

// DeleteSession ends one session.
func DeleteSession(ctx context.Context, c Conn, idHash string) error {
	_, err := c.Exec(ctx, "DELETE FROM sessions WHERE id_hash = ?", idHash)
	return err
}

// DeleteUserSessions ends every session of a person, except keep (an id hash, or "").
func DeleteUserSessions(ctx context.Context, c Conn, userID int64, keep string) (int64, error) {
	res, err := c.Exec(ctx, "DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?", userID, keep)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ListUserSessions returns a person's live sessions, newest first.
func ListUserSessions(ctx context.Context, c Conn, userID int64, now time.Time) ([]model.Session, error) {
	rows, err := c.Query(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY last_seen_at DESC LIMIT 100",
		userID, ms(now))
	return collect(rows, err, scanSession)
}

// DeleteExpiredSessions removes sessions past their absolute expiry or idle since before idleCutoff.
func DeleteExpiredSessions(ctx context.Context, c Conn, now, idleCutoff time.Time) (int64, error) {
	res, err := c.Exec(ctx, "DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?", ms(now), ms(idleCutoff))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

const tokenColumns = "id, user_id, name, prefix, created_at, last_used_at, revoked_at"

func scanToken(s scanner) (model.Token, error) {
	var t model.Token
	var created, used, revoked int64
	err := s.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &created, &used, &revoked)
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = fromMS(created), fromMS(used), fromMS(revoked)
	return t, classify(err)
}

// InsertToken stores a new API token by its hash and returns the id.
func InsertToken(ctx context.Context, c Conn, t model.Token, hash string) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
		t.UserID, t.Name, t.Prefix, hash, ms(t.CreatedAt)).Scan(&id)
	return id, classify(err)
}

// GetTokenByHash returns the token with the given secret hash.
func GetTokenByHash(ctx context.Context, c Conn, hash string) (model.Token, error) {
	return scanToken(c.QueryRow(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE token_hash = ?", hash))
}

// GetToken returns one token.
func GetToken(ctx context.Context, c Conn, id int64) (model.Token, error) {
	return scanToken(c.QueryRow(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE id = ?", id))
}

// ListTokens returns a person's tokens, newest first.
func ListTokens(ctx context.Context, c Conn, userID int64) ([]model.Token, error) {
	rows, err := c.Query(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE user_id = ? ORDER BY id DESC LIMIT 200", userID)
	return collect(rows, err, scanToken)
}

// CountActiveTokens returns how many unrevoked tokens a person has.
func CountActiveTokens(ctx context.Context, c Conn, userID int64) (int, error) {
	var n int
	err := c.QueryRow(ctx, "SELECT COUNT(*) FROM api_tokens WHERE user_id = ? AND revoked_at = 0", userID).Scan(&n)
	return n, err
}

// RevokeToken marks a token revoked; ErrNotFound when it was not active.
func RevokeToken(ctx context.Context, c Conn, id int64, now time.Time) error {
	res, err := c.Exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0", ms(now), id)
	return affected(res, err)
}

// TouchToken records a use of a token.
func TouchToken(ctx context.Context, c Conn, id int64, now time.Time) error {
	_, err := c.Exec(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", ms(now), id)
	return err
}

// SignInLink is a one-time link that lets a person set a password.
type SignInLink struct {
	TokenHash string
	UserID    int64
	Purpose   string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// InsertSignInLink stores a one-time link; older unused links of the person stop working.
func InsertSignInLink(ctx context.Context, c Conn, l SignInLink) error {
	if _, err := c.Exec(ctx, "DELETE FROM signin_links WHERE user_id = ? AND used_at = 0", l.UserID); err != nil {
		return err
	}
	_, err := c.Exec(ctx, "INSERT INTO signin_links (token_hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		l.TokenHash, l.UserID, l.Purpose, ms(l.CreatedAt), ms(l.ExpiresAt))
	return classify(err)
}

// GetSignInLink returns a link by its hash.
func GetSignInLink(ctx context.Context, c Conn, hash string) (SignInLink, error) {
	var l SignInLink
	var created, expires, used int64
	err := c.QueryRow(ctx, "SELECT token_hash, user_id, purpose, created_at, expires_at, used_at FROM signin_links WHERE token_hash = ?", hash).
		Scan(&l.TokenHash, &l.UserID, &l.Purpose, &created, &expires, &used)
	l.CreatedAt, l.ExpiresAt, l.UsedAt = fromMS(created), fromMS(expires), fromMS(used)
	return l, classify(err)
}

// UseSignInLink marks a link used; it reports false if it was already used.
func UseSignInLink(ctx context.Context, c Conn, hash string, now time.Time) (bool, error) {
	res, err := c.Exec(ctx, "UPDATE signin_links SET used_at = ? WHERE token_hash = ? AND used_at = 0", ms(now), hash)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Throttle is the failure count of one sign-in key (an account or an address).
type Throttle struct {
	Key          string
	Failures     int
	LastFailure  time.Time
	BlockedUntil time.Time
}

// GetThrottle returns the state of a key; a key never seen has zero failures.
func GetThrottle(ctx context.Context, c Conn, key string) (Throttle, error) {
	t := Throttle{Key: key}
	var last, until int64
	err := c.QueryRow(ctx, "SELECT failures, last_failure, blocked_until FROM signin_throttle WHERE key = ?", key).
		Scan(&t.Failures, &last, &until)
	if err = classify(err); err == ErrNotFound {
		return t, nil
	}
	t.LastFailure, t.BlockedUntil = fromMS(last), fromMS(until)
	return t, err
}

// PutThrottle stores the state of a key.
func PutThrottle(ctx context.Context, c Conn, t Throttle) error {
	_, err := c.Exec(ctx, `INSERT INTO signin_throttle (key, failures, last_failure, blocked_until) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_failure = excluded.last_failure,
		blocked_until = excluded.blocked_until`, t.Key, t.Failures, ms(t.LastFailure), ms(t.BlockedUntil))
	return err
}

// ClearThrottle forgets the failures of a key.
func ClearThrottle(ctx context.Context, c Conn, key string) error {
	_, err := c.Exec(ctx, "DELETE FROM signin_throttle WHERE key = ?", key)
	return err
}

// DeleteOldThrottles forgets keys whose last failure is before cutoff and that are not blocked.
func DeleteOldThrottles(ctx context.Context, c Conn, cutoff, now time.Time) (int64, error) {
	res, err := c.Exec(ctx, "DELETE FROM signin_throttle WHERE last_failure < ? AND blocked_until < ?", ms(cutoff), ms(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// GetSetting returns a platform setting, or def when unset.
func GetSetting(ctx context.Context, c Conn, key, def string) (string, error) {
	var v string
	err := c.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if err = classify(err); err == ErrNotFound {
		return def, nil
	}
	return v, err
}

// PutSetting stores a platform setting.
func PutSetting(ctx context.Context, c Conn, key, value string, now time.Time) error {
	_, err := c.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, ms(now))
	return err
}
