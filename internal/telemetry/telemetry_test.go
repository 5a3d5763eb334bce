package telemetry_test

import (
	"bufio"
	"database/sql"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/telemetry"
)

// ---- A strict reader of the Prometheus text exposition format (version 0.0.4) ----

type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// key identifies a series: its name and labels in a canonical order.
func (s sample) key() string {
	names := make([]string, 0, len(s.labels))
	for k := range s.labels {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(s.name)
	for _, k := range names {
		fmt.Fprintf(&b, "|%s=%s", k, s.labels[k])
	}
	return b.String()
}

type family struct {
	name, typ, help string
	samples         []sample
}

type exposition struct {
	families map[string]*family
	order    []string
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	types      = []string{"counter", "gauge", "histogram", "summary", "untyped"}
)

// parse reads an exposition line by line and fails the test on anything a Prometheus
// server would refuse or misread: a bad name, label or value, an escape other than \\, \"
// and \n, a TYPE after its samples or given twice, a family's samples interleaved with
// another's, a duplicate series, a histogram without its +Inf bucket or with buckets that
// do not grow or whose +Inf differs from _count.
func parse(t *testing.T, text string) *exposition {
	t.Helper()
	if text != "" && !strings.HasSuffix(text, "\n") {
		t.Fatal("the exposition does not end with a newline")
	}
	ex := &exposition{families: map[string]*family{}}
	get := func(name string) *family {
		f := ex.families[name]
		if f == nil {
			f = &family{name: name}
			ex.families[name] = f
			ex.order = append(ex.order, name)
		}
		return f
	}
	seen := map[string]bool{}
	current := ""
	closed := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("line %d %q: %s", n, line, fmt.Sprintf(format, args...))
		}
		switch {
		case line == "":
			fail("empty line")
		case strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE "):
			rest := line[len("# HELP "):]
			name, arg, _ := strings.Cut(rest, " ")
			if !metricName.MatchString(name) {
				fail("bad metric name %q", name)
			}
			f := get(name)
			if len(f.samples) > 0 {
				fail("HELP or TYPE after samples of %s", name)
			}
			if strings.HasPrefix(line, "# HELP ") {
				if f.help != "" {
					fail("second HELP for %s", name)
				}
				if _, err := unescape(arg, false); err != nil {
					fail("help: %v", err)
				}
				f.help = arg
			} else {
				if f.typ != "" {
					fail("second TYPE for %s", name)
				}
				if !slices.Contains(types, arg) {
					fail("unknown type %q", arg)
				}
				f.typ = arg
			}
		case strings.HasPrefix(line, "#"):
			// a comment
		default:
			s, err := parseSample(line)
			if err != nil {
				fail("%v", err)
			}
			fam := familyOf(ex, s.name)
			if fam != current {
				if closed[fam] {
					fail("samples of %s are not together", fam)
				}
				if current != "" {
					closed[current] = true
				}
				current = fam
			}
			f := get(fam)
			if f.typ == "" {
				fail("sample of %s before its TYPE", fam)
			}
			if seen[s.key()] {
				fail("duplicate series")
			}
			seen[s.key()] = true
			if f.typ == "counter" && (s.value < 0 || math.IsNaN(s.value)) {
				fail("negative counter")
			}
			f.samples = append(f.samples, s)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, f := range ex.families {
		if f.typ == "histogram" {
			checkHistogram(t, f)
		}
		if f.typ == "counter" && !strings.HasSuffix(f.name, "_total") {
			t.Errorf("counter %s does not end in _total", f.name)
		}
		if f.help == "" {
			t.Errorf("%s has no HELP", f.name)
		}
	}
	return ex
}

// familyOf maps a sample name to its family: histogram series carry suffixes.
func familyOf(ex *exposition, name string) string {
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suf); ok {
			if f := ex.families[base]; f != nil && (f.typ == "histogram" || f.typ == "summary") {
				return base
			}
		}
	}
	return name
}

