package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
)

type auditData struct {
	Records []model.AuditRecord
	Actions []string
	Action  string
	Actor   string
	Target  string
	From    string
	To      string
	Next    int64
	Report  *audit.Report
}

func (web *Web) adminAudit(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	if !policy.CanReadAudit(pr.Actor) {
		web.renderError(w, r, http.StatusForbidden, "error.forbidden")
		return
	}
	web.renderAudit(w, r, nil)
}

func (web *Web) renderAudit(w http.ResponseWriter, r *http.Request, rep *audit.Report) {
	pr := httpx.MustPrincipal(r)
	qv := r.URL.Query()
	d := auditData{Actions: audit.Actions, Action: qv.Get("action"), Actor: qv.Get("actor"), Target: qv.Get("target"),
		From: qv.Get("from"), To: qv.Get("to"), Report: rep}
	p := web.newPage(w, r, "admin.audit", "admin")
	q := audit.Query{Action: d.Action, TargetType: d.Target, Limit: pageSize}
	q.Before, _ = strconv.ParseInt(qv.Get("before"), 10, 64)
	var errs fault.List
	if d.Actor != "" {
		u, err := web.app.Directory.FindUser(r.Context(), pr, d.Actor)
		errs.AddErr("actor", err)
		q.ActorID = u.ID
	}
	loc := pr.User.Location()
	q.Since, q.Until = parseDay(d.From, loc, &errs, "from", 0), parseDay(d.To, loc, &errs, "to", 1)
	if err := errs.Err(); err != nil {
		p.setErrors(err)
	} else {
		recs, err := audit.List(r.Context(), web.app.DB, pr.Actor, q)
		if err != nil {
			web.fail(w, r, err)
			return
		}
		d.Records = recs
		if len(recs) == pageSize {
			d.Next = recs[len(recs)-1].Seq
		}
	}
	p.Data = d
	web.render(w, r, http.StatusOK, "admin_audit", p)
}

// parseDay reads a yyyy-mm-dd date in the reader's zone, plus offset days.
func parseDay(s string, loc *time.Location, errs *fault.List, field string, offset int) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		errs.Add(field, "invalid.date", "value", s)
		return time.Time{}
	}
	return t.AddDate(0, 0, offset)
}

func (web *Web) adminAuditVerify(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	rep, err := audit.VerifyAs(r.Context(), web.app.DB, pr.Actor, pr.AuditActor(), web.app.Now())
	if err != nil {
		web.fail(w, r, err)
		return
	}
	web.renderAudit(w, r, &rep)
}

type settingsData struct {
	RequireTOTP bool
}

func (web *Web) adminSettings(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	if !policy.CanChangeSettings(pr.Actor) {
		web.renderError(w, r, http.StatusForbidden, "error.forbidden")
		return
	}
	on, err := web.app.Auth.RequireTOTPForAll(r.Context())
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "admin.settings", "admin")
	p.Data = settingsData{RequireTOTP: on}
	web.render(w, r, http.StatusOK, "admin_settings", p)
}

func (web *Web) adminSettingsPost(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	if err := web.app.Auth.SetRequireTOTPForAll(r.Context(), pr, r.PostFormValue("require_totp") == "on", client(r)); err != nil {
		web.fail(w, r, err)
		return
	}
	web.redirectFlash(w, r, "/admin/settings", "flash.settings_saved")
}
