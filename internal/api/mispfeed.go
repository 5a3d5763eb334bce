package api

// MISP feed imports (internal/taxii/mispfeed.go): a feed pulled by URL or uploaded as an
// archive into a collection the caller may write, and the progress records of imports.

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/taxii"
)

// MISPFeedInput starts pulling a MISP feed.
type MISPFeedInput struct {
	URL           string `json:"url" doc:"the feed's directory (or its manifest.json), https"`
	RepeatMinutes int    `json:"repeat_minutes,omitempty" doc:"0: once; else pull again this long after each pull ends (5 to 10080)"`
}

// MISPImportError is one entry of an import's error list.
type MISPImportError struct {
	Event  string `json:"event" doc:"the event's uuid, or the manifest key"`
	Code   string `json:"code" doc:"what went wrong: mispfeed.err_missing, err_refused, err_too_large, err_bad_event, err_attribute or err_manifest_key"`
	Reason string `json:"reason" doc:"the technical detail"`
}

// MISPFeedImport is the progress record of a MISP feed import.
type MISPFeedImport struct {
	ID              int64             `json:"id"`
	CollectionID    int64             `json:"collection_id"`
	CollectionTitle string            `json:"collection_title"`
	SourceKind      string            `json:"source_kind" doc:"url or archive"`
	Source          string            `json:"source" doc:"the feed's URL or the archive's file name"`
	Status          string            `json:"status" doc:"running, done, failed or cancelled"`
	Running         bool              `json:"running" doc:"a node is working on it now"`
	EventsTotal     int64             `json:"events_total" doc:"events of the manifest to read (0 until it is read)"`
	EventsDone      int64             `json:"events_done"`
	EventsFailed    int64             `json:"events_failed"`
	EventsUnchanged int64             `json:"events_unchanged" doc:"events left out: imported before from this feed with the same timestamp"`
	Attributes      int64             `json:"attributes" doc:"attributes read"`
	Created         int64             `json:"created" doc:"indicator versions added"`
	Skipped         int64             `json:"skipped" doc:"attributes not for detection, of other types, invalid, or imported before"`
	RatePerSecond   float64           `json:"rate_per_second" doc:"attributes read per second since the start"`
	Errors          []MISPImportError `json:"errors" doc:"the first 100 errors"`
	Error           string            `json:"error,omitempty" doc:"why the import failed as a whole"`
	RepeatMinutes   int               `json:"repeat_minutes"`
	NextRunAt       *time.Time        `json:"next_run_at" doc:"when the next pull starts, for a repeating import"`
	CreatedBy       int64             `json:"created_by"`
	StartedAt       time.Time         `json:"started_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
	FinishedAt      *time.Time        `json:"finished_at"`
}

func mispImportOut(m taxii.FeedImport) MISPFeedImport {
	errs := make([]MISPImportError, 0, len(m.ErrorList))
	for _, e := range m.ErrorList {
		errs = append(errs, MISPImportError(e))
	}
	return MISPFeedImport{ID: m.ID, CollectionID: m.CollectionID, CollectionTitle: m.CollectionTitle, SourceKind: m.SourceKind, Source: m.Source,
		Status: m.Status, Running: m.Running, EventsTotal: m.EventsTotal, EventsDone: m.EventsDone, EventsFailed: m.EventsFailed,
		EventsUnchanged: m.EventsUnchanged, Attributes: m.Attributes, Created: m.Created, Skipped: m.Skipped, RatePerSecond: m.Rate(),
		Errors: errs, Error: m.Error, RepeatMinutes: int(m.Repeat / time.Minute), NextRunAt: subTime(m.NextAt), CreatedBy: m.CreatedBy,
		StartedAt: m.StartedAt, UpdatedAt: m.UpdatedAt, FinishedAt: subTime(m.FinishedAt)}
}

func (x *API) mispFeedRoutes() {
	x.add(&op{Method: "POST", Path: "/collections/{id}/misp-feed", ID: "startMISPFeedImport", Tag: "indicators",
		Summary: "Pull a MISP feed (manifest.json and event files) into a collection the caller may write; the import runs in the background",
		Body:    MISPFeedInput{}, Resp: MISPFeedImport{}, Status: 202, Handle: x.startMISPFeed})
	x.add(&op{Method: "POST", Path: "/collections/{id}/misp-feed/archive", ID: "uploadMISPFeedArchive", Tag: "indicators",
		Summary: "Import an uploaded MISP feed archive (.zip or .tar.gz of manifest.json and event files) into a collection the caller may write",
		Query:   []param{{"name", "string", "the archive's file name, kept as the import's source (when the body is the archive itself)"}},
		Upload:  true, BodyDoc: "the archive itself, or multipart/form-data with the archive in the part named archive",
		MaxBody: func() int64 { return x.feeds().Limits().ArchiveBytes + 1<<20 }, Resp: MISPFeedImport{}, Status: 202, Handle: x.uploadMISPFeed})
	x.add(&op{Method: "GET", Path: "/misp-imports", ID: "listMISPImports", Tag: "indicators",
		Summary: "MISP feed imports the caller may see (into collections they may write; all for center staff), newest first",
		Query:   pageParams, Resp: List[MISPFeedImport]{}, Handle: x.listMISPImports})
	x.add(&op{Method: "GET", Path: "/misp-imports/{id}", ID: "getMISPImport", Tag: "indicators", Summary: "One MISP feed import and its progress",
		Resp: MISPFeedImport{}, Handle: x.getMISPImport})
	x.add(&op{Method: "POST", Path: "/misp-imports/{id}/cancel", ID: "cancelMISPImport", Tag: "indicators",
		Summary: "Stop a running import at its next event, and any repetition of it", Handle: x.cancelMISPImport})
}

func (x *API) feeds() *taxii.FeedImports { return taxii.FeedImportsOf(x.app) }

func (x *API) startMISPFeed(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in MISPFeedInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	m, err := x.feeds().StartURL(r.Context(), p, id, in.URL, time.Duration(in.RepeatMinutes)*time.Minute)
	if err != nil {
		return nil, err
	}
	return mispImportOut(m), nil
}

func (x *API) uploadMISPFeed(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	body, name := io.Reader(r.Body), r.URL.Query().Get("name")
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		if body, name, err = archivePart(r); err != nil {
			return nil, err
		}
	}
	m, err := x.feeds().StartArchive(r.Context(), p, id, name, body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, fault.New(fault.TooLarge, "mispfeed.archive_too_large", "max", x.feeds().Limits().ArchiveBytes).WithField("archive")
	}
	if err != nil {
		return nil, err
	}
	return mispImportOut(m), nil
}

// archivePart finds the part named archive of a multipart body, read as it streams.
func archivePart(r *http.Request) (io.Reader, string, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", fault.Field("archive", "mispfeed.bad_archive")
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, "", fault.Field("archive", "invalid.required")
		}
		if part.FormName() == "archive" {
			return part, part.FileName(), nil
		}
	}
}

func (x *API) listMISPImports(r *http.Request, p auth.Principal) (any, error) {
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	ms, err := x.feeds().List(r.Context(), p, pg)
	if err != nil {
		return nil, err
	}
	return listOf(ms, pg, func(m taxii.FeedImport) int64 { return m.ID }, mispImportOut), nil
}

func (x *API) getMISPImport(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	m, err := x.feeds().Get(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	return mispImportOut(m), nil
}

func (x *API) cancelMISPImport(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return nil, x.feeds().Cancel(r.Context(), p, id)
}
