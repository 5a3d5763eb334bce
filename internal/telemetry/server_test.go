package telemetry_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func fetch(t *testing.T, url, authz string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// /metrics on the whole site: refused without the configured token, and counting sign-ins
// and requests by route pattern.
func TestMetricsOfTheServer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cfg := testapp.Config(t)
		cfg.MetricsToken = "metrics-secret"
		e := testapp.NewWith(t, db, cfg)
		u := e.Person(e.Org("東都電力", model.KindOperator), "m.suzuki@toto.example", model.RoleMember)
		tok := e.Token(u)
		base := e.Server()

		for _, authz := range []string{"", "Bearer wrong", "Bearer " + tok} {
			code, h, body := fetch(t, base+"/metrics", authz)
			if code != 401 || h.Get("WWW-Authenticate") != `Bearer realm="metrics"` || strings.Contains(body, "renkei_") {
				t.Fatalf("/metrics with %q: %d %s", authz, code, body)
			}
		}
		metrics := func() *exposition {
			t.Helper()
			code, h, body := fetch(t, base+"/metrics", "Bearer metrics-secret")
			if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain; version=0.0.4") {
				t.Fatalf("/metrics: %d %q", code, h.Get("Content-Type"))
			}
			return parse(t, body)
		}
		before := metrics()

		client := auth.Client{IP: "192.0.2.7"}
		if _, err := e.Auth.SignIn(testapp.Ctx(), u.Email, testapp.Password, client); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := e.Auth.SignIn(testapp.Ctx(), u.Email, "wrong password", client); err == nil {
				t.Fatal("a wrong password signed in")
			}
		}
		fetch(t, base+"/api/v1/me", "Bearer "+tok)
		fetch(t, base+"/api/v1/users/424242", "Bearer "+tok)
		fetch(t, base+"/welcome/very-secret-link", "")

		after := metrics()
		for res, want := range map[string]float64{"ok": 1, "failed": 2, "throttled": 0, "busy": 0} {
			if d := after.value("renkei_signins_total", "result", res) - before.value("renkei_signins_total", "result", res); d != want {
				t.Errorf("signins %s grew by %v, want %v", res, d, want)
			}
		}
		grew := func(route, code string) float64 {
			b := max(before.value("renkei_http_requests_total", "method", "GET", "route", route, "code", code), 0)
			return after.value("renkei_http_requests_total", "method", "GET", "route", route, "code", code) - b
		}
		if d := grew("GET /api/v1/me", "200"); d != 1 {
			t.Errorf("GET /api/v1/me 200 grew by %v", d)
		}
		if d := grew("GET /api/v1/users/{id}", "404"); d != 1 {
			t.Errorf("GET /api/v1/users/{id} 404 grew by %v", d)
		}
		if n := after.value("renkei_http_requests_total", "method", "GET", "route", "GET /metrics", "code", "401"); n < 3 {
			t.Errorf("refused /metrics counted %v times", n) // (all three came before the first snapshot)
		}
		if after.value("renkei_http_request_duration_seconds_count", "route", "GET /api/v1/me") < 1 {
			t.Error("no duration for GET /api/v1/me")
		}
		// Routes are patterns, never raw paths: no id, no one-time secret in a label.
		for _, f := range after.families {
			for _, s := range f.samples {
				for _, v := range s.labels {
					if strings.Contains(v, "424242") || strings.Contains(v, "very-secret-link") {
						t.Errorf("raw path in %s: %v", s.name, s.labels)
					}
				}
			}
		}
		if after.value("renkei_db_connections", "pool", "write", "state", "idle") < 0 {
			t.Error("no database pool series")
		}
	})
}

// Without a configured token, /metrics is open.
func TestMetricsOpenWithoutToken(t *testing.T) {
	e := testapp.New(t, testdb.SQLite(t))
	code, _, body := fetch(t, e.Server()+"/metrics", "")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	parse(t, body)
}