func parseSample(line string) (sample, error) {
	s := sample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return s, fmt.Errorf("no value")
	}
	s.name = line[:i]
	if !metricName.MatchString(s.name) {
		return s, fmt.Errorf("bad metric name %q", s.name)
	}
	rest := line[i:]
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.IndexByte(rest, '=')
			if eq < 0 {
				return s, fmt.Errorf("label without =")
			}
			name := rest[:eq]
			if !labelName.MatchString(name) || strings.HasPrefix(name, "__") {
				return s, fmt.Errorf("bad label name %q", name)
			}
			rest = rest[eq+1:]
			if !strings.HasPrefix(rest, `"`) {
				return s, fmt.Errorf("label %s: value not quoted", name)
			}
			end := 1
			for ; end < len(rest); end++ {
				if rest[end] == '\\' {
					end++
					continue
				}
				if rest[end] == '"' {
					break
				}
			}
			if end >= len(rest) {
				return s, fmt.Errorf("label %s: unterminated value", name)
			}
			v, err := unescape(rest[1:end], true)
			if err != nil {
				return s, fmt.Errorf("label %s: %v", name, err)
			}
			if _, dup := s.labels[name]; dup {
				return s, fmt.Errorf("label %s twice", name)
			}
			s.labels[name] = v
			rest = rest[end+1:]
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
			} else if !strings.HasPrefix(rest, "}") {
				return s, fmt.Errorf("after label %s: %q", name, rest)
			}
		}
	}
	if !strings.HasPrefix(rest, " ") {
		return s, fmt.Errorf("no space before the value")
	}
	fields := strings.Split(rest[1:], " ")
	if len(fields) > 2 || fields[0] == "" {
		return s, fmt.Errorf("value part %q", rest)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, fmt.Errorf("value %q: %v", fields[0], err)
	}
	if len(fields) == 2 {
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			return s, fmt.Errorf("timestamp %q", fields[1])
		}
	}
	s.value = v
	return s, nil
}

// unescape reads the escapes of the format: \\ and \n, and \" in label values.
func unescape(s string, quote bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' && quote {
			return "", fmt.Errorf("unescaped quote")
		}
		if c == '\n' {
			return "", fmt.Errorf("raw newline")
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			return "", fmt.Errorf("trailing backslash")
		}
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case '"':
			if !quote {
				return "", fmt.Errorf(`escape \" outside a label value`)
			}
			b.WriteByte('"')
		default:
			return "", fmt.Errorf("escape \\%c", s[i])
		}
	}
	return b.String(), nil
}

func checkHistogram(t *testing.T, f *family) {
	t.Helper()
	type series struct {
		buckets    []sample
		sum, count *sample
	}
	groups := map[string]*series{}
	group := func(s sample) *series {
		rest := sample{labels: map[string]string{}}
		for k, v := range s.labels {
			if k != "le" {
				rest.labels[k] = v
			}
		}
		k := rest.key()
		if groups[k] == nil {
			groups[k] = &series{}
		}
		return groups[k]
	}
	for _, s := range f.samples {
		g := group(s)
		switch s.name {
		case f.name + "_bucket":
			if _, ok := s.labels["le"]; !ok {
				t.Fatalf("%s: bucket without le", f.name)
			}
			g.buckets = append(g.buckets, s)
		case f.name + "_sum":
			g.sum = &s
		case f.name + "_count":
			g.count = &s
		default:
			t.Fatalf("%s: sample %s in a histogram", f.name, s.name)
		}
	}
	for k, g := range groups {
		if g.sum == nil || g.count == nil || len(g.buckets) == 0 {
			t.Fatalf("%s %s: incomplete histogram", f.name, k)
		}
		prevLe, prev := math.Inf(-1), -1.0
		for _, b := range g.buckets {
			le, err := strconv.ParseFloat(b.labels["le"], 64)
			if err != nil || le <= prevLe {
				t.Fatalf("%s %s: le %q out of order", f.name, k, b.labels["le"])
			}
			if b.value < prev {
				t.Fatalf("%s %s: bucket le=%s has %v, less than the one before", f.name, k, b.labels["le"], b.value)
			}
			prevLe, prev = le, b.value
		}
		if !math.IsInf(prevLe, 1) || prev != g.count.value {
			t.Fatalf("%s %s: +Inf bucket %v (le %v), count %v", f.name, k, prev, prevLe, g.count.value)
		}
	}
}

// value returns the value of one series, or -1 when there is none.
func (ex *exposition) value(name string, labels ...string) float64 {
	want := sample{name: name, labels: map[string]string{}}
	for i := 0; i+1 < len(labels); i += 2 {
		want.labels[labels[i]] = labels[i+1]
	}
	for _, f := range ex.families {
		for _, s := range f.samples {
			if s.key() == want.key() {
				return s.value
			}
		}
	}
	return -1
}

