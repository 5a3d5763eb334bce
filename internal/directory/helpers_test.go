package directory_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
)

var ctx = context.Background()

var sys = auth.System()

// cast is a small directory: the coordination center with a center admin, an analyst and
// an admin of its own organization (no center role); operator A with an org admin and a
// member; partner B with a member.
type cast struct {
	e               *testapp.Env
	db              *store.DB
	center, a, b    model.Org
	centerAdmin     model.User
	analyst         model.User
	centerOrgAdmin  model.User
	aAdmin, aMember model.User
	bMember         model.User
}

func newCast(t *testing.T, db *store.DB) *cast {
	t.Helper()
	e := testapp.New(t, db)
	c := &cast{e: e, db: db}
	c.center = e.Org("対処調整センター", model.KindCenter)
	c.a = e.Org("東都電力", model.KindOperator)
	c.b = e.Org("西日本セキュリティ", model.KindPartner)
	c.centerAdmin = e.Person(c.center, "admin@ccc.example", model.RoleCenterAdmin)
	c.analyst = e.Person(c.center, "analyst@ccc.example", model.RoleAnalyst)
	c.centerOrgAdmin = e.Person(c.center, "office@ccc.example", model.RoleOrgAdmin)
	c.aAdmin = e.Person(c.a, "admin@toto.example", model.RoleOrgAdmin)
	c.aMember = e.Person(c.a, "m.suzuki@toto.example", model.RoleMember)
	c.bMember = e.Person(c.b, "k.tanaka@west.example", model.RoleMember)
	return c
}

// p returns a person's principal, loaded now.
func (c *cast) p(u model.User) auth.Principal { return c.e.Principal(u) }

// user re-reads a person as the operator sees them.
func (c *cast) user(t *testing.T, id int64) model.User {
	t.Helper()
	u, err := c.e.Directory.GetUser(ctx, sys, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// org re-reads an organization as the operator sees it.
func (c *cast) org(t *testing.T, id int64) model.Org {
	t.Helper()
	o, err := c.e.Directory.GetOrg(ctx, sys, id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// records returns how many audit records there are.
func records(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRow(ctx, "SELECT COUNT(*) FROM audit_log").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// lastRecords returns the newest n audit records, oldest first.
func lastRecords(t *testing.T, db *store.DB, n int) []model.AuditRecord {
	t.Helper()
	recs, err := audit.List(ctx, db, sys.Actor, audit.Query{Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(recs)-1; i < j; i, j = i+1, j-1 {
		recs[i], recs[j] = recs[j], recs[i]
	}
	return recs
}

// wantFault checks that err is one error (alone, or alone in a list) of the given kind,
// field and message key.
func wantFault(t *testing.T, what string, err error, kind fault.Kind, field, key string) {
	t.Helper()
	fs := fault.Fields(err)
	if len(fs) != 1 || fault.KindOf(err) != kind || fs[0].Kind != kind || fs[0].Field != field || fs[0].Key != key {
		t.Errorf("%s: got %v, want %s %s: %s", what, err, field, kind, key)
	}
}

// fieldKeys returns "field=key" for every error of a list.
func fieldKeys(err error) map[string]string {
	m := map[string]string{}
	for _, f := range fault.Fields(err) {
		m[f.Field] = f.Key
	}
	return m
}

func ptr[T any](v T) *T { return &v }

func sprint(v any) string { return fmt.Sprint(v) }
