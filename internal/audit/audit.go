// Package audit appends security-relevant actions to a tamper-evident log: every record
// carries the SHA-256 of its own fields and of the record before it, so that editing,
// inserting or deleting a record breaks the chain at that point, which Verify reports.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

// Genesis is the previous-hash of the first record.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Actor is who did something: a person, or the system (UserID 0) for command-line and
// background actions.
type Actor struct {
	UserID int64
	Email  string
	IP     string
}

// Entry is one action to record.
type Entry struct {
	Actor      Actor
	Action     string
	TargetType string
	TargetID   int64
	Detail     map[string]any
}

// Append adds an entry to the chain inside the caller's write transaction, so that the
// action and its record commit together or not at all.
func Append(ctx context.Context, c store.Conn, e Entry, now time.Time) (model.AuditRecord, error) {
	if err := store.LockAudit(ctx, c); err != nil {
		return model.AuditRecord{}, fmt.Errorf("lock audit log: %w", err)
	}
	prev, err := store.LastAudit(ctx, c)
	switch {
	case errors.Is(err, store.ErrNotFound):
		prev = model.AuditRecord{Seq: 0, Hash: Genesis}
	case err != nil:
		return model.AuditRecord{}, fmt.Errorf("read audit tail: %w", err)
	}
	detail := "{}"
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail) // map keys are sorted: the text is canonical
		if err != nil {
			return model.AuditRecord{}, fmt.Errorf("encode audit detail: %w", err)
		}
		detail = string(b)
	}
	r := model.AuditRecord{
		Seq:         prev.Seq + 1,
		At:          time.UnixMilli(now.UnixMilli()).UTC(),
		ActorUserID: e.Actor.UserID,
		ActorEmail:  e.Actor.Email,
		IP:          e.Actor.IP,
		Action:      e.Action,
		TargetType:  e.TargetType,
		TargetID:    e.TargetID,
		Detail:      detail,
		PrevHash:    prev.Hash,
	}
	r.Hash = Hash(r)
	if err := store.InsertAudit(ctx, c, r); err != nil {
		return model.AuditRecord{}, fmt.Errorf("append audit record: %w", err)
	}
	return r, nil
}

// Hash computes a record's hash from its fields and its previous hash.
func Hash(r model.AuditRecord) string {
	b, _ := json.Marshal([]any{r.Seq, r.At.UnixMilli(), r.ActorUserID, r.ActorEmail, r.IP, r.Action,
		r.TargetType, r.TargetID, r.Detail, r.PrevHash})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Report is the outcome of a verification.
type Report struct {
	Records  int64  // records checked
	LastSeq  int64  // the last good record
	LastHash string // its hash: note it somewhere else to detect truncation later
	BrokenAt int64  // the first bad record, 0 when the chain is whole
	Reason   string
}

// OK reports whether the chain verified.
func (r Report) OK() bool { return r.BrokenAt == 0 }

// Verify walks the whole log and reports the first record that does not chain.
func Verify(ctx context.Context, db *store.DB) (Report, error) {
	rep := Report{LastHash: Genesis}
	errStop := errors.New("stop")
	err := store.WalkAudit(ctx, db.Read(), func(r model.AuditRecord) error {
		switch {
		case r.Seq != rep.LastSeq+1:
			rep.BrokenAt, rep.Reason = r.Seq, fmt.Sprintf("sequence jumps from %d to %d: records are missing", rep.LastSeq, r.Seq)
		case r.PrevHash != rep.LastHash:
			rep.BrokenAt, rep.Reason = r.Seq, "previous-hash does not match the record before it"
		case Hash(r) != r.Hash:
			rep.BrokenAt, rep.Reason = r.Seq, "hash does not match the record's contents: it was altered"
		default:
			rep.Records++
			rep.LastSeq, rep.LastHash = r.Seq, r.Hash
			return nil
		}
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return rep, err
	}
	return rep, nil
}
