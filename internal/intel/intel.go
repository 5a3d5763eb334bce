// Package intel is machine-to-machine indicator sharing: TAXII collections tied to
// communities and organizations, a store of every version of every STIX 2.1 object exactly
// as received, envelope ingest with per-object outcomes, the queries behind the TAXII 2.1
// server, exports for blocking devices, indicators entered by people, correlation and
// sightings. Every read and write asks the policy package first.
package intel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/ioc"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/stix"
	"github.com/renkei-dev/renkei/internal/stix/pattern"
	"github.com/renkei-dev/renkei/internal/store"
)

// Limits bound what the service accepts.
type Limits struct {
	MaxContentLength int64 // bytes of one envelope POST
	MaxObjects       int   // objects in one envelope
	MaxObjectSize    int   // bytes of one object
	MaxPage          int   // objects in one GET page
}

// DefaultLimits are the limits when none are given.
var DefaultLimits = Limits{MaxContentLength: 10 << 20, MaxObjects: 10_000, MaxObjectSize: 256 << 10, MaxPage: 1000}

// Service is the indicator-sharing service.
type Service struct {
	db     *store.DB
	now    func() time.Time
	lim    Limits
	shared []func([]Shared)
}

// New returns the service; now may be nil (the real clock), zero limits take the defaults.
func New(db *store.DB, now func() time.Time, lim Limits) *Service {
	if now == nil {
		now = time.Now
	}
	d := DefaultLimits
	if lim.MaxContentLength <= 0 {
		lim.MaxContentLength = d.MaxContentLength
	}
	if lim.MaxObjects <= 0 {
		lim.MaxObjects = d.MaxObjects
	}
	if lim.MaxObjectSize <= 0 {
		lim.MaxObjectSize = d.MaxObjectSize
	}
	if lim.MaxPage <= 0 {
		lim.MaxPage = d.MaxPage
	}
	return &Service{db: db, now: now, lim: lim}
}

// Limits returns the limits in force.
func (s *Service) Limits() Limits { return s.lim }

func notFound() error { return fault.New(fault.NotFound, "error.not_found") }

func forbidden() error { return fault.New(fault.Forbidden, "error.forbidden") }

// Collection is a collection with what the caller may do with it.
type Collection struct {
	store.IntelCollection
	CanRead, CanWrite bool
}

// CollectionFacts are the policy facts of a collection.
func CollectionFacts(k store.IntelCollection) policy.CollectionFacts {
	return policy.CollectionFacts{ID: k.ID, CommunityID: k.CommunityID, OrgID: k.OrgID, MemberWrite: k.MemberWrite}
}

// StixFacts are the policy facts of one object version in its collection.
func StixFacts(k store.IntelCollection, v store.StixVersion) policy.StixFacts {
	return policy.StixFacts{Collection: CollectionFacts(k), TLP: model.TLP(v.TLP), AddedBy: v.AddedBy}
}

func withRights(a policy.Actor, k store.IntelCollection) Collection {
	f := CollectionFacts(k)
	return Collection{IntelCollection: k, CanRead: policy.CanReadCollection(a, f), CanWrite: policy.CanWriteCollection(a, f)}
}

// CollectionInput describes a new collection.
type CollectionInput struct {
	Title       string
	Description string
	CommunityID int64
	OrgID       int64
	MemberWrite bool
	DefaultTLP  string
}

// Limits on collection text.
const (
	MaxTitleLen       = 200
	MaxDescriptionLen = 2000
)

// CreateCollection adds a collection tied to a community or an organization.
func (s *Service) CreateCollection(ctx context.Context, p auth.Principal, in CollectionInput) (Collection, error) {
	if !policy.CanManageCollections(p.Actor, in.OrgID) {
		return Collection{}, forbidden()
	}
	var errs fault.List
	title, err := model.CleanText(in.Title, MaxTitleLen, true)
	errs.AddErr("title", err)
	desc, err := model.CleanText(in.Description, MaxDescriptionLen, false)
	errs.AddErr("description", err)
	if (in.CommunityID == 0) == (in.OrgID == 0) {
		errs.Add("community_id", "intel.collection_owner")
	}
	tlp := model.TLPGreen
	if in.DefaultTLP != "" {
		tlp, err = model.ParseTLP(in.DefaultTLP)
		errs.AddErr("default_tlp", err)
		if tlp == model.TLPRed {
			errs.Add("default_tlp", "intel.default_tlp_red")
		}
	}
	if err := errs.Err(); err != nil {
		return Collection{}, err
	}
	k := store.IntelCollection{UUID: uuidOnly(stix.NewID("x-collection")), Title: title, Description: desc, CommunityID: in.CommunityID,
		OrgID: in.OrgID, MemberWrite: in.MemberWrite, DefaultTLP: string(tlp), CreatedBy: p.User.ID}
	now := s.now()
	err = s.db.Write(ctx, func(c store.Conn) error {
		if k.ID, err = store.InsertCollection(ctx, c, k, now); err != nil {
			if errors.Is(err, store.ErrNotFound) || strings.Contains(err.Error(), "FOREIGN KEY") || strings.Contains(err.Error(), "23503") {
				return fault.Field("community_id", "intel.collection_owner")
			}
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "intel.collection_created", TargetType: "collection",
			TargetID: k.ID, Detail: map[string]any{"community_id": in.CommunityID, "org_id": in.OrgID, "member_write": in.MemberWrite}}, now)
		return err
	})
	if err != nil {
		return Collection{}, err
	}
	k.CreatedAt = now
	return withRights(p.Actor, k), nil
}

