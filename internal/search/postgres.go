package search

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// Querier runs a query that returns one row; store.Conn is one.
type Querier interface {
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// probeText holds the kinds of characters the index must keep: kanji, kana, the prolonged
// sound mark, hangul, and letters outside ASCII.
const probeText = "攻撃情報 ふぃっしんぐ ー 한국어 DDoS École ΣΑΣ 2026"

// CheckPostgres checks that a PostgreSQL database's text-search parser keeps every token
// this package writes as it is. It does not in a database whose encoding is SQL_ASCII:
// the parser then drops every non-ASCII character, and search finds no Japanese. Run it
// once at start-up with a store.Conn of the database (the query is written with $1,
// which store.Conn leaves as it is).
func CheckPostgres(ctx context.Context, q Querier) error {
	want := strings.Fields(Tokens(probeText))
	var got string
	err := q.QueryRow(ctx, "SELECT array_to_string(tsvector_to_array(to_tsvector('simple', $1::text)), ' ')",
		strings.Join(want, " ")).Scan(&got)
	if err != nil {
		return fmt.Errorf("search: check PostgreSQL text search: %w", err)
	}
	slices.Sort(want)
	want = slices.Compact(want)
	have := strings.Fields(got)
	slices.Sort(have)
	if slices.Equal(want, have) {
		return nil
	}
	var enc, ctype string
	if err := q.QueryRow(ctx, "SELECT pg_encoding_to_char(encoding), datctype FROM pg_database WHERE datname = current_database()").
		Scan(&enc, &ctype); err != nil {
		enc, ctype = "?", "?"
	}
	return fmt.Errorf("search: PostgreSQL's text-search parser does not keep the index tokens (database encoding %s, LC_CTYPE %s): "+
		"to_tsvector('simple', …) gave %q for %q; search needs a database created with ENCODING 'UTF8'", enc, ctype, got, strings.Join(want, " "))
}
