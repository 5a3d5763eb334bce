package taxii

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// MISP feed imports: a MISP feed is a directory of manifest.json (an object keyed by event
// uuid, each with its timestamp) and one {uuid}.json file per event. It is read from a
// remote server by URL (with the same address rules as TAXII subscriptions) or from an
// uploaded .zip or .tar.gz archive, into a local collection, one event at a time through
// the one-event importer (intel.Service.ImportMISP). The manifest is first listed into the
// database, then each event is read and marked done in the transaction that adds its
// counts: an import stopped by a crash resumes with the next event, and a feed pulled
// again reads only the events whose manifest timestamp changed.

// FeedLimits bound what an import reads; zero fields take the defaults below.
type FeedLimits struct {
	ManifestBytes  int64 // manifest.json
	EventBytes     int64 // one event file
	Events         int   // entries of the manifest
	ArchiveBytes   int64 // an uploaded archive as sent
	ArchiveEntries int   // entries in an archive, files or not
	UnpackedBytes  int64 // all of an archive's files once unpacked
}

// DefaultFeedLimits are the limits of a server.
var DefaultFeedLimits = FeedLimits{ManifestBytes: 64 << 20, EventBytes: 256 << 20, Events: 100_000,
	ArchiveBytes: 1 << 30, ArchiveEntries: 100_100, UnpackedBytes: 8 << 30}

// Other limits of feed imports.
const (
	MaxFeedURLLen   = 2000
	MaxImportErrors = 100 // the error list of an import keeps the first ones
	maxReasonLen    = 300
)

// FeedImportOptions tune the feed importer.
type FeedImportOptions struct {
	AllowHTTP, AllowPrivate bool // as for TAXII subscriptions
	Lease                   time.Duration
	Poll                    time.Duration
	HTTP                    *http.Client
	Dir                     string // where uploaded archives are unpacked
	Node                    string // this host's name, which archive imports are tied to
	Limits                  FeedLimits
}

// FeedImports starts, runs and reports MISP feed imports.
type FeedImports struct {
	db    *store.DB
	intel *intel.Service
	auth  *auth.Service
	now   func() time.Time
	log   *slog.Logger
	opt   FeedImportOptions
	owner string
	wake  chan struct{}
	// afterEvent, set by tests, is called after each event recorded; an error it returns
	// stops the run as a crash would: the lease is left held and nothing more is recorded.
	afterEvent func(events int) error
	swept      sync.Once // sweepArchives, at the first tick
	// abandonedAt is when abandonOrphans last looked (Tick's goroutine only).
	abandonedAt time.Time
}

var feedsOf sync.Map // *app.App → *FeedImports

// FeedImportsOf returns the feed importer of an app, made once, so that the API, the pages
// and the scheduler share it.
func FeedImportsOf(a *app.App) *FeedImports {
	if s, ok := feedsOf.Load(a); ok {
		return s.(*FeedImports)
	}
	s, _ := feedsOf.LoadOrStore(a, NewFeedImports(a, FeedImportOptions{AllowHTTP: a.Config.TaxiiAllowHTTP, AllowPrivate: a.Config.TaxiiAllowPrivate}))
	return s.(*FeedImports)
}

// NewFeedImports builds the importer on an app.
func NewFeedImports(a *app.App, opt FeedImportOptions) *FeedImports {
	if opt.Lease <= 0 {
		opt.Lease = 5 * time.Minute
	}
	if opt.Poll <= 0 {
		opt.Poll = 15 * time.Second
	}
	if opt.HTTP == nil {
		opt.HTTP = subscriptionClient(opt.AllowPrivate)
	}
	if opt.Dir == "" {
		opt.Dir = filepath.Join(a.Config.DataDir, "misp-imports")
	}
	if opt.Node == "" {
		opt.Node, _ = os.Hostname()
	}
	opt.Limits = withDefaults(opt.Limits)
	b := make([]byte, 8)
	rand.Read(b)
	log := a.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &FeedImports{db: a.DB, intel: a.Intel, auth: a.Auth, now: a.Now, log: log, opt: opt,
		owner: "misp-" + hex.EncodeToString(b), wake: make(chan struct{}, 1)}
}

func withDefaults(l FeedLimits) FeedLimits {
	d := DefaultFeedLimits
	pick := func(v, def int64) int64 {
		if v > 0 {
			return v
		}
		return def
	}
	l.ManifestBytes, l.EventBytes = pick(l.ManifestBytes, d.ManifestBytes), pick(l.EventBytes, d.EventBytes)
	l.ArchiveBytes, l.UnpackedBytes = pick(l.ArchiveBytes, d.ArchiveBytes), pick(l.UnpackedBytes, d.UnpackedBytes)
	l.Events, l.ArchiveEntries = int(pick(int64(l.Events), int64(d.Events))), int(pick(int64(l.ArchiveEntries), int64(d.ArchiveEntries)))
	return l
}

// Limits returns the limits in force.
func (s *FeedImports) Limits() FeedLimits { return s.opt.Limits }

