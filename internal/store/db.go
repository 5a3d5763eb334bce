// Package store holds the schema, the migrations and every SQL query, for SQLite and
// PostgreSQL. Queries are written once with ? placeholders and rebound for PostgreSQL.
// The store never decides access: list queries take the filter the policy package built.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Backend names a database engine.
type Backend string

// The supported backends.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// DB is the database: on SQLite one writer connection and a pool of readers, on
// PostgreSQL one pool for both.
type DB struct {
	backend Backend
	write   *sql.DB
	read    *sql.DB
	path    string // SQLite file, for backups
	dsn     string // PostgreSQL URL, for LISTEN connections
	// Prepared statements of the SQLite readers (nil on PostgreSQL). The writer has none:
	// preparing on its one connection would wait for the transaction that holds it.
	readStmts *stmtCache
	// The SQLite checkpointer (nil on PostgreSQL): see checkpoint.go.
	checkpoints *checkpointer
}

// Options tune how the database is opened.
type Options struct {
	// DataDir holds renkei.db when URL is empty.
	DataDir string
	// URL is "postgres://…", "sqlite:PATH" or empty for the SQLite default.
	URL string
	// MaxReaders bounds the SQLite reader pool or the PostgreSQL pool.
	MaxReaders int
}

// Open connects to the database named by opts; it does not migrate.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.MaxReaders <= 0 {
		opts.MaxReaders = 16
	}
	u := opts.URL
	switch {
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return openPostgres(ctx, u, opts.MaxReaders)
	case u == "":
		if opts.DataDir == "" {
			return nil, errors.New("no data directory and no database URL")
		}
		if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		return openSQLite(ctx, filepath.Join(opts.DataDir, "renkei.db"), opts.MaxReaders)
	case strings.HasPrefix(u, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
		if p == "" {
			return nil, fmt.Errorf("database URL %q names no file", u)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
		return openSQLite(ctx, p, opts.MaxReaders)
	}
	return nil, fmt.Errorf("database URL %q: want postgres://… or sqlite:PATH", redact(u))
}

// openSQLite opens the writer and the readers. Pages are read through a memory map of
// the first 2 GiB of the file (mmap_size): the readers share the kernel's copy instead of
// each copying pages through its own cache with a system call; a timeline page of the
// national benchmark world went from 877 to about 1,000 a second and its p99 from 3.3 to
// 2.1 ms.
func openSQLite(ctx context.Context, path string, readers int) (*DB, error) {
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_pragma=cache_size(-32000)&_pragma=mmap_size(2147418112)&_time_format=sqlite" +
		fmt.Sprintf("&_pragma=journal_size_limit(%d)", walLimitBytes)
	// The writer keeps its statement journals in memory (temp_store): a multi-row insert
	// otherwise spilled them to a temporary file, system calls that cost TAXII ingest a few
	// per cent. Its statements are small; the readers' sorts stay on disk.
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate&_pragma=wal_autocheckpoint(0)&_pragma=temp_store(2)")
	if err != nil {
		return nil, err
	}
	// One writer: SQLite allows one at a time, and waiting in Go is cheaper than
	// waiting on the busy handler.
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	db := &DB{backend: SQLite, write: w, read: r, path: path, readStmts: newStmtCache(r)}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	cp, err := startCheckpointer("file:"+path+"?"+pragmas, checkpointEvery, walRestartFrames)
	if err != nil {
		db.Close()
		return nil, err
	}
	db.checkpoints = cp
	return db, nil
}

func openPostgres(ctx context.Context, dsn string, conns int) (*DB, error) {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	p.SetMaxOpenConns(conns)
	p.SetMaxIdleConns(conns)
	p.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{backend: Postgres, write: p, read: p, dsn: dsn}
	if err := db.Ping(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("connect to %s: %w", redact(dsn), err)
	}
	return db, nil
}

// Backend says which engine this is.
func (db *DB) Backend() Backend { return db.backend }

// Path returns the SQLite file, or "" on PostgreSQL.
func (db *DB) Path() string { return db.path }

// DSN returns the PostgreSQL URL, or "" on SQLite.
func (db *DB) DSN() string { return db.dsn }

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return err
	}
	if db.write != db.read {
		return db.write.PingContext(ctx)
	}
	return nil
}

