package store

import (
	"context"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
)

const userColumns = `u.id, u.org_id, u.email, u.display_name, u.org_role, u.center_role, u.lang, u.time_zone,
	u.disabled, u.totp_enabled, u.password_hash <> '', u.created_at, u.updated_at, u.last_sign_in_at`

func scanUser(s scanner) (model.User, error) {
	var u model.User
	var created, updated, last int64
	err := s.Scan(&u.ID, &u.OrgID, &u.Email, &u.DisplayName, &u.OrgRole, &u.CenterRole, &u.Lang, &u.TimeZone,
		&u.Disabled, &u.TOTPEnabled, &u.HasPassword, &created, &updated, &last)
	if err != nil {
		return u, classify(err)
	}
	u.CreatedAt, u.UpdatedAt, u.LastSignInAt = fromMS(created), fromMS(updated), fromMS(last)
	return u, nil
}

// InsertUser creates a person and returns the id.
func InsertUser(ctx context.Context, c Conn, u model.User, now time.Time) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO users (org_id, email, email_key, display_name, org_role, center_role, lang, time_zone,
		disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.OrgID, u.Email, model.EmailKey(u.Email), u.DisplayName, u.OrgRole, u.CenterRole, u.Lang, u.TimeZone,
		u.Disabled, ms(now), ms(now)).Scan(&id)
	return id, classify(err)
}

// UpdateUser rewrites a person's profile and role fields (not credentials).
func UpdateUser(ctx context.Context, c Conn, u model.User, now time.Time) error {
	res, err := c.Exec(ctx, `UPDATE users SET org_id = ?, email = ?, email_key = ?, display_name = ?, org_role = ?, center_role = ?,
		lang = ?, time_zone = ?, disabled = ?, updated_at = ? WHERE id = ?`,
		u.OrgID, u.Email, model.EmailKey(u.Email), u.DisplayName, u.OrgRole, u.CenterRole, u.Lang, u.TimeZone,
		u.Disabled, ms(now), u.ID)
	return affected(res, err)
}

// GetUser returns one person.
func GetUser(ctx context.Context, c Conn, id int64) (model.User, error) {
	return scanUser(c.QueryRow(ctx, "SELECT "+userColumns+" FROM users u WHERE u.id = ?", id))
}

// GetUserByEmail finds a person by email, compared case-insensitively.
func GetUserByEmail(ctx context.Context, c Conn, email string) (model.User, error) {
	return scanUser(c.QueryRow(ctx, "SELECT "+userColumns+" FROM users u WHERE u.email_key = ?", model.EmailKey(email)))
}

// UserQuery filters a list of people.
type UserQuery struct {
	OrgID           int64
	Text            string // part of the name or email
	IncludeDisabled bool
	Access          Filter // which people the caller may see; alias u
	Page            Page
}

// ListUsers returns people in id order after the cursor.
func ListUsers(ctx context.Context, c Conn, q UserQuery) ([]model.User, error) {
	where := []string{"u.id > ?"}
	args := []any{q.Page.After}
	if q.OrgID != 0 {
		where, args = append(where, "u.org_id = ?"), append(args, q.OrgID)
	}
	if !q.IncludeDisabled {
		where = append(where, "u.disabled = FALSE")
	}
	if t := strings.ToLower(strings.TrimSpace(q.Text)); t != "" {
		like := "%" + escapeLike(t) + "%"
		where = append(where, "(LOWER(u.display_name) LIKE ? ESCAPE '\\' OR u.email_key LIKE ? ESCAPE '\\')")
		args = append(args, like, like)
	}
	if q.Access.SQL != "" {
		where, args = append(where, "("+q.Access.SQL+")"), append(args, q.Access.Args...)
	}
	args = append(args, q.Page.limit())
	rows, err := c.Query(ctx, "SELECT "+userColumns+" FROM users u WHERE "+strings.Join(where, " AND ")+" ORDER BY u.id LIMIT ?", args...)
	return collect(rows, err, scanUser)
}

