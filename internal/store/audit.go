package store

import (
	"context"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
)

const auditColumns = "seq, at, actor_user_id, actor_email, ip, action, target_type, target_id, detail, prev_hash, hash"

func scanAudit(s scanner) (model.AuditRecord, error) {
	var r model.AuditRecord
	var at int64
	err := s.Scan(&r.Seq, &at, &r.ActorUserID, &r.ActorEmail, &r.IP, &r.Action, &r.TargetType, &r.TargetID, &r.Detail, &r.PrevHash, &r.Hash)
	r.At = fromMS(at)
	return r, classify(err)
}

// LockAudit serializes appends to the audit chain for the rest of the transaction. SQLite
// has one writer already; PostgreSQL takes a transaction-scoped advisory lock.
func LockAudit(ctx context.Context, c Conn) error {
	if c.backend != Postgres {
		return nil
	}
	_, err := c.Exec(ctx, "SELECT pg_advisory_xact_lock(7253002)")
	return err
}

// LastAudit returns the newest record; ErrNotFound when the log is empty.
func LastAudit(ctx context.Context, c Conn) (model.AuditRecord, error) {
	return scanAudit(c.QueryRow(ctx, "SELECT "+auditColumns+" FROM audit_log ORDER BY seq DESC LIMIT 1"))
}

// InsertAudit appends a record whose seq and hashes the caller computed under LockAudit.
func InsertAudit(ctx context.Context, c Conn, r model.AuditRecord) error {
	_, err := c.Exec(ctx, "INSERT INTO audit_log ("+auditColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		r.Seq, ms(r.At), r.ActorUserID, r.ActorEmail, r.IP, r.Action, r.TargetType, r.TargetID, r.Detail, r.PrevHash, r.Hash)
	return classify(err)
}

// AuditQuery filters the audit log.
type AuditQuery struct {
	Action     string // exact action, or a prefix ending in "."
	ActorID    int64
	TargetType string
	TargetID   int64
	Since      time.Time
	Until      time.Time
	Before     int64 // keyset cursor: records with seq below this (0 = newest)
	Limit      int
}

// ListAudit returns records newest first.
func ListAudit(ctx context.Context, c Conn, q AuditQuery) ([]model.AuditRecord, error) {
	where := []string{"1 = 1"}
	var args []any
	if q.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, q.Before)
	}
	if q.Action != "" {
		if strings.HasSuffix(q.Action, ".") {
			where, args = append(where, "action LIKE ? ESCAPE '\\'"), append(args, escapeLike(q.Action)+"%")
		} else {
			where, args = append(where, "action = ?"), append(args, q.Action)
		}
	}
	if q.ActorID != 0 {
		where, args = append(where, "actor_user_id = ?"), append(args, q.ActorID)
	}
	if q.TargetType != "" {
		where, args = append(where, "target_type = ?"), append(args, q.TargetType)
		if q.TargetID != 0 {
			where, args = append(where, "target_id = ?"), append(args, q.TargetID)
		}
	}
	if !q.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, ms(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, ms(q.Until))
	}
	args = append(args, Page{Limit: q.Limit}.limit())
	rows, err := c.Query(ctx, "SELECT "+auditColumns+" FROM audit_log WHERE "+strings.Join(where, " AND ")+" ORDER BY seq DESC LIMIT ?", args...)
	return collect(rows, err, scanAudit)
}

// WalkAudit calls fn for every record in chain order, reading in batches so that memory
// does not grow with the log.
func WalkAudit(ctx context.Context, c Conn, fn func(model.AuditRecord) error) error {
	after := int64(-1)
	for {
		rows, err := c.Query(ctx, "SELECT "+auditColumns+" FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 1000", after)
		batch, err := collect(rows, err, scanAudit)
		if err != nil {
			return err
		}
		for _, r := range batch {
			if err := fn(r); err != nil {
				return err
			}
			after = r.Seq
		}
		if len(batch) < 1000 {
			return nil
		}
	}
}
