package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ---- Indicator sharing: collections, STIX object versions, values, status, sightings ----

// IntelCollection is a TAXII collection, tied to one community or one organization.
type IntelCollection struct {
	ID          int64
	UUID        string
	Title       string
	Description string
	CommunityID int64 // 0 when tied to an organization
	OrgID       int64 // 0 when tied to a community
	MemberWrite bool  // a community collection: every member may add, not only center staff
	DefaultTLP  string
	LastAdded   int64 // microseconds
	CreatedBy   int64
	CreatedAt   time.Time
}

const collectionColumns = `k.id, k.uuid, k.title, k.description, COALESCE(k.community_id, 0), COALESCE(k.org_id, 0),
	k.member_write, k.default_tlp, k.last_added, k.created_by, k.created_at`

func scanCollection(s scanner) (IntelCollection, error) {
	var k IntelCollection
	var created int64
	err := s.Scan(&k.ID, &k.UUID, &k.Title, &k.Description, &k.CommunityID, &k.OrgID, &k.MemberWrite, &k.DefaultTLP,
		&k.LastAdded, &k.CreatedBy, &created)
	k.CreatedAt = fromMS(created)
	return k, classify(err)
}

// InsertCollection creates a collection.
func InsertCollection(ctx context.Context, c Conn, k IntelCollection, now time.Time) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO intel_collections (uuid, title, description, community_id, org_id, member_write, default_tlp,
		created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		k.UUID, k.Title, k.Description, nullID(k.CommunityID), nullID(k.OrgID), k.MemberWrite, k.DefaultTLP, k.CreatedBy, ms(now)).Scan(&id)
	return id, classify(err)
}

// GetCollection returns one collection by its number.
func GetCollection(ctx context.Context, c Conn, id int64) (IntelCollection, error) {
	return scanCollection(c.QueryRow(ctx, "SELECT "+collectionColumns+" FROM intel_collections k WHERE k.id = ?", id))
}

// GetCollectionByUUID returns one collection by its TAXII id.
func GetCollectionByUUID(ctx context.Context, c Conn, uuid string) (IntelCollection, error) {
	return scanCollection(c.QueryRow(ctx, "SELECT "+collectionColumns+" FROM intel_collections k WHERE k.uuid = ?", uuid))
}

// ListCollections returns the collections the filter (over the alias k) lets through, by id.
func ListCollections(ctx context.Context, c Conn, f Filter) ([]IntelCollection, error) {
	rows, err := c.Query(ctx, "SELECT "+collectionColumns+" FROM intel_collections k WHERE "+f.where()+" ORDER BY k.id LIMIT 1000", f.Args...)
	return collect(rows, err, scanCollection)
}

// LockCollection takes the collection's write lock for the rest of the transaction (a row
// lock on PostgreSQL; SQLite has one writer) and returns its last date_added. Holding it
// while versions are added makes date_added increase in commit order, so that a reader
// paging by date_added never skips a version committed behind it.
func LockCollection(ctx context.Context, c Conn, id int64) (int64, error) {
	q := "SELECT last_added FROM intel_collections WHERE id = ?"
	if c.backend == Postgres {
		q += " FOR UPDATE"
	}
	var last int64
	err := c.QueryRow(ctx, q, id).Scan(&last)
	return last, classify(err)
}

// SetLastAdded records the collection's newest date_added.
func SetLastAdded(ctx context.Context, c Conn, id, last int64) error {
	_, err := c.Exec(ctx, "UPDATE intel_collections SET last_added = ? WHERE id = ? AND last_added < ?", last, id, last)
	return err
}

// StixVersion is one version of a STIX object in a collection.
type StixVersion struct {
	Seq          int64
	CollectionID int64
	StixID       string
	Type         string
	SpecVersion  string
	Version      string // modified (or created) as received; "" when the object has neither
	Modified     int64  // microseconds
	DateAdded    int64  // microseconds
	IsLatest     bool
	IsFirst      bool
	TLP          string
	AddedBy      int64
	AddedOrg     int64
	Revoked      bool
	ValidUntil   int64 // microseconds, 0 when absent
	Confidence   int   // -1 when absent
	Name         string
	Raw          string
}

