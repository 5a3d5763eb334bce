package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/stix"
	"github.com/renkei-dev/renkei/internal/store"
)

// eventError is a fault of one file of the feed (missing, too large, not a MISP event):
// recorded against that event while the rest imports. code is a message catalog key that
// says it to people; reason is the technical detail.
type eventError struct{ code, reason string }

func (e eventError) Error() string { return e.reason }

// feedSource opens the files of a feed.
type feedSource interface {
	open(ctx context.Context, name string, limit int64) (io.ReadCloser, error)
}

// capReader fails once more than limit bytes were read, so that a file larger than its
// limit is refused however it is sent (a Content-Length is only a claim).
type capReader struct {
	r     io.ReadCloser
	left  int64
	limit int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, tooLarge(c.limit)
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, tooLarge(c.limit)
	}
	return n, err
}

func (c *capReader) Close() error { return c.r.Close() }

func tooLarge(limit int64) error {
	return eventError{"mispfeed.err_too_large", fmt.Sprintf("file larger than %d bytes", limit)}
}

// httpFeed reads a remote feed under its base URL.
type httpFeed struct {
	base   string
	client *http.Client
}

func (h httpFeed) open(ctx context.Context, name string, limit int64) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.base+name, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusUnauthorized ||
		resp.StatusCode == http.StatusForbidden:
		// The server, not this file, is at fault: stop and try again later.
		resp.Body.Close()
		return nil, fmt.Errorf("%s: HTTP %d", name, resp.StatusCode)
	default:
		resp.Body.Close()
		code := "mispfeed.err_refused"
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
			code = "mispfeed.err_missing"
		}
		return nil, eventError{code, fmt.Sprintf("HTTP %d", resp.StatusCode)}
	}
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, tooLarge(limit)
	}
	return &capReader{r: resp.Body, left: limit, limit: limit}, nil
}

// dirFeed reads an unpacked archive.
type dirFeed struct{ dir string }

