package directory_test

import (
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func TestCreateOrgStoresCleanedInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		c.e.Clock.Advance(time.Hour)
		o, err := c.e.Directory.CreateOrg(ctx, c.p(c.centerAdmin), directory.OrgInput{
			NameJA: "  関西   鉄道 ", Kind: "operator", Sector: "railway",
			Contacts: []model.Contact{
				{Label: " SOC 窓口 ", Email: "soc@KANSAI-RAIL.example", Phone: "+81 (6) 1234-5678"},
				{}, // an empty row of the form is dropped
				{Label: "夜間"},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if o.ID == 0 || o.NameJA != "関西 鉄道" || o.NameEN != "関西 鉄道" || o.Kind != model.KindOperator || o.Sector != "railway" || o.Disabled {
			t.Fatalf("%+v", o)
		}
		if !o.CreatedAt.Equal(c.e.Clock.Now()) {
			t.Errorf("created at %v", o.CreatedAt)
		}
		got := c.org(t, o.ID)
		want := []model.Contact{{Label: "SOC 窓口", Email: "soc@kansai-rail.example", Phone: "+81 (6) 1234-5678"}, {Label: "夜間"}}
		if sprint(got.Contacts) != sprint(want) {
			t.Errorf("contacts %+v", got.Contacts)
		}
		if got.NameJA != o.NameJA || got.NameEN != o.NameEN || got.Sector != o.Sector || !got.CreatedAt.Equal(o.CreatedAt) {
			t.Errorf("stored %+v", got)
		}
		// "none" is no sector.
		n, err := c.e.Directory.CreateOrg(ctx, sys, directory.OrgInput{NameJA: "無分野", NameEN: "No Sector", Kind: "other", Sector: "none"})
		if err != nil || n.Sector != model.SectorNone {
			t.Fatalf("%+v %v", n, err)
		}
	})
}

func TestCreateOrgReportsEveryInvalidFieldAndCreatesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		before, n := records(t, db), orgCount(t, c)
		tooMany := make([]model.Contact, directory.MaxContacts+1)
		for i := range tooMany {
			tooMany[i] = model.Contact{Label: "窓口"}
		}
		cases := []struct {
			name string
			in   directory.OrgInput
			want map[string]string
		}{
			{"nothing", directory.OrgInput{}, map[string]string{"name_ja": "invalid.required", "kind": "invalid.org_kind"}},
			{"blank Japanese name", directory.OrgInput{NameJA: " \u3000 ", NameEN: "Only English", Kind: "partner"}, map[string]string{"name_ja": "invalid.required"}},
			{"long names", directory.OrgInput{NameJA: strings.Repeat("長", directory.MaxNameLen+1), NameEN: strings.Repeat("x", directory.MaxNameLen+1), Kind: "partner"},
				map[string]string{"name_ja": "invalid.too_long", "name_en": "invalid.too_long"}},
			{"unknown kind and sector", directory.OrgInput{NameJA: "組織", Kind: "bank", Sector: "banking"},
				map[string]string{"kind": "invalid.org_kind", "sector": "invalid.sector"}},
			{"kind in capitals", directory.OrgInput{NameJA: "組織", Kind: "Operator"}, map[string]string{"kind": "invalid.org_kind"}},
			{"too many contacts", directory.OrgInput{NameJA: "組織", Kind: "other", Contacts: tooMany}, map[string]string{"contacts": "invalid.too_many"}},
			{"bad phone", directory.OrgInput{NameJA: "組織", Kind: "other", Contacts: []model.Contact{{Label: "窓口", Phone: "call me"}}},
				map[string]string{"contacts": "invalid.phone"}},
			{"bad contact email", directory.OrgInput{NameJA: "組織", Kind: "other", Contacts: []model.Contact{{Label: "窓口", Email: "soc at example"}}},
				map[string]string{"contacts": "invalid.email"}},
			{"contact without a label", directory.OrgInput{NameJA: "組織", Kind: "other", Contacts: []model.Contact{{Email: "soc@x.example"}}},
				map[string]string{"contacts": "invalid.contact_label"}},
			{"long contact label", directory.OrgInput{NameJA: "組織", Kind: "other", Contacts: []model.Contact{{Label: strings.Repeat("窓", directory.MaxContactText+1)}}},
				map[string]string{"contacts": "invalid.too_long"}},
		}
		for _, tc := range cases {
			_, err := c.e.Directory.CreateOrg(ctx, sys, tc.in)
			if fault.KindOf(err) != fault.Invalid {
				t.Errorf("%s: kind %s (%v)", tc.name, fault.KindOf(err), err)
			}
			if got := fieldKeys(err); sprint(got) != sprint(tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
		if records(t, db) != before || orgCount(t, c) != n {
			t.Fatal("an invalid organization was written")
		}
	})
}

