package taxii

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/stix"
	"github.com/renkei-dev/renkei/internal/store"
)

// FeedPrefix is where the exports for blocking devices are:
//
//	/feeds/{collection}/{list}.txt   one value per line; list is ip (IPv4, IPv6 and CIDR),
//	                                 ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256
//	/feeds/{collection}/indicators.csv
//	/feeds/{collection}/bundle.json  a STIX 2.1 bundle with the TLP marking definitions
//	/feeds/{collection}/misp/manifest.json and /feeds/{collection}/misp/{collection}.json
//	                                 the collection as a MISP feed of one event (misp.go)
//
// Query: tlp=clear,green,… (default every level but RED), min_confidence=0–100. Firewalls
// fetch them with an API token (bearer, or the password of HTTP Basic).
const FeedPrefix = "/feeds/"

var feedKinds = map[string][]string{
	"ip": {"ipv4", "ipv6", "cidr"}, "ipv4": {"ipv4"}, "ipv6": {"ipv6"}, "cidr": {"cidr"}, "domain": {"domain"},
	"url": {"url"}, "email": {"email"}, "md5": {"md5"}, "sha1": {"sha1"}, "sha256": {"sha256"},
}

func plainError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write([]byte(msg + "\n"))
}

func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		plainError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	p, err := s.authenticate(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="renkei feeds", Bearer realm="renkei feeds"`)
		plainError(w, http.StatusUnauthorized, "authentication required: an API token as bearer token or Basic password")
		return
	}
	coll, file, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, FeedPrefix), "/")
	misp := strings.HasPrefix(file, "misp/")
	if misp {
		file = strings.TrimPrefix(file, "misp/")
	}
	if !ok || coll == "" || strings.Contains(file, "/") {
		plainError(w, http.StatusNotFound, "not found")
		return
	}
	q, msg := feedQuery(r)
	if msg != "" {
		plainError(w, http.StatusBadRequest, msg)
		return
	}
	switch {
	case misp:
		s.feedMISP(w, r, p, coll, file, q)
	case strings.HasSuffix(file, ".txt") && feedKinds[strings.TrimSuffix(file, ".txt")] != nil:
		q.Kinds = feedKinds[strings.TrimSuffix(file, ".txt")]
		s.feedText(w, r, p, coll, q)
	case file == "indicators.csv":
		s.feedCSV(w, r, p, coll, q)
	case file == "bundle.json":
		s.feedBundle(w, r, p, coll, q)
	default:
		plainError(w, http.StatusNotFound, "not found")
	}
}

func feedQuery(r *http.Request) (intel.ExportQuery, string) {
	q := intel.ExportQuery{MinConfidence: -1}
	v := r.URL.Query()
	if t := v.Get("tlp"); t != "" {
		for _, part := range strings.Split(t, ",") {
			tlp, err := model.ParseTLP(strings.TrimSpace(part))
			if err != nil || tlp == model.TLPRed {
				return q, "tlp: a comma-separated list of clear, green, amber, amber+strict"
			}
			q.TLPs = append(q.TLPs, tlp)
		}
	}
	if c := v.Get("min_confidence"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 || n > 100 {
			return q, "min_confidence: an integer from 0 to 100"
		}
		q.MinConfidence = n
	}
	return q, ""
}

// exporting writes the response once the first value (or the end) shows that the export
// was allowed, so that a refused export is a clean error rather than a cut-off list.
type exporting struct {
	w       http.ResponseWriter
	started bool
	ctype   string
	buf     *bufio.Writer
}

func (e *exporting) start() *bufio.Writer {
	if !e.started {
		e.started = true
		e.w.Header().Set("Content-Type", e.ctype)
		e.w.Header().Set("X-Content-Type-Options", "nosniff")
		e.w.Header().Set("Cache-Control", "no-store")
		e.buf = bufio.NewWriterSize(e.w, 32<<10)
	}
	return e.buf
}

func (s *Server) finish(w http.ResponseWriter, r *http.Request, e *exporting, err error) {
	if err != nil && !e.started {
		switch {
		case isNotFound(err):
			plainError(w, http.StatusNotFound, "not found")
		default:
			s.app.Log.Error("feed failed", "path", r.URL.Path, "err", err)
			plainError(w, http.StatusInternalServerError, "internal error")
		}
		return
	}
	if err != nil {
		s.app.Log.Error("feed cut off", "path", r.URL.Path, "err", err)
	}
	e.start().Flush()
}

func (s *Server) feedText(w http.ResponseWriter, r *http.Request, p auth.Principal, coll string, q intel.ExportQuery) {
	e := &exporting{w: w, ctype: "text/plain; charset=utf-8"}
	seen := map[string]bool{}
	err := s.app.Intel.Export(r.Context(), p, coll, q, func(row store.ExportRow) error {
		if seen[row.Value] {
			return nil
		}
		seen[row.Value] = true
		b := e.start()
		b.WriteString(row.Value)
		return b.WriteByte('\n')
	})
	s.finish(w, r, e, err)
}

func (s *Server) feedCSV(w http.ResponseWriter, r *http.Request, p auth.Principal, coll string, q intel.ExportQuery) {
	e := &exporting{w: w, ctype: "text/csv; charset=utf-8"}
	var cw *csv.Writer
	header := func() {
		if cw == nil {
			cw = csv.NewWriter(e.start())
			cw.Write([]string{"type", "value", "indicator_id", "tlp", "confidence", "valid_until"})
		}
	}
	err := s.app.Intel.Export(r.Context(), p, coll, q, func(row store.ExportRow) error {
		header()
		conf, until := "", ""
		if row.Confidence >= 0 {
			conf = strconv.Itoa(row.Confidence)
		}
		if row.ValidUntil > 0 {
			until = intel.FormatMicro(row.ValidUntil)
		}
		return cw.Write([]string{row.Kind, csvSafe(row.Value), row.StixID, string(model.TLP(row.TLP).Label()), conf, until})
	})
	if err == nil {
		header()
	}
	if cw != nil {
		cw.Flush()
	}
	s.finish(w, r, e, err)
}

// csvSafe keeps a spreadsheet from reading a value as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (s *Server) feedBundle(w http.ResponseWriter, r *http.Request, p auth.Principal, coll string, q intel.ExportQuery) {
	e := &exporting{w: w, ctype: MediaSTIX}
	var seqs []int64
	err := s.app.Intel.Export(r.Context(), p, coll, q, func(row store.ExportRow) error {
		if len(seqs) == 0 || seqs[len(seqs)-1] != row.Seq {
			seqs = append(seqs, row.Seq)
		}
		return nil
	})
	if err != nil {
		s.finish(w, r, e, err)
		return
	}
	b := e.start()
	b.WriteString(`{"type":"bundle","id":`)
	id, _ := json.Marshal(stix.NewID("bundle"))
	b.Write(id)
	b.WriteString(`,"objects":[`)
	var tlps []model.TLP
	n := 0
	for _, seq := range seqs {
		raw, tlp, err := s.app.Intel.ExportObject(r.Context(), p, seq)
		if err != nil {
			continue
		}
		if !slices.Contains(tlps, tlp) {
			tlps = append(tlps, tlp)
		}
		if n > 0 {
			b.WriteString(",")
		}
		b.WriteString(raw)
		n++
	}
	for _, t := range tlps {
		if def := stix.TLPMarkingDefinition(t); def != nil {
			if n > 0 {
				b.WriteString(",")
			}
			b.Write(def)
			n++
		}
	}
	b.WriteString("]}\n")
	s.finish(w, r, e, nil)
}

func isNotFound(err error) bool { return fault.Is(err, fault.NotFound) }
