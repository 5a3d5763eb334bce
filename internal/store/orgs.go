package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
)

const orgColumns = "id, name_ja, name_en, kind, sector, contacts, disabled, created_at, updated_at"

func scanOrg(s scanner) (model.Org, error) {
	var o model.Org
	var contacts string
	var created, updated int64
	err := s.Scan(&o.ID, &o.NameJA, &o.NameEN, &o.Kind, &o.Sector, &contacts, &o.Disabled, &created, &updated)
	if err != nil {
		return o, classify(err)
	}
	o.CreatedAt, o.UpdatedAt = fromMS(created), fromMS(updated)
	if contacts != "" {
		if err := json.Unmarshal([]byte(contacts), &o.Contacts); err != nil {
			return o, err
		}
	}
	return o, nil
}

func contactsJSON(cs []model.Contact) string {
	if len(cs) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(cs)
	return string(b)
}

// InsertOrg creates an organization and returns its id.
func InsertOrg(ctx context.Context, c Conn, o model.Org, now time.Time) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO orgs (name_ja, name_en, name_ja_key, name_en_key, kind, sector, contacts, disabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		o.NameJA, o.NameEN, model.NameKey(o.NameJA), model.NameKey(o.NameEN), o.Kind, o.Sector,
		contactsJSON(o.Contacts), o.Disabled, ms(now), ms(now)).Scan(&id)
	return id, classify(err)
}

// UpdateOrg rewrites an organization's editable fields.
func UpdateOrg(ctx context.Context, c Conn, o model.Org, now time.Time) error {
	res, err := c.Exec(ctx, `UPDATE orgs SET name_ja = ?, name_en = ?, name_ja_key = ?, name_en_key = ?, kind = ?, sector = ?,
		contacts = ?, disabled = ?, updated_at = ? WHERE id = ?`,
		o.NameJA, o.NameEN, model.NameKey(o.NameJA), model.NameKey(o.NameEN), o.Kind, o.Sector,
		contactsJSON(o.Contacts), o.Disabled, ms(now), o.ID)
	return affected(res, err)
}

// GetOrg returns one organization.
func GetOrg(ctx context.Context, c Conn, id int64) (model.Org, error) {
	return scanOrg(c.QueryRow(ctx, "SELECT "+orgColumns+" FROM orgs WHERE id = ?", id))
}

// FindOrg finds an organization by its id in decimal, or by its Japanese or English name
// (compared in normalized form).
func FindOrg(ctx context.Context, c Conn, ref string) (model.Org, error) {
	key := model.NameKey(ref)
	return scanOrg(c.QueryRow(ctx, "SELECT "+orgColumns+" FROM orgs WHERE name_ja_key = ? OR name_en_key = ? OR CAST(id AS TEXT) = ? ORDER BY id LIMIT 1",
		key, key, strings.TrimSpace(ref)))
}

// OrgQuery filters the organization directory.
type OrgQuery struct {
	Kind            model.OrgKind
	Sector          model.Sector
	Text            string // part of either name
	IncludeDisabled bool
	Page            Page
}

// ListOrgs returns organizations in id order after the cursor.
func ListOrgs(ctx context.Context, c Conn, q OrgQuery) ([]model.Org, error) {
	where := []string{"id > ?"}
	args := []any{q.Page.After}
	if q.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, q.Kind)
	}
	if q.Sector != "" {
		where, args = append(where, "sector = ?"), append(args, q.Sector)
	}
	if !q.IncludeDisabled {
		where = append(where, "disabled = FALSE")
	}
	if t := model.NameKey(q.Text); t != "" {
		where = append(where, "(name_ja_key LIKE ? ESCAPE '\\' OR name_en_key LIKE ? ESCAPE '\\')")
		like := "%" + escapeLike(t) + "%"
		args = append(args, like, like)
	}
	args = append(args, q.Page.limit())
	rows, err := c.Query(ctx, "SELECT "+orgColumns+" FROM orgs WHERE "+strings.Join(where, " AND ")+" ORDER BY id LIMIT ?", args...)
	return collect(rows, err, scanOrg)
}

// CountOrgs returns how many organizations exist.
func CountOrgs(ctx context.Context, c Conn) (int, error) {
	var n int
	err := c.QueryRow(ctx, "SELECT COUNT(*) FROM orgs").Scan(&n)
	return n, err
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// affected turns "no row changed" into ErrNotFound.
func affected(res interface{ RowsAffected() (int64, error) }, err error) error {
	if err != nil {
		return classify(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
