package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFiles embed.FS

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the migrations of a backend in version order. Files are named
// NNNN_name.sql; a released file is never edited, only followed by a new one.
func Migrations(b Backend) ([]Migration, error) {
	dir := "migrations/" + string(b)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", name)
		}
		body, err := migrationFiles.ReadFile(dir + "/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: rest, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("two migrations numbered %d", ms[i].Version)
		}
	}
	return ms, nil
}

// Migrate applies every migration not yet recorded in schema_migrations, all in one
// transaction (a failed one leaves the schema as it was), and returns the versions it applied. On PostgreSQL an advisory lock keeps
// two nodes starting together from migrating at once.
func (db *DB) Migrate(ctx context.Context) ([]int, error) { return db.MigrateTo(ctx, math.MaxInt) }

// MigrateTo is Migrate stopping after the given version: tests of an upgrade build the
// schema as it was, write old rows, then migrate the rest.
func (db *DB) MigrateTo(ctx context.Context, last int) ([]int, error) {
	ms, err := Migrations(db.backend)
	if err != nil {
		return nil, err
	}
	ms = slices.DeleteFunc(ms, func(m Migration) bool { return m.Version > last })
	var applied []int
	err = db.Write(ctx, func(c Conn) error {
		if db.backend == Postgres {
			if _, err := c.Exec(ctx, "SELECT pg_advisory_xact_lock(7253001)"); err != nil {
				return err
			}
		}
		if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		done, err := appliedVersions(ctx, c)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if done[m.Version] {
				continue
			}
			if _, err := c.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
			}
			if _, err := c.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.Version, m.Name, time.Now().UnixMilli()); err != nil {
				return err
			}
			applied = append(applied, m.Version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return applied, nil
}

// SchemaVersion returns the highest applied migration, 0 when none.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	done, err := appliedVersions(ctx, db.Read())
	if err != nil {
		return 0, err
	}
	v := 0
	for k := range done {
		v = max(v, k)
	}
	return v, nil
}

func appliedVersions(ctx context.Context, c Conn) (map[int]bool, error) {
	rows, err := c.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[v] = true
	}
	return done, rows.Err()
}
