package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

var ctx = context.Background()

var t0 = time.Date(2026, 7, 24, 0, 0, 0, 123456789, time.UTC)

var admin = audit.Actor{UserID: 7, Email: "admin@ccc.example", IP: "192.0.2.7"}

// appendN appends n records, one transaction each, and returns them.
func appendN(t *testing.T, db *store.DB, n int) []model.AuditRecord {
	t.Helper()
	var out []model.AuditRecord
	for i := 1; i <= n; i++ {
		e := audit.Entry{Actor: admin, Action: fmt.Sprintf("test.action%d", i), TargetType: "org", TargetID: int64(100 + i),
			Detail: map[string]any{"i": i, "name": "組織"}}
		out = append(out, appendOne(t, db, e, t0.Add(time.Duration(i)*time.Second)))
	}
	return out
}

func appendOne(t *testing.T, db *store.DB, e audit.Entry, at time.Time) model.AuditRecord {
	t.Helper()
	var r model.AuditRecord
	err := db.Write(ctx, func(c store.Conn) error {
		var err error
		r, err = audit.Append(ctx, c, e, at)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	err := db.Write(ctx, func(c store.Conn) error {
		_, err := c.Exec(ctx, q, args...)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func verify(t *testing.T, db *store.DB) audit.Report {
	t.Helper()
	rep, err := audit.Verify(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func countRecords(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRow(ctx, "SELECT COUNT(*) FROM audit_log").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAppendChainsRecords(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		recs := appendN(t, db, 3)
		for i, r := range recs {
			if r.Seq != int64(i+1) {
				t.Errorf("record %d has seq %d", i, r.Seq)
			}
			prev := audit.Genesis
			if i > 0 {
				prev = recs[i-1].Hash
			}
			if r.PrevHash != prev {
				t.Errorf("record %d does not chain: prev %s, want %s", r.Seq, r.PrevHash, prev)
			}
			if r.Hash != audit.Hash(r) || len(r.Hash) != 64 {
				t.Errorf("record %d hash %s", r.Seq, r.Hash)
			}
		}
		if recs[0].Hash == recs[1].Hash {
			t.Fatal("two records share a hash")
		}
		// What is stored is what was hashed: times in whole milliseconds, UTC, canonical detail.
		r := recs[0]
		if !r.At.Equal(t0.Add(time.Second).Truncate(time.Millisecond)) || r.At.Location() != time.UTC {
			t.Errorf("At %v", r.At)
		}
		if r.Detail != `{"i":1,"name":"組織"}` {
			t.Errorf("detail %s", r.Detail)
		}
		stored, err := store.ListAudit(ctx, db.Read(), store.AuditQuery{})
		if err != nil || len(stored) != 3 {
			t.Fatalf("%d stored, %v", len(stored), err)
		}
		if got := stored[2]; got != r {
			t.Errorf("stored %+v\nappended %+v", got, r)
		}
		// No detail is stored as an empty object.
		e := appendOne(t, db, audit.Entry{Action: "test.bare"}, t0)
		if e.Detail != "{}" || e.ActorEmail != "" || e.ActorUserID != 0 {
			t.Errorf("bare record %+v", e)
		}
	})
}

func TestDetailIsCanonicalWhateverTheMapOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		detail := map[string]any{}
		for _, k := range []string{"zeta", "alpha", "mu", "beta", "omega"} {
			detail[k] = k
		}
		r := appendOne(t, db, audit.Entry{Action: "x", Detail: detail}, t0)
		if r.Detail != `{"alpha":"alpha","beta":"beta","mu":"mu","omega":"omega","zeta":"zeta"}` {
			t.Fatalf("detail %s", r.Detail)
		}
	})
}

func TestAppendRollsBackWithItsTransaction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		appendN(t, db, 2)
		err := db.Write(ctx, func(c store.Conn) error {
			if _, err := audit.Append(ctx, c, audit.Entry{Action: "test.doomed"}, t0); err != nil {
				return err
			}
			return fmt.Errorf("the action failed")
		})
		if err == nil {
			t.Fatal("no error")
		}
		if n := countRecords(t, db); n != 2 {
			t.Fatalf("%d records after a rolled-back append", n)
		}
		if r := appendOne(t, db, audit.Entry{Action: "test.next"}, t0); r.Seq != 3 {
			t.Fatalf("next seq %d", r.Seq)
		}
		if rep := verify(t, db); !rep.OK() || rep.Records != 3 {
			t.Fatalf("%+v", rep)
		}
	})
}

