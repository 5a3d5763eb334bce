//go:build unix

package cli_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/cli"
)

// TestServe starts the real server through cli.Main with --demo and stops it the way an
// operator or a service manager does, with SIGTERM: Main has no other way to be stopped.
// The test sends the signal to its own process while it holds a handler of its own for
// SIGTERM, so the signal cannot end the test binary. It must not run in parallel with
// other tests that call Main (they would see the signal too), so it and its subtests are
// sequential; parallel tests only start once every sequential test has finished.
func TestServe(t *testing.T) {
	guard := make(chan os.Signal, 4)
	signal.Notify(guard, syscall.SIGTERM)
	defer signal.Stop(guard)

	t.Run("sqlite", func(t *testing.T) { serveScenario(t, newSQLite(t), guard) })
	t.Run("postgres", func(t *testing.T) {
		h := newPostgres(t)
		if h == nil {
			t.Skip("RENKEI_TEST_POSTGRES is not set")
		}
		serveScenario(t, h, guard)
	})
}

func serveScenario(t *testing.T, h *harness, guard chan os.Signal) {
	env := map[string]string{
		// cheap hashing for the demo people; the listen address from the environment
		"RENKEI_ARGON2_MEMORY": "8",
		"RENKEI_ARGON2_TIME":   "1",
		"RENKEI_LISTEN":        "127.0.0.1:0",
		"RENKEI_LOG_LEVEL":     "info",
	}
	var stdout, stderr syncBuffer
	args := append([]string{"serve", "--demo"}, h.storageFlags()...)
	done := make(chan int, 1)
	go func() { done <- cli.Main(args, &stdout, &stderr, mapEnv(env)) }()
	stopped := false
	defer func() {
		if !stopped { // a failure below: do not leave the server running
			syscall.Kill(os.Getpid(), syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(30 * time.Second):
			}
		}
	}()

	// wait for the "serving" log line, which carries the address chosen for :0
	addrRE := regexp.MustCompile(`renkei is serving.* addr=(127\.0\.0\.1:\d+)`)
	var addr string
	deadline := time.Now().Add(60 * time.Second)
	for addr == "" {
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case code := <-done:
			stopped = true
			t.Fatalf("serve ended early with exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start\nstderr:\n%s", stderr.String())
		}
	}
	where := map[string]string{"sqlite": `database="SQLite `, "postgres": "database=PostgreSQL"}[h.backend]
	if !strings.Contains(stderr.String(), where) {
		t.Errorf("the serving line does not say which database:\n%s", stderr.String())
	}

	// --demo printed the demo sign-ins
	out := stdout.String()
	for _, w := range []string{"Demo data loaded:", "organizations", "password for all:", "@"} {
		if !strings.Contains(out, w) {
			t.Errorf("--demo output lacks %q:\n%s", w, out)
		}
	}
	match(t, `password for all: (\S{12,})\)`, out)

	base := "http://" + addr
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := get(t, base+p, ""); code != http.StatusOK {
			t.Errorf("GET %s: %d %s", p, code, body)
		}
	}

	// the administration commands work on the database while the server uses it, and a
	// token they print is accepted by the running server
	h.ok("org", "add", "--name", "稼働中組織", "--kind", "partner")
	h.ok("user", "add", "--org", "稼働中組織", "--email", "live@partner.example", "--name", "稼働 太郎")
	secret := strings.TrimSpace(h.ok("token", "create", "--user", "live@partner.example"))
	code, body := get(t, base+"/api/v1/me", secret)
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/me with the printed token: %d %s", code, body)
	}
	var me struct {
		User struct {
			Email string `json:"email"`
		} `json:"user"`
	}
	if err := json.Unmarshal([]byte(body), &me); err != nil || me.User.Email != "live@partner.example" {
		t.Errorf("GET /api/v1/me: %v %s", err, body)
	}
	if code, _ := get(t, base+"/api/v1/me", secret+"x"); code != http.StatusUnauthorized {
		t.Errorf("a wrong token got %d", code)
	}

	// the organizations of the demo are in the database the commands see
	if n := len(lines(h.ok("org", "list"))); n < 20 {
		t.Errorf("org list after --demo shows %d lines", n)
	}

	// SIGTERM stops the server cleanly: exit 0, and the port is closed
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		stopped = true
		if code != 0 {
			t.Fatalf("serve ended with exit %d after SIGTERM\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of SIGTERM")
	}
	select {
	case <-guard:
	case <-time.After(5 * time.Second):
		t.Error("the test's own SIGTERM handler saw no signal")
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after serve returned", addr)
	}

	// the demo loads only into an empty database
	if out := h.ok("demo"); !strings.Contains(out, "already has data") {
		t.Errorf("demo on a loaded database printed %q", out)
	}
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServePortInUse: a listen address that is taken ends serve with an error naming it.
func TestServePortInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := map[string]string{"RENKEI_DATA": t.TempDir(), "RENKEI_ARGON2_MEMORY": "8"}
	r := runBounded(t, env, "serve", "--listen", ln.Addr().String())
	checkFail(t, r, 1, ln.Addr().String())
}

// TestDemoCommand: renkei demo loads the demo set once.
func TestDemoCommand(t *testing.T) {
	t.Parallel()
	h := newSQLite(t)
	out := h.ok("demo")
	n := match(t, `Demo data loaded: (\d+) organizations, \d+ people, \d+ communities\.`, out)
	if n == "0" {
		t.Fatalf("demo loaded nothing:\n%s", out)
	}
	if got := len(lines(h.ok("org", "list"))) - 1; got < 20 {
		t.Errorf("org list after demo: %d organizations", got)
	}
	if out := h.ok("demo"); !strings.Contains(out, "already has data") {
		t.Errorf("second demo printed %q", out)
	}
	if out := h.ok("audit", "verify"); !strings.HasPrefix(out, "audit log OK") {
		t.Errorf("audit verify after demo: %q", out)
	}
}
