package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// namedFile is one file of a multipart form.
type namedFile struct {
	name string
	data []byte
}

// postFiles posts a multipart form with the session's CSRF token and files in parts
// named file.
func (v *visitor) postFiles(path string, fields url.Values, files ...namedFile) *reply {
	v.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("csrf", v.csrf)
	for k, vs := range fields {
		for _, x := range vs {
			mw.WriteField(k, x)
		}
	}
	for _, f := range files {
		fw, err := mw.CreateFormFile("file", f.name)
		if err != nil {
			v.t.Fatal(err)
		}
		fw.Write(f.data)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, v.base+path, &b)
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return v.do(req)
}

var reCaseFileLink = regexp.MustCompile(`href="(/desk/cases/\d+/files/\d+)" download>([^<]*)<`)

// caseFileLinks maps the names of the files listed on a case page to their download links.
func caseFileLinks(body string) map[string]string {
	out := map[string]string{}
	for _, m := range reCaseFileLink.FindAllStringSubmatch(body, -1) {
		out[m[2]] = m[1]
	}
	return out
}

// Reporting with files from the short form, a failed post that asks for the files again
// in the reporter's language, the files' list with size and SHA-256, files on a note, and
// the download as each side may: the reporting organization, the center and an invited
// partner get the file, a revoked partner and another organization the 404 page.
func TestCaseFilesPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cfg := testapp.Config(t)
		cfg.AttachmentMaxMiB = 1
		env := testapp.NewWith(t, db, cfg)
		center := env.Org("対処調整センター", model.KindCenter)
		power := env.Org("東都電力", model.KindOperator)
		rail := env.Org("首都圏鉄道", model.KindOperator)
		agency := env.Org("セキュリティ機関", model.KindSecurityAgency)
		analyst := env.Person(center, "analyst@center.example", model.RoleAnalyst)
		sato := setUserLang(env, env.Person(power, "sato@power.example", model.RoleMember), model.LangEN)
		tanaka := env.Person(rail, "tanaka@rail.example", model.RoleMember)
		partner := env.Person(agency, "ir@agency.example", model.RoleMember)
		base := env.Server()
		as := func(u model.User, totp []byte) *visitor { v := newVisitor(t, env, base); v.signInAs(u, totp); return v }
		s, an, tn, pt := as(sato, nil), as(analyst, env.EnrolTOTP(analyst)), as(tanaka, nil), as(partner, nil)

		note := namedFile{"ransom-note.txt", []byte("YOUR FILES ARE ENCRYPTED")}
		log := namedFile{"proxy.log", []byte("GET /payload\n")}
		form := url.Values{"kind": {"incident"}, "title": {"Ransomware on file server"}, "description": {"Files renamed .locked"},
			"urgency": {"critical"}, "event_impact": {"yes"}}
		r := s.postFiles("/desk/new", form, note, log)
		expectStatus(t, "report without category, with files", r, http.StatusUnprocessableEntity)
		if v, _ := inputValue(r.body, "title"); v != "Ransomware on file server" || !strings.Contains(r.body, "Files renamed .locked</textarea>") {
			t.Error("the typed text was not kept")
		}
		if !strings.Contains(r.body, `id="case-files-again"`) || !strings.Contains(r.body, i18n.T(model.LangEN, "deskfiles.again")) {
			t.Error("the reporter is not asked, in English, to choose the files again")
		}
		form.Set("category", "malware")
		r = s.postFiles("/desk/new", form, namedFile{"disk.img", bytes.Repeat([]byte("x"), 1<<20+1)})
		expectStatus(t, "report with a file too large", r, http.StatusUnprocessableEntity)
		if msg, invalid := fieldError(r.body, "case-files"); !invalid || msg == "" {
			t.Errorf("file error %q %v", msg, invalid)
		}
		many := make([]namedFile, desk.MaxAttachmentsPerItem+1)
		for i := range many {
			many[i] = namedFile{fmt.Sprintf("f%d.txt", i), []byte{'a' + byte(i)}}
		}
		r = s.postFiles("/desk/new", form, many...)
		expectStatus(t, "report with too many files", r, http.StatusUnprocessableEntity)
		if msg, _ := fieldError(r.body, "case-files"); !strings.Contains(msg, fmt.Sprint(desk.MaxAttachmentsPerItem)) {
			t.Errorf("count error %q", msg)
		}
		if items, _, _ := env.Desk.List(testapp.Ctx(), env.Principal(analyst), desk.ListQuery{}); len(items) != 0 {
			t.Fatal("a refused report was filed")
		}
		r = s.postFiles("/desk/new", form, note, log)
		m := reCaseURL.FindStringSubmatch(r.location())
		if r.status != http.StatusSeeOther || m == nil {
			t.Fatalf("report: %d %q %s", r.status, r.location(), alertOf(r.body))
		}
		path := "/desk/cases/" + m[1]
		r = s.get(path)
		sum := sha256.Sum256(note.data)
		if links := caseFileLinks(r.body); len(links) != 2 || !strings.Contains(r.body, hex.EncodeToString(sum[:])) || !strings.Contains(r.body, "24 B") {
			t.Fatalf("the case's files as listed: %v", links)
		}
		noteLink := caseFileLinks(r.body)["ransom-note.txt"]

		// A note with a file, and a message whose files are refused (its text is kept).
		r = an.postFiles(path+"/messages", url.Values{"body": {"隔離手順"}, "internal": {"1"}}, namedFile{"memo.txt", []byte("center only")})
		expectStatus(t, "internal note with a file", r, http.StatusSeeOther)
		r = s.postFiles(path+"/messages", url.Values{"body": {"More logs"}}, many...)
		expectStatus(t, "message with too many files", r, http.StatusUnprocessableEntity)
		if textareaValue(r.body, "reply-body") != "More logs" || !strings.Contains(r.body, `id="reply-files-again"`) {
			t.Error("the failed message lost its text or does not ask for the files again")
		}
		r = s.postFiles(path+"/files", nil)
		expectStatus(t, "adding no file to the report", r, http.StatusUnprocessableEntity)
		if msg, invalid := fieldError(r.body, "case-more-files"); !invalid || msg == "" || strings.Contains(r.body, `id="case-more-files-again"`) {
			t.Errorf("no file chosen: error %q %v", msg, invalid)
		}
		r = s.postFiles(path+"/files", nil, namedFile{"screen.png", []byte("\x89PNG\r\n\x1a\n")})
		expectStatus(t, "files added to the report", r, http.StatusSeeOther)

		centerLinks := caseFileLinks(an.get(path).body)
		if len(centerLinks) != 4 {
			t.Fatalf("the center lists %v", centerLinks)
		}
		if links := caseFileLinks(s.get(path).body); len(links) != 3 || links["memo.txt"] != "" {
			t.Errorf("the reporter lists %v", links)
		}
		if err := env.Desk.InvitePartner(testapp.Ctx(), env.Principal(analyst), idOf(t, m[1]), agency.ID); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			who  string
			v    *visitor
			link string
			want int
		}{
			{"reporter", s, noteLink, 200}, {"center", an, noteLink, 200}, {"partner", pt, noteLink, 200},
			{"other organization", tn, noteLink, 404}, {"reporter, the note's file", s, centerLinks["memo.txt"], 404},
			{"partner, the note's file", pt, centerLinks["memo.txt"], 404}, {"center, the note's file", an, centerLinks["memo.txt"], 200},
		} {
			r := c.v.get(c.link)
			expectStatus(t, c.who+" downloads "+c.link, r, c.want)
			if c.want == 200 && (r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment")) {
				t.Errorf("%s: download headers %v", c.who, r.header)
			}
		}
		if r := s.get(noteLink); r.body != string(note.data) {
			t.Errorf("downloaded %q", r.body)
		}
		if err := env.Desk.RevokePartner(testapp.Ctx(), env.Principal(analyst), idOf(t, m[1]), agency.ID); err != nil {
			t.Fatal(err)
		}
		expectStatus(t, "revoked partner's download", pt.get(noteLink), 404)
		recs, _ := store.ListAudit(testapp.Ctx(), db.Read(), store.AuditQuery{Action: "case.attachment_downloaded"})
		if len(recs) != 5 {
			t.Errorf("%d audited downloads, want 5", len(recs))
		}
	})
}

func idOf(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil {
		t.Fatal(err)
	}
	return id
}
