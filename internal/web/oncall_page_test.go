package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// Every page of a person on call now carries the on-call alert's region (with the names of
// categories and urgencies in their language); nobody else's does.
func TestOnCallRegionOnEveryPage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		center := env.Org("対処調整センター", model.KindCenter)
		power := env.Org("東都電力", model.KindOperator)
		onCall := setUserLang(env, env.Person(center, "oncall@center.example", model.RoleAnalyst), model.LangEN)
		offDuty := env.Person(center, "offduty@center.example", model.RoleAnalyst)
		member := env.Person(power, "sato@power.example", model.RoleMember)
		now := env.Clock.Now()
		if _, err := env.Desk.AddShift(testapp.Ctx(), env.Principal(onCall), onCall.ID, now.Add(-time.Hour), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		base := env.Server()
		as := func(u model.User, totp []byte) *visitor { v := newVisitor(t, env, base); v.signInAs(u, totp); return v }
		on, off, m := as(onCall, env.EnrolTOTP(onCall)), as(offDuty, env.EnrolTOTP(offDuty)), as(member, nil)
		for _, path := range []string{"/", "/profile", "/topics", "/desk/oncall"} {
			body := on.get(path).body
			if !strings.Contains(body, `id="oncall-live"`) || !strings.Contains(body, "/static/oncall_live.js") || !strings.Contains(body, "Malware / ransomware") {
				t.Errorf("%s: no on-call region for the person on call", path)
			}
		}
		for name, v := range map[string]*visitor{"off duty": off, "member": m} {
			if strings.Contains(v.get("/profile").body, `id="oncall-live"`) {
				t.Errorf("%s: the on-call region is shown", name)
			}
		}
	})
}