func orgCount(t *testing.T, c *cast) int {
	t.Helper()
	n, err := store.CountOrgs(ctx, c.db.Read())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDuplicateOrgNamesAreAConflictOnTheNamedField(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		abc, err := c.e.Directory.CreateOrg(ctx, sys, directory.OrgInput{NameJA: "ABC電力", NameEN: "ABC Power", Kind: "operator"})
		if err != nil {
			t.Fatal(err)
		}
		before, n := records(t, db), orgCount(t, c)
		for _, tc := range []struct {
			in    directory.OrgInput
			field string
		}{
			{directory.OrgInput{NameJA: "ABC電力", NameEN: "Other", Kind: "operator"}, "name_ja"},
			{directory.OrgInput{NameJA: "ＡＢＣ電力", NameEN: "Other", Kind: "operator"}, "name_ja"},     // full width
			{directory.OrgInput{NameJA: "abc電力", NameEN: "Other", Kind: "operator"}, "name_ja"},     // case
			{directory.OrgInput{NameJA: "別の名前", NameEN: "abc  POWER", Kind: "operator"}, "name_en"}, // English name, spacing
			{directory.OrgInput{NameJA: "ABC Power", Kind: "operator"}, "name_en"},                  // the English name defaults to the Japanese one
		} {
			_, err := c.e.Directory.CreateOrg(ctx, sys, tc.in)
			wantFault(t, tc.in.NameJA+"/"+tc.in.NameEN, err, fault.Conflict, tc.field, "org.duplicate")
		}
		if records(t, db) != before || orgCount(t, c) != n {
			t.Fatal("a duplicate was written")
		}
		// Renaming onto another organization's name is a conflict too, and changes nothing.
		_, err = c.e.Directory.UpdateOrg(ctx, sys, c.b.ID, directory.OrgInput{NameJA: "ａｂｃ電力", NameEN: c.b.NameEN, Kind: string(c.b.Kind)})
		wantFault(t, "rename", err, fault.Conflict, "name_ja", "org.duplicate")
		if got := c.org(t, c.b.ID); got.NameJA != c.b.NameJA {
			t.Fatalf("renamed to %s", got.NameJA)
		}
		// An organization keeps its own name when it is saved again.
		if _, err := c.e.Directory.UpdateOrg(ctx, sys, abc.ID, directory.OrgInput{NameJA: "ABC電力", NameEN: "ABC Power", Kind: "partner"}); err != nil {
			t.Fatalf("saving an organization under its own name: %v", err)
		}
	})
}