func (ex *exposition) series(name string) []sample {
	var out []sample
	for _, f := range ex.families {
		for _, s := range f.samples {
			if s.name == name {
				out = append(out, s)
			}
		}
	}
	return out
}

func write(r *telemetry.Registry) string {
	var b strings.Builder
	r.Write(&b)
	return b.String()
}

// ---- Tests of the registry ----

func TestEmptyRegistryIsValid(t *testing.T) {
	ex := parse(t, write(telemetry.New()))
	for _, name := range []string{"renkei_http_requests_total", "renkei_http_request_duration_seconds", "renkei_signins_total",
		"go_goroutines", "go_memstats_heap_alloc_bytes", "go_memstats_sys_bytes", "process_start_time_seconds"} {
		if ex.families[name] == nil || ex.families[name].typ == "" {
			t.Errorf("%s missing", name)
		}
	}
	if ex.families["renkei_db_connections"] != nil {
		t.Error("database series without a database")
	}
	for _, res := range []string{"ok", "failed", "throttled", "busy"} {
		if v := ex.value("renkei_signins_total", "result", res); v != 0 {
			t.Errorf("signins %s = %v", res, v)
		}
	}
	if v := ex.value("go_goroutines"); v < 1 {
		t.Errorf("go_goroutines %v", v)
	}
	if v := ex.value("process_start_time_seconds"); v < float64(time.Now().Add(-time.Hour).Unix()) || v > float64(time.Now().Unix()) {
		t.Errorf("process_start_time_seconds %v", v)
	}
}

func TestCountersAndHistogram(t *testing.T) {
	r := telemetry.New()
	r.ObserveRequest("GET", "GET /api/v1/me", 200, 3*time.Millisecond)
	r.ObserveRequest("GET", "GET /api/v1/me", 200, 30*time.Millisecond)
	r.ObserveRequest("GET", "GET /api/v1/me", 401, 3*time.Second)
	r.ObserveRequest("POST", "POST /api/v1/tokens", 201, 5*time.Millisecond) // on a bucket bound
	r.ObserveRequest("GET", "", 404, time.Minute)                            // no route matched
	for range 3 {
		r.SignIn("ok")
	}
	r.SignIn("failed")
	r.SignIn("throttled")
	r.SetDBStats(func() []sql.DBStats { return []sql.DBStats{{InUse: 2, Idle: 3}, {InUse: 1, Idle: 7}} })
	ex := parse(t, write(r))

	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"renkei_http_requests_total", []string{"method", "GET", "route", "GET /api/v1/me", "code", "200"}, 2},
		{"renkei_http_requests_total", []string{"method", "GET", "route", "GET /api/v1/me", "code", "401"}, 1},
		{"renkei_http_requests_total", []string{"method", "POST", "route", "POST /api/v1/tokens", "code", "201"}, 1},
		{"renkei_http_requests_total", []string{"method", "GET", "route", "unmatched", "code", "404"}, 1},
		{"renkei_http_request_duration_seconds_bucket", []string{"route", "GET /api/v1/me", "le", "0.005"}, 1},
		{"renkei_http_request_duration_seconds_bucket", []string{"route", "GET /api/v1/me", "le", "0.05"}, 2},
		{"renkei_http_request_duration_seconds_bucket", []string{"route", "GET /api/v1/me", "le", "2.5"}, 2},
		{"renkei_http_request_duration_seconds_bucket", []string{"route", "GET /api/v1/me", "le", "5"}, 3},
		{"renkei_http_request_duration_seconds_bucket", []string{"route", "GET /api/v1/me", "le", "+Inf"}, 3},
		{"renkei_http_request_duration_seconds_count", []string{"route", "GET /api/v1/me"}, 3},
		{"renkei_http_request_duration_seconds_bucket", []string{"route", "POST /api/v1/tokens", "le", "0.005"}, 1},
		{"renkei_http_request_duration_seconds_bucket", []string{"route", "unmatched", "le", "10"}, 0},
		{"renkei_http_request_duration_seconds_bucket", []string{"route", "unmatched", "le", "+Inf"}, 1},
		{"renkei_signins_total", []string{"result", "ok"}, 3},
		{"renkei_signins_total", []string{"result", "failed"}, 1},
		{"renkei_signins_total", []string{"result", "throttled"}, 1},
		{"renkei_signins_total", []string{"result", "busy"}, 0},
		{"renkei_db_connections", []string{"pool", "write", "state", "in_use"}, 2},
		{"renkei_db_connections", []string{"pool", "write", "state", "idle"}, 3},
		{"renkei_db_connections", []string{"pool", "read", "state", "in_use"}, 1},
		{"renkei_db_connections", []string{"pool", "read", "state", "idle"}, 7},
	}
	for _, c := range checks {
		if got := ex.value(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if sum := ex.value("renkei_http_request_duration_seconds_sum", "route", "GET /api/v1/me"); math.Abs(sum-3.033) > 1e-9 {
		t.Errorf("sum %v", sum)
	}
	if ex.families["renkei_db_connections"].typ != "gauge" || ex.families["renkei_http_request_duration_seconds"].typ != "histogram" {
		t.Error("types")
	}
	// Counters only grow.
	r.SignIn("ok")
	r.ObserveRequest("GET", "GET /api/v1/me", 200, time.Millisecond)
	ex2 := parse(t, write(r))
	if ex2.value("renkei_signins_total", "result", "ok") != 4 ||
		ex2.value("renkei_http_requests_total", "method", "GET", "route", "GET /api/v1/me", "code", "200") != 3 {
		t.Error("counters did not grow")
	}
}

// Label values are escaped as the format wants, and read back unchanged.
func TestLabelValuesAreEscaped(t *testing.T) {
	r := telemetry.New()
	odd := `GET /a"b\c` + "\n" + `/東京`
	r.ObserveRequest("GET", odd, 200, time.Millisecond)
	ex := parse(t, write(r))
	if ex.value("renkei_http_requests_total", "method", "GET", "route", odd, "code", "200") != 1 {
		t.Fatalf("route not read back: %+v", ex.series("renkei_http_requests_total"))
	}
}

// The method is the client's to choose: methods outside the standard set are counted
// together, so that a client cannot make series without end.
func TestUnknownMethodsDoNotMakeNewSeries(t *testing.T) {
	r := telemetry.New()
	for i := range 100 {
		r.ObserveRequest(fmt.Sprintf("X%d", i), "/", 404, time.Millisecond)
	}
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		r.ObserveRequest(m, "/", 404, time.Millisecond)
	}
	ex := parse(t, write(r))
	if n := len(ex.series("renkei_http_requests_total")); n != 8 {
		t.Fatalf("%d series: %+v", n, ex.series("renkei_http_requests_total"))
	}
	if v := ex.value("renkei_http_requests_total", "method", "other", "route", "/", "code", "404"); v != 100 {
		t.Fatalf("other = %v", v)
	}
}