func uuidOnly(id string) string {
	_, u, _ := stix.SplitID(id)
	return u
}

// Collections returns the collections the caller may read.
func (s *Service) Collections(ctx context.Context, p auth.Principal) ([]Collection, error) {
	ks, err := store.ListCollections(ctx, s.db.Read(), policy.CollectionReadFilter(p.Actor))
	out := make([]Collection, len(ks))
	for i, k := range ks {
		out[i] = withRights(p.Actor, k)
	}
	return out, err
}

// Collection returns one collection by its TAXII id; one the caller may not read is not
// found.
func (s *Service) Collection(ctx context.Context, p auth.Principal, uuid string) (Collection, error) {
	k, err := store.GetCollectionByUUID(ctx, s.db.Read(), uuid)
	if errors.Is(err, store.ErrNotFound) {
		return Collection{}, notFound()
	}
	if err != nil {
		return Collection{}, err
	}
	c := withRights(p.Actor, k)
	if !c.CanRead {
		return Collection{}, notFound()
	}
	return c, nil
}

// CollectionByID returns one collection by its number, as Collection.
func (s *Service) CollectionByID(ctx context.Context, p auth.Principal, id int64) (Collection, error) {
	k, err := store.GetCollection(ctx, s.db.Read(), id)
	if errors.Is(err, store.ErrNotFound) {
		return Collection{}, notFound()
	}
	if err != nil {
		return Collection{}, err
	}
	c := withRights(p.Actor, k)
	if !c.CanRead {
		return Collection{}, notFound()
	}
	return c, nil
}

// ---- Adding objects ----

// Outcome is what happened to one object of an envelope.
type Outcome struct {
	ID      string `json:"id"`
	Version string `json:"version,omitempty"`
	Message string `json:"message,omitempty"`
}

// Status is the TAXII status resource of one envelope POST.
type Status struct {
	ID          string
	Status      string // "complete" (every object is decided when the POST returns)
	RequestedAt time.Time
	Total       int
	Success     int
	Failure     int
	Pending     int
	Successes   []Outcome
	Failures    []Outcome
	Pendings    []Outcome
}

type statusDetails struct {
	Successes []Outcome `json:"successes"`
	Failures  []Outcome `json:"failures"`
	Pendings  []Outcome `json:"pendings"`
}

// ErrEnvelope is a document that cannot be read as a TAXII envelope or STIX bundle at all:
// nothing of it is stored.
type ErrEnvelope struct{ Err *stix.EnvelopeError }

func (e *ErrEnvelope) Error() string { return e.Err.Error() }

// ErrTooLarge is an envelope over the content limit: nothing of it is stored.
type ErrTooLarge struct{ Limit int64 }

func (e *ErrTooLarge) Error() string { return "the envelope is larger than max_content_length" }

type accepted struct {
	obj    *stix.Object
	ver    store.StixVersion
	values []store.StixValue
}