// StixValue is one observable value of a version, for correlation and blocklists.
type StixValue struct {
	Kind       string
	Value      string
	Sufficient bool
}

const versionColumns = `o.seq, o.collection_id, o.stix_id, o.type, o.spec_version, o.version, o.modified, o.date_added,
	o.is_latest, o.is_first, o.tlp, o.added_by, o.added_org, o.revoked, o.valid_until, o.confidence, o.name`

func scanVersion(withRaw bool) func(s scanner) (StixVersion, error) {
	return func(s scanner) (StixVersion, error) {
		var v StixVersion
		dest := []any{&v.Seq, &v.CollectionID, &v.StixID, &v.Type, &v.SpecVersion, &v.Version, &v.Modified, &v.DateAdded,
			&v.IsLatest, &v.IsFirst, &v.TLP, &v.AddedBy, &v.AddedOrg, &v.Revoked, &v.ValidUntil, &v.Confidence, &v.Name}
		if withRaw {
			dest = append(dest, &v.Raw)
		}
		return v, classify(s.Scan(dest...))
	}
}

// InsertVersions adds versions to one collection, in a transaction that holds the
// collection's lock, a few hundred rows per statement; values[i] are the values of vs[i].
// It returns, for each version, whether it was added: a version already there (same id
// and modified, in the collection or earlier in vs) is not. The first and latest flags of
// every object touched are kept right.
//
// The statements are prepared once for the call and reused for every full chunk (on
// SQLite, parsing a statement of a few thousand parameters cost as much as running it).
func InsertVersions(ctx context.Context, c Conn, vs []StixVersion, values [][]StixValue) ([]bool, error) {
	added := make([]bool, len(vs))
	ps := newPrepared(c)
	defer ps.close()
	var vals valueRows
	for lo := 0; lo < len(vs); lo += versionChunk {
		hi := min(lo+versionChunk, len(vs))
		if err := insertChunk(ctx, c, ps, vs[lo:hi], values[lo:hi], added[lo:hi], &vals); err != nil {
			return nil, err
		}
	}
	if err := vals.flush(ctx, ps, true); err != nil {
		return nil, err
	}
	return added, nil
}

// Rows per statement: versions (15 parameters each) and values (4 each).
const (
	versionChunk = 200
	valueChunk   = 500
)

// prepared keeps the statements of one call inside a transaction, by text.
type prepared struct {
	c     Conn
	stmts map[string]*sql.Stmt
}

func newPrepared(c Conn) *prepared { return &prepared{c: c, stmts: map[string]*sql.Stmt{}} }

// stmt returns the statement for q, prepared on the transaction; nil when the connection
// is not a transaction (the plain query runs then).
func (p *prepared) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	tx, ok := p.c.q.(*sql.Tx)
	if !ok {
		return nil, nil
	}
	if s, ok := p.stmts[q]; ok {
		return s, nil
	}
	s, err := tx.PrepareContext(ctx, p.c.rebind(q))
	if err != nil {
		return nil, err
	}
	p.stmts[q] = s
	return s, nil
}

func (p *prepared) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := p.stmt(ctx, q)
	if err != nil || s == nil {
		if err != nil {
			return nil, err
		}
		return p.c.Query(ctx, q, args...)
	}
	return s.QueryContext(ctx, args...)
}

func (p *prepared) exec(ctx context.Context, q string, args ...any) error {
	s, err := p.stmt(ctx, q)
	if err != nil {
		return err
	}
	if s == nil {
		_, err = p.c.Exec(ctx, q, args...)
	} else {
		_, err = s.ExecContext(ctx, args...)
	}
	return err
}

func (p *prepared) close() {
	for _, s := range p.stmts {
		s.Close()
	}
}

// valueRows gathers the stix_values rows of a call, written valueChunk at a time.
type valueRows struct {
	n    int
	args []any
}

func (v *valueRows) add(seq int64, x StixValue) {
	v.n++
	v.args = append(v.args, seq, x.Kind, x.Value, x.Sufficient)
}