func TestVerifyAcceptsAnUntouchedChain(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		rep := verify(t, db)
		if !rep.OK() || rep.Records != 0 || rep.LastSeq != 0 || rep.LastHash != audit.Genesis {
			t.Fatalf("empty log: %+v", rep)
		}
		recs := appendN(t, db, 5)
		rep = verify(t, db)
		if !rep.OK() || rep.Records != 5 || rep.LastSeq != 5 || rep.LastHash != recs[4].Hash || rep.Reason != "" {
			t.Fatalf("%+v", rep)
		}
	})
}

func TestVerifyWalksPastOneBatch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		const n = 1205 // the walk reads 1000 at a time
		err := db.Write(ctx, func(c store.Conn) error {
			for i := 0; i < n; i++ {
				if _, err := audit.Append(ctx, c, audit.Entry{Action: "test.bulk", TargetID: int64(i)}, t0); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if rep := verify(t, db); !rep.OK() || rep.Records != n {
			t.Fatalf("%+v", rep)
		}
		exec(t, db, "UPDATE audit_log SET target_id = 0 WHERE seq = 1100")
		if rep := verify(t, db); rep.BrokenAt != 1100 || rep.Records != 1099 {
			t.Fatalf("tampering in the second batch: %+v", rep)
		}
	})
}

func TestVerifyNamesTheFirstTamperedRecord(t *testing.T) {
	cases := []struct {
		name     string
		tamper   func(t *testing.T, db *store.DB, recs []model.AuditRecord)
		brokenAt int64
		good     int64 // records that verify before the break
		reason   string
	}{
		{"action changed", func(t *testing.T, db *store.DB, _ []model.AuditRecord) {
			exec(t, db, "UPDATE audit_log SET action = 'test.harmless' WHERE seq = 3")
		}, 3, 2, "altered"},
		{"detail changed", func(t *testing.T, db *store.DB, _ []model.AuditRecord) {
			exec(t, db, `UPDATE audit_log SET detail = '{"i":2,"name":"別組織"}' WHERE seq = 2`)
		}, 2, 1, "altered"},
		{"detail reformatted only", func(t *testing.T, db *store.DB, _ []model.AuditRecord) {
			exec(t, db, `UPDATE audit_log SET detail = '{"name":"組織","i":4}' WHERE seq = 4`)
		}, 4, 3, "altered"},
		{"actor changed", func(t *testing.T, db *store.DB, _ []model.AuditRecord) {
			exec(t, db, "UPDATE audit_log SET actor_email = 'someone@else.example', actor_user_id = 8 WHERE seq = 1")
		}, 1, 0, "altered"},
		{"time changed", func(t *testing.T, db *store.DB, _ []model.AuditRecord) {
			exec(t, db, "UPDATE audit_log SET at = at + 1 WHERE seq = 5")
		}, 5, 4, "altered"},
		{"address changed", func(t *testing.T, db *store.DB, _ []model.AuditRecord) {
			exec(t, db, "UPDATE audit_log SET ip = '198.51.100.1' WHERE seq = 2")
		}, 2, 1, "altered"},
		{"target changed", func(t *testing.T, db *store.DB, _ []model.AuditRecord) {
			exec(t, db, "UPDATE audit_log SET target_type = 'user', target_id = 1 WHERE seq = 4")
		}, 4, 3, "altered"},
		{"record changed and its own hash recomputed", func(t *testing.T, db *store.DB, recs []model.AuditRecord) {
			r := recs[2]
			r.Action = "test.harmless"
			r.Hash = audit.Hash(r)
			exec(t, db, "UPDATE audit_log SET action = ?, hash = ? WHERE seq = 3", r.Action, r.Hash)
		}, 4, 3, "previous-hash"},
		{"middle record deleted", func(t *testing.T, db *store.DB, _ []model.AuditRecord) {
			exec(t, db, "DELETE FROM audit_log WHERE seq = 3")
		}, 4, 2, "missing"},
		{"first record deleted", func(t *testing.T, db *store.DB, _ []model.AuditRecord) {
			exec(t, db, "DELETE FROM audit_log WHERE seq = 1")
		}, 2, 0, "missing"},
		{"middle record deleted and the rest renumbered", func(t *testing.T, db *store.DB, _ []model.AuditRecord) {
			exec(t, db, "DELETE FROM audit_log WHERE seq = 3")
			exec(t, db, "UPDATE audit_log SET seq = 3 WHERE seq = 4")
			exec(t, db, "UPDATE audit_log SET seq = 4 WHERE seq = 5")
		}, 3, 2, "previous-hash"},
		{"two records swapped", func(t *testing.T, db *store.DB, _ []model.AuditRecord) {
			exec(t, db, "UPDATE audit_log SET seq = -2 WHERE seq = 2")
			exec(t, db, "UPDATE audit_log SET seq = 2 WHERE seq = 3")
			exec(t, db, "UPDATE audit_log SET seq = 3 WHERE seq = -2")
		}, 2, 1, "previous-hash"},
		{"forged record appended", func(t *testing.T, db *store.DB, recs []model.AuditRecord) {
			forged := model.AuditRecord{Seq: 6, At: t0, Action: "test.forged", Detail: "{}", PrevHash: recs[3].Hash}
			forged.Hash = audit.Hash(forged)
			if err := db.Write(ctx, func(c store.Conn) error { return store.InsertAudit(ctx, c, forged) }); err != nil {
				t.Fatal(err)
			}
		}, 6, 5, "previous-hash"},
		{"record inserted between two", func(t *testing.T, db *store.DB, recs []model.AuditRecord) {
			exec(t, db, "UPDATE audit_log SET seq = 6 WHERE seq = 5")
			exec(t, db, "UPDATE audit_log SET seq = 5 WHERE seq = 4")
			forged := model.AuditRecord{Seq: 4, At: t0, Action: "test.forged", Detail: "{}", PrevHash: recs[2].Hash}
			forged.Hash = audit.Hash(forged)
			if err := db.Write(ctx, func(c store.Conn) error { return store.InsertAudit(ctx, c, forged) }); err != nil {
				t.Fatal(err)
			}
		}, 5, 4, "previous-hash"},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			testdb.Each(t, func(t *testing.T, db *store.DB) {
				recs := appendN(t, db, 5)
				tc.tamper(t, db, recs)
				rep := verify(t, db)
				if rep.OK() || rep.BrokenAt != tc.brokenAt || !strings.Contains(rep.Reason, tc.reason) {
					t.Fatalf("got %+v, want broken at %d (%s)", rep, tc.brokenAt, tc.reason)
				}
				if rep.Records != tc.good {
					t.Errorf("%d good records before %d, want %d", rep.Records, rep.BrokenAt, tc.good)
				}
				want := audit.Genesis
				if rep.LastSeq > 0 {
					if err := db.Read().QueryRow(ctx, "SELECT hash FROM audit_log WHERE seq = ?", rep.LastSeq).Scan(&want); err != nil {
						t.Fatal(err)
					}
				}
				if rep.LastHash != want {
					t.Errorf("last good hash %s, want that of record %d", rep.LastHash, rep.LastSeq)
				}
			})
		})
	}
}

