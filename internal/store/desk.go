package store

import (
	"context"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
)

// The consultation desk's queries. List queries take the policy's CaseFilter over the
// alias cs of cases.

const caseColumns = `cs.id, cs.org_id, cs.reporter_id, cs.kind, cs.category, cs.title, cs.description, cs.detected_at,
	cs.affected, cs.event_impact, cs.public_visibility, cs.urgency, cs.state, cs.team, cs.handler_id, cs.merged_into,
	cs.created_at, cs.updated_at, cs.first_response_at, cs.resolved_at, cs.closed_at,
	cs.response_due_at, cs.response_warn_at, cs.resolve_due_at, cs.resolve_warn_at`

func scanCase(s scanner) (model.Case, error) {
	var k model.Case
	var detected, created, updated, first, resolved, closed, rdue, rwarn, sdue, swarn int64
	err := s.Scan(&k.ID, &k.OrgID, &k.ReporterID, &k.Kind, &k.Category, &k.Title, &k.Description, &detected,
		&k.AffectedServices, &k.EventImpact, &k.PublicVisibility, &k.Urgency, &k.State, &k.Team, &k.HandlerID, &k.MergedInto,
		&created, &updated, &first, &resolved, &closed, &rdue, &rwarn, &sdue, &swarn)
	k.DetectedAt, k.CreatedAt, k.UpdatedAt = fromMS(detected), fromMS(created), fromMS(updated)
	k.FirstResponseAt, k.ResolvedAt, k.ClosedAt = fromMS(first), fromMS(resolved), fromMS(closed)
	k.ResponseDueAt, k.ResponseWarnAt, k.ResolveDueAt, k.ResolveWarnAt = fromMS(rdue), fromMS(rwarn), fromMS(sdue), fromMS(swarn)
	return k, classify(err)
}

// InsertCase files a case with its observables.
func InsertCase(ctx context.Context, c Conn, k model.Case) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO cases (org_id, reporter_id, kind, category, title, description, detected_at, affected,
		event_impact, public_visibility, urgency, state, created_at, updated_at,
		response_due_at, response_warn_at, resolve_due_at, resolve_warn_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		k.OrgID, k.ReporterID, k.Kind, k.Category, k.Title, k.Description, ms(k.DetectedAt), k.AffectedServices,
		k.EventImpact, k.PublicVisibility, k.Urgency, k.State, ms(k.CreatedAt), ms(k.CreatedAt),
		ms(k.ResponseDueAt), ms(k.ResponseWarnAt), ms(k.ResolveDueAt), ms(k.ResolveWarnAt)).Scan(&id)
	if err != nil {
		return 0, classify(err)
	}
	for i, o := range k.Observables {
		if _, err := c.Exec(ctx, "INSERT INTO case_observables (case_id, seq, kind, value) VALUES (?, ?, ?, ?)",
			id, i+1, o.Kind, o.Value); err != nil {
			return 0, classify(err)
		}
	}
	return id, nil
}

// GetCase returns one case with its observables.
func GetCase(ctx context.Context, c Conn, id int64) (model.Case, error) {
	k, err := scanCase(c.QueryRow(ctx, "SELECT "+caseColumns+" FROM cases cs WHERE cs.id = ?", id))
	if err != nil {
		return k, err
	}
	rows, err := c.Query(ctx, "SELECT kind, value FROM case_observables WHERE case_id = ? ORDER BY seq", id)
	k.Observables, err = collect(rows, err, func(s scanner) (model.Observable, error) {
		var o model.Observable
		return o, s.Scan(&o.Kind, &o.Value)
	})
	return k, err
}

// CasePartnerOrgs returns the organizations currently invited into a case.
func CasePartnerOrgs(ctx context.Context, c Conn, caseID int64) ([]model.CasePartner, error) {
	rows, err := c.Query(ctx, "SELECT case_id, org_id, invited_by, invited_at FROM case_partners WHERE case_id = ? ORDER BY org_id", caseID)
	return collect(rows, err, func(s scanner) (model.CasePartner, error) {
		var p model.CasePartner
		var at int64
		err := s.Scan(&p.CaseID, &p.OrgID, &p.InvitedBy, &at)
		p.InvitedAt = fromMS(at)
		return p, err
	})
}

// AddCasePartner invites an organization into a case; ErrDuplicate if it already is.
func AddCasePartner(ctx context.Context, c Conn, caseID, orgID, by int64, now time.Time) error {
	_, err := c.Exec(ctx, "INSERT INTO case_partners (case_id, org_id, invited_by, invited_at) VALUES (?, ?, ?, ?)",
		caseID, orgID, by, ms(now))
	return classify(err)
}

