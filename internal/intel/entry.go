package intel

import (
	"context"
	"errors"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/ioc"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/stix"
	"github.com/renkei-dev/renkei/internal/store"
)

// Limits of bulk entry from pasted text.
const (
	MaxPasteBytes   = 256 << 10
	MaxPasteItems   = 2000
	MaxValidDays    = 3650
	MaxEntryDescLen = 2000
)

// indicatorNamespace makes the ids of indicators entered by people deterministic per
// organization and pattern: entering a value again makes a new version of the same
// indicator rather than a second indicator.
const indicatorNamespace = "5c1b7b52-6a4e-4f0e-9d53-2f1f4c6f1a01"

// EntryInput is a paste of indicators and what to mark them with.
type EntryInput struct {
	CollectionID int64
	Text         string
	TLP          string
	Confidence   int // 0–100; -1 for none
	ValidDays    int // 0: no valid_until
	Description  string
}

// Preview recognises the indicators in pasted text: refanged, normalised, duplicates
// folded, with the words that looked like indicators but were not.
func (s *Service) Preview(text string) (ioc.Result, error) {
	if len(text) > MaxPasteBytes {
		return ioc.Result{}, fault.Field("text", "intel.paste_too_large", "max_kib", MaxPasteBytes>>10)
	}
	res, err := ioc.Extract(text, ioc.Limits{MaxBytes: MaxPasteBytes, MaxItems: MaxPasteItems})
	var le *ioc.LimitError
	if errors.As(err, &le) {
		return res, fault.Field("text", "intel.paste_too_many", "max", MaxPasteItems)
	}
	return res, err
}

// CreateIndicators makes one STIX indicator per value recognised in the text, created by
// the person's organization's identity, and adds them (with the identity) to a
// collection the person may write. It returns the seqs of the indicators' versions.
func (s *Service) CreateIndicators(ctx context.Context, p auth.Principal, in EntryInput) ([]int64, error) {
	coll, err := s.CollectionByID(ctx, p, in.CollectionID)
	if err != nil {
		return nil, fault.Field("collection_id", "intel.collection_unknown")
	}
	if !coll.CanWrite {
		return nil, fault.Field("collection_id", "intel.collection_read_only")
	}
	var errs fault.List
	tlp, err := model.ParseTLP(in.TLP)
	errs.AddErr("tlp", err)
	if in.Confidence < -1 || in.Confidence > 100 {
		errs.Add("confidence", "intel.bad_confidence")
	}
	if in.ValidDays < 0 || in.ValidDays > MaxValidDays {
		errs.Add("valid_days", "intel.bad_valid_days", "max", MaxValidDays)
	}
	desc, err := model.CleanText(in.Description, MaxEntryDescLen, false)
	errs.AddErr("description", err)
	res, err := s.Preview(in.Text)
	errs.AddErr("text", err)
	if err == nil && len(res.Items) == 0 {
		errs.Add("text", "intel.paste_empty")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	var seqs []int64
	var written batch
	err = s.db.Write(ctx, func(c store.Conn) error {
		identID, identRaw, err := orgIdentity(ctx, c, p.Org, now)
		if err != nil {
			return err
		}
		last, err := store.LockCollection(ctx, c, coll.ID)
		if err != nil {
			return err
		}
		var vs []store.StixVersion
		var vals [][]store.StixValue
		addRaw := func(raw []byte) error {
			obj, err := stix.Decode(raw)
			if err != nil {
				return err
			}
			last = max(last+1, now.UnixMicro())
			v := versionOf(obj, coll.IntelCollection, p)
			v.DateAdded = last
			vs, vals = append(vs, v), append(vals, valuesOf(obj))
			return nil
		}
		if err := addRaw([]byte(identRaw)); err != nil {
			return err
		}
		for _, it := range res.Items {
			spec := stix.IndicatorSpec{Kind: it.Kind, Value: it.Value, Description: desc, CreatedBy: identID, Created: now,
				TLP: tlp, IDNamespace: indicatorNamespace}
			if in.Confidence >= 0 {
				conf := in.Confidence
				spec.Confidence = &conf
			}
			if in.ValidDays > 0 {
				spec.ValidUntil = now.AddDate(0, 0, in.ValidDays)
			}
			raw, err := stix.NewIndicator(spec)
			if err != nil {
				return err
			}
			if err := addRaw(raw); err != nil {
				return err
			}
		}
		added, err := store.InsertVersions(ctx, c, vs, vals)
		if err != nil {
			return err
		}
		written = batch{vs, vals}
		for i, v := range vs[1:] {
			if added[i+1] {
				seqs = append(seqs, v.Seq)
			}
		}
		if err := store.SetLastAdded(ctx, c, coll.ID, last); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "intel.indicators_created", TargetType: "collection",
			TargetID: coll.ID, Detail: map[string]any{"count": len(seqs), "tlp": string(tlp)}}, now)
		return err
	})
	if err == nil {
		s.announce(written)
	}
	return seqs, err
}