func TestConcurrentUse(t *testing.T) {
	r := telemetry.New()
	done := make(chan bool)
	for g := range 8 {
		go func() {
			for i := range 200 {
				r.ObserveRequest("GET", fmt.Sprintf("GET /r%d", i%5), 200, time.Duration(g)*time.Millisecond)
				r.SignIn("ok")
				if i%50 == 0 {
					r.Write(io.Discard)
				}
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
	ex := parse(t, write(r))
	if ex.value("renkei_signins_total", "result", "ok") != 1600 {
		t.Fatal("lost sign-ins")
	}
	total := 0.0
	for _, s := range ex.series("renkei_http_requests_total") {
		total += s.value
	}
	if total != 1600 {
		t.Fatalf("requests %v", total)
	}
}

func TestHandlerRequiresTheToken(t *testing.T) {
	r := telemetry.New()
	r.SignIn("ok")
	get := func(h http.Handler, auth string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	h := r.Handler("s3cret-metrics")
	for _, auth := range []string{"", "Bearer", "Bearer wrong", "Bearer s3cret-metric", "Bearer s3cret-metricsX", "Basic s3cret-metrics", "s3cret-metrics"} {
		rec := get(h, auth)
		if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != `Bearer realm="metrics"` || strings.Contains(rec.Body.String(), "renkei_") {
			t.Errorf("%q: %d %q %q", auth, rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body)
		}
	}
	rec := get(h, "Bearer s3cret-metrics")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
		t.Fatalf("with the token: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if parse(t, rec.Body.String()).value("renkei_signins_total", "result", "ok") != 1 {
		t.Fatal("the handler serves another registry")
	}
	// Without a configured token, the metrics are open.
	if rec := get(r.Handler(""), ""); rec.Code != 200 {
		t.Fatalf("open metrics: %d", rec.Code)
	}
}