// RemoveCasePartner ends an invitation; ErrNotFound if there was none.
func RemoveCasePartner(ctx context.Context, c Conn, caseID, orgID int64) error {
	res, err := c.Exec(ctx, "DELETE FROM case_partners WHERE case_id = ? AND org_id = ?", caseID, orgID)
	return affected(res, err)
}

// UpdateCase writes the whole changeable part of a case (the caller read it first, in the
// same transaction).
func UpdateCase(ctx context.Context, c Conn, id int64, k model.Case, now time.Time) error {
	res, err := c.Exec(ctx, `UPDATE cases SET state = ?, team = ?, handler_id = ?, urgency = ?, merged_into = ?,
		first_response_at = ?, resolved_at = ?, closed_at = ?, response_due_at = ?, response_warn_at = ?,
		resolve_due_at = ?, resolve_warn_at = ?, updated_at = ? WHERE id = ?`,
		k.State, k.Team, k.HandlerID, k.Urgency, k.MergedInto, ms(k.FirstResponseAt), ms(k.ResolvedAt), ms(k.ClosedAt),
		ms(k.ResponseDueAt), ms(k.ResponseWarnAt), ms(k.ResolveDueAt), ms(k.ResolveWarnAt), ms(now), id)
	return affected(res, err)
}

// InsertCaseMessage adds a message or internal note and touches the case.
func InsertCaseMessage(ctx context.Context, c Conn, m model.CaseMessage) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO case_messages (case_id, author_id, author_org_id, internal, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, m.CaseID, m.AuthorID, m.AuthorOrgID, m.Internal, m.Body, ms(m.CreatedAt)).Scan(&id)
	if err != nil {
		return 0, classify(err)
	}
	_, err = c.Exec(ctx, "UPDATE cases SET updated_at = ? WHERE id = ?", ms(m.CreatedAt), m.CaseID)
	return id, err
}

// ListCaseMessages returns a page of a case's thread, oldest first; internal notes only
// when withInternal.
func ListCaseMessages(ctx context.Context, c Conn, caseID int64, withInternal bool, p Page) ([]model.CaseMessage, error) {
	q := "SELECT id, case_id, author_id, author_org_id, internal, body, created_at FROM case_messages WHERE case_id = ? AND id > ?"
	if !withInternal {
		q += " AND internal = FALSE"
	}
	rows, err := c.Query(ctx, q+" ORDER BY id LIMIT ?", caseID, p.After, p.limit())
	return collect(rows, err, func(s scanner) (model.CaseMessage, error) {
		var m model.CaseMessage
		var at int64
		err := s.Scan(&m.ID, &m.CaseID, &m.AuthorID, &m.AuthorOrgID, &m.Internal, &m.Body, &at)
		m.CreatedAt = fromMS(at)
		return m, err
	})
}

// CountCaseMessages counts a case's messages (all, or only those that are not internal).
func CountCaseMessages(ctx context.Context, c Conn, caseID int64, withInternal bool) (int, error) {
	q := "SELECT COUNT(*) FROM case_messages WHERE case_id = ?"
	if !withInternal {
		q += " AND internal = FALSE"
	}
	var n int
	err := c.QueryRow(ctx, q, caseID).Scan(&n)
	return n, err
}

// GetCaseMessage returns one message.
func GetCaseMessage(ctx context.Context, c Conn, id int64) (model.CaseMessage, error) {
	var m model.CaseMessage
	var at int64
	err := c.QueryRow(ctx, "SELECT id, case_id, author_id, author_org_id, internal, body, created_at FROM case_messages WHERE id = ?", id).
		Scan(&m.ID, &m.CaseID, &m.AuthorID, &m.AuthorOrgID, &m.Internal, &m.Body, &at)
	m.CreatedAt = fromMS(at)
	return m, classify(err)
}

