package store

import (
	"context"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
)

const communityColumns = "c.id, c.name_ja, c.name_en, c.description_ja, c.description_en, c.created_at, c.updated_at"

func scanCommunity(s scanner) (model.Community, error) {
	var x model.Community
	var created, updated int64
	err := s.Scan(&x.ID, &x.NameJA, &x.NameEN, &x.DescriptionJA, &x.DescriptionEN, &created, &updated)
	x.CreatedAt, x.UpdatedAt = fromMS(created), fromMS(updated)
	return x, classify(err)
}

// InsertCommunity creates a community and returns its id.
func InsertCommunity(ctx context.Context, c Conn, x model.Community, now time.Time) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO communities (name_ja, name_en, name_ja_key, name_en_key, description_ja, description_en, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		x.NameJA, x.NameEN, model.NameKey(x.NameJA), model.NameKey(x.NameEN), x.DescriptionJA, x.DescriptionEN, ms(now), ms(now)).Scan(&id)
	return id, classify(err)
}

// UpdateCommunity rewrites a community's names and descriptions.
func UpdateCommunity(ctx context.Context, c Conn, x model.Community, now time.Time) error {
	res, err := c.Exec(ctx, `UPDATE communities SET name_ja = ?, name_en = ?, name_ja_key = ?, name_en_key = ?,
		description_ja = ?, description_en = ?, updated_at = ? WHERE id = ?`,
		x.NameJA, x.NameEN, model.NameKey(x.NameJA), model.NameKey(x.NameEN), x.DescriptionJA, x.DescriptionEN, ms(now), x.ID)
	return affected(res, err)
}

// GetCommunity returns one community.
func GetCommunity(ctx context.Context, c Conn, id int64) (model.Community, error) {
	return scanCommunity(c.QueryRow(ctx, "SELECT "+communityColumns+" FROM communities c WHERE c.id = ?", id))
}

// FindCommunity finds a community by id or by either name.
func FindCommunity(ctx context.Context, c Conn, ref string) (model.Community, error) {
	key := model.NameKey(ref)
	return scanCommunity(c.QueryRow(ctx, "SELECT "+communityColumns+" FROM communities c WHERE c.name_ja_key = ? OR c.name_en_key = ? OR CAST(c.id AS TEXT) = ? ORDER BY c.id LIMIT 1",
		key, key, strings.TrimSpace(ref)))
}

// ListCommunities returns communities passing the access filter (alias c), in id order.
func ListCommunities(ctx context.Context, c Conn, access Filter, p Page) ([]model.Community, error) {
	where := "c.id > ?"
	args := []any{p.After}
	if access.SQL != "" {
		where += " AND (" + access.SQL + ")"
		args = append(args, access.Args...)
	}
	args = append(args, p.limit())
	rows, err := c.Query(ctx, "SELECT "+communityColumns+" FROM communities c WHERE "+where+" ORDER BY c.id LIMIT ?", args...)
	return collect(rows, err, scanCommunity)
}