// ImportError is one entry of an import's error list.
type ImportError struct {
	Event  string `json:"event"`  // the event's uuid, or the manifest key
	Code   string `json:"code"`   // a message catalog key saying what went wrong
	Reason string `json:"reason"` // the technical detail
}

// FeedImport is an import record as those who may see it see it.
type FeedImport struct {
	store.MISPImport
	Collection      intel.Collection // empty when the viewer may not read it (center staff outside a community)
	CollectionTitle string
	ErrorList       []ImportError
	Running         bool // a node holds a live lease on it
	CanCancel       bool
}

// Rate is the attributes read per second since the import started.
func (f FeedImport) Rate() float64 {
	end := f.UpdatedAt
	if !f.FinishedAt.IsZero() {
		end = f.FinishedAt
	}
	secs := end.Sub(f.StartedAt).Seconds()
	if secs < 1 {
		secs = 1
	}
	return float64(f.Attributes) / secs
}

// EventsLeft is how many events of the manifest are still to read.
func (f FeedImport) EventsLeft() int64 { return max(f.EventsTotal-f.EventsDone-f.EventsFailed, 0) }

func (s *FeedImports) facts(ctx context.Context, c store.Conn, m store.MISPImport) (store.IntelCollection, policy.MISPImportFacts, error) {
	k, err := store.GetCollection(ctx, c, m.CollectionID)
	return k, policy.MISPImportFacts{Collection: intel.CollectionFacts(k)}, err
}

func (s *FeedImports) view(ctx context.Context, p auth.Principal, m store.MISPImport) FeedImport {
	v := FeedImport{MISPImport: m, Running: m.Status == "running" && m.LeasedUntil.After(s.now())}
	v.ArchiveDir, v.Node, v.LeaseOwner = "", "", ""
	_ = json.Unmarshal([]byte(m.Errors), &v.ErrorList)
	if k, err := s.intel.CollectionByID(ctx, p, m.CollectionID); err == nil {
		v.Collection, v.CollectionTitle = k, k.Title
		v.CanCancel = k.CanWrite && (m.Status == "running" || !m.NextAt.IsZero())
	} else if k, err := store.GetCollection(ctx, s.db.Read(), m.CollectionID); err == nil {
		v.CollectionTitle = k.Title
	}
	return v
}

func (s *FeedImports) get(ctx context.Context, c store.Conn, p auth.Principal, id int64) (store.MISPImport, error) {
	m, err := store.GetMISPImport(ctx, c, id)
	if errors.Is(err, store.ErrNotFound) {
		return m, fault.New(fault.NotFound, "error.not_found")
	}
	if err != nil {
		return m, err
	}
	_, f, err := s.facts(ctx, c, m)
	if err != nil {
		return m, err
	}
	if !policy.CanViewMISPImport(p.Actor, f) {
		return store.MISPImport{}, fault.New(fault.NotFound, "error.not_found")
	}
	return m, nil
}

// Get returns one import record; one the person may not see is not found.
func (s *FeedImports) Get(ctx context.Context, p auth.Principal, id int64) (FeedImport, error) {
	m, err := s.get(ctx, s.db.Read(), p, id)
	if err != nil {
		return FeedImport{}, err
	}
	return s.view(ctx, p, m), nil
}

// List returns the import records the person may see, newest first, before the cursor
// (pg.After is an id).
func (s *FeedImports) List(ctx context.Context, p auth.Principal, pg store.Page) ([]FeedImport, error) {
	ms, err := store.ListMISPImports(ctx, s.db.Read(), policy.MISPImportFilter(p.Actor), pg)
	out := make([]FeedImport, len(ms))
	for i, m := range ms {
		out[i] = s.view(ctx, p, m)
	}
	return out, err
}

// writable returns a collection the person may import into.
func (s *FeedImports) writable(ctx context.Context, p auth.Principal, collectionID int64) (intel.Collection, error) {
	k, err := s.intel.CollectionByID(ctx, p, collectionID)
	if err != nil {
		return k, err
	}
	if !policy.CanStartMISPImport(p.Actor, intel.CollectionFacts(k.IntelCollection)) {
		return k, fault.New(fault.Forbidden, "error.forbidden")
	}
	return k, nil
}