func (v *valueRows) flush(ctx context.Context, ps *prepared, all bool) error {
	for v.n >= valueChunk || (all && v.n > 0) {
		n := min(v.n, valueChunk)
		if err := ps.exec(ctx, "INSERT INTO stix_values (seq, kind, value, sufficient) VALUES "+repeatRows("(?, ?, ?, ?)", n), v.args[:4*n]...); err != nil {
			return err
		}
		v.n -= n
		v.args = append(v.args[:0], v.args[4*n:]...)
	}
	return nil
}

// repeatRows returns n copies of row joined by ", ".
func repeatRows(row string, n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(row+", ", n-1) + row
}

func insertChunk(ctx context.Context, c Conn, ps *prepared, vs []StixVersion, values [][]StixValue, added []bool, vals *valueRows) error {
	if len(vs) == 0 {
		return nil
	}
	coll := vs[0].CollectionID
	type key struct {
		id  string
		mod int64
	}
	have := make(map[key]bool, len(vs))
	count := make(map[string]int, len(vs)) // versions of each id: stored plus added here
	idArgs := make([]any, 1, len(vs)+1)
	idArgs[0] = coll
	for _, v := range vs {
		if _, ok := count[v.StixID]; !ok {
			count[v.StixID] = 0
			idArgs = append(idArgs, v.StixID)
		}
	}
	rows, err := ps.query(ctx, "SELECT stix_id, modified FROM stix_objects WHERE collection_id = ? AND stix_id IN ("+placeholders(len(idArgs)-1)+")",
		idArgs...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.id, &k.mod); err != nil {
			rows.Close()
			return err
		}
		have[k] = true
		count[k.id]++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	n := 0
	args := make([]any, 0, 15*len(vs))
	byAdded := make(map[int64]int, len(vs))
	for i, v := range vs {
		k := key{v.StixID, v.Modified}
		if have[k] {
			continue
		}
		have[k] = true
		added[i] = true
		count[v.StixID]++
		byAdded[v.DateAdded] = i
		n++
		args = append(args, v.CollectionID, v.StixID, v.Type, v.SpecVersion, v.Version, v.Modified, v.DateAdded, v.TLP,
			v.AddedBy, v.AddedOrg, v.Revoked, v.ValidUntil, v.Confidence, v.Name, v.Raw)
	}
	if n == 0 {
		return nil
	}
	rows, err = ps.query(ctx, `INSERT INTO stix_objects (collection_id, stix_id, type, spec_version, version, modified, date_added,
		is_latest, is_first, tlp, added_by, added_org, revoked, valid_until, confidence, name, raw) VALUES `+
		repeatRows("(?, ?, ?, ?, ?, ?, ?, TRUE, TRUE, ?, ?, ?, ?, ?, ?, ?, ?)", n)+" RETURNING seq, date_added", args...)
	if err != nil {
		return classify(err)
	}
	for rows.Next() {
		var seq, at int64
		if err := rows.Scan(&seq, &at); err != nil {
			rows.Close()
			return err
		}
		vs[byAdded[at]].Seq = seq
		for _, x := range values[byAdded[at]] {
			vals.add(seq, x)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return classify(err)
	}
	if err := vals.flush(ctx, ps, false); err != nil {
		return err
	}
	// Objects with more than one version now: set their flags from their versions.
	var multi []any
	for id, n := range count {
		if n > 1 {
			multi = append(multi, id)
		}
	}
	if len(multi) > 0 {
		_, err := c.Exec(ctx, `UPDATE stix_objects SET
			is_latest = (modified = (SELECT MAX(x.modified) FROM stix_objects x WHERE x.collection_id = stix_objects.collection_id AND x.stix_id = stix_objects.stix_id)),
			is_first = (modified = (SELECT MIN(x.modified) FROM stix_objects x WHERE x.collection_id = stix_objects.collection_id AND x.stix_id = stix_objects.stix_id))
			WHERE collection_id = ? AND stix_id IN (`+placeholders(len(multi))+")", append([]any{coll}, multi...)...)
		return err
	}
	return nil
}

// VersionMode selects versions of each object, as TAXII match[version] does.
type VersionMode struct {
	Last, First, All bool
	Modified         []int64 // microseconds of the versions asked for
}

// ObjectQuery narrows the versions of one collection; zero fields do not narrow.
type ObjectQuery struct {
	CollectionID int64
	AddedAfter   int64 // microseconds: date_added above this
	After        int64 // keyset cursor: date_added above this (the previous page's last)
	IDs          []string
	Types        []string
	SpecVersions []string
	Versions     VersionMode // nothing set: the latest
	Limit        int         // rows returned; one more is read to tell whether there are more
}

func (q ObjectQuery) conditions() (string, []any) {
	where := []string{"o.collection_id = ?"}
	args := []any{q.CollectionID}
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if after := max(q.AddedAfter, q.After); after > 0 {
		add("o.date_added > ?", after)
	}
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		a := make([]any, len(vals))
		for i, v := range vals {
			a[i] = v
		}
		add(col+" IN ("+placeholders(len(vals))+")", a...)
	}
	in("o.stix_id", q.IDs)
	in("o.type", q.Types)
	in("o.spec_version", q.SpecVersions)
	vm := q.Versions
	if !vm.All {
		var alts []string
		if vm.Last || (!vm.First && len(vm.Modified) == 0) {
			alts = append(alts, "o.is_latest")
		}
		if vm.First {
			alts = append(alts, "o.is_first")
		}
		if len(vm.Modified) > 0 {
			alts = append(alts, "o.modified IN ("+placeholders(len(vm.Modified))+")")
			args = append(args, int64Args(vm.Modified)...)
		}
		where = append(where, "("+strings.Join(alts, " OR ")+")")
	}
	return strings.Join(where, " AND "), args
}