func TestTruncationIsSeenOnlyAgainstANotedHash(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		appendN(t, db, 5)
		noted := verify(t, db).LastHash
		exec(t, db, "DELETE FROM audit_log WHERE seq >= 4")
		rep := verify(t, db)
		if !rep.OK() || rep.LastSeq != 3 {
			t.Fatalf("%+v", rep)
		}
		if rep.LastHash == noted {
			t.Fatal("a truncated chain reports the hash noted before")
		}
	})
}

// env returns an app with a center admin, an analyst and a member, and their principals.
func env(t *testing.T, db *store.DB) (e *testapp.Env, adminP, analystP, memberP auth.Principal) {
	t.Helper()
	e = testapp.New(t, db)
	center := e.Org("対処調整センター", model.KindCenter)
	a := e.Person(center, "admin@ccc.example", model.RoleCenterAdmin)
	an := e.Person(center, "analyst@ccc.example", model.RoleAnalyst)
	m := e.Person(e.Org("東都電力", model.KindOperator), "m@toto.example", model.RoleMember)
	return e, e.Principal(a), e.Principal(an), e.Principal(m)
}

func TestVerifyAsIsForCenterAdminsAndIsRecorded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e, adminP, analystP, memberP := env(t, db)
		orgAdmin := e.Person(e.Org("大会組織委員会", model.KindOrganizer), "oa@org.example", model.RoleOrgAdmin)
		before := countRecords(t, db)
		for name, p := range map[string]auth.Principal{"member": memberP, "analyst": analystP, "org admin": e.Principal(orgAdmin)} {
			if _, err := audit.VerifyAs(ctx, db, p.Actor, p.AuditActor(), e.Clock.Now()); !fault.Is(err, fault.Forbidden) {
				t.Errorf("%s verified the log: %v", name, err)
			}
			if _, err := audit.List(ctx, db, p.Actor, audit.Query{}); !fault.Is(err, fault.Forbidden) {
				t.Errorf("%s read the log: %v", name, err)
			}
		}
		if n := countRecords(t, db); n != before {
			t.Fatalf("refused verifications wrote %d records", n-before)
		}
		adminP.Client = auth.Client{IP: "192.0.2.44"}
		rep, err := audit.VerifyAs(ctx, db, adminP.Actor, adminP.AuditActor(), e.Clock.Now())
		if err != nil || !rep.OK() || rep.Records != int64(before) {
			t.Fatalf("%+v %v", rep, err)
		}
		recs, err := audit.List(ctx, db, adminP.Actor, audit.Query{Limit: 1})
		if err != nil || len(recs) != 1 {
			t.Fatal(err)
		}
		r := recs[0]
		if r.Action != "audit.verified" || r.ActorUserID != adminP.User.ID || r.ActorEmail != "admin@ccc.example" || r.IP != "192.0.2.44" {
			t.Fatalf("%+v", r)
		}
		var d map[string]any
		json.Unmarshal([]byte(r.Detail), &d)
		if d["ok"] != true || d["records"] != float64(before) || d["broken_at"] != float64(0) {
			t.Fatalf("detail %s", r.Detail)
		}
		// A broken chain is reported, and the verification is recorded all the same.
		exec(t, db, "UPDATE audit_log SET action = 'x' WHERE seq = 2")
		rep, err = audit.VerifyAs(ctx, db, auth.System().Actor, auth.System().AuditActor(), e.Clock.Now())
		if err != nil || rep.OK() || rep.BrokenAt != 2 {
			t.Fatalf("%+v %v", rep, err)
		}
		recs, _ = audit.List(ctx, db, auth.System().Actor, audit.Query{Limit: 1})
		if recs[0].Action != "audit.verified" || recs[0].ActorEmail != "system" || !strings.Contains(recs[0].Detail, `"broken_at":2`) ||
			!strings.Contains(recs[0].Detail, `"ok":false`) {
			t.Fatalf("%+v", recs[0])
		}
	})
}