// Close closes every connection.
func (db *DB) Close() error {
	if db.readStmts != nil {
		db.readStmts.close()
	}
	if db.checkpoints != nil {
		db.checkpoints.close()
	}
	err := db.write.Close()
	if db.read != db.write {
		if e := db.read.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Conn runs queries on a pool or inside a transaction. Queries use ? placeholders.
type Conn struct {
	q       querier
	backend Backend
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Read returns a connection for queries that do not write.
func (db *DB) Read() Conn {
	if db.readStmts != nil {
		return Conn{q: cachedQuerier{cache: db.readStmts, plain: db.read}, backend: db.backend}
	}
	return Conn{q: db.read, backend: db.backend}
}

// Backend says which engine the connection talks to.
func (c Conn) Backend() Backend { return c.backend }

// Exec runs a statement.
func (c Conn) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.q.ExecContext(ctx, c.rebind(query), args...)
}

// Query runs a query returning rows.
func (c Conn) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, c.rebind(query), args...)
}

// QueryRow runs a query returning at most one row.
func (c Conn) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, c.rebind(query), args...)
}

// Write runs fn in a write transaction, committing when fn returns nil. On SQLite the
// transaction begins IMMEDIATE on the single writer, so it never fails half-way with
// SQLITE_BUSY.
func (db *DB) Write(ctx context.Context, fn func(Conn) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(Conn{q: tx, backend: db.backend}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

var rebound sync.Map // query text -> PostgreSQL text

// rebind turns ? placeholders into $1, $2 … for PostgreSQL. A ? inside a quoted string
// is left alone.
func (c Conn) rebind(q string) string {
	if c.backend != Postgres || !strings.Contains(q, "?") {
		return q
	}
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		ch := q[i]
		switch {
		case ch == '\'':
			quoted = !quoted
			b.WriteByte(ch)
		case ch == '?' && !quoted:
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteByte(ch)
		}
	}
	s := b.String()
	rebound.Store(q, s)
	return s
}

// Placeholders returns "?, ?, …" with n marks, for IN lists.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// ErrNotFound is returned by single-row look-ups that find nothing.
var ErrNotFound = errors.New("not found")

// ErrDuplicate is returned when a unique constraint refuses a write.
var ErrDuplicate = errors.New("duplicate")

// classify maps driver errors to ErrNotFound and ErrDuplicate.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505") {
		return fmt.Errorf("%w: %v", ErrDuplicate, err)
	}
	return err
}

// Optimize refreshes the query planner's statistics of the tables whose size changed
// much since the last time (SQLite's PRAGMA optimize, over every table, reading a bounded
// sample so that it stays quick on a large file). Run at start-up and every few hours;
// PostgreSQL's autovacuum does this itself.
//
// Only the per-index averages (sqlite_stat1) are kept: the bounded analysis writes no
// histograms, and those of a full ANALYZE run by hand are dropped. With the histograms of
// sqlite_stat4, SQLite plans a statement again each time a value bound to an indexed
// column changes, which is every call here and undoes the readers' statement cache (a
// sixth of a timeline page's CPU); the queries' shapes already choose their indexes.
func (db *DB) Optimize(ctx context.Context) error {
	if db.backend != SQLite {
		return nil
	}
	return db.Write(ctx, func(c Conn) error {
		for _, q := range []string{"PRAGMA analysis_limit = 1000", "PRAGMA optimize = 0x10002"} {
			if _, err := c.Exec(ctx, q); err != nil {
				return err
			}
		}
		var stat4 int
		if err := c.QueryRow(ctx, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'sqlite_stat4'").Scan(&stat4); err != nil || stat4 == 0 {
			return err
		}
		if _, err := c.Exec(ctx, "DELETE FROM sqlite_stat4"); err != nil {
			return err
		}
		_, err := c.Exec(ctx, "ANALYZE sqlite_schema") // reload what the planner uses
		return err
	})
}

// Stats returns the writer's and the readers' pool statistics.
func (db *DB) Stats() []sql.DBStats {
	if db.read == db.write {
		return []sql.DBStats{db.write.Stats()}
	}
	return []sql.DBStats{db.write.Stats(), db.read.Stats()}
}

// Backup writes a consistent copy of the SQLite database to path while it stays in use
// (VACUUM INTO reads one snapshot). PostgreSQL is backed up with pg_dump instead.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.backend != SQLite {
		return errors.New("backup copies the SQLite database; for PostgreSQL use pg_dump")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	_, err = db.write.ExecContext(ctx, "VACUUM INTO ?", abs)
	return err
}