// AddMember adds an organization (orgID) or a person (userID) to a community. It reports
// false when the membership already existed.
func AddMember(ctx context.Context, c Conn, communityID, orgID, userID int64, now time.Time) (bool, error) {
	res, err := c.Exec(ctx, "INSERT INTO community_members (community_id, org_id, user_id, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
		communityID, nullID(orgID), nullID(userID), ms(now))
	if err != nil {
		return false, classify(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RemoveMember removes a membership; ErrNotFound when there was none.
func RemoveMember(ctx context.Context, c Conn, communityID, orgID, userID int64) error {
	var res interface{ RowsAffected() (int64, error) }
	var err error
	if orgID != 0 {
		res, err = c.Exec(ctx, "DELETE FROM community_members WHERE community_id = ? AND org_id = ?", communityID, orgID)
	} else {
		res, err = c.Exec(ctx, "DELETE FROM community_members WHERE community_id = ? AND user_id = ?", communityID, userID)
	}
	return affected(res, err)
}

// MemberRow is a membership with the names to show.
type MemberRow struct {
	model.Member
	OrgNameJA, OrgNameEN string
	UserName, UserEmail  string
	UserOrgID            int64
	Moderator            bool
}

// ListMemberRows returns a page of a community's memberships in the order they were added.
// The filter f, built by the policy package, decides which member rows the viewer may see.
func ListMemberRows(ctx context.Context, c Conn, communityID int64, f Filter, p Page) ([]MemberRow, error) {
	rows, err := c.Query(ctx, `SELECT m.id, m.community_id, COALESCE(m.org_id, 0), COALESCE(m.user_id, 0), m.added_at,
		COALESCE(o.name_ja, ''), COALESCE(o.name_en, ''), COALESCE(u.display_name, ''), COALESCE(u.email, ''), COALESCE(u.org_id, 0),
		CASE WHEN md.user_id IS NULL THEN FALSE ELSE TRUE END
		FROM community_members m
		LEFT JOIN orgs o ON o.id = m.org_id
		LEFT JOIN users u ON u.id = m.user_id
		LEFT JOIN community_moderators md ON md.community_id = m.community_id AND md.user_id = m.user_id
		WHERE m.community_id = ? AND m.id > ? AND `+f.where()+` ORDER BY m.id LIMIT ?`,
		append(append([]any{communityID, p.After}, f.Args...), p.limit())...)
	return collect(rows, err, func(s scanner) (MemberRow, error) {
		var r MemberRow
		var added int64
		err := s.Scan(&r.ID, &r.CommunityID, &r.OrgID, &r.UserID, &added, &r.OrgNameJA, &r.OrgNameEN, &r.UserName, &r.UserEmail, &r.UserOrgID, &r.Moderator)
		r.AddedAt = fromMS(added)
		return r, err
	})
}

// CountMembers returns how many organization and personal memberships a community has.
func CountMembers(ctx context.Context, c Conn, communityID int64) (orgs, users int, err error) {
	err = c.QueryRow(ctx, `SELECT COUNT(org_id), COUNT(user_id) FROM community_members WHERE community_id = ?`, communityID).Scan(&orgs, &users)
	return orgs, users, err
}

// ListModeratorUsers returns a community's moderators.
func ListModeratorUsers(ctx context.Context, c Conn, communityID int64) ([]model.User, error) {
	rows, err := c.Query(ctx, "SELECT "+userColumns+" FROM community_moderators md JOIN users u ON u.id = md.user_id WHERE md.community_id = ? ORDER BY u.id LIMIT 500", communityID)
	return collect(rows, err, scanUser)
}

// SetModerator makes a person a moderator of a community (on) or not (off).
func SetModerator(ctx context.Context, c Conn, communityID, userID int64, on bool, now time.Time) error {
	if on {
		_, err := c.Exec(ctx, "INSERT INTO community_moderators (community_id, user_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			communityID, userID, ms(now))
		return classify(err)
	}
	_, err := c.Exec(ctx, "DELETE FROM community_moderators WHERE community_id = ? AND user_id = ?", communityID, userID)
	return err
}

// ListModerators returns the ids of a community's moderators.
func ListModerators(ctx context.Context, c Conn, communityID int64) ([]int64, error) {
	rows, err := c.Query(ctx, "SELECT user_id FROM community_moderators WHERE community_id = ? ORDER BY user_id", communityID)
	return collect(rows, err, scanID)
}

// UserCommunityIDs returns the communities a person belongs to, directly or through their
// organization: the facts the policy predicate needs about the person.
func UserCommunityIDs(ctx context.Context, c Conn, userID, orgID int64) ([]int64, error) {
	rows, err := c.Query(ctx, `SELECT community_id FROM community_members WHERE org_id = ?
		UNION SELECT community_id FROM community_members WHERE user_id = ? ORDER BY 1`, orgID, userID)
	return collect(rows, err, scanID)
}

// ModeratedCommunityIDs returns the communities a person moderates.
func ModeratedCommunityIDs(ctx context.Context, c Conn, userID int64) ([]int64, error) {
	rows, err := c.Query(ctx, "SELECT community_id FROM community_moderators WHERE user_id = ? ORDER BY 1", userID)
	return collect(rows, err, scanID)
}

func scanID(s scanner) (int64, error) {
	var id int64
	err := s.Scan(&id)
	return id, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// OrgCommunityIDs returns the communities an organization belongs to as a whole.
func OrgCommunityIDs(ctx context.Context, c Conn, orgID int64) ([]int64, error) {
	rows, err := c.Query(ctx, "SELECT community_id FROM community_members WHERE org_id = ? ORDER BY community_id", orgID)
	return collect(rows, err, scanID)
}