// QueryVersions returns the versions matching q that the access filter (over the alias o)
// lets through, by date_added, with their bytes when withRaw; more says whether another
// page follows.
func QueryVersions(ctx context.Context, c Conn, f Filter, q ObjectQuery, withRaw bool) (out []StixVersion, more bool, err error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	text, args := versionsQuery(f, q, withRaw, limit)
	rows, err := c.Query(ctx, text, args...)
	out, err = collect(rows, err, scanVersion(withRaw))
	if len(out) > limit {
		return out[:limit], true, err
	}
	return out, false, err
}

func versionsQuery(f Filter, q ObjectQuery, withRaw bool, limit int) (string, []any) {
	cond, args := q.conditions()
	cols := versionColumns
	if withRaw {
		cols += ", o.raw"
	}
	return "SELECT " + cols + " FROM stix_objects o WHERE " + cond + " AND " + f.where() +
		fmt.Sprintf(" ORDER BY o.date_added LIMIT %d", limit+1), append(args, f.Args...)
}

// QueryVersionsPlan returns SQLite's plan of QueryVersions (EXPLAIN QUERY PLAN, one
// line per step), for tests that check the TAXII filters use an index.
func QueryVersionsPlan(ctx context.Context, c Conn, f Filter, q ObjectQuery) ([]string, error) {
	if c.backend != SQLite {
		return nil, errors.New("query plans are read on SQLite only")
	}
	text, args := versionsQuery(f, q, true, max(q.Limit, 1))
	rows, err := c.Query(ctx, "EXPLAIN QUERY PLAN "+text, args...)
	return collect(rows, err, func(s scanner) (string, error) {
		var id, parent, unused int
		var detail string
		err := s.Scan(&id, &parent, &unused, &detail)
		return detail, err
	})
}

// GetVersion returns one version by seq, with its bytes.
func GetVersion(ctx context.Context, c Conn, seq int64) (StixVersion, error) {
	return scanVersion(true)(c.QueryRow(ctx, "SELECT "+versionColumns+", o.raw FROM stix_objects o WHERE o.seq = ?", seq))
}

