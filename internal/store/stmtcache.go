package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the prepared statements of the SQLite reader pool by query text. SQLite parses
// and plans a statement on every call otherwise, which measured a quarter of the CPU of a
// timeline page; pgx already keeps a cache of its own on each PostgreSQL connection.
//
// database/sql prepares a cached statement on each pooled connection the first time it
// runs there. Query texts repeat (lists vary only in the length of their IN lists), so a
// bound on their number is enough: past it, a new text runs unprepared as before.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// maxCachedStmts bounds the texts kept per pool (each costs a few kilobytes per
// connection it ran on).
const maxCachedStmts = 256

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}}
}

// get returns the statement for q, preparing it once; nil when the cache is full. The
// lock is not held while preparing, which waits for a connection of the pool.
func (c *stmtCache) get(ctx context.Context, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	s, ok := c.stmts[q]
	full := len(c.stmts) >= maxCachedStmts
	c.mu.Unlock()
	if ok || full {
		return s, nil
	}
	s, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if first, ok := c.stmts[q]; ok { // prepared meanwhile by another caller
		s.Close()
		return first, nil
	}
	c.stmts[q] = s
	return s, nil
}

// close closes every statement (before the pool closes).
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.stmts {
		s.Close()
		delete(c.stmts, q)
	}
}

// cachedQuerier runs queries on a pool through its cache.
type cachedQuerier struct {
	cache *stmtCache
	plain querier
}

func (c cachedQuerier) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	return c.cache.get(ctx, q)
}

func (c cachedQuerier) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	s, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.plain.ExecContext(ctx, q, args...)
	}
	return s.ExecContext(ctx, args...)
}

func (c cachedQuerier) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.plain.QueryContext(ctx, q, args...)
	}
	return s.QueryContext(ctx, args...)
}

// QueryRowContext cannot return an error of its own: a failed prepare runs the text
// unprepared, which reports the same error through the row.
func (c cachedQuerier) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	s, err := c.stmt(ctx, q)
	if s == nil || err != nil {
		return c.plain.QueryRowContext(ctx, q, args...)
	}
	return s.QueryRowContext(ctx, args...)
}
