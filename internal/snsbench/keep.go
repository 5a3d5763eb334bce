package snsbench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/renkei-dev/renkei/internal/store"
)

// A national-scale world takes the better part of an hour to build, so it can be kept
// between runs: with RENKEI_BENCH_KEEP=DIR, the SQLite world lives in DIR/sqlite-sSCALE
// and the PostgreSQL one in the schema bench_sSCALE, each with its World description in
// DIR as JSON, written only once the world is complete. A kept world is opened as it is;
// the benchmarks that write (new topics, acknowledgements) choose rows that stay valid
// when they run again. A kept world is migrated when opened, so it survives new migrations.

// KeepDir returns RENKEI_BENCH_KEEP, or "" when worlds are not kept.
func KeepDir() string { return os.Getenv("RENKEI_BENCH_KEEP") }

func keepName(scale float64) string {
	return strings.ReplaceAll(fmt.Sprintf("s%g", scale), ".", "_")
}

// OpenKept opens (or builds and keeps) the world of the given scale on a backend.
// pgBase is the PostgreSQL server URL (unused for SQLite). built reports whether the
// world was generated now.
func OpenKept(ctx context.Context, dir string, backend store.Backend, pgBase string, scale float64) (db *store.DB, w *World, built bool, err error) {
	name := keepName(scale)
	desc := filepath.Join(dir, string(backend)+"-"+name+".json")
	if backend == store.Postgres {
		db, err = openKeptPostgres(ctx, pgBase, "bench_"+name, fileExists(desc))
	} else {
		db, err = store.Open(ctx, store.Options{DataDir: filepath.Join(dir, "sqlite-"+name)})
	}
	if err != nil {
		return nil, nil, false, err
	}
	if w, err = readWorld(desc); err == nil {
		// Migrations added since the world was built create their tables now.
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, nil, false, err
		}
		return db, w, false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		db.Close()
		return nil, nil, false, err
	}
	// Not complete: start again from an empty database.
	if backend == store.SQLite {
		db.Close()
		path := filepath.Join(dir, "sqlite-"+name)
		if err := os.RemoveAll(path); err != nil {
			return nil, nil, false, err
		}
		if db, err = store.Open(ctx, store.Options{DataDir: path}); err != nil {
			return nil, nil, false, err
		}
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, false, err
	}
	if w, err = Generate(ctx, db, scale); err != nil {
		db.Close()
		return nil, nil, false, err
	}
	if err := writeWorld(desc, w); err != nil {
		db.Close()
		return nil, nil, false, err
	}
	return db, w, true, nil
}

// openKeptPostgres opens the schema, creating it afresh unless keep says it is complete.
func openKeptPostgres(ctx context.Context, base, schema string, keep bool) (*store.DB, error) {
	if base == "" {
		return nil, errors.New("RENKEI_TEST_POSTGRES is not set")
	}
	if !keep {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return nil, err
		}
		_, err = admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE; CREATE SCHEMA "+schema)
		admin.Close()
		if err != nil {
			return nil, err
		}
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return store.Open(ctx, store.Options{URL: u.String(), MaxReaders: 8})
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func readWorld(path string) (*World, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var w World
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &w, nil
}

func writeWorld(path string, w *World) error {
	b, err := json.Marshal(w)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