// DeleteVersions removes the versions of an object that q selects (q.IDs holds the one
// id) and sets the first and latest flags of what remains. It returns how many went.
func DeleteVersions(ctx context.Context, c Conn, q ObjectQuery) (int, error) {
	if len(q.IDs) != 1 {
		return 0, errors.New("delete one object at a time")
	}
	cond, args := q.conditions()
	res, err := c.Exec(ctx, "DELETE FROM stix_objects WHERE seq IN (SELECT o.seq FROM stix_objects o WHERE "+cond+")", args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return int(n), err
	}
	for _, flag := range []struct{ col, agg string }{{"is_latest", "MAX"}, {"is_first", "MIN"}} {
		if _, err := c.Exec(ctx, fmt.Sprintf(`UPDATE stix_objects SET %s = (modified = (SELECT %s(x.modified) FROM stix_objects x
			WHERE x.collection_id = stix_objects.collection_id AND x.stix_id = stix_objects.stix_id))
			WHERE collection_id = ? AND stix_id = ?`, flag.col, flag.agg), q.CollectionID, q.IDs[0]); err != nil {
			return 0, err
		}
	}
	return int(n), nil
}

// ---- Indicators for people: lists, correlation, exports ----

// IndicatorQuery narrows a list of the latest versions of indicators.
type IndicatorQuery struct {
	CollectionID int64
	TLP          string
	Kind         string // only indicators with a value of this kind
	Value        string // only indicators with exactly this value (after normalising)
	ValidAt      int64  // microseconds: only indicators valid then (not revoked, valid_until after)
	Before       int64  // keyset: seq below this
	Limit        int
}

// ListIndicators returns the latest versions of indicators the filter (over the alias o)
// lets through, newest first.
func ListIndicators(ctx context.Context, c Conn, f Filter, q IndicatorQuery) ([]StixVersion, error) {
	where := []string{"o.type = 'indicator'", "o.is_latest"}
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if q.CollectionID != 0 {
		add("o.collection_id = ?", q.CollectionID)
	}
	if q.TLP != "" {
		add("o.tlp = ?", q.TLP)
	}
	switch {
	case q.Value != "" && q.Kind != "":
		add("o.seq IN (SELECT seq FROM stix_values WHERE kind = ? AND value = ?)", q.Kind, q.Value)
	case q.Value != "":
		add("o.seq IN (SELECT seq FROM stix_values WHERE value = ?)", q.Value)
	case q.Kind != "":
		add("EXISTS (SELECT 1 FROM stix_values v WHERE v.seq = o.seq AND v.kind = ?)", q.Kind)
	}
	if q.ValidAt > 0 {
		add("o.revoked = FALSE AND (o.valid_until = 0 OR o.valid_until > ?)", q.ValidAt)
	}
	if q.Before > 0 {
		add("o.seq < ?", q.Before)
	}
	limit := Page{Limit: q.Limit}.limit()
	rows, err := c.Query(ctx, "SELECT "+versionColumns+" FROM stix_objects o WHERE "+strings.Join(where, " AND ")+" AND "+f.where()+
		fmt.Sprintf(" ORDER BY o.seq DESC LIMIT %d", limit), append(args, f.Args...)...)
	return collect(rows, err, scanVersion(false))
}

// VersionValues returns the observable values of versions, by seq.
func VersionValues(ctx context.Context, c Conn, seqs []int64) (map[int64][]StixValue, error) {
	out := map[int64][]StixValue{}
	if len(seqs) == 0 {
		return out, nil
	}
	rows, err := c.Query(ctx, "SELECT seq, kind, value, sufficient FROM stix_values WHERE seq IN ("+placeholders(len(seqs))+") ORDER BY seq", int64Args(seqs)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var v StixValue
		if err := rows.Scan(&seq, &v.Kind, &v.Value, &v.Sufficient); err != nil {
			return nil, err
		}
		out[seq] = append(out[seq], v)
	}
	return out, rows.Err()
}

// ObjectVersionsAnywhere returns every version of an object id across collections that
// the filter lets through, oldest first.
func ObjectVersionsAnywhere(ctx context.Context, c Conn, f Filter, stixID string) ([]StixVersion, error) {
	rows, err := c.Query(ctx, "SELECT "+versionColumns+", o.raw FROM stix_objects o WHERE o.stix_id = ? AND "+f.where()+
		" ORDER BY o.modified, o.seq LIMIT 1000", append([]any{stixID}, f.Args...)...)
	return collect(rows, err, scanVersion(true))
}

