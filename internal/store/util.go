package store

import (
	"database/sql"
	"time"
)

// ms turns a time into stored Unix milliseconds; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS turns stored Unix milliseconds into a UTC time; 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Page asks for one page of a keyset-paginated list: items after the cursor (an id, or 0
// for the first page), at most Limit of them.
type Page struct {
	After int64
	Limit int
}

// Filter is an access condition built by the policy package: a SQL boolean expression
// with ? placeholders and its arguments. The store only applies it.
type Filter struct {
	SQL  string
	Args []any
}

// where is the filter as a parenthesised condition; an empty filter lets every row through.
func (f Filter) where() string {
	if f.SQL == "" {
		return "TRUE"
	}
	return "(" + f.SQL + ")"
}

// MaxPage is the largest page any list returns.
const MaxPage = 500

func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return 50
	case p.Limit > MaxPage:
		return MaxPage
	}
	return p.Limit
}