// AddObjects reads an envelope (or a bundle) and stores every valid object in the
// collection, in one transaction: an invalid object is a failure with the reasons and the
// rest are still added; a document that is not readable JSON, not an envelope, or over the
// limits is refused whole. An object version already in the collection counts as a
// success and is not stored twice.
func (s *Service) AddObjects(ctx context.Context, p auth.Principal, uuid string, body io.Reader) (Status, error) {
	coll, err := s.Collection(ctx, p, uuid)
	if err != nil {
		return Status{}, err
	}
	if !coll.CanWrite {
		return Status{}, forbidden()
	}
	// Read the whole document, within the limit, before taking the write lock: a slow
	// client never holds the writer.
	data, err := io.ReadAll(io.LimitReader(body, s.lim.MaxContentLength+1))
	if err != nil {
		return Status{}, err
	}
	if int64(len(data)) > s.lim.MaxContentLength {
		return Status{}, &ErrTooLarge{Limit: s.lim.MaxContentLength}
	}
	now := s.now()
	st := Status{ID: uuidOnly(stix.NewID("x-status")), Status: "complete", RequestedAt: now}
	er := stix.NewEnvelopeReader(bytes.NewReader(data), stix.Limits{MaxObjectSize: s.lim.MaxObjectSize, MaxObjects: s.lim.MaxObjects})
	var slots []slot
	for {
		raw, err := er.Next()
		if err == io.EOF {
			break
		}
		var oe *stix.ObjectError
		var ee *stix.EnvelopeError
		switch {
		case errors.As(err, &oe):
			slots = append(slots, slot{fail: &Outcome{Message: oe.Error()}})
			continue
		case errors.As(err, &ee):
			return Status{}, &ErrEnvelope{Err: ee}
		case err != nil:
			return Status{}, err
		}
		slots = append(slots, slot{raw: raw})
	}
	decodeSlots(slots, coll.IntelCollection, p)
	var good []accepted
	for _, sl := range slots {
		if sl.fail != nil {
			st.Failures = append(st.Failures, *sl.fail)
		} else {
			good = append(good, sl.ok)
		}
	}
	var written batch
	err = s.db.Write(ctx, func(c store.Conn) error {
		last, err := store.LockCollection(ctx, c, coll.ID)
		if err != nil {
			return err
		}
		nowMicro := now.UnixMicro()
		vs := make([]store.StixVersion, len(good))
		vals := make([][]store.StixValue, len(good))
		for i, a := range good {
			last = max(last+1, nowMicro)
			a.ver.DateAdded = last
			vs[i], vals[i] = a.ver, a.values
		}
		if _, err := store.InsertVersions(ctx, c, vs, vals); err != nil {
			return err
		}
		written = batch{vs, vals}
		for _, v := range vs {
			st.Successes = append(st.Successes, Outcome{ID: v.StixID, Version: versionText(v)})
		}
		if err := store.SetLastAdded(ctx, c, coll.ID, last); err != nil {
			return err
		}
		st.Total = len(st.Successes) + len(st.Failures)
		st.Success, st.Failure = len(st.Successes), len(st.Failures)
		details, _ := json.Marshal(statusDetails{Successes: nonNil(st.Successes), Failures: nonNil(st.Failures), Pendings: []Outcome{}})
		if err := store.InsertStatus(ctx, c, store.TaxiiStatus{ID: st.ID, CollectionID: coll.ID, UserID: p.User.ID, Status: st.Status,
			RequestedAt: now.UnixMicro(), Total: st.Total, Success: st.Success, Failure: st.Failure, Details: string(details)}); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "intel.objects_added", TargetType: "collection",
			TargetID: coll.ID, Detail: map[string]any{"status": st.ID, "success": st.Success, "failure": st.Failure}}, now)
		return err
	})
	if err != nil {
		return Status{}, err
	}
	s.announce(written)
	return st, nil
}

// slot is one object of an envelope, in its place: its bytes, then what decoding made of it.
type slot struct {
	raw  []byte
	ok   accepted
	fail *Outcome
}

// decodeSlots decodes and validates the objects on every core: decoding is a fifth of an
// envelope's cost and each object stands alone, while the writing that follows is serial.
func decodeSlots(slots []slot, k store.IntelCollection, p auth.Principal) {
	workers := min(runtime.GOMAXPROCS(0), 1+len(slots)/100)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(slots); i += workers {
				decodeSlot(&slots[i], k, p)
			}
		})
	}
	wg.Wait()
}

func decodeSlot(sl *slot, k store.IntelCollection, p auth.Principal) {
	if sl.fail != nil {
		return
	}
	obj, err := stix.Decode(sl.raw)
	if err != nil {
		o := Outcome{Message: err.Error()}
		if obj != nil {
			o.ID = obj.ID
		}
		sl.fail = &o
		return
	}
	sl.ok = accepted{obj: obj, ver: versionOf(obj, k, p), values: valuesOf(obj)}
}

func nonNil(o []Outcome) []Outcome {
	if o == nil {
		return []Outcome{}
	}
	return o
}

