package leaktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// kind is one kind of item the policy guards, as the checker uses it. Write entries of the
// table as kindSpec values; kind() turns them into this.
type kind struct {
	name     string
	items    string
	generate func(g *gen)
	// load reads the facts of every item and returns the predicate bound to them.
	load  func(w *world) kindAllowed
	paths []path
}

// kindSpec describes a kind of item whose policy predicate takes facts of type F.
type kindSpec[F any] struct {
	name  string
	items string // the world's collection holding the ids
	// generate adds random items through the services, appending their ids to
	// g.w.ids[items]; nil when the base world already makes them.
	generate func(g *gen)
	// facts loads from the database what the policy needs to know about one item.
	facts func(w *world, id int64) F
	// allowed is the policy predicate: a function of the policy package.
	allowed func(a policy.Actor, f F) bool
	paths   []path
}

func (s kindSpec[F]) kind() kind {
	return kind{name: s.name, items: s.items, generate: s.generate, paths: s.paths,
		load: func(w *world) kindAllowed {
			facts := make(map[int64]F, len(w.ids[s.items]))
			for _, id := range w.ids[s.items] {
				facts[id] = s.facts(w, id)
			}
			return func(a policy.Actor, id int64) bool { return s.allowed(a, facts[id]) }
		}}
}

// path is one way items reach a person.
type path struct {
	name string
	// api says the path goes through HTTP with the viewer's token: it is walked for
	// viewers whose token works.
	api bool
	// page says the path is a web page, walked with the viewer's session when the person
	// is active (pages_test.go).
	page bool
	// narrow says what the path asks for when that is less than everything (only enabled
	// people, one organization): the path must return exactly the items the predicate
	// allows among those. nil means it asks for everything.
	narrow func(w *world, a policy.Actor, id int64) bool
	// ids returns the ids the viewer gets back, in the order they came, duplicates kept.
	ids func(c *call) ([]int64, error)
}

// call is one walk of a path by one viewer.
type call struct {
	ctx context.Context
	w   *world
	v   *viewer
	// all is every id of the kind plus one that does not exist, for paths that open
	// items one by one.
	all []int64
}

func (c *call) read() store.Conn { return c.w.db.Read() }

// ---- The SQL filter itself ----

// sqlFilter is the path of a policy SQL filter evaluated on every row of a table, with no
// store code in between: "SELECT id FROM table alias WHERE filter".
func sqlFilter(name, from, idColumn string, filter func(policy.Actor) store.Filter) path {
	return path{name: name, ids: func(c *call) ([]int64, error) {
		f := filter(c.v.actor())
		q := "SELECT " + idColumn + " FROM " + from
		if f.SQL != "" {
			q += " WHERE (" + f.SQL + ")"
		}
		rows, err := c.read().Query(c.ctx, q, f.Args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			out = append(out, id)
		}
		return out, rows.Err()
	}}
}

// ---- Services and store ----

// maxPages stops a list whose cursor never ends.
const maxPages = 10_000

// pageAll pages through a keyset-paginated list with the world's page size.
func pageAll[T any](c *call, list func(store.Page) ([]T, error), id func(T) int64) ([]T, error) {
	var out []T
	pg := store.Page{Limit: c.w.pageSize}
	for range maxPages {
		items, err := list(pg)
		if err != nil {
			return out, err
		}
		out = append(out, items...)
		if len(items) < pg.Limit {
			return out, nil
		}
		next := id(items[len(items)-1])
		if next <= pg.After {
			return out, fmt.Errorf("the cursor went back from %d to %d", pg.After, next)
		}
		pg.After = next
	}
	return out, errors.New("the list does not end")
}

// pageIDs pages through a list and returns the ids of its items.
func pageIDs[T any](c *call, list func(store.Page) ([]T, error), id func(T) int64) ([]int64, error) {
	items, err := pageAll(c, list, id)
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out, err
}