func TestListPagesNewestFirstAndFilters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		sys := auth.System().Actor
		actions := []string{"org.created", "org.updated", "user.created", "org.disabled", "user.role_changed", "org.created", "token.created"}
		for i, a := range actions {
			actor := audit.Actor{UserID: int64(1 + i%2), Email: fmt.Sprintf("a%d@x.example", 1+i%2)}
			target := "org"
			if strings.HasPrefix(a, "user.") || strings.HasPrefix(a, "token.") {
				target = "user"
			}
			appendOne(t, db, audit.Entry{Actor: actor, Action: a, TargetType: target, TargetID: int64(10 + i%3)}, t0.Add(time.Duration(i)*time.Hour))
		}
		seqs := func(q audit.Query) string {
			t.Helper()
			recs, err := audit.List(ctx, db, sys, q)
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, r := range recs {
				s = append(s, fmt.Sprint(r.Seq))
			}
			return strings.Join(s, ",")
		}
		for _, tc := range []struct {
			name string
			q    audit.Query
			want string
		}{
			{"everything", audit.Query{}, "7,6,5,4,3,2,1"},
			{"first page", audit.Query{Limit: 3}, "7,6,5"},
			{"second page", audit.Query{Limit: 3, Before: 5}, "4,3,2"},
			{"last page", audit.Query{Limit: 3, Before: 2}, "1"},
			{"past the end", audit.Query{Limit: 3, Before: 1}, ""},
			{"exact action", audit.Query{Action: "org.created"}, "6,1"},
			{"action prefix", audit.Query{Action: "org."}, "6,4,2,1"},
			{"prefix needs the dot", audit.Query{Action: "org"}, ""},
			{"LIKE wildcards are literal", audit.Query{Action: "%."}, ""},
			{"actor", audit.Query{ActorID: 2}, "6,4,2"},
			{"target", audit.Query{TargetType: "user", TargetID: 10}, "7"},
			{"target type", audit.Query{TargetType: "user"}, "7,5,3"},
			{"since", audit.Query{Since: t0.Add(5 * time.Hour)}, "7,6"},
			{"until (exclusive)", audit.Query{Until: t0.Add(2 * time.Hour)}, "2,1"},
			{"window and action", audit.Query{Action: "org.", Since: t0.Add(time.Hour), Until: t0.Add(6 * time.Hour)}, "6,4,2"},
		} {
			if got := seqs(tc.q); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
			}
		}
	})
}