// Correlated returns the latest versions, other than of the object stixID, that share one
// of the values, among those the filter lets through: an index look-up per value.
func Correlated(ctx context.Context, c Conn, f Filter, stixID string, values []StixValue, limit int) ([]StixVersion, error) {
	if len(values) == 0 {
		return nil, nil
	}
	q, args := correlatedQuery(f, stixID, values, limit)
	rows, err := c.Query(ctx, q, args...)
	return collect(rows, err, scanVersion(false))
}

func correlatedQuery(f Filter, stixID string, values []StixValue, limit int) (string, []any) {
	match, args := valueMatch("v.kind", "v.value", values)
	args = append(args, stixID)
	return "SELECT " + versionColumns + " FROM stix_objects o WHERE o.seq IN (SELECT v.seq FROM stix_values v WHERE " + match +
		") AND o.is_latest AND o.stix_id <> ? AND " + f.where() +
		fmt.Sprintf(" ORDER BY o.seq DESC LIMIT %d", Page{Limit: limit}.limit()), append(args, f.Args...)
}

// ExportQuery selects the values a blocking device receives from one collection.
type ExportQuery struct {
	CollectionID  int64
	Kinds         []string
	TLPs          []string
	MinConfidence int   // -1: any, including none
	ValidAt       int64 // microseconds
	// Keyset: values after (AfterSeq, AfterKind, AfterValue) in export order.
	AfterSeq   int64
	AfterKind  string
	AfterValue string
	Limit      int
}

// ExportRow is one value of an export, with the indicator it comes from.
type ExportRow struct {
	Seq        int64
	Kind       string
	Value      string
	StixID     string
	TLP        string
	Confidence int
	ValidUntil int64
}

// ExportValues returns the sufficient values of the latest, unrevoked, valid indicator
// versions of a collection that the filter lets through, in seq order.
func ExportValues(ctx context.Context, c Conn, f Filter, q ExportQuery) ([]ExportRow, error) {
	where := []string{"o.collection_id = ?", "o.is_latest", "o.type = 'indicator'", "o.revoked = FALSE",
		"(o.valid_until = 0 OR o.valid_until > ?)", "v.sufficient",
		"(o.seq > ? OR (o.seq = ? AND (v.kind > ? OR (v.kind = ? AND v.value > ?))))"}
	args := []any{q.CollectionID, q.ValidAt, q.AfterSeq, q.AfterSeq, q.AfterKind, q.AfterKind, q.AfterValue}
	if len(q.Kinds) > 0 {
		where = append(where, "v.kind IN ("+placeholders(len(q.Kinds))+")")
		for _, k := range q.Kinds {
			args = append(args, k)
		}
	}
	if len(q.TLPs) > 0 {
		where = append(where, "o.tlp IN ("+placeholders(len(q.TLPs))+")")
		for _, t := range q.TLPs {
			args = append(args, t)
		}
	}
	if q.MinConfidence >= 0 {
		where = append(where, "o.confidence >= ?")
		args = append(args, q.MinConfidence)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 5000
	}
	rows, err := c.Query(ctx, "SELECT o.seq, v.kind, v.value, o.stix_id, o.tlp, o.confidence, o.valid_until FROM stix_objects o JOIN stix_values v ON v.seq = o.seq WHERE "+
		strings.Join(where, " AND ")+" AND "+f.where()+fmt.Sprintf(" ORDER BY o.seq, v.kind, v.value LIMIT %d", limit), append(args, f.Args...)...)
	return collect(rows, err, func(s scanner) (ExportRow, error) {
		var r ExportRow
		err := s.Scan(&r.Seq, &r.Kind, &r.Value, &r.StixID, &r.TLP, &r.Confidence, &r.ValidUntil)
		return r, err
	})
}

// ---- TAXII status resources ----

// TaxiiStatus is the outcome of one envelope POST.
type TaxiiStatus struct {
	ID           string
	CollectionID int64
	UserID       int64
	Status       string
	RequestedAt  int64 // microseconds
	Total        int
	Success      int
	Failure      int
	Pending      int
	Details      string // JSON: successes, failures, pendings
}