// Credentials are the secret fields of a person, read only by the auth package.
type Credentials struct {
	PasswordHash string
	TOTPSecret   string // sealed
	TOTPEnabled  bool
	TOTPLastStep int64
}

// GetCredentials returns a person's password hash and second-factor state.
func GetCredentials(ctx context.Context, c Conn, userID int64) (Credentials, error) {
	var cr Credentials
	err := c.QueryRow(ctx, "SELECT password_hash, totp_secret, totp_enabled, totp_last_step FROM users WHERE id = ?", userID).
		Scan(&cr.PasswordHash, &cr.TOTPSecret, &cr.TOTPEnabled, &cr.TOTPLastStep)
	return cr, classify(err)
}

// SetPassword stores a new password hash.
func SetPassword(ctx context.Context, c Conn, userID int64, hash string, now time.Time) error {
	res, err := c.Exec(ctx, "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?",
		hash, ms(now), ms(now), userID)
	return affected(res, err)
}

// SetTOTP stores the sealed TOTP secret and whether it is enabled; disabling clears it.
func SetTOTP(ctx context.Context, c Conn, userID int64, sealed string, enabled bool, now time.Time) error {
	res, err := c.Exec(ctx, "UPDATE users SET totp_secret = ?, totp_enabled = ?, totp_last_step = 0, updated_at = ? WHERE id = ?",
		sealed, enabled, ms(now), userID)
	return affected(res, err)
}

// AdvanceTOTPStep records the time step of an accepted code, only if it is later than the
// last one; it reports false when the code's step was already used (a replay).
func AdvanceTOTPStep(ctx context.Context, c Conn, userID, step int64) (bool, error) {
	res, err := c.Exec(ctx, "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", step, userID, step)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// TouchSignIn records a successful sign-in time.
func TouchSignIn(ctx context.Context, c Conn, userID int64, now time.Time) error {
	_, err := c.Exec(ctx, "UPDATE users SET last_sign_in_at = ? WHERE id = ?", ms(now), userID)
	return err
}

// ReplaceRecoveryCodes swaps a person's recovery codes for new hashed ones.
func ReplaceRecoveryCodes(ctx context.Context, c Conn, userID int64, hashes []string) error {
	if _, err := c.Exec(ctx, "DELETE FROM recovery_codes WHERE user_id = ?", userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := c.Exec(ctx, "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)", userID, h); err != nil {
			return err
		}
	}
	return nil
}

// UseRecoveryCode marks an unused code as used; it reports false when there is none.
func UseRecoveryCode(ctx context.Context, c Conn, userID int64, hash string, now time.Time) (bool, error) {
	res, err := c.Exec(ctx, "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at = 0",
		ms(now), userID, hash)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CountRecoveryCodes returns how many unused recovery codes a person has left.
func CountRecoveryCodes(ctx context.Context, c Conn, userID int64) (int, error) {
	var n int
	err := c.QueryRow(ctx, "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at = 0", userID).Scan(&n)
	return n, err
}

// CountCenterStaff returns how many people of an organization hold a center role.
func CountCenterStaff(ctx context.Context, c Conn, orgID int64) (int, error) {
	var n int
	err := c.QueryRow(ctx, "SELECT COUNT(*) FROM users WHERE org_id = ? AND center_role <> ''", orgID).Scan(&n)
	return n, err
}

// CountActiveCenterAdmins returns how many enabled center admins there are.
func CountActiveCenterAdmins(ctx context.Context, c Conn) (int, error) {
	var n int
	err := c.QueryRow(ctx, "SELECT COUNT(*) FROM users WHERE center_role = 'center-admin' AND disabled = FALSE").Scan(&n)
	return n, err
}

// CountUsers returns how many people exist.
func CountUsers(ctx context.Context, c Conn) (int, error) {
	var n int
	err := c.QueryRow(ctx, "SELECT COUNT(*) FROM users").Scan(&n)
	return n, err
}
