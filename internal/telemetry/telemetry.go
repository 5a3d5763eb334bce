// Package telemetry counts what the server does and writes it in the Prometheus text
// exposition format at /metrics: requests by route and status, their durations, sign-in
// outcomes, database pool use and Go runtime figures. It has no dependencies; the handful
// of series Renkei exports do not need a client library.
package telemetry

import (
	"crypto/subtle"
	"database/sql"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

var start = time.Now()

// buckets are the upper bounds of the request duration histogram, in seconds.
var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type histogram struct {
	counts []uint64
	sum    float64
	n      uint64
}

// Registry holds the counters.
type Registry struct {
	mu        sync.Mutex
	requests  map[[3]string]uint64 // method, route, code
	durations map[string]*histogram
	signins   map[string]uint64
	dbStats   func() []sql.DBStats
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{requests: map[[3]string]uint64{}, durations: map[string]*histogram{}, signins: map[string]uint64{}}
}

// Default is the registry of the running server.
var Default = New()

// SetDBStats gives the registry a way to read the database pools.
func (r *Registry) SetDBStats(f func() []sql.DBStats) {
	r.mu.Lock()
	r.dbStats = f
	r.mu.Unlock()
}

// knownMethods are the request methods counted under their own name.
var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true,
	"DELETE": true, "OPTIONS": true, "CONNECT": true, "TRACE": true}

// ObserveRequest counts one finished request.
func (r *Registry) ObserveRequest(method, route string, code int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	if !knownMethods[method] {
		method = "other" // the client names the method: keep the series bounded
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests[[3]string{method, route, fmt.Sprint(code)}]++
	h := r.durations[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(buckets))}
		r.durations[route] = h
	}
	s := d.Seconds()
	for i, b := range buckets {
		if s <= b {
			h.counts[i]++
		}
	}
	h.sum += s
	h.n++
}

// SignIn counts a sign-in outcome: ok, failed, throttled or busy.
func (r *Registry) SignIn(result string) {
	r.mu.Lock()
	r.signins[result]++
	r.mu.Unlock()
}

// Write writes every series in the text exposition format.
func (r *Registry) Write(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(w, "# HELP renkei_http_requests_total HTTP requests by method, route pattern and status code.")
	fmt.Fprintln(w, "# TYPE renkei_http_requests_total counter")
	keys := make([][3]string, 0, len(r.requests))
	for k := range r.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.Join(keys[i][:], "\x00") < strings.Join(keys[j][:], "\x00") })
	for _, k := range keys {
		fmt.Fprintf(w, "renkei_http_requests_total{method=%q,route=%q,code=%q} %d\n", k[0], k[1], k[2], r.requests[k])
	}
	fmt.Fprintln(w, "# HELP renkei_http_request_duration_seconds Time to serve a request, by route pattern.")
	fmt.Fprintln(w, "# TYPE renkei_http_request_duration_seconds histogram")
	routes := make([]string, 0, len(r.durations))
	for k := range r.durations {
		routes = append(routes, k)
	}
	sort.Strings(routes)
	for _, route := range routes {
		h := r.durations[route]
		for i, b := range buckets {
			fmt.Fprintf(w, "renkei_http_request_duration_seconds_bucket{route=%q,le=%q} %d\n", route, formatFloat(b), h.counts[i])
		}
		fmt.Fprintf(w, "renkei_http_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", route, h.n)
		fmt.Fprintf(w, "renkei_http_request_duration_seconds_sum{route=%q} %s\n", route, formatFloat(h.sum))
		fmt.Fprintf(w, "renkei_http_request_duration_seconds_count{route=%q} %d\n", route, h.n)
	}
	fmt.Fprintln(w, "# HELP renkei_signins_total Sign-in attempts by result.")
	fmt.Fprintln(w, "# TYPE renkei_signins_total counter")
	for _, res := range []string{"ok", "failed", "throttled", "busy"} {
		fmt.Fprintf(w, "renkei_signins_total{result=%q} %d\n", res, r.signins[res])
	}
	if r.dbStats != nil {
		fmt.Fprintln(w, "# HELP renkei_db_connections Database connections by pool and state.")
		fmt.Fprintln(w, "# TYPE renkei_db_connections gauge")
		for i, st := range r.dbStats() {
			pool := []string{"write", "read"}[min(i, 1)]
			fmt.Fprintf(w, "renkei_db_connections{pool=%q,state=\"in_use\"} %d\n", pool, st.InUse)
			fmt.Fprintf(w, "renkei_db_connections{pool=%q,state=\"idle\"} %d\n", pool, st.Idle)
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintln(w, "# HELP go_goroutines Goroutines that currently exist.")
	fmt.Fprintln(w, "# TYPE go_goroutines gauge")
	fmt.Fprintf(w, "go_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintln(w, "# HELP go_memstats_heap_alloc_bytes Heap bytes allocated and in use.")
	fmt.Fprintln(w, "# TYPE go_memstats_heap_alloc_bytes gauge")
	fmt.Fprintf(w, "go_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
	fmt.Fprintln(w, "# HELP go_memstats_sys_bytes Bytes obtained from the system.")
	fmt.Fprintln(w, "# TYPE go_memstats_sys_bytes gauge")
	fmt.Fprintf(w, "go_memstats_sys_bytes %d\n", ms.Sys)
	fmt.Fprintln(w, "# HELP process_start_time_seconds Start time of the process since the Unix epoch.")
	fmt.Fprintln(w, "# TYPE process_start_time_seconds gauge")
	fmt.Fprintf(w, "process_start_time_seconds %d\n", start.Unix())
}

func formatFloat(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprint(f)
}

// Handler serves the metrics; when token is set, a matching bearer token is required.
func (r *Registry) Handler(token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		got := []byte(req.Header.Get("Authorization"))
		if token != "" && subtle.ConstantTimeCompare(got, []byte("Bearer "+token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		r.Write(w)
	})
}
