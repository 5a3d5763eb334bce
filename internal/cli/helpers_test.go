package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/cli"
	"github.com/renkei-dev/renkei/internal/config"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// result is what one run of the command line produced.
type result struct {
	args   []string
	code   int
	stdout string
	stderr string
}

func (r result) String() string {
	return fmt.Sprintf("renkei %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different goroutines
// (serve logs from its own goroutines while the test reads).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// mapEnv is a getenv backed by a map, so that no test depends on the real environment.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runCLI runs cli.Main with exactly these arguments and environment.
func runCLI(t testing.TB, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr syncBuffer
	code := cli.Main(args, &stdout, &stderr, mapEnv(env))
	return result{args: args, code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// harness runs commands against one database: SQLite in a temporary data directory, or a
// PostgreSQL schema of its own (the data directory then holds only the secret key).
type harness struct {
	t        testing.TB
	backend  string
	data     string
	database string
	env      map[string]string
}

func newSQLite(t testing.TB) *harness {
	return &harness{t: t, backend: "sqlite", data: t.TempDir(), env: map[string]string{}}
}

// newPostgres returns a harness on a fresh schema, or nil when PostgreSQL tests are off.
// testdb.PostgresURL fails the test instead when RENKEI_TEST_REQUIRE_POSTGRES=1.
func newPostgres(t testing.TB) *harness {
	base := testdb.PostgresURL(t)
	if base == "" {
		return nil
	}
	dsn, drop := testdb.NewSchema(t, base)
	t.Cleanup(drop)
	return &harness{t: t, backend: "postgres", data: t.TempDir(), database: dsn, env: map[string]string{}}
}

// backends runs fn once on SQLite and once on PostgreSQL, as subtests.
func backends(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, newSQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		h := newPostgres(t)
		if h == nil {
			t.Skip("RENKEI_TEST_POSTGRES is not set")
		}
		fn(t, h)
	})
}

// storageFlags are the flags that point a command at the harness's database.
func (h *harness) storageFlags() []string {
	f := []string{"--data", h.data}
	if h.database != "" {
		f = append(f, "--database", h.database)
	}
	return f
}

// run runs a command with the storage flags appended (every command stops parsing words
// before its flags, so appending them is safe for commands without positional arguments).
func (h *harness) run(args ...string) result {
	h.t.Helper()
	return runCLI(h.t, h.env, append(append([]string{}, args...), h.storageFlags()...)...)
}

// ok runs a command that must succeed and returns its standard output.
func (h *harness) ok(args ...string) string {
	h.t.Helper()
	r := h.run(args...)
	if r.code != 0 {
		h.t.Fatalf("want exit 0:\n%s", r)
	}
	return r.stdout
}

// fail runs a command that must exit with code and whose standard error must contain
// every one of want; it returns the result.
func (h *harness) fail(code int, args []string, want ...string) result {
	h.t.Helper()
	r := h.run(args...)
	checkFail(h.t, r, code, want...)
	return r
}

func checkFail(t testing.TB, r result, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d:\n%s", code, r)
	}
	if r.stdout != "" && code != 0 {
		t.Errorf("a failed command printed on stdout:\n%s", r)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r)
		}
	}
}

// config is the configuration the commands run with, to open the same database in-process.
func (h *harness) config() config.Config {
	cfg := config.Defaults()
	cfg.DataDir = h.data
	cfg.Database = h.database
	return cfg
}

// open opens the harness's database with the app's services, as the server would.
func (h *harness) open() *app.App {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := app.Open(ctx, h.config(), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { a.Close() })
	return a
}

// match returns the first submatch of re in s, failing the test when there is none.
func match(t testing.TB, re, s string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no match for %s in:\n%s", re, s)
	}
	if len(m) > 1 {
		return m[1]
	}
	return m[0]
}

// lines splits output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// row returns the line of a table whose fields include every one of cells, failing the
// test when none does.
func row(t testing.TB, table string, cells ...string) []string {
	t.Helper()
	for _, l := range lines(table) {
		f := strings.Fields(l)
		if hasAll(f, cells) {
			return f
		}
	}
	t.Fatalf("no row with %q in:\n%s", cells, table)
	return nil
}

func hasAll(fields, cells []string) bool {
	for _, c := range cells {
		found := false
		for _, f := range fields {
			if f == c {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// runBounded is runCLI for commands that might, through a bug, start serving instead of
// failing: it gives up after a while instead of hanging the test run.
func runBounded(t testing.TB, env map[string]string, args ...string) result {
	t.Helper()
	done := make(chan result, 1)
	go func() {
		var stdout, stderr syncBuffer
		code := cli.Main(args, &stdout, &stderr, mapEnv(env))
		done <- result{args: args, code: code, stdout: stdout.String(), stderr: stderr.String()}
	}()
	select {
	case r := <-done:
		return r
	case <-time.After(30 * time.Second):
		t.Fatalf("renkei %s did not return within 30s", strings.Join(args, " "))
		return result{}
	}
}