// InsertStatus saves a status resource.
func InsertStatus(ctx context.Context, c Conn, s TaxiiStatus) error {
	_, err := c.Exec(ctx, `INSERT INTO taxii_status (id, collection_id, user_id, status, requested_at, total, success_count, failure_count,
		pending_count, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.ID, s.CollectionID, s.UserID, s.Status, s.RequestedAt,
		s.Total, s.Success, s.Failure, s.Pending, s.Details)
	return classify(err)
}

// GetStatus returns a status resource.
func GetStatus(ctx context.Context, c Conn, id string) (TaxiiStatus, error) {
	var s TaxiiStatus
	err := c.QueryRow(ctx, `SELECT id, collection_id, user_id, status, requested_at, total, success_count, failure_count, pending_count, details
		FROM taxii_status WHERE id = ?`, id).Scan(&s.ID, &s.CollectionID, &s.UserID, &s.Status, &s.RequestedAt, &s.Total, &s.Success,
		&s.Failure, &s.Pending, &s.Details)
	return s, classify(err)
}

// ---- Organizations' identities ----

// OrgIdentity returns the STIX identity of an organization: its id and object.
func OrgIdentity(ctx context.Context, c Conn, orgID int64) (id, raw string, err error) {
	err = c.QueryRow(ctx, "SELECT stix_id, raw FROM intel_identities WHERE org_id = ?", orgID).Scan(&id, &raw)
	return id, raw, classify(err)
}

// InsertOrgIdentity records an organization's STIX identity.
func InsertOrgIdentity(ctx context.Context, c Conn, orgID int64, id, raw string, now time.Time) error {
	_, err := c.Exec(ctx, "INSERT INTO intel_identities (org_id, stix_id, raw, created_at) VALUES (?, ?, ?, ?)", orgID, id, raw, ms(now))
	return classify(err)
}

// ---- Sightings ----

// Sighting is one organization's record of having seen an indicator.
type Sighting struct {
	CollectionID int64
	StixID       string
	OrgID        int64
	Count        int
	FirstSeen    time.Time
	LastSeen     time.Time
	UpdatedBy    int64
	UpdatedAt    time.Time
}

// AddSighting adds count sightings between first and last to an organization's record.
func AddSighting(ctx context.Context, c Conn, s Sighting) error {
	_, err := c.Exec(ctx, `INSERT INTO intel_sightings (collection_id, stix_id, org_id, count, first_seen, last_seen, updated_by, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (collection_id, stix_id, org_id) DO UPDATE SET
		count = intel_sightings.count + excluded.count,
		first_seen = CASE WHEN excluded.first_seen < intel_sightings.first_seen THEN excluded.first_seen ELSE intel_sightings.first_seen END,
		last_seen = CASE WHEN excluded.last_seen > intel_sightings.last_seen THEN excluded.last_seen ELSE intel_sightings.last_seen END,
		updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		s.CollectionID, s.StixID, s.OrgID, s.Count, ms(s.FirstSeen), ms(s.LastSeen), s.UpdatedBy, ms(s.UpdatedAt))
	return classify(err)
}

// ListSightings returns the sightings of an object in a collection that the filter (over
// the alias s) lets through.
func ListSightings(ctx context.Context, c Conn, f Filter, collectionID int64, stixID string) ([]Sighting, error) {
	rows, err := c.Query(ctx, `SELECT s.collection_id, s.stix_id, s.org_id, s.count, s.first_seen, s.last_seen, s.updated_by, s.updated_at
		FROM intel_sightings s WHERE s.collection_id = ? AND s.stix_id = ? AND `+f.where()+" ORDER BY s.org_id LIMIT 1000",
		append([]any{collectionID, stixID}, f.Args...)...)
	return collect(rows, err, func(sc scanner) (Sighting, error) {
		var s Sighting
		var first, last, upd int64
		err := sc.Scan(&s.CollectionID, &s.StixID, &s.OrgID, &s.Count, &first, &last, &s.UpdatedBy, &upd)
		s.FirstSeen, s.LastSeen, s.UpdatedAt = fromMS(first), fromMS(last), fromMS(upd)
		return s, err
	})
}
