package intel_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/ioc"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// A URL indicator whose pattern writes the scheme and host in capitals is the same URL as
// the one a topic names in lower case: they correlate, and a search for the URL finds the
// indicator however its host is written. The path keeps its case: /login is another URL.
func TestURLIndicatorMatchesWhateverTheHostsCase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		if _, err := w.env.Intel.AddObjects(ctx, w.pSato, w.shared.UUID, envelope(
			indicator(ind2, "2026-07-01T00:00:00.000Z", "[url:value = 'HTTPS://Phish.EXAMPLE.com/Login?Next=/Home']", ""))); err != nil {
			t.Fatal(err)
		}
		post := func(body string) model.Topic {
			tp, err := w.env.SNS.CreateTopic(ctx, w.pSato, sns.TopicInput{CommunityID: w.comm.ID, InfoType: "alert", TLP: "green",
				Title: "偽ログインページ", Body: body, Scope: "community"})
			if err != nil {
				t.Fatal(err)
			}
			return tp
		}
		same := post("誘導先 hxxps://phish.example[.]com/Login?Next=/Home を確認")
		post("別の URL https://phish.example.com/login?next=/home")

		for _, q := range []string{"https://PHISH.example.com/Login?Next=/Home", "hxxps://phish.example[.]com/Login?Next=/Home"} {
			list, err := w.env.Intel.Indicators(ctx, w.pTanaka, intel.IndicatorQuery{Value: q})
			if err != nil || len(list) != 1 || list[0].StixID != ind2 {
				t.Fatalf("search %q: %+v, %v", q, list, err)
			}
			if v := list[0].Values; len(v) != 1 || v[0].Value != "https://phish.example.com/Login?Next=/Home" {
				t.Errorf("stored value %+v", v)
			}
			o, err := w.env.Intel.Object(ctx, w.pTanaka, list[0].Seq)
			if err != nil {
				t.Fatal(err)
			}
			if got := itemIDs(o.Topics); !slices.Equal(got, []int64{same.ID}) {
				t.Errorf("correlated topics %v, want only %d (the path's case counts)", got, same.ID)
			}
		}
	})
}

// Migration 15 writes the URL values stored before it as ioc does, except one with user
// information, and leaves the other kinds alone.
func TestUpgradeWritesStoredURLValuesAsTopicsDo(t *testing.T) {
	for _, b := range testdb.Backends {
		t.Run(string(b), func(t *testing.T) {
			db := testdb.At(t, b, 14)
			if db == nil {
				t.Skip("RENKEI_TEST_POSTGRES is not set")
			}
			ctx := context.Background()
			values := []struct{ kind, before, after string }{
				{"url", "HTTP://Evil.EXAMPLE.com/Login?Next=/Home#Top", ""},
				{"url", "https://EVIL.example.com", ""},
				{"url", "https://Evil.Example.com?Q=A/B", ""},
				{"url", "https://Evil.Example.com#Frag/X", ""},
				{"url", "https://203.0.113.7:8443/Payload.EXE", ""},
				{"url", "http://[2001:DB8::1]/X", ""},
				{"url", "https://evil.example.com/already/Lower", ""},
				{"url", "https://Admin:Secret@Evil.Example.com/P", "https://Admin:Secret@Evil.Example.com/P"},
				{"domain", "Evil.Example.com", "Evil.Example.com"},
			}
			err := db.Write(ctx, func(c store.Conn) error {
				for _, q := range []string{
					`INSERT INTO orgs (id, name_ja, name_en, name_ja_key, name_en_key, kind, sector, created_at, updated_at)
						VALUES (1, '電力A', 'Power A', '電力a', 'power a', 'operator', '', 1, 1)`,
					`INSERT INTO intel_collections (id, uuid, title, org_id, created_at) VALUES (1, 'c', 'c', 1, 1)`,
				} {
					if _, err := c.Exec(ctx, q); err != nil {
						return err
					}
				}
				for i, v := range values {
					seq := i + 1
					if _, err := c.Exec(ctx, `INSERT INTO stix_objects (seq, collection_id, stix_id, type, spec_version, version, modified, date_added, tlp, raw)
						VALUES (?, 1, ?, 'indicator', '2.1', 'v', 1, ?, 'green', '{}')`, seq, fmt.Sprintf("indicator--%d", seq), seq); err != nil {
						return err
					}
					if _, err := c.Exec(ctx, `INSERT INTO stix_values (seq, kind, value) VALUES (?, ?, ?)`, seq, v.kind, v.before); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			for i, v := range values {
				want := v.after
				if want == "" {
					n, ok := ioc.NormalURL(v.before)
					if !ok {
						t.Fatalf("%q is not a URL to ioc", v.before)
					}
					want = n
				}
				var got string
				if err := db.Read().QueryRow(ctx, `SELECT value FROM stix_values WHERE seq = ?`, i+1).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%s %q became %q, want %q", v.kind, v.before, got, want)
				}
			}
		})
	}
}