// InsertCaseEvent appends to a case's timeline.
func InsertCaseEvent(ctx context.Context, c Conn, e model.CaseEvent) error {
	if e.Detail == "" {
		e.Detail = "{}"
	}
	_, err := c.Exec(ctx, `INSERT INTO case_events (case_id, actor_id, kind, from_state, to_state, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.CaseID, e.ActorID, e.Kind, e.FromState, e.ToState, e.Detail, ms(e.At))
	return classify(err)
}

// ListCaseEvents returns a case's timeline, oldest first (at most MaxPage entries after the cursor).
func ListCaseEvents(ctx context.Context, c Conn, caseID int64, p Page) ([]model.CaseEvent, error) {
	rows, err := c.Query(ctx, `SELECT id, case_id, actor_id, kind, from_state, to_state, detail, at FROM case_events
		WHERE case_id = ? AND id > ? ORDER BY id LIMIT ?`, caseID, p.After, p.limit())
	return collect(rows, err, func(s scanner) (model.CaseEvent, error) {
		var e model.CaseEvent
		var at int64
		err := s.Scan(&e.ID, &e.CaseID, &e.ActorID, &e.Kind, &e.FromState, &e.ToState, &e.Detail, &at)
		e.At = fromMS(at)
		return e, err
	})
}

// LinkCases records that two cases are related (both directions); an existing link is kept.
func LinkCases(ctx context.Context, c Conn, a, b int64, now time.Time) error {
	for _, pair := range [][2]int64{{a, b}, {b, a}} {
		if _, err := c.Exec(ctx, "INSERT INTO case_links (case_id, other_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			pair[0], pair[1], ms(now)); err != nil {
			return classify(err)
		}
	}
	return nil
}

// LinkedCases returns the ids of the cases linked to one, among those the filter lets through.
func LinkedCases(ctx context.Context, c Conn, access Filter, caseID int64) ([]int64, error) {
	rows, err := c.Query(ctx, `SELECT cs.id FROM case_links l JOIN cases cs ON cs.id = l.other_id
		WHERE l.case_id = ? AND `+access.where()+` ORDER BY cs.id LIMIT 500`, append([]any{caseID}, access.Args...)...)
	return collect(rows, err, func(s scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
}

// CaseQuery narrows a list of cases; zero fields do not narrow.
type CaseQuery struct {
	Access    Filter // the policy's CaseFilter
	OrgID     int64  // reported by this organization
	State     model.CaseState
	Open      bool // only states before resolved
	Urgency   model.Urgency
	Category  model.CaseCategory
	Kind      model.CaseKind
	HandlerID int64
	Impact    model.Impact
	// SLA is "past" (a clock past its limit) or "near" (a clock past its warning, not its
	// limit), at Now.
	SLA string
	Now time.Time
	// Text matches the title, case-insensitively.
	Text string
	// Created in [From, To).
	From, To time.Time
	// Report: only cases with event impact or public visibility.
	Reportable bool
	// Keyset: ids below Before (0: from the newest), at most Limit.
	Before int64
	Limit  int
}

func (q CaseQuery) where() (string, []any) {
	conds := []string{q.Access.where()}
	args := append([]any{}, q.Access.Args...)
	add := func(cond string, a ...any) { conds = append(conds, cond); args = append(args, a...) }
	if q.OrgID != 0 {
		add("cs.org_id = ?", q.OrgID)
	}
	if q.State != "" {
		add("cs.state = ?", q.State)
	}
	if q.Open {
		add("cs.state NOT IN ('resolved', 'closed')")
	}
	if q.Urgency != "" {
		add("cs.urgency = ?", q.Urgency)
	}
	if q.Category != "" {
		add("cs.category = ?", q.Category)
	}
	if q.Kind != "" {
		add("cs.kind = ?", q.Kind)
	}
	if q.HandlerID != 0 {
		add("cs.handler_id = ?", q.HandlerID)
	}
	if q.Impact != "" {
		add("cs.event_impact = ?", q.Impact)
	}
	now := ms(q.Now)
	past := `((cs.first_response_at = 0 AND cs.response_due_at <= ?) OR
		(cs.state NOT IN ('resolved', 'closed') AND cs.resolve_due_at <= ?))`
	switch q.SLA {
	case "past":
		add(past, now, now)
	case "near":
		add(`NOT `+past+` AND ((cs.first_response_at = 0 AND cs.response_warn_at <= ?) OR
			(cs.state NOT IN ('resolved', 'closed') AND cs.resolve_warn_at <= ?))`, now, now, now, now)
	}
	if q.Text != "" {
		esc := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(q.Text))
		add(`LOWER(cs.title) LIKE ? ESCAPE '\'`, "%"+esc+"%")
	}
	if !q.From.IsZero() {
		add("cs.created_at >= ?", ms(q.From))
	}
	if !q.To.IsZero() {
		add("cs.created_at < ?", ms(q.To))
	}
	if q.Reportable {
		add("(cs.event_impact = 'yes' OR cs.public_visibility = TRUE)")
	}
	return strings.Join(conds, " AND "), args
}