// versionOf builds the stored version of a valid object.
func versionOf(o *stix.Object, k store.IntelCollection, p auth.Principal) store.StixVersion {
	v := store.StixVersion{CollectionID: k.ID, StixID: o.ID, Type: o.Type, SpecVersion: o.SpecVersion, AddedBy: p.User.ID,
		AddedOrg: p.User.OrgID, Revoked: o.Revoked, Confidence: -1, Name: o.Name, Raw: string(o.Raw),
		TLP: string(o.TLP(model.TLP(k.DefaultTLP)))}
	if v.SpecVersion == "" {
		v.SpecVersion = "2.1"
	}
	switch {
	case !o.Modified.IsZero():
		v.Modified = o.Modified.UnixMicro()
		v.Version = propString(o, "modified")
	case !o.Created.IsZero():
		v.Modified = o.Created.UnixMicro()
		v.Version = propString(o, "created")
	}
	if o.Confidence != nil {
		v.Confidence = *o.Confidence
	}
	if !o.ValidUntil.IsZero() {
		v.ValidUntil = o.ValidUntil.UnixMicro()
	}
	if len(v.Name) > 500 {
		v.Name = v.Name[:500]
	}
	return v
}

func propString(o *stix.Object, name string) string {
	var s string
	_ = json.Unmarshal(o.Props[name], &s)
	return s
}

// versionText is the TAXII version of a stored version: its modified (or created) as
// received, or its date_added for an object with neither.
func versionText(v store.StixVersion) string {
	if v.Version != "" {
		return v.Version
	}
	return FormatMicro(v.DateAdded)
}

// FormatMicro prints microseconds as a TAXII timestamp.
func FormatMicro(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000Z")
}

// Value kinds in the index (those of the ioc package).
var hashKinds = map[string]string{"MD5": "md5", "SHA-1": "sha1", "SHA1": "sha1", "SHA-256": "sha256", "SHA256": "sha256"}

// valuesOf lists the observable values of an indicator's STIX pattern, or of an
// observable object's value, normalised as the ioc package writes them.
func valuesOf(o *stix.Object) []store.StixValue {
	var out []store.StixValue
	seen := map[[2]string]bool{}
	add := func(typ, path, value string, sufficient bool) {
		kind, val := valueKind(typ, path, value)
		if kind == "" || seen[[2]string{kind, val}] {
			return
		}
		seen[[2]string{kind, val}] = true
		out = append(out, store.StixValue{Kind: kind, Value: val, Sufficient: sufficient})
	}
	if o.Type == "indicator" && o.PatternType == "stix" {
		pt := o.ParsedPattern() // parsed once, by validation
		var err error
		if pt == nil {
			pt, err = pattern.Parse(o.Pattern)
		}
		if err == nil {
			for _, ob := range pt.Observables() {
				add(ob.Type, ob.Path, ob.Value, ob.Sufficient)
			}
		}
		return out
	}
	if raw, ok := o.Props["value"]; ok {
		var v string
		if json.Unmarshal(raw, &v) == nil {
			add(o.Type, "value", v, false)
		}
	}
	return out
}

func valueKind(typ, path, value string) (string, string) {
	if value == "" || len(value) > 2048 {
		return "", ""
	}
	switch {
	case path == "value" && typ == "ipv4-addr":
		if strings.Contains(value, "/") {
			return "cidr", value
		}
		return "ipv4", value
	case path == "value" && typ == "ipv6-addr":
		if strings.Contains(value, "/") {
			return "cidr", strings.ToLower(value)
		}
		return "ipv6", strings.ToLower(value)
	case path == "value" && typ == "domain-name":
		return "domain", strings.ToLower(strings.TrimSuffix(value, "."))
	case path == "value" && typ == "url":
		// Written as topics and cases write it (ioc), so that the same URL correlates.
		n, _ := ioc.NormalURL(value)
		return "url", n
	case path == "value" && typ == "email-addr":
		return "email", strings.ToLower(value)
	case typ == "file" && strings.HasPrefix(path, "hashes."):
		if k := hashKinds[strings.ToUpper(strings.Trim(strings.TrimPrefix(path, "hashes."), "'"))]; k != "" {
			return k, strings.ToLower(value)
		}
	}
	return "", ""
}

// ---- Reading objects ----

// Query asks for versions of a collection's objects (the TAXII filters).
type Query struct {
	AddedAfter   time.Time
	Next         string // the cursor of the previous page
	Limit        int
	IDs          []string
	Types        []string
	SpecVersions []string
	Versions     store.VersionMode
}

// Page is one page of versions.
type Page struct {
	Versions []store.StixVersion
	More     bool
	Next     string // cursor for the next page when More
}

// ErrBadCursor is a next value this server did not give.
var ErrBadCursor = fault.New(fault.Invalid, "intel.bad_cursor")

