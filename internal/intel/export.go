package intel

import (
	"context"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// ExportQuery selects what a blocking device receives from a collection: values of the
// latest versions of indicators that are neither revoked nor expired, whose pattern is
// matched by the value alone.
type ExportQuery struct {
	Kinds         []string    // value kinds (ipv4, domain, url ...); none: all
	TLPs          []model.TLP // none: every level but RED
	MinConfidence int         // -1: any, including indicators without one
}

// MaxExportRows bounds one export.
const MaxExportRows = 1_000_000

// Export calls each for every value of the collection the query selects, in the order the
// indicators were added, reading the store a page at a time. The export is audited.
func (s *Service) Export(ctx context.Context, p auth.Principal, uuid string, q ExportQuery, each func(store.ExportRow) error) error {
	coll, err := s.Collection(ctx, p, uuid)
	if err != nil {
		return err
	}
	tlps := q.TLPs
	if len(tlps) == 0 {
		tlps = []model.TLP{model.TLPClear, model.TLPGreen, model.TLPAmber, model.TLPAmberStrict}
	}
	sq := store.ExportQuery{CollectionID: coll.ID, Kinds: q.Kinds, MinConfidence: q.MinConfidence, ValidAt: s.now().UnixMicro(), Limit: 5000}
	for _, t := range tlps {
		sq.TLPs = append(sq.TLPs, string(t))
	}
	now := s.now()
	if err := s.db.Write(ctx, func(c store.Conn) error {
		_, err := audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "intel.exported", TargetType: "collection", TargetID: coll.ID,
			Detail: map[string]any{"kinds": q.Kinds, "tlps": sq.TLPs, "min_confidence": q.MinConfidence}}, now)
		return err
	}); err != nil {
		return err
	}
	f := policy.StixFilter(p.Actor)
	n := 0
	for {
		rows, err := store.ExportValues(ctx, s.db.Read(), f, sq)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if n++; n > MaxExportRows {
				return fault.New(fault.TooLarge, "intel.export_too_large")
			}
			if err := each(r); err != nil {
				return err
			}
		}
		if len(rows) < sq.Limit {
			return nil
		}
		last := rows[len(rows)-1]
		sq.AfterSeq, sq.AfterKind, sq.AfterValue = last.Seq, last.Kind, last.Value
	}
}

// ExportObject returns the bytes of one version for a bundle export, after the same
// checks as Object.
func (s *Service) ExportObject(ctx context.Context, p auth.Principal, seq int64) (string, model.TLP, error) {
	v, err := store.GetVersion(ctx, s.db.Read(), seq)
	if err != nil {
		return "", "", notFound()
	}
	k, err := store.GetCollection(ctx, s.db.Read(), v.CollectionID)
	if err != nil {
		return "", "", err
	}
	if !policy.CanViewStix(p.Actor, StixFacts(k, v)) {
		return "", "", notFound()
	}
	return v.Raw, model.TLP(v.TLP), nil
}