// CleanFeedURL checks a feed's URL (its directory, or its manifest.json) and returns the
// directory, ending with a slash.
func (s *FeedImports) CleanFeedURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fault.Field("url", "invalid.required")
	}
	if len(raw) > MaxFeedURLLen {
		return "", fault.Field("url", "invalid.too_long", "max", MaxFeedURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		!(u.Scheme == "https" || (u.Scheme == "http" && s.opt.AllowHTTP)) {
		return "", fault.Field("url", "mispfeed.bad_url")
	}
	if !s.opt.AllowPrivate {
		host := strings.ToLower(u.Hostname())
		if ip, err := netip.ParseAddr(host); (err == nil && refusedAddr(ip)) || host == "localhost" || strings.HasSuffix(host, ".localhost") {
			return "", fault.Field("url", "taxiisub.private_api_root")
		}
	}
	u.Path = strings.TrimSuffix(u.Path, "manifest.json")
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}

// StartURL starts pulling the feed at rawURL into a collection the person may write;
// repeat, when not zero, pulls it again that long after each pull ends.
func (s *FeedImports) StartURL(ctx context.Context, p auth.Principal, collectionID int64, rawURL string, repeat time.Duration) (FeedImport, error) {
	var errs fault.List
	k, err := s.writable(ctx, p, collectionID)
	if err != nil {
		return FeedImport{}, err
	}
	feed, err := s.CleanFeedURL(rawURL)
	errs.AddErr("url", err)
	if repeat != 0 && (repeat < MinSubInterval || repeat > MaxSubInterval) {
		errs.Add("repeat", "taxiisub.bad_interval", "min", int(MinSubInterval/time.Minute), "max", int(MaxSubInterval/time.Minute))
	}
	if err := errs.Err(); err != nil {
		return FeedImport{}, err
	}
	return s.insert(ctx, p, store.MISPImport{OrgID: p.User.OrgID, CreatedBy: p.User.ID, CollectionID: k.ID, SourceKind: "url", Source: feed,
		Repeat: repeat.Truncate(time.Second)})
}

func (s *FeedImports) insert(ctx context.Context, p auth.Principal, m store.MISPImport) (FeedImport, error) {
	m.StartedAt = s.now()
	err := s.db.Write(ctx, func(c store.Conn) error {
		var err error
		if m.ID, err = store.InsertMISPImport(ctx, c, m); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "intel.misp_import_started", TargetType: "misp_import",
			TargetID: m.ID, Detail: map[string]any{"collection_id": m.CollectionID, "source_kind": m.SourceKind, "source": m.Source,
				"repeat_s": int64(m.Repeat / time.Second)}}, m.StartedAt)
		return err
	})
	if err != nil {
		return FeedImport{}, err
	}
	s.Wake()
	m.Status = "running"
	m.UpdatedAt, m.Errors = m.StartedAt, "[]"
	return s.view(ctx, p, m), nil
}

// StartArchive unpacks an uploaded .zip or .tar.gz of a MISP feed (refused at once when it
// breaks a limit or holds no manifest.json) and starts importing it into a collection the
// person may write.
func (s *FeedImports) StartArchive(ctx context.Context, p auth.Principal, collectionID int64, name string, r io.Reader) (FeedImport, error) {
	k, err := s.writable(ctx, p, collectionID)
	if err != nil {
		return FeedImport{}, err
	}
	name = cleanArchiveName(name)
	dir, err := s.unpack(r)
	if err != nil {
		return FeedImport{}, err
	}
	out, err := s.insert(ctx, p, store.MISPImport{OrgID: p.User.OrgID, CreatedBy: p.User.ID, CollectionID: k.ID, SourceKind: "archive",
		Source: name, ArchiveDir: filepath.Base(dir), Node: s.opt.Node})
	if err != nil {
		os.RemoveAll(dir)
	}
	return out, err
}

func cleanArchiveName(name string) string {
	name = strings.ToValidUTF8(filepath.Base(strings.ReplaceAll(strings.TrimSpace(name), "\\", "/")), "")
	if name == "" || name == "." || name == "/" {
		name = "archive"
	}
	if len(name) > 200 {
		name = name[:200]
	}
	return name
}

// Cancel stops a running import (at its next event) and any repetition of it; it is for
// those who may write the collection.
func (s *FeedImports) Cancel(ctx context.Context, p auth.Principal, id int64) error {
	var m store.MISPImport
	err := s.db.Write(ctx, func(c store.Conn) error {
		var err error
		if m, err = s.get(ctx, c, p, id); err != nil {
			return err
		}
		_, f, err := s.facts(ctx, c, m)
		if err != nil {
			return err
		}
		if !policy.CanStartMISPImport(p.Actor, f.Collection) {
			return fault.New(fault.Forbidden, "error.forbidden")
		}
		if err := store.CancelMISPImport(ctx, c, id, s.now()); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "intel.misp_import_cancelled", TargetType: "misp_import",
			TargetID: id, Detail: map[string]any{"status": m.Status}}, s.now())
		return err
	})
	if err == nil && m.Status == "running" && m.Node == s.opt.Node && m.ArchiveDir != "" && !m.LeasedUntil.After(s.now()) {
		// No run holds it, so nobody else will remove its files.
		os.RemoveAll(filepath.Join(s.opt.Dir, m.ArchiveDir))
	}
	return err
}

// Wake makes a started scheduler look for imports to run now.
func (s *FeedImports) Wake() { nudge(s.wake) }

// Start runs the scheduler until ctx ends; wait returns once the run under way is over.
func (s *FeedImports) Start(ctx context.Context) (wait func()) {
	return runSchedule(ctx, s.opt.Poll, s.wake, s.log, "misp feed imports", func(ctx context.Context) error {
		_, err := s.Tick(ctx)
		return err
	})
}