func TestListPageSizes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		err := db.Write(ctx, func(c store.Conn) error {
			for i := 0; i < store.MaxPage+10; i++ {
				if _, err := audit.Append(ctx, c, audit.Entry{Action: "test.bulk"}, t0); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for limit, want := range map[int]int{0: 50, -1: 50, 7: 7, store.MaxPage: store.MaxPage, store.MaxPage + 1: store.MaxPage, 100000: store.MaxPage} {
			recs, err := audit.List(ctx, db, auth.System().Actor, audit.Query{Limit: limit})
			if err != nil || len(recs) != want {
				t.Errorf("limit %d: %d records, want %d (%v)", limit, len(recs), want, err)
			}
		}
	})
}

func TestServicesRecordWhoDidWhat(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e, adminP, _, memberP := env(t, db)
		adminP.Client = auth.Client{IP: "203.0.113.9"}
		last := func() model.AuditRecord {
			t.Helper()
			recs, err := audit.List(ctx, db, policy.Actor{CenterRole: model.CenterAdmin}, audit.Query{Limit: 1})
			if err != nil || len(recs) != 1 {
				t.Fatalf("%v", err)
			}
			return recs[0]
		}
		o, err := e.Directory.CreateOrg(ctx, adminP, directory.OrgInput{NameJA: "新組織", NameEN: "New Org", Kind: "partner", Sector: "finance"})
		if err != nil {
			t.Fatal(err)
		}
		r := last()
		if r.Action != "org.created" || r.TargetType != "org" || r.TargetID != o.ID || r.ActorUserID != adminP.User.ID ||
			r.ActorEmail != "admin@ccc.example" || r.IP != "203.0.113.9" {
			t.Fatalf("org.created: %+v", r)
		}
		if r.Detail != `{"kind":"partner","name_en":"New Org","name_ja":"新組織","sector":"finance"}` {
			t.Errorf("detail %s", r.Detail)
		}
		u, err := e.Directory.CreateUser(ctx, adminP, directory.UserInput{OrgID: o.ID, Email: "New@NEW.example", DisplayName: "新人", Role: "org-admin"})
		if err != nil {
			t.Fatal(err)
		}
		r = last()
		if r.Action != "user.created" || r.TargetID != u.ID || r.ActorUserID != adminP.User.ID ||
			r.Detail != fmt.Sprintf(`{"email":"New@new.example","org_id":%d,"role":"org-admin"}`, o.ID) {
			t.Fatalf("user.created: %+v", r)
		}
		// The command line's password is set by "system", not by whoever acted last.
		if err := e.Auth.SetInitialPassword(ctx, u.ID, "a long initial passphrase"); err != nil {
			t.Fatal(err)
		}
		r = last()
		if r.Action != "auth.password_changed" || r.ActorEmail != "system" || r.ActorUserID != 0 || r.IP != "" ||
			r.TargetType != "user" || r.TargetID != u.ID {
			t.Fatalf("password set: %+v", r)
		}
		// A refused action leaves no record.
		n := countRecords(t, db)
		if _, err := e.Directory.CreateOrg(ctx, memberP, directory.OrgInput{NameJA: "勝手な組織", Kind: "other"}); !fault.Is(err, fault.Forbidden) {
			t.Fatalf("member created an org: %v", err)
		}
		if _, err := e.Directory.CreateOrg(ctx, adminP, directory.OrgInput{NameJA: "新組織", Kind: "other"}); err == nil {
			t.Fatal("duplicate org created")
		}
		if got := countRecords(t, db); got != n {
			t.Fatalf("refused actions wrote %d records", got-n)
		}
		if rep := verify(t, db); !rep.OK() {
			t.Fatalf("%+v", rep)
		}
	})
}

func TestConcurrentAppendsKeepOneChain(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		const n = 24
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- db.Write(ctx, func(c store.Conn) error {
					_, err := audit.Append(ctx, c, audit.Entry{Action: "test.concurrent", TargetID: int64(i)}, t0)
					return err
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if rep := verify(t, db); !rep.OK() || rep.Records != n {
			t.Fatalf("%+v", rep)
		}
	})
}