// serviceGetEach opens every id through a service: an allowed one succeeds (and keep says
// whether it counts), any other is NotFound; Forbidden or any other error would reveal
// that the item exists, and is reported.
func serviceGetEach[T any](get func(c *call, id int64) (T, error), idOf func(T) int64, keep func(c *call, x T) bool) func(*call) ([]int64, error) {
	return func(c *call) ([]int64, error) {
		var out []int64
		for _, id := range c.all {
			x, err := get(c, id)
			switch {
			case err == nil:
				if idOf(x) != id {
					return out, fmt.Errorf("asked for %d, got %d", id, idOf(x))
				}
				if keep == nil || keep(c, x) {
					out = append(out, id)
				}
			case fault.Is(err, fault.NotFound):
			default:
				return out, fmt.Errorf("id %d: %v (want success or not found)", id, err)
			}
		}
		return out, nil
	}
}

// ---- The JSON API ----

// get performs an API request with the viewer's token.
func (c *call) get(path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(c.ctx, http.MethodGet, c.w.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.v.token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.w.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// apiPages follows a list's next_cursor from its first page, with the world's page size,
// and hands each item to each. It returns the status of the first page; a list that is not
// there (404) yields nothing.
func (c *call) apiPages(path string, each func(item json.RawMessage) error) (int, error) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	cursor, first := "", 0
	for range maxPages {
		u := path + sep + "limit=" + strconv.Itoa(c.w.pageSize)
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		status, body, err := c.get(u)
		if err != nil {
			return status, err
		}
		if first == 0 {
			first = status
		}
		if status != http.StatusOK {
			if status == http.StatusNotFound && cursor == "" {
				return status, nil
			}
			return status, fmt.Errorf("GET %s: status %d: %.300s", u, status, body)
		}
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor *string           `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil || page.NextCursor == nil {
			return status, fmt.Errorf("GET %s: not a list: %v: %.300s", u, err, body)
		}
		for _, it := range page.Items {
			if err := each(it); err != nil {
				return status, fmt.Errorf("GET %s: %w", u, err)
			}
		}
		if *page.NextCursor == "" {
			return first, nil
		}
		if *page.NextCursor == cursor {
			return first, fmt.Errorf("GET %s: next_cursor does not move", u)
		}
		cursor = *page.NextCursor
	}
	return first, fmt.Errorf("GET %s: the list does not end", path)
}

// picker reads one item of an API response: its id and whether it counts for the path.
type picker func(item json.RawMessage) (id int64, keep bool, err error)

// byID counts every item, by its "id".
func byID(item json.RawMessage) (int64, bool, error) {
	var x struct {
		ID int64 `json:"id"`
	}
	err := json.Unmarshal(item, &x)
	if err == nil && x.ID == 0 {
		err = fmt.Errorf("item without an id: %.200s", item)
	}
	return x.ID, true, err
}

// apiList is the path of a list endpoint, paged through. url builds the address (it may
// depend on the viewer).
func apiList(url func(c *call) string, pick picker) func(*call) ([]int64, error) {
	return func(c *call) ([]int64, error) {
		var out []int64
		u := url(c)
		status, err := c.apiPages(u, func(item json.RawMessage) error {
			id, keep, err := pick(item)
			if keep {
				out = append(out, id)
			}
			return err
		})
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("GET %s: status %d", u, status)
		}
		return out, err
	}
}

// fixed is a url for apiList that does not depend on the viewer.
func fixed(u string) func(*call) string { return func(*call) string { return u } }

// apiGetEach opens every id at pattern (with %d for the id): 200 for an allowed item (the
// body's id must be the one asked for; pick may decline to count it), 404 for any other —
// never 403, which would confirm that the item exists.
func apiGetEach(pattern string, pick picker) func(*call) ([]int64, error) {
	return func(c *call) ([]int64, error) {
		var out []int64
		for _, id := range c.all {
			u := fmt.Sprintf(pattern, id)
			status, body, err := c.get(u)
			if err != nil {
				return out, err
			}
			switch status {
			case http.StatusOK:
				got, keep, err := pick(body)
				if err != nil {
					return out, fmt.Errorf("GET %s: %w", u, err)
				}
				if got != id {
					return out, fmt.Errorf("GET %s returned item %d", u, got)
				}
				if keep {
					out = append(out, id)
				}
			case http.StatusNotFound:
			default:
				return out, fmt.Errorf("GET %s: status %d, want 200 or 404: %.300s", u, status, body)
			}
		}
		return out, nil
	}
}
