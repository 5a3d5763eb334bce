package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/server"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func handler(t *testing.T, env *testapp.Env) http.Handler {
	t.Helper()
	h, err := server.Handler(env.App)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// serve runs one request through the handler and returns the response.
func serve(h http.Handler, req *http.Request) *http.Response {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// /healthz says the process is up whatever the database does; /readyz asks the database
// and says 503 once it is gone.
func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		h := handler(t, env)

		for _, path := range []string{"/healthz", "/readyz"} {
			res := serve(h, httptest.NewRequest(http.MethodGet, path, nil))
			if got := body(t, res); res.StatusCode != http.StatusOK || got != "ok\n" {
				t.Errorf("GET %s: %d %q, want 200 ok", path, res.StatusCode, got)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("GET %s lacks the security headers: %v", path, res.Header)
			}
		}
		res := serve(h, httptest.NewRequest(http.MethodGet, "/favicon.ico", nil))
		if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/static/favicon.svg" {
			t.Errorf("GET /favicon.ico: %d → %q", res.StatusCode, res.Header.Get("Location"))
		}

		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		res = serve(h, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if got := body(t, res); res.StatusCode != http.StatusServiceUnavailable || got != "database unreachable\n" {
			t.Errorf("GET /readyz with the database closed: %d %q, want 503", res.StatusCode, got)
		}
		res = serve(h, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET /healthz with the database closed: %d, want 200", res.StatusCode)
		}
	})
}

// /metrics asks for the bearer token when one is configured, and is open otherwise.
func TestMetricsToken(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cfg := testapp.Config(t)
		cfg.MetricsToken = "s3cret-metrics-token"
		h := handler(t, testapp.NewWith(t, db, cfg))

		for _, c := range []struct {
			name, url, auth string
			want            int
		}{
			{"no token", "/metrics", "", http.StatusUnauthorized},
			{"wrong token", "/metrics", "Bearer s3cret-metrics-tokeN", http.StatusUnauthorized},
			{"token prefix", "/metrics", "Bearer s3cret", http.StatusUnauthorized},
			{"not bearer", "/metrics", "Basic czNjcmV0LW1ldHJpY3MtdG9rZW4=", http.StatusUnauthorized},
			{"token in the URL", "/metrics?token=s3cret-metrics-token", "", http.StatusUnauthorized},
			{"right token", "/metrics", "Bearer s3cret-metrics-token", http.StatusOK},
		} {
			req := httptest.NewRequest(http.MethodGet, c.url, nil)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			res := serve(h, req)
			b := body(t, res)
			if res.StatusCode != c.want {
				t.Errorf("%s: %d, want %d", c.name, res.StatusCode, c.want)
			}
			if c.want == http.StatusUnauthorized && (strings.Contains(b, "renkei_") || res.Header.Get("WWW-Authenticate") == "") {
				t.Errorf("%s: refused without WWW-Authenticate, or with the metrics in the body", c.name)
			}
			if c.want == http.StatusOK && !strings.Contains(b, "renkei_http_requests_total") {
				t.Errorf("%s: no request counter in %q", c.name, b)
			}
		}

		open := handler(t, testapp.New(t, db))
		if res := serve(open, httptest.NewRequest(http.MethodGet, "/metrics", nil)); res.StatusCode != http.StatusOK {
			t.Errorf("/metrics without a configured token: %d, want 200", res.StatusCode)
		}
	})
}

// logBuffer collects the JSON log lines of an app.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// requests returns the "request" log lines.
func (l *logBuffer) requests(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

func loggedEnv(t *testing.T, db *store.DB, proxies ...string) (*testapp.Env, *logBuffer) {
	cfg := testapp.Config(t)
	for _, p := range proxies {
		cfg.TrustedProxies = append(cfg.TrustedProxies, netip.MustParsePrefix(p))
	}
	env := testapp.NewWith(t, db, cfg)
	logs := &logBuffer{}
	env.Log = slog.New(slog.NewJSONHandler(logs, nil))
	return env, logs
}

// The request log and the metrics never hold the secret of a one-time sign-in link; each
// request is logged with its route, status, request id and client address.
func TestRequestLogRedactsWelcomeLinks(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env, logs := loggedEnv(t, db)
		org := env.Org("関東ガス", model.KindOperator)
		u := env.Person(org, "ito@kanto-gas.example", model.RoleMember)
		secret, _, err := env.Auth.CreateLink(testapp.Ctx(), auth.System(), u, auth.LinkWelcome)
		if err != nil {
			t.Fatal(err)
		}
		h := handler(t, env)

		req := httptest.NewRequest(http.MethodGet, "/welcome/"+secret, nil)
		req.Header.Set("X-Request-Id", "req-welcome-1")
		res := serve(h, req)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET the welcome link: %d", res.StatusCode)
		}
		res = serve(h, httptest.NewRequest(http.MethodPost, "/welcome/"+secret, strings.NewReader("password=x")))
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("POST the welcome link without a token: %d", res.StatusCode)
		}
		serve(h, httptest.NewRequest(http.MethodGet, "/welcome/not-a-real-secret-but-still-secret", nil))

		text := logs.String()
		for _, s := range []string{secret, "not-a-real-secret-but-still-secret"} {
			if strings.Contains(text, s) {
				t.Errorf("the log holds a link secret:\n%s", text)
			}
		}
		lines := logs.requests(t)
		if len(lines) != 3 {
			t.Fatalf("%d request log lines, want 3:\n%s", len(lines), text)
		}
		first := lines[0]
		for k, want := range map[string]any{"method": "GET", "path": "/welcome/…", "route": "GET /welcome/{token}",
			"status": float64(200), "request_id": "req-welcome-1", "ip": "192.0.2.1"} {
			if first[k] != want {
				t.Errorf("log field %s = %v, want %v", k, first[k], want)
			}
		}
		if lines[1]["status"] != float64(http.StatusForbidden) || lines[1]["path"] != "/welcome/…" {
			t.Errorf("second log line: %v", lines[1])
		}

		mreq := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if m := body(t, serve(h, mreq)); strings.Contains(m, secret) || !strings.Contains(m, `route="GET /welcome/{token}"`) {
			t.Errorf("metrics hold the secret, or not the route pattern")
		}
	})
}

