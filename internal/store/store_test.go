package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func TestMigrateTwiceIsANoop(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		applied, err := db.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %v, %v", applied, err)
		}
		v, err := db.SchemaVersion(ctx)
		if err != nil || v < 1 {
			t.Fatalf("schema version %d, %v", v, err)
		}
	})
}

func TestBothBackendsHaveTheSameMigrations(t *testing.T) {
	a, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.Migrations(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Version != b[i].Version || a[i].Name != b[i].Name {
			t.Errorf("migration %d: sqlite %04d_%s, postgres %04d_%s", i, a[i].Version, a[i].Name, b[i].Version, b[i].Name)
		}
	}
}

func TestOrgRoundTripAndDuplicates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 7, 24, 9, 0, 0, 0, time.UTC)
		o := model.Org{NameJA: "東都電力", NameEN: "Toto Power", Kind: model.KindOperator, Sector: "electricity",
			Contacts: []model.Contact{{Label: "SOC", Email: "soc@toto.example", Phone: "03-0000-0000"}}}
		var id int64
		err := db.Write(ctx, func(c store.Conn) (err error) {
			id, err = store.InsertOrg(ctx, c, o, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := store.GetOrg(ctx, db.Read(), id)
		if err != nil {
			t.Fatal(err)
		}
		if got.NameJA != o.NameJA || got.Sector != "electricity" || len(got.Contacts) != 1 || !got.CreatedAt.Equal(now) {
			t.Fatalf("round trip: %+v", got)
		}
		// Same name in another width and case is a duplicate.
		err = db.Write(ctx, func(c store.Conn) error {
			_, err := store.InsertOrg(ctx, c, model.Org{NameJA: "東都電力 ", NameEN: "TOTO POWER", Kind: model.KindOperator}, now)
			return err
		})
		if !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("duplicate insert: %v", err)
		}
		found, err := store.FindOrg(ctx, db.Read(), "ｔｏｔｏ power")
		if err != nil || found.ID != id {
			t.Fatalf("find by normalized English name: %v %v", found.ID, err)
		}
	})
}

func TestWriteRollsBackOnError(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := db.Write(ctx, func(c store.Conn) error {
			if _, err := store.InsertOrg(ctx, c, model.Org{NameJA: "a", NameEN: "a", Kind: model.KindOther}, time.Now()); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		n, err := store.CountOrgs(ctx, db.Read())
		if err != nil || n != 0 {
			t.Fatalf("after rollback %d orgs, %v", n, err)
		}
	})
}

// Reads go through prepared statements kept by query text; a bad text still reports its
// error, and past the bound new texts run unprepared with the same results.
func TestReadStatementCache(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i := range 300 {
			var n int
			q := fmt.Sprintf("SELECT %d + ?", i)
			for range 2 {
				if err := db.Read().QueryRow(ctx, q, 1).Scan(&n); err != nil || n != i+1 {
					t.Fatalf("%s: %d, %v", q, n, err)
				}
			}
		}
		if err := db.Read().QueryRow(ctx, "SELECT FROM WHERE").Scan(new(int)); err == nil {
			t.Error("a bad statement ran")
		}
		if _, err := db.Read().Query(ctx, "SELECT nothing FROM nowhere"); err == nil {
			t.Error("a query of a missing table ran")
		}
	})
}

// Optimize leaves the planner's averages in a SQLite database but no histograms (and does
// nothing on PostgreSQL, whose autovacuum keeps its own).
func TestOptimizeWritesStatistics(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Optimize(ctx); err != nil {
			t.Fatal(err)
		}
		if db.Backend() != store.SQLite {
			return
		}
		var n int
		if err := db.Read().QueryRow(ctx, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'").Scan(&n); err != nil || n != 1 {
			t.Errorf("sqlite_stat1: %d, %v", n, err)
		}
		// Histograms, were a full ANALYZE to write them, are dropped again.
		if err := db.Write(ctx, func(c store.Conn) error {
			for _, q := range []string{"CREATE TABLE sample (v INTEGER)", "CREATE INDEX sample_v ON sample (v)",
				"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO sample SELECT i % 7 FROM n",
				"PRAGMA analysis_limit = 0", "ANALYZE"} {
				if _, err := c.Exec(ctx, q); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.Read().QueryRow(ctx, "SELECT COUNT(*) FROM sqlite_stat4").Scan(&n); err != nil || n == 0 {
			t.Fatalf("ANALYZE wrote no histogram (%d, %v)", n, err)
		}
		if err := db.Optimize(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.Read().QueryRow(ctx, "SELECT COUNT(*) FROM sqlite_stat4").Scan(&n); err != nil || n != 0 {
			t.Errorf("sqlite_stat4 holds %d rows (%v)", n, err)
		}
	})
}