// ListCases returns cases newest first.
func ListCases(ctx context.Context, c Conn, q CaseQuery) ([]model.Case, error) {
	where, args := q.where()
	if q.Before > 0 {
		where += " AND cs.id < ?"
		args = append(args, q.Before)
	}
	limit := Page{Limit: q.Limit}.limit()
	rows, err := c.Query(ctx, "SELECT "+caseColumns+" FROM cases cs WHERE "+where+" ORDER BY cs.id DESC LIMIT ?", append(args, limit)...)
	return collect(rows, err, scanCase)
}

// CaseCount is one group of a count of cases.
type CaseCount struct {
	Key   string
	Count int
}

// CountCases counts the cases a query selects, grouped by one column: state, urgency,
// category or kind.
func CountCases(ctx context.Context, c Conn, q CaseQuery, by string) ([]CaseCount, error) {
	switch by {
	case "state", "urgency", "category", "kind":
	default:
		by = "state"
	}
	where, args := q.where()
	rows, err := c.Query(ctx, "SELECT cs."+by+", COUNT(*) FROM cases cs WHERE "+where+" GROUP BY cs."+by+" ORDER BY cs."+by, args...)
	return collect(rows, err, func(s scanner) (CaseCount, error) {
		var x CaseCount
		return x, s.Scan(&x.Key, &x.Count)
	})
}

// CaseDurations returns, for the cases a query selects, their urgency, time filed, first
// response and resolution (Unix ms, 0 when not yet), for response-time figures.
func CaseDurations(ctx context.Context, c Conn, q CaseQuery) ([][4]int64, []model.Urgency, error) {
	where, args := q.where()
	rows, err := c.Query(ctx, "SELECT cs.urgency, cs.created_at, cs.first_response_at, cs.resolved_at FROM cases cs WHERE "+where+
		" ORDER BY cs.id LIMIT 100000", args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out [][4]int64
	var urg []model.Urgency
	for rows.Next() {
		var u model.Urgency
		var x [4]int64
		if err := rows.Scan(&u, &x[1], &x[2], &x[3]); err != nil {
			return nil, nil, err
		}
		out, urg = append(out, x), append(urg, u)
	}
	return out, urg, rows.Err()
}

// ---- On-call rota ----

// OnCallShift is one person's turn on the rota.
type OnCallShift struct {
	ID       int64
	UserID   int64
	StartsAt time.Time
	EndsAt   time.Time
}

// InsertOnCall adds a shift.
func InsertOnCall(ctx context.Context, c Conn, s OnCallShift) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, "INSERT INTO desk_oncall (user_id, starts_at, ends_at) VALUES (?, ?, ?) RETURNING id",
		s.UserID, ms(s.StartsAt), ms(s.EndsAt)).Scan(&id)
	return id, classify(err)
}

// DeleteOnCall removes a shift.
func DeleteOnCall(ctx context.Context, c Conn, id int64) error {
	res, err := c.Exec(ctx, "DELETE FROM desk_oncall WHERE id = ?", id)
	return affected(res, err)
}

// ListOnCall returns the shifts that end after from, soonest first.
func ListOnCall(ctx context.Context, c Conn, from time.Time, limit int) ([]OnCallShift, error) {
	rows, err := c.Query(ctx, "SELECT id, user_id, starts_at, ends_at FROM desk_oncall WHERE ends_at > ? ORDER BY starts_at, id LIMIT ?",
		ms(from), Page{Limit: limit}.limit())
	return collect(rows, err, func(s scanner) (OnCallShift, error) {
		var x OnCallShift
		var a, b int64
		err := s.Scan(&x.ID, &x.UserID, &a, &b)
		x.StartsAt, x.EndsAt = fromMS(a), fromMS(b)
		return x, err
	})
}

// OnCallAt returns the people on call at a moment.
func OnCallAt(ctx context.Context, c Conn, at time.Time) ([]int64, error) {
	rows, err := c.Query(ctx, "SELECT DISTINCT user_id FROM desk_oncall WHERE starts_at <= ? AND ends_at > ? ORDER BY user_id",
		ms(at), ms(at))
	return collect(rows, err, func(s scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
}

// ---- Publications ----

// InsertCasePublication links a case to the topic published from it.
func InsertCasePublication(ctx context.Context, c Conn, caseID, topicID, by int64, now time.Time) error {
	_, err := c.Exec(ctx, "INSERT INTO case_publications (case_id, topic_id, published_by, published_at) VALUES (?, ?, ?, ?)",
		caseID, topicID, by, ms(now))
	return classify(err)
}

// CasePublications returns the topics published from a case.
func CasePublications(ctx context.Context, c Conn, caseID int64) ([]int64, error) {
	rows, err := c.Query(ctx, "SELECT topic_id FROM case_publications WHERE case_id = ? ORDER BY topic_id", caseID)
	return collect(rows, err, func(s scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
}
