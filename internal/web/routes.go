package web

import (
	"github.com/renkei-dev/renkei/internal/httpx"
	"net/http"

	"github.com/renkei-dev/renkei/internal/i18n"
)

// Register adds the pages to mux. Every route that changes state is a POST checked for
// its CSRF token; GET never changes anything.
func (web *Web) Register(mux *http.ServeMux) {
	h := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, web.limitBody(fn)) }
	s := web.requireSession

	h("GET /signin", web.signInPage)
	h("POST /signin", web.signInPost)
	h("GET /signin/2fa", web.secondFactorPage)
	h("POST /signin/2fa", web.secondFactorPost)
	h("GET /welcome/{token}", web.welcomePage)
	h("POST /welcome/{token}", web.welcomePost)
	h("POST /lang", web.setLang)
	h("POST /signout", s(web.signOut))

	h("GET /{$}", s(web.home))
	h("GET /communities/{id}", s(web.communityPage))
	h("GET /directory", s(web.directoryPage))
	h("GET /directory/orgs/{id}", s(web.orgPage))

	h("GET /profile", s(web.profile))
	h("POST /profile", s(web.profilePost))
	h("POST /profile/password", s(web.passwordPost))
	h("POST /profile/tokens", s(web.tokenCreate))
	h("POST /profile/tokens/{id}/revoke", s(web.tokenRevoke))
	h("POST /profile/signout-everywhere", s(web.signOutEverywhere))
	h("GET /profile/2fa", s(web.totpPage))
	h("POST /profile/2fa/begin", s(web.totpBegin))
	h("POST /profile/2fa/confirm", s(web.totpConfirm))
	h("POST /profile/2fa/disable", s(web.totpDisable))
	h("POST /profile/2fa/recovery", s(web.totpRecovery))

	// Notifications (notify_pages.go): the person's email preferences and an
	// organization's webhooks (its org admins and center admins; 404 for anyone else).
	web.intelRoutes(h, s)    // indicators (intel.go)
	web.taxiiSubRoutes(h, s) // TAXII subscriptions (taxiisub.go)
	// MISP feed imports (mispfeed.go)
	web.mispFeedRoutes(mux, h, s)
	h("GET /settings/notifications", s(web.notifySettings))
	h("POST /settings/notifications", s(web.notifySettingsPost))
	h("GET /orgs/{id}/webhooks", s(web.webhooksPage))
	h("POST /orgs/{id}/webhooks", s(web.webhookCreate))
	for _, action := range []string{"pause", "resume", "rotate", "delete", "ping"} {
		h("POST /orgs/{id}/webhooks/{wid}/"+action, s(web.webhookAction(action)))
	}

	h("GET /admin", s(web.adminIndex))
	h("GET /admin/orgs", s(web.adminOrgs))
	h("GET /admin/orgs/new", s(web.adminOrgNew))
	h("POST /admin/orgs", s(web.adminOrgCreate))
	h("GET /admin/orgs/{id}", s(web.adminOrg))
	h("POST /admin/orgs/{id}", s(web.adminOrgUpdate))
	h("GET /admin/users", s(web.adminUsers))
	h("GET /admin/users/new", s(web.adminUserNew))
	h("POST /admin/users", s(web.adminUserCreate))
	h("GET /admin/users/{id}", s(web.adminUser))
	h("POST /admin/users/{id}", s(web.adminUserUpdate))
	h("POST /admin/users/{id}/link", s(web.adminUserLink))
	h("POST /admin/users/{id}/reset-2fa", s(web.adminUserResetTOTP))
	h("GET /admin/communities", s(web.adminCommunities))
	h("GET /admin/communities/new", s(web.adminCommunityNew))
	h("POST /admin/communities", s(web.adminCommunityCreate))
	h("GET /admin/communities/{id}", s(web.adminCommunity))
	h("POST /admin/communities/{id}", s(web.adminCommunityUpdate))
	h("POST /admin/communities/{id}/members", s(web.adminCommunityMembers))
	h("GET /admin/audit", s(web.adminAudit))
	h("POST /admin/audit/verify", s(web.adminAuditVerify))
	h("GET /admin/settings", s(web.adminSettings))
	h("POST /admin/settings", s(web.adminSettingsPost))

	// The sharing SNS (sns*.go). The forms that may carry a file accept a body as large as
	// the largest attachment (limitUpload instead of limitBody).
	up := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, web.limitUpload(s(fn))) }
	h("GET /topics", s(web.timelinePage))
	// Live updates for the signed-in person, as Server-Sent Events (ids only; the page
	// fetches what changed through the usual access checks).
	live := web.app.Live.Handler(web.app.SNS, httpx.Principal)
	h("GET /events", s(live.ServeHTTP))
	h("GET /search", s(web.searchPage))
	h("GET /communities/{id}/topics/new", s(web.topicNew))
	up("POST /communities/{id}/topics/new", web.topicCreate)
	h("GET /topics/{id}", s(web.topicPage))
	h("GET /topics/{id}/edit", s(web.topicEdit))
	h("POST /topics/{id}/edit", s(web.topicEditPost))
	h("GET /topics/{id}/versions", s(web.topicVersions))
	h("GET /topics/{id}/progress", s(web.topicProgress))
	h("POST /topics/{id}/ack", s(web.topicAck))
	h("POST /topics/{id}/bookmark", s(web.topicBookmark))
	h("POST /topics/{id}/pin", s(web.topicPin))
	h("POST /topics/{id}/delete", s(web.topicDelete))
	h("POST /topics/{id}/widen", s(web.topicWiden))
	up("POST /topics/{id}/comments", web.commentPost)
	up("POST /topics/{id}/attachments", web.attachmentPost)
	h("POST /comments/{id}/delete", s(web.commentDelete))
	h("GET /attachments/{id}", s(web.attachmentDownload))

	// The consultation desk (desk.go).
	web.registerDesk(h, s)
	web.registerCaseFiles(mux, s) // the desk's forms with files (caseattach.go)
	// Observation notices and assets (observe.go): 404 for what the reader may not see.
	h("GET /notices", s(web.noticesPage))
	h("GET /notices/new", s(web.composePage))
	h("POST /notices/new", s(web.composePost))
	h("GET /notices/read-times", s(web.readTimesPage))
	h("GET /notices/{id}", s(web.noticePage))
	h("POST /notices/{id}/read", s(web.noticeRead))
	h("GET /assets", s(web.assetsPage))
	h("POST /assets", s(web.assetPropose))
	h("POST /assets/import", s(web.assetImport))
	for _, action := range []string{"approve", "reject", "delete"} {
		h("POST /assets/{id}/"+action, s(web.assetAction(action)))
	}

	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler()))
}

// staticHandler serves the embedded assets with a short cache lifetime.
func staticHandler() http.Handler {
	fs := http.FileServerFS(Static())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fs.ServeHTTP(w, r)
	})
}

// NotFound renders the not-found page for paths no route matches.
func (web *Web) NotFound(w http.ResponseWriter, r *http.Request) {
	web.renderError(w, web.withSession(r), http.StatusNotFound, "error.not_found")
}

// CrossOriginDenied renders the refusal of a cross-site form post (see server.Handler).
func (web *Web) CrossOriginDenied(w http.ResponseWriter, r *http.Request) {
	web.renderError(w, web.withSession(r), http.StatusForbidden, "csrf.failed")
}

// ProblemPage documents a problem type of the API (the type URIs resolve here).
func (web *Web) ProblemPage(w http.ResponseWriter, r *http.Request) {
	key := "problem." + r.PathValue("slug")
	if !i18n.Has(lang(r), key) {
		web.NotFound(w, r)
		return
	}
	p := web.newPage(w, r, "problem.title", "")
	p.Data = problemData{Slug: r.PathValue("slug"), Text: p.T(key)}
	web.render(w, r, http.StatusOK, "problem", p)
}

type problemData struct{ Slug, Text string }