func TestOnlyCenterAdminsCreateAndChangeOrgs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		before, n := records(t, db), orgCount(t, c)
		for _, u := range []model.User{c.aMember, c.aAdmin, c.analyst, c.centerOrgAdmin} {
			p := c.p(u)
			_, err := c.e.Directory.CreateOrg(ctx, p, directory.OrgInput{NameJA: "勝手な組織", Kind: "other"})
			wantFault(t, u.Email+" creates", err, fault.Forbidden, "", "error.forbidden")
			_, err = c.e.Directory.UpdateOrg(ctx, p, c.a.ID, directory.OrgInput{NameJA: "乗っ取り", Kind: "operator", Disabled: true})
			wantFault(t, u.Email+" updates", err, fault.Forbidden, "", "error.forbidden")
			// Even an invalid change is refused as forbidden, before validation says anything.
			_, err = c.e.Directory.UpdateOrg(ctx, p, c.a.ID, directory.OrgInput{})
			wantFault(t, u.Email+" updates badly", err, fault.Forbidden, "", "error.forbidden")
		}
		if got := c.org(t, c.a.ID); got.NameJA != c.a.NameJA || got.Disabled {
			t.Fatalf("org changed: %+v", got)
		}
		if records(t, db) != before || orgCount(t, c) != n {
			t.Fatal("a refused change was written")
		}
		if _, err := c.e.Directory.CreateOrg(ctx, c.p(c.centerAdmin), directory.OrgInput{NameJA: "正規の組織", Kind: "other"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUpdateOrgRecordsWhatChanged(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		admin := c.p(c.centerAdmin)
		c.e.Clock.Advance(time.Minute)
		in := directory.OrgInput{NameJA: "東都電力ホールディングス", NameEN: c.a.NameEN, Kind: "operator", Sector: "electricity",
			Contacts: []model.Contact{{Label: "CSIRT", Email: "csirt@toto.example"}}, Disabled: true}
		o, err := c.e.Directory.UpdateOrg(ctx, admin, c.a.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if !o.UpdatedAt.Equal(c.e.Clock.Now()) || !o.CreatedAt.Equal(c.a.CreatedAt) || !o.Disabled {
			t.Errorf("%+v", o)
		}
		r := lastRecords(t, db, 1)[0]
		if r.Action != "org.disabled" || r.TargetID != c.a.ID || r.ActorUserID != c.centerAdmin.ID {
			t.Fatalf("%+v", r)
		}
		for _, want := range []string{`"contacts":"changed"`, `"disabled":{"from":false,"to":true}`,
			`"name_ja":{"from":"東都電力","to":"東都電力ホールディングス"}`, `"sector":{"from":"","to":"electricity"}`} {
			if !strings.Contains(r.Detail, want) {
				t.Errorf("detail %s lacks %s", r.Detail, want)
			}
		}
		if strings.Contains(r.Detail, "name_en") || strings.Contains(r.Detail, `"kind"`) {
			t.Errorf("unchanged fields recorded: %s", r.Detail)
		}
		in.Disabled = false
		if _, err := c.e.Directory.UpdateOrg(ctx, admin, c.a.ID, in); err != nil {
			t.Fatal(err)
		}
		if r := lastRecords(t, db, 1)[0]; r.Action != "org.enabled" {
			t.Errorf("%+v", r)
		}
		in.Contacts[0].Phone = "03-1234-5678"
		if _, err := c.e.Directory.UpdateOrg(ctx, admin, c.a.ID, in); err != nil {
			t.Fatal(err)
		}
		if r := lastRecords(t, db, 1)[0]; r.Action != "org.updated" || r.Detail != `{"contacts":"changed"}` {
			t.Errorf("%+v", r)
		}
		_, err = c.e.Directory.UpdateOrg(ctx, admin, 99999, in)
		wantFault(t, "missing org", err, fault.NotFound, "", "error.not_found")
	})
}

func TestTheCenterKeepsItsKindWhileItHasStaff(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		before := records(t, db)
		_, err := c.e.Directory.UpdateOrg(ctx, sys, c.center.ID, directory.OrgInput{NameJA: c.center.NameJA, Kind: "operator"})
		wantFault(t, "center with staff", err, fault.Invalid, "kind", "org.center_has_staff")
		if got := c.org(t, c.center.ID); got.Kind != model.KindCenter || records(t, db) != before {
			t.Fatalf("kind %s", got.Kind)
		}
		// A center organization without center staff may change kind; staff with no center
		// role (the org admin) do not count.
		spare := c.e.Org("予備センター", model.KindCenter)
		c.e.Person(spare, "clerk@spare.example", model.RoleOrgAdmin)
		if _, err := c.e.Directory.UpdateOrg(ctx, sys, spare.ID, directory.OrgInput{NameJA: spare.NameJA, Kind: "other"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestGetOrgHidesDisabledOrgsAndOthersContacts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		contacts := []model.Contact{{Label: "SOC", Email: "soc@west.example"}}
		if _, err := c.e.Directory.UpdateOrg(ctx, sys, c.b.ID, directory.OrgInput{NameJA: c.b.NameJA, Kind: "partner", Contacts: contacts}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.e.Directory.UpdateOrg(ctx, sys, c.a.ID, directory.OrgInput{NameJA: c.a.NameJA, Kind: "operator", Contacts: contacts}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			viewer   model.User
			org      int64
			contacts bool
		}{
			{c.aMember, c.b.ID, false}, // another organization
			{c.aMember, c.a.ID, true},  // their own
			{c.bMember, c.b.ID, true},
			{c.aAdmin, c.b.ID, false},
			{c.analyst, c.b.ID, true}, // center staff
			{c.centerAdmin, c.a.ID, true},
		} {
			o, err := c.e.Directory.GetOrg(ctx, c.p(tc.viewer), tc.org)
			if err != nil {
				t.Fatal(err)
			}
			if (len(o.Contacts) > 0) != tc.contacts {
				t.Errorf("%s sees contacts of %d: %v", tc.viewer.Email, tc.org, o.Contacts)
			}
		}
		disabled := c.e.Org("解散組織", model.KindOther)
		if _, err := c.e.Directory.UpdateOrg(ctx, sys, disabled.ID, directory.OrgInput{NameJA: disabled.NameJA, Kind: "other", Disabled: true}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []model.User{c.aMember, c.aAdmin, c.centerOrgAdmin} {
			_, err := c.e.Directory.GetOrg(ctx, c.p(u), disabled.ID)
			wantFault(t, u.Email+" gets a disabled org", err, fault.NotFound, "", "error.not_found")
			_, err = c.e.Directory.FindOrg(ctx, c.p(u), "解散組織")
			if !fault.Is(err, fault.NotFound) {
				t.Errorf("%s finds a disabled org: %v", u.Email, err)
			}
		}
		for _, u := range []model.User{c.analyst, c.centerAdmin} {
			if o, err := c.e.Directory.GetOrg(ctx, c.p(u), disabled.ID); err != nil || !o.Disabled {
				t.Errorf("%s: %v", u.Email, err)
			}
		}
		_, err := c.e.Directory.GetOrg(ctx, c.p(c.aMember), 99999)
		wantFault(t, "missing", err, fault.NotFound, "", "error.not_found")
	})
}

func TestFindOrgByNameInAnyWidthOrByID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		abc, err := c.e.Directory.CreateOrg(ctx, sys, directory.OrgInput{NameJA: "ABC電力", NameEN: "ABC Power Co.", Kind: "operator"})
		if err != nil {
			t.Fatal(err)
		}
		p := c.p(c.bMember)
		for _, ref := range []string{"ABC電力", "ＡＢＣ電力", " abc電力 ", "abc power co.", "ＡＢＣ　Ｐｏｗｅｒ　Ｃｏ．", sprint(abc.ID), " " + sprint(abc.ID) + " "} {
			o, err := c.e.Directory.FindOrg(ctx, p, ref)
			if err != nil || o.ID != abc.ID {
				t.Errorf("FindOrg(%q) = %d, %v", ref, o.ID, err)
			}
		}
		_, err = c.e.Directory.FindOrg(ctx, p, "XYZ電力")
		if fe := fault.As(err); fe.Kind != fault.NotFound || fe.Key != "org.not_found" || fe.Args["ref"] != "XYZ電力" {
			t.Errorf("unknown: %v", err)
		}
	})
}

func TestListOrgsFiltersAndPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		mk := func(ja, en, kind, sector string, disabled bool) model.Org {
			o, err := c.e.Directory.CreateOrg(ctx, sys, directory.OrgInput{NameJA: ja, NameEN: en, Kind: kind, Sector: sector, Disabled: disabled,
				Contacts: []model.Contact{{Label: "窓口"}}})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		bank := mk("みなと銀行", "Minato Bank", "operator", "finance", false)
		card := mk("ＡＢＣカード", "ABC Card", "operator", "credit", false)
		closed := mk("旧みなと証券", "Old Minato Securities", "operator", "finance", true)
		vendor := mk("脅威情報社", "Threat Intel KK", "cti-vendor", "", false)
		ids := func(p auth.Principal, q directory.OrgQuery) string {
			t.Helper()
			orgs, err := c.e.Directory.ListOrgs(ctx, p, q)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, o := range orgs {
				out = append(out, sprint(o.ID))
			}
			return strings.Join(out, ",")
		}
		list := func(os ...model.Org) string {
			var out []string
			for _, o := range os {
				out = append(out, sprint(o.ID))
			}
			return strings.Join(out, ",")
		}
		member, analyst := c.p(c.aMember), c.p(c.analyst)
		for _, tc := range []struct {
			name string
			p    auth.Principal
			q    directory.OrgQuery
			want string
		}{
			{"sector", member, directory.OrgQuery{Sector: "finance"}, list(bank)},
			{"sector, disabled asked by a member", member, directory.OrgQuery{Sector: "finance", IncludeDisabled: true}, list(bank)},
			{"sector, disabled asked by an analyst", analyst, directory.OrgQuery{Sector: "finance", IncludeDisabled: true}, list(bank, closed)},
			{"sector, disabled not asked", analyst, directory.OrgQuery{Sector: "finance"}, list(bank)},
			{"kind", member, directory.OrgQuery{Kind: "cti-vendor"}, list(vendor)},
			{"text in Japanese", member, directory.OrgQuery{Text: "みなと"}, list(bank)},
			{"text in English, any case", analyst, directory.OrgQuery{Text: "MINATO", IncludeDisabled: true}, list(bank, closed)},
			{"text in another width", member, directory.OrgQuery{Text: "abc"}, list(card)},
			{"LIKE wildcards are literal", member, directory.OrgQuery{Text: "%"}, ""},
			{"kind and sector", member, directory.OrgQuery{Kind: "operator", Sector: "credit"}, list(card)},
			{"first page", member, directory.OrgQuery{Kind: "operator", Page: store.Page{Limit: 2}}, list(c.a, bank)},
			{"next page", member, directory.OrgQuery{Kind: "operator", Page: store.Page{After: bank.ID, Limit: 2}}, list(card)},
		} {
			if got := ids(tc.p, tc.q); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
			}
		}
		_, err := c.e.Directory.ListOrgs(ctx, member, directory.OrgQuery{Kind: "bank", Sector: "banking"})
		if got := fieldKeys(err); got["kind"] != "invalid.org_kind" || got["sector"] != "invalid.sector" {
			t.Errorf("bad filters: %v", err)
		}
		// Lists redact contacts as GetOrg does.
		orgs, _ := c.e.Directory.ListOrgs(ctx, member, directory.OrgQuery{Page: store.Page{Limit: 100}})
		for _, o := range orgs {
			if len(o.Contacts) > 0 && o.ID != c.aMember.OrgID {
				t.Errorf("a member sees the contacts of %s", o.NameJA)
			}
		}
		orgs, _ = c.e.Directory.ListOrgs(ctx, analyst, directory.OrgQuery{Sector: "credit"})
		if len(orgs) != 1 || len(orgs[0].Contacts) != 1 {
			t.Errorf("an analyst does not see contacts: %+v", orgs)
		}
	})
}