func (d dirFeed) open(_ context.Context, name string, limit int64) (io.ReadCloser, error) {
	f, err := os.Open(filepath.Join(d.dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, eventError{"mispfeed.err_missing", "no such file in the archive"}
	}
	if err != nil {
		return nil, err
	}
	return &capReader{r: f, left: limit, limit: limit}, nil
}

func (s *FeedImports) source(m store.MISPImport) (feedSource, error) {
	if m.SourceKind == "url" {
		return httpFeed{base: m.Source, client: s.opt.HTTP}, nil
	}
	dir := filepath.Join(s.opt.Dir, m.ArchiveDir)
	if _, err := os.Stat(dir); err != nil {
		return nil, errors.New("the unpacked archive is no longer on this node")
	}
	return dirFeed{dir: dir}, nil
}

// maxTickRuns bounds the imports one Tick runs.
const maxTickRuns = 20

// Tick starts the repeat pulls that are due, then claims running imports whose lease has
// lapsed (new ones, and those a crash interrupted) and runs each; it returns how many it
// ran.
func (s *FeedImports) Tick(ctx context.Context) (int, error) {
	if err := s.startRepeats(ctx); err != nil {
		return 0, err
	}
	if err := s.abandonOrphans(ctx); err != nil {
		return 0, err
	}
	s.swept.Do(func() {
		if err := s.sweepArchives(ctx, time.Now()); err != nil {
			s.log.Warn("sweeping unpacked archives", "dir", s.opt.Dir, "err", err)
		}
	})
	n := 0
	for n < maxTickRuns && ctx.Err() == nil {
		var m store.MISPImport
		var ok bool
		now := s.now()
		err := s.db.Write(ctx, func(c store.Conn) error {
			var err error
			m, ok, err = store.ClaimMISPImport(ctx, c, s.owner, s.opt.Node, now, now.Add(s.opt.Lease))
			return err
		})
		if err != nil || !ok {
			return n, err
		}
		n++
		if err := s.runOne(ctx, m); err != nil {
			return n, err
		}
	}
	return n, nil
}

// OrphanAfter is how long an archive import may wait for the node holding its unpacked
// files before another node gives it up as failed: a node down that long was most likely
// replaced, and its files are gone with it.
const OrphanAfter = 24 * time.Hour

// abandonOrphans fails the archive imports whose node has not worked on them for
// OrphanAfter, saying which node and asking for the archive again.
// It writes, so it runs at most once an hour rather than at every tick: a day's wait
// does not need a finer clock.
func (s *FeedImports) abandonOrphans(ctx context.Context) error {
	now := s.now()
	if now.Sub(s.abandonedAt) < time.Hour {
		return nil
	}
	s.abandonedAt = now
	return s.db.Write(ctx, func(c store.Conn) error {
		ids, err := store.AbandonMISPArchives(ctx, c, s.opt.Node, fmt.Sprintf("the node that received the archive has not worked on it for %d hours; upload the archive again",
			int(OrphanAfter.Hours())), now, now.Add(-OrphanAfter))
		for _, id := range ids {
			s.log.Warn("archive import abandoned: its node did not come back", "import", id, "after", OrphanAfter)
		}
		return err
	})
}

// sweepAge is how old an entry of the archive directory must be before sweepArchives may
// remove it: a younger one may be an upload being unpacked right now.
const sweepAge = time.Hour

// sweepArchives removes what no running import of this node uses from the archive
// directory: the files of an import another node gave up or cancelled while this one was
// down, and uploads a crash left half unpacked. wall is the time now on the file system's
// clock.
func (s *FeedImports) sweepArchives(ctx context.Context, wall time.Time) error {
	entries, err := os.ReadDir(s.opt.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	used, err := store.RunningArchiveDirs(ctx, s.db.Read(), s.opt.Node)
	if err != nil {
		return err
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || slices.Contains(used, e.Name()) || wall.Sub(info.ModTime()) < sweepAge {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.opt.Dir, e.Name())); err != nil {
			return err
		}
		s.log.Info("removed an unpacked archive no import uses", "dir", e.Name())
	}
	return nil
}

// startRepeats starts the next pull of each repeating import that is due, as the person
// who started the first, while they may still write the collection.
func (s *FeedImports) startRepeats(ctx context.Context) error {
	var due []store.MISPImport
	err := s.db.Write(ctx, func(c store.Conn) error {
		var err error
		due, err = store.DueMISPRepeats(ctx, c, s.now(), 10)
		return err
	})
	for _, m := range due {
		p, err := s.maker(ctx, m)
		if err != nil {
			s.log.Warn("misp feed repeat dropped", "id", m.ID, "err", err)
			continue
		}
		next := store.MISPImport{OrgID: m.OrgID, CreatedBy: m.CreatedBy, CollectionID: m.CollectionID, SourceKind: "url", Source: m.Source, Repeat: m.Repeat}
		if _, err := s.insert(ctx, p, next); err != nil {
			return err
		}
	}
	return err
}

// maker is the person who started an import, who must still be allowed to.
func (s *FeedImports) maker(ctx context.Context, m store.MISPImport) (auth.Principal, error) {
	p, err := s.auth.Principal(ctx, m.CreatedBy)
	if err != nil {
		return p, err
	}
	_, f, err := s.facts(ctx, s.db.Read(), m)
	if err != nil {
		return p, err
	}
	if p.User.Disabled || p.Org.Disabled || !policy.CanStartMISPImport(p.Actor, f.Collection) {
		return p, errors.New("the person who started this import may no longer write its collection")
	}
	return p, nil
}

var errImportGone = errors.New("the import was cancelled or taken over by another node")

func (s *FeedImports) runOne(ctx context.Context, m store.MISPImport) error {
	err := s.work(ctx, m)
	switch {
	case errors.Is(err, errCrash):
		return nil
	case errors.Is(err, errImportGone):
		s.dropArchive(ctx, m)
		return nil
	case ctx.Err() != nil:
		// Shutting down: the lease lapses and a node resumes the import with its next event.
		return nil
	}
	status, reason := "done", ""
	if err != nil {
		status, reason = "failed", errText(err)
		s.log.Warn("misp feed import failed", "id", m.ID, "err", reason)
	}
	err = s.db.Write(ctx, func(c store.Conn) error {
		_, err := store.FinishMISPImport(ctx, c, m.ID, s.owner, status, reason, s.now())
		return err
	})
	s.dropArchive(ctx, m)
	return err
}

// dropArchive removes the unpacked archive of an import that is over.
func (s *FeedImports) dropArchive(ctx context.Context, m store.MISPImport) {
	if m.ArchiveDir == "" {
		return
	}
	if cur, err := store.GetMISPImport(ctx, s.db.Read(), m.ID); err == nil && cur.Status == "running" {
		return
	}
	os.RemoveAll(filepath.Join(s.opt.Dir, m.ArchiveDir))
}

// work reads the manifest if that was not done yet, then every event still pending.
func (s *FeedImports) work(ctx context.Context, m store.MISPImport) error {
	p, err := s.maker(ctx, m)
	if err != nil {
		return err
	}
	src, err := s.source(m)
	if err != nil {
		return err
	}
	// The lease is renewed while the manifest or an event is read, however long it takes;
	// a cancelled import stops in the middle of its event.
	evCtx, stop := context.WithCancel(ctx)
	defer stop()
	var gone atomic.Bool
	go s.renew(evCtx, m.ID, func() { gone.Store(true); stop() })
	var errs []ImportError
	_ = json.Unmarshal([]byte(m.Errors), &errs)
	if !m.Listed {
		if err := s.list(evCtx, m, src, &errs); err != nil {
			if gone.Load() {
				return errImportGone
			}
			return err
		}
	}
	done := 0
	for {
		uuids, stamps, err := store.PendingMISPEvents(ctx, s.db.Read(), m.ID, 100)
		if err != nil || len(uuids) == 0 {
			return err
		}
		for i, u := range uuids {
			prog, err := s.readEvent(evCtx, p, m.CollectionID, src, u, &errs)
			switch {
			case gone.Load():
				return errImportGone
			case err != nil:
				return err
			}
			prog.Timestamp = stamps[i]
			if err := s.saveEvent(ctx, m, prog, errs); err != nil {
				return err
			}
			done++
			if s.afterEvent != nil {
				if err := s.afterEvent(done); err != nil {
					return errors.Join(errCrash, err)
				}
			}
		}
	}
}

func (s *FeedImports) renew(ctx context.Context, id int64, lost func()) {
	t := time.NewTicker(s.opt.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var ok bool
		now := s.now()
		err := s.db.Write(ctx, func(c store.Conn) error {
			var err error
			ok, err = store.ExtendMISPImport(ctx, c, id, s.owner, now, now.Add(s.opt.Lease))
			return err
		})
		if err == nil && !ok {
			lost()
			return
		}
	}
}

func (s *FeedImports) saveEvent(ctx context.Context, m store.MISPImport, prog store.MISPEventProgress, errs []ImportError) error {
	b, _ := json.Marshal(errs)
	prog.Errors = string(b)
	var ok bool
	now := s.now()
	err := s.db.Write(ctx, func(c store.Conn) error {
		var err error
		ok, err = store.SaveMISPEvent(ctx, c, m, s.owner, prog, now, now.Add(s.opt.Lease))
		return err
	})
	if err == nil && !ok {
		return errImportGone
	}
	return err
}

func addError(errs *[]ImportError, event, code, reason string) {
	if len(*errs) >= MaxImportErrors {
		return
	}
	reason = strings.ToValidUTF8(reason, "")
	if len(reason) > maxReasonLen {
		reason = strings.ToValidUTF8(reason[:maxReasonLen], "")
	}
	*errs = append(*errs, ImportError{Event: event, Code: code, Reason: reason})
}

// readEvent imports one event file; a fault of the file itself is the event's failure,
// any other error stops the import.
func (s *FeedImports) readEvent(ctx context.Context, p auth.Principal, collectionID int64, src feedSource, uuid string, errs *[]ImportError) (store.MISPEventProgress, error) {
	prog := store.MISPEventProgress{UUID: uuid}
	rc, err := src.open(ctx, uuid+".json", s.opt.Limits.EventBytes)
	if err == nil {
		var res intel.MISPResult
		res, err = s.intel.ImportMISP(ctx, p, collectionID, rc)
		rc.Close()
		prog.Attributes, prog.Created, prog.Skipped = int64(res.Attributes), int64(res.Created), int64(res.Skipped)
		for _, e := range res.Errors {
			addError(errs, uuid, "mispfeed.err_attribute", e)
		}
	}
	var ee eventError
	switch fe := fault.As(err); {
	case err == nil:
		return prog, nil
	case errors.As(err, &ee):
		addError(errs, uuid, ee.code, ee.reason)
	case fe != nil && (fe.Kind == fault.Invalid || fe.Kind == fault.TooLarge):
		reason := fe.Key
		if d, ok := fe.Args["detail"]; ok {
			reason = fmt.Sprint(d)
		}
		addError(errs, uuid, "mispfeed.err_bad_event", reason)
	default:
		return prog, err
	}
	prog.Failed = true
	return prog, nil
}

// list reads the manifest into the import's list of events: entries whose timestamp is
// not newer than what an earlier import of the same feed into the collection stored are
// counted as unchanged and left out.
func (s *FeedImports) list(ctx context.Context, m store.MISPImport, src feedSource, errs *[]ImportError) error {
	rc, err := src.open(ctx, "manifest.json", s.opt.Limits.ManifestBytes)
	if err != nil {
		return fmt.Errorf("manifest.json: %w", err)
	}
	defer rc.Close()
	dec := json.NewDecoder(rc)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("manifest.json is not a JSON object of events")
	}
	var uuids []string
	var stamps []int64
	var entries, unchanged, refused int64
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("manifest.json: %w", err)
		}
		key, _ := tok.(string)
		var entry struct {
			Timestamp json.RawMessage `json:"timestamp"`
		}
		if err := dec.Decode(&entry); err != nil {
			return fmt.Errorf("manifest.json, event %.40q: %w", key, err)
		}
		if entries++; entries > int64(s.opt.Limits.Events) {
			return fmt.Errorf("manifest.json names more than %d events", s.opt.Limits.Events)
		}
		if !stix.IsUUID(strings.ToLower(key)) {
			refused++
			addError(errs, fmt.Sprintf("%.40s", key), "mispfeed.err_manifest_key", "manifest: not an event uuid")
			continue
		}
		ts, _ := strconv.ParseInt(strings.Trim(string(entry.Timestamp), `"`), 10, 64)
		uuids, stamps = append(uuids, key), append(stamps, ts)
		if len(uuids) >= mispListBatch {
			if unchanged, err = s.addListed(ctx, m, uuids, stamps, unchanged); err != nil {
				return err
			}
			uuids, stamps = uuids[:0], stamps[:0]
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("manifest.json: %w", err)
	}
	if unchanged, err = s.addListed(ctx, m, uuids, stamps, unchanged); err != nil {
		return err
	}
	b, _ := json.Marshal(*errs)
	return s.db.Write(ctx, func(c store.Conn) error {
		n, err := store.CountMISPImportEvents(ctx, c, m.ID)
		if err != nil {
			return err
		}
		return store.SetMISPImportListed(ctx, c, m.ID, n+refused, unchanged, refused, string(b), s.now())
	})
}

// mispListBatch is how many manifest entries one transaction lists.
const mispListBatch = 500

func (s *FeedImports) addListed(ctx context.Context, m store.MISPImport, uuids []string, stamps []int64, unchanged int64) (int64, error) {
	same := int64(0)
	err := s.db.Write(ctx, func(c store.Conn) error {
		seen, err := store.MISPFeedStamps(ctx, c, m.CollectionID, m.Source, uuids)
		if err != nil {
			return err
		}
		var newU []string
		var newT []int64
		same = 0
		for i, u := range uuids {
			if old, ok := seen[u]; ok && old >= stamps[i] {
				same++
				continue
			}
			newU, newT = append(newU, u), append(newT, stamps[i])
		}
		return store.AddMISPImportEvents(ctx, c, m.ID, newU, newT)
	})
	return unchanged + same, err
}
