// Package testdb gives tests a fresh, migrated database on every backend: SQLite in a
// temporary directory, and PostgreSQL in a schema of its own on the server named by
// RENKEI_TEST_POSTGRES. When RENKEI_TEST_REQUIRE_POSTGRES=1 (the test script sets it), a
// missing or unreachable PostgreSQL fails the test instead of skipping it.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/store"
)

// PostgresURL returns the test server's URL, or "" when PostgreSQL tests are off.
func PostgresURL(t testing.TB) string {
	u := os.Getenv("RENKEI_TEST_POSTGRES")
	if u == "" && os.Getenv("RENKEI_TEST_REQUIRE_POSTGRES") == "1" {
		t.Fatal("RENKEI_TEST_REQUIRE_POSTGRES=1 but RENKEI_TEST_POSTGRES is not set")
	}
	return u
}

// Each runs fn once per backend, as subtests named sqlite and postgres.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) {
		db := Postgres(t)
		if db == nil {
			t.Skip("RENKEI_TEST_POSTGRES is not set")
		}
		fn(t, db)
	})
}

// Backends names the backends Open accepts.
var Backends = []store.Backend{store.SQLite, store.Postgres}

// Open returns a fresh database of the given backend, or nil (PostgreSQL off).
func Open(t testing.TB, b store.Backend) *store.DB {
	if b == store.Postgres {
		return Postgres(t)
	}
	return SQLite(t)
}

// At returns a fresh database of the given backend migrated only up to a version, for
// tests of an upgrade; nil when PostgreSQL tests are off.
func At(t testing.TB, b store.Backend, version int) *store.DB {
	t.Helper()
	var db *store.DB
	if b == store.Postgres {
		base := PostgresURL(t)
		if base == "" {
			return nil
		}
		dsn, drop := NewSchema(t, base)
		var err error
		if db, err = store.Open(context.Background(), store.Options{URL: dsn, MaxReaders: 8}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close(); drop() })
	} else {
		var err error
		if db, err = store.Open(context.Background(), store.Options{DataDir: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
	}
	if _, err := db.MigrateTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
	return db
}

// SQLite returns a migrated database in a temporary directory.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	migrate(t, db)
	return db
}

// Postgres returns a migrated database in a new schema, dropped after the test; nil when
// PostgreSQL tests are off.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	base := PostgresURL(t)
	if base == "" {
		return nil
	}
	dsn, drop := NewSchema(t, base)
	db, err := store.Open(context.Background(), store.Options{URL: dsn, MaxReaders: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(); drop() })
	migrate(t, db)
	return db
}

// NewSchema creates an empty schema on the server and returns a URL whose connections
// use it, and a function that drops it.
func NewSchema(t testing.TB, base string) (string, func()) {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("PostgreSQL at %s: %v", base, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	}
	return u.String(), drop
}

func migrate(t testing.TB, db *store.DB) {
	t.Helper()
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
}