// A welcome link whose use fails on the server's side (here: password hashing saturated)
// stays usable, so its secret must not reach the error log either.
func TestErrorLogRedactsWelcomeLinks(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cfg := testapp.Config(t)
		cfg.HashParallel, cfg.HashQueue = 1, -1 // every password hash is refused as busy
		env := testapp.NewWith(t, db, cfg)
		logs := &logBuffer{}
		env.Log = slog.New(slog.NewJSONHandler(logs, nil))
		org := env.Org("関東ガス", model.KindOperator)
		u, err := env.Directory.CreateUser(testapp.Ctx(), auth.System(), directory.UserInput{OrgID: org.ID,
			Email: "new@kanto-gas.example", DisplayName: "新人", Role: string(model.RoleMember)})
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := env.Auth.CreateLink(testapp.Ctx(), auth.System(), u, auth.LinkWelcome)
		if err != nil {
			t.Fatal(err)
		}
		h := handler(t, env)

		form := strings.Repeat("f", 43)
		req := httptest.NewRequest(http.MethodPost, "/welcome/"+secret, strings.NewReader(url.Values{"csrf": {form},
			"password": {"a long enough passphrase 2026"}, "password2": {"a long enough passphrase 2026"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "renkei_form", Value: form})
		res := serve(h, req)
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("welcome post with hashing saturated: %d, want 503", res.StatusCode)
		}
		if _, err := env.Auth.LinkUser(testapp.Ctx(), secret); err != nil {
			t.Fatalf("the link was spent by a failed use: %v", err)
		}
		if text := logs.String(); strings.Contains(text, secret) {
			t.Errorf("the log holds a usable link secret:\n%s", text)
		}
	})
}

// The logged client address is the peer's, or, behind a trusted proxy, the address the
// proxy names.
func TestRequestLogClientAddress(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env, logs := loggedEnv(t, db, "192.0.2.0/24")
		h := handler(t, env)
		for _, c := range []struct{ peer, xff, want string }{
			{"192.0.2.7:5000", "198.51.100.23", "198.51.100.23"},
			{"192.0.2.7:5000", "203.0.113.1, 198.51.100.23, 192.0.2.8", "198.51.100.23"},
			{"203.0.113.9:5000", "198.51.100.23", "203.0.113.9"},
			{"192.0.2.7:5000", "", "192.0.2.7"},
		} {
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			req.RemoteAddr = c.peer
			if c.xff != "" {
				req.Header.Set("X-Forwarded-For", c.xff)
			}
			serve(h, req)
			lines := logs.requests(t)
			if got := lines[len(lines)-1]["ip"]; got != c.want {
				t.Errorf("peer %s, X-Forwarded-For %q: logged ip %v, want %s", c.peer, c.xff, got, c.want)
			}
		}
	})
}

// Run serves on the configured address, and when its context ends it stops taking
// connections but lets a request in progress finish before returning.
func TestRunShutsDownGracefully(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cfg := testapp.Config(t)
		cfg.Listen = "127.0.0.1:0"
		env := testapp.NewWith(t, db, cfg)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		addrc := make(chan string, 1)
		done := make(chan error, 1)
		go func() { done <- server.Run(ctx, env.App, func(addr string) { addrc <- addr }) }()
		var addr string
		select {
		case addr = <-addrc:
		case err := <-done:
			t.Fatalf("Run returned before listening: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("Run never listened")
		}
		base := "http://" + addr
		hc := &http.Client{Timeout: 10 * time.Second}
		res, err := hc.Get(base + "/healthz")
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET /healthz: %v %v", res, err)
		}
		res.Body.Close()

		// A form post whose body is still arriving when the shutdown starts.
		pr, pw := io.Pipe()
		type result struct {
			status int
			body   string
			err    error
		}
		slow := make(chan result, 1)
		go func() {
			req, _ := http.NewRequest(http.MethodPost, base+"/signin", pr)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := (&http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}).Do(req)
			if err != nil {
				slow <- result{err: err}
				return
			}
			b, err := io.ReadAll(res.Body)
			res.Body.Close()
			slow <- result{status: res.StatusCode, body: string(b), err: err}
		}()
		if _, err := pw.Write([]byte("email=ito%40kanto-gas.example&")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // let the server start on the request
		cancel()

		// New connections are refused once the shutdown has begun…
		deadline := time.Now().Add(5 * time.Second)
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				break
			}
			c.Close()
			if time.Now().After(deadline) {
				t.Fatal("the server still accepts connections after its context ended")
			}
			time.Sleep(10 * time.Millisecond)
		}
		// …but Run waits for the request in progress.
		select {
		case err := <-done:
			t.Fatalf("Run returned (%v) with a request in progress", err)
		case <-time.After(100 * time.Millisecond):
		}
		pw.Write([]byte("password=whatever"))
		pw.Close()
		r := <-slow
		if r.err != nil {
			t.Fatalf("the request in progress failed: %v", r.err)
		}
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "<html") {
			t.Errorf("the request in progress got %d, want the 403 page of a post without a form token", r.status)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after a graceful shutdown", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after the shutdown")
		}
	})
}