// orgIdentity returns the organization's STIX identity, making it the first time.
func orgIdentity(ctx context.Context, c store.Conn, org model.Org, now time.Time) (string, string, error) {
	id, raw, err := store.OrgIdentity(ctx, c, org.ID)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return id, raw, err
	}
	name := org.NameEN
	if name == "" {
		name = org.NameJA
	}
	b, err := stix.NewOrganizationIdentity(stix.IdentitySpec{Name: name, Created: now})
	if err != nil {
		return "", "", err
	}
	obj, err := stix.Parse(b)
	if err != nil {
		return "", "", err
	}
	if err := store.InsertOrgIdentity(ctx, c, org.ID, obj.ID, string(b), now); err != nil {
		return "", "", err
	}
	return obj.ID, string(b), nil
}

// OrgIdentityID returns the STIX identity id of an organization, making it if needed.
func (s *Service) OrgIdentityID(ctx context.Context, org model.Org) (string, error) {
	var id string
	err := s.db.Write(ctx, func(c store.Conn) error {
		var err error
		id, _, err = orgIdentity(ctx, c, org, s.now().UTC())
		return err
	})
	return id, err
}

// SightingInput is what an organization saw.
type SightingInput struct {
	Count     int
	FirstSeen time.Time // zero: now
	LastSeen  time.Time // zero: FirstSeen
}

// MaxSightingCount bounds one record.
const MaxSightingCount = 1_000_000

// RecordSighting adds to the person's organization's sightings of the indicator version
// seq (kept per object in its collection).
func (s *Service) RecordSighting(ctx context.Context, p auth.Principal, seq int64, in SightingInput) error {
	v, err := store.GetVersion(ctx, s.db.Read(), seq)
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	}
	if err != nil {
		return err
	}
	k, err := store.GetCollection(ctx, s.db.Read(), v.CollectionID)
	if err != nil {
		return err
	}
	if !policy.CanViewStix(p.Actor, StixFacts(k, v)) {
		return notFound()
	}
	if !policy.CanRecordSighting(p.Actor, StixFacts(k, v)) || v.Type != "indicator" {
		return forbidden()
	}
	now := s.now().UTC()
	if in.FirstSeen.IsZero() {
		in.FirstSeen = now
	}
	if in.LastSeen.IsZero() {
		in.LastSeen = in.FirstSeen
	}
	var errs fault.List
	if in.Count < 1 || in.Count > MaxSightingCount {
		errs.Add("count", "intel.bad_count", "max", MaxSightingCount)
	}
	if in.LastSeen.Before(in.FirstSeen) || in.LastSeen.After(now.Add(time.Hour)) {
		errs.Add("last_seen", "intel.bad_seen")
	}
	if err := errs.Err(); err != nil {
		return err
	}
	return s.db.Write(ctx, func(c store.Conn) error {
		if err := store.AddSighting(ctx, c, store.Sighting{CollectionID: v.CollectionID, StixID: v.StixID, OrgID: p.User.OrgID, Count: in.Count,
			FirstSeen: in.FirstSeen, LastSeen: in.LastSeen, UpdatedBy: p.User.ID, UpdatedAt: now}); err != nil {
			return err
		}
		_, err := audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "intel.sighting_recorded", TargetType: "collection",
			TargetID: v.CollectionID, Detail: map[string]any{"id": v.StixID, "count": in.Count}}, now)
		return err
	})
}