func (s *Service) query(coll Collection, q Query) (store.ObjectQuery, error) {
	oq := store.ObjectQuery{CollectionID: coll.ID, IDs: q.IDs, Types: q.Types, SpecVersions: q.SpecVersions, Versions: q.Versions}
	if !q.AddedAfter.IsZero() {
		oq.AddedAfter = q.AddedAfter.UnixMicro()
	}
	if q.Next != "" {
		n, err := parseCursor(q.Next)
		if err != nil {
			return oq, ErrBadCursor
		}
		oq.After = n
	}
	oq.Limit = q.Limit
	if oq.Limit <= 0 || oq.Limit > s.lim.MaxPage {
		oq.Limit = s.lim.MaxPage
	}
	return oq, nil
}

// Objects returns a page of the versions of a collection's objects that the caller may
// see, in date_added order, with their bytes.
func (s *Service) Objects(ctx context.Context, p auth.Principal, uuid string, q Query) (Page, error) {
	return s.objects(ctx, p, uuid, q, true)
}

// Manifest is Objects without the objects' bytes.
func (s *Service) Manifest(ctx context.Context, p auth.Principal, uuid string, q Query) (Page, error) {
	return s.objects(ctx, p, uuid, q, false)
}

func (s *Service) objects(ctx context.Context, p auth.Principal, uuid string, q Query, withRaw bool) (Page, error) {
	coll, err := s.Collection(ctx, p, uuid)
	if err != nil {
		return Page{}, err
	}
	oq, err := s.query(coll, q)
	if err != nil {
		return Page{}, err
	}
	vs, more, err := store.QueryVersions(ctx, s.db.Read(), policy.StixFilter(p.Actor), oq, withRaw)
	if err != nil {
		return Page{}, err
	}
	pg := Page{Versions: vs, More: more}
	if more && len(vs) > 0 {
		pg.Next = formatCursor(vs[len(vs)-1].DateAdded)
	}
	return pg, nil
}

// DeleteObject removes the versions of an object that the query's version and spec
// version filters select (all of them by default); the caller must be able to write the
// collection and see every version removed.
func (s *Service) DeleteObject(ctx context.Context, p auth.Principal, uuid, id string, q Query) (int, error) {
	coll, err := s.Collection(ctx, p, uuid)
	if err != nil {
		return 0, err
	}
	if !stix.IsID(id) {
		return 0, notFound()
	}
	vm := q.Versions
	if !vm.Last && !vm.First && len(vm.Modified) == 0 {
		vm.All = true
	}
	oq := store.ObjectQuery{CollectionID: coll.ID, IDs: []string{id}, SpecVersions: q.SpecVersions, Versions: vm, Limit: 10_000}
	now := s.now()
	var n int
	err = s.db.Write(ctx, func(c store.Conn) error {
		if _, err := store.LockCollection(ctx, c, coll.ID); err != nil {
			return err
		}
		all, _, err := store.QueryVersions(ctx, c, store.Filter{}, oq, false)
		if err != nil {
			return err
		}
		visible := 0
		for _, v := range all {
			if policy.CanViewStix(p.Actor, StixFacts(coll.IntelCollection, v)) {
				visible++
			}
		}
		if visible == 0 {
			return notFound()
		}
		if !coll.CanWrite || visible < len(all) {
			return forbidden()
		}
		if n, err = store.DeleteVersions(ctx, c, oq); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "intel.object_deleted", TargetType: "collection",
			TargetID: coll.ID, Detail: map[string]any{"id": id, "versions": n}}, now)
		return err
	})
	return n, err
}

// GetStatus returns a status resource of the caller's own POST to a collection they may
// still read.
func (s *Service) GetStatus(ctx context.Context, p auth.Principal, id string) (Status, error) {
	rs, err := store.GetStatus(ctx, s.db.Read(), id)
	if errors.Is(err, store.ErrNotFound) {
		return Status{}, notFound()
	}
	if err != nil {
		return Status{}, err
	}
	k, err := store.GetCollection(ctx, s.db.Read(), rs.CollectionID)
	if err != nil {
		return Status{}, err
	}
	if rs.UserID != p.User.ID || !policy.CanReadCollection(p.Actor, CollectionFacts(k)) {
		return Status{}, notFound()
	}
	var d statusDetails
	if err := json.Unmarshal([]byte(rs.Details), &d); err != nil {
		return Status{}, err
	}
	return Status{ID: rs.ID, Status: rs.Status, RequestedAt: time.UnixMicro(rs.RequestedAt).UTC(), Total: rs.Total, Success: rs.Success,
		Failure: rs.Failure, Pending: rs.Pending, Successes: d.Successes, Failures: d.Failures, Pendings: d.Pendings}, nil
}
